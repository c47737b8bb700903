"""The `transformers` describer against tiny random-weight models of real architectures.

Each model is built from its config with a freshly trained byte-level BPE
tokenizer, the architecture's PIL image processor and a chat template of our
own, saved with `save_pretrained`, and loaded back through the describer's real
code path (no torchvision, no network). Random weights write gibberish, so the
tests check structure and determinism, not wording.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

from PIL import Image, ImageDraw  # noqa: E402

from autodescribe.backends.describe import describers  # noqa: E402
from autodescribe.backends.describe.base import DescribeContext, DescribeRequest  # noqa: E402
from autodescribe.backends.describe.models import (  # noqa: E402
    PRESETS,
    default_model,
    resolve_model,
)
from autodescribe.backends.describe.transformers import TransformersDescriber  # noqa: E402
from autodescribe.errors import BackendUnavailable, ModelNotAvailable  # noqa: E402
from autodescribe.prompts import load_template  # noqa: E402
from autodescribe.types import Scene  # noqa: E402

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

# Our own minimal templates in each family's prompt layout: one image placeholder per frame.
QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}{% endfor %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
IDEFICS_TEMPLATE = (
    "<|im_start|>{% for m in messages %}{{ m['role'] | capitalize }}:"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>{% else %} {{ c['text'] }}"
    "{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)
ARCHITECTURES = ["smolvlm", "idefics3", "qwen2_vl", "qwen2_5_vl", "qwen3_vl"]
MAX_NEW_TOKENS = 10


# -- building tiny checkpoints -------------------------------------------------


def _tokenizer(special: list[str], eos: str, bos: str | None = None) -> Any:
    """A 400-token byte-level BPE trained offline on the prompt's own words."""
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
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token=eos, pad_token="<|endoftext|>", bos_token=bos
    )


def _save(folder: Path, model: Any, image_processor: Any, tokenizer: Any, template: str) -> Path:
    model.save_pretrained(folder)
    image_processor.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "chat_template.jinja").write_text(template, encoding="utf-8")
    return folder


def _text_config(tokenizer: Any, **extra: Any) -> dict[str, Any]:
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "initializer_range": 0.2,  # large enough that the answer depends on the input
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        **extra,
    }


def build_idefics_family(folder: Path, family: str) -> Path:
    """SmolVLM2 (model type `smolvlm`) or SmolVLM1/Idefics3: 32-px tiles, 4 tokens each."""
    import torch
    import transformers as tf

    tokenizer = _tokenizer(IDEFICS_TOKENS, eos="<end_of_utterance>", bos="<|im_start|>")
    text = _text_config(tokenizer, model_type="llama", bos_token_id=tokenizer.bos_token_id)
    vision = {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "image_size": 32,
        "patch_size": 8,
    }
    classes = {
        "smolvlm": (
            tf.SmolVLMConfig,
            tf.SmolVLMForConditionalGeneration,
            tf.SmolVLMImageProcessorPil,
        ),
        "idefics3": (
            tf.Idefics3Config,
            tf.Idefics3ForConditionalGeneration,
            tf.Idefics3ImageProcessorPil,
        ),
    }
    config_class, model_class, image_processor_class = classes[family]
    config = config_class(
        text_config=text,
        vision_config=vision,
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    torch.manual_seed(0)
    model = model_class(config).eval()
    images = image_processor_class(size={"longest_edge": 64}, max_image_size={"longest_edge": 32})
    _save(folder, model, images, tokenizer, IDEFICS_TEMPLATE)
    # (32 / 8)^2 patches, merged 2x2 by the connector.
    settings = {"image_seq_len": 4, "processor_class": f"{config_class.__name__[:-6]}Processor"}
    (folder / "processor_config.json").write_text(json.dumps(settings), encoding="utf-8")
    return folder


def build_qwen_family(folder: Path, family: str) -> Path:
    """Qwen2-VL, Qwen2.5-VL or Qwen3-VL with a 2-layer vision tower and 2-layer decoder."""
    import torch
    import transformers as tf

    tokenizer = _tokenizer(QWEN_TOKENS, eos="<|im_end|>")
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_TOKENS}
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 1, 1]}
    text = _text_config(tokenizer, rope_parameters=rope, bos_token_id=ids["<|endoftext|>"])
    vision: dict[str, Any] = {"depth": 2, "hidden_size": 32, "num_heads": 4}
    patch = 14
    if family == "qwen2_vl":
        vision |= {"embed_dim": 32, "mlp_ratio": 2}
        config_class, model_class = tf.Qwen2VLConfig, tf.Qwen2VLForConditionalGeneration
    elif family == "qwen2_5_vl":
        vision |= {"intermediate_size": 64, "out_hidden_size": 32, "window_size": 56}
        vision |= {"fullatt_block_indexes": [1]}
        config_class, model_class = tf.Qwen2_5_VLConfig, tf.Qwen2_5_VLForConditionalGeneration
    else:
        patch = 16
        text["head_dim"] = 8
        vision |= {"intermediate_size": 64, "out_hidden_size": 32, "patch_size": patch}
        vision |= {"num_position_embeddings": 64, "deepstack_visual_indexes": [1]}
        config_class, model_class = tf.Qwen3VLConfig, tf.Qwen3VLForConditionalGeneration
    config = config_class(
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(0)
    model = model_class(config).eval()
    # Sampling settings like the real checkpoints ship: the describer must override them.
    model.generation_config.update(do_sample=True, temperature=0.7, top_p=0.8, top_k=20)
    side = patch * 2  # one merged token covers side x side pixels
    images = tf.Qwen2VLImageProcessorPil(
        size={"shortest_edge": (2 * side) ** 2, "longest_edge": (4 * side) ** 2},
        patch_size=patch,
        merge_size=2,
    )
    return _save(folder, model, images, tokenizer, QWEN_TEMPLATE)


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Tiny matrices gain nothing from threads, and on a busy 2-core box threads cost 50x."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module", params=ARCHITECTURES)
def tiny_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp(request.param)
    if request.param in ("smolvlm", "idefics3"):
        return build_idefics_family(folder, request.param)
    return build_qwen_family(folder, request.param)


@pytest.fixture(scope="module")
def describer(tiny_model: Path) -> Iterator[TransformersDescriber]:
    instance = TransformersDescriber(model=str(tiny_model), max_new_tokens=MAX_NEW_TOKENS)
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Six distinct 96x54 JPEG frames: coloured backgrounds with a moving box."""
    folder = tmp_path_factory.mktemp("frames")
    paths = []
    colours = ["navy", "darkgreen", "maroon", "gold", "teal", "purple"]
    for i, colour in enumerate(colours):
        image = Image.new("RGB", (96, 54), colour)
        ImageDraw.Draw(image).rectangle((8 + 12 * i, 10, 30 + 12 * i, 40), fill="white")
        path = folder / f"frame{i}.jpg"
        image.save(path, quality=90)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def requests(frames: list[Path]) -> list[DescribeRequest]:
    """Two scenes whose prompts differ in length, so batching has to pad."""
    first = DescribeRequest(
        scene=Scene(index=3, start=12.0, end=16.0),
        images=tuple(frames[:3]),
        image_times=(12.5, 14.0, 15.5),
        word_budget=12,
    )
    second = DescribeRequest(
        scene=Scene(index=7, start=30.0, end=34.0),
        images=tuple(frames[3:]),
        image_times=(30.5, 32.0, 33.5),
        word_budget=12,
        context=DescribeContext(
            previous=("A man waits at a bus stop.",), dialogue=("Where were you last night?",)
        ),
    )
    return [first, second]


# -- describing ----------------------------------------------------------------


def test_describe_many_gives_one_description_per_scene(
    describer: TransformersDescriber, tiny_model: Path, requests: list[DescribeRequest]
) -> None:
    descriptions = describer.describe_many(requests)

    assert [d.scene for d in descriptions] == [3, 7]
    assert all(isinstance(d.text, str) for d in descriptions)
    assert all(d.model == str(tiny_model) for d in descriptions)
    assert all(d.prompt_version == load_template("describe").version for d in descriptions)
    assert all(d.language == "en" for d in descriptions)


def test_batched_answers_equal_one_at_a_time(
    describer: TransformersDescriber, requests: list[DescribeRequest]
) -> None:
    batched = [d.text for d in describer.describe_many(requests)]
    single = [describer.describe(r).text for r in requests]

    assert batched == single


def test_generate_mixes_text_only_and_image_chats(
    describer: TransformersDescriber, requests: list[DescribeRequest]
) -> None:
    """`shorten` sends text-only chats; they must not be batched with image chats."""
    from autodescribe.backends.describe.base import build_conversation, shorten_conversation

    image_chat = build_conversation(requests[0], describer.capabilities.max_images)
    text_chat = shorten_conversation("A woman crosses the street in the rain.", 4)
    answers = describer.generate([image_chat, text_chat, image_chat], MAX_NEW_TOKENS)

    assert len(answers) == 3
    assert all(isinstance(a, str) for a in answers)
    assert answers[0] == answers[2]
    assert isinstance(describer.shorten("A woman crosses the street in the rain.", 4, "en"), str)


def test_describer_comes_from_the_registry_and_frees_its_model(
    tiny_model: Path, requests: list[DescribeRequest]
) -> None:
    instance = describers.create(
        "transformers", model=str(tiny_model), max_new_tokens=4, split_images=True
    )
    assert isinstance(instance, TransformersDescriber)
    assert instance.model_id == str(tiny_model)
    assert not instance.loaded  # nothing heavy happens at construction

    instance.load()
    assert instance.loaded
    instance.close()
    assert not instance.loaded
    assert instance.describe(requests[0]).scene == 3  # loads again on demand
    instance.close()


# -- failures --------------------------------------------------------------------


def test_unknown_hub_model_offline_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, requests: list[DescribeRequest]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    instance = TransformersDescriber(model="autodescribe-tests/no-such-vlm", device="cpu")

    with pytest.raises(ModelNotAvailable) as caught:
        instance.describe(requests[0])

    message = str(caught.value)
    assert "autodescribe-tests/no-such-vlm" in message
    assert "offline" in message
    assert "--describer basic" in message
    assert "--model PATH" in message
    assert "\n" not in message


def test_missing_local_folder_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "no-model-here"
    instance = TransformersDescriber(model=str(missing), device="cpu")

    with pytest.raises(ModelNotAvailable, match="does not exist"):
        instance.load()


def test_folder_without_a_model_is_reported(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    instance = TransformersDescriber(model=str(tmp_path), device="cpu")

    with pytest.raises(ModelNotAvailable, match="could not be loaded"):
        instance.load()


def test_missing_transformers_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` fail

    with pytest.raises(BackendUnavailable, match=r"autodescribe\[hf\]"):
        TransformersDescriber(model="HuggingFaceTB/SmolVLM2-256M-Video-Instruct")


def test_bad_options_are_rejected() -> None:
    from autodescribe.errors import ConfigError

    with pytest.raises(ConfigError, match="dtype"):
        TransformersDescriber(dtype="float8")
    with pytest.raises(ConfigError, match="batch_size"):
        TransformersDescriber(batch_size=0)


# -- model choice ----------------------------------------------------------------


def test_default_model_per_device() -> None:
    assert default_model("cpu") == "HuggingFaceTB/SmolVLM2-256M-Video-Instruct"
    assert default_model("cuda", memory_gb=80) == "Qwen/Qwen3-VL-8B-Instruct"
    assert default_model("cuda:1", memory_gb=16) == "Qwen/Qwen3-VL-4B-Instruct"
    assert default_model("cuda", memory_gb=6) == "Qwen/Qwen3-VL-2B-Instruct"


def test_model_names_resolve_to_hub_ids_or_pass_through(tmp_path: Path) -> None:
    assert resolve_model("qwen2.5-vl-7b", "cuda") == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert resolve_model("SmolVLM2-500M", "cpu") == PRESETS["smolvlm2-500m"].repo
    assert resolve_model(None, "cpu") == default_model("cpu")
    assert resolve_model("org/custom-vlm", "cpu") == "org/custom-vlm"
    assert resolve_model(str(tmp_path), "cpu") == str(tmp_path)
