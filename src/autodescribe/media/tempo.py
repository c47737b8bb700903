"""Speech made faster or slower without changing its pitch, for voices with no speed control.

ffmpeg's `atempo` (WSOLA) does it; the samples go through a temporary WAV file,
as short narration lines are a few hundred kilobytes at most.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from autodescribe.media.audio import read_wav, write_wav
from autodescribe.media.ffmpeg import run_ffmpeg


def change_tempo(audio: np.ndarray, sample_rate: int, rate: float) -> np.ndarray:
    """`audio` (mono float32) played `rate` times faster at the same pitch (0.5 to 2.0)."""
    if rate == 1.0 or audio.size == 0:
        return audio
    with tempfile.TemporaryDirectory(prefix="autodescribe-tempo-") as folder:
        source, target = Path(folder) / "in.wav", Path(folder) / "out.wav"
        write_wav(source, audio, sample_rate)
        args = ["-i", str(source), "-af", f"atempo={rate:.6f}", str(target)]
        run_ffmpeg(args, "changing the tempo")
        faster, _ = read_wav(target)
    return faster.astype(np.float32)
