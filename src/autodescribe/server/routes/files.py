"""A job's files: the deliverables and the original upload, listed and downloaded.

Names from the URL are looked up only directly inside the job's own folders
(no separators, no hidden files, no symlinks anywhere below the data folder), so
a request can never reach another job's files or anything else on the machine. Downloads answer
Range requests (206), which a `<video>` element needs to seek.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse

from autodescribe.server.jobs import Job
from autodescribe.server.routes import JobId, job_or_404, store_of
from autodescribe.server.schemas import FileView, Problem
from autodescribe.server.security import inside, listed

router = APIRouter(prefix="/v1/jobs/{job_id}/files", tags=["files"])

# suffix -> (media type, role in words); the longest matching suffix wins.
_KINDS: dict[str, tuple[str, str]] = {
    ".described.mp4": ("video/mp4", "described video"),
    ".described.mkv": ("video/x-matroska", "described video"),
    ".described.mov": ("video/quicktime", "described video"),
    ".described.webm": ("video/webm", "described video"),
    ".ad.wav": ("audio/wav", "description audio only"),
    ".ad.vtt": ("text/vtt", "descriptions as WebVTT"),
    ".ad.srt": ("application/x-subrip", "descriptions as SRT"),
    ".ad.txt": ("text/plain; charset=utf-8", "descriptions as text"),
    ".dapt.ttml": ("application/ttml+xml", "descriptions as DAPT"),
    ".script.json": ("application/json", "description script"),
    ".qc.json": ("application/json", "quality check report"),
    ".json": ("application/json", "data"),
    ".mp4": ("video/mp4", "video"),
    ".m4v": ("video/mp4", "video"),
    ".mov": ("video/quicktime", "video"),
    ".mkv": ("video/x-matroska", "video"),
    ".webm": ("video/webm", "video"),
    ".m3u8": ("application/vnd.apple.mpegurl", "HLS playlist"),
}


def kind_of(name: str) -> tuple[str, str]:
    lower = name.lower()
    for suffix in sorted(_KINDS, key=len, reverse=True):
        if lower.endswith(suffix):
            return _KINDS[suffix]
    return "application/octet-stream", "file"


def _files(request: Request, job: Job) -> list[tuple[Path, str]]:
    """(path, role) of every visible file of the job, deliverables first."""
    store = store_of(request)
    folder = store.folder(job)
    found = [(path, kind_of(path.name)[1]) for path in listed(store.jobs_dir, folder.out_dir)]
    original = inside(store.jobs_dir, folder.upload_dir, folder.filename)
    if original is not None:
        found.append((original, "original video"))
    return found


@router.get("", response_model=list[FileView], responses={404: {"model": Problem}})
def list_files(request: Request, job_id: JobId) -> list[FileView]:
    """The deliverables written so far, and the original upload."""
    job = job_or_404(request, job_id)
    return [
        FileView(
            name=path.name,
            role=role,
            media_type=kind_of(path.name)[0] if role != "original video" else _original(path),
            size=path.stat().st_size,
            url=f"/v1/jobs/{job_id}/files/{path.name}",
        )
        for path, role in _files(request, job)
    ]


def _original(path: Path) -> str:
    media_type = kind_of(path.name)[0]
    return media_type if media_type.startswith("video/") else "application/octet-stream"


@router.get(
    "/{name}",
    response_class=FileResponse,
    responses={404: {"model": Problem}, 206: {"description": "the requested byte range"}},
)
def get_file(request: Request, job_id: JobId, name: str) -> FileResponse:
    """Download one file; `Range: bytes=...` is answered with 206 Partial Content."""
    job = job_or_404(request, job_id)
    store = store_of(request)
    folder = store.folder(job)
    path = inside(store.jobs_dir, folder.out_dir, name)
    role = "deliverable"
    if path is None and name == folder.filename:
        path, role = inside(store.jobs_dir, folder.upload_dir, name), "original video"
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"this job has no file named {name!r}")
    media_type = _original(path) if role == "original video" else kind_of(name)[0]
    inline = media_type.startswith(("video/", "audio/", "text/"))
    return FileResponse(
        path,
        media_type=media_type,
        filename=path.name,
        content_disposition_type="inline" if inline else "attachment",
    )
