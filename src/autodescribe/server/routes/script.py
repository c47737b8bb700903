"""The description script of a job: read it as JSON, replace it with an edited one.

PUT accepts our JSON, WebVTT (`text/vtt`) or W3C DAPT (`application/ttml+xml`).
Only the cues are taken from the body; the video identity, settings and
characters stay those of the job. A cue keeps its voice clip only while its
words are unchanged, and the characters it mentions (`people`) are worked out
again from its words.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from pydantic import BaseModel, Field, ValidationError

from autodescribe.errors import AutodescribeError, ConfigError
from autodescribe.server.characters import with_mentions
from autodescribe.server.routes import JobId, job_or_404, script_path
from autodescribe.server.schemas import Problem
from autodescribe.types import Cue, Script, from_jsonable, to_jsonable

router = APIRouter(prefix="/v1/jobs/{job_id}/script", tags=["script"])

MAX_SCRIPT_BYTES = 5 << 20
_READERS = {
    "text/vtt": ".vtt",
    "application/ttml+xml": ".ttml",
}
_EXAMPLE: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "required": ["cues"]}},
            "text/vtt": {"schema": {"type": "string"}},
            "application/ttml+xml": {"schema": {"type": "string"}},
        },
    }
}


@router.get("", responses={404: {"model": Problem}}, summary="The description script (JSON)")
def get_script(
    request: Request, job_id: JobId, language: str | None = Query(None, max_length=8)
) -> dict[str, Any]:
    from autodescribe.formats.script_json import read_script

    data: dict[str, Any] = to_jsonable(read_script(script_path(request, job_id, language)))
    return data


@router.put(
    "",
    openapi_extra=_EXAMPLE,
    responses={code: {"model": Problem} for code in (404, 409, 413, 415, 422)},
    summary="Replace the script's cues (JSON, WebVTT or DAPT)",
)
async def put_script(
    request: Request, job_id: JobId, language: str | None = Query(None, max_length=8)
) -> dict[str, Any]:
    from autodescribe.formats.script_json import read_script, write_script

    job = job_or_404(request, job_id)
    if not job.finished:
        raise HTTPException(status.HTTP_409_CONFLICT, "the job is still running; wait for it")
    path = script_path(request, job_id, language)
    body = await _body(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    stored = read_script(path)
    try:
        cues = _parse(kind, body)
        script = dataclasses.replace(stored, cues=_checked(cues, stored))
        script.cues = with_mentions(script)
    except (AutodescribeError, ValidationError, ValueError) as exc:
        raise HTTPException(422, _one_line(exc)) from None
    write_script(script, path)
    data: dict[str, Any] = to_jsonable(script)
    return data


class Rewritten(BaseModel):
    text: str = Field(description="the new words; empty when the writer had nothing to say")
    candidates: list[str] = Field(description="the other lines offered, best first")


@router.post(
    "/cues/{number}/again",
    response_model=Rewritten,
    responses={code: {"model": Problem} for code in (404, 409, 422, 502)},
    summary="Write one cue again from its notes (nothing is saved)",
)
def describe_cue_again(
    request: Request,
    job_id: JobId,
    number: int = PathParam(ge=1, description="the cue, counted from 1"),
    language: str | None = Query(None, max_length=8),
) -> Rewritten:
    """Ask the job's writer for new words for one cue; the editor decides whether to keep them."""
    from autodescribe.formats.script_json import read_script
    from autodescribe.server.schemas import JobOptions
    from autodescribe.writing.redescribe import CueRequest, cue_budget, describe_cue_again

    job = job_or_404(request, job_id)
    if not job.finished:
        raise HTTPException(status.HTTP_409_CONFLICT, "the job is still running; wait for it")
    script = read_script(script_path(request, job_id, language))
    if number > len(script.cues):
        raise HTTPException(404, f"no cue {number}: the script has {len(script.cues)}")
    settings = JobOptions.model_validate(job.options).to_settings()
    asked = CueRequest(number - 1, cue_budget(script, number - 1, settings.gaps.words_per_second))
    try:
        line = describe_cue_again(script, asked, settings.describe)
    except ConfigError as exc:
        raise HTTPException(422, _one_line(exc)) from None
    except AutodescribeError as exc:  # the model or its server failed
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, _one_line(exc)) from None
    return Rewritten(text=line.text, candidates=list(line.candidates))


async def _body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_SCRIPT_BYTES:
            raise HTTPException(413, "the script is over 5 MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(kind: str, body: bytes) -> list[Cue]:
    if kind in ("application/json", ""):
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"the body is not JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("cues"), list):
            raise ValueError("send a JSON object with a 'cues' list")
        cues: list[Cue] = from_jsonable(list[Cue], data["cues"])
        return cues
    if kind not in _READERS:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send application/json, text/vtt or application/ttml+xml",
        )
    return _read_file(_READERS[kind], body)


def _read_file(suffix: str, body: bytes) -> list[Cue]:
    """Read WebVTT or DAPT through the same readers the CLI uses."""
    from autodescribe.formats import read_cues

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"script{suffix}"
        path.write_bytes(body)
        return read_cues(path)


def _checked(cues: list[Cue], stored: Script) -> list[Cue]:
    """Cues in time order, inside the video, not overlapping; stale voice clips dropped."""
    clips = {cue.audio: cue.text for cue in stored.cues if cue.audio}
    by_text = {cue.text: cue for cue in stored.cues if cue.audio}
    result: list[Cue] = []
    for cue in sorted(cues, key=lambda c: c.start):
        text = cue.text.strip()
        if not text:
            raise ValueError(f"the cue at {cue.start:.2f} s has no text")
        if not 0 <= cue.start < cue.end <= stored.duration + 0.001:
            raise ValueError(
                f"the cue at {cue.start:.2f} s must end after it starts, within the video"
            )
        if result and cue.start < result[-1].end - 0.0005:
            raise ValueError(f"the cue at {cue.start:.2f} s overlaps the one before it")
        if cue.audio and clips.get(cue.audio) != text:
            cue = dataclasses.replace(cue, audio=None, rate=1.0)
        elif not cue.audio and text in by_text:
            cue = dataclasses.replace(cue, audio=by_text[text].audio, rate=by_text[text].rate)
        result.append(dataclasses.replace(cue, text=text))
    return result


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"bad cue field {where}: {first['msg']}"
    return str(exc)
