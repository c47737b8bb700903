"""WebVTT: `NAME.ad.vtt`, for `<track kind="descriptions">` in web players.

Cue text is escaped as the WebVTT spec asks (`&`, `<`, `>` become character
references, which also keeps a literal `-->` out of the payload). A blank line
ends a cue, so blank lines inside a description are dropped.

Reading runs the spec's parser algorithm (`webvtt_parser`), so a file gives the
cues a browser shows: a wrong signature is one error naming line 1; a cue with
a malformed timing line is skipped with a warning naming its line, as browsers
skip it; ids, settings, STYLE/REGION and NOTE blocks are read and dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from autodescribe.errors import MediaError
from autodescribe.formats import format_timestamp, text_lines
from autodescribe.formats.webvtt_parser import (
    SignatureError,
    VttDocument,
    parse_webvtt,
    plain_text,
)
from autodescribe.types import Cue
from autodescribe.util.cache import write_atomic

log = logging.getLogger(__name__)

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


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
    """Cues of a WebVTT file as browsers read it, text without tags and with references decoded."""
    document = load_vtt(path)
    for problem in document.problems:
        log.warning("%s line %d: %s", path.name, problem.line, problem.message)
    return [Cue(start=c.start, end=c.end, text=plain_text(c.text)) for c in document.cues]


def read_vtt_notes(path: Path) -> list[str]:
    """The lines of every NOTE block (a NOTE block's own first line included, minus `NOTE`)."""
    lines: list[str] = []
    for _, comment in load_vtt(path).comments:
        first, *rest = comment.split("\n")
        lines += [first[4:].strip(), *rest]
    return [line for line in lines if line]


def load_vtt(path: Path) -> VttDocument:
    """The parsed file: cues with ids and raw text, NOTE blocks, and what a browser skips.

    Raises MediaError, naming the line, when the file is not UTF-8 or lacks the signature.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"cannot read script {path} ({exc.strerror})", "check the path") from exc
    try:
        return parse_webvtt(_decode(data, path.name))
    except SignatureError as exc:
        raise MediaError(
            f"{path.name} line 1: not WebVTT: {exc.reason}",
            "make the first line WEBVTT, optionally followed by a space and a title",
        ) from exc


def _decode(data: bytes, name: str) -> str:
    """UTF-8 text, one leading byte order mark removed, as the spec decodes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = len(_LINE_BREAK.split(data[: exc.start]))
        raise MediaError(
            f"{name} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8 and try again",
        ) from exc


def _escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
