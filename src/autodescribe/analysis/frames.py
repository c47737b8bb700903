"""The frame pass: detect shots and keep stills in one decode of the video."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from autodescribe.backends.shots import cuts_to_shots, shot_detectors
from autodescribe.config import SceneSettings, ShotSettings
from autodescribe.media.decode import AnalysisFrame, StillPlan, iter_analysis_frames
from autodescribe.types import Shot, Still, VideoInfo
from autodescribe.util.progress import progress


@dataclass(frozen=True)
class FramePass:
    shots: list[Shot]
    stills: list[Still]


def analyse_frames(
    info: VideoInfo, shots: ShotSettings, scenes: SceneSettings, still_folder: Path
) -> FramePass:
    """Decode once: feed the shot detector and save a still every `still_interval` seconds."""
    options: dict[str, object] = {"threshold": shots.threshold}
    if "width" in shot_detectors.accepted_options(shots.detector):
        # a detector that scales frames itself is told our analysis width
        options["width"] = shots.analysis_width
    detector = shot_detectors.create(shots.detector, **options)
    size = detector.frame_size(info.width, info.height)
    kept: list[Still] = []
    plan = StillPlan(folder=still_folder, interval=scenes.still_interval, width=scenes.still_width)
    frames = iter_analysis_frames(Path(info.path), size, detector.channel_order, plan, kept)
    with progress("shots", info.duration) as bar:
        cuts = detector.detect(_tracked(frames, bar), info.fps)
    close = getattr(detector, "close", None)
    if close is not None:
        close()
    return FramePass(shots=cuts_to_shots(cuts, info.duration), stills=kept)


def _tracked(frames: Iterable[AnalysisFrame], bar) -> Iterator[AnalysisFrame]:  # noqa: ANN001
    done = 0.0
    for frame in frames:
        if frame.time - done >= 0.5:
            bar.update(frame.time - done)
            done = frame.time
        yield frame
