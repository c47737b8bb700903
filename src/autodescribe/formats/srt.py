"""SubRip: `NAME.ad.srt`, for players and editors that know no WebVTT.

SRT has no escaping: text is written as is, and on reading only its
formatting tags (`<i>`, `<b>`, `<u>`, `<s>`, `<font ...>`, `{\\an8}`) are
removed, so a literal `<`, `&` or `-->` inside a description survives. A blank
line ends a cue, so blank lines inside a description are dropped.

Reading follows what VLC, ffmpeg and pysrt agree on. Cue numbers are optional
and never trusted; a timing line is `H:MM:SS,mmm --> H:MM:SS,mmm` with a comma
or a dot, any number of digits in each field, the digits after the comma read
as whole milliseconds (`,5` is 5 ms, as all three read it), and anything after
the end time (position coordinates) ignored. A timing line also starts a new
cue when the blank line before it is missing, as in ffmpeg, and a cue number
right above it is then dropped. Text with no timing line above it, or under a
malformed one, is skipped with a warning naming its line; a file in which no
cue can be read at all is one error naming the first such line. UTF-8 (with or
without a byte order mark) and UTF-16 with a byte order mark are read.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autodescribe.errors import MediaError
from autodescribe.formats import format_timestamp, text_lines
from autodescribe.types import Cue
from autodescribe.util.cache import write_atomic

log = logging.getLogger(__name__)

_TIME = r"(\d+):(\d+):(\d+)[,.](\d+)"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_CUE_NUMBER = re.compile(r"^\s*\d+\s*$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FORMATTING = re.compile(
    r"</?(?:i|b|u|s)>|<font(?:[ \t][^<>]*)?>|</font>|\{\\[^{}]*\}", re.IGNORECASE
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_TIMING_HINT = "write it as 00:00:01,000 --> 00:00:02,500"


def write_srt(cues: Sequence[Cue], path: Path) -> None:
    """Write cues as SRT, numbered from 1, timestamps `HH:MM:SS,mmm`."""
    parts: list[str] = []
    for number, cue in enumerate(cues, start=1):
        parts.append(str(number))
        parts.append(f"{format_timestamp(cue.start, ',')} --> {format_timestamp(cue.end, ',')}")
        parts.extend(text_lines(cue.text))
        parts.append("")
    write_atomic(path, "\n".join(parts) + ("\n" if parts else ""))


def read_srt(path: Path) -> list[Cue]:
    """Cues of an SRT file as common players read it; file order is kept."""
    lines = _LINE_BREAK.split(_decode(path))
    cues, problems = _SrtParser().parse(lines)
    if not cues and problems:
        line, message = problems[0]
        raise MediaError(
            f"{path.name} line {line}: {message}; no cue could be read",
            "give each cue a timing line such as 00:00:01,000 --> 00:00:02,500 above its text",
        )
    for line, message in problems:
        log.warning("%s line %d: %s", path.name, line, message)
    return cues


@dataclass
class _OpenCue:
    start: float
    end: float
    text: list[str] = field(default_factory=list)

    def close(self) -> Cue:
        return Cue(start=self.start, end=self.end, text=_FORMATTING.sub("", "\n".join(self.text)))


@dataclass
class _SrtParser:
    """One pass over the lines: a timing line opens a cue, a blank line closes it."""

    cues: list[Cue] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    cue: _OpenCue | None = None
    stray: list[tuple[int, str]] = field(default_factory=list)  # lines outside any cue

    def parse(self, lines: list[str]) -> tuple[list[Cue], list[tuple[int, str]]]:
        for number, line in enumerate(lines, start=1):
            timing = _TIMING.match(line)
            if timing:
                self._end_cue(before_timing=True)
                self.cue = _OpenCue(*_seconds(timing.groups()))
            elif not line.strip():
                self._end_cue(before_timing=False)
            elif self.cue is not None:
                self.cue.text.append(line.rstrip())
            else:
                self.stray.append((number, line))
        self._end_cue(before_timing=False)
        return self.cues, self.problems

    def _end_cue(self, before_timing: bool) -> None:
        if self.cue is not None:
            if before_timing and self.cue.text and _CUE_NUMBER.match(self.cue.text[-1]):
                self.cue.text.pop()  # the next cue's number, its blank line missing
            self.cues.append(self.cue.close())
            self.cue = None
        stray, self.stray = self.stray, []
        if before_timing and stray and "-->" not in stray[-1][1]:
            stray.pop()  # the line right above a timing line is its number or label
        while stray and _CUE_NUMBER.match(stray[-1][1]):
            stray.pop()  # a cue number on its own is no loss
        if stray:
            self.problems.append(_stray_problem(stray))


def _stray_problem(stray: list[tuple[int, str]]) -> tuple[int, str]:
    for number, line in stray[:2]:
        if "-->" in line:
            return number, f"cue skipped: bad timing {line.strip()!r} ({_TIMING_HINT})"
    number, line = stray[0]
    return number, f"text without a timing line skipped ({line.strip()[:40]!r})"


def _seconds(fields: Sequence[str]) -> tuple[float, float]:
    """Start and end from the eight numbers of a timing line; the fractions are milliseconds."""
    h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(value) for value in fields)
    start = (h1 * 3600 + m1 * 60 + s1) * 1000 + ms1
    end = (h2 * 3600 + m2 * 60 + s2) * 1000 + ms2
    return start / 1000, end / 1000


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"cannot read script {path} ({exc.strerror})", "check the path") from exc
    utf16 = data.startswith(_UTF16_BOMS)
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as exc:
        if utf16:
            raise MediaError(f"{path.name} is not valid UTF-16 text", "save it as UTF-8") from exc
        line = len(re.split(rb"\r\n|\r|\n", data[: exc.start]))
        raise MediaError(
            f"{path.name} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8 and try again",
        ) from exc
