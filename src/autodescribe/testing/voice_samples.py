"""Recordings of a narrator for `--voice-sample` tests: real speech from our own voices.

One person is one voice model speaking several sentences; two people are two
models (piper's joe and espeak-ng, both installed) put one after the other.
Both speak at 22,050 Hz, so the pieces join without resampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from autodescribe.media.audio import write_wav

RATE = 22050
SENTENCES = (
    "The old man walks slowly along the harbour wall, looking out at the grey sea.",
    "A young woman opens the door and steps into the bright kitchen, carrying apples.",
    "Rain falls on the empty street while a cat watches from under a parked car.",
    "He picks up the letter, reads it twice, and folds it into his coat pocket.",
)


@cache
def sentence(voice: str, index: int) -> np.ndarray:
    """Sentence `index` of `SENTENCES` spoken by voice backend `voice` (piper, espeak-ng)."""
    from autodescribe.backends.voice import voices

    speaker = voices.load(voice)(language="en")
    try:
        audio = speaker.synthesize(SENTENCES[index])
    finally:
        speaker.close()
    if speaker.sample_rate != RATE:
        raise ValueError(f"{voice} speaks at {speaker.sample_rate} Hz, not {RATE}")
    return audio


def write_voice_sample(path: Path, parts: Sequence[tuple[str, int]], gain: float = 0.8) -> Path:
    """A WAV of the (voice, sentence) `parts` one after the other, scaled by `gain`."""
    audio = np.concatenate([sentence(voice, index) for voice, index in parts]) * gain
    write_wav(path, audio.astype(np.float32), RATE)
    return path
