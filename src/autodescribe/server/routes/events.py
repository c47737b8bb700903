"""Server-sent events: a job's status as it changes, ending when it is done or failed.

Each event is `event: status` with the job as JSON. The stream sends the
current state at once, then every change, with a comment line every 15 s so
proxies keep the connection open; it closes after the finished state (or
`event: deleted` when the job goes away).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from autodescribe.server.routes import JobId, job_or_404, settings_of, store_of
from autodescribe.server.schemas import JobView, Problem

router = APIRouter(prefix="/v1/jobs/{job_id}/events", tags=["events"])

KEEPALIVE_SECONDS = 15.0


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


async def job_events(request: Request, job_id: str) -> AsyncIterator[str]:
    store = store_of(request)
    poll = min(settings_of(request).poll_seconds, 0.5)
    last: tuple[object, ...] | None = None
    quiet_since = time.monotonic()
    while not await request.is_disconnected():
        job = await run_in_threadpool(store.get, job_id)
        if job is None:
            yield _event("deleted", json.dumps({"id": job_id}))
            return
        state = (job.status, job.kind, job.stage, job.percent, job.error)
        if state != last:
            last, quiet_since = state, time.monotonic()
            yield _event("status", JobView.of(job).model_dump_json())
            if job.finished:
                return
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield ": still working\n\n"
        await asyncio.sleep(poll)


@router.get(
    "",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "status events"},
        404: {"model": Problem},
    },
    summary="Follow a job's status as server-sent events",
)
def follow_job(request: Request, job_id: JobId) -> StreamingResponse:
    job_or_404(request, job_id)
    return StreamingResponse(
        job_events(request, job_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
