"""Fit: the speed each description is spoken at, planned against the pace `check` measures.

Each cue is first brought to a pace a listener can follow: a voice that speaks
faster than `target_syllables_per_second` (measured with `qc.pace`, the
measure `check` uses) is slowed down, no further than `min_rate`. Then, if it
does not fit its slot: speak faster (at most `max_speedup`, and never past the
target pace), then ask the describer for a shorter text, then freeze the
picture for the rest (extended description) or, where that is off, drop the
description. The voice stage applies the order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from autodescribe.config import FitSettings


@dataclass(frozen=True)
class FitDecision:
    fits: bool
    rate: float  # speaking rate relative to the voice's normal speed
    words_wanted: int  # when it does not fit: how many words would


@dataclass(frozen=True)
class PaceBounds:
    """Speaking rates allowed for one text: preferred (1.0 unless too fast) and fastest."""

    preferred: float
    fastest: float


def pace_bounds(syllables: int, seconds: float, fit: FitSettings) -> PaceBounds:
    """Rates that keep `syllables` spoken in `seconds` (at rate 1.0) at or under the target pace."""
    if seconds <= 0 or syllables <= 0:
        return PaceBounds(1.0, fit.max_speedup)
    # rate r speaks the text in seconds / r, at a pace of r * syllables / seconds
    limit = fit.target_syllables_per_second * seconds / syllables
    preferred = 1.0 if limit >= 1.0 else max(fit.min_rate, math.floor(limit * 1000) / 1000)
    fastest = max(preferred, min(fit.max_speedup, math.floor(limit * 1000) / 1000))
    return PaceBounds(preferred, fastest)


def decide(duration: float, window: float, words: int, bounds: PaceBounds) -> FitDecision:
    """Whether `duration` seconds of speech (at rate 1.0) fit `window`, and at which rate."""
    if window <= 0:
        return FitDecision(fits=False, rate=bounds.preferred, words_wanted=0)
    if duration / bounds.preferred <= window:
        return FitDecision(fits=True, rate=bounds.preferred, words_wanted=words)
    needed = round(duration / window + 0.005, 3)
    if needed <= bounds.fastest:
        return FitDecision(fits=True, rate=needed, words_wanted=words)
    fraction = window * bounds.fastest / duration
    return FitDecision(
        fits=False, rate=bounds.fastest, words_wanted=max(0, math.floor(words * fraction * 0.95))
    )
