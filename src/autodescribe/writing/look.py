"""Look: the vision pass of two-pass describing, per scene, in any order and batched.

Each scene's frames and its own context (its on-screen text, the dialogue
around its pause) become notes on what is visible; nothing here depends on
other scenes, so batches go to the model at once. Notes are model text and go
through the mechanical cleaning (chatter, markdown, labels, lists) though they
are never spoken. Each scene's notes are stored as they land, so a rerun or a
kill resumes where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial

from autodescribe.backends.describe.base import (
    DescribeContext,
    Describer,
    DescribeRequest,
    PartlyDone,
    Writer,
)
from autodescribe.backends.describe.passes import NOTE_TOKENS, look_conversation
from autodescribe.errors import ConfigError
from autodescribe.types import ScenePerson, SpeechSpan
from autodescribe.util.cache import WorkDir
from autodescribe.util.progress import progress
from autodescribe.writing.clean import clean_answer, is_refusal, is_skip
from autodescribe.writing.context import (
    MAX_DIALOGUE_LINES,
    MAX_TEXT_LINES,
    SceneContextBuilder,
    dialogue_around,
)
from autodescribe.writing.describe import SceneInput, scene_request

log = logging.getLogger(__name__)


def look_scenes(
    inputs: Sequence[SceneInput],
    describer: Callable[[], Describer],
    work: WorkDir,
    key: str,
    language: str,
    batch_size: int,
    speech: Sequence[SpeechSpan] = (),
    context: SceneContextBuilder | None = None,
) -> list[str]:
    """Notes per scene, in scene order; stored per scene so a kill loses at most one batch.

    `context` says who is on screen in each scene (names the film gave by
    then); nothing else of it is used, so the notes never wait for other scenes.
    """
    people = (context or SceneContextBuilder()).people_in
    notes: list[str] = []
    with progress("look", len(inputs), unit="scenes") as bar:
        for first in range(0, len(inputs), max(1, batch_size)):
            batch = inputs[first : first + batch_size]
            notes += _cached_batch(
                [look_request(i, speech, language, people(i.scene.index)) for i in batch],
                describer,
                work,
                key,
            )
            bar.update(len(batch))
    return notes


def look_request(
    item: SceneInput,
    speech: Sequence[SpeechSpan],
    language: str,
    people: tuple[ScenePerson, ...] = (),
) -> DescribeRequest:
    """The scene with only its own context: its text, the dialogue around its pause, its people."""
    context = DescribeContext(
        on_screen_text=tuple(dict.fromkeys(t.text for t in item.text))[:MAX_TEXT_LINES],
        dialogue=dialogue_around(speech, item.slot)[:MAX_DIALOGUE_LINES],
        people=people,
    )
    return scene_request(item, context, language)


def _cached_batch(
    requests: list[DescribeRequest], describer: Callable[[], Describer], work: WorkDir, key: str
) -> list[str]:
    folder = work.folder("look", key)
    names = [f"scene-{r.scene.index:05d}" for r in requests]
    missing = [
        r for r, n in zip(requests, names, strict=True) if not (folder / f"{n}.json").exists()
    ]
    try:
        found = take_notes(describer(), missing) if missing else []
    except PartlyDone as exc:  # store what arrived before the error goes up
        for request, done in zip(missing, exc.done, strict=True):
            if isinstance(done, str):
                work.item("look", key, f"scene-{request.scene.index:05d}", str, partial(str, done))
        raise
    fresh = {r.scene.index: text for r, text in zip(missing, found, strict=True)}
    return [
        work.item("look", key, name, str, partial(fresh.__getitem__, r.scene.index))
        for r, name in zip(requests, names, strict=True)
    ]


def take_notes(describer: Describer, requests: Sequence[DescribeRequest]) -> list[str]:
    """Notes from the describer's own `look_many`, else from its chat model, cleaned."""
    if not requests:
        return []
    own = getattr(describer, "look_many", None)
    if own is not None:
        return list(own(requests))
    if not isinstance(describer, Writer):
        raise ConfigError(
            f"the {describer.name} describer cannot take notes for two-pass describing",
            "describe in one pass (leave out --look-first, --writer-model and --candidates)",
        )
    limit = describer.capabilities.max_images
    conversations = [look_conversation(r, limit) for r in requests]
    try:
        answers = describer.generate(conversations, NOTE_TOKENS)
    except PartlyDone as exc:
        raise PartlyDone(exc, [None if a is None else clean_notes(a) for a in exc.done]) from exc
    return [clean_notes(a) for a in answers]


def clean_notes(answer: str) -> str:
    """Notes without chatter, markdown, labels or list marks: plain prose, never spoken.

    A refusal or a SKIP leaves no notes: the writer then has only the context.
    """
    text = clean_answer(answer)
    return "" if is_refusal(text) or is_skip(text) else text
