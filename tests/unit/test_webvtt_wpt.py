"""WebVTT reading agrees with browsers on the web-platform-tests `webvtt/parsing` files.

Each file in tests/data/webvtt/ comes from web-platform-tests (see its README).
The table gives what a browser's `track.cues` holds for it: the count, and per
cue its id, start and end seconds and `text`. Counts and every value a WPT
test asserts are copied from that test; the values it leaves unasserted (most
times and ids) are as written in the file. `ERROR` marks a file whose track
must fail to load (the `signature-invalid` test).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from autodescribe.errors import MediaError
from autodescribe.formats.webvtt import load_vtt, read_vtt

DATA = Path(__file__).resolve().parents[1] / "data" / "webvtt"

ExpectedCue = tuple[str, float, float, str]  # id, start, end, text (raw, as `VTTCue.text`)
ERROR = None


def _same(count: int, text: str, start: float = 0.0, end: float = 1.0) -> list[ExpectedCue]:
    return [("", start, end, text)] * count


def _numbered(texts: range, start: float = 0.0, end: float = 1.0) -> list[ExpectedCue]:
    return [("", start, end, f"text{n}") for n in texts]


NO_REGION = '"no region"'
WPT_CASES: dict[str, list[ExpectedCue] | None] = {
    # blocks, ids and the `-->` rules
    "arrows": _numbered(range(1, 7)),
    "ids": [
        (" leading space", 0, 1, "text1"),
        ("trailing space ", 0, 1, "text2"),
        ("-- >", 0, 1, "text3"),
        ("->", 0, 1, "text4"),
        (" ", 0, 1, "text5"),
    ],
    "snap-to-line": [
        ("NOTE set line as percentage would make 'snap-to-line' to false", 0, 5, "foo")
    ],
    "comment-in-cue-text": [("", 0, 1, "NOTE text"), ("", 1, 2, "NOTE text\nNOTE text2")],
    "whitespace-chars": [
        ("spaces", 0, 1, "   text1"),
        ("tabs", 0, 1, "text2"),
        ("form feed", 0, 1, "text3"),
    ],
    "newlines": [
        ("cr", 0, 1, "text0"),
        ("lf", 0, 1, "text1"),
        ("crlf", 0, 1, "text2"),
        ("lfcr", 0, 1, "text3"),
    ],
    # the header block
    "header-garbage": _same(1, "text"),
    "header-space": _same(1, "text"),
    "header-tab": _same(1, "text"),
    "header-timings": _same(1, "text"),
    "header-regions": [
        *_same(4, NO_REGION, 0, 2.5),
        ("", 3, 4, "{}"),
        (
            "",
            4,
            5,
            '{"width":32,"lines":5,"regionAnchorX":41,"regionAnchorY":20,'
            '"viewportAnchorX":31,"viewportAnchorY":84,"scroll":"up"}',
        ),
        (
            "",
            5,
            6,
            '{"regionAnchorX":41.125,"regionAnchorY":20.25,'
            '"viewportAnchorX":32.75,"viewportAnchorY":32.5}',
        ),
        ("", 6, 7, '{"width":67}'),
        ("", 7, 8, NO_REGION),
    ],
    # the signature line
    "signature-bom": [],
    "signature-no-newline": [],
    "signature-space": [],
    "signature-space-no-newline": [],
    "signature-tab": [],
    "signature-tab-no-newline": [],
    "signature-timings": [],
    "signature-lowercase": ERROR,
    "signature-missing": ERROR,
    "signature-missing-whitespace": ERROR,
    "signature-partial": ERROR,
    # timestamps
    "timings-omitted-hours": _numbered(range(1, 4)),
    "timings-too-long": _numbered(range(1, 3)),
    "timings-too-short": _numbered(range(1, 3)),
    "timings-60": [("", 0, 216001, "text1"), ("", 216000, 216001, "text2")],
    "timings-negative": [
        ("", 0, 0, "text1"),
        ("", 1, 0.999, "text2"),
        ("", 60, 59.999, "text3"),
        ("", 3600, 3599.999, "text4"),
    ],
    "timings-garbage": [],
    "timings-eof": [],
    # cue settings
    "settings-multiple": [("id1", 0, 1, "text1"), ("id2", 0, 1, "text2")],
    "settings-vertical": [*_numbered(range(1, 5)), *_same(4, "invalid")],
    # STYLE and REGION blocks
    "stylesheets-newlines": [("foo", 0, 1, "text"), ("bar", 0, 1, "text")],
    "regions-old": _numbered(range(1, 3)),
    "regions-id": _same(4, "valid"),
    "regions-lines": _same(13, "text"),
}


def test_the_table_covers_every_data_file() -> None:
    assert sorted(p.stem for p in DATA.glob("*.vtt")) == sorted(WPT_CASES)


@pytest.mark.parametrize("name", sorted(WPT_CASES))
def test_wpt_case_reads_as_browsers_do(name: str) -> None:
    path = DATA / f"{name}.vtt"
    expected = WPT_CASES[name]
    if expected is ERROR:
        with pytest.raises(MediaError, match=rf"{name}\.vtt line 1: not WebVTT"):
            read_vtt(path)
        return
    parsed = [(c.identifier, c.start, c.end, c.text) for c in load_vtt(path).cues]
    assert parsed == expected
    # read_vtt gives the same cues; none of these texts holds a tag or a reference.
    assert [(c.start, c.end, c.text) for c in read_vtt(path)] == [e[1:] for e in expected]


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("arrows", [3, 6, 9, 12, 15, 21, 23, 25, 27]),
        ("timings-60", [3, 6, 9, 12]),
        ("timings-eof", [3]),
        ("whitespace-chars", [16]),
    ],
)
def test_skipped_cues_are_named_by_line(
    name: str, lines: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="autodescribe.formats.webvtt"):
        read_vtt(DATA / f"{name}.vtt")
    warned = [r.getMessage() for r in caplog.records]
    assert [int(m.split(" line ")[1].split(":")[0]) for m in warned] == lines
    assert all("cue skipped: bad timing" in m for m in warned)
