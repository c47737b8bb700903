"""Which local VLM to load: named presets and a default per device.

Kept apart from the backend so the CLI can list presets and resolve a default
without importing transformers. torch is imported only to look at the device.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

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
            "llava-onevision-0.5b",
            "llava-hf/llava-onevision-qwen2-0.5b-ov-hf",
            0.9,
            4,
            "small; takes frames as video (about 200 tokens a frame, 730 as images)",
        ),
        ModelPreset(
            "llava-onevision-7b",
            "llava-hf/llava-onevision-qwen2-7b-ov-hf",
            8.0,
            24,
            "takes frames as video",
        ),
        ModelPreset(
            "gemma3-4b",
            "google/gemma-3-4b-it",
            4.3,
            12,
            "gated: accept the licence on the hub first; many languages, images only",
        ),
        ModelPreset(
            "gemma3-12b",
            "google/gemma-3-12b-it",
            12.2,
            32,
            "gated: accept the licence on the hub first; many languages, images only",
        ),
        ModelPreset(
            "qwen2-vl-2b",
            "Qwen/Qwen2-VL-2B-Instruct",
            2.2,
            8,
            "Qwen2-VL, small",
        ),
        ModelPreset(
            "qwen2-vl-7b",
            "Qwen/Qwen2-VL-7B-Instruct",
            8.3,
            24,
            "Qwen2-VL",
        ),
        ModelPreset(
            "video-llava-7b",
            "LanguageBind/Video-LLaVA-7B-hf",
            7.3,
            20,
            "Vicuna-7B with one encoder for images and video; English",
        ),
        ModelPreset(
            "llava-next-video-7b",
            "llava-hf/LLaVA-NeXT-Video-7B-hf",
            7.1,
            20,
            "LLaVA-NeXT trained on video; English",
        ),
        ModelPreset(
            "llava-v1.6-mistral-7b",
            "llava-hf/llava-v1.6-mistral-7b-hf",
            7.6,
            20,
            "LLaVA-NeXT (v1.6) on Mistral-7B; images only",
        ),
        ModelPreset(
            "llava-v1.6-34b",
            "llava-hf/llava-v1.6-34b-hf",
            34.8,
            80,
            "LLaVA-NeXT (v1.6) on Yi-34B; images only",
        ),
        ModelPreset(
            "blip2-opt-2.7b",
            "Salesforce/blip2-opt-2.7b",
            3.9,
            10,
            "a captioner, not a chat model: one frame a scene, a plain caption the writing "
            "pass trims; English",
        ),
        ModelPreset(
            "janus-pro-1b",
            "deepseek-community/Janus-Pro-1B",
            2.1,
            6,
            "DeepSeek's Janus-Pro, in the Transformers layout; images only",
        ),
        ModelPreset(
            "janus-pro-7b",
            "deepseek-community/Janus-Pro-7B",
            7.4,
            20,
            "DeepSeek's Janus-Pro, in the Transformers layout; images only",
        ),
        ModelPreset(
            "deepseek-vl-1.3b",
            "deepseek-community/deepseek-vl-1.3b-chat",
            2.0,
            6,
            "DeepSeek-VL (the first version; DeepSeek-VL2 is not in Transformers)",
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


@dataclass(frozen=True)
class Architecture:
    """How a model family is driven, chosen by its config's `model_type`, never by its name."""

    video: bool = False  # its processor takes a scene's frames as one clip (with torchvision)
    max_images: int | None = None  # frames per prompt it understands; None = the describer's
    chat: bool = True  # False: a captioner without a chat template, prompted with plain text


ARCHITECTURES: dict[str, Architecture] = {
    "qwen2_vl": Architecture(video=True),
    "qwen2_5_vl": Architecture(video=True),
    "qwen3_vl": Architecture(video=True),
    "smolvlm": Architecture(video=True),
    "llava_onevision": Architecture(video=True),
    "video_llava": Architecture(video=True),
    "llava_next_video": Architecture(video=True),
    "blip-2": Architecture(max_images=1, chat=False),
}
# Model types (config.model_type) whose processors take a list of frames as one video.
VIDEO_MODEL_TYPES = frozenset(name for name, arch in ARCHITECTURES.items() if arch.video)


def architecture(model_type: str) -> Architecture:
    """The family's way of being driven; a chat model taking several images by default."""
    return ARCHITECTURES.get(model_type, Architecture())


@dataclass(frozen=True)
class Unsupported:
    """A checkpoint layout Transformers cannot load, and what to use instead."""

    family: str
    advice: str


# Recognised from config.json (`model_type`, else `architectures`) before loading, so the
# user reads what to do instead of a stack of loader errors (or, worse, random weights).
UNSUPPORTED: dict[str, Unsupported] = {
    "deepseek_vl_v2": Unsupported(
        "DeepSeek-VL2",
        "serve it with vLLM and use --describer openai --base-url URL, or choose "
        "--model deepseek-vl-1.3b or janus-pro-7b",
    ),
    "multi_modality": Unsupported(
        "Janus in DeepSeek's original layout",
        "use its Transformers conversion (--model janus-pro-7b or janus-pro-1b)",
    ),
    "LlavaLlamaForCausalLM": Unsupported(
        "LLaVA in the original LLaVA code's layout",
        "use its Transformers conversion (--model video-llava-7b, llava-v1.6-34b)",
    ),
    "LlavaMistralForCausalLM": Unsupported(
        "LLaVA in the original LLaVA code's layout",
        "use its Transformers conversion (--model llava-v1.6-mistral-7b)",
    ),
}


def unsupported(config: dict[str, Any]) -> Unsupported | None:
    """What a raw config.json says about a layout Transformers cannot load, if it is one."""
    found = UNSUPPORTED.get(str(config.get("model_type", "")))
    for name in config.get("architectures") or ():
        found = found or UNSUPPORTED.get(str(name))
    return found


# CPU flags of native bfloat16 matrix units (AVX512-BF16 on Cooper Lake/Zen 4, AMX on
# Sapphire Rapids): there bf16 runs several times faster than float32; elsewhere slower.
_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})

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


@cache
def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU has bfloat16 matrix instructions (Linux: read from /proc/cpuinfo)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(_BF16_FLAGS & set(line.partition(":")[2].split()))
    return False


def torch_dtype(name: str, device: str) -> Any:
    """The torch dtype for a `--dtype` name; "auto" picks the fastest safe one for the device."""
    import torch

    if name != "auto":
        return getattr(torch, name)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.startswith("mps"):
        return torch.float16
    return torch.bfloat16 if cpu_has_bf16() else torch.float32


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
