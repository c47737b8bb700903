"""Progress bars on stderr for long stages, and listeners that follow them.

The bars are for people at a terminal; listeners are for programs (the server's
worker) that report a stage and a percentage elsewhere. Listeners hear a bar's
label and position at most every `LISTEN_INTERVAL` seconds, plus its start and end.

`overall` adds one bar for a whole run above the stage bars: the stages it is
given, in the order they run and weighted by their usual share of the time,
make one percentage, and tqdm's rate over it gives one estimate of the time
left; listeners hear it as the bar labelled `OVERALL`. Stages may run side by
side in lanes (the soundtrack's stages beside the picture's): a stage that never
shows a bar (its result was reused) counts as done once a later stage of its
lane starts, or any later stage of the main lane, which waits for every lane.
Bars may move from several threads; listeners hear them one at a time.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from tqdm import tqdm

_SECONDS_FORMAT = (
    "{desc} {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} {unit} [{elapsed}<{remaining}]"
)
# counted bars (frames, scenes, cues) laid out like the seconds ones
_COUNT_FORMAT = (
    "{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}]"
)
LISTEN_INTERVAL = 0.5
OVERALL = "overall"  # the label listeners hear the whole run's percentage under (of 100)

Listener = Callable[[str, float, float | None], None]
_listeners: list[Listener] = []
_telling = threading.RLock()  # bars of stages running side by side move from their own threads


def add_listener(callback: Listener) -> None:
    """Call `callback(label, done, total)` as bars move (throttled)."""
    _listeners.append(callback)


def remove_listener(callback: Listener) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


class Abandoned(Exception):
    """Raised by a bar moved from a thread whose work nobody waits for any more."""


_abandoned: set[threading.Thread] = set()  # such threads, until they end


def abandon_bars(thread: threading.Thread, abandoned: bool = True) -> None:
    """Make every bar moved from `thread` raise `Abandoned` from now on (or no longer)."""
    if abandoned:
        _abandoned.add(thread)
    else:
        _abandoned.discard(thread)


def _notify(label: str, done: float, total: float | None) -> None:
    with _telling:
        for callback in list(_listeners):
            callback(label, done, total)


class _ListenedBar(tqdm):
    """A tqdm bar that also tells the listeners where it is, throttled."""

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        self._label = label
        self._told_at = 0.0
        super().__init__(*args, **kwargs)

    def update(self, n: float | None = 1) -> bool | None:
        if _abandoned and threading.current_thread() in _abandoned:
            raise Abandoned(self._label)
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
    if _abandoned and threading.current_thread() in _abandoned:
        raise Abandoned(label)
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


class Planned(NamedTuple):
    """A stage of a run as `overall` expects it: its bar's label, its usual share of the time,
    and its lane ("" for the main one, which waits for every other lane before going on)."""

    label: str
    weight: float
    lane: str = ""


class OverallShare:
    """The share of a planned run that the stage bars heard so far stand for, 0-100."""

    def __init__(self, plan: Sequence[Planned]) -> None:
        self._plan = list(plan)
        self._total = sum(stage.weight for stage in plan) or 1.0
        self._done = [0.0] * len(plan)  # fraction of each planned stage
        self._closed = [False] * len(plan)  # a later stage of its lane has started

    def hear(self, label: str, done: float, total: float | None) -> float | None:
        """The run's percentage after bar `label` reached `done` of `total`; None if unplanned."""
        open_stages = (i for i, closed in enumerate(self._closed) if not closed)
        found = next((i for i in open_stages if self._plan[i].label == label), None)
        if found is None:
            return None
        lane = self._plan[found].lane
        for earlier in range(found):
            if not lane or self._plan[earlier].lane == lane:
                self._done[earlier], self._closed[earlier] = 1.0, True
        fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
        self._done[found] = max(self._done[found], fraction)
        share = sum(stage.weight * f for stage, f in zip(self._plan, self._done, strict=True))
        return round(100.0 * share / self._total, 1)


@contextmanager
def overall(plan: Sequence[Planned]) -> Iterator[None]:
    """One bar and one estimate for a run whose stages show bars labelled as in `plan`.

    `plan` lists the stages in the order they start; a label may come back (a
    stage run once per language). Listeners hear the percentage as `OVERALL`.
    """
    bar = tqdm(
        total=100.0,
        desc=f"{OVERALL:<10}",
        file=sys.stderr,
        mininterval=0.5,
        leave=False,
        dynamic_ncols=True,
        bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
    )
    share = OverallShare(plan)

    def follow(label: str, done: float, total: float | None) -> None:
        percent = share.hear(label, done, total)
        if percent is not None and percent > bar.n:
            bar.update(percent - bar.n)
            _notify(OVERALL, percent, 100.0)  # unplanned, so `follow` itself ignores it

    add_listener(follow)
    try:
        yield
    finally:
        remove_listener(follow)
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
