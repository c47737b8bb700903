"""A frozen picture pauses the original audio track to the sample, in every container.

The original is cut at the freeze, padded with its silence and encoded again
(in its own process, beside the mix). Decoded from the described file, it must
match the source exactly in time: before the freeze at the same instant, after
it one freeze later, with silence between. Measured by cross-correlation of
noise bursts (a sharp peak), so an offset of one AAC frame (21 ms) or even a
few samples fails.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autodescribe.config import RenderSettings
from autodescribe.media.audio import read_audio, write_wav
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.media.probe import probe
from autodescribe.render.mix import build_narration, render_described
from autodescribe.types import Cue

RATE = 48000
DURATION = 3.0
FREEZE_AT, FREEZE = 1.0, 0.4


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small film whose soundtrack is noise bursts, every 100 ms, of varying loudness."""
    root = tmp_path_factory.mktemp("paused")
    noise = np.random.default_rng(7).uniform(-1, 1, round(DURATION * RATE))
    envelope = np.zeros_like(noise)
    for k, start in enumerate(np.arange(0.05, DURATION, 0.1)):
        a = round(start * RATE)
        envelope[a : a + round(0.03 * RATE)] = 0.2 + 0.05 * (k % 5)
    write_wav(root / "bursts.wav", np.stack([noise * envelope] * 2, axis=1), RATE)
    path = root / "film.mp4"
    video = ["-f", "lavfi", "-i", f"testsrc=size=160x90:rate=10:duration={DURATION}"]
    run_ffmpeg(
        [*video, "-i", str(root / "bursts.wav"), "-c:v", "libx264", "-preset", "ultrafast"]
        + ["-c:a", "aac", "-b:a", "192k", "-shortest", str(path)],
        "making test media",
    )
    return path


def _lag(reference: np.ndarray, signal: np.ndarray, start: float, end: float, shift: float) -> int:
    """Samples by which `signal` lags `reference` shifted by `shift` s, over [start, end)."""
    ref = reference[round(start * RATE) : round(end * RATE)]
    around = round((start + shift) * RATE)
    search = 480  # 10 ms either way
    scores = [
        float(np.dot(ref, signal[around + k : around + k + len(ref)]))
        for k in range(-search, search + 1)
    ]
    return int(np.argmax(scores)) - search


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv", ".webm"])
def test_the_original_pauses_and_resumes_to_the_sample(
    source: Path, tmp_path: Path, suffix: str
) -> None:
    tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050) * 0.3
    write_wav(tmp_path / "cue.wav", tone, 22050)
    cues = [Cue(FREEZE_AT, FREEZE_AT + 0.6, "A door opens.", audio=str(tmp_path / "cue.wav"))]
    cues = [Cue(c.start, c.end, c.text, audio=c.audio, extension=FREEZE) for c in cues]
    stem = build_narration(cues, DURATION + FREEZE, tmp_path / "stem.wav")
    out = tmp_path / f"film.described{suffix}"
    render_described(probe(source), stem, cues, out, RenderSettings(), "en")

    original = read_audio(source, RATE, channels=1)
    kept = read_audio(out, RATE, channels=1, stream_index=1)
    assert len(kept) == pytest.approx((DURATION + FREEZE) * RATE, abs=0.03 * RATE)
    assert _lag(original, kept, 0.1, FREEZE_AT - 0.05, 0.0) == 0
    assert _lag(original, kept, FREEZE_AT + 0.05, DURATION - 0.1, FREEZE) == 0
    held = kept[round((FREEZE_AT + 0.01) * RATE) : round((FREEZE_AT + FREEZE - 0.01) * RATE)]
    assert np.abs(held).max() < 0.01, "the original is silent while the picture holds"
