"""What this machine offers a describer, found with short, bounded waits.

Every look that goes over the network answers None (or False) when nothing good
answers within its time, DNS included, so a machine with nothing on it is
surveyed in about a second. Ollama is asked through its own API: `GET /api/tags`
lists the pulled models and `POST /api/show {"model": NAME}` gives a model's
`capabilities`, which hold `vision` for models that take images.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

OLLAMA_PORT = 11434
_LISTEN_ALL = frozenset({"0.0.0.0", "::"})  # bind addresses: the server is on this machine
_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def within(seconds: float, call: Callable[[], T | None]) -> T | None:
    """`call()`'s answer, or None when it takes longer than `seconds`.

    The call runs on a daemon thread, so a name lookup that hangs (which no
    socket timeout bounds) is left behind instead of waited for.
    """
    answer: list[T | None] = []
    thread = threading.Thread(
        target=lambda: answer.append(call()), name="autodescribe-probe", daemon=True
    )
    thread.start()
    thread.join(max(seconds, 0.0))
    return answer[0] if answer else None


def get_json(
    url: str, seconds: float, body: dict[str, Any] | None = None, api_key: str | None = None
) -> Any | None:
    """The JSON answer to a GET (a POST of `body`) at `url`, or None when none came in time."""

    def ask() -> Any | None:
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        try:
            response = httpx.request(
                "GET" if body is None else "POST", url, json=body, headers=headers, timeout=seconds
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError, OSError):
            return None

    return within(seconds, ask)


def hub_model(endpoint: str, repo: str, seconds: float) -> bool:
    """Whether the Hugging Face hub at `endpoint` describes model `repo` within `seconds`.

    The model's own JSON is asked for, so a proxy or portal that answers any
    address does not pass for the hub.
    """
    found = get_json(f"{endpoint.rstrip('/')}/api/models/{repo}", seconds)
    return isinstance(found, dict) and found.get("id", found.get("modelId")) == repo


def served_models(base_url: str, seconds: float, api_key: str | None = None) -> list[str] | None:
    """Model ids an OpenAI-compatible server lists at `GET /models`, or None without an answer."""
    data = get_json(base_url + "/models", seconds, api_key=api_key)
    listed = data.get("data") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        return None
    return [str(item["id"]) for item in listed if isinstance(item, dict) and "id" in item]


def ollama_root(host: str | None) -> str:
    """The Ollama server's URL from an OLLAMA_HOST value.

    Takes `host`, `host:port`, `:port` or a URL; without a scheme the port
    defaults to 11434, and an empty value means 127.0.0.1:11434. A listen-on-all
    address (0.0.0.0) means this machine.
    """
    text = (host or "").strip().rstrip("/")
    scheme, has_scheme, rest = text.partition("://")
    if not has_scheme:
        scheme, rest = "http", text
    parts = urlsplit(f"{scheme}://{rest}")
    name = parts.hostname or "127.0.0.1"
    if name in _LISTEN_ALL:
        name = "127.0.0.1"
    if ":" in name:
        name = f"[{name}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None and not has_scheme:
        port = OLLAMA_PORT
    return f"{scheme}://{name}" + (f":{port}" if port else "")


def ollama_models(root: str, seconds: float) -> list[str] | None:
    """Names of the models pulled into the Ollama at `root` (`GET /api/tags`), or None."""
    tags = get_json(root + "/api/tags", seconds)
    models = tags.get("models") if isinstance(tags, dict) else None
    if not isinstance(models, list):
        return None
    names = [m.get("name") or m.get("model") for m in models if isinstance(m, dict)]
    return [str(name) for name in names if name]


def ollama_sees_images(root: str, model: str, seconds: float) -> bool:
    """Whether Ollama says `model` has the `vision` capability (`POST /api/show`)."""
    shown = get_json(root + "/api/show", seconds, body={"model": model})
    capabilities = shown.get("capabilities") if isinstance(shown, dict) else None
    return isinstance(capabilities, list) and "vision" in capabilities


def installed(module: str) -> bool:
    """Whether `module` can be imported here, found without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def hf_cached(repo: str, cache_dir: str | None = None) -> bool:
    """Whether the Hugging Face cache holds `repo`'s config and weights (no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False

    def cached(filename: str) -> bool:
        try:
            found = try_to_load_from_cache(repo, filename, cache_dir=cache_dir)
        except ValueError:  # not a valid repo id
            return False
        return isinstance(found, str)

    return cached("config.json") and any(cached(name) for name in _WEIGHTS)


def local_model(model: str) -> bool:
    """Whether `model` names a folder on this machine rather than a hub id."""
    return Path(model).expanduser().is_dir()
