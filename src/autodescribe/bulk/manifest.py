"""What to caption: a manifest file (CSV, JSONL, Parquet), a folder, or a glob.

Every input becomes a list of `VideoItem`s with unique ids, because resuming
matches output rows to videos by id. Relative paths in a manifest are read
relative to the manifest's own folder, so a dataset folder can be moved whole.
"""

from __future__ import annotations

import csv
import glob
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodescribe.errors import BackendUnavailable, ConfigError, install_hint

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".wmv"}
)
MANIFEST_SUFFIXES = frozenset({".csv", ".jsonl", ".parquet"})
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class VideoItem:
    """One video to caption: `id` keys its output row, `path` is absolute."""

    id: str
    path: str


def read_items(source: str | Path) -> list[VideoItem]:
    """The videos named by `source`: a manifest file, a folder (recursive), a glob or one video."""
    text = str(source)
    path = Path(text).expanduser()
    if path.is_dir():
        return _from_folder(path)
    if path.suffix.lower() in MANIFEST_SUFFIXES:
        if not path.is_file():
            raise ConfigError(f"no such manifest: {path}", "check the path")
        return read_manifest(path)
    if any(ch in text for ch in _GLOB_CHARS):
        return _from_glob(text)
    if path.is_file():
        return [VideoItem(id=path.name, path=str(path.resolve()))]
    raise ConfigError(
        f"no such file, folder or manifest: {text}",
        "pass a CSV/JSONL/Parquet manifest, a folder of videos or a quoted glob",
    )


def read_manifest(path: Path) -> list[VideoItem]:
    """Rows of a manifest with a `path` column and an optional `id` column."""
    suffix = path.suffix.lower()
    records = (
        _csv_records(path)
        if suffix == ".csv"
        else _jsonl_records(path)
        if suffix == ".jsonl"
        else _parquet_records(path)
    )
    base = path.resolve().parent
    items = []
    for number, record in enumerate(records, start=1):
        raw = record.get("path")
        if raw is None or not str(raw).strip():
            raise ConfigError(
                f"{path.name} row {number} has no 'path'",
                "give every row a path column (and optionally an id column)",
            )
        given = str(raw).strip()
        video = Path(given).expanduser()
        absolute = video if video.is_absolute() else base / video
        ident = record.get("id")
        ident = given if ident is None or not str(ident).strip() else str(ident).strip()
        items.append(VideoItem(id=ident, path=str(absolute)))
    return _unique(items, path.name)


def _csv_records(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "path" not in reader.fieldnames:
            raise ConfigError(f"{path.name} has no 'path' column", "add a header row with 'path'")
        return list(reader)


def _jsonl_records(path: Path) -> Iterable[dict[str, Any]]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path.name} line {number} is not JSON ({exc.msg})", "write one object per line"
            ) from exc
        if not isinstance(record, dict):
            raise ConfigError(f"{path.name} line {number} is not an object", 'write {"path": ...}')
        records.append(record)
    return records


def _parquet_records(path: Path) -> Iterable[dict[str, Any]]:
    pq = import_parquet()
    table = pq.read_table(path)
    if "path" not in table.column_names:
        raise ConfigError(f"{path.name} has no 'path' column", "add a string column 'path'")
    columns = [c for c in ("id", "path") if c in table.column_names]
    return table.select(columns).to_pylist()


def import_parquet() -> Any:
    """`pyarrow.parquet`, or an install hint."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise BackendUnavailable("Parquet needs pyarrow", install_hint("parquet")) from exc
    return pq


def _from_folder(folder: Path) -> list[VideoItem]:
    videos = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )
    if not videos:
        raise ConfigError(
            f"no video files in {folder}", f"video files end in {', '.join(sorted(VIDEO_SUFFIXES))}"
        )
    root = folder.resolve()
    return [
        VideoItem(id=p.resolve().relative_to(root).as_posix(), path=str(p.resolve()))
        for p in videos
    ]


def _from_glob(pattern: str) -> list[VideoItem]:
    """Files matching `pattern`; ids are paths relative to the part before the first wildcard."""
    matches = sorted(
        Path(p) for p in glob.glob(os.path.expanduser(pattern), recursive=True) if Path(p).is_file()
    )
    if not matches:
        raise ConfigError(
            f"no files match {pattern}", "quote the glob so the shell leaves it alone"
        )
    first_wildcard = min(pattern.find(ch) for ch in _GLOB_CHARS if ch in pattern)
    root = Path(os.path.dirname(pattern[:first_wildcard]) or ".").expanduser().resolve()
    items = []
    for match in matches:
        absolute = match.resolve()
        try:
            ident = absolute.relative_to(root).as_posix()
        except ValueError:
            ident = absolute.as_posix()
        items.append(VideoItem(id=ident, path=str(absolute)))
    return _unique(items, pattern)


def _unique(items: list[VideoItem], where: str) -> list[VideoItem]:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ConfigError(
                f"id '{item.id}' appears twice in {where}",
                "give each video a unique id (rows are matched to videos by id on resume)",
            )
        seen.add(item.id)
    if not items:
        raise ConfigError(f"{where} lists no videos", "add rows with a 'path' column")
    return items
