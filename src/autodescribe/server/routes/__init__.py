"""API routes, one module per area; each exposes `router`. Shared lookups live here."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path, Request, status

from autodescribe.server.jobs import JOB_ID_PATTERN, Job, JobStore
from autodescribe.server.settings import ServerSettings

JobId = Annotated[str, Path(pattern=JOB_ID_PATTERN, description="the job's UUID")]


def store_of(request: Request) -> JobStore:
    store: JobStore = request.app.state.store
    return store


def settings_of(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


def job_or_404(request: Request, job_id: str) -> Job:
    job = store_of(request).get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}; list jobs at /v1/jobs")
    return job
