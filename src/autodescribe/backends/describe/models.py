"""Which local VLM to load: named presets and a default per device.

Kept apart from the backend so the CLI can list presets and resolve a default
without importing transformers. torch is imported only to look at the device.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelPreset:
    """A model we know to work with the `transformers` describer."""

    name: str
    repo: str
    params_billion: float
    # GPU memory (GiB) wanted for bf16 weights plus a batch of frames; 0 = runs on CPU.
    min_gpu_gb: float
    note: str


PRESETS: dict[str, ModelPreset] = {
    p.name: p
    for p in (
        ModelPreset(
            "smolvlm2-256m",
            "HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
            0.26,
            0,
            "CPU default: seconds per scene on a laptop; short, literal descriptions",
        ),
        ModelPreset(
            "smolvlm2-500m",
            "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
            0.5,
            0,
            "CPU or Apple GPU: about twice the cost of 256M, fewer mistakes",
        ),
        ModelPreset(
            "smolvlm2-2.2b",
            "HuggingFaceTB/SmolVLM2-2.2B-Instruct",
            2.2,
            8,
            "small GPUs",
        ),
        ModelPreset(
            "qwen2.5-vl-3b",
            "Qwen/Qwen2.5-VL-3B-Instruct",
            3.8,
            12,
            "previous Qwen generation, small",
        ),
        ModelPreset(
            "qwen2.5-vl-7b",
            "Qwen/Qwen2.5-VL-7B-Instruct",
            8.3,
            24,
            "previous Qwen generation",
        ),
        ModelPreset(
            "qwen3-vl-2b",
            "Qwen/Qwen3-VL-2B-Instruct",
            2.1,
            8,
            "GPU default under 16 GiB",
        ),
        ModelPreset(
            "qwen3-vl-4b",
            "Qwen/Qwen3-VL-4B-Instruct",
            4.4,
            16,
            "GPU default from 16 GiB",
        ),
        ModelPreset(
            "qwen3-vl-8b",
            "Qwen/Qwen3-VL-8B-Instruct",
            8.8,
            24,
            "GPU default from 24 GiB",
        ),
    )
}

# Largest first: the first preset whose memory need fits the GPU is the default.
_GPU_LADDER = ("qwen3-vl-8b", "qwen3-vl-4b", "qwen3-vl-2b")
_CPU_DEFAULT = "smolvlm2-256m"
_MPS_DEFAULT = "smolvlm2-500m"


def pick_device() -> str:
    """The best torch device here: "cuda", then Apple "mps", else "cpu"."""
    try:
        import torch
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def gpu_memory_gb(device: str = "cuda") -> float | None:
    """Total memory of the CUDA device in GiB, or None when there is none."""
    if not device.startswith("cuda"):
        return None
    try:
        import torch

        if not torch.cuda.is_available():
            return None
        index = torch.device(device).index or 0
        return torch.cuda.get_device_properties(index).total_memory / 2**30
    except (ImportError, RuntimeError, AssertionError) as exc:
        logger.debug("could not read GPU memory: %s", exc)
        return None


def default_model(device: str, memory_gb: float | None = None) -> str:
    """The hub id used when no model is given: small SmolVLM2 on CPU, Qwen3-VL on CUDA.

    `memory_gb` is the GPU's memory; when None it is read from the device.
    """
    if device.startswith("cuda"):
        memory = memory_gb if memory_gb is not None else gpu_memory_gb(device)
        for name in _GPU_LADDER:
            if memory is None or memory >= PRESETS[name].min_gpu_gb:
                return PRESETS[name].repo
        return PRESETS[_GPU_LADDER[-1]].repo
    if device.startswith("mps"):
        return PRESETS[_MPS_DEFAULT].repo
    return PRESETS[_CPU_DEFAULT].repo


def resolve_model(model: str | None, device: str) -> str:
    """A preset name, hub id or local path, turned into what `from_pretrained` takes."""
    if model is None or model == "":
        return default_model(device)
    preset = PRESETS.get(model.lower())
    return preset.repo if preset else model
