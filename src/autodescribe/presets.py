"""Named choices defined once: loudness presets and extended-description modes.

Everything that offers these choices (settings, CLI, API schema, web app, `check`)
reads them from here, so a new preset is one new row.

Loudness: `ebu` is EBU R128 (programme-gated), `atsc` is ATSC A/85, `netflix`
gates on dialogue (the loudness is measured over the speech only) and allows
+/-2 LU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema


@dataclass(frozen=True)
class LoudnessPreset:
    name: str
    target_lufs: float  # integrated loudness the mix is normalised to
    tolerance_lu: float  # how far the measured figure may be from the target
    max_true_peak_dbtp: float
    dialogue_gated: bool  # measure over dialogue only (Netflix) instead of the whole mix
    label: str = ""  # what a person choosing it reads


PRESETS: dict[str, LoudnessPreset] = {
    "ebu": LoudnessPreset(
        "ebu", -23.0, 1.0, -1.0, dialogue_gated=False, label="EBU R128: -23 LUFS, -1 dBTP"
    ),
    "netflix": LoudnessPreset(
        "netflix",
        -27.0,
        2.0,
        -2.0,
        dialogue_gated=True,
        label="Netflix: -27 LKFS dialogue-gated, -2 dBTP",
    ),
    "atsc": LoudnessPreset(
        "atsc", -24.0, 2.0, -2.0, dialogue_gated=False, label="ATSC A/85: -24 LKFS, -2 dBTP"
    ),
}

EXTENDED_MODES: dict[str, str] = {
    "auto": "freeze the picture only for what does not fit otherwise",
    "on": "prefer freezing the picture to speeding up or shortening",
    "off": "never freeze the picture; drop what does not fit",
}


def _member(names: Mapping[str, object], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in names:
            raise ValueError(f"unknown {what} '{value}'; choose one of: {', '.join(names)}")
        return value

    return check


PresetName = Annotated[
    str,
    AfterValidator(_member(PRESETS, "loudness preset")),
    WithJsonSchema({"type": "string", "enum": list(PRESETS)}),
]
ExtendedMode = Annotated[
    str,
    AfterValidator(_member(EXTENDED_MODES, "extended mode")),
    WithJsonSchema({"type": "string", "enum": list(EXTENDED_MODES)}),
]


def preset(name: str) -> LoudnessPreset:
    """The preset called `name`; the settings model has already validated it."""
    return PRESETS[name]
