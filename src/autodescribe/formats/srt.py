"""SubRip: `NAME.ad.srt`, for players and editors that know no WebVTT.

SRT has no escaping: text is written as is, and on reading only its
formatting tags (`<i>`, `<b>`, `<u>`, `<s>`, `<font ...>`, `{\\an8}`) are
removed, so a literal `<`, `&` or `-->` inside a description survives. A blank
line ends a cue, so blank lines inside a description are dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from autodescribe.errors import MediaError
from autodescribe.formats import (
    format_timestamp,
    parse_timestamp,
    read_text,
    text_blocks,
    text_lines,
)
from autodescribe.types import Cue
from autodescribe.util.cache import write_atomic

log = logging.getLogger(__name__)

_TIMING = re.compile(r"^\s*(\S+)[ \t]*-->[ \t]*(\S+)(?:[ \t]+.*)?$")
_FORMATTING = re.compile(
    r"</?(?:i|b|u|s)>|<font(?:[ \t][^<>]*)?>|</font>|\{\\[^{}]*\}", re.IGNORECASE
)


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
    """Cues of an SRT file; the numbers are not trusted, file order is kept."""
    cues: list[Cue] = []
    for line_no, block in text_blocks(read_text(path).split("\n")):
        timing_at = 0 if _TIMING.match(block[0]) else 1
        if timing_at >= len(block) or not _TIMING.match(block[timing_at]):
            log.warning("%s line %d: block without timings skipped", path.name, line_no)
            continue
        start, end = _parse_timing(block[timing_at], path, line_no + timing_at)
        text = _FORMATTING.sub("", "\n".join(block[timing_at + 1 :]))
        cues.append(Cue(start=start, end=end, text=text))
    return cues


def _parse_timing(line: str, path: Path, line_no: int) -> tuple[float, float]:
    match = _TIMING.match(line)
    try:
        if not match:
            raise ValueError(line)
        return parse_timestamp(match.group(1)), parse_timestamp(match.group(2))
    except ValueError as exc:
        raise MediaError(
            f"{path.name} line {line_no}: bad timing {line.strip()!r}",
            "write it as 00:00:01,000 --> 00:00:02,500",
        ) from exc
