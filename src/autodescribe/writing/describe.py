"""Describe: one request per scene that has a slot, batched, each result stored as it lands.

Requests carry the slot's word budget, the scene's on-screen text, the
dialogue around the pause and the running context (last descriptions,
synopsis, character sheet). Every answer, from any describer, goes through
`finish_answers` (cleaning, cut-offs, the writing rules `check` uses, one
rewrite request, dropping what still breaks a rule). An answer over budget
gets one shortening round with the same model; what is still over keeps its
leading whole sentences within budget. When a batch fails part of the way,
what was described is stored before the error is raised.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from autodescribe.backends.describe import DescribeContext, Describer, DescribeRequest
from autodescribe.backends.describe.base import (
    Draft,
    PartlyDone,
    Writer,
    count_words,
    finish_answers,
)
from autodescribe.errors import DescriberError
from autodescribe.types import Description, Gap, OnScreenText, Scene, SpeechSpan
from autodescribe.util.cache import WorkDir
from autodescribe.util.progress import progress
from autodescribe.writing.clean import within_budget
from autodescribe.writing.context import SceneContextBuilder, dialogue_around

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SceneInput:
    scene: Scene
    slot: Gap
    stills: tuple[Path, ...]
    text: tuple[OnScreenText, ...]


def describe_scenes(
    inputs: Sequence[SceneInput],
    describer: Callable[[], Describer],
    work: WorkDir,
    key: str,
    language: str,
    batch_size: int,
    speech: Sequence[SpeechSpan] = (),
    context: SceneContextBuilder | None = None,
) -> list[Description]:
    """Descriptions in scene order; stored per scene so a kill loses at most one batch.

    Scenes in one batch share the context from before the batch; cached
    results advance the context exactly as fresh ones, so a rerun asks the same.
    """
    context = context or SceneContextBuilder()
    done: list[Description] = []
    with progress("describe", len(inputs), unit="scenes") as bar:
        for first in range(0, len(inputs), max(1, batch_size)):
            batch = inputs[first : first + batch_size]
            requests = [_request(item, context, speech, language) for item in batch]
            results = _cached_batch(requests, describer, work, key)
            for result in results:
                context.add(result)
            done.extend(results)
            bar.update(len(batch))
    return done


def _request(
    item: SceneInput, context: SceneContextBuilder, speech: Sequence[SpeechSpan], language: str
) -> DescribeRequest:
    scene_context: DescribeContext = context.request_context(
        item.scene.index, tuple(t.text for t in item.text), dialogue_around(speech, item.slot)
    )
    return scene_request(item, scene_context, language)


def scene_request(item: SceneInput, context: DescribeContext, language: str) -> DescribeRequest:
    """What a describer is asked about `item`: its frames and times, its slot's budget."""
    return DescribeRequest(
        scene=item.scene,
        images=item.stills,
        image_times=item.scene.keyframe_times,
        word_budget=item.slot.word_budget,
        language=language,
        context=context,
    )


def _cached_batch(
    requests: list[DescribeRequest], describer: Callable[[], Describer], work: WorkDir, key: str
) -> list[Description]:
    folder = work.folder("describe", key)
    names = [f"scene-{r.scene.index:05d}" for r in requests]
    missing = [
        r for r, n in zip(requests, names, strict=True) if not (folder / f"{n}.json").exists()
    ]
    try:
        fresh = {d.scene: d for d in _describe_fresh(missing, describer)} if missing else {}
    except PartlyDone as exc:  # store what was described before the error goes up
        for request, done in zip(missing, exc.done, strict=True):
            if isinstance(done, Description):
                name = f"scene-{request.scene.index:05d}"
                work.item("describe", key, name, Description, partial(lambda d: d, done))
        raise
    return [
        work.item("describe", key, name, Description, partial(fresh.__getitem__, r.scene.index))
        for r, name in zip(requests, names, strict=True)
    ]


def _describe_fresh(
    requests: list[DescribeRequest], describer: Callable[[], Describer]
) -> list[Description]:
    model = describer()
    try:
        results = model.describe_many(requests)
    except PartlyDone as exc:  # what arrived is fitted to its budget without asking again
        fitted = [
            _within_budget(None, r, d) if isinstance(d, Description) else None
            for r, d in zip(requests, exc.done, strict=True)
        ]
        raise PartlyDone(exc, fitted) from exc
    done: list[Description] = []
    try:
        for request, result in zip(requests, results, strict=True):
            done.append(_within_budget(model, request, result))
    except DescriberError as exc:  # a shortening request failed: keep the scenes before it
        raise PartlyDone(exc, done + [None] * (len(requests) - len(done))) from exc
    return done


def _within_budget(
    model: Describer | None, request: DescribeRequest, result: Description
) -> Description:
    """Finish the answer, then give one over budget a shortening round, then whole sentences.

    Without a `model` nothing is asked: what is over budget keeps its leading sentences.
    """
    writer = model if isinstance(model, Writer) else None
    budget, language = request.word_budget, request.language
    text = _finish(result.text, budget, language, writer)
    text = fit_budget(model, text, budget, language, result.scene)
    return dataclasses.replace(result, text=text, skip=result.skip or not text)


def fit_budget(model: Describer | None, text: str, budget: int, language: str, scene: int) -> str:
    """A finished text within `budget`: one shortening round with `model`, then whole sentences."""
    if count_words(text) <= budget:
        return text
    log.info("scene %d: %d words for a budget of %d, shortening", scene, count_words(text), budget)
    asked = model.shorten(text, budget, language) if model is not None else ""
    shorter = _finish(asked, budget, language, None)
    if shorter and count_words(shorter) < count_words(text):
        text = shorter
    text = within_budget(text, budget)
    if not text:
        log.info("scene %d: no whole sentence fits %d words; nothing said", scene, budget)
    return text


def _finish(text: str, budget: int, language: str, writer: Writer | None) -> str:
    return finish_answers([Draft(text, budget, language)], writer)[0] if text else ""
