"""Two-pass captions: notes per clip from its frames, then each caption written from them.

The look pass asks the vision model for plain notes on every clip of a batch
of videos at once (the narrate look prompt, the clip's frames). The write pass
is text only: each video's captions are written in clip order, each from its
notes and the captions before it, so a dataset names the same subject the same
way through a video; the i-th clips of all videos in a batch go in one call.
With several candidates, each clip's answers are ranked as narrate ranks them
(rule-clean, within the words, not a repeat of the captions before) and the
others are kept in the row.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autodescribe.backends.describe.base import Conversation, Draft, finish_answers
from autodescribe.backends.describe.passes import NOTE_TOKENS, NOTE_WORDS
from autodescribe.writing.candidates import rank
from autodescribe.writing.clean import within_budget
from autodescribe.writing.look import clean_notes
from autodescribe.writing.prompts import Template, load_template, timestamp

KEEP_PREVIOUS = 3  # captions before a clip that its writer sees


@dataclass(frozen=True)
class Clip:
    """One clip to caption: where it sits in its video and its frames (JPEG bytes)."""

    video: int  # index of the video in the batch
    number: int  # 1-based, in the video
    count: int  # clips in the video
    start: float
    end: float
    frames: tuple[bytes, ...]


@dataclass(frozen=True)
class Written:
    caption: str
    notes: str
    candidates: tuple[str, ...] = ()


def look_conversation(clip: Clip, max_images: int) -> Conversation:
    """The clip's frames and a request for plain notes, as narrate's look pass asks."""
    from PIL import Image

    template = load_template("look")
    values = {
        "context": "",
        "duration": clip.end - clip.start,
        "start": timestamp(clip.start),
        "note_words": NOTE_WORDS,
    }
    content: list[dict[str, Any]] = [
        {"type": "image", "image": Image.open(io.BytesIO(data)).convert("RGB")}
        for data in spread_frames(clip.frames, max_images)
    ]
    content.append({"type": "text", "text": template.sections["user"].format(**values)})
    return [
        {"role": "system", "content": [{"type": "text", "text": template.sections["system"]}]},
        {"role": "user", "content": content},
    ]


def write_conversation(
    template: Template, clip: Clip, notes: str, previous: Sequence[str], words: int
) -> Conversation:
    """A text-only chat for one caption in the run's style, from the clip's notes."""
    label = template.fields("context")["previous"]
    context = label.format(value=" ".join(previous)) + "\n" if previous else ""
    prompt = template.sections["write"].format(
        context=context,
        notes=notes.strip() or "(none)",
        number=clip.number,
        count=clip.count,
        duration=clip.end - clip.start,
        start=timestamp(clip.start),
        words=words,
    )
    return [
        {"role": "system", "content": [{"type": "text", "text": template.sections["system"]}]},
        {"role": "user", "content": [{"type": "text", "text": prompt}]},
    ]


def caption_in_two_passes(
    looker: Any,
    writer: Any,
    template: Template,
    clips: Sequence[Clip],
    words: int,
    batch_size: int,
    candidates: int = 1,
) -> list[Written]:
    """Captions for `clips` (in the order given), notes first, then writing in clip order."""
    max_images = looker.capabilities.max_images
    looks = [look_conversation(clip, max_images) for clip in clips]
    notes: list[str] = []
    for first in range(0, len(looks), batch_size):
        answers = looker.generate(looks[first : first + batch_size], NOTE_TOKENS)
        notes += [clean_notes(a) for a in answers]
    written: dict[int, Written] = {}
    before: dict[int, list[str]] = {}  # per video: its captions so far
    for number in sorted({clip.number for clip in clips}):
        step = [i for i, clip in enumerate(clips) if clip.number == number]
        for first in range(0, len(step), batch_size):
            chunk = step[first : first + batch_size]
            previous = [before.get(clips[i].video, [])[-KEEP_PREVIOUS:] for i in chunk]
            convs = [
                write_conversation(template, clips[i], notes[i], p, words)
                for i, p in zip(chunk, previous, strict=True)
            ]
            results = _write(writer, convs, previous, words, candidates)
            for i, result in zip(chunk, results, strict=True):
                text, others = result
                written[i] = Written(text, notes[i], others)
                if text:
                    before.setdefault(clips[i].video, []).append(text)
    return [written[i] for i in range(len(clips))]


def _write(
    writer: Any,
    convs: list[Conversation],
    previous: list[list[str]],
    words: int,
    candidates: int,
) -> list[tuple[str, tuple[str, ...]]]:
    """Each chat's caption through the one cleaning path; with candidates, the best and the rest."""
    tokens = writer.max_new_tokens(words)
    if candidates <= 1:
        answers = writer.generate(convs, tokens)
        drafts = [Draft(a, words, "en", c) for a, c in zip(answers, convs, strict=True)]
        texts = finish_answers(drafts, writer)
        return [(_fit(writer, text, words), ()) for text in texts]
    out: list[tuple[str, tuple[str, ...]]] = []
    for conv, before in zip(convs, previous, strict=True):
        answers = writer.generate_choices(conv, tokens, candidates)
        texts = finish_answers([Draft(a, words, "en", conv) for a in answers], writer)
        ranked = rank(texts, words, before, ())
        if not ranked:
            out.append(("", ()))
            continue
        best = _fit(writer, ranked[0].text, words)
        others = (within_budget(r.text, words) for r in ranked[1:])
        out.append((best, tuple(dict.fromkeys(t for t in others if t and t != best))))
    return out


def _fit(writer: Any, text: str, words: int) -> str:
    """Whole leading sentences within `words`, else one shortening request."""
    fitted = within_budget(text, words)
    if text and not fitted:
        fitted = within_budget(writer.shorten(text, words, "en"), words)
    return fitted


def spread_frames(items: Sequence[bytes], limit: int) -> list[bytes]:
    """At most `limit` frames, each from the middle of an equal share of the clip."""
    if len(items) <= limit:
        return list(items)
    return [items[int((i + 0.5) * len(items) / limit)] for i in range(limit)]
