"""Silero VAD (bundled ONNX weights, no download) as a speech detector.

silero's own `read_audio` needs torchaudio, which is not available here: the
caller decodes to 16 kHz mono float32 with `media.audio.read_audio` (or streams
blocks from `iter_audio` into `detect_stream`). The model scores 32 ms windows
one after another, carrying its state; the scores are then turned into spans by
silero's `get_speech_timestamps_from_probs`, so streaming gives exactly the
spans that silero's `get_speech_timestamps` gives on the whole signal.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import numpy as np

from autodescribe.errors import BackendUnavailable, ConfigError
from autodescribe.types import SpeechSpan

log = logging.getLogger(__name__)

# silero scores fixed windows: 512 samples at 16 kHz, 256 at 8 kHz.
_WINDOW = {16000: 512, 8000: 256}


def _load_model() -> Any:
    """The ONNX model, without letting silero_vad change torch's thread count for the process."""
    try:
        import torch
    except ImportError as exc:
        raise BackendUnavailable("silero VAD needs torch", "pip install torch") from exc
    threads = torch.get_num_threads()
    try:
        from silero_vad import load_silero_vad
    except ImportError as exc:
        raise BackendUnavailable("silero-vad is not installed", "pip install silero-vad") from exc
    finally:
        torch.set_num_threads(threads)  # importing silero_vad sets it to 1
    with warnings.catch_warnings():  # silero locates its weights with a deprecated API
        warnings.simplefilter("ignore", DeprecationWarning)
        return load_silero_vad(onnx=True)


class SileroSpeechDetector:
    """Voice activity from Silero VAD; spans are unpadded (see `pad_and_merge`)."""

    name: ClassVar[str] = "silero"
    sample_rates: ClassVar[tuple[int, ...]] = (16000, 8000)

    def __init__(
        self,
        threshold: float = 0.5,
        min_silence_ms: int = 300,
        min_speech_ms: int = 250,
        speech_pad_ms: int = 30,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ConfigError(
                f"VAD threshold {threshold} is out of range", "use a value between 0 and 1"
            )
        if min(min_silence_ms, min_speech_ms, speech_pad_ms) < 0:
            raise ConfigError("VAD durations must not be negative", "use 0 or more milliseconds")
        self.threshold = threshold
        self.min_silence_ms = min_silence_ms
        self.min_speech_ms = min_speech_ms
        self.speech_pad_ms = speech_pad_ms
        self._model: Any = _load_model()

    def detect(self, audio: np.ndarray, sample_rate: int) -> list[SpeechSpan]:
        if audio.ndim == 2 and audio.shape[1] == 1:
            audio = audio[:, 0]
        if audio.ndim != 1:
            raise ConfigError("speech detection needs mono audio", "decode with channels=1")
        return self.detect_stream([audio], sample_rate)

    def detect_stream(self, blocks: Iterable[np.ndarray], sample_rate: int) -> list[SpeechSpan]:
        """Spans over consecutive mono blocks of any length; memory stays one block deep."""
        import torch

        windows = _Windows(blocks, self._window(sample_rate))
        self._model.reset_states()
        probs = [float(self._model(torch.tensor(w), sample_rate).item()) for w in windows]
        return self._spans(probs, sample_rate, windows.samples)

    def close(self) -> None:
        self._model = None

    def _window(self, sample_rate: int) -> int:
        if sample_rate not in _WINDOW:
            raise ConfigError(
                f"silero VAD cannot use {sample_rate} Hz audio",
                "resample to 16000 Hz, e.g. media.audio.read_audio(path, 16000)",
            )
        if self._model is None:
            raise ConfigError("this speech detector was closed", "create a new one")
        return _WINDOW[sample_rate]

    def _spans(self, probs: list[float], sample_rate: int, samples: int) -> list[SpeechSpan]:
        """silero's own score-to-span rules, in samples (its seconds are rounded to 0.1 s)."""
        from silero_vad import get_speech_timestamps_from_probs

        stamps = get_speech_timestamps_from_probs(
            probs,
            sampling_rate=sample_rate,
            threshold=self.threshold,
            min_speech_duration_ms=self.min_speech_ms,
            min_silence_duration_ms=self.min_silence_ms,
            speech_pad_ms=self.speech_pad_ms,
            audio_length_samples=samples,
        )
        spans = [SpeechSpan(s["start"] / sample_rate, s["end"] / sample_rate) for s in stamps]
        log.debug("silero found %d speech spans in %.1f s", len(spans), samples / sample_rate)
        return spans


class _Windows:
    """Cuts blocks of any size into the model's fixed windows, zero-padding the last one."""

    def __init__(self, blocks: Iterable[np.ndarray], size: int) -> None:
        self._blocks = blocks
        self._size = size
        self.samples = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        carry = np.zeros(0, np.float32)
        for block in self._blocks:
            if block.ndim == 2 and block.shape[1] != 1:
                raise ConfigError("speech detection needs mono audio", "decode with channels=1")
            data = np.asarray(block, np.float32).reshape(-1)
            self.samples += data.size
            if carry.size:
                data = np.concatenate([carry, data])
            full = data.size - data.size % self._size
            for start in range(0, full, self._size):
                yield data[start : start + self._size]
            carry = data[full:].copy()
        if carry.size:
            yield np.pad(carry, (0, self._size - carry.size))
