"""End to end: `autodescribe narrate --voice-sample`, with a tiny random-weight Pocket TTS model."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.media.audio import read_wav
from autodescribe.testing.tiny_pocket import write_tiny_pocket
from autodescribe.testing.truth import SampleTruth
from autodescribe.testing.voice_samples import write_voice_sample

pytest.importorskip("pocket_tts", reason='Pocket TTS is not installed (the "clone" extra)')

OFFLINE = ["--describer", "basic", "--characters", "off"]


@pytest.fixture(scope="module")
def cloning(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The options that narrate in the voice of a sample, with the tiny model."""
    folder = tmp_path_factory.mktemp("clone")
    sample = write_voice_sample(folder / "narrator.wav", [("piper", 0), ("piper", 1)])
    return ["--voice-sample", str(sample), "--voice-name", str(write_tiny_pocket(folder))]


def _narrate(
    video: str, out: Path, caplog: pytest.LogCaptureFixture, *args: str
) -> tuple[int, str]:
    """Exit code, and what the run said on stderr and in its log."""
    caplog.clear()
    with caplog.at_level(logging.INFO):
        result = CliRunner().invoke(app, ["narrate", video, "-o", str(out), *OFFLINE, *args])
    return result.exit_code, result.output + caplog.text + repr(result.exception)


def _cue_rates(out: Path) -> set[int]:
    script = json.loads((out / "sample.script.json").read_text(encoding="utf-8"))
    assert script["cues"]
    return {read_wav(Path(cue["audio"]))[1] for cue in script["cues"]}


def test_narration_speaks_in_the_cloned_voice_and_passes_check(
    sample: SampleTruth,
    cloning: list[str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    passes_check,  # noqa: ANN001
) -> None:
    code, said = _narrate(sample.path, tmp_path, caplog, *cloning)
    assert code == 0, said[-3000:]
    _assert_cloned(tmp_path)
    passes_check(tmp_path, "sample", sample.path)

    # render speaks the script again in the same voice
    script = tmp_path / "sample.script.json"
    render = ["render", sample.path, "--script", str(script), "-o", str(tmp_path / "again")]
    result = CliRunner().invoke(app, [*render, "--revoice", *cloning])
    assert result.exit_code == 0, result.output
    assert _cue_rates(tmp_path / "again") == {24000}


def _assert_cloned(tmp_path: Path) -> None:
    assert _cue_rates(tmp_path) == {24000}, "every cue was spoken by Pocket TTS"
    script = json.loads((tmp_path / "sample.script.json").read_text(encoding="utf-8"))
    assert script["settings"]["voice"]["voice"] == "pocket"
    stem, rate = read_wav(tmp_path / "sample.ad.wav")
    for cue in script["cues"]:
        heard = stem[int(cue["start"] * rate) : int(cue["end"] * rate)]
        assert np.abs(heard).max() > 0.01, f"the cue at {cue['start']} s is silent"
    assert len(list(tmp_path.glob(".sample.autodescribe/voice-sample-*/*.safetensors"))) == 1


def test_polish_keeps_its_usual_voice_said_in_one_line(
    sample: SampleTruth,
    cloning: list[str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    use_hub,  # noqa: ANN001
) -> None:
    use_hub("http://127.0.0.1:9", tmp_path / "hf-home", offline=True)  # Polish: espeak-ng
    code, said = _narrate(sample.path, tmp_path / "out", caplog, "-l", "pl", *cloning)
    assert code == 0, said[-3000:]
    lines = [line for line in said.splitlines() if "does not speak 'pl'" in line]
    assert len(lines) == 1 and "voice 'pocket' (cloning narrator.wav)" in lines[0]
    assert _cue_rates(tmp_path / "out") == {22050}, "espeak-ng spoke the Polish cues"


def test_a_bad_sample_stops_the_run_before_any_work(
    sample: SampleTruth, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    two = write_voice_sample(tmp_path / "two.wav", [("piper", 0), ("espeak-ng", 1)])
    code, said = _narrate(sample.path, tmp_path / "out", caplog, "--voice-sample", str(two))
    assert code == 2
    errors = [line for line in said.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "two.wav seems to hold more than one voice" in errors[0]
    assert not list((tmp_path / "out").glob("sample.*")), "nothing was delivered"
