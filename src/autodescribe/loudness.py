"""Delivery loudness presets: what the mix must measure, and what `check` holds it to.

`ebu` is EBU R128 (programme-gated), `atsc` is ATSC A/85, `netflix` gates on
dialogue (the loudness is measured over the speech only) and allows +/-2 LU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PresetName = Literal["ebu", "netflix", "atsc"]


@dataclass(frozen=True)
class LoudnessPreset:
    name: str
    target_lufs: float  # integrated loudness the mix is normalised to
    tolerance_lu: float  # how far the measured figure may be from the target
    max_true_peak_dbtp: float
    dialogue_gated: bool  # measure over dialogue only (Netflix) instead of the whole mix


PRESETS: dict[str, LoudnessPreset] = {
    "ebu": LoudnessPreset("ebu", -23.0, 1.0, -1.0, dialogue_gated=False),
    "netflix": LoudnessPreset("netflix", -27.0, 2.0, -2.0, dialogue_gated=True),
    "atsc": LoudnessPreset("atsc", -24.0, 2.0, -2.0, dialogue_gated=False),
}


def preset(name: str) -> LoudnessPreset:
    """The preset called `name`; the settings model has already validated it."""
    return PRESETS[name]
