"""Description scripts on disk: the canonical JSON, WebVTT and SRT.

`read_cues` picks the reader from the file's suffix, so `render --script` and
`check --script` accept a script in any of them. The timestamp helpers are
shared: every format stores whole milliseconds.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from autodescribe.errors import MediaError
from autodescribe.timeline import ClockName, Freeze, freezes_from_cues, parse_clock_note
from autodescribe.types import Cue

# suffix -> "module:function" returning list[Cue]; imported on first use.
CUE_READERS: dict[str, str] = {
    ".json": "autodescribe.formats.script_json:read_cues",
    ".vtt": "autodescribe.formats.webvtt:read_vtt",
    ".srt": "autodescribe.formats.srt:read_srt",
    ".ttml": "autodescribe.formats.dapt:read_dapt",
    ".dapt": "autodescribe.formats.dapt:read_dapt",
    ".xml": "autodescribe.formats.dapt:read_dapt",  # DAPT's own examples are .xml
}

_TIMESTAMP = re.compile(r"^(?:(\d+):)?([0-5]\d):([0-5]\d)[.,](\d{1,3})$")


def read_cues(path: Path) -> list[Cue]:
    """Cues from a script file in any supported format, chosen by suffix."""
    suffix = path.suffix.lower()
    if suffix not in CUE_READERS:
        known = ", ".join(sorted(CUE_READERS))
        raise MediaError(f"unknown script format '{suffix or path.name}'", f"use one of: {known}")
    module_name, _, attr = CUE_READERS[suffix].partition(":")
    reader: Callable[[Path], list[Cue]] = getattr(importlib.import_module(module_name), attr)
    return reader(path)


def read_clock(path: Path, cues: list[Cue]) -> tuple[ClockName, list[Freeze]]:
    """Which clock a script file's `cues` are on, and the freezes between the two clocks.

    Our WebVTT says so in a NOTE. A file that cannot say (SRT, or a VTT without
    the note) is matched against `NAME.script.json` beside it: times equal to its
    described times mean the described clock. Anything else is programme time.
    """
    if path.suffix.lower() == ".vtt":
        from autodescribe.formats.webvtt import read_vtt_notes

        found = parse_clock_note(read_vtt_notes(path))
        if found is not None:
            return found
    if path.suffix.lower() in (".vtt", ".srt"):
        return _clock_from_sibling(path, cues)
    return "programme", []


def _clock_from_sibling(path: Path, cues: list[Cue]) -> tuple[ClockName, list[Freeze]]:
    from autodescribe.formats.script_json import read_script

    name = path.name.split(".")[0]
    sibling = path.with_name(f"{name}.script.json")
    if not sibling.is_file() or not cues:
        return "programme", []
    try:
        script = read_script(sibling)
    except MediaError:
        return "programme", []
    described = {round(c.described_start or -1.0, 3) for c in script.cues}
    freezes = freezes_from_cues(script.cues)
    matching = sum(round(c.start, 3) in described for c in cues)
    if freezes and matching * 2 > len(cues):
        return "described", freezes
    return "programme", []


def format_timestamp(seconds: float, separator: str = ".") -> str:
    """`HH:MM:SS.mmm` (or `,mmm` for SRT), rounded to the nearest millisecond."""
    millis = max(round(seconds * 1000), 0)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def parse_timestamp(text: str) -> float:
    """Seconds from `[HH:]MM:SS.mmm` or `HH:MM:SS,mmm`; raises ValueError when malformed."""
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise ValueError(f"not a timestamp: {text!r}")
    hours, minutes, secs, frac = match.groups()
    millis = int(frac.ljust(3, "0"))
    total = (int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)) * 1000 + millis
    return total / 1000


def read_text(path: Path) -> str:
    """A text script as str, with a clear error for a missing or non-UTF-8 file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"cannot read script {path} ({exc.strerror})", "check the path") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MediaError(
            f"{path.name} is not UTF-8 text", "save it as UTF-8 and try again"
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines, each with the 1-based number of its first line."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def text_lines(text: str) -> list[str]:
    """A cue's text as payload lines; blank lines would end the cue, so they go."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [line for line in lines if line.strip()]
