"""A tiny random-weight Pocket TTS model, built from a config, for tests and benchmarks.

Kyutai's voice-cloning weights are gated on the Hub, so tests build the real
architecture (FlowLM and the Mimi codec) at toy size instead: a YAML config in
Pocket TTS's own schema and a character-level tokenizer beside it. Loaded with
`TTSModel.load_model(config=...)`, it runs the real code path (encode the
sample, prompt the model, generate) with no download. Random weights babble:
this checks plumbing and audio format, never the voice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# One token a word, as with the real tokenizer's pace: Pocket TTS warns about chunks of
# more than 50 tokens, and sizes its generation by tokens. Other words are <unk>.
_WORDS = (
    "a an the and of in on at to with from by is are his her their it its he she they man "
    "woman men women door room car street light dark old young walks looks runs opens "
    "turns stands sits holds smiles , ."
).split()


def _tokenizer(path: Path) -> int:
    """A word-level `tokenizers` tokenizer at `path`; returns its vocabulary size."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {token: i for i, token in enumerate(["<unk>", *_WORDS])}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.save(str(path))
    return int(tokenizer.get_vocab_size())


def tiny_config(tokenizer_path: Path, vocabulary: int) -> dict[str, Any]:
    """Pocket TTS's config schema with every width cut down (a model of about 0.2 MB)."""
    transformer = {"d_model": 64, "hidden_scale": 2, "max_period": 10000}
    lookup = {"dim": 64, "n_bins": vocabulary, "tokenizer": "tokenizers"}
    seanet = {
        "dimension": 32, "channels": 1, "n_filters": 8, "n_residual_layers": 1,
        "ratios": [6, 5, 4], "kernel_size": 7, "residual_kernel_size": 3,
        "last_kernel_size": 3, "dilation_base": 2, "pad_mode": "constant", "compress": 2,
    }  # fmt: skip
    codec_transformer = {
        "d_model": 32, "num_heads": 4, "num_layers": 1, "layer_scale": 0.01, "context": 250,
        "dim_feedforward": 64, "input_dimension": 32, "output_dimensions": [32],
    }  # fmt: skip
    return {
        # Random weights would stop at once or babble on: never stopping, a line lasts what
        # Pocket TTS allows for its words (a third of a second a word, plus 2 s), a human pace.
        "default_eos_threshold": 1e9,
        "flow_lm": {
            "insert_bos_before_voice": True,
            "dtype": "float32",
            "flow": {"depth": 2, "dim": 32},
            "transformer": transformer | {"num_heads": 4, "num_layers": 2},
            "lookup_table": lookup | {"tokenizer_path": str(tokenizer_path)},
        },
        "mimi": {
            "dtype": "float32",
            "sample_rate": 24000,
            "inner_dim": 8,
            "outer_dim": 32,
            "channels": 1,
            "frame_rate": 12.5,
            "seanet": seanet,
            "transformer": codec_transformer,
            "quantizer": {"dimension": 8, "output_dimension": 32},
        },  # fmt: skip
    }


def write_tiny_pocket(folder: Path) -> Path:
    """Write `config.yaml` and `tokenizer.json` into `folder`; return the config's path.

    Pass the path as the voice model (`--voice-name`) to speak with it. The
    weights are drawn when the model is loaded, so seed torch for the same voice.
    """
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = folder / "tokenizer.json"
    config = folder / "config.yaml"
    text = yaml.safe_dump(tiny_config(tokenizer, _tokenizer(tokenizer)), allow_unicode=True)
    config.write_text(text, encoding="utf-8")
    return config
