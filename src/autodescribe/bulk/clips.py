"""Cutting a video into captioned clips: by scene (shot detection) or by a fixed stride.

Both read the video once, keeping stills often enough that every clip gets its
keyframes, and return (start, end, keyframe times) per clip plus the stills.
"""

from __future__ import annotations

import math
from pathlib import Path

from autodescribe.analysis.frames import analyse_frames
from autodescribe.analysis.scenes import build_scenes, pick_spread
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.config import SceneSettings, ShotSettings
from autodescribe.media.decode import StillPlan, iter_analysis_frames
from autodescribe.types import Still, VideoInfo

Span = tuple[float, float, tuple[float, ...]]
_LONGEST_INTERVAL = 0.5  # seconds between stills at most
_TAIL_SHARE = 0.25  # a last stride clip shorter than this share of a stride joins the previous


def still_interval(clip_seconds: float, frames: int) -> float:
    """Often enough for `frames` stills inside the shortest clip, at most every half second."""
    return min(_LONGEST_INTERVAL, clip_seconds / (frames + 1))


def scene_spans(
    info: VideoInfo, settings: CaptionSettings, folder: Path
) -> tuple[list[Span], list[Still]]:
    """Scenes from the narrate pipeline's own frame pass and scene grouping."""
    scene_settings = SceneSettings(
        min_scene_seconds=settings.min_scene_seconds,
        keyframes_per_scene=settings.frames,
        still_interval=still_interval(settings.min_scene_seconds, settings.frames),
        still_width=settings.frame_width,
    )
    frames = analyse_frames(
        info, ShotSettings(detector=settings.shot_detector), scene_settings, folder
    )
    scenes = build_scenes(frames.shots, frames.stills, settings.min_scene_seconds, settings.frames)
    return [(s.start, s.end, s.keyframe_times) for s in scenes], frames.stills


def stride_spans(
    info: VideoInfo, settings: CaptionSettings, folder: Path
) -> tuple[list[Span], list[Still]]:
    """Clips of `stride` seconds from 0; stills from one decode with no shot detection."""

    stride = settings.stride or info.duration
    plan = StillPlan(
        folder=folder, interval=still_interval(stride, settings.frames), width=settings.frame_width
    )
    kept: list[Still] = []
    for _ in iter_analysis_frames(Path(info.path), (32, 18), "rgb24", plan, kept):
        pass  # the tiny analysis frames are unused; the stills are what we keep
    spans = []
    for start, end in stride_edges(info.duration, stride):
        inside = [s.time for s in kept if start <= s.time < end]
        spans.append((start, end, tuple(pick_spread(inside, settings.frames))))
    return spans, kept


def stride_edges(duration: float, stride: float) -> list[tuple[float, float]]:
    """[0, s), [s, 2s)... up to `duration`; a very short last piece joins the one before."""
    count = max(1, math.ceil(duration / stride - 1e-9))
    edges = [
        (round(k * stride, 3), round(min((k + 1) * stride, duration), 3)) for k in range(count)
    ]
    if len(edges) > 1 and edges[-1][1] - edges[-1][0] < _TAIL_SHARE * stride:
        tail = edges.pop()
        edges[-1] = (edges[-1][0], tail[1])
    return edges
