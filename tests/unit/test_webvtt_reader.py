"""WebVTT reading beyond the WPT table: decoding, notes, cue text, and what gets a warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from autodescribe.errors import MediaError
from autodescribe.formats.webvtt import load_vtt, read_vtt, read_vtt_notes, write_vtt
from autodescribe.formats.webvtt_parser import plain_text
from autodescribe.types import Cue

TIMING = "00:00:00.000 --> 00:00:01.000"


def _vtt(tmp_path: Path, data: bytes | str, name: str = "s.vtt") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_nulls_become_replacement_characters(tmp_path: Path) -> None:
    path = _vtt(tmp_path, f"WEBVTT\n\n\0 id\n{TIMING}\na\0b\n")
    [cue] = load_vtt(path).cues
    assert (cue.identifier, cue.text) == ("\ufffd id", "a\ufffdb")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"s\.vtt line 1: not WebVTT: the file is empty"),
        ("\ufeff\ufeffWEBVTT\n".encode(), r"line 1: not WebVTT: .*found '\\ufeffWEBVTT'"),
        (b"WEBVTT\x0c\n", r"line 1: not WebVTT: 'WEBVTT' must be followed by a space"),
        (f"WEBVTT\r\n\r\n{TIMING}\r\ncaf\xe9\r\n".encode("latin-1"), r"line 4: not UTF-8 text"),
    ],
)
def test_unreadable_files_are_one_error_naming_the_line(
    tmp_path: Path, data: bytes, message: str
) -> None:
    with pytest.raises(MediaError, match=message):
        read_vtt(_vtt(tmp_path, data))


def test_the_notes_we_write_are_read_back_and_are_not_cues(tmp_path: Path) -> None:
    note = ["clock: described", "freezes: 1.5+2.0"]
    path = tmp_path / "a.ad.vtt"
    write_vtt([Cue(start=1.0, end=2.0, text="A door opens.")], path, note=note)
    assert read_vtt_notes(path) == note
    assert [c.text for c in read_vtt(path)] == ["A door opens."]


def test_a_note_line_right_above_a_timing_line_is_that_cues_id(tmp_path: Path) -> None:
    path = _vtt(tmp_path, f"WEBVTT\n\nNOTE kept\n\nNOTE not a note\n{TIMING}\nfoo\n")
    assert read_vtt_notes(path) == ["kept"]
    assert [(c.identifier, c.text) for c in load_vtt(path).cues] == [("NOTE not a note", "foo")]


@pytest.mark.parametrize(
    ("cue_text", "plain"),
    [
        ("<v Narrator>A door <i>slowly</i> opens.</v>", "A door slowly opens."),
        ("<v Bob\nSmith>Hi</v> there", "Hi there"),  # a tag may span lines
        ("3 &lt; 4 &amp;&amp; 5 &gt; 2", "3 < 4 && 5 > 2"),
        ("&lt;b&gt; stays text", "<b> stays text"),  # decoded text is not read as a tag
        ("&am<b>p; is not a reference", "&amp; is not a reference"),
        ("fish &amp chips", "fish & chips"),  # a legacy reference without `;`, as in HTML
        ("cut <here and the rest", "cut "),  # `<` without `>` runs to the end, as browsers do
        ("<00:00:01.500>karaoke <ruby>漢<rt>kan</rt></ruby>", "karaoke 漢kan"),
    ],
)
def test_cue_text_is_what_browsers_show(cue_text: str, plain: str) -> None:
    assert plain_text(cue_text) == plain


def test_text_outside_any_cue_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        "WEBVTT\nKind: descriptions\n\nSTYLE\n::cue { color: yellow }\n\n"
        f"stray words\n\n{TIMING}\nok\n\nSTYLE\n::cue {{ }}\n"
    )
    with caplog.at_level(logging.WARNING, logger="autodescribe.formats.webvtt"):
        assert [c.text for c in read_vtt(_vtt(tmp_path, text))] == ["ok"]
    assert [r.getMessage() for r in caplog.records] == [
        "s.vtt line 7: text without cue timings skipped ('stray words')"
    ]


def test_a_bad_timing_says_which_time_and_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = f"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02,500\nbad\n\n2\n{TIMING}\ngood\n"
    with caplog.at_level(logging.WARNING, logger="autodescribe.formats.webvtt"):
        assert [c.text for c in read_vtt(_vtt(tmp_path, text))] == ["good"]
    assert caplog.records[0].getMessage() == (
        "s.vtt line 4: cue skipped: bad timing '00:00:01.000 --> 00:00:02,500' "
        "(end time: expected '.' before the milliseconds)"
    )
