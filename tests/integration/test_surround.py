"""A 5.1 programme keeps its layout: the described mix is 5.1, the narration in the centre.

The source is the sample film with its dialogue remixed to 5.1 (the dialogue in the
centre and a little in the fronts, nothing in the LFE and the surrounds). The described
mix must have six channels, carry the narration in the centre only, and leave the
original 5.1 track as it was.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest

from autodescribe.config import NarrateJob, NarrateSettings, VoiceSettings
from autodescribe.media.audio import read_audio
from autodescribe.pipeline import narrate
from autodescribe.testing.samples import make_sample_video

RATE = 16000


@pytest.fixture(scope="module")
def surround(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("surround")
    stereo = make_sample_video(folder / "stereo.mp4", bed=False)
    source = folder / "film.mp4"
    pan = "pan=5.1|FL=0.2*c0|FR=0.2*c1|FC=0.5*c0+0.5*c1|LFE=0*c0|BL=0*c0|BR=0*c1"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", stereo.path]
        + ["-map", "0:v", "-map", "0:a", "-c:v", "copy", "-af", pan, "-c:a", "aac"]
        + ["-b:a", "384k", str(source)],
        check=True,
    )
    out = folder / "out"
    settings = NarrateSettings(voice=VoiceSettings(voice="espeak-ng"))
    narrate(NarrateJob(video=source, out_dir=out, settings=settings))
    return source, out


def test_the_described_mix_keeps_the_programme_layout(surround: tuple[Path, Path]) -> None:
    _, out = surround
    with av.open(str(out / "film.described.mp4")) as container:
        described, original = container.streams.audio[:2]
        assert described.codec_context.channels == 6
        assert original.codec_context.channels == 6
        assert described.layout.name == "5.1"


def test_narration_is_in_the_centre_only(surround: tuple[Path, Path], passes_check) -> None:  # noqa: ANN001
    source, out = surround
    mix = read_audio(out / "film.described.mp4", RATE, channels=6, stream_index=0)
    stem = read_audio(out / "film.ad.wav", RATE, channels=1)
    programme = read_audio(source, RATE, channels=6)
    # where the narration plays and the programme is silent, only the centre sounds
    n = min(len(mix), len(stem), len(programme))
    narrating = (np.abs(stem[:n]) > 0.01) & (np.abs(programme[:n, 2]) < 0.002)
    assert narrating.sum() > RATE // 2, "the film has narration over silence"
    level = np.sqrt(np.mean(np.square(mix[:n][narrating]), axis=0))
    centre, others = level[2], np.delete(level, 2)
    assert centre > 0.02
    assert others.max() < centre / 100, f"narration leaked out of the centre: {level}"
    passes_check(out, "film", source)
