"""Shared fixtures: media with known truth, a real chat-completions server, and `check`."""

from __future__ import annotations

import glob
import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import SampleTruth

SERVER = Path(__file__).resolve().parent / "servers" / "chat_server.py"
HUB_SERVER = SERVER.with_name("hub_server.py")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def sample(media_dir: Path) -> SampleTruth:
    """12 s, 640x360 at 25 fps: cuts at 4 s and 8 s, two spoken lines, "EXIT 12" from 4 s to 8 s."""
    return make_sample_video(media_dir / "sample.mp4")


@pytest.fixture(scope="session")
def sample_no_audio(media_dir: Path) -> SampleTruth:
    return make_sample_video(media_dir / "silent film.mp4", audio=False)


class Server:
    """A running chat_server.py process and its address."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), *args], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = self.root + "/v1"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.root + "/stats", timeout=5) as response:
            return json.load(response)

    def reset(self) -> None:
        request = urllib.request.Request(self.root + "/stats/reset", data=b"", method="POST")
        urllib.request.urlopen(request, timeout=5).close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[..., Server]]:
    """Start servers with given options, once per module; each test starts from zero stats."""
    servers: dict[tuple[str, ...], Server] = {}

    def start(*args: str) -> Server:
        if args not in servers:
            servers[args] = Server(*args)
        servers[args].reset()
        return servers[args]

    yield start
    for server in servers.values():
        server.stop()


def set_hub_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, home: Path, offline: bool) -> None:
    """Hub settings as a fresh process would read them, for this test only.

    `huggingface_hub` reads HF_HUB_OFFLINE once, at import (this suite starts
    offline), so its copy is set too; our own code reads the variables when it
    needs them.
    """
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1" if offline else "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)


class HubServer:
    """A running hub_server.py: local folders served under Hugging Face repository names."""

    def __init__(self, repos: dict[str, Path], gated: tuple[str, ...] = ()) -> None:
        args = [arg for repo, folder in repos.items() for arg in ("--repo", f"{repo}={folder}")]
        args += [arg for repo in gated for arg in ("--gated", repo)]
        self.process = subprocess.Popen(
            [sys.executable, str(HUB_SERVER), *args], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def downloads(self) -> dict[str, int]:
        """How many times each `repo/path` was downloaded (GET), since the start."""
        with urllib.request.urlopen(self.url + "/stats", timeout=5) as response:
            return dict(json.load(response)["downloads"])

    def use(self, monkeypatch: pytest.MonkeyPatch, home: Path, offline: bool = False) -> None:
        """Point the Hub settings of this process (and of commands it starts) at this hub."""
        set_hub_env(monkeypatch, self.url, home, offline)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def use_hub(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """`use_hub(endpoint, home, offline=False)`: Hub settings for this test (see `set_hub_env`)."""

    def use(endpoint: str, home: Path, offline: bool = False) -> None:
        set_hub_env(monkeypatch, endpoint, home, offline)

    return use


@pytest.fixture(scope="session")
def start_hub() -> Iterator[Callable[..., HubServer]]:
    """Start a local hub serving `{repo id: folder}` (and refusing the `gated` repository
    ids); stopped at the end of the session."""
    hubs: list[HubServer] = []

    def start(repos: dict[str, Path], gated: tuple[str, ...] = ()) -> HubServer:
        hubs.append(HubServer(repos, gated))
        return hubs[-1]

    yield start
    for hub in hubs:
        hub.stop()


def check_report(video: Path, script: Path, preset: str, reports: Path) -> tuple[int, str]:
    """Run `autodescribe check VIDEO --script SCRIPT` as a user would: its exit code and failures.

    The report goes to `reports`, so the result's own NAME.qc.json is left alone.
    """
    from typer.testing import CliRunner

    from autodescribe.cli import app

    args = ["check", str(video), "--script", str(script), "--preset", preset]
    result = CliRunner().invoke(app, [*args, "-o", str(reports), "--json"])
    if result.exit_code in (0, 1) and result.stdout.strip():
        said = "\n".join("FAIL: " + line for line in json.loads(result.stdout)["failures"])
    else:
        said = result.output + (repr(result.exception) if result.exception else "")
    return result.exit_code, f"`autodescribe {' '.join(args)}` exited {result.exit_code}:\n{said}"


def rendered_preset(script: Path) -> str:
    """The loudness preset a NAME.script.json says its result was rendered for."""
    settings = json.loads(script.read_text(encoding="utf-8")).get("settings") or {}
    return settings.get("render", {}).get("loudness") or "ebu"


def described_video(out: Path, name: str) -> Path:
    """The one NAME.described.* video in `out`."""
    found = [p for p in out.glob(glob.escape(name) + ".described.*") if p.is_file()]
    assert len(found) == 1, f"expected one {name}.described.* in {out}, found {found}"
    return found[0]


@pytest.fixture(scope="session")
def passes_check(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Path, str, Path | str], None]:
    """Assert that `autodescribe check` passes a narrate or render result, on both clocks.

    Call it as `passes_check(out, name, programme)`: the programme is checked
    with NAME.script.json, and NAME.described.* with NAME.ad.vtt (the files
    paired with the described video are on its clock), against the loudness
    preset the script says it was rendered for. Exit 0 is expected; the
    assertion message names the command and lists the report's failures.
    """

    def assert_passes(out: Path, name: str, programme: Path | str) -> None:
        reports = tmp_path_factory.mktemp("check")
        script = out / f"{name}.script.json"
        preset = rendered_preset(script)
        pairs = ((Path(programme), script), (described_video(out, name), out / f"{name}.ad.vtt"))
        for video, paired in pairs:
            code, said = check_report(video, paired, preset, reports)
            assert code == 0, said

    return assert_passes


def pytest_configure(config: pytest.Config) -> None:
    """Tests see no describer server but the ones they start, whatever the machine runs.

    `--describer auto` (the default) looks at these variables and at a local
    Ollama; a developer's own server must not change what the tests describe with.
    """
    import os

    for name in list(os.environ):
        if name.startswith(("OPENAI_", "AUTODESCRIBE_")) and name != "AUTODESCRIBE_CHROMIUM":
            del os.environ[name]
    os.environ["OLLAMA_HOST"] = "127.0.0.1:9"  # the discard port: nothing listens there
    os.environ["HF_HUB_OFFLINE"] = "1"
