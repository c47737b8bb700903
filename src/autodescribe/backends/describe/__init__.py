"""Describers: turn a scene's frames and context into a description."""

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

__all__ = ["Capabilities", "DescribeContext", "DescribeRequest", "Describer", "describers"]
