"""The people of a job's video: listed with their thumbnails, and renamed once for every cue.

A rename applies to every script of the job (one per language): the name goes
into each script's character bank, replaces the character's previous label in
the cues that mention it (the rule is in `autodescribe.server.characters`), and
when any words changed, one re-render is queued, as after an edited script.
Thumbnails are read only from the job's own work folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from autodescribe.server.characters import (
    CHARACTER_ID_PATTERN,
    Renamed,
    rename_character,
    thumbnail_file,
    with_mentions,
)
from autodescribe.server.jobs import Job
from autodescribe.server.routes import JobId, job_or_404, script_path, store_of
from autodescribe.server.schemas import (
    CharacterRename,
    CharacterRenamed,
    CharacterView,
    JobView,
    Problem,
)
from autodescribe.server.security import listed
from autodescribe.types import Character, Script

router = APIRouter(prefix="/v1/jobs/{job_id}/characters", tags=["characters"])

CharacterId = Annotated[
    str, PathParam(pattern=CHARACTER_ID_PATTERN, description='the character\'s id, "person-1"')
]
Language = Annotated[str | None, Query(max_length=8, description="whose script (default: first)")]
_THUMBNAIL: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}}, "description": "a JPEG of the face"},
    404: {"model": Problem},
}


def _script(request: Request, job_id: str, language: str | None) -> Script:
    from autodescribe.formats.script_json import read_script

    return read_script(script_path(request, job_id, language))


def _character_or_404(script: Script, ident: str) -> Character:
    bank = script.character_bank
    character = bank.character(ident) if bank is not None else None
    if character is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"this job has no character {ident}; list them at characters",
        )
    return character


def _view(job_id: str, script: Script, character: Character) -> CharacterView:
    cues = with_mentions(script)
    thumbnail = f"/v1/jobs/{job_id}/characters/{character.id}/thumbnail"
    return CharacterView(
        id=character.id,
        name=character.name,
        descriptor=character.descriptor,
        label=character.label,
        named_by=str(character.named_by) if character.named_by is not None else None,
        scenes=[a.scene for a in character.appearances],
        seen_at=[a.time for a in character.appearances],
        cues=[i for i, cue in enumerate(cues, start=1) if character.id in cue.people],
        thumbnail=thumbnail if character.thumbnail else None,
    )


@router.get(
    "",
    response_model=list[CharacterView],
    responses={404: {"model": Problem}},
    summary="The people found in the video by their faces",
)
def list_characters(
    request: Request, job_id: JobId, language: Language = None
) -> list[CharacterView]:
    """Each character with its name, label, scenes, the cues that mention it and its thumbnail.

    Empty when the characters stage did not run or found nobody.
    """
    script = _script(request, job_id, language)
    bank = script.character_bank
    characters = bank.characters if bank is not None else ()
    return [_view(job_id, script, character) for character in characters]


@router.get(
    "/{character_id}/thumbnail",
    response_class=FileResponse,
    responses=_THUMBNAIL,
    summary="A character's face (JPEG), from the job's own work folder",
)
def get_thumbnail(request: Request, job_id: JobId, character_id: CharacterId) -> FileResponse:
    store = store_of(request)
    folder = store.folder(job_or_404(request, job_id))
    character = _character_or_404(_script(request, job_id, None), character_id)
    path = thumbnail_file(store.jobs_dir, folder.work_dir, character)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{character_id} has no thumbnail")
    return FileResponse(
        path,
        media_type="image/jpeg",
        content_disposition_type="inline",
        headers={"Cache-Control": "no-store"},  # a face is not kept in caches after the job
    )


@router.put(
    "/{character_id}",
    response_model=CharacterRenamed,
    responses={code: {"model": Problem} for code in (400, 404, 409, 422)},
    summary="Rename a character in the bank and in every cue that mentions it; re-render",
)
def rename(
    request: Request,
    job_id: JobId,
    character_id: CharacterId,
    body: CharacterRename,
    language: Language = None,
) -> CharacterRenamed:
    """Call the character `name`: its previous label is replaced in the cues that mention it.

    Only those cues are voiced again, in the re-render this queues when any words changed.
    """
    job = job_or_404(request, job_id)
    if not job.finished:
        raise HTTPException(status.HTTP_409_CONFLICT, "the job is still running; wait for it")
    shown = script_path(request, job_id, language)
    _character_or_404(_script(request, job_id, language), character_id)
    renamed, words_changed = _rename_everywhere(_scripts(request, job), shown, character_id, body)
    queued = words_changed and store_of(request).queue_render(job_id)
    character = _character_or_404(renamed.script, character_id)
    return CharacterRenamed(
        character=_view(job_id, renamed.script, character),
        changed=[index + 1 for index in renamed.changed],
        rendering=queued,
        job=JobView.of(job_or_404(request, job_id)),
    )


def _scripts(request: Request, job: Job) -> list[Path]:
    store = store_of(request)
    return listed(store.jobs_dir, store.folder(job).out_dir, "*.script.json")


def _rename_everywhere(
    paths: list[Path], shown: Path, ident: str, body: CharacterRename
) -> tuple[Renamed, bool]:
    """Rename in every script that knows `ident`: `shown`'s result, and whether words changed."""
    from autodescribe.formats.script_json import read_script, write_script

    result: Renamed | None = None
    changed = False
    for path in paths:
        script = read_script(path)
        if script.character_bank is None or script.character_bank.character(ident) is None:
            continue
        renamed = rename_character(script, ident, body.name)
        write_script(renamed.script, path)
        changed = changed or bool(renamed.changed)
        if path == shown:
            result = renamed
    assert result is not None, "the shown script is one of the job's scripts"
    return result, changed
