"""The `transformers` describer against tiny random-weight models of real architectures.

Each model comes from `autodescribe.testing.tiny_models`: built from its config with a
freshly trained byte-level BPE tokenizer, the architecture's PIL image processor
and a chat template of our own, saved with `save_pretrained`, and loaded back
through the describer's real code path (no torchvision, no network). Random
weights write gibberish, so the tests check structure and determinism, not wording.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

from PIL import Image, ImageDraw  # noqa: E402

from autodescribe.backends.describe import describers  # noqa: E402
from autodescribe.backends.describe.base import DescribeContext, DescribeRequest  # noqa: E402
from autodescribe.backends.describe.chats import as_images, as_video, batches  # noqa: E402
from autodescribe.backends.describe.models import (  # noqa: E402
    PRESETS,
    VIDEO_MODEL_TYPES,
    cpu_has_bf16,
    default_model,
    resolve_model,
)
from autodescribe.backends.describe.transformers import TransformersDescriber  # noqa: E402
from autodescribe.errors import BackendUnavailable, ModelNotAvailable  # noqa: E402
from autodescribe.testing import tiny_captioners, tiny_llava  # noqa: E402
from autodescribe.testing.tiny_models import BUILDERS, build_model, model_config  # noqa: E402
from autodescribe.types import Scene  # noqa: E402
from autodescribe.writing.prompts import load_template  # noqa: E402

# The seeds' architectures (Video-LLaVA, LLaVA-NeXT, BLIP-2, Janus, DeepSeek-VL...) get one
# load-and-describe test each in test_model_presets.py: the full contract here costs about 6 s
# an architecture, and CI is near its time limit.
SEEDS = {*tiny_llava.ARCHITECTURES, *tiny_captioners.ARCHITECTURES}
ARCHITECTURES = [name for name in BUILDERS if name not in SEEDS]
MAX_NEW_TOKENS = 10


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
    return build_model(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def describer(tiny_model: Path) -> Iterator[TransformersDescriber]:
    """float32: bfloat16 (the default on CPUs with bf16 units) rounds padded rows differently."""
    instance = TransformersDescriber(
        model=str(tiny_model), max_new_tokens=MAX_NEW_TOKENS, dtype="float32"
    )
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


def test_batches_sorted_by_prompt_size_come_back_in_request_order(
    describer: TransformersDescriber, requests: list[DescribeRequest], frames: list[Path]
) -> None:
    """The longest prompt first and a one-frame scene last: sorting reorders, answers must not."""
    one_frame = DescribeRequest(
        scene=Scene(index=9, start=40.0, end=42.0),
        images=(frames[0],),
        image_times=(41.0,),
        word_budget=12,
    )
    asked = [requests[1], requests[0], one_frame]
    single = [describer.describe(r) for r in asked]
    describer.batch_size = 2
    try:
        batched = describer.describe_many(asked)
    finally:
        describer.batch_size = 8

    assert [d.scene for d in batched] == [7, 3, 9]
    assert [d.text for d in batched] == [d.text for d in single]


def test_video_input_is_declared_per_model(
    describer: TransformersDescriber, tiny_model: Path, requests: list[DescribeRequest]
) -> None:
    """Video only for models that read it, and only where their video processor can run."""
    from transformers import AutoConfig
    from transformers.utils import is_torchvision_available

    describer.load()
    model_type = AutoConfig.from_pretrained(tiny_model).model_type
    if model_type not in VIDEO_MODEL_TYPES or not is_torchvision_available():
        assert describer.capabilities.video_input is False
    assert describer.describe(requests[0]).scene == 3  # images when video is not possible


def test_a_model_whose_processor_drops_the_clip_falls_back_to_images(
    tiny_model: Path, requests: list[DescribeRequest]
) -> None:
    """Forced into video mode without a video processor, the describer must not lose the frames."""
    instance = TransformersDescriber(model=str(tiny_model), max_new_tokens=6, dtype="float32")
    try:
        as_images_answer = instance.describe(requests[0]).text
        instance._video = True  # what load() decides for video models where torchvision works
        answer = instance.describe(requests[0]).text

        assert answer == as_images_answer
        assert instance.capabilities.video_input is False
    finally:
        instance.close()


def test_auto_dtype_is_bfloat16_only_on_cpus_with_bf16_units(
    tiny_model: Path, requests: list[DescribeRequest]
) -> None:
    import torch

    instance = TransformersDescriber(model=str(tiny_model), device="cpu", max_new_tokens=4)
    try:
        instance.load()
        expected = torch.bfloat16 if cpu_has_bf16() else torch.float32
        assert instance._model.dtype == expected
        assert instance.describe(requests[1]).scene == 7
    finally:
        instance.close()


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


def test_look_then_write_through_the_models_own_generate(
    describer: TransformersDescriber, requests: list[DescribeRequest]
) -> None:
    """Notes from the frames, then candidates from one `generate` (num_return_sequences)."""
    from autodescribe.backends.describe.passes import WriteRequest
    from autodescribe.writing.look import take_notes
    from autodescribe.writing.write import ChatLineWriter

    notes = take_notes(describer, requests)
    assert len(notes) == 2 and all(isinstance(n, str) and "\n" not in n for n in notes)
    request = WriteRequest(
        scene=requests[1].scene, notes="A man waits.", word_budget=12, context=requests[1].context
    )
    line = ChatLineWriter(describer, candidates=3).write(request)
    assert isinstance(line.text, str) and len(line.text.split()) <= 12
    assert len(line.candidates) <= 2 and line.text not in line.candidates


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


# -- chat shaping ------------------------------------------------------------------


def test_frames_become_one_clip_with_their_timestamps_and_back(
    requests: list[DescribeRequest],
) -> None:
    from autodescribe.backends.describe.base import build_conversation

    chat = build_conversation(requests[0], 8)
    clip_chat = as_video(chat, [0.5, 2.0, 3.5], 4.0)
    user = clip_chat[1]["content"]

    assert [part["type"] for part in user] == ["video", "text"]
    meta = user[0]["metadata"]
    assert len(user[0]["video"]) == 3
    assert [i / meta["fps"] for i in meta["frames_indices"]] == [0.5, 2.0, 3.5]
    assert meta["total_num_frames"] / meta["fps"] == 4.0
    assert as_images(clip_chat) == chat
    assert clip_chat[0] == chat[0]  # the system message is untouched


def test_batches_group_by_kind_and_size() -> None:
    image = {"type": "image", "image": Image.new("RGB", (8, 8))}

    def chat(frames: int, text: str) -> list[dict]:
        return [{"role": "user", "content": [image] * frames + [{"type": "text", "text": text}]}]

    chats = [chat(3, "long prompt " * 9), chat(0, "shorten"), chat(1, "x"), chat(3, "short")]

    assert batches(chats, 8) == [[1], [2, 3, 0]]
    assert batches(chats, 2) == [[1], [2, 3], [0]]


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


# -- the models the benchmarks use ---------------------------------------------------


def test_256m_smolvlm_has_the_shape_of_the_real_checkpoint() -> None:
    """SmolVLM2-256M-Video-Instruct ships 1.03 GB of float32 weights: about 256.5 M parameters."""
    import torch
    from transformers import AutoModelForImageTextToText

    config = model_config("smolvlm", "256m")
    with torch.device("meta"):  # shapes only, no memory
        model = AutoModelForImageTextToText.from_config(config)

    parameters = sum(p.numel() for p in model.parameters())
    assert 256_000_000 < parameters < 257_000_000
    assert config.text_config.vocab_size == 49280
    assert (config.vision_config.image_size, config.scale_factor) == (512, 4)


def test_sizes_an_architecture_lacks_are_refused(tmp_path: Path) -> None:
    from autodescribe.errors import ConfigError

    with pytest.raises(ConfigError, match="size '256m' is not available for qwen2_vl"):
        build_model("qwen2_vl", tmp_path, size="256m")
    with pytest.raises(ConfigError, match="choose one of"):
        build_model("llava", tmp_path)


def test_new_presets_name_real_checkpoints() -> None:
    assert (
        resolve_model("llava-onevision-0.5b", "cpu") == "llava-hf/llava-onevision-qwen2-0.5b-ov-hf"
    )
    assert resolve_model("gemma3-4b", "cuda") == "google/gemma-3-4b-it"
    assert {"llava_onevision", "gemma3"} <= set(BUILDERS)


def test_cpu_bf16_is_read_from_the_cpu_flags(tmp_path: Path) -> None:
    with_bf16 = tmp_path / "sapphire"
    with_bf16.write_text("processor : 0\nflags : fpu sse2 avx512f amx_bf16 amx_tile\n")
    without = tmp_path / "older"
    without.write_text("processor : 0\nflags : fpu sse2 avx2 avx512f\n")

    assert cpu_has_bf16(with_bf16) is True
    assert cpu_has_bf16(without) is False
    assert cpu_has_bf16(tmp_path / "missing") is False
