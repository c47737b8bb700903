"""Random-weight models of real architectures, built from configs, for tests and benchmarks.

Hub weights cannot be downloaded everywhere this project is tested, yet the code
that loads and runs a VLM should still meet the real model classes. Each builder
writes a folder that `from_pretrained` reads like a downloaded checkpoint: config,
safetensors, a byte-level BPE tokenizer trained on our own prompt, the
architecture's PIL image processor and a chat template of our own. Nothing needs
torchvision or the network.

Sizes: "tiny" (two layers of width 32, built in a second) for every architecture;
"256m" for SmolVLM: the shape of SmolVLM2-256M-Video-Instruct (SmolLM2-135M decoder,
SigLIP base-patch16-512, 64 tokens per 512-px frame), so measured cost is real cost.
Random weights write gibberish: these models check plumbing and cost, never wording.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autodescribe.errors import ConfigError
from autodescribe.testing import tiny_captioners, tiny_llava
from autodescribe.testing.tiny_parts import SIZES as _SIZES
from autodescribe.testing.tiny_parts import TINY_TEXT as _TINY_TEXT
from autodescribe.testing.tiny_parts import TINY_VISION as _TINY_IDEFICS_VISION
from autodescribe.testing.tiny_parts import VISION_256M as _256M_VISION
from autodescribe.testing.tiny_parts import VOCAB_256M as _256M_VOCAB
from autodescribe.testing.tiny_parts import check_size as _check_size
from autodescribe.testing.tiny_parts import save as _save
from autodescribe.testing.tiny_parts import text_config as _text_config
from autodescribe.testing.tiny_parts import tokenizer as _tokenizer

logger = logging.getLogger(__name__)

QWEN_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
IDEFICS_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<end_of_utterance>",
    "<fake_token_around_image>",
    "<image>",
    "<global-img>",
    "<video>",
] + [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
LLAVA_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]
GEMMA_TOKENS = ["<pad>", "<eos>", "<bos>", "<|endoftext|>", "<start_of_turn>", "<end_of_turn>"]
GEMMA_TOKENS += ["<start_of_image>", "<end_of_image>", "<image_soft_token>"]

# Our own minimal templates in each family's prompt layout: one image placeholder per frame.
QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>{% elif c['type'] == 'video' %}"
    "<|vision_start|><|video_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}{% endfor %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
LLAVA_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>\n"
    "{% elif c['type'] == 'video' %}<video>\n{% else %}{{ c['text'] }}{% endif %}{% endfor %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# Gemma 3 has no system role: its template folds the system text into the first user turn.
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] != 'system' %}"
    "<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n"
    "{% if loop.index0 == 1 and messages[0]['role'] == 'system' %}"
    "{% for c in messages[0]['content'] %}{{ c['text'] }}\n\n{% endfor %}{% endif %}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<start_of_image>"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}<end_of_turn>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
IDEFICS_TEMPLATE = (
    "<|im_start|>{% for m in messages %}{{ m['role'] | capitalize }}:"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>"
    "{% elif c['type'] == 'video' %}<video>{% else %} {{ c['text'] }}"
    "{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)

# Tiny towers: wide enough for the real code paths (GQA, pixel shuffle, merges), no wider.

# -- SmolVLM / Idefics3 ------------------------------------------------------------


def _idefics_parts(family: str, size: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Config, tokenizer, image processor and processor settings of one size."""
    import transformers as tf

    _check_size(family, size, _SIZES)
    real = size == "256m"
    tokenizer = _tokenizer(
        IDEFICS_TOKENS,
        eos="<end_of_utterance>",
        bos="<|im_start|>",
        vocab_size=_256M_VOCAB if real else None,
    )
    text = _text_config(tokenizer, size, model_type="llama", bos_token_id=tokenizer.bos_token_id)
    vision = _256M_VISION if real else _TINY_IDEFICS_VISION
    scale = 4 if real else 2
    classes = {
        "smolvlm": (tf.SmolVLMConfig, tf.SmolVLMImageProcessorPil),
        "idefics3": (tf.Idefics3Config, tf.Idefics3ImageProcessorPil),
    }
    config_class, image_processor_class = classes[family]
    config = config_class(
        text_config=text,
        vision_config=dict(vision),
        scale_factor=scale,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        tie_word_embeddings=False,
    )
    tile = vision["image_size"]
    images = image_processor_class(
        size={"longest_edge": 4 * tile if real else 2 * tile},
        max_image_size={"longest_edge": tile},
    )
    # Tokens per tile: (tile / patch)^2 patches, merged scale x scale by the connector.
    seq_len = (tile // vision["patch_size"]) ** 2 // scale**2
    settings = {
        "image_seq_len": seq_len,
        "processor_class": f"{config_class.__name__[:-6]}Processor",
    }
    return config, tokenizer, images, settings


def _build_idefics(folder: Path, family: str, size: str) -> Path:
    import torch
    import transformers as tf

    config, tokenizer, images, settings = _idefics_parts(family, size)
    model_class = {
        "smolvlm": tf.SmolVLMForConditionalGeneration,
        "idefics3": tf.Idefics3ForConditionalGeneration,
    }[family]
    torch.manual_seed(0)
    model = model_class(config).eval()
    _save(folder, model, images, tokenizer, IDEFICS_TEMPLATE)
    (folder / "processor_config.json").write_text(json.dumps(settings), encoding="utf-8")
    return folder


def build_smolvlm(folder: Path, size: str = "tiny") -> Path:
    """SmolVLM2 (model type `smolvlm`): "tiny" cuts 32-px tiles of 4 tokens, "256m" 512-px of 64."""
    return _build_idefics(Path(folder), "smolvlm", size)


def build_idefics3(folder: Path, size: str = "tiny") -> Path:
    """SmolVLM1 / Idefics3 (model type `idefics3`), in the same two sizes as `build_smolvlm`."""
    return _build_idefics(Path(folder), "idefics3", size)


# -- Qwen-VL -----------------------------------------------------------------------


def _qwen_parts(family: str, size: str) -> tuple[Any, Any, Any]:
    """Config, tokenizer and image processor of a 2-layer vision tower and 2-layer decoder."""
    import transformers as tf

    _check_size(family, size, {"tiny"})
    tokenizer = _tokenizer(QWEN_TOKENS, eos="<|im_end|>")
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_TOKENS}
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 1, 1]}
    text = _text_config(tokenizer, size, rope_parameters=rope, bos_token_id=ids["<|endoftext|>"])
    vision: dict[str, Any] = {"depth": 2, "hidden_size": 32, "num_heads": 4}
    patch = 14
    if family == "qwen2_vl":
        vision |= {"embed_dim": 32, "mlp_ratio": 2}
        config_class: Any = tf.Qwen2VLConfig
    elif family == "qwen2_5_vl":
        vision |= {"intermediate_size": 64, "out_hidden_size": 32, "window_size": 56}
        vision |= {"fullatt_block_indexes": [1]}
        config_class = tf.Qwen2_5_VLConfig
    else:
        patch = 16
        text["head_dim"] = 8
        vision |= {"intermediate_size": 64, "out_hidden_size": 32, "patch_size": patch}
        vision |= {"num_position_embeddings": 64, "deepstack_visual_indexes": [1]}
        config_class = tf.Qwen3VLConfig
    config = config_class(
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    side = patch * 2  # one merged token covers side x side pixels
    images = tf.Qwen2VLImageProcessorPil(
        size={"shortest_edge": (2 * side) ** 2, "longest_edge": (4 * side) ** 2},
        patch_size=patch,
        merge_size=2,
    )
    return config, tokenizer, images


def _build_qwen(folder: Path, family: str, size: str) -> Path:
    import torch
    import transformers as tf

    config, tokenizer, images = _qwen_parts(family, size)
    model_class = {
        "qwen2_vl": tf.Qwen2VLForConditionalGeneration,
        "qwen2_5_vl": tf.Qwen2_5_VLForConditionalGeneration,
        "qwen3_vl": tf.Qwen3VLForConditionalGeneration,
    }[family]
    torch.manual_seed(0)
    model = model_class(config).eval()
    # Sampling settings like the real checkpoints ship, which a greedy caller must override.
    model.generation_config.update(do_sample=True, temperature=0.7, top_p=0.8, top_k=20)
    return _save(folder, model, images, tokenizer, QWEN_TEMPLATE)


def build_qwen2_vl(folder: Path, size: str = "tiny") -> Path:
    """Qwen2-VL: 14-px patches merged 2x2."""
    return _build_qwen(Path(folder), "qwen2_vl", size)


def build_qwen2_5_vl(folder: Path, size: str = "tiny") -> Path:
    """Qwen2.5-VL: windowed vision attention with one full-attention block."""
    return _build_qwen(Path(folder), "qwen2_5_vl", size)


def build_qwen3_vl(folder: Path, size: str = "tiny") -> Path:
    """Qwen3-VL: 16-px patches, learned position embeddings and one deepstack layer."""
    return _build_qwen(Path(folder), "qwen3_vl", size)


# -- LLaVA-OneVision and Gemma 3 -----------------------------------------------------

# A SigLIP tower cutting 32-px tiles into 16 patches: the encoder both families use.
_TINY_SIGLIP: dict[str, Any] = {**_TINY_IDEFICS_VISION, "model_type": "siglip_vision_model"}


def _llava_onevision_parts(size: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Qwen2 decoder, SigLIP tiles and the "anyres" grid of 32-px tiles up to 2x2."""
    import transformers as tf

    _check_size("llava_onevision", size, {"tiny"})
    tokenizer = _tokenizer(LLAVA_TOKENS, eos="<|im_end|>")
    text = _text_config(tokenizer, size, model_type="qwen2")
    tile = _TINY_SIGLIP["image_size"]
    grid = [[tile * r, tile * c] for r in (1, 2) for c in (1, 2)]
    config = tf.LlavaOnevisionConfig(
        text_config=text,
        vision_config=dict(_TINY_SIGLIP),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
        image_grid_pinpoints=grid,
        vision_feature_select_strategy="full",
    )
    images = tf.LlavaOnevisionImageProcessorPil(
        size={"height": tile, "width": tile}, image_grid_pinpoints=grid
    )
    settings = {
        "num_image_tokens": (tile // _TINY_SIGLIP["patch_size"]) ** 2,
        "vision_feature_select_strategy": "full",
        "vision_aspect_ratio": "anyres_max_9",
        "processor_class": "LlavaOnevisionProcessor",
    }
    return config, tokenizer, images, settings


def _gemma3_parts(size: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Gemma 3 decoder (one sliding, one global layer), SigLIP pooled to 4 tokens per image."""
    import transformers as tf

    _check_size("gemma3", size, {"tiny"})
    named = {
        "boi_token": "<start_of_image>",
        "eoi_token": "<end_of_image>",
        "image_token": "<image_soft_token>",
    }
    tokenizer = _tokenizer(GEMMA_TOKENS, eos="<end_of_turn>", bos="<bos>", pad="<pad>", named=named)
    text = _text_config(tokenizer, size, head_dim=8, query_pre_attn_scalar=8, sliding_window=16)
    text |= {"bos_token_id": tokenizer.bos_token_id}
    text["layer_types"] = ["sliding_attention", "full_attention"]
    tokens_per_image = 4
    config = tf.Gemma3Config(
        text_config=text,
        vision_config=dict(_TINY_SIGLIP),
        mm_tokens_per_image=tokens_per_image,
        boi_token_index=tokenizer.convert_tokens_to_ids(named["boi_token"]),
        eoi_token_index=tokenizer.convert_tokens_to_ids(named["eoi_token"]),
        image_token_index=tokenizer.convert_tokens_to_ids(named["image_token"]),
        initializer_range=_TINY_TEXT["initializer_range"],
    )
    tile = _TINY_SIGLIP["image_size"]
    images = tf.Gemma3ImageProcessorPil(size={"height": tile, "width": tile})
    settings = {"image_seq_length": tokens_per_image, "processor_class": "Gemma3Processor"}
    return config, tokenizer, images, settings


def _build_from_parts(folder: Path, architecture: str, size: str) -> Path:
    import torch
    import transformers as tf

    parts, model_class, template = {
        "llava_onevision": (
            _llava_onevision_parts,
            tf.LlavaOnevisionForConditionalGeneration,
            LLAVA_TEMPLATE,
        ),
        "gemma3": (_gemma3_parts, tf.Gemma3ForConditionalGeneration, GEMMA_TEMPLATE),
    }[architecture]
    config, tokenizer, images, settings = parts(size)
    torch.manual_seed(0)
    model = model_class(config).eval()
    _save(Path(folder), model, images, tokenizer, template)
    (Path(folder) / "processor_config.json").write_text(json.dumps(settings), encoding="utf-8")
    return Path(folder)


def build_llava_onevision(folder: Path, size: str = "tiny") -> Path:
    """LLaVA-OneVision: Qwen2 decoder, SigLIP encoder, "anyres" tiling of each frame."""
    return _build_from_parts(folder, "llava_onevision", size)


def build_gemma3(folder: Path, size: str = "tiny") -> Path:
    """Gemma 3: interleaved sliding-window and global attention, images pooled to 4 tokens."""
    return _build_from_parts(folder, "gemma3", size)


# -- by name -----------------------------------------------------------------------

BUILDERS: dict[str, Callable[[Path, str], Path]] = {
    "smolvlm": build_smolvlm,
    "idefics3": build_idefics3,
    "qwen2_vl": build_qwen2_vl,
    "qwen2_5_vl": build_qwen2_5_vl,
    "qwen3_vl": build_qwen3_vl,
    "llava_onevision": build_llava_onevision,
    "gemma3": build_gemma3,
    "video_llava": tiny_llava.build_video_llava,
    "llava_next": tiny_llava.build_llava_next,
    "llava_next_video": tiny_llava.build_llava_next_video,
    "blip2": tiny_captioners.build_blip2,
    "janus": tiny_captioners.build_janus,
    "deepseek_vl": tiny_captioners.build_deepseek_vl,
}


def build_model(architecture: str, folder: Path, size: str = "tiny") -> Path:
    """Write a random-weight `architecture` model of `size` into `folder` and return it."""
    if architecture not in BUILDERS:
        raise ConfigError(
            f"no tiny model for architecture '{architecture}'",
            f"choose one of: {', '.join(BUILDERS)}",
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = BUILDERS[architecture](folder, size)
    logger.info("built a random-weight %s (%s) in %s", architecture, size, folder)
    return path


def model_config(architecture: str, size: str = "tiny") -> Any:
    """The transformers config `build_model` would use, without making any weights."""
    if architecture in ("smolvlm", "idefics3"):
        return _idefics_parts(architecture, size)[0]
    if architecture == "llava_onevision":
        return _llava_onevision_parts(size)[0]
    if architecture == "gemma3":
        return _gemma3_parts(size)[0]
    for family in (tiny_llava, tiny_captioners):
        if architecture in family.ARCHITECTURES:
            _check_size(architecture, size, {"tiny"})
            return family.model_config(architecture)
    if architecture in BUILDERS:
        return _qwen_parts(architecture, size)[0]
    raise ConfigError(
        f"no tiny model for architecture '{architecture}'", f"choose one of: {', '.join(BUILDERS)}"
    )
