"""Pocket TTS (Kyutai): narration in the voice of a short sample of one person speaking.

Zero-shot cloning: the sample is encoded once into the model's state (cached
as safetensors in the work folder, keyed by the sample's bytes and the model),
then every line is generated from that state. Runs on CPU, 24 kHz output.

Weights: Kyutai's voice-cloning models (`kyutai/pocket-tts`, CC-BY-4.0) are
gated on the Hugging Face Hub: accept the terms on the model page and log in
(`hf auth login`). They are fetched through `util.hub`, so an unreachable or
gated hub is one line before any long work. `name` may instead be the path of
a Pocket TTS YAML config (a local model; the tests build a tiny random one
with `testing.tiny_pocket`).

Pocket TTS has no speed control: a faster or slower line is time-stretched at
the same pitch. Generation samples at a temperature, so it is seeded by the
text: the same line always has the same length (reruns keep their cue times).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from autodescribe.backends.voice.base import check_rate, primary_language
from autodescribe.errors import ConfigError, ModelNotAvailable, install_hint
from autodescribe.media.audio import read_audio
from autodescribe.media.tempo import change_tempo
from autodescribe.util.hub import HubOffline, hub_file

_threads = torch.get_num_threads()
try:
    import pocket_tts
except ImportError as exc:  # the registry turns this into one line
    raise ImportError("Pocket TTS is not installed; " + install_hint("clone")) from exc
finally:
    # pocket_tts sets torch to one thread for the whole process when imported: the
    # describer and every other torch stage of the run keep their threads.
    torch.set_num_threads(_threads)

log = logging.getLogger(__name__)

# Our language codes -> Pocket TTS's config names (pocket_tts/config/*.yaml).
LANGUAGES = {
    "en": "english",
    "fr": "french",
    "de": "german",
    "it": "italian",
    "pt": "portuguese",
    "es": "spanish",
    "nl": "dutch",
}
TERMS_PAGE = "https://huggingface.co/kyutai/pocket-tts"
_GATED_HINT = f"accept the terms at {TERMS_PAGE} and log in with `hf auth login`, then rerun"


class PocketVoice:
    """Kyutai's Pocket TTS speaking `language` in the voice of `sample`."""

    name: ClassVar[str] = "pocket"
    clones: ClassVar[bool] = True  # needs a voice sample
    fallback: ClassVar[str] = "piper"  # the usual voice of languages Pocket TTS does not speak
    languages: ClassVar[tuple[str, ...]] = tuple(LANGUAGES)

    def __init__(
        self,
        language: str = "en",
        name: str | None = None,
        sample: str | None = None,
        state_dir: str | None = None,
    ) -> None:
        if sample is None:
            raise ConfigError(
                "the pocket voice speaks in the voice of a sample", "give one with --voice-sample"
            )
        code = primary_language(language)
        if code not in LANGUAGES:
            raise ConfigError(
                f"Pocket TTS does not speak '{language}'", "it speaks " + ", ".join(LANGUAGES)
            )
        self.language = code
        self._model: Any = load_model(code, name)
        self.sample_rate: int = int(self._model.sample_rate)
        identity = model_identity(code, name)
        self._state = self._voice_state(Path(sample), identity, state_dir)

    @classmethod
    def supports(cls, language: str, name: str | None = None) -> bool:
        return primary_language(language) in LANGUAGES

    @classmethod
    def prepare(cls, language: str, name: str | None = None) -> None:
        """Fetch the released model for `language` now (not after describing), or check that
        the config `name` is there."""
        if name is not None:
            config_path(name)
        elif cls.supports(language):
            fetch_weights(LANGUAGES[primary_language(language)])

    def _voice_state(self, sample: Path, identity: str, state_dir: str | None) -> Any:
        """The model's state after hearing `sample`, from the work folder when made before."""
        digest = hashlib.sha256(sample.read_bytes()).hexdigest()
        key = hashlib.sha256(f"{digest}\n{identity}".encode()).hexdigest()[:16]
        cached = Path(state_dir) / f"pocket-voice-{key}.safetensors" if state_dir else None
        if cached is not None and cached.is_file():
            log.info("speaking in the voice of %s, as learnt before (%s)", sample.name, cached)
            return self._model.get_state_for_audio_prompt(cached)
        log.info("learning the voice of %s", sample.name)
        audio = read_audio(sample, self.sample_rate)
        state = self._model.get_state_for_audio_prompt(torch.from_numpy(audio)[None])
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(cached.name + f".{os.getpid()}.tmp")
            pocket_tts.export_model_state(state, partial)
            partial.replace(cached)
        return state

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        rate = check_rate(rate)
        if not text.strip():
            return np.zeros(0, np.float32)
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            audio = self._model.generate_audio(self._state, text)
        samples = np.clip(audio.detach().cpu().numpy().reshape(-1), -1.0, 1.0).astype(np.float32)
        return change_tempo(samples, self.sample_rate, rate)

    def close(self) -> None:
        """Drop the model and the voice state; the voice cannot be used afterwards."""
        self._model = None
        self._state = None


def model_identity(language: str, config: str | None) -> str:
    """What the voice state depends on: the config's text, or the language's released model."""
    if config is not None:
        return hashlib.sha256(Path(config).expanduser().read_bytes()).hexdigest()
    from importlib.metadata import version

    return f"{LANGUAGES[language]} pocket-tts {version('pocket-tts')}"


def load_model(language: str, config: str | None = None) -> Any:
    """Kyutai's voice-cloning model for `language`, or the model of the YAML `config`."""
    if config is not None:
        path = config_path(config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)  # a config without weights gets the same random voice each time
            return pocket_tts.TTSModel.load_model(config=str(path))
    fetch_weights(LANGUAGES[language])
    model = pocket_tts.TTSModel.load_model(language=LANGUAGES[language])
    if not model.has_voice_cloning:
        raise ModelNotAvailable("Pocket TTS's voice-cloning weights are gated", _GATED_HINT)
    return model


def config_path(config: str) -> Path:
    """The YAML file `config` names; `ConfigError` when it is not one."""
    path = Path(config).expanduser()
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        raise ConfigError(
            f"no Pocket TTS config at {config}",
            "give the path of a Pocket TTS .yaml config, or leave --voice-name out",
        )
    return path


def fetch_weights(config_name: str) -> None:
    """Download (or find cached) every Hub file the released config names, one line on failure.

    Pocket TTS would otherwise fall back silently to its model without voice
    cloning when the gated weights cannot be had.
    """
    import yaml
    from pocket_tts.utils.config import CONFIGS_DIR

    config = yaml.safe_load((CONFIGS_DIR / f"{config_name}.yaml").read_text(encoding="utf-8"))
    tokenizer = config.get("flow_lm", {}).get("lookup_table", {}).get("tokenizer_path")
    what = f"Pocket TTS voice cloning ({config_name})"
    for source in (config.get("weights_path"), tokenizer):
        if not isinstance(source, str) or not source.startswith("hf://"):
            continue
        repo_and_file, _, revision = source.removeprefix("hf://").partition("@")
        owner, repo_name, filename = repo_and_file.split("/", 2)
        try:
            hub_file(f"{owner}/{repo_name}", filename, what, revision or "main")
        except HubOffline as exc:
            raise ModelNotAvailable(
                f"{what}: the model is not downloaded and HF_HUB_OFFLINE is set",
                f"run once online ({_GATED_HINT})",
            ) from exc
