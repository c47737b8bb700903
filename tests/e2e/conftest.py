"""Browser fixtures: Debian's Chromium driven by Playwright, and a real `autodescribe serve`.

The tests skip, saying why, when Playwright or a Chromium binary is missing
(`pip install playwright axe-playwright-python`; `apt-get install -y chromium`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def _chromium() -> str | None:
    configured = os.environ.get("AUTODESCRIBE_CHROMIUM")
    if configured:
        return configured
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _launch_args() -> list[str]:
    """Chromium's flags; as root it refuses to start sandboxed, so the sandbox goes."""
    args = ["--autoplay-policy=no-user-gesture-required", "--mute-audio"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found: apt-get install -y chromium (or set AUTODESCRIBE_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=_launch_args())
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`autodescribe serve` in a subprocess (uvicorn and one worker); yields its base URL."""
    pytest.importorskip("uvicorn", reason="the server extra is not installed")
    data = tmp_path_factory.mktemp("web-data")
    port = _free_port()
    log = (data / "serve.log").open("wb")
    env = {**os.environ, "AUTODESCRIBE_TOKEN": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "autodescribe", "serve", "--port", str(port), "--data", str(data)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(root + "/v1/session", timeout=2).close()
            break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("the server did not start:\n" + (data / "serve.log").read_text())
            time.sleep(0.2)
    yield root
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture(scope="session")
def axe_scan() -> Any:
    """Run axe-core on a page; returns the serious and critical violations."""
    axe_module = pytest.importorskip(
        "axe_playwright_python.sync_playwright",
        reason="axe-playwright-python is not installed (it bundles axe-core)",
    )
    axe = axe_module.Axe()

    def scan(page: Any) -> list[dict[str, Any]]:
        results = axe.run(page)
        violations = results.response["violations"]
        return [v for v in violations if v.get("impact") in ("serious", "critical")]

    return scan


def describe_violations(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )


@pytest.fixture(scope="session")
def describe_axe() -> Any:
    return describe_violations


@pytest.fixture(scope="session")
def sample_path(sample: Any) -> Path:
    return Path(sample.path)
