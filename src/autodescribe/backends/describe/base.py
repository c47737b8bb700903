"""The describer interface and the chat-prompt plumbing shared by VLM backends.

A describer needs one method, `describe`. `describe_many` (batching) and
`shorten` have defaults. VLM backends subclass `ChatDescriber` and implement
only `generate`, which turns chat conversations into text; every answer then
goes through `finish_answers` (cleaning, cut-offs, the writing rules, one
rewrite request, then dropping what still breaks a rule).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from PIL import Image

from autodescribe.errors import DescriberError
from autodescribe.types import Description, Scene, ScenePerson
from autodescribe.util.languages import language_name
from autodescribe.writing.clean import (
    Answer,
    capitalise,
    clean_answer,
    complete_sentences,
    is_first_person,
    is_fragment,
    is_refusal,
    is_skip,
    split_sentences,
    strip_chatter,
    strip_markdown,
    unwrap_quotes,
)
from autodescribe.writing.prompts import load_template, timestamp
from autodescribe.writing.rules import Violation, check_text, repair

log = logging.getLogger(__name__)

# A chat message in the OpenAI-like shape every VLM library accepts:
# {"role": "user",
#  "content": [{"type": "image", "image": PIL.Image}, {"type": "text", "text": "..."}]}
Message = dict[str, Any]
Conversation = list[Message]


@dataclass(frozen=True)
class Capabilities:
    max_images: int = 8
    video_input: bool = False
    batching: bool = False
    needs_network: bool = False


@dataclass(frozen=True)
class DescribeContext:
    """What a describer knows beyond the frames, so scenes read as one story.

    Every field is bounded by whoever fills it (`autodescribe.writing.context`), so the
    prompt does not grow with the length of the video.
    """

    previous: tuple[str, ...] = ()  # the last few descriptions, verbatim, oldest first
    on_screen_text: tuple[str, ...] = ()  # text read in this scene
    dialogue: tuple[str, ...] = ()  # lines spoken around the pause
    synopsis: str = ""  # everything before `previous`, condensed
    characters: tuple[tuple[str, str | None], ...] = ()  # (descriptor, name once known)
    people: tuple[ScenePerson, ...] = ()  # who is on screen here, by their faces


@dataclass(frozen=True)
class DescribeRequest:
    scene: Scene
    images: tuple[Path, ...]
    image_times: tuple[float, ...]
    word_budget: int
    language: str = "en"
    context: DescribeContext = field(default_factory=DescribeContext)


@runtime_checkable
class Describer(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    model_id: str

    def describe(self, request: DescribeRequest) -> Description: ...

    def describe_many(self, requests: Sequence[DescribeRequest]) -> list[Description]: ...

    def shorten(self, text: str, word_budget: int, language: str) -> str: ...

    def close(self) -> None: ...


def count_words(text: str) -> int:
    return len(text.split())


def build_conversation(request: DescribeRequest, max_images: int) -> Conversation:
    """The chat for one scene: system rules, then frames, then the request with its context.

    Context parts go in one labelled line each, in the template's order (oldest
    facts first, the scene's own text last); empty parts are left out.
    """
    template = load_template("describe")
    ctx = request.context
    parts = {
        "synopsis": ctx.synopsis.strip(),
        "characters": "; ".join(f"{n} ({d})" if n else d for d, n in ctx.characters),
        "previous": " ".join(ctx.previous),
        "dialogue": " ".join(f'"{line}"' for line in ctx.dialogue),
        "people": "; ".join(str(person) for person in ctx.people),
        "on_screen_text": " | ".join(ctx.on_screen_text),
    }
    labels = template.fields("context")
    context = "".join(labels[k].format(value=v) + "\n" for k, v in parts.items() if v)
    lang = "" if request.language == "en" else f", written in {language_name(request.language)}"
    values = {
        "word_budget": request.word_budget,
        "context": context,
        "duration": request.scene.duration,
        "start": timestamp(request.scene.start),
        "language_clause": lang,
        "skip_clause": " " + template.sections["skip"] if ctx.previous else "",
    }
    images = [load_image(p) for p in spread(request.images, max_images)]
    content: list[dict[str, Any]] = [{"type": "image", "image": im} for im in images]
    content.append({"type": "text", "text": template.sections["user"].format(**values)})
    return [
        {
            "role": "system",
            "content": [{"type": "text", "text": template.sections["system"].format(**values)}],
        },
        {"role": "user", "content": content},
    ]


def shorten_conversation(text: str, word_budget: int) -> Conversation:
    template = load_template("describe")
    prompt = template.sections["shorten"].format(word_budget=word_budget, text=text)
    return [{"role": "user", "content": [{"type": "text", "text": prompt}]}]


def summary_conversation(story: str, dialogue: Sequence[str], language: str) -> Conversation:
    template = load_template("summary")
    prompt = template.sections["user"].format(
        descriptions=story,
        dialogue_clause=(", with some of its dialogue: " + " ".join(dialogue)) if dialogue else "",
        language_clause="" if language == "en" else f", written in {language_name(language)}",
    )
    return [{"role": "user", "content": [{"type": "text", "text": prompt}]}]


# --- finishing answers: one path for every text a model writes --------------------------------

SUMMARY_WORDS = 60  # the summary template asks for at most this many words
_REWRITE = (
    "This audio description breaks these writing rules:\n{problems}\n"
    "Write it again without them, in at most {word_budget} words: present tense, third "
    "person, only what is seen. Answer with the description only.\nDescription: {text}"
)


@runtime_checkable
class Writer(Protocol):
    """What finishing needs of a describer to ask again: its chat model."""

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int) -> list[str]: ...

    def max_new_tokens(self, word_budget: int) -> int: ...


@dataclass(frozen=True)
class Draft:
    """One answer to finish, with its budget, its language and the request that asked for it."""

    answer: str
    word_budget: int
    language: str = "en"
    request: Conversation | None = None  # asked again when the token limit cut it short


class PartlyDone(DescriberError):
    """A batch failed part of the way: `done` holds what had arrived (None where nothing did)."""

    def __init__(self, error: DescriberError, done: Sequence[Any]) -> None:
        super().__init__(error.problem, error.hint)
        self.done = list(done)


def rewrite_conversation(
    text: str, problems: Sequence[Violation], word_budget: int
) -> Conversation:
    """One user turn naming what breaks the rules and asking for the text again."""
    listed = "\n".join(f"- {v.message}" for v in problems)
    prompt = _REWRITE.format(problems=listed, word_budget=word_budget, text=text)
    return [{"role": "user", "content": [{"type": "text", "text": prompt}]}]


def finish_answers(drafts: Sequence[Draft], writer: Writer | None = None) -> list[str]:
    """Each answer as deliverable text, or "" where there is nothing to say.

    Cleaned (chatter, labels, markdown, lists, quotes, the medium); a tail cut off by
    the token limit is trimmed, and an answer with no whole sentence left is asked
    again once with twice the tokens; writing-rule slips are repaired. What the
    repair cannot fix gets one rewrite request naming it; a sentence that still
    breaks a rule, a fragment or a refusal is dropped. Without a `writer` nothing
    is asked again. The rules are English: other languages are cleaned only.
    """
    first = [_first_pass(d.answer, d.language) for d in drafts]
    texts = [text for text, _ in first]
    if writer is not None:
        again = [i for i, (text, cut) in enumerate(first) if cut and not text]
        texts = _ask_again(drafts, texts, [i for i in again if drafts[i].request], writer)
        texts = _rewrite(drafts, texts, writer)
    return [_keep_clean(text, d.language) for text, d in zip(texts, drafts, strict=True)]


def _english(language: str) -> bool:
    return language.split("-")[0].lower() == "en"


def _first_pass(answer: str, language: str) -> tuple[str, bool]:
    """(the answer cleaned, trimmed to whole sentences and repaired; whether a tail was cut)."""
    cut_off = getattr(answer, "cut_off", None)
    text = clean_answer(answer)
    if is_skip(text):
        return "", False
    if _english(language):
        if is_refusal(text):
            log.info("the model declined: %r", text[:80])
            return "", False
        text = " ".join(s for s in split_sentences(text) if not is_first_person(s))
    whole = complete_sentences(text, cut_off, _english(language))
    trimmed = count_words(whole) < count_words(text) and cut_off is not False
    return (repair(whole).text if whole and _english(language) else whole), trimmed


def _ask_again(
    drafts: Sequence[Draft], texts: list[str], indexes: list[int], writer: Writer
) -> list[str]:
    requests = [r for i in indexes if (r := drafts[i].request) is not None]
    if not requests:
        return texts
    log.info("%d answer(s) cut off with no whole sentence: asking again", len(requests))
    tokens = 2 * max(writer.max_new_tokens(drafts[i].word_budget) for i in indexes)
    out = list(texts)
    for i, answer in zip(indexes, writer.generate(requests, tokens), strict=True):
        out[i] = _first_pass(answer, drafts[i].language)[0]
    return out


def _rewrite(drafts: Sequence[Draft], texts: list[str], writer: Writer) -> list[str]:
    """One rewrite request for each text that still breaks a writing rule."""
    todo = [
        (i, problems)
        for i, text in enumerate(texts)
        if text and _english(drafts[i].language) and (problems := check_text(text))
    ]
    if not todo:
        return texts
    log.info("%d answer(s) break a rule the repair cannot fix: asking for a rewrite", len(todo))
    convs = [rewrite_conversation(texts[i], found, drafts[i].word_budget) for i, found in todo]
    tokens = max(writer.max_new_tokens(drafts[i].word_budget) for i, _ in todo)
    out = list(texts)
    for (i, _), answer in zip(todo, writer.generate(convs, tokens), strict=True):
        rewritten = _first_pass(answer, drafts[i].language)[0]
        out[i] = rewritten or out[i]
    return out


def _keep_clean(text: str, language: str) -> str:
    """The sentences of `text` that are whole and, in English, break no writing rule."""
    english = _english(language)
    kept: list[str] = []
    dropped: list[str] = []
    for sentence in split_sentences(text):
        bad = is_fragment(sentence, english) or (
            english and (is_first_person(sentence) or bool(check_text(sentence)))
        )
        (dropped if bad else kept).append(_capitalised(sentence) if english else sentence)
    if dropped:
        log.info("dropped %d sentence(s) still breaking a rule: %r", len(dropped), dropped)
    return " ".join(kept)


def _capitalised(sentence: str) -> str:
    """'a car stops.' -> 'A car stops.'; a token that is not a word ('iPhone', 'x=1') stays."""
    return capitalise(sentence) if re.match(r"[a-z]+[\s,;:.!?]", sentence) else sentence


# --- titles and summaries ---------------------------------------------------------------------

_TITLE_LABEL = re.compile(
    r"^[ \t#>*_-]*(?P<key>title|summary|synopsis|description|logline)\b[^:\n]{0,24}?:[ \t*_]*",
    re.I,
)
_INLINE_LABEL = re.compile(
    r"(?<=\S)[ \t]+(?=[*_]*(?:Title|Summary|Synopsis|TITLE|SUMMARY)[*_]*\s*:)"
)
_TITLE_SPLIT = re.compile(r"\s+[—–|-]\s+|:\s+")


def parse_title_summary(answer: str) -> tuple[str, str]:
    """(title, summary) from an answer in any common layout; "" for a part not found.

    Labelled or not, in bold, in either order, or on one line ("Title: A. Summary:
    B.", "A Red Door: A man opens it."), with chatter around it.
    """
    text = _INLINE_LABEL.sub("\n", strip_markdown(str(answer)))
    parts: dict[str, list[str]] = {"title": [], "summary": []}
    current = ""
    for raw in text.splitlines():
        line = strip_chatter(raw.strip()).strip()
        label = _TITLE_LABEL.match(line)
        if label:
            current = "title" if label.group("key").lower() == "title" else "summary"
            line = line[label.end() :]
        elif current != "summary":
            current = "summary" if parts["title"] else "title"
        if line:
            parts[current].append(line)
    title, summary = " ".join(parts["title"]), " ".join(parts["summary"])
    if not summary:
        title, summary = _split_one_line(title)
    return clean_title(title), clean_answer(summary)


def _split_one_line(line: str) -> tuple[str, str]:
    """A one-line answer as (title, summary): 'A Title: what happens.', or its first sentence."""
    head = _TITLE_SPLIT.split(line, maxsplit=1)
    if len(head) == 2 and len(head[0].split()) <= 10 and not re.search(r"[.!?]", head[0]):
        return head[0], head[1]
    sentences = split_sentences(line)
    if len(sentences) > 1 and len(sentences[0].split()) <= 10:
        return sentences[0], " ".join(sentences[1:])
    titled = len(line.split()) <= 10 and not re.search(r"[.!?]$", line)
    return (line, "") if titled else ("", line)


def clean_title(text: str) -> str:
    """A title without quotes, markdown, labels or a final full stop; "" for a refusal."""
    text = unwrap_quotes(clean_answer(text).rstrip(".:;, ").strip())
    return "" if is_refusal(text) else text


def load_image(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def spread(items: Sequence[Path], limit: int) -> list[Path]:
    """At most `limit` items, evenly spread over the sequence."""
    if len(items) <= limit:
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


class ChatDescriber:
    """Shared behaviour for chat VLM backends; subclasses implement `generate`."""

    name: ClassVar[str] = "chat"
    capabilities: ClassVar[Capabilities] = Capabilities()
    model_id: str = ""

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int) -> list[str]:
        raise NotImplementedError

    def max_new_tokens(self, word_budget: int) -> int:
        return max(16, int(word_budget * 2.5) + 8)

    def generate_choices(
        self, conversation: Conversation, max_new_tokens: int, n: int
    ) -> list[str]:
        """`n` answers to one chat; backends that can sample several in one request override this.

        Here: the chat asked `n` times (a greedy backend gives the same answer each time).
        """
        return self.generate([conversation] * n, max_new_tokens)

    def describe(self, request: DescribeRequest) -> Description:
        return self.describe_many([request])[0]

    def describe_many(self, requests: Sequence[DescribeRequest]) -> list[Description]:
        if not requests:
            return []
        convs = [build_conversation(r, self.capabilities.max_images) for r in requests]
        try:
            answers = self.generate(
                convs, self.max_new_tokens(max(r.word_budget for r in requests))
            )
        except PartlyDone as exc:  # keep what arrived, finished without asking again
            done = [
                None if a is None else self._finished([r], [a], [c], None)[0]
                for r, a, c in zip(requests, exc.done, convs, strict=True)
            ]
            raise PartlyDone(exc, done) from exc
        return self._finished(requests, answers, convs, self)

    def _finished(
        self,
        requests: Sequence[DescribeRequest],
        answers: Sequence[str],
        convs: Sequence[Conversation],
        writer: Writer | None,
    ) -> list[Description]:
        """Descriptions from raw answers: SKIP kept as a skip, the rest through `finish_answers`."""
        skips = [is_skip(clean_answer(a)) for a in answers]
        drafts = [
            Draft(a, r.word_budget, r.language, c)
            for r, a, c, skip in zip(requests, answers, convs, skips, strict=True)
            if not skip
        ]
        texts = iter(finish_answers(drafts, writer))
        version = load_template("describe").version
        return [
            self._description(r, "" if skip else next(texts), version, skip)
            for r, skip in zip(requests, skips, strict=True)
        ]

    def _description(
        self, request: DescribeRequest, text: str, version: str, skip: bool | None = None
    ) -> Description:
        """The model may say nothing needs describing (SKIP): the gap stays free."""
        skip = is_skip(text) if skip is None else skip
        return Description(
            scene=request.scene.index,
            text="" if skip else text,
            language=request.language,
            model=self.model_id,
            prompt_version=version,
            skip=skip or not text,
        )

    def shorten(self, text: str, word_budget: int, language: str) -> str:
        conv = shorten_conversation(text, word_budget)
        answer = self.generate([conv], self.max_new_tokens(word_budget))[0]
        return finish_answers([Draft(answer, word_budget, language, conv)], self)[0]

    def summarize(self, story: str, dialogue: Sequence[str], language: str) -> tuple[str, str]:
        """A title and a short summary of the whole video, from its (bounded) story so far."""
        answer = self.generate([summary_conversation(story, dialogue, language)], 160)[0]
        title, summary = parse_title_summary(answer)
        draft = Draft(Answer(summary, getattr(answer, "cut_off", None)), SUMMARY_WORDS, language)
        return title, finish_answers([draft], self)[0]

    def close(self) -> None:
        """Free the model; subclasses holding weights or clients override this."""
