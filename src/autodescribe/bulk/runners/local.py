"""The local runner: a process pool decodes ahead of the model worker(s) on this machine.

The driver keeps at most `2 × workers` videos decoded or decoding beyond what
the model holds (a bounded queue: memory stays flat on any manifest size),
hands whatever is ready to an idle model worker in one batch, and writes each
row as its batch finishes. One model worker per CUDA device when the describer
takes a device, else one. A decoder process that crashes outright (a segfault
on a hostile file) fails the videos it held and the pool is started again.
"""

from __future__ import annotations

import inspect
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from autodescribe.bulk.manifest import VideoItem
from autodescribe.bulk.rows import CaptionRow
from autodescribe.bulk.runners import Emit, quiet_progress
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.bulk.worker import CaptionWorker, PreparedVideo

log = logging.getLogger(__name__)

_process_worker: CaptionWorker | None = None


def default_workers() -> int:
    """Leave one core to the driver and the model."""
    return max(1, (os.cpu_count() or 2) - 1)


def run_local(
    items: Sequence[VideoItem],
    settings: CaptionSettings,
    emit: Emit,
    workers: int | None = None,
    address: str | None = None,
) -> None:
    """Caption `items`, emitting one row dict per video as it finishes.

    `workers=0` decodes in a thread of this process instead of a process pool.
    """
    del address  # only the Ray runner connects anywhere
    models = [CaptionWorker(settings, device) for device in model_devices(settings)]
    try:
        for model in models:
            model.open()
        _Pipeline(items, settings, emit, default_workers() if workers is None else workers).run(
            models
        )
    finally:
        for model in models:
            model.close()


def model_devices(settings: CaptionSettings) -> list[str | None]:
    """One entry per model worker: each CUDA device if the describer takes one, else [None]."""
    from autodescribe.backends.describe import describers

    backend = describers.load(settings.describer)
    if "device" not in inspect.signature(backend).parameters:
        return [None]
    try:
        import torch
    except ImportError:
        return [None]
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return [f"cuda:{i}" for i in range(count)] or [None]


class _Pipeline:
    """The driver loop: bounded prepare-ahead, model batches, rows written in the driver."""

    def __init__(
        self, items: Sequence[VideoItem], settings: CaptionSettings, emit: Emit, workers: int
    ) -> None:
        self.queue = deque(items)
        self.settings = settings
        self.emit = emit
        self.workers = workers
        self.ahead = max(2, 2 * workers)
        self.preparing: dict[Future[PreparedVideo], VideoItem] = {}
        self.ready: deque[PreparedVideo] = deque()
        self.busy: dict[Future[list[CaptionRow]], CaptionWorker] = {}
        self.pool = self._new_pool()

    def run(self, models: list[CaptionWorker]) -> None:
        idle = list(models)
        with ThreadPoolExecutor(len(models), thread_name_prefix="caption-model") as threads:
            try:
                self._refill()
                while self.preparing or self.ready or self.busy:
                    while idle and self.ready:
                        batch = [
                            self.ready.popleft()
                            for _ in range(min(len(self.ready), self.settings.batch_size))
                        ]
                        model = idle.pop()
                        self.busy[threads.submit(model.describe, batch)] = model
                    self._refill()
                    pending: list[Future[Any]] = [*self.preparing, *self.busy]
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        if future in self.busy:
                            idle.append(self.busy.pop(future))
                            for row in future.result():
                                self.emit(row.to_dict())
                        elif future in self.preparing:  # not failed by a pool restart
                            self._prepared(future)
            finally:
                self.pool.shutdown(wait=True, cancel_futures=True)

    def _refill(self) -> None:
        while self.queue and len(self.preparing) + len(self.ready) < self.ahead:
            item = self.queue.popleft()
            self.preparing[self.pool.submit(_prepare, item)] = item

    def _prepared(self, future: Future[PreparedVideo]) -> None:
        item = self.preparing.pop(future)
        try:
            self.ready.append(future.result())
        except BrokenProcessPool:
            log.warning("a decoding process crashed while holding %s", item.path)
            self.ready.append(PreparedVideo(item=item, error="the decoding process crashed"))
            self._restart_pool()

    def _restart_pool(self) -> None:
        """Fail what the dead pool held, then start a fresh one for the rest."""
        for future, item in list(self.preparing.items()):
            if future.done() and future.exception() is None:
                self.ready.append(future.result())
            else:
                self.ready.append(PreparedVideo(item=item, error="the decoding process crashed"))
        self.preparing.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()

    def _new_pool(self) -> Executor:
        if self.workers == 0:
            _init_process(self.settings, quiet=False)
            return ThreadPoolExecutor(1, thread_name_prefix="caption-prepare")
        # spawn, not fork: the driver may hold a loaded model and its threads
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_process,
            initargs=(self.settings,),
        )


def _init_process(settings: CaptionSettings, quiet: bool = True) -> None:
    global _process_worker
    if quiet:
        quiet_progress()
    _process_worker = CaptionWorker(settings)


def _prepare(item: VideoItem) -> PreparedVideo:
    assert _process_worker is not None, "the pool initializer creates the worker"
    return _process_worker.prepare(item)
