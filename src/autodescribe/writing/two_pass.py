"""Look, then write: the two passes wired together, with their own cache keys.

Notes are keyed by what the vision pass sees and who looks (changing the
writer reuses them); lines by the notes' key and everything about the writer
(its model and server, the number of candidates, how repeats are judged).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autodescribe.backends.describe import Describer, describer_class, describers
from autodescribe.backends.describe.base import ChatDescriber
from autodescribe.config import DescribeSettings, GapSettings
from autodescribe.errors import ConfigError
from autodescribe.types import Description, SpeechSpan
from autodescribe.util.cache import WorkDir, stable_hash
from autodescribe.util.lazy import Lazy
from autodescribe.writing.context import SceneContextBuilder
from autodescribe.writing.describe import SceneInput
from autodescribe.writing.look import look_scenes
from autodescribe.writing.prompts import load_template
from autodescribe.writing.similarity import embedding_model
from autodescribe.writing.write import LineWriter, line_writer, write_lines


def uses_two_passes(settings: DescribeSettings, by_default: bool = True) -> bool:
    """Look, then write: for every model describer unless told otherwise.

    A writer model or several candidates need the writing pass, so they imply
    it; `--one-pass` keeps one request per scene. The offline describer writes
    in one pass by default: its notes and its line come from the same facts.
    With `by_default` False (captioning, throughput first) only what was asked
    for counts. `settings.describer` must be resolved (not `auto`).
    """
    if settings.writer_model is not None or settings.candidates > 1:
        return True
    if settings.look_first is not None:
        return settings.look_first
    return by_default and issubclass(describer_class(settings.describer), ChatDescriber)


def make_writer(settings: DescribeSettings) -> ChatDescriber | None:
    """The OpenAI-compatible writer `--writer-model` names, or None for the describer's own."""
    if settings.writer_model is None:
        return None
    writer = describers.create(
        "openai",
        model=settings.writer_model,
        base_url=settings.writer_base_url or settings.base_url,
        api_key=settings.api_key,
        max_new_tokens=settings.max_new_tokens,
        concurrency=1,
    )
    if not isinstance(writer, ChatDescriber):  # a plugin took the name
        raise ConfigError("the writer must be an OpenAI-compatible chat model")
    return writer


def look_key(base: str, settings: DescribeSettings, gaps: GapSettings, language: str) -> str:
    """What the notes depend on: the analysis, the slots, who looks and the look prompt."""
    looker = (settings.describer, settings.model, settings.base_url, settings.max_new_tokens)
    return stable_hash("look", base, gaps, looker, language, load_template("look").version)


def write_key(notes_key: str, settings: DescribeSettings) -> str:
    """What the lines depend on besides the notes: the writer and how candidates are chosen."""
    writer = (settings.writer_model, settings.writer_base_url, settings.candidates)
    version = load_template("write").version
    return stable_hash(
        "write", notes_key, settings.describer, settings.model, writer, version, embedding_model()
    )


def look_then_write(
    inputs: Sequence[SceneInput],
    describer: Callable[[], Describer],
    writer: Lazy[ChatDescriber | None],
    settings: DescribeSettings,
    keys: tuple[str, str],
    work: WorkDir,
    language: str,
    batch_size: int,
    speech: Sequence[SpeechSpan] = (),
    context: SceneContextBuilder | None = None,
) -> list[Description]:
    """Notes for every scene (batched), then each line in film order from them."""
    notes_key, lines_key = keys
    notes = look_scenes(inputs, describer, work, notes_key, language, batch_size, speech, context)

    def chosen() -> LineWriter:
        return line_writer(describer(), writer(), settings.candidates)

    return write_lines(inputs, notes, Lazy(chosen), work, lines_key, language, speech, context)
