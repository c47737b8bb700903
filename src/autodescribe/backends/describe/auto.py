"""`--describer auto`: the best describer this machine offers, chosen once before any media work.

The first of these that is there wins:

1. an OpenAI-compatible server named by `--base-url`, AUTODESCRIBE_BASE_URL or
   OPENAI_BASE_URL (named, so used even when it does not answer yet);
2. a running Ollama (OLLAMA_HOST, default 127.0.0.1:11434) with a vision model
   pulled, used through its OpenAI-compatible `/v1`;
3. vLLM on a CUDA device, then 4. Transformers on the best device, each with the
   device's default model (or `--model`) when it is in the Hugging Face cache or
   the hub answers (never tried with HF_HUB_OFFLINE=1);
5. `basic`, with a line saying how to get real descriptions.

The choice is a function of the environment, said in one line. It becomes the
describer name, model and server URL that the script records and the cache keys
hash, so a later run in the same environment reuses the work. A server that is
not there costs at most `SERVER_SECONDS`, the hub `HUB_SECONDS`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from autodescribe.backends.describe import discover
from autodescribe.backends.describe.models import (
    PRESETS,
    default_model,
    pick_device,
    resolve_model,
)
from autodescribe.backends.describe.openai import normalise_base_url
from autodescribe.config import DescribeSettings

log = logging.getLogger(__name__)

AUTO = "auto"
SERVER_SECONDS = 0.5  # one request to a server that may not be there
SHOW_SECONDS = 1.0  # every `/api/show` to an Ollama that answered, together
HUB_SECONDS = 0.75  # is the Hugging Face hub reachable?
HUB_URL = "https://huggingface.co"
OLLAMA_MODEL_HINT = "qwen2.5vl"
_TRUE = frozenset({"1", "true", "yes", "on"})

S = TypeVar("S", bound=DescribeSettings)


@dataclass(frozen=True)
class Choice:
    """What `auto` picked: a registered describer, what it was given, and the line that says so."""

    describer: str
    line: str
    model: str | None = None
    base_url: str | None = None


@dataclass
class _Survey:
    """One look at the machine: the person's settings, the environment, answers kept once asked."""

    settings: DescribeSettings
    env: Mapping[str, str]
    ollama_without_vision: str | None = None
    _hub: bool | None = None

    def get(self, *names: str) -> tuple[str, str] | None:
        """The first non-empty variable among `names`, with its name."""
        for name in names:
            value = self.env.get(name, "").strip()
            if value:
                return name, value
        return None

    def offline(self) -> bool:
        return any(
            self.env.get(k, "").lower() in _TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
        )

    def hub_answers(self) -> bool:
        """Whether the Hugging Face hub (HF_ENDPOINT) answers; asked once per survey.

        It is asked about the CPU default model, which every hub has.
        """
        if self.offline():
            return False
        if self._hub is None:
            endpoint = self.env.get("HF_ENDPOINT", "").strip() or HUB_URL
            self._hub = discover.hub_model(endpoint, default_model("cpu"), HUB_SECONDS)
        return self._hub

    def cached(self, repo: str) -> bool:
        return discover.hf_cached(repo, self.env.get("HF_HUB_CACHE") or None)

    def model_source(self, model: str) -> str | None:
        """Where `model` would come from: a folder, the cache, a download; None = nowhere."""
        if discover.local_model(model):
            return "a local folder"
        if self.cached(model):
            return "cached"
        if self.hub_answers():
            return "downloaded with a progress bar on first use"
        return None


def choose(settings: DescribeSettings, env: Mapping[str, str] | None = None) -> Choice:
    """The describer `auto` picks for `settings` here; `env` defaults to the process's."""
    survey = _Survey(settings, os.environ if env is None else env)
    looks: tuple[Callable[[_Survey], Choice | None], ...] = (
        _named_server,
        _ollama,
        _vllm,
        _transformers,
    )
    for look in looks:
        choice = look(survey)
        if choice is not None:
            return choice
    return _basic(survey)


def resolve_describer(settings: S, env: Mapping[str, str] | None = None) -> S:
    """`settings` with `auto` replaced by the describer it picks here, said in one line.

    Any other describer is returned as given, without looking at anything.
    """
    if settings.describer != AUTO:
        return settings
    choice = choose(settings, env)
    log.warning("%s", choice.line)
    update: dict[str, str] = {"describer": choice.describer}
    if choice.model is not None:
        update["model"] = choice.model
    if choice.base_url is not None:
        update["base_url"] = choice.base_url
    return settings.model_copy(update=update)


def _named_server(survey: _Survey) -> Choice | None:
    """The OpenAI-compatible server the person named, with their model or its first one."""
    settings = survey.settings
    named = ("--base-url", settings.base_url) if settings.base_url else None
    named = named or survey.get("AUTODESCRIBE_BASE_URL", "OPENAI_BASE_URL")
    if named is None:
        return None
    source, url = named[0], normalise_base_url(named[1])
    given = survey.get("AUTODESCRIBE_MODEL")
    model = settings.model or (given[1] if given else None)
    if model is None:
        key = survey.get("AUTODESCRIBE_API_KEY", "OPENAI_API_KEY")
        served = discover.served_models(url, SERVER_SECONDS, settings.api_key or (key and key[1]))
        model = served[0] if served else None
    said = f"model {model}" if model else f"no model listed within {SERVER_SECONDS:g} s"
    return Choice("openai", f"describer: openai at {url} ({said}), from {source}", model, url)


def _ollama(survey: _Survey) -> Choice | None:
    """A running Ollama's first vision model (or `--model` when it is one of its vision models)."""
    host = survey.get("OLLAMA_HOST")
    root = discover.ollama_root(host[1] if host else None)
    names = discover.ollama_models(root, SERVER_SECONDS)
    if names is None:
        return None
    wanted = survey.settings.model
    if wanted:
        names = [name for name in names if name in (wanted, f"{wanted}:latest")]
    deadline = time.monotonic() + SHOW_SECONDS
    for name in names:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if discover.ollama_sees_images(root, name, min(left, SERVER_SECONDS)):
            url = root + "/v1"
            line = f"describer: openai at {url} (model {name}), from the Ollama server at {root}"
            return Choice("openai", line, name, url)
    log.info(
        "the Ollama server at %s has no vision model%s", root, f" '{wanted}'" if wanted else ""
    )
    survey.ollama_without_vision = root
    return None


def _vllm(survey: _Survey) -> Choice | None:
    """vLLM in-process on CUDA, with a model that is cached or can be downloaded."""
    if not discover.installed("vllm") or pick_device() != "cuda":
        return None
    model = resolve_model(survey.settings.model, "cuda")
    source = survey.model_source(model)
    if source is None:
        return None
    return Choice("vllm", f"describer: vllm on cuda (model {model}, {source})", model)


def _transformers(survey: _Survey) -> Choice | None:
    """Transformers on the best device, with a model that is cached or can be downloaded."""
    if not discover.installed("transformers"):
        return None
    given = survey.settings.model
    # a given model does not depend on the device: look for it before torch is imported to ask
    if given is not None and survey.model_source(resolve_model(given, "cpu")) is None:
        return None
    if given is None and not _any_preset_here(survey):
        return None
    device = pick_device()
    model = resolve_model(given, device)
    source = survey.model_source(model)
    if source is None:
        return None
    line = f"describer: transformers on {device} (model {model}, {source})"
    return Choice("transformers", line, model)


def _any_preset_here(survey: _Survey) -> bool:
    """Whether some preset model is cached, or the hub answers to download one."""
    return any(survey.cached(p.repo) for p in PRESETS.values()) or survey.hub_answers()


def _basic(survey: _Survey) -> Choice:
    """The offline describer, with the ways to real descriptions on this machine."""
    pull = f"`ollama pull {OLLAMA_MODEL_HINT}`"
    if survey.ollama_without_vision:
        pull += f" (the Ollama at {survey.ollama_without_vision} has no vision model)"
    ways = ["run an OpenAI-compatible server and set OPENAI_BASE_URL", pull]
    if not discover.installed("transformers"):
        ways.append('pip install "autodescribe[hf]"')
    elif survey.offline():
        ways.append("unset HF_HUB_OFFLINE once so a Transformers model can download")
    else:
        ways.append("connect to the Hugging Face hub once so a Transformers model can download")
    return Choice(
        "basic", f"describer: basic (offline; for real descriptions {', or '.join(ways)})"
    )
