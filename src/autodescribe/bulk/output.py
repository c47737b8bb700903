"""Append-only caption output that survives kills: JSONL directly, Parquet through a journal.

JSONL: each row is one `write` of a whole line on an O_APPEND descriptor, then
fsync, so a kill can at worst leave a trailing line without its newline; opening
the file again cuts that torn tail off before anything is appended. Readers keep
the last row per id, so a retried video's new row supersedes its old one.

Parquet cannot be appended to, so a Parquet output keeps a JSONL journal beside it
(`NAME.parquet.journal.jsonl`), written exactly like a JSONL output. The Parquet
file is rebuilt atomically from the journal (last row per id) when the run ends.
The journal is the resume record: keep it while the dataset may still grow; if
it is missing but the Parquet file exists, the journal is seeded from the Parquet.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from autodescribe.bulk.manifest import import_parquet
from autodescribe.errors import ConfigError
from autodescribe.util.cache import write_atomic

log = logging.getLogger(__name__)

JOURNAL_SUFFIX = ".journal.jsonl"
OUTPUT_SUFFIXES = (".jsonl", ".parquet")


def repair_jsonl(path: Path) -> int:
    """Cut a torn trailing line (no newline: the writer was killed mid-row); bytes removed."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        keep = _complete_length(fh, size)
        if keep < size:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
            log.warning("%s: cut a torn last row (%d bytes) left by a kill", path, size - keep)
    return size - keep


def _complete_length(fh: Any, size: int) -> int:
    """Length of the file up to and including its last newline, reading backwards in blocks."""
    end = size
    while end > 0:
        start = max(0, end - 65536)
        fh.seek(start)
        block = fh.read(end - start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def read_rows(path: Path) -> dict[str, dict[str, Any]]:
    """The last complete row per id, from a JSONL or Parquet output (or its journal)."""
    if path.suffix == ".parquet":
        journal = journal_path(path)
        if journal.exists():
            return read_rows(journal)
        if not path.exists():
            return {}
        rows = import_parquet().read_table(path).to_pylist()
        return {row["id"]: _from_parquet(row) for row in rows}
    if not path.exists():
        return {}
    latest: dict[str, dict[str, Any]] = {}
    with path.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break  # torn tail: never a row
            if line.strip():
                row = json.loads(line)
                latest[row["id"]] = row
    return latest


def journal_path(parquet: Path) -> Path:
    return parquet.with_name(parquet.name + JOURNAL_SUFFIX)


class JsonlWriter:
    """Appends rows to a JSONL file, one fsynced write per row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        repair_jsonl(path)
        # only the status per id stays in memory: enough to decide what a rerun skips
        self.status = {ident: row["status"] for ident, row in read_rows(path).items()}
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, row: dict[str, Any]) -> None:
        data = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:  # one write in practice; a short write continues where it stopped
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)
        self.status[row["id"]] = row["status"]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ParquetWriter(JsonlWriter):
    """Journals rows as JSONL, then writes the Parquet file from the journal on close."""

    def __init__(self, path: Path) -> None:
        import_parquet()  # fail before any work when pyarrow is missing
        self.parquet = path
        journal = journal_path(path)
        if not journal.exists() and path.exists():
            _seed_journal(journal, read_rows(path).values())
        super().__init__(journal)

    def close(self) -> None:
        was_open = self._fd >= 0
        super().close()
        if was_open:
            write_parquet(self.parquet, list(read_rows(self.path).values()))


def open_writer(path: Path) -> JsonlWriter:
    """The writer for `path`'s format (.jsonl or .parquet)."""
    if path.suffix == ".jsonl":
        return JsonlWriter(path)
    if path.suffix == ".parquet":
        return ParquetWriter(path)
    raise ConfigError(
        f"unknown output format '{path.suffix or path.name}'",
        "name the output *.jsonl or *.parquet",
    )


def _seed_journal(journal: Path, rows: Iterable[dict[str, Any]]) -> None:
    lines = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)
    write_atomic(journal, lines)


def parquet_schema() -> Any:
    import pyarrow as pa

    clip = pa.struct(
        [
            ("start", pa.float64()),
            ("end", pa.float64()),
            ("caption", pa.string()),
            ("faces", pa.int32()),  # null when the characters stage was off
            ("identities", pa.list_(pa.string())),
            ("notes", pa.string()),  # null in one pass
            ("candidates", pa.list_(pa.string())),
        ]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("path", pa.string()),
            ("status", pa.string()),
            ("duration", pa.float64()),
            ("scenes", pa.list_(clip)),
            ("summary", pa.string()),
            ("title", pa.string()),
            ("model", pa.string()),
            ("prompt_version", pa.string()),
            ("error", pa.string()),
            ("timings", pa.map_(pa.string(), pa.float64())),
        ]
    )


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    """All rows as one Parquet file, replaced atomically."""
    import pyarrow as pa

    pq = import_parquet()
    schema = parquet_schema()
    table = pa.Table.from_pylist(
        [{name: row.get(name) for name in schema.names} for row in rows], schema=schema
    )
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    log.info("wrote %d rows to %s", len(rows), path)


def _from_parquet(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row in the JSONL shape (maps come back as key/value pairs)."""
    timings = row.get("timings")
    if isinstance(timings, list):
        row["timings"] = dict(timings)
    for clip in row.get("scenes") or ():
        if clip.get("faces") is None:  # the characters stage was off
            clip.pop("faces", None)
            clip.pop("identities", None)
        if clip.get("notes") is None:  # captioned in one pass
            clip.pop("notes", None)
            clip.pop("candidates", None)
    return row
