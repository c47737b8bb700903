"""The Pocket TTS voice: the real pocket_tts code with a tiny random-weight model from a config.

Kyutai's voice-cloning weights are gated, so nothing here downloads them: the
hub tests run against the local hub server, which refuses the gated repository
as the Hub does for a user who has not accepted its terms.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autodescribe.backends.voice import Voice, choose_voice, voices
from autodescribe.errors import AutodescribeError, ConfigError, ModelNotAvailable
from autodescribe.media.audio import read_wav, write_wav
from autodescribe.testing.tiny_pocket import write_tiny_pocket
from autodescribe.testing.voice_samples import write_voice_sample

pytest.importorskip("pocket_tts", reason='Pocket TTS is not installed (the "clone" extra)')

LINE = "A woman opens the door and looks at the old man."


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_pocket(tmp_path_factory.mktemp("tiny-pocket"))


@pytest.fixture(scope="module")
def narrator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("narrator")
    return write_voice_sample(folder / "narrator.wav", [("piper", 0), ("piper", 1)])


def _pocket(model: Path, narrator: Path, state: Path | None = None, language: str = "en") -> Voice:
    backend = voices.load("pocket")
    return backend(
        language=language,
        name=str(model),
        sample=str(narrator),
        state_dir=str(state) if state else None,
    )


def test_speaks_a_line_as_24k_audio(model: Path, narrator: Path, tmp_path: Path) -> None:
    voice = _pocket(model, narrator, tmp_path)
    assert voice.sample_rate == 24000 and voice.language == "en"
    write_wav(tmp_path / "line.wav", voice.synthesize(LINE), voice.sample_rate)
    audio, rate = read_wav(tmp_path / "line.wav")
    assert rate == 24000 and audio.ndim == 1
    assert float(np.sqrt(np.mean(np.square(audio)))) > 1e-3, "silent"
    # Pocket TTS allows a third of a second a word, plus 2 s; the tiny model takes it all
    assert 2.0 < len(audio) / rate < 2.0 + len(LINE.split()) / 3 + 0.5
    voice.close()


def test_the_voice_state_is_kept_and_reused(model: Path, narrator: Path, tmp_path: Path) -> None:
    first = _pocket(model, narrator, tmp_path)
    kept = list(tmp_path.glob("pocket-voice-*.safetensors"))
    assert len(kept) == 1
    before = kept[0].stat().st_mtime_ns
    second = _pocket(model, narrator, tmp_path)
    assert kept[0].stat().st_mtime_ns == before, "the state was made again"
    # the same line from the kept state is the same audio (each line is seeded by its text)
    np.testing.assert_allclose(second.synthesize(LINE), first.synthesize(LINE), atol=1e-5)


def test_a_faster_rate_shortens_the_line(model: Path, narrator: Path, tmp_path: Path) -> None:
    voice = _pocket(model, narrator, tmp_path)
    ratio = len(voice.synthesize(LINE, rate=1.15)) / len(voice.synthesize(LINE))
    assert ratio == pytest.approx(1 / 1.15, rel=0.03)
    assert len(voice.synthesize("   ")) == 0


def test_a_sample_is_required(model: Path) -> None:
    with pytest.raises(ConfigError, match="--voice-sample"):
        voices.load("pocket")(language="en", name=str(model))


def test_a_language_it_does_not_speak_keeps_its_usual_voice(
    model: Path,
    narrator: Path,
    use_hub,  # noqa: ANN001
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_hub("http://127.0.0.1:9", tmp_path, offline=True)  # no Polish piper voice to be had
    with caplog.at_level(logging.WARNING):
        chosen = choose_voice("pl", "pocket", str(model), str(narrator))
    assert chosen.backend == "espeak-ng" and chosen.sample is None
    said = [r.getMessage() for r in caplog.records if "pocket" in r.getMessage()]
    assert said == [
        "voice 'pocket' (cloning narrator.wav) does not speak 'pl': speaking it with that "
        "language's usual voice"
    ]


def test_a_model_that_is_not_a_config_is_refused_when_chosen(narrator: Path) -> None:
    with pytest.raises(ConfigError, match="no Pocket TTS config at pl_PL-gosia-medium"):
        choose_voice("en", "pocket", "pl_PL-gosia-medium", str(narrator))


def test_a_voice_that_cannot_clone_refuses_a_sample(narrator: Path) -> None:
    with pytest.raises(ConfigError, match="use --voice pocket"):
        choose_voice("en", "espeak-ng", sample=str(narrator))


def test_gated_weights_are_one_line_naming_the_terms(
    start_hub,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    narrator: Path,
) -> None:
    hub = start_hub({}, gated=("kyutai/pocket-tts",))
    hub.use(monkeypatch, tmp_path / "hf-home")
    with pytest.raises(ModelNotAvailable) as refused:
        choose_voice("en", "pocket", sample=str(narrator))
    said = str(refused.value)
    assert "'kyutai/pocket-tts'" in said and "is gated" in said
    assert "accept its terms" in said and "`hf auth login`" in said and "\n" not in said


def test_an_unreachable_hub_is_one_line(
    use_hub,  # noqa: ANN001
    tmp_path: Path,
    narrator: Path,
) -> None:
    use_hub("http://127.0.0.1:9", tmp_path)
    with pytest.raises(AutodescribeError, match="cannot be reached"):
        choose_voice("fr", "pocket", sample=str(narrator))


def test_without_pocket_tts_the_voice_says_how_to_install_it(narrator: Path) -> None:
    """In a fresh process where `import pocket_tts` fails, as where the extra is missing."""
    code = (
        "import sys; sys.modules['pocket_tts'] = None\n"
        "from autodescribe.backends.voice import choose_voice\n"
        f"choose_voice('en', 'pocket', sample={str(narrator)!r})\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode != 0
    assert 'pip install "autodescribe[clone]"' in run.stderr.strip().splitlines()[-1]


def test_voices_lists_the_cloning_voice_for_the_languages_it_speaks(
    use_hub,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from autodescribe.cli import app

    use_hub("http://127.0.0.1:9", tmp_path, offline=True)
    french = CliRunner().invoke(app, ["voices", "--language", "fr"]).stdout
    polish = CliRunner().invoke(app, ["voices", "--language", "pl"]).stdout
    assert "  fr   pocket     --voice-sample FILE" in french
    assert "pocket" not in polish


def test_loading_the_voice_leaves_torch_threads_as_they_were() -> None:
    """pocket_tts sets one thread for the whole process at import; the describer needs more."""
    code = (
        "import torch; torch.set_num_threads(2)\n"
        "from autodescribe.backends.voice import voices\n"
        "voices.load('pocket')\n"
        "print(torch.get_num_threads())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "2"
