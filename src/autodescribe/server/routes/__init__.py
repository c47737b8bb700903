"""API routes, one module per area; each exposes `router`. Shared lookups live here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import HTTPException, Request, status
from fastapi import Path as PathParam

from autodescribe.server.jobs import JOB_ID_PATTERN, Job, JobStore
from autodescribe.server.security import listed
from autodescribe.server.settings import ServerSettings

JobId = Annotated[str, PathParam(pattern=JOB_ID_PATTERN, description="the job's UUID")]


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


def script_path(request: Request, job_id: str, language: str | None) -> Path:
    """The job's script in `language` (its first one when None), or 404."""
    from autodescribe.formats.script_json import read_script

    job = job_or_404(request, job_id)
    store = store_of(request)
    paths = listed(store.jobs_dir, store.folder(job).out_dir, "*.script.json")
    if language is not None:
        paths = [p for p in paths if read_script(p).language == language]
    if not paths:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no script for this job yet; wait for it")
    return paths[0]
