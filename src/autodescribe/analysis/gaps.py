"""Gaps: the silences between dialogue where narration can go, with word budgets."""

from __future__ import annotations

from collections.abc import Sequence

from autodescribe.config import GapSettings
from autodescribe.types import Gap, Scene, SpeechSpan


def find_gaps(speech: Sequence[SpeechSpan], duration: float, settings: GapSettings) -> list[Gap]:
    """Every interval free of (padded) speech that is at least `min_gap` long."""
    gaps = []
    cursor = 0.0
    for span in sorted(speech, key=lambda s: s.start):
        if span.start - cursor >= settings.min_gap:
            gaps.append(_gap(cursor, span.start, settings))
        cursor = max(cursor, span.end)
    if duration - cursor >= settings.min_gap:
        gaps.append(_gap(cursor, duration, settings))
    return gaps


def _gap(start: float, end: float, settings: GapSettings) -> Gap:
    budget = int((end - start) * settings.words_per_second)
    return Gap(start=round(start, 3), end=round(end, 3), word_budget=budget)


def plan_slots(
    scenes: Sequence[Scene],
    gaps: Sequence[Gap],
    settings: GapSettings,
    speech: Sequence[SpeechSpan] | None = None,
) -> list[Gap | None]:
    """For each scene, the stretch of silence its description is written for (or None).

    A description starts as close as possible to its scene: at the first usable
    gap inside it, after whatever narration the previous scene has taken. It may
    run past the scene's end by at most `min_gap` when the scene's own part of
    the gap is too short. Given the speech spans (extended description allowed),
    a scene with no usable gap gets a zero-length *freeze slot* at its first
    moment free of speech: the picture will stop there while the narration plays.
    """
    slots: list[Gap | None] = []
    taken_until = 0.0
    for scene in scenes:
        slot = _slot_in(scene, gaps, settings, taken_until)
        if slot is None and speech is not None:
            slot = _freeze_slot(scene, speech, settings, taken_until)
        slots.append(slot)
        if slot is not None:
            taken_until = slot.end
    return slots


def _freeze_slot(
    scene: Scene, speech: Sequence[SpeechSpan], settings: GapSettings, taken_until: float
) -> Gap | None:
    """A zero-length slot at the first point in the scene where nobody is speaking."""
    earliest = max(scene.start, taken_until)
    candidates = [earliest, *(span.end for span in speech if earliest < span.end < scene.end)]
    for point in sorted(candidates):
        if point < scene.end and not any(s.start < point < s.end for s in speech):
            return Gap(
                start=round(point, 3), end=round(point, 3), word_budget=settings.freeze_words
            )
    return None


def _slot_in(
    scene: Scene, gaps: Sequence[Gap], settings: GapSettings, taken_until: float
) -> Gap | None:
    for gap in gaps:
        start = max(gap.start, scene.start, taken_until)
        if start >= scene.end or start >= gap.end:
            continue
        end = min(gap.end, max(scene.end, start + settings.min_gap))
        if end - start < settings.min_gap:
            continue
        words = min(settings.max_words, int((end - start) * settings.words_per_second))
        return Gap(start=round(start, 3), end=round(end, 3), word_budget=words)
    return None
