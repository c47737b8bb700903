"""Describers: turn a scene's frames and context into a description."""

from __future__ import annotations

from typing import Any, cast

from autodescribe.backends.describe.base import (
    Capabilities,
    DescribeContext,
    Describer,
    DescribeRequest,
)
from autodescribe.config import DescribeSettings
from autodescribe.registry import Registry

describers: Registry[Describer] = Registry(
    "describer",
    {
        "basic": "autodescribe.backends.describe.basic:BasicDescriber",
        "transformers": "autodescribe.backends.describe.transformers:TransformersDescriber",
        "openai": "autodescribe.backends.describe.openai:OpenAIDescriber",
        "vllm": "autodescribe.backends.describe.vllm:VLLMDescriber",
    },
)


def describer_class(name: str) -> type[Describer]:
    """The class registered as describer `name`, for what it declares before it is built.

    Describers are classes (their `capabilities` are class variables), so the
    registry's factory for one is its class.
    """
    return cast("type[Describer]", describers.load(name))


def describer_options(settings: DescribeSettings) -> dict[str, Any]:
    """The options a person chose, checked against the chosen describer (None = its default).

    An option the describer does not take is refused with a `ConfigError` naming
    the describer and what it accepts; a describer's own preflight (a server URL
    it cannot work without) runs here too, before any media work.
    """
    chosen = {
        "model": settings.model,
        "base_url": settings.base_url,
        "api_key": settings.api_key,
        "max_new_tokens": settings.max_new_tokens,
        "concurrency": settings.concurrency,
    }
    options = describers.check_options(settings.describer, chosen)
    preflight = getattr(describers.load(settings.describer), "preflight", None)
    if preflight is not None:
        preflight(options)
    return options


def make_describer(settings: DescribeSettings, **hints: Any) -> Describer:
    """The chosen describer with the person's options and the runner's `hints`.

    Hints (a device, a batch size) are how the runner would like the backend to
    run; a backend that has no such knob simply runs its own way, so they are
    passed only where accepted. Options a person chose are never dropped.
    """
    accepted = describers.accepted_options(settings.describer)
    tuned = {k: v for k, v in hints.items() if k in accepted and v is not None}
    return describers.create(settings.describer, **describer_options(settings), **tuned)


__all__ = [
    "Capabilities",
    "DescribeContext",
    "DescribeRequest",
    "Describer",
    "describer_class",
    "describer_options",
    "describers",
    "make_describer",
]
