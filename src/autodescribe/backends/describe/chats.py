"""Shaping chats for a local batched VLM: frames as a clip, and batches of like prompts.

Pure functions on chat conversations (no model, no torch), used by the
`transformers` describer: a scene's frames become one video part with their
timestamps for models that read video, and requests are grouped so a batch
pads as little as possible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autodescribe.backends.describe.base import Conversation


def images_of(conversation: Conversation) -> list[Any]:
    return [
        part["image"]
        for message in conversation
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "image"
    ]


def video_of(conversation: Conversation) -> dict[str, Any] | None:
    for message in conversation:
        for part in message.get("content") or ():
            if isinstance(part, dict) and part.get("type") == "video":
                return part
    return None


def spread_times(times: Sequence[float], limit: int) -> list[float]:
    """The times of the frames `build_conversation` keeps (the same even spread)."""
    if len(times) <= limit:
        return list(times)
    step = len(times) / limit
    return [times[int(i * step)] for i in range(limit)]


def as_video(conversation: Conversation, offsets: list[float], duration: float) -> Conversation:
    """The chat with its frames replaced by one clip, placed where the first frame was.

    The metadata states a 1 kHz "frame rate" so frame indexes are the frames' offsets
    in milliseconds from the scene start: processors that print timestamps print these.
    """
    rate = 1000.0
    frames = images_of(conversation)
    clip = {
        "type": "video",
        "video": frames,
        "metadata": {
            "total_num_frames": max(1, round(duration * rate)),
            "fps": rate,
            "duration": duration,
            "frames_indices": [round(t * rate) for t in offsets],
            "width": frames[0].width,
            "height": frames[0].height,
        },
    }
    return replace_frames(conversation, lambda parts: [clip] if parts else [])


def as_images(conversation: Conversation) -> Conversation:
    """Back from a clip to one image part per frame."""
    clip = video_of(conversation)
    images = [{"type": "image", "image": im} for im in (clip["video"] if clip else [])]
    return replace_frames(conversation, lambda parts: images if parts else [])


def replace_frames(
    conversation: Conversation, new: Callable[[list[Any]], list[Any]]
) -> Conversation:
    """Copy of the chat where each message's frame parts (images or clip) become `new(parts)`."""
    result = []
    for message in conversation:
        content = message.get("content")
        if not isinstance(content, list):
            result.append(message)
            continue
        frames = [c for c in content if c.get("type") in ("image", "video")]
        rest = [c for c in content if c.get("type") not in ("image", "video")]
        result.append({**message, "content": new(frames) + rest})
    return result


def kind(conversation: Conversation) -> int:
    """0 text only, 1 images, 2 a clip: only chats of one kind can share a batch."""
    if video_of(conversation):
        return 2
    return 1 if images_of(conversation) else 0


def prompt_size(conversation: Conversation) -> tuple[int, int, int]:
    """A sort key that follows the prompt's token count: kind, frames, then characters."""
    clip = video_of(conversation)
    frames = len(clip["video"]) if clip else len(images_of(conversation))
    chars = sum(
        len(part.get("text", ""))
        for message in conversation
        for part in (message.get("content") or ())
        if isinstance(part, dict)
    )
    return kind(conversation), frames, chars


def batches(conversations: Sequence[Conversation], size: int) -> list[list[int]]:
    """Indexes sorted by prompt size, cut into batches of at most `size` of one kind.

    Neighbours in the sorted order pad little against each other: a batch computes
    its longest prompt for every row.
    """
    order = sorted(range(len(conversations)), key=lambda i: prompt_size(conversations[i]))
    groups: list[list[int]] = []
    for index in order:
        current = groups[-1] if groups else None
        same = current is not None and kind(conversations[current[0]]) == kind(conversations[index])
        if current is None or len(current) >= size or not same:
            groups.append([index])
        else:
            current.append(index)
    return groups
