"""The models the systems we replace used, through the real loading code.

Video-LLaVA, LLaVA-NeXT (v1.6), LLaVA-NeXT-Video, BLIP-2, Janus and DeepSeek-VL are
built as tiny random-weight models from their configs
(`autodescribe.testing.tiny_llava`, `tiny_captioners`) and loaded by the
`transformers` describer, which picks how to drive each from its config, never
from its name. One `caption` run fetches Video-LLaVA by its Hub id from a local
hub (tests/servers/hub_server.py) that serves the tiny model under the real
repository name. Random weights write gibberish: these tests check plumbing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

from PIL import Image  # noqa: E402

from autodescribe.backends.describe.base import DescribeRequest  # noqa: E402
from autodescribe.backends.describe.models import PRESETS, resolve_model  # noqa: E402
from autodescribe.backends.describe.transformers import TransformersDescriber  # noqa: E402
from autodescribe.errors import ModelNotAvailable  # noqa: E402
from autodescribe.testing import tiny_captioners, tiny_llava  # noqa: E402
from autodescribe.testing.samples import make_sample_video  # noqa: E402
from autodescribe.testing.tiny_models import build_model  # noqa: E402
from autodescribe.types import Scene  # noqa: E402

SEEDS = [*tiny_llava.ARCHITECTURES, *tiny_captioners.ARCHITECTURES]
# The Hub ids the seeds named, as our presets (Transformers conversions where one is needed).
SEED_PRESETS = {
    "video-llava-7b": "LanguageBind/Video-LLaVA-7B-hf",
    "llava-next-video-7b": "llava-hf/LLaVA-NeXT-Video-7B-hf",
    "llava-onevision-7b": "llava-hf/llava-onevision-qwen2-7b-ov-hf",
    "qwen2-vl-7b": "Qwen/Qwen2-VL-7B-Instruct",
    "qwen2.5-vl-7b": "Qwen/Qwen2.5-VL-7B-Instruct",
    "blip2-opt-2.7b": "Salesforce/blip2-opt-2.7b",
    "llava-v1.6-mistral-7b": "llava-hf/llava-v1.6-mistral-7b-hf",
    "llava-v1.6-34b": "llava-hf/llava-v1.6-34b-hf",
    "janus-pro-7b": "deepseek-community/Janus-Pro-7B",
}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def requests(tmp_path_factory: pytest.TempPathFactory) -> list[DescribeRequest]:
    folder = tmp_path_factory.mktemp("frames")
    paths = []
    for i, colour in enumerate(["navy", "gold", "teal", "maroon"]):
        paths.append(folder / f"frame{i}.jpg")
        Image.new("RGB", (96, 54), colour).save(paths[-1])
    return [
        DescribeRequest(
            scene=Scene(index=n, start=4.0 * n, end=4.0 * n + 4),
            images=tuple(paths[n * 2 : n * 2 + 2]),
            image_times=(4.0 * n + 1, 4.0 * n + 3),
            word_budget=10,
        )
        for n in range(2)
    ]


@pytest.mark.parametrize("architecture", SEEDS)
def test_each_seed_architecture_loads_and_describes(
    architecture: str, requests: list[DescribeRequest], tmp_path: Path
) -> None:
    # A folder named after another family: the config decides, not the name.
    folder = build_model(architecture, tmp_path / "Qwen2-VL-7B-Instruct")
    describer = TransformersDescriber(model=str(folder), max_new_tokens=6, dtype="float32")
    try:
        descriptions = describer.describe_many(requests)
        shortened = describer.shorten("A woman crosses the street in the rain.", 4, "en")
    finally:
        describer.close()

    assert [d.scene for d in descriptions] == [0, 1]
    assert all(d.model == str(folder) for d in descriptions)
    assert isinstance(shortened, str)
    captioner = architecture == "blip2"
    assert describer.capabilities.max_images == (1 if captioner else 8)
    assert describer._captioner is captioner
    if captioner:  # nothing to caption in a text-only request: the writing pass decides
        assert shortened == ""


def test_seed_hub_ids_are_presets() -> None:
    for name, repo in SEED_PRESETS.items():
        assert PRESETS[name].repo == repo
        assert resolve_model(name, "cpu") == repo


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (
            {"model_type": "deepseek_vl_v2", "architectures": ["DeepseekVLV2ForCausalLM"]},
            "is DeepSeek-VL2, which transformers",
        ),
        (
            {"model_type": "llava", "architectures": ["LlavaLlamaForCausalLM"]},
            "is LLaVA in the original LLaVA code's layout",
        ),
        ({"model_type": "multi_modality"}, "use its Transformers conversion (--model janus-pro"),
    ],
)
def test_a_layout_transformers_cannot_load_is_one_line(
    config: dict, says: str, tmp_path: Path
) -> None:
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    describer = TransformersDescriber(model=str(tmp_path), device="cpu")

    with pytest.raises(ModelNotAvailable) as caught:
        describer.load()

    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_caption_fetches_video_llava_by_its_hub_id_from_the_hub(
    start_hub: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--model video-llava-7b` downloads LanguageBind/Video-LLaVA-7B-hf, then captions."""
    model = build_model("video_llava", tmp_path / "video-llava")
    hub = start_hub({"LanguageBind/Video-LLaVA-7B-hf": model})
    hub.use(monkeypatch, tmp_path / "hf-home")
    video = tmp_path / "clip.mp4"
    make_sample_video(video, duration=2.0, size=(160, 90), cuts=(), speech=(), texts=())
    out = tmp_path / "captions.jsonl"
    args = [sys.executable, "-m", "autodescribe", "caption", str(video), "--out", str(out)]
    args += ["--describer", "transformers", "--model", "video-llava-7b", "--frames", "2"]

    done = subprocess.run(
        [*args, "--workers", "0"], capture_output=True, text=True, env=dict(os.environ), timeout=300
    )

    assert done.returncode == 0, done.stderr[-3000:]
    row = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert row["status"] == "ok" and row["model"] == "LanguageBind/Video-LLaVA-7B-hf"
    assert row["scenes"] and all(isinstance(s["caption"], str) for s in row["scenes"])
    downloads = hub.downloads()
    assert downloads["LanguageBind/Video-LLaVA-7B-hf/model.safetensors"] == 1
    cached = tmp_path / "hf-home" / "hub" / "models--LanguageBind--Video-LLaVA-7B-hf"
    assert list(cached.glob("snapshots/*/config.json"))


def test_an_unreachable_hub_is_one_line_at_once(use_hub: Callable, tmp_path: Path) -> None:
    use_hub("http://127.0.0.1:9", tmp_path)  # the discard port: nobody answers
    describer = TransformersDescriber(model="video-llava-7b", device="cpu")

    with pytest.raises(ModelNotAvailable) as caught:
        describer.load()

    assert str(caught.value).startswith(
        "model 'LanguageBind/Video-LLaVA-7B-hf': the Hugging Face Hub (http://127.0.0.1:9) "
        "cannot be reached: check the network connection"
    )
