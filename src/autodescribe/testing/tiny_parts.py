"""What every tiny random-weight model shares: small tokenizers, decoder sizes, saving.

Kept apart from the builders so families in separate modules (`tiny_models`,
`tiny_llava`) use one copy of each piece.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autodescribe.errors import ConfigError
from autodescribe.writing.prompts import load_template

TINY_TEXT = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "initializer_range": 0.2,  # large enough that the answer depends on the input
}
TINY_VISION = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "image_size": 32,
    "patch_size": 8,
}
# SmolVLM2-256M-Video-Instruct (and SmolVLM-256M-Instruct, its Idefics3 twin): the
# decoder is SmolLM2-135M, the encoder SigLIP base at 512 px, the vocabulary 49152 + 128 added.
TEXT_256M = {
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "head_dim": 64,
    "max_position_embeddings": 8192,
    "rms_norm_eps": 1e-5,
    "rope_parameters": {"rope_type": "default", "rope_theta": 100000.0},
    "initializer_range": 0.041666666666666664,
    "tie_word_embeddings": False,
}
VISION_256M = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "image_size": 512,
    "patch_size": 16,
}
VOCAB_256M = 49280
SIZES = {"tiny", "256m"}

# -- tokenizer -------------------------------------------------------------------


def tokenizer(
    special: list[str],
    eos: str,
    bos: str | None = None,
    vocab_size: int | None = None,
    pad: str = "<|endoftext|>",
    named: Mapping[str, str] | None = None,
) -> Any:
    """A 400-token byte-level BPE trained offline on the prompt's own words.

    With `vocab_size`, unreachable filler entries bring the vocabulary to that size,
    so the embedding and output layers get the real model's shape (and cost). `named`
    special tokens (Gemma's `boi_token`...) become attributes the processors read.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = list(load_template("describe").sections.values())
    corpus += ["A woman in a red coat crosses a busy street at night."] * 5
    bpe.train_from_iterator(corpus, trainer)
    if vocab_size is not None:
        bpe = padded(bpe, vocab_size)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token=eos,
        pad_token=pad,
        bos_token=bos,
        extra_special_tokens=dict(named) if named else None,
    )


def padded(bpe: Any, size: int) -> Any:
    """`bpe` with filler tokens (plain ASCII, so they decode) appended up to `size` ids."""
    from tokenizers import Tokenizer

    state = json.loads(bpe.to_str())
    vocab: dict[str, int] = state["model"]["vocab"]
    number = 0
    while len(vocab) < size:
        name = f"zq{number}"
        number += 1
        if name not in vocab:
            vocab[name] = len(vocab)
    return Tokenizer.from_str(json.dumps(state))


def text_config(tokenizer: Any, size: str, **extra: Any) -> dict[str, Any]:
    dims = TEXT_256M if size == "256m" else TINY_TEXT
    return {
        **dims,
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        **extra,
    }


def check_size(architecture: str, size: str, allowed: set[str]) -> None:
    if size not in allowed:
        raise ConfigError(
            f"size '{size}' is not available for {architecture}",
            f"choose one of: {', '.join(sorted(allowed))}",
        )


def save(
    folder: Path, model: Any, image_processor: Any, tokenizer: Any, template: str | None
) -> Path:
    """Write a checkpoint as `save_pretrained` does; `template` None = a model without chat."""
    model.save_pretrained(folder)
    image_processor.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if template is not None:
        (folder / "chat_template.jinja").write_text(template, encoding="utf-8")
    return folder
