"""Write: the text pass of two-pass describing, in film order.

Each scene's line is written from its notes with everything a describer
weighs: the story so far, the previous lines, the dialogue around the pause,
the on-screen text, the next scene's notes and the word budget. Lines are
written one after another, so every line after the first is written with the
lines before it, however the notes were gathered. A chat model writes through
the one cleaning path (`finish_answers`) and its candidates are ranked; the
offline describer writes mechanically. Each line is stored as it is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from autodescribe.backends.describe.base import ChatDescriber, Describer, Draft, finish_answers
from autodescribe.backends.describe.passes import WriteRequest, write_conversation
from autodescribe.errors import ConfigError
from autodescribe.types import Description, SpeechSpan
from autodescribe.util.cache import WorkDir
from autodescribe.util.progress import progress
from autodescribe.writing.candidates import rank
from autodescribe.writing.clean import within_budget
from autodescribe.writing.context import SceneContextBuilder, dialogue_around
from autodescribe.writing.describe import SceneInput, fit_budget
from autodescribe.writing.prompts import load_template

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    text: str
    candidates: tuple[str, ...] = ()  # the other lines offered, best first


class LineWriter(Protocol):
    @property
    def model_id(self) -> str: ...

    def write(self, request: WriteRequest) -> Line: ...


class ChatLineWriter:
    """A chat model writes each line; with `candidates` > 1 it offers several, the best is used."""

    def __init__(self, chat: ChatDescriber, candidates: int = 1) -> None:
        self.chat = chat
        self.candidates = candidates

    @property
    def model_id(self) -> str:
        return self.chat.model_id

    def write(self, request: WriteRequest) -> Line:
        conversation = write_conversation(request)
        budget, language = request.word_budget, request.language
        tokens = self.chat.max_new_tokens(budget)
        if self.candidates > 1:
            answers = self.chat.generate_choices(conversation, tokens, self.candidates)
        else:
            answers = self.chat.generate([conversation], tokens)
        drafts = [Draft(a, budget, language, conversation) for a in answers]
        texts = finish_answers(drafts, self.chat)
        ranked = rank(texts, budget, request.context.previous, request.context.on_screen_text)
        if not ranked:
            return Line("")
        best = fit_budget(self.chat, ranked[0].text, budget, language, request.scene.index)
        others = (within_budget(r.text, budget) for r in ranked[1:])
        return Line(best, tuple(dict.fromkeys(t for t in others if t and t != best)))


class FactsLineWriter:
    """A describer that writes its line from its notes without a model (`basic`)."""

    def __init__(self, write_line: Callable[[WriteRequest], str], model_id: str) -> None:
        self.write_line = write_line
        self.model_id = model_id

    def write(self, request: WriteRequest) -> Line:
        return Line(self.write_line(request))


def line_writer(describer: Describer, writer: ChatDescriber | None, candidates: int) -> LineWriter:
    """The writer: `writer` when one was chosen, else the describer's own chat model or facts."""
    chat = writer or (describer if isinstance(describer, ChatDescriber) else None)
    if chat is not None:
        return ChatLineWriter(chat, candidates)
    write_line = getattr(describer, "write_line", None)
    if write_line is not None:
        if candidates > 1:
            log.info("the %s describer writes one line per scene: no candidates", describer.name)
        return FactsLineWriter(write_line, describer.model_id)
    raise ConfigError(
        f"the {describer.name} describer cannot write lines from notes",
        "pass --writer-model, or describe in one pass",
    )


def write_lines(
    inputs: Sequence[SceneInput],
    notes: Sequence[str],
    writer: Callable[[], LineWriter],
    work: WorkDir,
    key: str,
    language: str,
    speech: Sequence[SpeechSpan] = (),
    context: SceneContextBuilder | None = None,
) -> list[Description]:
    """One line per scene, in film order, each written with the lines before it and stored."""
    context = context or SceneContextBuilder()
    done: list[Description] = []
    with progress("write", len(inputs), unit="scenes") as bar:
        for i, item in enumerate(inputs):
            scene_context = context.request_context(
                item.scene.index,
                tuple(t.text for t in item.text),
                dialogue_around(speech, item.slot),
            )
            request = WriteRequest(
                scene=item.scene,
                notes=notes[i],
                word_budget=item.slot.word_budget,
                language=language,
                context=scene_context,
                next_notes=notes[i + 1] if i + 1 < len(notes) else "",
                previous_notes=notes[i - 1] if i else "",
            )
            name = f"scene-{item.scene.index:05d}"
            line = work.item("write", key, name, Description, partial(_written, writer, request))
            context.add(line)
            done.append(line)
            bar.update(1)
    return done


def _written(writer: Callable[[], LineWriter], request: WriteRequest) -> Description:
    chosen = writer()
    line = chosen.write(request)
    return Description(
        scene=request.scene.index,
        text=line.text,
        language=request.language,
        model=chosen.model_id,
        prompt_version=load_template("write").version,
        skip=not line.text,
        notes=request.notes,
        candidates=line.candidates,
    )
