"""SRT reading agrees with pysrt (and VLC and ffmpeg) on the hand-edited files players accept."""

from __future__ import annotations

import logging
from pathlib import Path

import pysrt
import pytest

from autodescribe.errors import MediaError
from autodescribe.formats.srt import read_srt

SRT_CASES: dict[str, str] = {
    "plain": (
        "1\n00:00:01,000 --> 00:00:02,500\nHello.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nTwo\nlines.\n"
    ),
    "bom_and_crlf": (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\nHello.\r\n\r\n"
        "2\r\n00:00:03,000 --> 00:00:04,000\r\nAgain.\r\n"
    ),
    "cr_only": (
        "1\r00:00:01,000 --> 00:00:02,000\rOld Mac.\r\r2\r00:00:03,000 --> 00:00:04,000\rEnd.\r"
    ),
    "dots_for_commas": "1\n00:00:01.250 --> 00:00:02.750\nDots.\n",
    "no_numbers": "00:00:01,000 --> 00:00:02,000\nOne.\n\n00:00:03,000 --> 00:00:04,000\nTwo.\n",
    "wrong_numbers": (
        "7\n00:00:01,000 --> 00:00:02,000\nSeven.\n\n7\n00:00:03,000 --> 00:00:04,000\n"
        "Seven again.\n\n0\n00:00:05,000 --> 00:00:06,000\nZero.\n"
    ),
    "extra_blank_lines": (
        "\n\n\n1\n00:00:01,000 --> 00:00:02,000\nOne.\n\n\n\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nTwo.\n\n\n"
    ),
    "no_final_newline": "1\n00:00:01,000 --> 00:00:02,000\nNo newline at the end.",
    "trailing_spaces": (
        "1  \n00:00:01,000 --> 00:00:02,000   \nSpaces after.   \n   \n"
        "2\n00:00:03,000 --> 00:00:04,000\nNext.\n"
    ),
    "positions": "1\n00:00:01,000 --> 00:00:02,000 X1:100 X2:600 Y1:20 Y2:80\nPlaced.\n",
    "arrow_in_text": "1\n00:00:01,000 --> 00:00:02,000\nThe sign reads: EXIT --> LEFT\n",
    "short_fractions": "1\n0:0:1,5 --> 0:0:2,75\nFive and seventy-five ms.\n",
    "long_hours": "1\n100:00:00,000 --> 100:00:01,000\nA hundred hours in.\n",
    "empty_text": (
        "1\n00:00:01,000 --> 00:00:02,000\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nAfter an empty cue.\n"
    ),
    "blank_line_inside_text": (
        "1\n00:00:01,000 --> 00:00:02,000\nFirst paragraph.\n\nLost second paragraph.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nNext.\n"
    ),
    "bad_timing_among_good": (
        "1\n00:00:01,000 --> soon\nSkipped.\n\n2\n00:01,000 --> 00:02,000\nNo hours: skipped.\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\nKept.\n"
    ),
    "formatting_tags": "1\n00:00:01,000 --> 00:00:02,000\n<i>Rain</i> on the <b>glass</b>.\n",
}


def _ours(path: Path) -> list[tuple[int, int, str]]:
    return [(round(c.start * 1000), round(c.end * 1000), c.text) for c in read_srt(path)]


def _pysrt(path: Path) -> list[tuple[int, int, str]]:
    return [(i.start.ordinal, i.end.ordinal, i.text_without_tags) for i in pysrt.open(str(path))]


@pytest.mark.parametrize("name", sorted(SRT_CASES))
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_cues_agree_with_pysrt(name: str, encoding: str, tmp_path: Path) -> None:
    text = SRT_CASES[name]
    if encoding == "utf-16":
        text = text.removeprefix("\ufeff")  # the utf-16 codec writes its own byte order mark
    path = tmp_path / f"{name}.srt"
    path.write_bytes(text.encode(encoding))
    assert _ours(path) == _pysrt(path)
    assert _ours(path)  # every case has a cue to compare


def test_what_the_cases_read_as(tmp_path: Path) -> None:
    """Spot checks of the shared answers, so an agreement on nonsense cannot pass."""
    read = {}
    for name in ["short_fractions", "trailing_spaces", "bad_timing_among_good", "empty_text"]:
        path = tmp_path / f"{name}.srt"
        path.write_text(SRT_CASES[name], encoding="utf-8")
        read[name] = _ours(path)
    assert read["short_fractions"] == [(1005, 2075, "Five and seventy-five ms.")]
    assert read["trailing_spaces"] == [(1000, 2000, "Spaces after."), (3000, 4000, "Next.")]
    assert read["bad_timing_among_good"] == [(5000, 6000, "Kept.")]
    assert read["empty_text"] == [(1000, 2000, ""), (3000, 4000, "After an empty cue.")]


def test_a_missing_blank_line_between_cues_starts_a_new_cue_as_in_ffmpeg(
    tmp_path: Path,
) -> None:
    # pysrt reads this as one cue whose text swallows the second; players show two.
    path = tmp_path / "tight.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nOne.\n2\n00:00:03,000 --> 00:00:04,000\nTwo.\n"
        "00:00:05,000 --> 00:00:06,000\nThree, number and blank line both missing.\n",
        encoding="utf-8",
    )
    assert _ours(path) == [
        (1000, 2000, "One."),
        (3000, 4000, "Two."),
        (5000, 6000, "Three, number and blank line both missing."),
    ]


def test_skipped_text_is_named_by_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "s.srt"
    path.write_text(
        SRT_CASES["blank_line_inside_text"] + "\n" + SRT_CASES["bad_timing_among_good"],
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="autodescribe.formats.srt"):
        assert [c.text for c in read_srt(path)] == ["First paragraph.", "Next.", "Kept."]
    assert [r.getMessage() for r in caplog.records] == [
        "s.srt line 5: text without a timing line skipped ('Lost second paragraph.')",
        "s.srt line 12: cue skipped: bad timing '00:00:01,000 --> soon' "
        "(write it as 00:00:01,000 --> 00:00:02,500)",
        "s.srt line 16: cue skipped: bad timing '00:01,000 --> 00:02,000' "
        "(write it as 00:00:01,000 --> 00:00:02,500)",
    ]


def test_a_label_above_the_timing_line_is_dropped_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "labels.srt"
    path.write_text(
        "intro\n00:00:01,000 --> 00:00:02,000\nHello.\n\n"
        "stray note\nscene-2\n00:00:03,000 --> 00:00:04,000\nAgain.\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="autodescribe.formats.srt"):
        ours = _ours(path)
    assert ours == [(1000, 2000, "Hello."), (3000, 4000, "Again.")]
    assert _pysrt(path) == ours[:1]  # pysrt drops the second: two lines above its timing
    assert [r.getMessage() for r in caplog.records] == [
        "labels.srt line 5: text without a timing line skipped ('stray note')"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"1\n00:00:01,000 --> soon\nHello\n", r"x\.srt line 2: cue skipped: bad timing"),
        (b"Just some notes.\nNo cues here.\n", r"x\.srt line 1: text without a timing line"),
        (b"1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9\n", r"x\.srt line 3: not UTF-8 text"),
    ],
)
def test_a_file_with_no_readable_cue_is_one_error_naming_the_line(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "x.srt"
    path.write_bytes(data)
    with pytest.raises(MediaError, match=message):
        read_srt(path)


def test_an_empty_file_has_no_cues(tmp_path: Path) -> None:
    path = tmp_path / "empty.srt"
    path.write_bytes(b"\n\n")
    assert read_srt(path) == []
