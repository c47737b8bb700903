"""Probe a media file with PyAV into a `VideoInfo`, with clear errors for bad input."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

from autodescribe.errors import MediaError
from autodescribe.types import AudioStreamInfo, VideoInfo

_NOT_VIDEO_HINT = "pass a video file (MP4, MOV, MKV, WebM)"


def probe(path: Path) -> VideoInfo:
    """Read container and stream facts; fail with one line if this is not a usable video."""
    if not path.exists():
        raise MediaError(f"no such file: {path}", "check the path")
    if path.is_dir():
        raise MediaError(f"{path} is a folder", _NOT_VIDEO_HINT)
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"{path.name} is empty (0 bytes)", "the file was not written completely")
    try:
        with av.open(str(path)) as container:
            return _info(path, container, size)
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"{path.name} is not a readable video ({exc.strerror or exc})",
            "the file may be truncated or corrupt; re-export or re-download it",
        ) from exc


def _info(path: Path, container: av.container.InputContainer, size: int) -> VideoInfo:
    if not container.streams.video:
        kind = "an audio-only file" if container.streams.audio else "not a video"
        raise MediaError(f"{path.name} is {kind}", _NOT_VIDEO_HINT)
    stream = container.streams.video[0]
    fps = _frame_rate(stream)
    duration = _duration(container, stream)
    if duration <= 0:
        raise MediaError(f"{path.name} has no duration", "the file may be truncated; re-export it")
    frames = stream.frames or round(duration * fps)
    audio = tuple(
        AudioStreamInfo(
            index=a.index,
            codec=a.codec_context.name,
            sample_rate=a.codec_context.sample_rate or 0,
            channels=a.codec_context.channels or 0,
            language=_clean_language(a.metadata.get("language")),
            title=a.metadata.get("title"),
        )
        for a in container.streams.audio
    )
    return VideoInfo(
        path=str(path),
        duration=duration,
        fps=fps,
        width=stream.codec_context.width,
        height=stream.codec_context.height,
        codec=stream.codec_context.name,
        container=container.format.name,
        frame_count=frames,
        rotation=_rotation(container, stream),
        audio=audio,
        size_bytes=size,
    )


def _frame_rate(stream: av.video.stream.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
    return float(rate)


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """Counter-clockwise degrees (0, 90, 180, 270) that turn the stored picture upright.

    Phones store the picture as the sensor saw it and tag a display matrix;
    PyAV exposes the matrix only on decoded frames, so the first frame is read.
    """
    tagged = stream.metadata.get("rotate")
    if tagged:  # the old-style tag counts clockwise
        return -int(float(tagged)) % 360
    try:
        frame = next(container.decode(stream), None)
    except (av.error.FFmpegError, ValueError):
        return 0  # decoding problems are reported, with advice, by the frame pass
    if frame is None:
        return 0
    return round(frame.rotation / 90) * 90 % 360


def _clean_language(code: str | None) -> str | None:
    return None if code in (None, "", "und") else code
