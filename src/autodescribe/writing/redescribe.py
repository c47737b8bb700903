"""Describe one cue again: the writing pass alone, from the notes the script keeps.

An editor who dislikes a line asks for another. The vision pass's notes are
in the script, so only the writer is asked (text only, seconds), with what a
describer weighs: the lines before the cue, the notes of the scenes around it,
the characters' names and the cue's word budget. Nothing is stored here: the
editor reads the new line and its alternatives, and saves what they choose.
"""

from __future__ import annotations

from dataclasses import dataclass

from autodescribe.backends.describe.base import DescribeContext, count_words
from autodescribe.backends.describe.passes import WriteRequest
from autodescribe.config import DescribeSettings
from autodescribe.errors import ConfigError
from autodescribe.types import Scene, Script
from autodescribe.util.lazy import Lazy
from autodescribe.writing.context import KEEP_PREVIOUS
from autodescribe.writing.write import Line, LineWriter, line_writer


@dataclass(frozen=True)
class CueRequest:
    """Which cue, and how many words it may take."""

    index: int  # 0-based, in the script's cues
    word_budget: int


def cue_budget(script: Script, index: int, words_per_second: float) -> int:
    """The words the cue's place holds: its spoken time, and never fewer than it has now."""
    cue = script.cues[index]
    return max(1, count_words(cue.text), int((cue.end - cue.start) * words_per_second))


def write_request(script: Script, asked: CueRequest) -> WriteRequest:
    """The writer's view of one cue: its notes, the lines before it, the notes around it."""
    cues = script.cues
    if not 0 <= asked.index < len(cues):
        raise ConfigError(
            f"cue {asked.index + 1} does not exist", f"pick a cue from 1 to {len(cues)}"
        )
    cue = cues[asked.index]
    if not cue.notes.strip():
        raise ConfigError(
            f"cue {asked.index + 1} has no notes to describe it again from",
            "narrate in two passes (the default for model describers), then try again",
        )
    before = [c.text for c in cues[: asked.index] if c.text.strip()][-KEEP_PREVIOUS:]
    scene = Scene(
        index=cue.scene if cue.scene is not None else asked.index,
        start=cue.start,
        end=cue.end,
        keyframe_times=(),
    )
    return WriteRequest(
        scene=scene,
        notes=cue.notes,
        word_budget=asked.word_budget,
        language=script.language,
        context=DescribeContext(
            previous=tuple(before),
            characters=tuple(script.characters.items()),
        ),
        next_notes=cues[asked.index + 1].notes if asked.index + 1 < len(cues) else "",
        previous_notes=cues[asked.index - 1].notes if asked.index else "",
    )


def describe_cue_again(script: Script, asked: CueRequest, settings: DescribeSettings) -> Line:
    """A new line for one cue, with the other candidates, from the describer `settings` name."""
    from autodescribe.backends.describe import make_describer
    from autodescribe.writing.two_pass import make_writer

    request = write_request(script, asked)  # a cue that cannot be written fails before any model
    describer = Lazy(lambda: make_describer(settings))
    writer = Lazy(lambda: make_writer(settings))
    try:
        chosen: LineWriter = line_writer(describer(), writer(), max(2, settings.candidates))
        return chosen.write(request)
    finally:
        writer.close()
        describer.close()
