"""The work folder: each stage's output stored under a key derived from its inputs.

A stage's key hashes its name, its settings and the keys of the stages it
reads, so a changed setting invalidates exactly the stages downstream of it.
Writes are atomic (temp file, then rename): a kill never leaves a torn file.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from autodescribe.types import from_jsonable, to_jsonable
from autodescribe.util.processes import process_alive

log = logging.getLogger(__name__)
T = TypeVar("T")


def stable_hash(*parts: Any) -> str:
    """A short hash of JSON-able parts, stable across runs and machines."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def file_fingerprint(path: Path) -> str:
    """Identity of a media file without reading all of it: size plus head and tail bytes."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
        if size > 2 << 20:
            fh.seek(-(1 << 20), os.SEEK_END)
            digest.update(fh.read())
    return digest.hexdigest()[:16]


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to a temp file named after this process, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(path)
    mode = "wb" if isinstance(data, bytes) else "w"
    prefix = f".{path.name}.{os.getpid()}."
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; deliverables get the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _remove_orphans(path: Path) -> None:
    """Remove temp files of `path` whose writer is gone (killed mid-write), so none pile up."""
    start = len(path.name) + 2
    for stale in path.parent.glob(glob.escape(f".{path.name}.") + "*.tmp"):
        pid = stale.name[start:].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            stale.unlink(missing_ok=True)


def move_atomic(src: Path, dst: Path) -> None:
    """Move a finished file into place; a copy then rename across file systems."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
    except OSError:
        tmp = dst.with_name(f".{dst.name}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
        src.unlink(missing_ok=True)


class WorkDir:
    """Stage results on disk, looked up by (stage, key)."""

    def __init__(self, root: Path, force: bool = False) -> None:
        self.root = root
        self.force = force
        self.computed: list[str] = []
        self._forced: set[Path] = set()  # folders already emptied by this --force run
        root.mkdir(parents=True, exist_ok=True)

    def folder(self, stage: str, key: str) -> Path:
        """A folder for a stage's files (stills, audio clips) under its key."""
        path = self.root / f"{stage}-{key}"
        if self.force and path not in self._forced and path.exists():
            shutil.rmtree(path)
        self._forced.add(path)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def stage(self, stage: str, key: str, kind: Any, compute: Callable[[], T]) -> T:
        """Return the stored result for (stage, key), computing and storing it if absent."""
        path = self.root / f"{stage}-{key}.json"
        if path.exists() and not self.force:
            log.info("%s: reusing stored result", stage)
            return from_jsonable(kind, json.loads(path.read_text()))
        result = compute()
        write_atomic(path, json.dumps(to_jsonable(result, kind), indent=1))
        self.computed.append(stage)
        return result

    def item(self, stage: str, key: str, name: str, kind: Any, compute: Callable[[], T]) -> T:
        """Like `stage`, for one item of a stage (a scene), so a kill loses at most one item."""
        path = self.folder(stage, key) / f"{name}.json"
        if path.exists():
            return from_jsonable(kind, json.loads(path.read_text()))
        result = compute()
        write_atomic(path, json.dumps(to_jsonable(result, kind)))
        self.computed.append(f"{stage}/{name}")
        return result
