"""PySceneDetect's adaptive content detector, fed from our own decode."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from autodescribe.media.decode import AnalysisFrame, analysis_size


class PySceneDetectDetector:
    """Adaptive detector: robust to fast motion, the default for most footage."""

    name: ClassVar[str] = "pyscenedetect"
    channel_order: ClassVar[str] = "bgr24"

    def __init__(
        self, threshold: float | None = None, width: int = 256, min_shot_frames: int = 8
    ) -> None:
        self.threshold = 3.0 if threshold is None else threshold
        self.width = width
        self.min_shot_frames = min_shot_frames

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        return analysis_size(width, height, self.width)

    def detect(self, frames: Iterable[AnalysisFrame], fps: float) -> list[float]:
        from scenedetect.common import FrameTimecode
        from scenedetect.detectors import AdaptiveDetector

        detector = AdaptiveDetector(
            adaptive_threshold=self.threshold, min_scene_len=self.min_shot_frames
        )
        cut_frames: list[int] = []
        times: list[float] = []  # real frame times, so variable frame rates stay exact
        last = None
        for frame in frames:
            times.append(frame.time)
            last = FrameTimecode(frame.index, fps=fps)
            cut_frames.extend(tc.frame_num for tc in detector.process_frame(last, frame.pixels))
        if last is not None:
            cut_frames.extend(tc.frame_num for tc in detector.post_process(last))
        return sorted(times[i] for i in cut_frames if 0 < i < len(times))
