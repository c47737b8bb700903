"""Servers that misbehave: rate limits, errors, silence, broken JSON, a model it does not have.

Against the real chat server process, told how to fail. Each failure ends in a
one-line error (a describer error, `error:` from the CLI) or a failed caption
row, never a traceback; what was described before the failure is kept.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from autodescribe.backends.describe import DescribeRequest
from autodescribe.backends.describe.base import PartlyDone
from autodescribe.backends.describe.openai import OpenAIDescriber
from autodescribe.cli import app
from autodescribe.errors import DescriberError
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import SampleTruth
from autodescribe.types import Description, Scene


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("misbehaving") / "frame.jpg"
    Image.new("RGB", (64, 36), (200, 120, 30)).save(path)
    return path


def _requests(frame: Path, count: int) -> list[DescribeRequest]:
    return [
        DescribeRequest(
            scene=Scene(index=i, start=4.0 * i, end=4.0 * i + 4.0, keyframe_times=(4.0 * i,)),
            images=(frame,),
            image_times=(4.0 * i,),
            word_budget=20,
        )
        for i in range(count)
    ]


def _one_line(error: BaseException) -> str:
    text = str(error)
    assert text and "\n" not in text and "Traceback" not in text, text
    return text


def test_429_waits_as_long_as_retry_after_says(start_server, frame) -> None:  # noqa: ANN001
    server = start_server("--fail-first", "2", "--fail-status", "429", "--retry-after", "1")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm")
    started = time.perf_counter()
    description = describer.describe(_requests(frame, 1)[0])
    elapsed = time.perf_counter() - started
    describer.close()
    assert "images=1" in description.text
    assert server.stats()["chat_requests"] == 3
    assert 2.0 <= elapsed < 5.0, f"two Retry-After: 1 waits took {elapsed:.2f} s"


def test_500_then_success_backs_off_and_answers(start_server, frame) -> None:  # noqa: ANN001
    server = start_server("--fail-first", "1", "--fail-status", "500", "--retry-after", "")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm")
    started = time.perf_counter()
    description = describer.describe(_requests(frame, 1)[0])
    elapsed = time.perf_counter() - started
    describer.close()
    assert "images=1" in description.text
    assert server.stats()["chat_requests"] == 2
    assert elapsed >= 0.4, "no Retry-After: exponential backoff from 0.5 s"


def test_a_server_that_keeps_failing_gives_one_line(start_server, frame) -> None:  # noqa: ANN001
    server = start_server("--fail-first", "100", "--fail-status", "500", "--retry-after", "0")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm")
    with pytest.raises(DescriberError) as caught:
        describer.describe(_requests(frame, 1)[0])
    describer.close()
    assert "HTTP 500" in _one_line(caught.value)


@pytest.mark.parametrize(
    ("args", "timeout", "said"),
    [
        (("--break-with", "stall", "--stall", "5"), 0.5, "did not answer within 0.5 s"),
        (("--break-with", "malformed"), 30.0, "did not answer with JSON"),
        (("--break-with", "no-choices"), 30.0, "answered without a chat completion"),
        (
            ("--break-with", "status", "--fail-status", "502", "--retry-after", "0"),
            30.0,
            "HTTP 502",
        ),
    ],
)
def test_what_arrived_before_a_failure_is_kept(
    args: tuple[str, ...],
    timeout: float,
    said: str,
    frame: Path,
    start_server,  # noqa: ANN001
) -> None:
    server = start_server("--break-after", "2", *args)
    describer = OpenAIDescriber(
        base_url=server.url, model="test-vlm", concurrency=1, timeout=timeout
    )
    with pytest.raises(PartlyDone) as caught:
        describer.describe_many(_requests(frame, 4))
    describer.close()
    assert said in _one_line(caught.value)
    first, second, *rest = caught.value.done
    assert isinstance(first, Description) and isinstance(second, Description)
    assert (first.scene, second.scene) == (0, 1) and "images=1" in first.text
    assert rest == [None, None]


def test_a_failure_in_a_concurrent_batch_keeps_the_answers_that_arrived(
    frame: Path,
    start_server,  # noqa: ANN001
) -> None:
    server = start_server("--break-on", "scene at 0:08", "--break-with", "malformed")
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm", concurrency=4)
    with pytest.raises(PartlyDone) as caught:
        describer.describe_many(_requests(frame, 4))
    describer.close()
    kept = [d.scene if isinstance(d, Description) else None for d in caught.value.done]
    assert kept[2] is None and kept.count(None) < 4


def test_an_unknown_model_is_one_line_naming_the_served_ones(
    frame: Path,
    start_server,  # noqa: ANN001
) -> None:
    server = start_server("--models", "alpha-vl,beta-vl")
    describer = OpenAIDescriber(base_url=server.url, model="gamma-vl", concurrency=3)
    with pytest.raises(DescriberError) as caught:
        describer.describe_many(_requests(frame, 3))
    describer.close()
    text = _one_line(caught.value)
    assert "gamma-vl" in text and "alpha-vl, beta-vl" in text
    assert not isinstance(caught.value, PartlyDone)


# --- through the commands ---------------------------------------------------------------------


def _narrate(video: Path, server_url: str, *more: str) -> tuple[int, str]:
    args = ["narrate", str(video), "--describer", "openai", "--base-url", server_url]
    result = CliRunner().invoke(app, [*args, "--extended", "on", *more])
    return result.exit_code, result.output


def test_narrate_keeps_what_it_described_when_the_server_fails(
    sample: SampleTruth,
    tmp_path: Path,
    start_server,  # noqa: ANN001
) -> None:
    # in one pass, so that two chats are two scenes (the look pass keeps its notes alike)
    server = start_server("--obey-budget", "--break-after", "2", "--retry-after", "0")
    video = tmp_path / "film.mp4"
    shutil.copy(sample.path, video)

    code, output = _narrate(video, server.url, "--one-pass")
    assert code == 1, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "HTTP 503" in errors[0], output
    assert "Traceback" not in output
    stored = list((tmp_path / ".film.autodescribe").glob("describe-*/scene-*.json"))
    assert len(stored) == 2, "the two scenes described before the failure are stored"

    server.reset()  # the next two chats are answered again
    code, output = _narrate(video, server.url, "--one-pass")
    assert code == 0, output
    asked = [r for r in server.stats()["requests"] if r["images"] > 0]
    assert len(asked) == 1, "only the scene that failed is described again"
    assert json.loads((tmp_path / "film.script.json").read_text())["cues"]


def test_narrate_with_an_unknown_model_is_one_error_line(
    sample: SampleTruth,
    tmp_path: Path,
    start_server,  # noqa: ANN001
) -> None:
    server = start_server()
    video = tmp_path / "film.mp4"
    shutil.copy(sample.path, video)
    code, output = _narrate(video, server.url, "--model", "gamma-vl")
    assert code == 1, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "has no model 'gamma-vl'" in errors[0], output
    assert "--model with one of: test-vlm" in errors[0] and "Traceback" not in output


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """one.mp4: one shot (clip 1 of 1); two.mp4: a cut at 2 s (clips 1 and 2 of 2)."""
    folder = tmp_path_factory.mktemp("clips")
    for name, cuts in (("one", ()), ("two", (2.0,))):
        make_sample_video(
            folder / f"{name}.mp4",
            duration=4.0,
            size=(160, 90),
            cuts=cuts,
            speech=(),
            texts=(),
            audio=False,
        )
    return folder


def _caption(folder: Path, out: Path, url: str, *more: str) -> tuple[int, str]:
    args = ["caption", str(folder), "--out", str(out), "--workers", "0", "--frames", "1"]
    result = CliRunner().invoke(app, [*args, "--describer", "openai", "--base-url", url, *more])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("breaking", "said"),
    [
        (("--break-with", "status", "--fail-status", "500", "--retry-after", "0"), "HTTP 500"),
        (("--break-with", "malformed"), "did not answer with JSON"),
        (("--break-with", "no-choices"), "without a chat completion"),
    ],
)
def test_caption_fails_only_the_video_the_server_failed(
    breaking: tuple[str, ...],
    said: str,
    clips: Path,
    tmp_path: Path,
    start_server,  # noqa: ANN001
) -> None:
    bad = start_server("--break-on", "clip 2 of 2", *breaking)
    out = tmp_path / "captions.jsonl"
    code, output = _caption(clips, out, bad.url)
    assert code == 0, output
    rows = {row["id"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert rows["one.mp4"]["status"] == "ok" and rows["one.mp4"]["scenes"][0]["caption"]
    failed = rows["two.mp4"]
    assert failed["status"] == "failed" and said in failed["error"]
    assert "\n" not in failed["error"] and "Traceback" not in failed["error"]

    good = start_server()
    code, output = _caption(clips, out, good.url, "--retry-failed")
    assert code == 0 and "1 ok, 0 failed, 1 already done" in output, output
    assert all(r["images"] == 1 for r in good.stats()["requests"][:2])


def test_caption_with_an_unknown_model_stops_with_one_error_line(
    clips: Path,
    tmp_path: Path,
    start_server,  # noqa: ANN001
) -> None:
    server = start_server()
    out = tmp_path / "captions.jsonl"
    code, output = _caption(clips, out, server.url, "--model", "gamma-vl")
    assert code == 1, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "has no model 'gamma-vl'" in errors[0], output
    assert "Traceback" not in output
