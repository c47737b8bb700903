"""Describers: turn a scene's frames and context into a description."""

from __future__ import annotations

import inspect
from typing import Any

from autodescribe.backends.describe.base import (
    Capabilities,
    DescribeContext,
    Describer,
    DescribeRequest,
)
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


def create_describer(name: str, **wanted: Any) -> Describer:
    """The describer `name`, given those of `wanted` its constructor takes (None means unset).

    Callers pass every option they know (model, URL, batch size, device...);
    each backend takes what applies to it, so no caller branches on the backend.
    """
    backend = describers.load(name)
    params = inspect.signature(backend).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    options = {k: v for k, v in wanted.items() if v is not None and (takes_any or k in params)}
    return backend(**options)


__all__ = [
    "Capabilities",
    "DescribeContext",
    "DescribeRequest",
    "Describer",
    "create_describer",
    "describers",
]
