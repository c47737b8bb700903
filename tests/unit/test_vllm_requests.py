"""The vllm describer's request building, checked without vLLM installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from autodescribe.backends.describe import DescribeRequest, describers
from autodescribe.backends.describe.base import build_conversation
from autodescribe.backends.describe.vllm import engine_options, sampling_options, vllm_messages
from autodescribe.errors import BackendUnavailable
from autodescribe.types import Scene


def test_frames_become_data_uri_parts(tmp_path: Path) -> None:
    frames = []
    for i in range(3):
        frames.append(tmp_path / f"{i}.jpg")
        Image.new("RGB", (64, 36), (40 * i, 90, 200)).save(frames[-1])
    request = DescribeRequest(
        scene=Scene(index=0, start=0.0, end=4.0),
        images=tuple(frames),
        image_times=(0.5, 2.0, 3.5),
        word_budget=9,
    )
    (messages,) = vllm_messages([build_conversation(request, max_images=8)])
    assert [m["role"] for m in messages] == ["system", "user"]
    assert isinstance(messages[0]["content"], str) and "9 words" in messages[0]["content"]
    parts = messages[1]["content"]
    images = [p for p in parts if p["type"] == "image_url"]
    assert len(images) == 3 and all(
        p["image_url"]["url"].startswith("data:image/jpeg;base64,") for p in images
    )
    assert parts[-1]["type"] == "text" and "at most 9 words" in parts[-1]["text"]


def test_greedy_sampling_and_image_limit() -> None:
    assert sampling_options(40) == {"temperature": 0.0, "max_tokens": 40}
    options = engine_options("Qwen/Qwen2.5-VL-3B-Instruct", 8, 16384, 0.85)
    assert options["limit_mm_per_prompt"] == {"image": 8}


def test_missing_vllm_names_the_extra() -> None:
    pytest.importorskip("torch")
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(BackendUnavailable, match=r"autodescribe\[vllm\]"):
            describers.create("vllm")
    else:
        pytest.skip("vLLM is installed")


def test_candidates_are_sampled_in_one_request() -> None:
    assert sampling_options(40) == {"temperature": 0.0, "max_tokens": 40}
    assert sampling_options(40, 3) == {"temperature": 0.8, "max_tokens": 40, "n": 3}
