"""Loudness presets: the described mix lands on each preset's target, under its peak limit.

The programme is the generated sample (dialogue over a quiet bed); narration
is a tone placed in the pauses. `netflix` is judged over the dialogue only,
as its specification gates loudness on dialogue. Last, the narrated sample is
rendered for every preset with `autodescribe render` and must pass `check` there.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.config import RenderSettings
from autodescribe.media.audio import iter_audio, write_wav
from autodescribe.media.probe import probe
from autodescribe.presets import PRESETS
from autodescribe.render.loudness import measure_loudness, measure_raw, only_spans
from autodescribe.render.mix import build_narration, render_described
from autodescribe.testing.truth import SampleTruth
from autodescribe.types import Cue


@pytest.fixture(scope="module")
def narration(sample: SampleTruth, tmp_path_factory: pytest.TempPathFactory) -> list[Cue]:
    folder = tmp_path_factory.mktemp("presets")
    rate = 22050
    t = np.arange(rate) / rate
    write_wav(folder / "cue.wav", 0.2 * np.sin(2 * np.pi * 700 * t), rate)
    last = sample.speech_spans[-1].end
    starts = [0.3, last + 0.4]
    return [Cue(s, s + 1.0, "A tone.", audio=str(folder / "cue.wav")) for s in starts]


@pytest.mark.parametrize(
    ("preset", "target", "peak"),
    [("ebu", -23.0, -1.0), ("netflix", -27.0, -2.0), ("atsc", -24.0, -2.0)],
)
def test_mix_meets_the_preset(
    sample: SampleTruth,
    narration: list[Cue],
    tmp_path: Path,
    preset: str,
    target: float,
    peak: float,
) -> None:
    info = probe(Path(sample.path))
    stem = build_narration(narration, info.duration, tmp_path / "s.ad.wav")
    out = tmp_path / f"s.{preset}.mp4"
    settings = RenderSettings(loudness=preset)  # type: ignore[arg-type]
    report = render_described(info, stem, narration, out, settings, "en", sample.speech_spans)
    measured = measure_loudness(out)
    assert measured.true_peak_dbtp is not None and measured.true_peak_dbtp <= peak
    assert report.true_peak_dbtp == measured.true_peak_dbtp
    if preset == "netflix":
        spans = [(s.start, s.end) for s in sample.speech_spans]
        blocks = (b.astype("<f4").tobytes() for b in iter_audio(out, 48000, 2))
        dialogue = measure_raw(only_spans(blocks, spans)).integrated_lufs
        assert dialogue == pytest.approx(target, abs=1.0)
        assert report.dialogue_lufs == pytest.approx(dialogue, abs=0.05)
    else:
        assert measured.integrated_lufs == pytest.approx(target, abs=1.0)
        assert report.integrated_lufs == measured.integrated_lufs
    assert report.preset == preset and report.target_lufs == target


@pytest.fixture(scope="module")
def narrated(sample: SampleTruth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("narrated")
    result = CliRunner().invoke(app, ["narrate", sample.path, "-o", str(out)])
    assert result.exit_code == 0, result.output + str(result.exception)
    return out


@pytest.mark.parametrize("preset", list(PRESETS))
def test_rendered_for_each_preset_passes_check(
    sample: SampleTruth,
    narrated: Path,
    tmp_path: Path,
    preset: str,
    passes_check,  # noqa: ANN001
) -> None:
    args = ["render", sample.path, "--script", str(narrated / "sample.script.json")]
    result = CliRunner().invoke(app, [*args, "--loudness", preset, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output + str(result.exception)
    script = json.loads((tmp_path / "sample.script.json").read_text(encoding="utf-8"))
    assert script["settings"]["render"]["loudness"] == preset  # what check is run against
    passes_check(tmp_path, "sample", sample.path)
