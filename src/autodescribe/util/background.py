"""Work that runs beside the main thread: stages (the soundtrack's beside the picture's),
and decoders that read ahead of what consumes them.

Each runs on a daemon thread, so an interrupted run ends at once. Side work and the
thread that started it stop each other: used as a context manager, a `Beside` whose
owner fails inside the block is abandoned (its next progress step raises `Abandoned`,
so it stops within one step of work, stores nothing more and moves no bar of whatever
the process does next, such as a server worker's next job), and a `Beside` that fails
while the block runs stops the owner the same way, at its next progress step, with
the side's own error. Whatever either finished is already in the work folder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from queue import Full, Queue
from typing import Generic, TypeVar

from autodescribe.util.progress import Abandoned, abandon_bars

T = TypeVar("T")


class Beside(Generic[T]):
    """`work` running on its own thread; `result()` waits for it and re-raises its error.

    Inside `with Beside(...) as side:` the owner and the side stop each other on failure
    (see the module doc)."""

    def __init__(self, name: str, work: Callable[[], T]) -> None:
        self._future: Future[T] = Future()
        self._owner = threading.current_thread()
        self._watching = False  # inside the owner's `with` block
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        self._future.set_running_or_notify_cancel()
        try:
            self._future.set_result(work())
        except BaseException as exc:  # handed to whoever waits for the result
            self._future.set_exception(exc)
            with self._lock:
                if self._watching:  # the owner stops at its next step, with this error
                    abandon_bars(self._owner)
        finally:
            abandon_bars(self._thread, abandoned=False)

    def __enter__(self) -> Beside[T]:
        with self._lock:
            self._watching = True
            if self._future.done() and self._future.exception() is not None:
                abandon_bars(self._owner)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        with self._lock:
            self._watching = False
            abandon_bars(self._owner, abandoned=False)
        if error is None:
            return
        if isinstance(error, Abandoned) and self._future.done():
            failure = self._future.exception()
            if failure is not None:
                raise failure from None  # the side's error is the run's
        self.abandon()

    def result(self) -> T:
        return self._future.result()

    def abandon(self) -> None:
        """Stop the work at its next progress step; nobody will wait for it."""
        if self._thread.is_alive():
            abandon_bars(self._thread)


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def read_ahead(items: Iterable[T], depth: int = 2, name: str = "read-ahead") -> Iterator[T]:
    """`items` in order, produced on their own thread up to `depth` ahead of the consumer.

    For a decoder feeding a consumer that computes on what it decodes (the render's mix
    and loudness meter): where both release the GIL, each gets a core. An error in the
    producer is raised in the consumer; a consumer that stops early stops the producer.
    """
    queue: Queue[object] = Queue(depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as exc:  # handed to the consumer
            offer(_Failed(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    threading.Thread(target=produce, name=name, daemon=True).start()
    try:
        while (item := queue.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
