"""The describer interface and the chat-prompt plumbing shared by VLM backends.

A describer needs one method, `describe`. `describe_many` (batching) and
`shorten` have defaults. VLM backends subclass `ChatDescriber` and implement
only `generate`, which turns chat conversations into text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from PIL import Image

from autodescribe.types import Description, Scene
from autodescribe.util.languages import language_name
from autodescribe.writing.clean import clean_answer, is_skip
from autodescribe.writing.prompts import load_template, timestamp

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
    images = [load_image(p) for p in _spread(request.images, max_images)]
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


def load_image(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def _spread(items: Sequence[Path], limit: int) -> list[Path]:
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

    def describe(self, request: DescribeRequest) -> Description:
        return self.describe_many([request])[0]

    def describe_many(self, requests: Sequence[DescribeRequest]) -> list[Description]:
        if not requests:
            return []
        convs = [build_conversation(r, self.capabilities.max_images) for r in requests]
        budget = max(r.word_budget for r in requests)
        answers = self.generate(convs, self.max_new_tokens(budget))
        version = load_template("describe").version
        return [
            self._description(r, clean_answer(a), version)
            for r, a in zip(requests, answers, strict=True)
        ]

    def _description(self, request: DescribeRequest, text: str, version: str) -> Description:
        skip = is_skip(text)  # the model may say nothing needs describing; the gap stays free
        return Description(
            scene=request.scene.index,
            text="" if skip else text,
            language=request.language,
            model=self.model_id,
            prompt_version=version,
            skip=skip,
        )

    def shorten(self, text: str, word_budget: int, language: str) -> str:
        answer = self.generate(
            [shorten_conversation(text, word_budget)], self.max_new_tokens(word_budget)
        )
        return clean_answer(answer[0])

    def summarize(self, story: str, dialogue: Sequence[str], language: str) -> tuple[str, str]:
        """A title and a short summary of the whole video, from its (bounded) story so far."""
        answer = self.generate([summary_conversation(story, dialogue, language)], 160)[0]
        lines = [
            line.strip().strip("#*").strip() for line in answer.strip().splitlines() if line.strip()
        ]
        if not lines:
            return "", ""
        title = clean_answer(re.sub(r"^title\s*:\s*", "", lines[0], flags=re.I))
        summary = clean_answer(re.sub(r"^summary\s*:\s*", "", " ".join(lines[1:]), flags=re.I))
        return title, summary

    def close(self) -> None:
        """Free the model; subclasses holding weights or clients override this."""
