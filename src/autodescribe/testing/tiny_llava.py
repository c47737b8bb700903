"""Tiny random-weight LLaVA family models: Video-LLaVA, LLaVA-NeXT (v1.6), LLaVA-NeXT-Video.

Each is the real model class built from a config with a 2-layer CLIP tower
(32-px images, 8-px patches: 16 tokens and a class token) and a 2-layer decoder,
saved with the architecture's PIL image processor, processor settings and a
ChatML template, so `from_pretrained` reads it like a downloaded checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autodescribe.testing.tiny_parts import TINY_VISION, check_size, save, text_config, tokenizer

LLAVA_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]
CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>\n"
    "{% elif c['type'] == 'video' %}<video>\n{% else %}{{ c['text'] }}{% endif %}{% endfor %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
TINY_CLIP: dict[str, Any] = {**TINY_VISION, "model_type": "clip_vision_model", "projection_dim": 32}
_TILE = int(TINY_CLIP["image_size"])
_PATCH = int(TINY_CLIP["patch_size"])
_GRID = [[_TILE * r, _TILE * c] for r in (1, 2) for c in (1, 2)]  # "anyres": up to 2x2 tiles


def _processor_settings(processor_class: str) -> dict[str, Any]:
    """What the LLaVA processors need to count image tokens: CLIP patches plus its class token."""
    return {
        "patch_size": _PATCH,
        "vision_feature_select_strategy": "default",
        "num_additional_image_tokens": 1,
        "processor_class": processor_class,
    }


def _parts(architecture: str) -> tuple[Any, Any, Any, dict[str, Any], Any]:
    """Config, tokenizer, image processor, processor settings and model class."""
    import transformers as tf

    check_size(architecture, "tiny", {"tiny"})
    tokens = tokenizer(LLAVA_TOKENS, eos="<|im_end|>")
    image_id = tokens.convert_tokens_to_ids("<image>")
    video_id = tokens.convert_tokens_to_ids("<video>")
    common = {"vision_config": dict(TINY_CLIP), "image_token_index": image_id}
    square = {"shortest_edge": _TILE}
    crop = {"height": _TILE, "width": _TILE}
    if architecture == "video_llava":
        config: Any = tf.VideoLlavaConfig(
            text_config=text_config(tokens, "tiny", model_type="llama"),
            video_token_index=video_id,
            image_seq_length=(_TILE // _PATCH) ** 2,
            **common,
        )
        images: Any = tf.VideoLlavaImageProcessor(size=square, crop_size=crop)
        return (
            config,
            tokens,
            images,
            _processor_settings("VideoLlavaProcessor"),
            (tf.VideoLlavaForConditionalGeneration),
        )
    images = tf.LlavaNextImageProcessorPil(size=square, crop_size=crop, image_grid_pinpoints=_GRID)
    if architecture == "llava_next":  # v1.6 on Mistral, as llava-v1.6-mistral-7b-hf
        config = tf.LlavaNextConfig(
            text_config=text_config(tokens, "tiny", model_type="mistral"),
            image_grid_pinpoints=_GRID,
            **common,
        )
        return (
            config,
            tokens,
            images,
            _processor_settings("LlavaNextProcessor"),
            (tf.LlavaNextForConditionalGeneration),
        )
    config = tf.LlavaNextVideoConfig(
        text_config=text_config(tokens, "tiny", model_type="llama"),
        image_grid_pinpoints=_GRID,
        video_token_index=video_id,
        **common,
    )
    return (
        config,
        tokens,
        images,
        _processor_settings("LlavaNextVideoProcessor"),
        (tf.LlavaNextVideoForConditionalGeneration),
    )


def _build(folder: Path, architecture: str, size: str) -> Path:
    import torch

    check_size(architecture, size, {"tiny"})
    config, tokens, images, settings, model_class = _parts(architecture)
    torch.manual_seed(0)
    model = model_class(config).eval()
    save(Path(folder), model, images, tokens, CHATML_TEMPLATE)
    (Path(folder) / "processor_config.json").write_text(json.dumps(settings), encoding="utf-8")
    return Path(folder)


def build_video_llava(folder: Path, size: str = "tiny") -> Path:
    """Video-LLaVA: one CLIP tower for images and video frames, a Vicuna-style decoder."""
    return _build(folder, "video_llava", size)


def build_llava_next(folder: Path, size: str = "tiny") -> Path:
    """LLaVA-NeXT (v1.6): CLIP tiles in an "anyres" grid, a Mistral decoder."""
    return _build(folder, "llava_next", size)


def build_llava_next_video(folder: Path, size: str = "tiny") -> Path:
    """LLaVA-NeXT-Video: LLaVA-NeXT with pooled video tokens."""
    return _build(folder, "llava_next_video", size)


ARCHITECTURES = ("video_llava", "llava_next", "llava_next_video")


def model_config(architecture: str) -> Any:
    return _parts(architecture)[0]
