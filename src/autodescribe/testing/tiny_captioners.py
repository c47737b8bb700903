"""Tiny random-weight BLIP-2, Janus and DeepSeek-VL models: the bulk captioners' architectures.

BLIP-2 (Q-Former over a ViT, OPT decoder) has no chat template: its prompt is
plain text. Janus and DeepSeek-VL are DeepSeek's vision-language models in
Transformers' own format (their `deepseek-community/...` conversions): a SigLIP
tower, a LLaMA decoder, and for Janus a VQ image tokenizer it uses only to
draw pictures. Each is built from a config with 2-layer towers of width 32.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autodescribe.testing.tiny_parts import (
    TINY_TEXT,
    TINY_VISION,
    check_size,
    save,
    text_config,
    tokenizer,
)

_TILE = int(TINY_VISION["image_size"])
_TOKENS_PER_IMAGE = (_TILE // int(TINY_VISION["patch_size"])) ** 2  # 16
_QUERY_TOKENS = 4
# Janus and DeepSeek-VL templates in their own "User:/Assistant:" layout, one placeholder per image.
DEEPSEEK_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{% for c in m['content'] %}{{ c['text'] }}\n\n{% endfor %}{% else %}"
    "{{ 'User' if m['role'] == 'user' else 'Assistant' }}: "
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<image_placeholder>"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}\n\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)


def _blip2_parts() -> tuple[Any, Any, Any, dict[str, Any]]:
    import transformers as tf

    tokens = tokenizer(["<pad>", "</s>", "<image>"], eos="</s>", bos="</s>", pad="<pad>")
    tokens.add_special_tokens({"additional_special_tokens": ["<image>"]})
    opt = {
        "model_type": "opt",
        "hidden_size": 32,
        "ffn_dim": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "word_embed_proj_dim": 32,
        "max_position_embeddings": 256,
        "vocab_size": len(tokens),
        "pad_token_id": tokens.pad_token_id,
        "bos_token_id": tokens.bos_token_id,
        "eos_token_id": tokens.eos_token_id,
        "init_std": TINY_TEXT["initializer_range"],
    }
    vision = {k: TINY_VISION[k] for k in ("hidden_size", "intermediate_size", "image_size")}
    vision |= {"num_hidden_layers": 2, "num_attention_heads": 4, "patch_size": 8}
    qformer = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4}
    qformer |= {"intermediate_size": 64, "encoder_hidden_size": 32}
    config = tf.Blip2Config(
        vision_config=vision,
        qformer_config=qformer,
        text_config=opt,
        num_query_tokens=_QUERY_TOKENS,
        image_token_index=tokens.convert_tokens_to_ids("<image>"),
        initializer_range=TINY_TEXT["initializer_range"],
    )
    images = tf.BlipImageProcessorPil(size={"height": _TILE, "width": _TILE})
    settings = {"num_query_tokens": _QUERY_TOKENS, "processor_class": "Blip2Processor"}
    return config, tokens, images, settings


def _deepseek_tokenizer() -> Any:
    named = {
        "image_token": "<image_placeholder>",
        "boi_token": "<begin_of_image>",
        "eoi_token": "<end_of_image>",
    }
    special = ["<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>", "<pad>", *named.values()]
    return tokenizer(
        special,
        eos="<｜end▁of▁sentence｜>",
        bos="<｜begin▁of▁sentence｜>",
        pad="<pad>",
        named=named,
    )


def _janus_parts() -> tuple[Any, Any, Any, dict[str, Any]]:
    import transformers as tf

    tokens = _deepseek_tokenizer()
    vision: dict[str, Any] = {k: TINY_VISION[k] for k in ("hidden_size", "num_hidden_layers")}
    vision |= {"image_size": _TILE, "num_attention_heads": 4, "patch_size": 8, "mlp_ratio": 2.0}
    vision |= {"projection_dim": 32, "num_image_tokens": _TOKENS_PER_IMAGE}
    vq: dict[str, Any] = {"embed_dim": 8, "num_embeddings": 32, "latent_channels": 32}
    vq |= {"base_channels": 32}
    vq |= {"channel_multiplier": [1, 1], "num_res_blocks": 1, "projection_dim": 32}
    vq |= {"image_token_embed_dim": 32, "num_patches": _TILE // 8}
    config = tf.JanusConfig(
        text_config=text_config(tokens, "tiny", model_type="llama"),
        vision_config=vision,
        vq_config=vq,
        image_token_id=tokens.convert_tokens_to_ids("<image_placeholder>"),
    )
    images = tf.JanusImageProcessorPil(size={"height": _TILE, "width": _TILE})
    settings = {"num_image_tokens": _TOKENS_PER_IMAGE, "processor_class": "JanusProcessor"}
    return config, tokens, images, settings


def _deepseek_vl_parts() -> tuple[Any, Any, Any, dict[str, Any]]:
    import transformers as tf

    tokens = _deepseek_tokenizer()
    vision = {**TINY_VISION, "model_type": "siglip_vision_model", "patch_size": 8}
    config = tf.DeepseekVLConfig(
        text_config=text_config(tokens, "tiny", model_type="llama"),
        vision_config=vision,
        image_token_id=tokens.convert_tokens_to_ids("<image_placeholder>"),
    )
    images = tf.DeepseekVLImageProcessorPil(size={"height": _TILE, "width": _TILE})
    settings = {"num_image_tokens": _TOKENS_PER_IMAGE, "processor_class": "DeepseekVLProcessor"}
    return config, tokens, images, settings


_PARTS = {"blip2": _blip2_parts, "janus": _janus_parts, "deepseek_vl": _deepseek_vl_parts}


def _build(folder: Path, architecture: str, size: str) -> Path:
    import torch
    import transformers as tf

    check_size(architecture, size, {"tiny"})
    config, tokens, images, settings = _PARTS[architecture]()
    model_class, template = {
        "blip2": (tf.Blip2ForConditionalGeneration, None),  # a captioner: no chat template
        "janus": (tf.JanusForConditionalGeneration, DEEPSEEK_TEMPLATE),
        "deepseek_vl": (tf.DeepseekVLForConditionalGeneration, DEEPSEEK_TEMPLATE),
    }[architecture]
    torch.manual_seed(0)
    model = model_class(config).eval()
    save(Path(folder), model, images, tokens, template)
    (Path(folder) / "processor_config.json").write_text(json.dumps(settings), encoding="utf-8")
    return Path(folder)


def build_blip2(folder: Path, size: str = "tiny") -> Path:
    """BLIP-2 with OPT: 4 Q-Former queries per image, no chat template."""
    return _build(folder, "blip2", size)


def build_janus(folder: Path, size: str = "tiny") -> Path:
    """Janus(-Pro): SigLIP understanding tower, LLaMA decoder, VQ tokenizer for drawing."""
    return _build(folder, "janus", size)


def build_deepseek_vl(folder: Path, size: str = "tiny") -> Path:
    """DeepSeek-VL (1.3B layout): SigLIP tower and LLaMA decoder."""
    return _build(folder, "deepseek_vl", size)


ARCHITECTURES = ("blip2", "janus", "deepseek_vl")


def model_config(architecture: str) -> Any:
    return _PARTS[architecture]()[0]
