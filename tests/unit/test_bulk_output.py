"""The caption writers: whole rows only, torn tails cut, last row per id wins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autodescribe.bulk.output import journal_path, open_writer, read_rows, repair_jsonl
from autodescribe.errors import ConfigError


def _row(ident: str, status: str = "ok", caption: str = "A red door.") -> dict[str, Any]:
    return {
        "id": ident,
        "path": f"/videos/{ident}.mp4",
        "status": status,
        "duration": 4.0,
        "scenes": [{"start": 0.0, "end": 4.0, "caption": caption}],
        "summary": caption,
        "title": "Door",
        "model": "basic-1",
        "prompt_version": "basic-1",
        "error": None if status == "ok" else "broken",
        "timings": {"probe": 0.01, "total": 0.5},
    }


def test_jsonl_rows_are_whole_lines(tmp_path: Path) -> None:
    out = tmp_path / "captions.jsonl"
    with open_writer(out) as writer:
        writer.write(_row("a"))
        writer.write(_row("b", "failed"))

    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert [json.loads(line)["id"] for line in lines[:-1]] == ["a", "b"]


def test_torn_tail_is_cut_before_appending(tmp_path: Path) -> None:
    out = tmp_path / "captions.jsonl"
    whole = json.dumps(_row("a")) + "\n"
    out.write_text(whole + json.dumps(_row("b"))[:40], encoding="utf-8")

    with open_writer(out) as writer:
        assert writer.status == {"a": "ok"}
        writer.write(_row("c"))

    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "c"]


def test_repair_of_a_file_that_is_all_torn(tmp_path: Path) -> None:
    out = tmp_path / "captions.jsonl"
    out.write_text('{"id": "a", "sta', encoding="utf-8")

    assert repair_jsonl(out) == len('{"id": "a", "sta')
    assert out.read_bytes() == b""


def test_last_row_per_id_wins(tmp_path: Path) -> None:
    out = tmp_path / "captions.jsonl"
    with open_writer(out) as writer:
        writer.write(_row("a", "failed"))
        writer.write(_row("b"))
        writer.write(_row("a", "ok", "A blue door."))

    rows = read_rows(out)
    assert {k: r["status"] for k, r in rows.items()} == {"a": "ok", "b": "ok"}
    assert rows["a"]["scenes"][0]["caption"] == "A blue door."


def test_parquet_is_built_from_its_journal(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "captions.parquet"
    with open_writer(out) as writer:
        writer.write(_row("a", "failed"))
        writer.write(_row("a"))
        writer.write(_row("b"))

    table = pq.read_table(out).to_pylist()
    assert sorted((r["id"], r["status"]) for r in table) == [("a", "ok"), ("b", "ok")]
    # the people columns are null for rows captioned with characters off, the notes and
    # candidates for rows captioned in one pass
    clip = {
        "start": 0.0,
        "end": 4.0,
        "caption": "A red door.",
        "faces": None,
        "identities": None,
        "notes": None,
        "candidates": None,
    }
    assert table[0]["scenes"] == [clip]
    assert journal_path(out).exists()


def test_parquet_without_journal_seeds_one_and_resumes(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    out = tmp_path / "captions.parquet"
    with open_writer(out) as writer:
        writer.write(_row("a"))
    journal_path(out).unlink()

    with open_writer(out) as writer:
        assert writer.status == {"a": "ok"}
        writer.write(_row("b"))

    rows = read_rows(out)
    assert sorted(rows) == ["a", "b"]
    assert rows["a"]["timings"] == {"probe": 0.01, "total": 0.5}


def test_unknown_output_suffix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="jsonl or \\*.parquet"):
        open_writer(tmp_path / "captions.csv")
