"""Stages that run beside the main thread, such as the soundtrack's beside the picture's.

Each runs on a daemon thread, so an interrupted run ends at once. A run that fails
in the main thread abandons its side work: the abandoned thread's next progress
step raises `Abandoned`, so it stops within one step of work, stores nothing more
and moves no bar of whatever the process does next (a server worker takes the
next job). Whatever it finished is already in the work folder for a rerun.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from autodescribe.util.progress import abandon_bars

T = TypeVar("T")


class Beside(Generic[T]):
    """`work` running on its own thread; `result()` waits for it and re-raises its error."""

    def __init__(self, name: str, work: Callable[[], T]) -> None:
        self._future: Future[T] = Future()
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        self._future.set_running_or_notify_cancel()
        try:
            self._future.set_result(work())
        except BaseException as exc:  # handed to whoever waits for the result
            self._future.set_exception(exc)
        finally:
            abandon_bars(self._thread, abandoned=False)

    def result(self) -> T:
        return self._future.result()

    def abandon(self) -> None:
        """Stop the work at its next progress step; nobody will wait for it."""
        if self._thread.is_alive():
            abandon_bars(self._thread)
