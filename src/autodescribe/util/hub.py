"""The Hugging Face Hub as users configure it: HF_ENDPOINT, HF_HUB_OFFLINE, HF_HOME.

The variables are read when a file is wanted, not when `huggingface_hub` was
imported, so a server process or a test that sets them later is obeyed.

Downloads go through `huggingface_hub`, so its cache, progress bars and offline
mode work as users of other Hub tools expect. What is decided here is only what
a failure means, in one line naming what to do.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from autodescribe.errors import ModelNotAvailable
from autodescribe.util.progress import DownloadBar

T = TypeVar("T")
_TRUE = {"1", "true", "yes", "on"}


class HubOffline(Exception):
    """Offline mode is on and the file is not in the cache: the caller decides what then."""


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is on: as set now, else at hub import."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").strip():
            return os.environ[name].strip().lower() in _TRUE
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(constants.HF_HUB_OFFLINE)


def hub_endpoint() -> str:
    """The Hub's address: HF_ENDPOINT (as set now, not when the library was imported)."""
    if os.environ.get("HF_ENDPOINT"):
        return os.environ["HF_ENDPOINT"].rstrip("/")
    try:
        from huggingface_hub import constants
    except ImportError:
        return "https://huggingface.co"
    return str(constants.ENDPOINT)


def hub_cache() -> Path:
    """The Hub cache: HF_HUB_CACHE, else HF_HOME/hub, else the library's default; read now."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def is_cached(repo: str, filename: str, revision: str = "main") -> bool:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo, filename, cache_dir=hub_cache(), revision=revision)
    return isinstance(found, str)


def hub_file(repo: str, filename: str, what: str, revision: str = "main") -> str:
    """The local path of `filename` in `repo`: cached, else downloaded with a progress bar.

    Offline and not cached raises `HubOffline`; an unreachable hub, a missing
    repository or file raise `ModelNotAvailable` in one line naming `what` was wanted.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import are_progress_bars_disabled

    offline, endpoint = hub_offline(), hub_endpoint()
    if not offline and not is_cached(repo, filename, revision):
        check_reachable(repo, what, filename, revision)
    bar = None if are_progress_bars_disabled() else DownloadBar
    return _calling_hub(
        repo,
        filename,
        what,
        lambda: hf_hub_download(
            repo,
            filename,
            revision=revision,
            endpoint=endpoint,
            cache_dir=hub_cache(),
            local_files_only=offline,
            tqdm_class=bar,
        ),
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def check_reachable(
    repo: str, what: str, filename: str = "config.json", revision: str = "main"
) -> None:
    """One quick request, so a hub that does not answer is said at once (`ModelNotAvailable`).

    Without it, a file that is not cached is retried with backoff for about
    half a minute before the client gives up. Any HTTP answer counts as reachable.
    """
    from huggingface_hub import hf_hub_url

    url = hf_hub_url(repo, filename, revision=revision, endpoint=hub_endpoint())
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(url, method="HEAD"), timeout=10).close()
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError) as exc:
        raise _unreachable(what) from exc


def _unreachable(what: str) -> ModelNotAvailable:
    return ModelNotAvailable(
        f"{what}: the Hugging Face Hub ({hub_endpoint()}) cannot be reached",
        "check the network connection (or HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to work "
        "with what is already downloaded",
    )


def _calling_hub(repo: str, filename: str, what: str, call: Callable[[], T]) -> T:
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    where = hub_endpoint()
    try:
        return call()
    except GatedRepoError as exc:  # a kind of RepositoryNotFoundError: said before it
        raise ModelNotAvailable(
            f"{what}: the repository '{repo}' on {where} is gated",
            f"accept its terms at {where}/{repo} and log in with `hf auth login`, then rerun",
        ) from exc
    except RepositoryNotFoundError as exc:
        raise ModelNotAvailable(
            f"{what}: the repository '{repo}' was not found on {where}",
            "check the name, and HF_ENDPOINT if you use a mirror",
        ) from exc
    except LocalEntryNotFoundError as exc:
        if hub_offline():
            raise HubOffline(f"{repo}/{filename} is not cached and HF_HUB_OFFLINE is set") from exc
        raise _unreachable(what) from exc
    except OfflineModeIsEnabled as exc:
        raise HubOffline(str(exc)) from exc
    except EntryNotFoundError as exc:
        raise ModelNotAvailable(
            f"{what}: '{filename}' is not in the repository '{repo}' on {where}",
            "check the name, and HF_ENDPOINT if you use a mirror",
        ) from exc
    except (HfHubHTTPError, OSError) as exc:
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise ModelNotAvailable(
            f"{what}: downloading '{filename}' from {where} failed ({first})",
            "check the network connection and the free disk space, then rerun",
        ) from exc
