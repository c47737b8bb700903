"""Our score-to-span rules give exactly the spans silero's own helper gives."""

from __future__ import annotations

import numpy as np
import pytest

from autodescribe.backends.speech.vad_rules import spans_from_scores

silero_vad = pytest.importorskip("silero_vad")


def _scores(seed: int, windows: int) -> list[float]:
    """Runs of speech and silence of random lengths, with noisy scores around the thresholds."""
    rng = np.random.default_rng(seed)
    scores: list[float] = []
    speaking = bool(rng.integers(2))
    while len(scores) < windows:
        run = int(rng.integers(1, 60))
        level = rng.uniform(0.45, 1.0) if speaking else rng.uniform(0.0, 0.5)
        scores += np.clip(rng.normal(level, 0.12, run), 0, 1).tolist()
        speaking = not speaking
    return scores[:windows]


@pytest.mark.parametrize("seed", range(40))
def test_spans_match_silero(seed: int) -> None:
    scores = _scores(seed, 900)
    rng = np.random.default_rng(1000 + seed)
    threshold = float(rng.choice([0.3, 0.5, 0.7]))
    speech, silence, pad = (
        int(rng.choice(v)) for v in ([0, 100, 250], [0, 100, 300], [0, 30, 200])
    )
    total = 512 * len(scores) - int(rng.integers(0, 512))
    reference = silero_vad.get_speech_timestamps_from_probs(
        scores,
        sampling_rate=16000,
        threshold=threshold,
        min_speech_duration_ms=speech,
        min_silence_duration_ms=silence,
        speech_pad_ms=pad,
        audio_length_samples=total,
    )
    ours = spans_from_scores(scores, 512, total, 16000, threshold, speech, silence, pad)
    assert ours == [(r["start"], r["end"]) for r in reference]
