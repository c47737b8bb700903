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


def iter_audio(
    path: Path,
    sample_rate: int,
    channels: int = 1,
    stream_index: int = 0,
    chunk_seconds: float = 10.0,
) -> Iterator[np.ndarray]:
    """Yield float32 blocks shaped (samples, channels) of one audio stream, resampled.

    Streaming keeps memory flat on long programmes.
    """
    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="flt", layout=layout, rate=sample_rate)
    pending: list[np.ndarray] = []
    pending_len = 0
    target = int(chunk_seconds * sample_rate)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[stream_index]
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    block = out.to_ndarray().reshape(-1, channels)
                    pending.append(block)
                    pending_len += len(block)
                    if pending_len >= target:
                        yield np.concatenate(pending)
                        pending, pending_len = [], 0
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1, channels))
    except (av.error.InvalidDataError, IndexError) as exc:
        raise MediaError(
            f"cannot decode the audio of {path.name} ({exc})", "check the file plays"
        ) from exc
    if pending:
        yield np.concatenate(pending)


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
