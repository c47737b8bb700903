"""The chats of two-pass describing: notes from the frames, then a line from the notes.

The look chat sees a scene's frames and only that scene's own context (its
on-screen text and the dialogue around it), so scenes can be looked at in any
order and at once. The write chat is text only: the notes, the story so far,
the previous lines, the next scene's notes, the dialogue and the word budget;
it is asked in film order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autodescribe.backends.describe.base import (
    Conversation,
    DescribeContext,
    DescribeRequest,
    load_image,
    spread,
)
from autodescribe.types import Scene
from autodescribe.util.languages import language_name
from autodescribe.writing.prompts import Template, load_template, timestamp

NOTE_WORDS = 60  # what the look chat asks for at most: enough for any line's budget
NOTE_TOKENS = 160


@dataclass(frozen=True)
class WriteRequest:
    """What the writer knows when it writes one scene's line."""

    scene: Scene
    notes: str
    word_budget: int
    language: str = "en"
    context: DescribeContext = field(default_factory=DescribeContext)
    next_notes: str = ""
    previous_notes: str = ""  # the scene before's notes: what is no longer new


def _context_lines(template: Template, parts: dict[str, str]) -> str:
    labels = template.fields("context")
    return "".join(labels[k].format(value=v) + "\n" for k, v in parts.items() if v and k in labels)


def look_conversation(request: DescribeRequest, max_images: int) -> Conversation:
    """The frames of one scene and a request for plain notes on what is visible."""
    template = load_template("look")
    ctx = request.context
    context = _context_lines(
        template,
        {
            "characters": "; ".join(f"{n} ({d})" if n else d for d, n in ctx.characters),
            "dialogue": " ".join(f'"{line}"' for line in ctx.dialogue),
            "people": "; ".join(str(person) for person in ctx.people),
            "on_screen_text": " | ".join(ctx.on_screen_text),
        },
    )
    values = {
        "context": context,
        "duration": request.scene.duration,
        "start": timestamp(request.scene.start),
        "note_words": NOTE_WORDS,
    }
    content: list[dict[str, Any]] = [
        {"type": "image", "image": load_image(p)} for p in spread(request.images, max_images)
    ]
    content.append({"type": "text", "text": template.sections["user"].format(**values)})
    system = template.sections["system"].format(**values)
    return [
        {"role": "system", "content": [{"type": "text", "text": system}]},
        {"role": "user", "content": content},
    ]


def write_conversation(request: WriteRequest) -> Conversation:
    """A text-only chat asking for the line of one scene, from its notes and the story so far."""
    template = load_template("write")
    ctx = request.context
    context = _context_lines(
        template,
        {
            "synopsis": ctx.synopsis.strip(),
            "characters": "; ".join(f"{n} ({d})" if n else d for d, n in ctx.characters),
            "previous": " ".join(ctx.previous),
            "dialogue": " ".join(f'"{line}"' for line in ctx.dialogue),
            "people": "; ".join(str(person) for person in ctx.people),
            "on_screen_text": " | ".join(ctx.on_screen_text),
            "next": request.next_notes.strip(),
        },
    )
    lang = "" if request.language == "en" else f", written in {language_name(request.language)}"
    values = {
        "context": context,
        "notes": request.notes.strip() or "(none)",
        "duration": request.scene.duration,
        "start": timestamp(request.scene.start),
        "word_budget": request.word_budget,
        "language_clause": lang,
    }
    return [
        {
            "role": "system",
            "content": [{"type": "text", "text": template.sections["system"].format(**values)}],
        },
        {
            "role": "user",
            "content": [{"type": "text", "text": template.sections["user"].format(**values)}],
        },
    ]
