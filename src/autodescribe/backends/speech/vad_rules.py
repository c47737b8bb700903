"""Speech spans from per-window speech scores: the rules Silero VAD documents.

A span opens at the first window scored at `threshold` or more. It closes at
the first window scored under a lower threshold (0.15 below, at least 0.01)
once the score has stayed under `threshold` for `min_silence_ms`; spans
shorter than `min_speech_ms` are dropped. Each span is then padded by
`speech_pad_ms` on both sides, or, where two spans are closer than two pads,
the silence between them is split in half. Spans here are never cut for
length (silero's `max_speech_duration_s` stays unbounded).

These are the rules of silero's `get_speech_timestamps_from_probs`, which
lives in a module that imports torch: two seconds and about 200 MB for a
list loop. The speech contract test holds this implementation to silero's
own on real audio.
"""

from __future__ import annotations

from collections.abc import Sequence


def spans_from_scores(
    scores: Sequence[float],
    window: int,
    total_samples: int,
    rate: int,
    threshold: float = 0.5,
    min_speech_ms: int = 250,
    min_silence_ms: int = 100,
    speech_pad_ms: int = 30,
) -> list[tuple[int, int]]:
    """(start, end) sample pairs of speech, from one score per `window` samples."""
    release = max(threshold - 0.15, 0.01)
    min_speech = rate * min_speech_ms / 1000
    min_silence = rate * min_silence_ms / 1000
    spans: list[list[int]] = []
    speaking, start, quiet_from = False, 0, 0
    for index, score in enumerate(scores):
        at = window * index
        if score >= threshold:
            quiet_from = 0
            if not speaking:
                speaking, start = True, at
                continue
        if speaking and score < release:
            quiet_from = quiet_from or at
            if at - quiet_from < min_silence:
                continue
            if quiet_from - start > min_speech:
                spans.append([start, quiet_from])
            speaking, quiet_from = False, 0
    if speaking and total_samples - start > min_speech:
        spans.append([start, total_samples])
    return _padded(spans, rate * speech_pad_ms / 1000, total_samples)


def _padded(spans: list[list[int]], pad: float, total: int) -> list[tuple[int, int]]:
    """Each span widened by `pad`, sharing the silence with a neighbour closer than two pads."""
    for index, span in enumerate(spans):
        if index == 0:
            span[0] = int(max(0, span[0] - pad))
        if index == len(spans) - 1:
            span[1] = int(min(total, span[1] + pad))
            continue
        following = spans[index + 1]
        silence = following[0] - span[1]
        if silence < 2 * pad:
            span[1] += silence // 2
            following[0] = int(max(0, following[0] - silence // 2))
        else:
            span[1] = int(min(total, span[1] + pad))
            following[0] = int(max(0, following[0] - pad))
    return [(a, b) for a, b in spans]
