"""Work beside the main thread: side stages (their result, their error, abandoning them)
and decoders that read ahead."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from autodescribe.util.background import Beside, read_ahead
from autodescribe.util.progress import Abandoned, add_listener, progress, remove_listener


def test_side_work_gives_its_result_and_its_error() -> None:
    assert Beside("side", lambda: 6 * 7).result() == 42

    def fail() -> int:
        raise ValueError("no soundtrack")

    with pytest.raises(ValueError, match="no soundtrack"):
        Beside("side", fail).result()


def test_abandoned_side_work_stops_at_its_next_step_and_moves_no_bar() -> None:
    labels: list[str] = []
    steps: list[int] = []
    opened, release = threading.Event(), threading.Event()

    def listen(label: str, done: float, total: float | None) -> None:
        labels.append(label)

    def work() -> None:
        with progress("side", 100.0) as bar:
            opened.set()
            release.wait()
            for step in range(100):
                steps.append(step)
                bar.update(1.0)
        with progress("next stage", 1.0):
            steps.append(-1)

    add_listener(listen)
    try:
        side = Beside("side", work)
        assert opened.wait(10)
        side.abandon()
        heard_before = len(labels)
        release.set()
        with pytest.raises(Abandoned, match="side"):
            side.result()
    finally:
        remove_listener(listen)
    assert steps == [0], "it stopped at its first step"
    assert len(labels) == heard_before, "no bar moved after it was abandoned"


def test_an_abandoned_thread_opens_no_new_bar() -> None:
    labels: list[str] = []
    release = threading.Event()

    def work() -> None:
        release.wait()
        with progress("next stage", 1.0):
            pass

    def listen(label: str, done: float, total: float | None) -> None:
        labels.append(label)

    add_listener(listen)
    try:
        side = Beside("side", work)
        side.abandon()
        release.set()
        with pytest.raises(Abandoned, match="next stage"):
            side.result()
    finally:
        remove_listener(listen)
    assert "next stage" not in labels


def test_read_ahead_gives_every_item_in_order_from_another_thread() -> None:
    threads: set[str] = set()

    def items() -> Iterator[int]:
        for n in range(50):
            threads.add(threading.current_thread().name)
            yield n

    assert list(read_ahead(items(), depth=3, name="decoder")) == list(range(50))
    assert threads == {"decoder"}


def test_read_ahead_raises_the_producers_error_after_what_came_before() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("truncated file")

    got: list[int] = []
    with pytest.raises(OSError, match="truncated file"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    closed = threading.Event()
    made: list[int] = []

    def items() -> Iterator[int]:
        try:
            for n in range(1_000_000):
                made.append(n)
                yield n
        finally:
            closed.set()

    ahead = read_ahead(items(), depth=2)
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    ahead.close()
    assert closed.wait(5), "the producer's generator was closed"
    assert len(made) < 10, "it read only a few items ahead"


def test_side_work_that_fails_stops_its_owner_with_its_own_error() -> None:
    steps: list[int] = []

    def fail() -> None:
        raise ValueError("no whisper model")

    with pytest.raises(ValueError, match="no whisper model"):
        with Beside("side", fail):
            with progress("main", 1000.0) as bar:
                for step in range(1000):
                    steps.append(step)
                    bar.update(1.0)
                    threading.Event().wait(0.005)
    assert len(steps) < 1000, "the owner stopped at a step after the side failed"
    with progress("main again", 2.0) as bar:  # the owner's later bars move again
        bar.update(2.0)


def test_an_owner_that_fails_abandons_its_side_work() -> None:
    release, stopped = threading.Event(), threading.Event()
    steps: list[int] = []

    def work() -> None:
        try:
            with progress("side", 100.0) as bar:
                release.wait()
                for step in range(100):
                    steps.append(step)
                    bar.update(1.0)
        finally:
            stopped.set()

    with pytest.raises(OSError, match="corrupt video"):
        with Beside("side", work):
            raise OSError("corrupt video")
    release.set()
    assert stopped.wait(5)
    assert len(steps) <= 1, "it stopped at its first step"
