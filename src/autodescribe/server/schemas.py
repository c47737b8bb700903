"""What the API accepts and returns: pydantic models at the HTTP edge.

`JobOptions` is what a user may choose per job; its defaults are the pipeline's,
and `to_settings` turns it into the pipeline's `NarrateSettings`, so the worker
and the CLI run the same code. `Choices` lists what each option may be.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autodescribe.config import (
    DescribeSettings,
    FitSettings,
    NarrateSettings,
    RenderSettings,
    TranscribeSettings,
    VoiceSettings,
)
from autodescribe.presets import ExtendedMode, PresetName
from autodescribe.server.characters import MAX_NAME, clean_name
from autodescribe.server.jobs import Job

_PIPELINE = NarrateSettings()  # the defaults a job starts from


class JobOptions(BaseModel):
    """Per-job choices; every other setting keeps the pipeline's default."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str] = Field(
        default_factory=lambda: list(_PIPELINE.languages), min_length=1, max_length=8
    )
    describer: str = _PIPELINE.describe.describer
    model: str | None = Field(None, max_length=300)
    voice: str = _PIPELINE.voice.voice
    extended: ExtendedMode = _PIPELINE.fit.extended
    loudness: PresetName = _PIPELINE.render.loudness
    transcribe: bool = Field(
        _PIPELINE.transcribe.enabled, description="transcribe the dialogue for the describer"
    )
    look_first: bool | None = Field(
        _PIPELINE.describe.look_first,
        description="two passes: notes per scene from the frames, then lines in film order; "
        "unset = two passes for model describers, one for the offline one",
    )
    candidates: int = Field(
        _PIPELINE.describe.candidates,
        ge=1,
        le=8,
        description="lines asked for per scene; the best is spoken, the others kept per cue",
    )

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        from autodescribe.errors import ConfigError
        from autodescribe.util.languages import check_language

        try:
            return [check_language(code) for code in value]
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("describer")
    @classmethod
    def _known_describer(cls, value: str) -> str:
        from autodescribe.backends.describe import describers

        if value not in describers.names():
            raise ValueError(f"unknown describer; use one of: {', '.join(describers.names())}")
        return value

    @field_validator("voice")
    @classmethod
    def _known_voice(cls, value: str) -> str:
        from autodescribe.backends.voice import voices_without_sample

        offered = voices_without_sample()
        if value not in offered:
            raise ValueError(f"unknown voice; use one of: {', '.join(offered)}")
        return value

    def to_settings(self) -> NarrateSettings:
        return NarrateSettings(
            languages=self.languages,
            transcribe=TranscribeSettings(enabled=self.transcribe),
            describe=DescribeSettings(
                describer=self.describer,
                model=self.model,
                look_first=self.look_first,
                candidates=self.candidates,
            ),
            voice=VoiceSettings(voice=self.voice),
            fit=FitSettings(extended=self.extended),
            render=RenderSettings(loudness=self.loudness),
        )


class JobView(BaseModel):
    id: str
    kind: str = Field(description="narrate, or render after a script edit")
    status: Literal["queued", "running", "done", "failed"]
    stage: str | None
    percent: float = Field(description="0-100 over the whole job")
    error: str | None
    filename: str
    options: dict[str, object]
    created: float
    updated: float
    attempts: int = Field(description="runs started; more than 1 after a crash or a re-render")

    @classmethod
    def of(cls, job: Job) -> JobView:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            stage=job.stage,
            percent=job.percent,
            error=job.error,
            filename=job.filename,
            options=job.options,
            created=job.created,
            updated=job.updated,
            attempts=job.attempts,
        )


class FileView(BaseModel):
    name: str
    role: str = Field(description="what the file is, in words")
    media_type: str
    size: int
    url: str


class QCFinding(BaseModel):
    """One line of the quality check, and the cue it concerns, if any."""

    message: str = Field(description="the line as the report words it")
    cue: int | None = Field(
        description="1-based index of the cue it concerns, in script order; null for the whole"
        " programme (loudness)"
    )
    time: float | None = Field(description="that cue's start in seconds, as the script says")


class QCCue(BaseModel):
    """What the quality check found in one cue."""

    index: int = Field(description="1-based, in script order")
    start: float
    end: float
    text: str
    passed: bool
    failures: list[str]
    warnings: list[str] = Field(description="measures that only warn: never a failure")


class QualityCheck(BaseModel):
    """The verdict of the quality check run at the end of a job's last narrate or re-render."""

    passed: bool = Field(description="false when any measure failed; warnings never fail it")
    summary: str = Field(description="the verdict in words, e.g. 'Quality check passed'")
    script: str = Field(description="the script file that was checked")
    language: str
    checked: float = Field(description="when the report was written (Unix time)")
    report: str = Field(description="URL of the full report, NAME.qc.json")
    failures: list[QCFinding]
    warnings: list[QCFinding]
    cues: list[QCCue]


class CharacterView(BaseModel):
    """A person found in the video by their face (see the characters stage)."""

    id: str = Field(description='"person-1", "person-2"... in order of first appearance')
    name: str | None = Field(description="null until the film or an editor names them")
    descriptor: str | None = Field(description='how descriptions call them unnamed: "a tall man"')
    label: str | None = Field(description="what descriptions call them: the name, else descriptor")
    named_by: str | None = Field(
        description='how the film named them, e.g. "on screen at 6.0 s"; null when it did not,'
        " or once renamed"
    )
    scenes: list[int] = Field(description="the scenes they are seen in (0-based, as cue.scene)")
    seen_at: list[float] = Field(description="for each of those scenes, the seconds of the face")
    cues: list[int] = Field(description="1-based indexes of the cues that mention them")
    thumbnail: str | None = Field(description="URL of a JPEG of their face (at most 160 px)")


class CharacterRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=MAX_NAME, description="the new name, written as it should be read"
    )

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return clean_name(value)


class CharacterRenamed(BaseModel):
    """A rename done: the character now, the cues it changed, and the re-render it queued."""

    character: CharacterView
    changed: list[int] = Field(
        description="1-based indexes of the cues whose words changed, in the script of `language`"
    )
    rendering: bool = Field(description="a re-render was queued (only when words changed)")
    job: JobView


class Choice(BaseModel):
    name: str = Field(description="the value to send")
    label: str = Field(description="what a person choosing it reads")


class Choices(BaseModel):
    """What each job option may be, and what it is when not sent."""

    describers: list[str] = Field(description="values of `describer`")
    voices: list[str] = Field(description="values of `voice`")
    loudness_presets: list[Choice] = Field(description="values of `loudness`")
    extended_modes: list[Choice] = Field(description="values of `extended`")
    languages: list[Choice] = Field(description="codes for `languages`")
    defaults: JobOptions = Field(description="the options a job gets when it sends none")


class SessionRequest(BaseModel):
    token: str = Field(min_length=1, max_length=500)


class Problem(BaseModel):
    detail: str
