"""The openai describer against a real OpenAI-compatible HTTP server on loopback.

The last tests narrate end to end with the server writing realistic audio
description (`--realistic`: long and short lines, numbers, on-screen text read
verbatim, a person named once the film names her), and run `check` on the result.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from autodescribe.backends.describe import DescribeRequest, describers
from autodescribe.backends.describe.openai import OpenAIDescriber, normalise_base_url
from autodescribe.cli import app
from autodescribe.errors import ConfigError, DescriberError
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import SampleTruth
from autodescribe.types import Scene
from autodescribe.writing.prompts import load_template

ENV_VARS = (
    "AUTODESCRIBE_BASE_URL",
    "OPENAI_BASE_URL",
    "AUTODESCRIBE_API_KEY",
    "OPENAI_API_KEY",
    "AUTODESCRIBE_MODEL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own OPENAI_* settings must not leak into these tests."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Ten small JPEG frames of different colours."""
    folder = tmp_path_factory.mktemp("frames")
    paths = []
    for i in range(10):
        path = folder / f"frame{i}.jpg"
        Image.new("RGB", (96, 54), (20 * i, 120, 255 - 20 * i)).save(path, quality=90)
        paths.append(path)
    return paths


def make_request(index: int, frames: list[Path], count: int, budget: int = 12) -> DescribeRequest:
    start = index * 4.0
    images = tuple(frames[:count])
    times = tuple(start + 0.5 * k for k in range(count))
    scene = Scene(index=index, start=start, end=start + 4.0, keyframe_times=times)
    return DescribeRequest(scene=scene, images=images, image_times=times, word_budget=budget)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_describe_many_returns_descriptions_in_request_order(start_server, frames) -> None:
    server = start_server()
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm", concurrency=3)
    counts = [1, 3, 2, 5, 4, 6]
    requests = [make_request(i, frames, n) for i, n in enumerate(counts)]
    try:
        descriptions = describer.describe_many(requests)
    finally:
        describer.close()
    assert [d.scene for d in descriptions] == [0, 1, 2, 3, 4, 5]
    for description, count in zip(descriptions, counts, strict=True):
        assert f"images={count} budget-words=12 model=test-vlm" in description.text
        assert description.text.startswith("A person stands by a door.")
        assert description.model == "test-vlm"
        assert description.language == "en"
        assert description.prompt_version == load_template("describe").version
    sent = server.stats()["requests"]
    assert sorted(r["images"] for r in sent) == sorted(counts)
    assert all(r["temperature"] == 0 and r["system_is_string"] for r in sent)
    assert all(r["roles"] == ["system", "user"] for r in sent)


def test_requests_run_concurrently_up_to_the_limit(start_server, frames) -> None:
    server = start_server("--delay", "0.3")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm", concurrency=4)
    requests = [make_request(i, frames, 2) for i in range(8)]
    started = time.perf_counter()
    descriptions = describer.describe_many(requests)
    elapsed = time.perf_counter() - started
    describer.close()
    assert len(descriptions) == 8
    assert server.stats()["max_in_flight"] == 4
    assert elapsed < 0.5 * 8 * 0.3, f"8 requests of 0.3 s took {elapsed:.2f} s"


def test_concurrency_one_sends_one_request_at_a_time(start_server, frames) -> None:
    server = start_server("--delay", "0.3")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm", concurrency=1)
    describer.describe_many([make_request(i, frames, 1) for i in range(3)])
    describer.close()
    assert server.stats()["max_in_flight"] == 1


def test_model_is_discovered_from_the_server(start_server, frames) -> None:
    server = start_server("--models", "alpha-vl,beta-vl")
    describer = describers.create("openai", base_url=server.url)
    description = describer.describe(make_request(0, frames, 2))
    describer.close()
    assert describer.model_id == "alpha-vl"
    assert description.model == "alpha-vl"
    assert "model=alpha-vl" in description.text
    assert server.stats()["model_requests"] == 1


def test_settings_come_from_the_environment(start_server, frames, monkeypatch) -> None:
    server = start_server("--api-key", "sk-right", "--models", "alpha-vl,beta-vl")
    monkeypatch.setenv("OPENAI_BASE_URL", server.root)  # without /v1
    monkeypatch.setenv("OPENAI_API_KEY", "sk-right")
    monkeypatch.setenv("AUTODESCRIBE_MODEL", "beta-vl")
    describer = OpenAIDescriber()
    description = describer.describe(make_request(0, frames, 1))
    describer.close()
    assert description.model == "beta-vl"
    assert "images=1" in description.text


def test_too_many_frames_are_spread_over_the_limit(start_server, frames) -> None:
    server = start_server()
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm")
    description = describer.describe(make_request(0, frames, 10))
    describer.close()
    assert "images=8" in description.text


def test_wrong_api_key_says_how_to_pass_one(start_server, frames) -> None:
    server = start_server("--api-key", "sk-right")
    for key, model in (("sk-wrong", "test-vlm"), ("sk-wrong", None), (None, "test-vlm")):
        describer = OpenAIDescriber(base_url=server.url, api_key=key, model=model)
        with pytest.raises(DescriberError, match="--api-key"):
            describer.describe(make_request(0, frames, 1))
        describer.close()
    good = OpenAIDescriber(base_url=server.url, api_key="sk-right", model="test-vlm")
    assert "images=1" in good.describe(make_request(0, frames, 1)).text
    good.close()


def test_closed_port_says_how_to_point_at_a_server(frames) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    describer = OpenAIDescriber(base_url=url, model="test-vlm")
    with pytest.raises(DescriberError, match="--base-url") as caught:
        describer.describe(make_request(0, frames, 1))
    assert url in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_model_lists_the_served_ones(start_server, frames) -> None:
    server = start_server("--models", "alpha-vl,beta-vl")
    describer = OpenAIDescriber(base_url=server.url, model="gamma-vl")
    with pytest.raises(DescriberError, match="gamma-vl") as caught:
        describer.describe(make_request(0, frames, 1))
    describer.close()
    assert "--model" in str(caught.value)
    assert "alpha-vl, beta-vl" in str(caught.value)


def test_server_errors_are_retried(start_server, frames) -> None:
    server = start_server("--fail-first", "2")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm")
    description = describer.describe(make_request(0, frames, 3))
    describer.close()
    assert "images=3" in description.text
    assert server.stats()["chat_requests"] == 3


def test_a_server_that_keeps_failing_gives_up_after_three_tries(start_server, frames) -> None:
    server = start_server("--fail-first", "1000")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm")
    with pytest.raises(DescriberError, match="HTTP 503"):
        describer.describe(make_request(0, frames, 1))
    describer.close()
    assert server.stats()["chat_requests"] == 3


def test_follows_servers_that_refuse_max_tokens_and_temperature(start_server, frames) -> None:
    server = start_server("--reasoning-model")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm", max_new_tokens=200)
    descriptions = describer.describe_many([make_request(i, frames, 2) for i in range(3)])
    describer.close()
    assert all("images=2" in d.text for d in descriptions)
    accepted = server.stats()["requests"]
    assert len(accepted) == 3
    assert all(r["max_completion_tokens"] == 200 and r["max_tokens"] is None for r in accepted)


def test_shorten_returns_text(start_server) -> None:
    server = start_server()
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm")
    text = describer.shorten("A tall man in a grey coat walks slowly along a wet street.", 5, "en")
    describer.close()
    assert text.startswith("A person stands by a door.")
    assert "images=0 budget-words=5" in text
    sent = server.stats()["requests"]
    assert sent[0]["roles"] == ["user"] and sent[0]["max_tokens"] >= 16


def test_no_server_and_no_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--base-url"):
        OpenAIDescriber(model="test-vlm")


def test_a_key_alone_means_the_hosted_api() -> None:
    describer = OpenAIDescriber(api_key="sk-test", model="some-model")
    assert describer.base_url == "https://api.openai.com/v1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://localhost:8000", "http://localhost:8000/v1"),
        ("http://localhost:8000/v1/", "http://localhost:8000/v1"),
        ("localhost:11434", "http://localhost:11434/v1"),
        ("http://host:1234/v1/chat/completions", "http://host:1234/v1"),
        (
            "https://generativelanguage.googleapis.com/v1beta/openai",
            "https://generativelanguage.googleapis.com/v1beta/openai",
        ),
    ],
)
def test_base_url_with_or_without_v1(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> SampleTruth:
    """45 s in ten scenes: three long quiet ones, then seven of 3 s.

    The first line of dialogue names Maya; a sign reads EXIT 12 from 8 s to 16 s.
    """
    return make_sample_video(
        tmp_path_factory.mktemp("story") / "story.mp4",
        duration=45.0,
        size=(320, 180),
        fps=10,
        cuts=(8.0, 16.0, 24.0, 27.0, 30.0, 33.0, 36.0, 39.0, 42.0),
        speech=((0.3, "Maya, where did you put the keys?"), (20.0, "They are on the table.")),
        texts=((8.0, 16.0, "EXIT 12"),),
    )


def narrate_through(server_url: str, video: Path, out: Path) -> dict:
    """`autodescribe narrate VIDEO --describer openai --base-url URL`; the script it wrote."""
    args = [
        "narrate",
        str(video),
        "-o",
        str(out),
        "--describer",
        "openai",
        "--base-url",
        server_url,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output + str(result.exception)
    return json.loads((out / f"{video.stem}.script.json").read_text(encoding="utf-8"))


def test_realistic_descriptions_of_the_sample_pass_check(
    sample: SampleTruth,
    tmp_path: Path,
    start_server,  # noqa: ANN001
    passes_check,  # noqa: ANN001
) -> None:
    server = start_server("--realistic")
    script = narrate_through(server.url, Path(sample.path), tmp_path)
    texts = [cue["text"] for cue in script["cues"]]
    assert any("A sign reads EXIT 12." in text for text in texts), texts
    assert all("tall woman" in text for text in texts), "each line came from the server"
    passes_check(tmp_path, "sample", sample.path)


def test_a_story_with_names_numbers_and_long_lines_passes_check(
    story: SampleTruth,
    tmp_path: Path,
    start_server,  # noqa: ANN001
    passes_check,  # noqa: ANN001
) -> None:
    server = start_server("--realistic")
    script = narrate_through(server.url, Path(story.path), tmp_path)
    texts = [cue["text"] for cue in script["cues"]]
    assert len(texts) == 10, texts
    # she is "a tall woman" until the describer is told her name, then Maya: the film
    # names her in the first scene, and each line is written with the lines before it
    assert script["characters"] == {"a tall woman": "Maya"}
    assert texts[0].startswith("A tall woman"), texts
    assert all("Maya" in text and "tall woman" not in text for text in texts[1:]), texts
    assert all(cue["notes"] for cue in script["cues"]), "two passes: notes, then the line"
    words = [len(text.split()) for text in texts]
    assert max(words) >= 15 and min(words) <= 6, texts
    joined = " ".join(texts)
    for said in ("A clock reads 10:45.", "3 coins", "A sign reads EXIT 12."):
        assert said in joined, texts
    assert script["title"] == "The Lost Keys"
    passes_check(tmp_path, "story", story.path)
