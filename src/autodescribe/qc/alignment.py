"""Is a script on its stem's timeline? Each cue against where its narration is heard.

A WebVTT track plays beside the described video; if its times are the
programme's while the video pauses for extended description, every cue after
the first pause fires early. This measures, from the stem's samples, where
each cue's narration actually begins and compares it with where the script
says it begins (plus the cue's own lead-in silence, read from its audio file).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from autodescribe.errors import MediaError
from autodescribe.formats import format_timestamp
from autodescribe.media.audio import read_audio
from autodescribe.types import Cue

RATE = 8000  # enough to place an onset within a millisecond or so
_FLOOR = 0.01  # about -40 dBFS: the narration is levelled to the dialogue, far above this
_SEARCH = 1.0  # seconds either side of the expected onset
# A cue without its own audio (a WebVTT file) starts when its audio starts playing, which
# may be this much before the first word: a voice's breath, Piper's leading silence.
MAX_LEAD_IN = 0.3


def alignment_failures(cues: Sequence[Cue], stem: Path, frame: float) -> list[str]:
    """One line per cue whose narration is not heard in `stem` where the script puts it.

    `cues` must be on the stem's clock. A cue may be off by one frame (players
    place cues on frames) plus a few milliseconds of decoding.
    """
    try:
        audio = np.abs(read_audio(stem, RATE, 1))
    except MediaError:
        return []
    tolerance = frame + 0.005
    failures: list[str] = []
    ordered = sorted(cues, key=lambda c: c.start)
    floor = 0.0
    for index, cue in enumerate(ordered, start=1):
        lead = _lead_in(cue)
        expected = cue.start + (lead or 0.0)
        heard = _onset(audio, max(floor, expected - _SEARCH), expected + _SEARCH)
        where = f"cue {index} at {format_timestamp(cue.start)}"
        late = heard - expected if heard is not None else 0.0
        if heard is None:
            failures.append(
                f"{where}: no narration heard in {stem.name} within {_SEARCH:.0f} s of it; "
                "is the script on the timeline of the media it is paired with?"
            )
        elif late < -tolerance or late > tolerance + (MAX_LEAD_IN if lead is None else 0.0):
            failures.append(
                f"{where}: its narration is heard at {format_timestamp(heard)} in {stem.name}; "
                "the script is not on the timeline of the media it is paired with"
            )
        floor = max(floor, cue.end)
    return failures


def _onset(audio: np.ndarray, start: float, end: float) -> float | None:
    first, last = max(0, round(start * RATE)), min(len(audio), round(end * RATE))
    loud = np.flatnonzero(audio[first:last] > _FLOOR)
    return (first + int(loud[0])) / RATE if loud.size else None


def _lead_in(cue: Cue) -> float | None:
    """Silence at the start of the cue's own audio; None when the cue has no audio to read."""
    if not cue.audio or not Path(cue.audio).is_file():
        return None
    try:
        samples = np.abs(read_audio(Path(cue.audio), RATE, 1))
    except MediaError:
        return None
    loud = np.flatnonzero(samples > _FLOOR)
    return int(loud[0]) / RATE if loud.size else 0.0
