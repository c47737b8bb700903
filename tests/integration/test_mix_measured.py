"""The render reports the loudness of the mix as it is in the written file.

The mix is measured while it is encoded (ffmpeg decodes its own packets back
into a meter) where ffmpeg can and the mix's place among the output's streams
is sure, else by decoding the file afterwards. Either way the figures must be
those that measuring the file's first audio track gives, never the original
track's: the source here is about 10 LU louder than the mix is brought to.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autodescribe.config import RenderSettings
from autodescribe.media.audio import write_wav
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.media.probe import probe
from autodescribe.render.loudness import measure_loudness
from autodescribe.render.mix import build_narration, render_described
from autodescribe.types import Cue

RATE = 48000
DURATION = 3.0


def _source(folder: Path, suffix: str, pictures: int) -> Path:
    """A short film with `pictures` video streams and a loud noise soundtrack."""
    noise = np.random.default_rng(3).uniform(-0.8, 0.8, (round(DURATION * RATE), 2))
    write_wav(folder / "loud.wav", noise, RATE)
    inputs: list[str] = []
    for k in range(pictures):
        inputs += ["-f", "lavfi", "-i", f"testsrc=size=160x90:rate=10:duration={DURATION}:n={k}"]
    maps = [arg for k in range(pictures) for arg in ("-map", f"{k}:v")]
    path = folder / f"film{suffix}"
    run_ffmpeg(
        [*inputs, "-i", str(folder / "loud.wav"), *maps, "-map", f"{pictures}:a"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path)],
        "making test media",
    )
    return path


@pytest.mark.parametrize(
    ("suffix", "pictures", "freeze"),
    [(".mp4", 1, 0.0), (".mkv", 1, 0.0), (".mp4", 1, 0.5), (".mp4", 2, 0.0)],
)
def test_the_reported_loudness_is_the_written_mix(
    tmp_path: Path, suffix: str, pictures: int, freeze: float
) -> None:
    source = _source(tmp_path, suffix, pictures)
    tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050) * 0.3
    write_wav(tmp_path / "cue.wav", tone, 22050)
    cue = Cue(1.0, 1.8, "A door opens.", audio=str(tmp_path / "cue.wav"), extension=freeze)
    stem = build_narration([cue], DURATION + freeze, tmp_path / "stem.wav")
    out = tmp_path / f"film.described{suffix}"

    report = render_described(probe(source), stem, [cue], out, RenderSettings(), "en")

    mix, original = measure_loudness(out, audio_index=0), measure_loudness(out, audio_index=1)
    assert report.integrated_lufs == mix.integrated_lufs == pytest.approx(-23.0, abs=0.5)
    assert report.true_peak_dbtp == mix.true_peak_dbtp
    assert report.loudness_range_lu == mix.loudness_range_lu
    assert original.integrated_lufs is not None and original.integrated_lufs > -16.0
