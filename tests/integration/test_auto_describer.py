"""`--describer auto` against a real OpenAI-compatible server, a server that speaks Ollama's API,
a stand-in Hugging Face hub, and nothing at all."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# huggingface_hub reads HF_* variables once, at import: import it before any test sets them
import huggingface_hub  # noqa: F401
import pytest
from typer.testing import CliRunner

from autodescribe.backends.describe import AUTO, describers, resolve_describer
from autodescribe.backends.describe.auto import SERVER_SECONDS, choose
from autodescribe.backends.describe.discover import installed, ollama_root
from autodescribe.backends.describe.models import default_model, pick_device
from autodescribe.backends.describe.openai import OpenAIDescriber
from autodescribe.bulk.output import read_rows
from autodescribe.cli import app
from autodescribe.config import DescribeSettings, NarrateSettings
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import SampleTruth

OLLAMA_SERVER = Path(__file__).resolve().parents[1] / "servers" / "ollama_server.py"
VISION = "qwen2.5vl:7b"
ENV_VARS = (
    "AUTODESCRIBE_BASE_URL",
    "OPENAI_BASE_URL",
    "AUTODESCRIBE_API_KEY",
    "OPENAI_API_KEY",
    "AUTODESCRIBE_MODEL",
    "OLLAMA_HOST",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_ENDPOINT",
    "HF_HUB_CACHE",
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Ollama:
    """A running ollama_server.py process."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(OLLAMA_SERVER), *args], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.host = f"127.0.0.1:{self.port}"
        self.root = f"http://{self.host}"

    def chat_requests(self) -> int:
        with urllib.request.urlopen(self.root + "/stats", timeout=5) as response:
            return int(json.load(response)["chat_requests"])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def ollama() -> Iterator[Ollama]:
    """Two vision models pulled after a text model."""
    server = Ollama("--text", "llama3.2:1b", "--vision", f"{VISION},llava:latest")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ollama_text_only() -> Iterator[Ollama]:
    server = Ollama("--text", "llama3.2:1b,nomic-embed-text:latest")
    yield server
    server.stop()


@pytest.fixture
def nothing(tmp_path: Path) -> dict[str, str]:
    """An environment in which nothing answers and nothing is cached."""
    return {
        "OLLAMA_HOST": f"127.0.0.1:{closed_port()}",
        "HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        "HF_HUB_CACHE": str(tmp_path / "empty-hf-cache"),
    }


@pytest.fixture
def nothing_here(monkeypatch: pytest.MonkeyPatch, nothing: dict[str, str]) -> None:
    """The same, as this process's environment (for the commands)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in nothing.items():
        monkeypatch.setenv(name, value)


class Hub(ThreadingHTTPServer):
    """A stand-in Hugging Face hub: `GET /api/models/ORG/NAME` answers the model's id."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.asked: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class HubHandler(BaseHTTPRequestHandler):
    server: Hub

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.server.asked.append(self.path)
        repo = self.path.removeprefix("/api/models/")
        payload = json.dumps({"id": repo, "modelId": repo}).encode()
        self.send_response(200 if repo != self.path else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def hub() -> Iterator[Hub]:
    server = Hub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def cache_model(cache: Path, repo: str) -> None:
    """Lay `repo` out in a Hugging Face cache folder the way the hub client stores it."""
    folder = cache / ("models--" + repo.replace("/", "--"))
    revision = "0123456789abcdef0123456789abcdef01234567"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(revision)
    snapshot = folder / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (snapshot / "model.safetensors").write_bytes(b"")


# -- choosing ----------------------------------------------------------------------------


def test_a_server_named_in_the_environment_is_used_with_its_first_model(
    start_server,  # noqa: ANN001
    nothing: dict[str, str],
) -> None:
    server = start_server("--models", "vis-a,vis-b")
    choice = choose(DescribeSettings(), {**nothing, "OPENAI_BASE_URL": server.root})

    assert (choice.describer, choice.model, choice.base_url) == ("openai", "vis-a", server.url)
    assert choice.line == f"describer: openai at {server.url} (model vis-a), from OPENAI_BASE_URL"


def test_base_url_option_comes_before_the_environment_and_ollama(
    start_server,  # noqa: ANN001
    ollama: Ollama,
) -> None:
    server = start_server()
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "OLLAMA_HOST": ollama.host}
    choice = choose(DescribeSettings(base_url=server.url, model="test-vlm"), env)

    assert (choice.describer, choice.model, choice.base_url) == ("openai", "test-vlm", server.url)
    assert choice.line.endswith("from --base-url")


def test_a_named_server_that_does_not_answer_is_still_the_choice_and_costs_little(
    nothing: dict[str, str],
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    started = time.perf_counter()
    choice = choose(DescribeSettings(), {**nothing, "AUTODESCRIBE_BASE_URL": url})

    assert time.perf_counter() - started < SERVER_SECONDS + 0.5
    assert (choice.describer, choice.model, choice.base_url) == ("openai", None, url)
    assert "from AUTODESCRIBE_BASE_URL" in choice.line and "no model listed" in choice.line


def test_ollama_with_a_vision_model_is_used_through_its_v1(
    ollama: Ollama, nothing: dict[str, str]
) -> None:
    choice = choose(DescribeSettings(), {**nothing, "OLLAMA_HOST": ollama.host})

    assert (choice.describer, choice.model) == ("openai", VISION)
    assert choice.base_url == f"{ollama.root}/v1"
    assert choice.line == (
        f"describer: openai at {ollama.root}/v1 (model {VISION}), "
        f"from the Ollama server at {ollama.root}"
    )


def test_a_model_option_picks_that_ollama_vision_model(
    ollama: Ollama, nothing: dict[str, str]
) -> None:
    env = {**nothing, "OLLAMA_HOST": ollama.host}

    assert choose(DescribeSettings(model="llava"), env).model == "llava:latest"
    assert choose(DescribeSettings(model="llama3.2:1b"), env).describer == "basic"


def test_ollama_with_only_text_models_is_skipped(
    ollama_text_only: Ollama, nothing: dict[str, str]
) -> None:
    choice = choose(DescribeSettings(), {**nothing, "OLLAMA_HOST": ollama_text_only.host})

    assert choice.describer == "basic"
    assert f"the Ollama at {ollama_text_only.root} has no vision model" in choice.line


def test_nothing_at_all_gives_basic_and_says_how_to_get_real_descriptions(
    nothing: dict[str, str],
) -> None:
    choice = choose(DescribeSettings(), nothing)

    assert (choice.describer, choice.model, choice.base_url) == ("basic", None, None)
    assert choice.line.startswith("describer: basic (offline; for real descriptions ")
    assert "set OPENAI_BASE_URL" in choice.line and "`ollama pull qwen2.5vl`" in choice.line


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes connections and never answers (a hung server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.mark.parametrize("where", ["unroutable", "silent"])
def test_looking_where_nothing_answers_takes_under_two_seconds(
    where: str, silent_port: int, tmp_path: Path
) -> None:
    host = "10.255.255.1" if where == "unroutable" else f"127.0.0.1:{silent_port}"
    env = {
        "OLLAMA_HOST": host,
        "HF_ENDPOINT": f"http://{host}",
        "HF_HUB_CACHE": str(tmp_path / "empty-hf-cache"),
    }
    started = time.perf_counter()
    choice = choose(DescribeSettings(), env)

    assert choice.describer == "basic"
    assert time.perf_counter() - started < 2.0


@pytest.mark.skipif(
    not installed("transformers") or installed("vllm"), reason="needs transformers and not vLLM"
)
def test_a_reachable_hub_means_transformers_downloads_its_default_model(
    hub: Hub, nothing: dict[str, str]
) -> None:
    choice = choose(DescribeSettings(), {**nothing, "HF_ENDPOINT": hub.url})

    device = pick_device()
    assert (choice.describer, choice.model) == ("transformers", default_model(device))
    assert choice.line.endswith("downloaded with a progress bar on first use)")


def test_hf_hub_offline_means_the_hub_is_not_asked(hub: Hub, nothing: dict[str, str]) -> None:
    env = {**nothing, "HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "1"}
    choice = choose(DescribeSettings(), env)

    assert choice.describer == "basic" and hub.asked == []
    assert "unset HF_HUB_OFFLINE" in choice.line or "autodescribe[hf]" in choice.line


@pytest.mark.skipif(
    not installed("transformers") or installed("vllm"), reason="needs transformers and not vLLM"
)
def test_a_cached_default_model_is_used_offline(nothing: dict[str, str]) -> None:
    device = pick_device()
    cache_model(Path(nothing["HF_HUB_CACHE"]), default_model(device))
    choice = choose(DescribeSettings(), {**nothing, "HF_HUB_OFFLINE": "1"})

    assert (choice.describer, choice.model) == ("transformers", default_model(device))
    assert choice.line == f"describer: transformers on {device} (model {choice.model}, cached)"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("ollama.lan", "http://ollama.lan:11434"),
        (":9999", "http://127.0.0.1:9999"),
        ("[::1]:11434", "http://[::1]:11434"),
        ("http://ollama.lan:8080/", "http://ollama.lan:8080"),
        ("https://ollama.example.com", "https://ollama.example.com"),
    ],
)
def test_ollama_host_forms(given: str | None, expected: str) -> None:
    assert ollama_root(given) == expected


# -- where the choice is made and kept ----------------------------------------------------


def test_auto_is_the_registered_default_everywhere() -> None:
    assert AUTO in describers.names()
    assert DescribeSettings().describer == AUTO == NarrateSettings().describe.describer
    for command in ("narrate", "caption"):
        result = CliRunner().invoke(app, [command, "--help"])
        described = " ".join(
            result.output.split("--describer", 1)[1].split("--model", 1)[0].split()
        )
        assert "auto|basic|openai" in described and "[default: auto]" in described


def test_explicit_choices_are_left_alone(ollama: Ollama, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("OLLAMA_HOST", ollama.host)
    for settings in (
        DescribeSettings(describer="basic"),
        DescribeSettings(describer="openai", base_url="http://127.0.0.1:1/v1"),
    ):
        assert resolve_describer(settings) is settings


def test_the_registry_makes_what_auto_picks(
    ollama: Ollama,
    nothing_here: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama.host)
    with caplog.at_level(logging.WARNING):
        describer = describers.create(AUTO, concurrency=2)
    assert isinstance(describer, OpenAIDescriber)
    assert (describer.model_id, describer.base_url) == (VISION, f"{ollama.root}/v1")
    assert describer.concurrency == 2
    assert [r.message for r in caplog.records if r.message.startswith("describer: ")] == [
        f"describer: openai at {ollama.root}/v1 (model {VISION}), "
        f"from the Ollama server at {ollama.root}"
    ]
    describer.close()


# -- end to end -------------------------------------------------------------------------------


def test_narrate_with_auto_uses_the_named_server_and_reuses_its_work(
    sample: SampleTruth,
    tmp_path: Path,
    start_server,  # noqa: ANN001
    passes_check,  # noqa: ANN001
    nothing_here: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = start_server("--obey-budget")
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    runner = CliRunner()

    with caplog.at_level(logging.WARNING):
        result = runner.invoke(app, ["narrate", sample.path, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output + str(result.exception)
    lines = [r.message for r in caplog.records if r.message.startswith("describer: ")]
    assert lines == [f"describer: openai at {server.url} (model test-vlm), from OPENAI_BASE_URL"]
    script = json.loads((tmp_path / "sample.script.json").read_text())
    recorded = script["settings"]["describe"]
    assert (recorded["describer"], recorded["model"], recorded["base_url"]) == (
        "openai",
        "test-vlm",
        server.url,
    )
    assert any("waits at door" in cue["text"] for cue in script["cues"]), "described by the server"
    calls = server.stats()["chat_requests"]
    assert calls > 0

    result = runner.invoke(app, ["narrate", sample.path, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output + str(result.exception)
    assert server.stats()["chat_requests"] == calls, "the same environment reuses the work"
    passes_check(tmp_path, "sample", sample.path)


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 4 s silent clip with a cut at 2 s, alone in a folder."""
    folder = tmp_path_factory.mktemp("auto-caption")
    make_sample_video(
        folder / "clip.mp4",
        duration=4.0,
        size=(320, 180),
        cuts=(2.0,),
        speech=(),
        texts=(),
        audio=False,
    )
    return folder


def test_caption_with_auto_uses_ollama(
    clip_folder: Path,
    tmp_path: Path,
    ollama: Ollama,
    nothing_here: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama.host)
    before = ollama.chat_requests()
    out = tmp_path / "captions.jsonl"

    result = CliRunner().invoke(
        app, ["caption", str(clip_folder), "--out", str(out), "--workers", "0"]
    )

    assert result.exit_code == 0, result.output + str(result.exception)
    (row,) = read_rows(out).values()
    assert row["status"] == "ok" and row["model"] == VISION, row
    assert all(scene["caption"] for scene in row["scenes"])
    assert ollama.chat_requests() > before


def test_caption_with_auto_and_nothing_here_uses_basic(
    clip_folder: Path,
    tmp_path: Path,
    nothing_here: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = tmp_path / "captions.jsonl"

    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(
            app, ["caption", str(clip_folder), "--out", str(out), "--workers", "0"]
        )

    assert result.exit_code == 0, result.output + str(result.exception)
    (row,) = read_rows(out).values()
    assert row["status"] == "ok" and row["model"] == "basic-1", row
    assert any(r.message.startswith("describer: basic (offline;") for r in caplog.records)
