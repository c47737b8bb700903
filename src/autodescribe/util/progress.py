"""Progress bars on stderr for long stages, and listeners that follow them.

The bars are for people at a terminal; listeners are for programs (the server's
worker) that report a stage and a percentage elsewhere. Listeners hear a bar's
label and position at most every `LISTEN_INTERVAL` seconds, plus its start and end.

`overall` adds one bar for a whole run above the stage bars: the stages it is
given, in the order they run and weighted by their usual share of the time,
make one percentage, and tqdm's rate over it gives one estimate of the time
left. A stage that never shows a bar (its result was reused) counts as done
once a later stage starts.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

_SECONDS_FORMAT = (
    "{desc} {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} {unit} [{elapsed}<{remaining}]"
)
# counted bars (frames, scenes, cues) laid out like the seconds ones
_COUNT_FORMAT = (
    "{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}]"
)
LISTEN_INTERVAL = 0.5

Listener = Callable[[str, float, float | None], None]
_listeners: list[Listener] = []


def add_listener(callback: Listener) -> None:
    """Call `callback(label, done, total)` as bars move (throttled)."""
    _listeners.append(callback)


def remove_listener(callback: Listener) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def _notify(label: str, done: float, total: float | None) -> None:
    for callback in list(_listeners):
        callback(label, done, total)


class _ListenedBar(tqdm):
    """A tqdm bar that also tells the listeners where it is, throttled."""

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        self._label = label
        self._told_at = 0.0
        super().__init__(*args, **kwargs)

    def update(self, n: float | None = 1) -> bool | None:
        if self.total and n:  # media runs a little past its rounded duration: stop at the end
            n = min(n, max(0.0, self.total - self.n))
        shown = super().update(n)
        now = time.monotonic()
        if _listeners and now - self._told_at >= LISTEN_INTERVAL:
            self._told_at = now
            _notify(self._label, float(self.n), self.total)
        return shown


@contextmanager
def progress(label: str, total: float | None, unit: str = "s") -> Iterator[tqdm]:
    """A bar on stderr; `total` in `unit` (seconds of media by default)."""
    bar = _ListenedBar(
        total=total,
        desc=f"{label:<10}",
        unit=unit,
        file=sys.stderr,
        mininterval=0.5,
        leave=False,
        dynamic_ncols=True,
        bar_format=_SECONDS_FORMAT if unit == "s" else _COUNT_FORMAT if total else None,
        label=label,
    )
    if _listeners:
        _notify(label, 0.0, total)
    try:
        yield bar
        if _listeners:
            _notify(label, float(total if total is not None else bar.n), total)
    finally:
        bar.close()


class _Overall:
    """Follows the stage bars and moves one bar by their weighted share of the run."""

    def __init__(self, plan: Sequence[tuple[str, float]], bar: tqdm) -> None:
        self._plan = list(plan)
        self._total = sum(weight for _, weight in plan) or 1.0
        self._done = [0.0] * len(plan)  # fraction of each planned stage
        self._at = 0  # the planned stage running now
        self._bar = bar

    def hear(self, label: str, done: float, total: float | None) -> None:
        found = next(
            (i for i in range(self._at, len(self._plan)) if self._plan[i][0] == label), None
        )
        if found is None:
            return
        for earlier in range(self._at, found):
            self._done[earlier] = 1.0
        self._at = found
        fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
        self._done[found] = max(self._done[found], fraction)
        share = sum(w * f for (_, w), f in zip(self._plan, self._done, strict=True))
        percent = round(100.0 * share / self._total, 1)
        if percent > self._bar.n:
            self._bar.update(percent - self._bar.n)


@contextmanager
def overall(plan: Sequence[tuple[str, float]]) -> Iterator[None]:
    """One bar and one estimate for a run whose stages show bars labelled as in `plan`.

    `plan` lists (stage label, weight) in the order the stages run; a label may
    come back (a stage run once per language).
    """
    bar = tqdm(
        total=100.0,
        desc=f"{'overall':<10}",
        file=sys.stderr,
        mininterval=0.5,
        leave=False,
        dynamic_ncols=True,
        bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
    )
    follower = _Overall(plan, bar)
    add_listener(follower.hear)
    try:
        yield
    finally:
        remove_listener(follower.hear)
        bar.close()


class DownloadBar(_ListenedBar):
    """A download's bar for `huggingface_hub` (`tqdm_class`): shown like ours, heard by listeners.

    The Hub's own bars hide when stderr is not a terminal; a download of
    60 MB or more should say so in a log as well.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("name", None)  # the Hub's bar group, which plain tqdm refuses
        kwargs.setdefault("file", sys.stderr)
        kwargs.setdefault("mininterval", 0.5)
        super().__init__(*args, label="download", **kwargs)
