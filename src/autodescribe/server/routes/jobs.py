"""Jobs: create by upload, list, look up, delete, and queue a re-render."""

from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.requests import ClientDisconnect

from autodescribe.errors import MediaError
from autodescribe.server.routes import JobId, job_or_404, settings_of, store_of
from autodescribe.server.routes.choices import current_choices
from autodescribe.server.schemas import Choice, Choices, JobOptions, JobView, Problem
from autodescribe.server.security import listed, safe_filename
from autodescribe.server.upload import FILE_FIELD, Received, UploadRefused, receive_upload

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


def _one_of(names: list[str], default: str) -> dict[str, Any]:
    return {"type": "string", "enum": names, "default": default}


def _one_of_labelled(choices: list[Choice], default: str) -> dict[str, Any]:
    described = "; ".join(f"{c.name}: {c.label}" for c in choices)
    return {**_one_of([c.name for c in choices], default), "description": described}


def upload_form(choices: Choices) -> dict[str, Any]:
    """The OpenAPI request body of `POST /v1/jobs`: its enums and defaults are `choices`."""
    defaults = choices.defaults
    languages = {
        "type": "string",
        "description": "comma-separated codes (GET /v1/choices lists them)",
        "default": ",".join(defaults.languages),
    }
    properties: dict[str, Any] = {
        FILE_FIELD: {"type": "string", "format": "binary"},
        "languages": languages,
        "describer": _one_of(choices.describers, defaults.describer),
        "model": {"type": "string"},
        "voice": _one_of(choices.voices, defaults.voice),
        "extended": _one_of_labelled(choices.extended_modes, defaults.extended),
        "loudness": _one_of_labelled(choices.loudness_presets, defaults.loudness),
        "transcribe": {"type": "boolean", "default": defaults.transcribe},
        "look_first": {
            "type": "boolean",
            "description": "unset: two passes for model describers, one for the offline one",
        },
        "candidates": {
            "type": "integer",
            "minimum": 1,
            "maximum": 8,
            "default": defaults.candidates,
        },
    }
    schema = {"type": "object", "required": [FILE_FIELD], "properties": properties}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


_UPLOAD_FORM: dict[str, Any] = upload_form(current_choices())


def publish_upload_form() -> None:
    """Bring the published upload form up to date with backends registered since import."""
    _UPLOAD_FORM.update(upload_form(current_choices()))


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 413, 415, 422)
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JobView,
    openapi_extra=_UPLOAD_FORM,
    responses=_ERRORS,
    summary="Upload a video and queue it for description",
)
async def create_job(request: Request) -> JobView:
    settings, store = settings_of(request), store_of(request)
    job_id = str(uuid.uuid4())
    folder = store.folder_path(job_id)
    try:
        received = await receive_upload(
            request.headers.get("content-type", ""),
            request.headers.get("content-length"),
            request.stream(),
            folder / "upload",
            settings.max_upload_bytes,
        )
        options = _options(received.fields)
        video = _keep(received)
        await run_in_threadpool(_probe, video)
    except UploadRefused as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(exc.status, exc.message) from None
    except ClientDisconnect:  # nobody is left to answer; only the partial upload to remove
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the upload was cut off") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = store.create(job_id, video.name, options.model_dump(mode="json"))
    log.info("job %s queued: %s (%d bytes)", job_id, video.name, received.size)
    return JobView.of(job)


def _options(fields: dict[str, list[str]]) -> JobOptions:
    data: dict[str, Any] = {name: values[-1] for name, values in fields.items()}
    if "languages" in fields:
        codes = [c.strip() for value in fields["languages"] for c in value.split(",")]
        data["languages"] = [c for c in codes if c]
    if data.get("model") == "":
        data["model"] = None
    try:
        return JobOptions.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "options"
        raise UploadRefused(422, f"bad option {where}: {first['msg']}") from None


def _keep(received: Received) -> Path:
    """Give the uploaded file its (sanitised) name, with a suffix matching its container."""
    assert received.path is not None
    name = safe_filename(received.filename or "")
    if not Path(name).suffix and received.container:
        name += received.container
    video = received.path.with_name(name)
    received.path.rename(video)
    return video


def _probe(video: Path) -> None:
    from autodescribe.media.probe import probe

    try:
        probe(video)
    except MediaError as exc:
        raise UploadRefused(415, str(exc)) from None


@router.get("", response_model=list[JobView], summary="List jobs, newest first")
def list_jobs(request: Request) -> list[JobView]:
    return [JobView.of(job) for job in store_of(request).list()]


@router.get("/{job_id}", response_model=JobView, responses={404: {"model": Problem}})
def get_job(request: Request, job_id: JobId) -> JobView:
    """Status (queued, running, done, failed), stage, percent and error of one job."""
    return JobView.of(job_or_404(request, job_id))


@router.delete(
    "/{job_id}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {"model": Problem}}
)
def delete_job(request: Request, job_id: JobId) -> Response:
    """Delete the job and every file of it (a running job is stopped)."""
    job_or_404(request, job_id)
    store_of(request).delete(job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{job_id}/render",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobView,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def render_job(request: Request, job_id: JobId) -> JobView:
    """Render the deliverables again from the stored (edited) script, without describing again."""
    store = store_of(request)
    job = job_or_404(request, job_id)
    if not listed(store.jobs_dir, store.folder(job).out_dir, "*.script.json"):
        raise HTTPException(status.HTTP_409_CONFLICT, "this job has no script yet; wait for it")
    if not store.queue_render(job_id):
        raise HTTPException(status.HTTP_409_CONFLICT, "the job is queued or running; wait for it")
    return JobView.of(job_or_404(request, job_id))
