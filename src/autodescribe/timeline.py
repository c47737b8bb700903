"""The two clocks: programme time and the described video's time, and the freezes between them.

A cue with `extension > 0` stops the programme at its start for that many
seconds: the picture holds its frame and the programme audio pauses, the
narration plays, then the programme resumes. The canonical script keeps both
times per cue. Everything paired with the described video (its stem, WebVTT,
SRT and text alternative) is on the described clock, which is programme time
plus the freezes before it. Freezes fall on frame boundaries and last whole
frames, so picture and sound stay in step to the sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from autodescribe.types import Cue

ClockName = Literal["programme", "described"]


@dataclass(frozen=True)
class Freeze:
    at: float  # programme time where the picture stops
    seconds: float  # how long it stays stopped


def plan_freezes(cues: Sequence[Cue], frame: float) -> list[Freeze]:
    """One freeze per extended cue, snapped to whole frames; freezes at one point add up."""
    merged: dict[int, int] = {}
    for cue in cues:
        if cue.extension > 0:
            at = math.ceil(cue.start / frame - 1e-6)
            merged[at] = merged.get(at, 0) + math.ceil(cue.extension / frame - 1e-6)
    return [
        Freeze(at=round(at * frame, 6), seconds=round(frames * frame, 6))
        for at, frames in sorted(merged.items())
    ]


def frozen_seconds(freezes: Sequence[Freeze]) -> float:
    return round(sum(f.seconds for f in freezes), 6)


def to_output_time(t: float, freezes: Sequence[Freeze]) -> float:
    """Where programme time `t` lands in the output: after every freeze that starts before it."""
    return t + sum(f.seconds for f in freezes if f.at < t - 1e-9)


def output_cues(cues: Sequence[Cue], freezes: Sequence[Freeze]) -> list[Cue]:
    """The cues on the output timeline (a cue starting at a freeze starts with it)."""
    shifted = []
    for cue in cues:
        offset = to_output_time(cue.start, freezes) - cue.start
        shifted.append(replace(cue, start=cue.start + offset, end=cue.end + offset))
    return shifted


def output_freeze_spans(freezes: Sequence[Freeze]) -> list[tuple[float, float]]:
    """The freezes as (start, end) in output time: where the programme is still and silent."""
    spans = []
    before = 0.0
    for freeze in freezes:
        start = freeze.at + before
        spans.append((start, start + freeze.seconds))
        before += freeze.seconds
    return spans


def described_cues(cues: Sequence[Cue], frame: float) -> list[Cue]:
    """`cues` with their described-video times filled in (start, and end after the freeze)."""
    freezes = plan_freezes(cues, frame)
    return [
        replace(
            cue,
            described_start=round(to_output_time(cue.start, freezes), 3),
            described_end=round(
                to_output_time(cue.start, freezes) + cue.end - cue.start + cue.extension, 3
            ),
        )
        for cue in cues
    ]


def on_described_clock(cues: Sequence[Cue]) -> list[Cue]:
    """The cues as a player of the described video sees them: described times, no extension."""
    return [
        replace(
            cue,
            start=cue.described_start if cue.described_start is not None else cue.start,
            end=cue.described_end if cue.described_end is not None else cue.end,
            extension=0.0,
        )
        for cue in cues
    ]


def to_programme_time(t: float, freezes: Sequence[Freeze]) -> float:
    """Programme time of described-video time `t`; a moment inside a freeze is its start."""
    before = 0.0
    for freeze in freezes:
        start = freeze.at + before  # where this freeze begins on the described clock
        if t < start - 1e-9:
            break
        if t <= start + freeze.seconds + 1e-9:
            return freeze.at
        before += freeze.seconds
    return t - before


def to_programme_clock(cues: Sequence[Cue], freezes: Sequence[Freeze]) -> list[Cue]:
    """Cues read from a described-clock file, put back on programme time."""
    return [
        replace(
            cue,
            start=round(to_programme_time(cue.start, freezes), 3),
            end=round(
                max(to_programme_time(cue.end, freezes), to_programme_time(cue.start, freezes)), 3
            ),
            described_start=cue.start,
            described_end=cue.end,
        )
        for cue in cues
    ]


def freezes_from_cues(cues: Sequence[Cue]) -> list[Freeze]:
    """The freezes of cues that were rendered: each extended cue's, at its (frame-snapped) start."""
    return [Freeze(round(c.start, 6), c.extension) for c in cues if c.extension > 0]


def clock_note(clock: ClockName, video: str, freezes: Sequence[Freeze]) -> list[str]:
    """Lines saying which clock a text file is on, and the freezes that separate the two."""
    lines = [f"clock: {clock}", f"video: {video}"]
    if freezes:
        lines.append("freezes: " + " ".join(f"{f.at:.3f}+{f.seconds:.3f}" for f in freezes))
    return lines


def parse_clock_note(lines: Sequence[str]) -> tuple[ClockName, list[Freeze]] | None:
    """The clock and freezes of a note written by `clock_note`, else None."""
    fields = dict(line.partition(":")[::2] for line in lines if ":" in line)
    clock = fields.get("clock", "").strip()
    if clock not in ("programme", "described"):
        return None
    freezes = []
    for item in fields.get("freezes", "").split():
        at, _, seconds = item.partition("+")
        try:
            freezes.append(Freeze(float(at), float(seconds)))
        except ValueError:
            return None
    return ("described" if clock == "described" else "programme"), freezes
