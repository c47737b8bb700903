"""Decode audio to numpy with PyAV, and write WAV files.

Everything that analyses audio (VAD, transcription, loudness) reads it
through here, resampled to the rate it needs.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from autodescribe.errors import MediaError
from autodescribe.media.decode import decode_tolerant

# Timestamp jitter below this is rounding, not a hole in the audio.
_HOLE_TOLERANCE = 0.005
# Channel layouts audio is decoded to, by channel count (FFmpeg's default layout for each).
LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


def iter_audio(
    path: Path,
    sample_rate: int,
    channels: int = 1,
    stream_index: int = 0,
    chunk_seconds: float = 10.0,
) -> Iterator[np.ndarray]:
    """Yield float32 blocks shaped (samples, channels) of one audio stream, resampled.

    Streaming keeps memory flat on long programmes. Holes in the stream
    (skipped damaged packets, gaps in the timestamps) come back as silence, so
    sample n is always n / sample_rate seconds after the stream's start.
    """
    if channels not in LAYOUTS:
        raise ValueError(f"cannot decode to {channels} channels; use one of {sorted(LAYOUTS)}")
    layout = LAYOUTS[channels]
    resampler = av.AudioResampler(format="flt", layout=layout, rate=sample_rate)
    pending: list[np.ndarray] = []
    pending_len = 0
    target = int(chunk_seconds * sample_rate)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[stream_index]
            expected: float | None = None
            for frame in decode_tolerant(container, stream, path):
                hole, expected = _hole(frame, expected)
                if hole > 0:
                    pending.append(np.zeros((round(hole * sample_rate), channels), np.float32))
                for out in resampler.resample(frame):
                    block = out.to_ndarray().reshape(-1, channels)
                    pending.append(block)
                    pending_len += len(block)
                    if pending_len >= target:
                        yield np.concatenate(pending)
                        pending, pending_len = [], 0
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1, channels))
    except (av.error.FFmpegError, IndexError) as exc:
        raise MediaError(
            f"cannot decode the audio of {path.name} ({exc})", "check the file plays"
        ) from exc
    if pending:
        yield np.concatenate(pending)


def _hole(frame: av.AudioFrame, expected: float | None) -> tuple[float, float | None]:
    """Seconds missing before `frame` (0 when it follows on), and where the next should start."""
    if frame.pts is None or frame.time_base is None or not frame.sample_rate:
        return 0.0, None
    start = float(frame.pts * frame.time_base)
    hole = start - expected if expected is not None else 0.0
    return (hole if hole > _HOLE_TOLERANCE else 0.0), start + frame.samples / frame.sample_rate


def read_audio(
    path: Path, sample_rate: int, channels: int = 1, stream_index: int = 0
) -> np.ndarray:
    """The whole stream as float32 (samples,) for mono or (samples, channels)."""
    blocks = list(iter_audio(path, sample_rate, channels, stream_index))
    audio = np.concatenate(blocks) if blocks else np.zeros((0, channels), np.float32)
    return audio[:, 0] if channels == 1 else audio


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write float samples in [-1, 1] as 16-bit PCM WAV, (n,) or (n, channels)."""
    data = samples if samples.ndim == 2 else samples[:, None]
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(pcm.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV as float32 (n,) or (n, channels), with its rate."""
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    data = pcm.reshape(-1, channels).astype(np.float32) / 32768.0
    return (data[:, 0] if channels == 1 else data), rate
