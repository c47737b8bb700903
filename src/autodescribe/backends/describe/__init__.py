"""Describers: turn a scene's frames and context into a description."""

from __future__ import annotations

from typing import Any, cast

from autodescribe.backends.describe.auto import AUTO, resolve_describer
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
        AUTO: "autodescribe.backends.describe:auto_describer",
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
    it cannot work without) runs here too, before any media work. `auto` is
    checked as itself, without looking around: `resolve_describer` does that, once.
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
    passed only where accepted. Options a person chose are never dropped. `auto`
    is resolved here when no one resolved it before.
    """
    settings = resolve_describer(settings)
    accepted = describers.accepted_options(settings.describer)
    tuned = {k: v for k, v in hints.items() if k in accepted and v is not None}
    return describers.create(settings.describer, **describer_options(settings), **tuned)


def auto_describer(
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    max_new_tokens: int | None = None,
    concurrency: int | None = None,
) -> Describer:
    """The describer `auto` picks on this machine, made with these options.

    This is what the registry makes for `auto`; the pipeline and `caption` call
    `resolve_describer` first instead, so that what was picked is recorded.
    """
    chosen = DescribeSettings(
        describer=AUTO,
        model=model,
        base_url=base_url,
        api_key=api_key,
        max_new_tokens=max_new_tokens,
        concurrency=concurrency,
    )
    return make_describer(chosen)


__all__ = [
    "AUTO",
    "Capabilities",
    "DescribeContext",
    "DescribeRequest",
    "Describer",
    "describer_class",
    "describer_options",
    "describers",
    "make_describer",
    "resolve_describer",
]
