"""Speech: where the dialogue is, padded, and how loud it is.

Found before anything is described, so each description is written for the
time it will actually have.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from autodescribe.backends.speech import speech_detectors
from autodescribe.backends.speech.base import detect_blocks, pad_and_merge
from autodescribe.config import NarrateJob, SpeechSettings
from autodescribe.media.audio import iter_audio
from autodescribe.types import SpeechSpan, VideoInfo
from autodescribe.util.cache import WorkDir, file_fingerprint, stable_hash
from autodescribe.util.progress import progress

VAD_RATE = 16_000
DEFAULT_DIALOGUE_DB = -20.0


@dataclass(frozen=True)
class SpeechAnalysis:
    spans: list[SpeechSpan]
    dialogue_rms_db: float  # level narration is matched to


def detect_speech(
    info: VideoInfo, settings: SpeechSettings, keep: IO[bytes] | None = None
) -> SpeechAnalysis:
    """Speech spans and dialogue level, decoding the soundtrack once, block by block.

    The level needs the spans, which are known only at the end, and an hour of
    16 kHz audio held in memory would cost a quarter of a gigabyte: the decoded
    blocks are spooled to an unlinked temporary file as the detector reads them
    and read back from it, instead of decoding the soundtrack a second time.
    With `keep` (a binary file the caller owns), the spool is that file and
    stays there as raw float32 for the caller (the transcript reads it too).
    """
    if not info.has_audio:
        return SpeechAnalysis(spans=[], dialogue_rms_db=DEFAULT_DIALOGUE_DB)
    with progress("speech", round(info.duration, 1)) as bar:
        if keep is not None:
            return _detect(info, settings, bar.update, keep)
        with tempfile.TemporaryFile() as spool:
            return _detect(info, settings, bar.update, spool)


def _detect(
    info: VideoInfo, settings: SpeechSettings, advance: Callable[[float], object], spool: IO[bytes]
) -> SpeechAnalysis:
    detector = speech_detectors.create(
        "silero", threshold=settings.threshold, min_silence_ms=settings.min_silence_ms
    )
    sizes: list[int] = []
    try:
        blocks = _spooled(iter_audio(Path(info.path), VAD_RATE), spool, sizes)
        raw = detect_blocks(detector, _counted(blocks, advance), VAD_RATE)
    finally:
        detector.close()
    level = spans_rms_db(_replayed(spool, sizes), raw, VAD_RATE) if raw else None
    return SpeechAnalysis(
        spans=pad_and_merge(raw, settings.padding, info.duration),
        dialogue_rms_db=DEFAULT_DIALOGUE_DB if level is None else level,
    )


def _spooled(
    blocks: Iterable[np.ndarray], spool: IO[bytes], sizes: list[int]
) -> Iterator[np.ndarray]:
    """`blocks` passed on unchanged, each also written to `spool` as float32 (sizes noted)."""
    for block in blocks:
        data = np.ascontiguousarray(block, np.float32).reshape(-1)
        spool.write(data.tobytes())
        sizes.append(data.size)
        yield block


def _counted(
    blocks: Iterable[np.ndarray], advance: Callable[[float], object]
) -> Iterator[np.ndarray]:
    """`blocks` passed on unchanged, `advance` told the seconds of audio each one holds."""
    for block in blocks:
        yield block
        advance(round(len(block) / VAD_RATE, 3))


def _replayed(spool: IO[bytes], sizes: list[int]) -> Iterator[np.ndarray]:
    """The blocks `_spooled` wrote, in the same sizes."""
    spool.seek(0)
    for size in sizes:
        yield np.frombuffer(spool.read(4 * size), np.float32)


def spans_rms_db(blocks: Iterable[np.ndarray], spans: list[SpeechSpan], rate: int) -> float:
    """`rms_db` over consecutive blocks, holding one block at a time."""
    bounds = [(int(s.start * rate), int(s.end * rate)) for s in spans]
    total, count, offset = 0.0, 0, 0
    for block in blocks:
        data = np.asarray(block, np.float32).reshape(-1)
        end = offset + data.size
        for lo, hi in bounds:
            a, b = max(lo, offset), min(hi, end)
            if a < b:
                part = data[a - offset : b - offset]
                total += float(np.sum(np.square(part, dtype=np.float64)))
                count += part.size
        offset = end
    if count < rate // 4:
        return DEFAULT_DIALOGUE_DB
    return max(-60.0, 20 * np.log10(np.sqrt(total / count) + 1e-12))


def rms_db(audio: np.ndarray, spans: list[SpeechSpan], rate: int) -> float:
    """RMS level in dBFS of the audio inside `spans` (the dialogue), or a default."""
    parts = [audio[int(s.start * rate) : int(s.end * rate)] for s in spans]
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    if samples.size < rate // 4:
        return DEFAULT_DIALOGUE_DB
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(-60.0, 20 * np.log10(rms + 1e-12))


def source_key(video: Path) -> str:
    """Identity of the input video for cache keys (content fingerprint and name)."""
    return stable_hash(file_fingerprint(video), video.name)


def speech_stage(
    info: VideoInfo, job: NarrateJob, work: WorkDir, keep: IO[bytes] | None = None
) -> tuple[SpeechAnalysis, str]:
    """Speech spans and dialogue level, from the work folder when already found; and their key.

    When they are found now and `keep` is given, the soundtrack decoded for them is left in
    `keep` (see `detect_speech`); `keep` stays empty when they were stored."""
    key = stable_hash("speech", source_key(job.video), job.settings.speech)
    speech = work.stage(
        "speech", key, SpeechAnalysis, lambda: detect_speech(info, job.settings.speech, keep)
    )
    return speech, key


def spooled_blocks(spool: IO[bytes], seconds: float = 10.0) -> Iterator[np.ndarray]:
    """The soundtrack `detect_speech` left in `spool`, again as (samples, 1) blocks at 16 kHz."""
    spool.seek(0)
    size = 4 * round(seconds * VAD_RATE)
    while data := spool.read(size):
        yield np.frombuffer(data, np.float32).reshape(-1, 1)
