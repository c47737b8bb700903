"""Shared fixtures: generated media with known truth, and a real chat-completions server."""

from __future__ import annotations

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
