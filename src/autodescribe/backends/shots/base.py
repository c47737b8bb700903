"""The shot detector interface.

A detector consumes the frames of one decode pass (at the size and channel
order it declares) and returns the times of the cuts, i.e. the start times of
every shot after the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Protocol, runtime_checkable

from autodescribe.media.decode import AnalysisFrame
from autodescribe.types import Shot


@runtime_checkable
class ShotDetector(Protocol):
    name: ClassVar[str]
    channel_order: ClassVar[str]  # "rgb24" or "bgr24"

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        """The size frames should be scaled to before `detect` sees them."""
        ...

    def detect(self, frames: Iterable[AnalysisFrame], fps: float) -> list[float]:
        """Cut times in seconds, ascending."""
        ...


def cuts_to_shots(cuts: Iterable[float], duration: float, min_shot: float = 0.0) -> list[Shot]:
    """Turn cut times into contiguous shots covering [0, duration]."""
    bounds = [0.0]
    for cut in sorted(cuts):
        if cut - bounds[-1] > min_shot and duration - cut > min_shot:
            bounds.append(cut)
    bounds.append(duration)
    return [
        Shot(start=round(a, 3), end=round(b, 3)) for a, b in zip(bounds, bounds[1:], strict=False)
    ]
