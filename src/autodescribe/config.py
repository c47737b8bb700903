"""Settings for the narrate pipeline: one pydantic model, one section per stage.

Defaults live here and only here; the CLI shows them in `--help`. Each stage's
cache key is built from its own section, so changing a late setting (the voice)
does not redo early stages (shots, descriptions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from autodescribe.presets import ExtendedMode, PresetName
from autodescribe.qc.pace import MAX_SYLLABLES_PER_SECOND, TARGET_SYLLABLES_PER_SECOND


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShotSettings(_Section):
    detector: str = "pyscenedetect"
    threshold: float | None = Field(None, description="detector threshold; None = its default")
    analysis_width: int = Field(256, description="frames are scaled to this width for detection")


class SceneSettings(_Section):
    min_scene_seconds: float = Field(2.0, description="shorter shots merge into a neighbour")
    keyframes_per_scene: int = Field(3, ge=1, le=16)
    still_interval: float = Field(
        0.5, gt=0, description="seconds between stills kept while decoding"
    )
    still_width: int = Field(768, description="stills are scaled to this width")


class SpeechSettings(_Section):
    padding: float = Field(0.15, ge=0, description="seconds added around each speech span")
    threshold: float = Field(0.5, gt=0, lt=1)
    min_silence_ms: int = 300


class TranscribeSettings(_Section):
    """How the dialogue is transcribed (a section of the narrate settings)."""

    enabled: bool = True
    transcriber: str = "faster-whisper"
    model: str | None = Field(
        default=None, description="whisper size, Hugging Face id or folder; None = chosen by device"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = Field(
        default="auto", description="CTranslate2 type; auto = int8 CPU, float16 GPU"
    )
    beam_size: int = Field(
        default=1, ge=1, description="1 avoids invented sentences after speech ends"
    )
    language: str | None = Field(
        default=None, description="programme language; None = the audio stream's tag, else detected"
    )


class GapSettings(_Section):
    min_gap: float = Field(1.2, gt=0, description="shortest gap that can hold a description")
    words_per_second: float = Field(2.7, gt=0)
    max_words: int = Field(40, gt=0, description="longest description, whatever the gap")
    freeze_words: int = Field(
        12, gt=0, description="budget of a description spoken over a frozen picture"
    )


class DescribeSettings(_Section):
    describer: str = Field(
        "auto", description="a registered describer; auto = the best this machine offers"
    )
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    max_new_tokens: int | None = Field(None, description="None = derived from the word budget")
    concurrency: int | None = Field(
        None, ge=1, description="requests at once (server describers); None = the backend's"
    )
    look_first: bool | None = Field(
        None,
        description="two passes: notes per scene from the frames, then lines in film order; "
        "None = two passes for model describers, one for the offline one",
    )
    writer_model: str | None = Field(
        None, description="model that writes the lines from the notes; None = the describer's"
    )
    writer_base_url: str | None = Field(
        None, description="OpenAI-compatible server of the writer model; None = base_url"
    )
    candidates: int = Field(
        1, ge=1, le=8, description="lines asked for per scene; the best is spoken, the rest kept"
    )


class TranslateSettings(_Section):
    """How descriptions reach languages after the first.

    `none` describes each language directly with the describer; `llm` describes
    once in the first language and translates with the describer's own model;
    `argos` translates offline with Argos Translate language packs.
    """

    translator: str | None = Field(None, description="None = describe each language directly")


class VoiceSettings(_Section):
    voice: str = "piper"
    name: str | None = Field(None, description="voice model name or path; None = the default")
    sample: str | None = Field(
        None, description="a recording of the narrator whose voice a cloning voice speaks with"
    )
    headroom_db: float = Field(3.0, description="peak level below full scale for narration")


class FitSettings(_Section):
    """How speech is made to fit its gap.

    `extended`: `off` never freezes the picture (speed up, shorten, else drop);
    `auto` freezes only for what still does not fit after speeding up and one
    shortening round, and for scenes with no gap at all; `on` prefers freezing
    to speeding up or shortening.
    """

    max_speedup: float = Field(1.15, ge=1.0, le=2.0)
    target_syllables_per_second: float = Field(
        TARGET_SYLLABLES_PER_SECOND,
        gt=0,
        description="no cue is spoken faster than this (check fails above "
        f"{MAX_SYLLABLES_PER_SECOND})",
    )
    min_rate: float = Field(
        0.8, ge=0.5, le=1.0, description="slowest a fast voice is slowed down to"
    )
    extended: ExtendedMode = "auto"


class RenderSettings(_Section):
    duck_db: float = Field(10.0, ge=0)
    ramp_seconds: float = Field(0.25, ge=0)
    loudness: PresetName = "ebu"
    described_default: bool = True
    video_crf: int = Field(
        18, ge=0, le=51, description="x264 quality when the picture is re-encoded"
    )
    video_preset: str = Field("fast", description="x264 speed preset when re-encoding")
    hls: bool = Field(False, description="also write an HLS package (NAME.hls/master.m3u8)")
    dash: bool = Field(
        False, description="also write an MPEG-DASH package (NAME.dash/manifest.mpd)"
    )
    container: Literal["mp4", "mov", "m4v", "mkv", "webm"] | None = Field(
        None, description="container of the described video; None = the input's (else mp4)"
    )


CHARACTER_MODES = Literal["auto", "off"]


class CharacterSettings(_Section):
    """Who is on screen: faces grouped into identities per film, named when the film names them.

    `auto` runs the stage when the face backend is installed (`pip install
    "autodescribe[faces]"`) and skips it otherwise; `off` removes it: no frame
    is searched for faces. Faces, identities and thumbnails stay in the job's
    own work folder; nothing is kept across videos and nothing leaves the machine.
    """

    enabled: CHARACTER_MODES = "auto"
    backend: str = Field("dlib", description="a registered face analyzer")
    threshold: float = Field(
        0.5, gt=0, le=1.5, description="largest descriptor distance between faces of one person"
    )
    max_side: int = Field(
        640, ge=160, description="keyframes are scaled to this longest side to find faces"
    )
    min_sightings: int = Field(
        2, ge=1, description="an identity seen on fewer keyframes is dropped as a stray detection"
    )
    mark_faces: bool = Field(
        False, description="draw a labelled box on each known face in the frames the model sees"
    )


class NarrateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    languages: list[str] = Field(default_factory=lambda: ["en"])
    shots: ShotSettings = ShotSettings()
    scenes: SceneSettings = SceneSettings()
    speech: SpeechSettings = SpeechSettings()
    transcribe: TranscribeSettings = TranscribeSettings()
    gaps: GapSettings = GapSettings()
    describe: DescribeSettings = DescribeSettings()
    translate: TranslateSettings = TranslateSettings()
    characters: CharacterSettings = CharacterSettings()
    voice: VoiceSettings = VoiceSettings()
    fit: FitSettings = FitSettings()
    render: RenderSettings = RenderSettings()
    force: bool = False

    def recorded(self) -> dict[str, Any]:
        """The settings as stored in a script: everything but secrets and one-off flags."""
        recorded: dict[str, Any] = self.model_dump(mode="json", exclude={"force"})
        recorded["describe"].pop("api_key", None)
        return recorded


class NarrateJob(BaseModel):
    """One narrate run: which video, where outputs go, with which settings."""

    model_config = ConfigDict(extra="forbid")

    video: Path
    out_dir: Path
    settings: NarrateSettings = NarrateSettings()
    wait: bool = Field(False, description="wait for another run on the same output to finish")

    @property
    def work_dir(self) -> Path:
        # absolute, so the audio paths written into scripts do not depend on the cwd
        return self.out_dir.resolve() / f".{self.video.stem}.autodescribe"
