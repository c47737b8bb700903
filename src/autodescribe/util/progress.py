"""Progress bars on stderr for long stages, and listeners that follow them.

The bars are for people at a terminal; listeners are for programs (the server's
worker) that report a stage and a percentage elsewhere. Listeners hear a bar's
label and position at most every `LISTEN_INTERVAL` seconds, plus its start and end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

_SECONDS_FORMAT = (
    "{desc} {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} {unit} [{elapsed}<{remaining}]"
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
        bar_format=_SECONDS_FORMAT if unit == "s" else None,
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
