"""The FastAPI app: API routes under /v1, the web app's static files, and the worker pool.

`create_app(settings)` builds everything from settings and starts nothing at
import. While the app runs (its lifespan), it keeps `settings.workers` worker
processes alive: a worker that dies is started again, and the job it held goes
back to the queue to resume from its work folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from autodescribe import __version__
from autodescribe.server.jobs import JobStore
from autodescribe.server.routes import (
    characters,
    choices,
    events,
    files,
    jobs,
    qc,
    script,
    session,
)
from autodescribe.server.schemas import Problem
from autodescribe.server.security import require_token
from autodescribe.server.settings import ServerSettings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
SUPERVISE_SECONDS = 1.0
_CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class WorkerPool:
    """Worker subprocesses running `python -m autodescribe.server.worker`."""

    def __init__(self, settings: ServerSettings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self.processes: list[subprocess.Popen[bytes]] = []
        self._log: IO[bytes] | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        if self._log is None:
            log_dir = self.settings.data_dir / "logs"
            log_dir.mkdir(parents=True, exist_ok=True)
            self._log = (log_dir / "worker.log").open("ab")
        command = [
            sys.executable,
            "-m",
            "autodescribe.server.worker",
            "--data",
            str(self.settings.data_dir),
            "--poll",
            str(self.settings.poll_seconds),
            "--parent",
            str(os.getpid()),
            "--verbose",
        ]
        return subprocess.Popen(command, stdout=self._log, stderr=self._log)

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.settings.workers)]

    def check(self) -> None:
        """Start again any worker that died; its job goes back to the queue first."""
        for i, process in enumerate(self.processes):
            code = process.poll()
            if code is None:
                continue
            log.warning("worker %d ended (exit %s); starting another", process.pid, code)
            for job_id in self.store.recover():
                log.warning("job %s was interrupted; queued again", job_id)
            self.processes[i] = self._spawn()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
        if self._log is not None:
            self._log.close()
            self._log = None


async def _supervise(pool: WorkerPool) -> None:
    while True:
        await asyncio.sleep(SUPERVISE_SECONDS)
        await asyncio.to_thread(pool.check)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Requeue jobs of dead workers, keep the worker pool alive, stop it on shutdown."""
    store: JobStore = app.state.store
    for job_id in store.recover():
        log.info("job %s was interrupted; queued again", job_id)
    pool = WorkerPool(app.state.settings, store)
    pool.start()
    app.state.workers = pool
    supervisor = asyncio.create_task(_supervise(pool))
    try:
        yield
    finally:
        supervisor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor
        await asyncio.to_thread(pool.stop)


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if not request.url.path.startswith(("/docs", "/redoc")):
        response.headers.setdefault("Content-Security-Policy", _CSP)
    return response


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """One line saying which part of the request is wrong, shaped like every other error."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    first = errors[0] if errors else {"loc": ("request",), "msg": str(exc)}
    where = ".".join(str(part) for part in first.get("loc", ())) or "request"
    message = f"bad {where}: {first.get('msg', 'invalid value')}"
    return JSONResponse({"detail": message}, status_code=422)


def create_app(settings: ServerSettings) -> FastAPI:
    """The service: REST API under /v1 (OpenAPI at /docs) and the web app at /."""
    app = FastAPI(
        title="autodescribe",
        version=__version__,
        summary="Audio description for video: upload, follow, edit the script, re-render.",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.store = JobStore(settings.db_path, settings.jobs_dir)
    app.middleware("http")(_security_headers)
    app.exception_handler(RequestValidationError)(_invalid_request)
    protected = [Depends(require_token)]
    invalid: dict[int | str, dict[str, Any]] = {422: {"model": Problem}}
    refused: dict[int | str, dict[str, Any]] = {**invalid, 401: {"model": Problem}}
    jobs.publish_upload_form()  # backends registered since import are offered too
    for area in (jobs, script, characters, files, qc, events, choices):
        app.include_router(area.router, dependencies=protected, responses=refused)
    app.include_router(session.router, responses=invalid)
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="web")
    return app
