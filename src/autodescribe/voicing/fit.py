"""Fit: make spoken descriptions fit their slots.

In order: speak faster (at most `max_speedup`), then ask the describer for a
shorter text, then freeze the picture for the rest (extended description) or,
where that is off, drop the description. The voice stage applies the order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FitDecision:
    fits: bool
    rate: float  # speaking rate relative to the voice's normal speed
    words_wanted: int  # when it does not fit: how many words would


def decide(duration: float, window: float, words: int, max_speedup: float) -> FitDecision:
    """Whether `duration` seconds of speech fit `window`, and at which rate."""
    if window <= 0:
        return FitDecision(fits=False, rate=max_speedup, words_wanted=0)
    if duration <= window:
        return FitDecision(fits=True, rate=1.0, words_wanted=words)
    needed = duration / window
    if needed <= max_speedup:
        return FitDecision(fits=True, rate=round(needed + 0.005, 3), words_wanted=words)
    fraction = window * max_speedup / duration
    return FitDecision(
        fits=False, rate=max_speedup, words_wanted=max(0, math.floor(words * fraction * 0.95))
    )
