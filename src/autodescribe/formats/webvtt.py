"""WebVTT: `NAME.ad.vtt`, for `<track kind="descriptions">` in web players.

Cue text is escaped as the WebVTT spec asks (`&`, `<`, `>` become character
references, which also keeps a literal `-->` out of the payload). A blank line
ends a cue, so blank lines inside a description are dropped.
"""

from __future__ import annotations

import html
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

_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_TIMING = re.compile(r"^\s*(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+.*)?$")
_TAG = re.compile(r"<[^>\n]*>")
_SKIPPED_BLOCKS = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t].*)?$")


def write_vtt(cues: Sequence[Cue], path: Path, note: Sequence[str] = ()) -> None:
    """Write cues as WebVTT, numbered from 1, timestamps to the millisecond.

    `note` lines go into a NOTE block first (players ignore it): which clock the
    times are on, so a reader can tell a described-video file from a programme one.
    """
    parts = ["WEBVTT", ""]
    if note:
        parts += ["NOTE", *(line.replace("-->", "->") for line in note), ""]
    for number, cue in enumerate(cues, start=1):
        parts.append(str(number))
        parts.append(f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}")
        parts.extend(_escape(line) for line in text_lines(cue.text))
        parts.append("")
    write_atomic(path, "\n".join(parts))


def read_vtt(path: Path) -> list[Cue]:
    """Cues of a WebVTT file: ids, cue settings, tags and NOTE/STYLE blocks are dropped."""
    text = read_text(path)
    blocks = list(text_blocks(text.split("\n")))
    if not blocks or not _HEADER.match(blocks[0][1][0]):
        raise MediaError(
            f"{path.name} is not WebVTT (it must start with 'WEBVTT')", "check the file"
        )
    cues: list[Cue] = []
    for line_no, block in blocks[1:]:
        if _SKIPPED_BLOCKS.match(block[0]):
            continue
        timing_at = 0 if "-->" in block[0] else 1
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            log.warning("%s line %d: block without cue timings skipped", path.name, line_no)
            continue
        start, end = _parse_timing(block[timing_at], path, line_no + timing_at)
        payload = "\n".join(block[timing_at + 1 :])
        cues.append(Cue(start=start, end=end, text=html.unescape(_TAG.sub("", payload))))
    return cues


def read_vtt_notes(path: Path) -> list[str]:
    """The lines of every NOTE block (a NOTE block's own first line included, minus `NOTE`)."""
    lines: list[str] = []
    for _, block in text_blocks(read_text(path).split("\n")):
        if block[0].startswith("NOTE") and block[0][4:5] in ("", " ", "\t"):
            lines += [block[0][4:].strip(), *block[1:]]
    return [line for line in lines if line]


def _escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _parse_timing(line: str, path: Path, line_no: int) -> tuple[float, float]:
    match = _TIMING.match(line)
    try:
        if not match:
            raise ValueError(line)
        return parse_timestamp(match.group(1)), parse_timestamp(match.group(2))
    except ValueError as exc:
        raise MediaError(
            f"{path.name} line {line_no}: bad cue timing {line.strip()!r}",
            "write it as 00:00:01.000 --> 00:00:02.500",
        ) from exc
