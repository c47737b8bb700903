"""Options several commands share, with their choices read from the registries and presets.

A choice list is never typed out here: a plugin describer, voice or shot detector
registered through an entry point is offered by `--help` and accepted the day it
installs.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast, get_args

import typer

from autodescribe.backends.describe import describers
from autodescribe.backends.describe.models import PRESETS as MODEL_PRESETS
from autodescribe.backends.shots import shot_detectors
from autodescribe.backends.translate import translators
from autodescribe.backends.voice import CLONING_VOICE, voices
from autodescribe.config import CHARACTER_MODES, CharacterSettings, DescribeSettings, VoiceSettings
from autodescribe.presets import EXTENDED_MODES, PRESETS

NO_TRANSLATOR = "none"


def choice(name: str, values: Iterable[str]) -> type[Enum]:
    """A `str` Enum of `values`, which is how Typer shows and checks a choice."""
    return cast(type[Enum], Enum(name, {value: value for value in values}, type=str))


if TYPE_CHECKING:

    class Choice(str, Enum):
        """What the type checker sees of a choice built at run time from a registry."""

    DescriberName = Choice
    VoiceName = Choice
    ShotDetectorName = Choice
    TranslatorName = Choice
    ExtendedName = Choice
    LoudnessName = Choice
    CharactersName = Choice
else:
    DescriberName = choice("DescriberName", describers.names())
    VoiceName = choice("VoiceName", voices.names())
    ShotDetectorName = choice("ShotDetectorName", shot_detectors.names())
    TranslatorName = choice("TranslatorName", [NO_TRANSLATOR, *translators.names()])
    ExtendedName = choice("ExtendedName", EXTENDED_MODES)
    LoudnessName = choice("LoudnessName", PRESETS)
    CharactersName = choice("CharactersName", get_args(CHARACTER_MODES))

# Defaults as members of their choice (a Typer default must be one of the choices).
DEFAULT_DESCRIBER = DescriberName(DescribeSettings.model_fields["describer"].default)
DEFAULT_VOICE = VoiceName("piper")
DEFAULT_SHOTS = ShotDetectorName("pyscenedetect")
DEFAULT_TRANSLATOR = TranslatorName(NO_TRANSLATOR)
DEFAULT_EXTENDED = ExtendedName("auto")
DEFAULT_LOUDNESS = LoudnessName("ebu")
DEFAULT_CHARACTERS = CharactersName(CharacterSettings().enabled)

OutDir = Annotated[
    Path | None,
    typer.Option(
        "-o", "--out-dir", metavar="DIR", help="output folder (default: beside the video)"
    ),
]
Describer = Annotated[
    DescriberName,
    typer.Option(
        help="how scenes are described; auto: the best this machine offers, said in one line"
    ),
]
Model = Annotated[
    str | None,
    typer.Option(
        metavar="ID|PATH",
        help="preset (transformers: " + ", ".join(MODEL_PRESETS) + "), hub id or local path",
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(metavar="URL", help="OpenAI-compatible server URL (or set OPENAI_BASE_URL)"),
]
ApiKey = Annotated[str | None, typer.Option(metavar="KEY", help="API key (or set OPENAI_API_KEY)")]
LookFirst = Annotated[
    bool | None,
    typer.Option(
        "--look-first/--one-pass",
        help="two passes: notes per scene from the frames (batched), then each line written "
        "in film order from the notes, the lines before it and the budget; or one request "
        "per scene [default: two passes for model describers, one for basic]",
        show_default=False,
    ),
]
CaptionLookFirst = Annotated[
    bool,
    typer.Option(
        "--look-first",
        help="two passes: notes per clip from the frames (batched), then each caption written "
        "from its notes and the captions before it, in clip order [default: one pass]",
    ),
]
WriterModel = Annotated[
    str | None,
    typer.Option(
        metavar="ID",
        help="text model that writes the lines (or captions) from the notes, on an "
        "OpenAI-compatible server "
        "(implies --look-first; default: the describer's own model)",
    ),
]
WriterBaseUrl = Annotated[
    str | None,
    typer.Option(metavar="URL", help="server of --writer-model (default: --base-url)"),
]
Candidates = Annotated[
    int,
    typer.Option(
        min=1,
        max=8,
        metavar="N",
        help="lines asked for per scene (or clip) in one request where the backend can "
        "(implies --look-first); the best is used, the others are kept in the script (or row)",
    ),
]
Voice = Annotated[VoiceName, typer.Option(help="voice backend")]
VoiceModel = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="a piper voice (pl_PL-gosia-medium: fetched once; see `voices`) or .onnx path; "
        "with --voice-sample, a Pocket TTS .yaml config (default: Kyutai's model)",
    ),
]
VoiceSample = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="speak in the voice of this recording of one person (3 to 30 s, 5 to 10 s is "
        'best; checked first), cloned by Pocket TTS: pip install "autodescribe[clone]". '
        "Languages it does not speak keep their usual voice",
    ),
]


def voice_settings(voice: Enum, name: str | None, sample: Path | None) -> VoiceSettings:
    """The voice options as settings: a sample with the default voice means the cloning one."""
    backend = str(voice.value)
    if sample is not None and backend == DEFAULT_VOICE.value:
        backend = CLONING_VOICE
    return VoiceSettings(voice=backend, name=name, sample=str(sample) if sample else None)


Extended = Annotated[
    ExtendedName,
    typer.Option(
        help="extended description: " + "; ".join(f"{k}: {v}" for k, v in EXTENDED_MODES.items())
    ),
]
Loudness = Annotated[
    LoudnessName,
    typer.Option(
        help="loudness preset of the mix: " + "; ".join(p.label for p in PRESETS.values())
    ),
]
OriginalDefault = Annotated[
    bool, typer.Option("--original-default", help="make the original audio the default track")
]
Hls = Annotated[bool, typer.Option("--hls", help="also write an HLS package")]
Wait = Annotated[
    bool,
    typer.Option("--wait", help="if another run is working on the same output, wait for it"),
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="log each stage")]
Debug = Annotated[bool, typer.Option("--debug", help="show tracebacks")]
