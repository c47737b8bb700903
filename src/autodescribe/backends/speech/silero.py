"""Silero VAD (bundled ONNX weights, no download) as a speech detector.

silero's own `read_audio` needs torchaudio, which is not available here: the
caller decodes to 16 kHz mono float32 with `media.audio.read_audio` (or streams
blocks from `iter_audio` into `detect_stream`). The model scores 32 ms windows
in order, carrying its state from one to the next; the scores are then turned
into spans by silero's rules (`vad_rules`, without the torch its own helper
imports), so streaming gives exactly the spans that silero's
`get_speech_timestamps` gives on the whole signal.

The windows are scored with the "sequence" export that silero-vad ships
(`silero_vad_16k_sequence.onnx`, run by ONNX Runtime, no torch): one call
scores a whole block of windows with the same state carried inside the model,
and gives the same scores, bit for bit, as the stock model called once per
window, without a Python round trip every 32 ms. That export is for 16 kHz only.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from autodescribe.backends.speech.vad_rules import spans_from_scores
from autodescribe.errors import BackendUnavailable, ConfigError
from autodescribe.types import SpeechSpan

log = logging.getLogger(__name__)

RATE = 16000
WINDOW = 512  # samples silero scores at a time at 16 kHz
CONTEXT = 64  # samples of the previous window the model sees in front of each one
# Windows per model call: about 33 s of audio, 2.4 MB of input.
MAX_WINDOWS = 1024
_MODEL_FILE = "silero_vad_16k_sequence.onnx"


def _weights() -> Path:
    """silero's sequence model file, found without importing silero_vad (which imports torch)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable("silero-vad is not installed", "pip install silero-vad")
    weights = Path(list(spec.submodule_search_locations)[0]) / "data" / _MODEL_FILE
    if not weights.is_file():
        raise BackendUnavailable(
            f"this silero-vad has no {_MODEL_FILE}", "pip install 'silero-vad>=6.2.2'"
        )
    return weights


def _session() -> Any:
    """An ONNX Runtime session on silero's sequence model, on one thread like silero's own."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise BackendUnavailable("silero VAD needs onnxruntime", "pip install onnxruntime") from exc
    weights = _weights()
    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(weights), sess_options=options, providers=["CPUExecutionProvider"]
    )


class SileroModel:
    """silero's model as its helpers call it (`reset_states`, one window per call), plus
    `score`, which scores many windows in one call and carries the state past them."""

    def __init__(self) -> None:
        self._session = _session()
        self.reset_states()

    def reset_states(self) -> None:
        self._hidden = np.zeros((1, 1, 128), np.float32)
        self._cell = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)

    def __call__(self, window: Any, sample_rate: int) -> np.ndarray:
        """The speech probability of one window (what silero's `get_speech_timestamps` calls)."""
        if sample_rate != RATE:
            raise ConfigError(f"silero VAD here takes {RATE} Hz audio", f"resample to {RATE} Hz")
        data = np.asarray(window, np.float32).reshape(1, WINDOW)
        return self.score(data)[0]

    def score(self, windows: np.ndarray) -> np.ndarray:
        """Speech probabilities of consecutive (n, WINDOW) windows, following on from the last."""
        if not len(windows):
            return np.zeros(0, np.float32)
        contexts = np.empty((len(windows), CONTEXT), np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -CONTEXT:]
        self._context = windows[-1, -CONTEXT:].copy()
        probs, self._hidden, self._cell = self._session.run(
            ["speech_probs", "hn", "cn"],
            {
                "input": np.concatenate([contexts, windows], axis=1),
                "h": self._hidden,
                "c": self._cell,
            },
        )
        return np.asarray(probs, np.float32).reshape(-1)


class SileroSpeechDetector:
    """Voice activity from Silero VAD; spans are unpadded (see `pad_and_merge`)."""

    name: ClassVar[str] = "silero"
    sample_rates: ClassVar[tuple[int, ...]] = (RATE,)

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
        self._model: SileroModel | None = SileroModel()

    def detect(self, audio: np.ndarray, sample_rate: int) -> list[SpeechSpan]:
        if audio.ndim == 2 and audio.shape[1] == 1:
            audio = audio[:, 0]
        if audio.ndim != 1:
            raise ConfigError("speech detection needs mono audio", "decode with channels=1")
        return self.detect_stream([audio], sample_rate)

    def detect_stream(self, blocks: Iterable[np.ndarray], sample_rate: int) -> list[SpeechSpan]:
        """Spans over consecutive mono blocks of any length; memory stays one block deep."""
        model = self._ready(sample_rate)
        windows = _Windows(blocks)
        model.reset_states()
        scores = [model.score(batch) for batch in windows]
        probs = np.concatenate(scores) if scores else np.zeros(0, np.float32)
        return self._spans(probs.tolist(), sample_rate, windows.samples)

    def close(self) -> None:
        self._model = None

    def _ready(self, sample_rate: int) -> SileroModel:
        if sample_rate != RATE:
            raise ConfigError(
                f"silero VAD cannot use {sample_rate} Hz audio",
                f"resample to {RATE} Hz, e.g. media.audio.read_audio(path, {RATE})",
            )
        if self._model is None:
            raise ConfigError("this speech detector was closed", "create a new one")
        return self._model

    def _spans(self, probs: list[float], sample_rate: int, samples: int) -> list[SpeechSpan]:
        """silero's score-to-span rules (`vad_rules`), in samples, then seconds."""
        pairs = spans_from_scores(
            probs,
            WINDOW,
            samples,
            sample_rate,
            threshold=self.threshold,
            min_speech_ms=self.min_speech_ms,
            min_silence_ms=self.min_silence_ms,
            speech_pad_ms=self.speech_pad_ms,
        )
        spans = [SpeechSpan(start / sample_rate, end / sample_rate) for start, end in pairs]
        log.debug("silero found %d speech spans in %.1f s", len(spans), samples / sample_rate)
        return spans


class _Windows:
    """Cuts blocks of any size into batches of whole (n, WINDOW) windows, at most
    MAX_WINDOWS at a time; the last window is padded with zeros."""

    def __init__(self, blocks: Iterable[np.ndarray]) -> None:
        self._blocks = blocks
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
            full = data.size - data.size % WINDOW
            windows = data[:full].reshape(-1, WINDOW)
            for first in range(0, len(windows), MAX_WINDOWS):
                yield windows[first : first + MAX_WINDOWS]
            carry = data[full:].copy()
        if carry.size:
            yield np.pad(carry, (0, WINDOW - carry.size)).reshape(1, WINDOW)
