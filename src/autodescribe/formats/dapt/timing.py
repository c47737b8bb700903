"""TTML2 time expressions and intervals, as DAPT constrains them (§ Timing constraints).

Every timed element is a parallel time container: its `begin` and `end` count
from its parent's begin, `dur` from its own begin, and it ends no later than
its parent. Clock times (`01:02:03.250`) and offsets (`12.5s`, `300ms`, `2m`,
`1h`, `25f`, `48000t`) are read, and so are TTML2's clock times with frames
(`01:02:03:12`, sub-frames after a dot), which DAPT forbids in its documents
but other tools still write. Frames need `ttp:frameRate` (with
`ttp:frameRateMultiplier`, `ttp:subFrameRate`) on `<tt>` and ticks
`ttp:tickRate`, as DAPT requires: without them a frame or a tick has no agreed
length, and TTML2's defaults (30 fps) would silently misplace every cue.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from autodescribe.formats.dapt.names import TTP, q
from autodescribe.formats.dapt.tree import Document

_CLOCK = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d|60)(?:(\.\d+)|:(\d{2,})(?:\.(\d+))?)?$")
_OFFSET = re.compile(r"^(\d+(?:\.\d+)?)(h|ms|m|s|f|t)$")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_TIME_HINT = "write times as 00:00:01.500 or 1.5s"


@dataclass(frozen=True)
class Rates:
    """What a frame, a sub-frame and a tick last: `None` when the document does not say."""

    frame_rate: float | None = None
    sub_frame_rate: float = 1.0
    tick_rate: float | None = None

    @classmethod
    def of(cls, doc: Document) -> Rates:
        root = doc.root
        rate = _positive(doc, root, "frameRate")
        multiplier = root.get(q(TTP, "frameRateMultiplier"))
        if rate is not None and multiplier is not None:
            parts = multiplier.split()
            if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
                raise doc.error(root, f"ttp:frameRateMultiplier {multiplier!r} is not two numbers")
            rate *= int(parts[0]) / int(parts[1])
        sub_frames = _positive(doc, root, "subFrameRate") or 1.0
        return cls(rate, sub_frames, _positive(doc, root, "tickRate"))


def parse_time(text: str, rates: Rates | None = None) -> float:
    """Seconds from a TTML clock time or offset time; ValueError says what is wrong."""
    rates = rates or Rates()
    value = text.strip()
    clock = _CLOCK.match(value)
    if clock:
        hours, minutes, seconds, fraction, frames, sub_frames = clock.groups()
        total = float(int(hours) * 3600 + int(minutes) * 60 + int(seconds))
        if fraction:
            total += float(fraction)
        if frames:
            frame_rate = _needed(rates.frame_rate, "frames", "ttp:frameRate")
            count = int(frames) + (int(sub_frames) / rates.sub_frame_rate if sub_frames else 0.0)
            total += count / frame_rate
        return total
    offset = _OFFSET.match(value)
    if offset:
        number, unit = float(offset.group(1)), offset.group(2)
        if unit in _SECONDS:
            return number * _SECONDS[unit]
        if unit == "f":
            return number / _needed(rates.frame_rate, "frames", "ttp:frameRate")
        return number / _needed(rates.tick_rate, "ticks", "ttp:tickRate")
    raise ValueError("not a TTML time expression")


@dataclass(frozen=True)
class Interval:
    """Absolute seconds on the programme's timeline; `end` is None while indefinite."""

    begin: float
    end: float | None


def interval(doc: Document, element: ET.Element, parent: Interval, rates: Rates) -> Interval:
    """`element`'s active interval inside `parent`, per TTML2's parallel timing."""
    begin_offset = _time(doc, element, "begin", rates)
    end_offset = _time(doc, element, "end", rates)
    dur = _time(doc, element, "dur", rates)
    begin = parent.begin + (begin_offset or 0.0)
    ends = [parent.begin + end_offset] if end_offset is not None else []
    if dur is not None:
        ends.append(begin + dur)
    if parent.end is not None:
        ends.append(parent.end)
    return Interval(begin, min(ends) if ends else None)


def has_timing(element: ET.Element) -> bool:
    return any(element.get(name) is not None for name in ("begin", "end", "dur"))


def _time(doc: Document, element: ET.Element, name: str, rates: Rates) -> float | None:
    raw = element.get(name)
    if raw is None:
        return None
    try:
        return parse_time(raw, rates)
    except ValueError as exc:
        raise doc.error(element, f"{name}={raw!r} is {exc}", _TIME_HINT) from exc


def _needed(rate: float | None, what: str, attribute: str) -> float:
    if rate is None:
        raise ValueError(f"counted in {what}, but <tt> has no {attribute} (DAPT requires one)")
    return rate


def _positive(doc: Document, root: ET.Element, name: str) -> float | None:
    raw = root.get(q(TTP, name))
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise doc.error(root, f"ttp:{name}={raw!r} is not a positive number")
    return value
