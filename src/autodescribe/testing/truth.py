"""What a generated sample contains: the plan it is drawn from and the truth it reports.

Times asked for in seconds become frame numbers here, checked against the clip
(`frame_plan`). The truth (`SampleTruth`) keeps frame times, not the times asked
for, so a test compares with what was written. `spread_plan` scales a plan to a
clip of any length.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from autodescribe.errors import ConfigError
from autodescribe.types import Shot, SpeechSpan, from_jsonable, to_jsonable

DEFAULT_SPEECH: tuple[tuple[float, str], ...] = (
    (1.0, "Where did you put the keys?"),
    (8.6, "They are on the table."),
)
DEFAULT_TEXTS: tuple[tuple[float, float, str], ...] = ((4.0, 8.0, "EXIT 12"),)
_LINES = (
    *(line for _, line in DEFAULT_SPEECH),
    "We should leave before it gets dark.",
    "Did you hear that noise outside?",
    "I think the car is still in the garage.",
    "Turn left at the next corner.",
)
_CAPTIONS = ("EXIT 12", "PLATFORM 4", "OPEN 24 HOURS", "NO PARKING")
CutFrames = tuple[int, ...]  # the first frame of each new shot
TextFrames = tuple[tuple[int, int, str], ...]  # (first frame, end frame, caption)


@dataclass(frozen=True)
class SampleText:
    """A caption burnt into the picture from `start` (inclusive) to `end` (exclusive)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class SampleTruth:
    """What a generated file contains, measured from what was written.

    Cut and caption times are frame times (`frame / fps`); speech spans come
    from the synthesized samples, not from the requested start times.
    """

    path: str
    duration: float
    fps: float
    size: tuple[int, int]
    cut_frames: tuple[int, ...] = ()
    cut_times: tuple[float, ...] = ()
    speech_spans: tuple[SpeechSpan, ...] = ()
    texts: tuple[SampleText, ...] = ()
    has_video: bool = True
    has_audio: bool = True

    @property
    def frame_count(self) -> int:
        return round(self.duration * self.fps)

    @property
    def shots(self) -> tuple[Shot, ...]:
        """The shots between the cuts, as a shot detector should report them."""
        edges = (0.0, *self.cut_times, self.duration) if self.has_video else ()
        return tuple(Shot(a, b) for a, b in itertools.pairwise(edges))

    def to_jsonable(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_jsonable(cls, data: dict[str, Any]) -> SampleTruth:
        return from_jsonable(cls, data)


def spread_plan(duration: float) -> dict[str, Any]:
    """`make_sample_video` arguments that fit a clip of any length.

    Cuts about every 5 s (jittered, so nothing can lock onto a period), a line
    of dialogue about every 10 s and a caption about every 20 s; clips under
    6 s get none of them.
    """
    cuts = [5.0 * k + 0.6 * ((k * 7) % 3 - 1) for k in range(1, int(duration // 5) + 1)]
    lines = [(10.0 * k + 1.5, _LINES[k % len(_LINES)]) for k in range(int(duration // 10) + 1)]
    texts = [(20.0 * k + 2.0, 20.0 * k + 6.0, _CAPTIONS[k % len(_CAPTIONS)]) for k in range(99)]
    return {
        "duration": duration,
        "cuts": tuple(t for t in cuts if t < duration - 0.5),
        "speech": tuple((t, line) for t, line in lines if t + 4.5 < duration),
        "texts": tuple(text for text in texts if text[1] <= duration),
    }


def frame_plan(
    duration: float, fps: float, cuts: Sequence[float], texts: Sequence[tuple[float, float, str]]
) -> tuple[Fraction, int, CutFrames, TextFrames]:
    """Rate, frame count, cut frames (first frame of each new shot) and caption frame ranges."""
    rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(0)
    if rate.denominator not in (1, 1001) and abs(fps * 1.001 - round(fps * 1.001)) < 0.001:
        rate = Fraction(round(fps * 1.001) * 1000, 1001)  # 29.97 means NTSC's 30000/1001
    frames = round(duration * rate)
    if frames < 1:
        raise ConfigError(f"{duration} s at {fps} fps has no frames", "use a longer clip, fps > 0")
    cut_frames = tuple(round(t * rate) for t in cuts)
    inside = all(0 < frame < frames for frame in cut_frames)
    if not inside or any(b <= a for a, b in itertools.pairwise(cut_frames)):
        raise ConfigError(
            f"cuts {tuple(cuts)} are not increasing frames inside the clip",
            "list cuts in order, at least a frame apart, after 0 and before the end",
        )
    text_frames = tuple((round(a * rate), round(b * rate), text) for a, b, text in texts)
    for first, stop, text in text_frames:
        if not text.strip() or not 0 <= first < stop <= frames:
            raise ConfigError(
                f"caption {text!r} is empty or does not fit the clip",
                "give non-empty text with 0 <= start < end <= duration",
            )
    return rate, frames, cut_frames, text_frames
