"""Describe: one request per scene that has a slot, batched, each result stored as it lands.

Requests carry the slot's word budget, the scene's on-screen text, the
dialogue around the pause and the running context (last descriptions,
synopsis, character sheet). An answer over budget gets one shortening round
with the same model before the fit stage decides. Writing-rule slips ("we
see", hedges) are repaired by the same rule set `check` uses.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from autodescribe.backends.describe import DescribeContext, Describer, DescribeRequest
from autodescribe.backends.describe.base import count_words
from autodescribe.types import Description, Gap, OnScreenText, Scene, SpeechSpan
from autodescribe.util.cache import WorkDir
from autodescribe.util.progress import progress
from autodescribe.writing.context import SceneContextBuilder, dialogue_around
from autodescribe.writing.rules import repair

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
    return DescribeRequest(
        scene=item.scene,
        images=item.stills,
        image_times=item.scene.keyframe_times,
        word_budget=item.slot.word_budget,
        language=language,
        context=scene_context,
    )


def _cached_batch(
    requests: list[DescribeRequest], describer: Callable[[], Describer], work: WorkDir, key: str
) -> list[Description]:
    folder = work.folder("describe", key)
    names = [f"scene-{r.scene.index:05d}" for r in requests]
    missing = [
        r for r, n in zip(requests, names, strict=True) if not (folder / f"{n}.json").exists()
    ]
    fresh = {d.scene: d for d in _describe_fresh(missing, describer)} if missing else {}
    return [
        work.item("describe", key, name, Description, partial(fresh.__getitem__, r.scene.index))
        for r, name in zip(requests, names, strict=True)
    ]


def _describe_fresh(
    requests: list[DescribeRequest], describer: Callable[[], Describer]
) -> list[Description]:
    model = describer()
    results = model.describe_many(requests)
    return [_within_budget(model, r, d) for r, d in zip(requests, results, strict=True)]


def _within_budget(model: Describer, request: DescribeRequest, result: Description) -> Description:
    """Repair writing-rule slips, then give an answer over budget one shortening round."""
    text = _repaired(result.scene, result.text)
    if count_words(text) > request.word_budget:
        log.info(
            "scene %d: %d words for a budget of %d, shortening",
            result.scene,
            count_words(text),
            request.word_budget,
        )
        text = _repaired(result.scene, model.shorten(text, request.word_budget, request.language))
    return dataclasses.replace(result, text=text, skip=result.skip or not text)


def _repaired(scene: int, text: str) -> str:
    if not text:
        return text
    fixed = repair(text)
    for violation in fixed.remaining:
        log.info("scene %d: %s", scene, violation.message)
    return fixed.text
