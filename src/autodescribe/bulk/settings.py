"""How a captioning run cuts videos into clips and asks the describer; shared by both runners."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from autodescribe.config import CHARACTER_MODES, DescribeSettings

PromptStyle = Literal["short", "detailed", "dataset"]
_STRIDE = re.compile(r"^stride:(\d+(?:\.\d+)?)$")


class CaptionSettings(DescribeSettings):
    """How videos are cut into clips and captioned; shared by both runners."""

    clips: str = Field("scenes", description="'scenes' (shot-based) or 'stride:SECONDS'")
    frames: int = Field(3, ge=1, le=16, description="keyframes per clip")
    prompt: PromptStyle = "short"
    batch_size: int = Field(8, ge=1, description="clips per model call")
    min_scene_seconds: float = Field(2.0, gt=0)
    shot_detector: str = "pyscenedetect"
    frame_width: int = Field(512, ge=32, description="keyframes are scaled to this width")
    characters: CHARACTER_MODES = Field(
        "off", description="auto: count faces and list the video's identities per clip"
    )

    @field_validator("clips")
    @classmethod
    def _clips_form(cls, value: str) -> str:
        match = _STRIDE.match(value)
        if value != "scenes" and (match is None or float(match.group(1)) <= 0):
            raise ValueError("clips must be 'scenes' or 'stride:SECONDS' with SECONDS > 0")
        return value

    @property
    def stride(self) -> float | None:
        match = _STRIDE.match(self.clips)
        return float(match.group(1)) if match else None

    @property
    def template_name(self) -> str:
        return f"caption_{self.prompt}"
