"""Analysis: everything known about the film before anything is described.

probe's result -> frames (shots + stills) -> scenes -> on-screen text -> faces, beside
speech -> transcript; then gaps and slots -> characters. Each stage is stored in the
work folder under a key that hashes its settings and the keys of the stages it reads.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autodescribe.analysis.characters import (
    Sighting,
    characters_enabled,
    find_characters,
    look_for_faces,
)
from autodescribe.analysis.frames import FramePass, analyse_frames
from autodescribe.analysis.gaps import find_gaps, plan_slots
from autodescribe.analysis.onscreen_text import read_scene_text
from autodescribe.analysis.scenes import build_scenes
from autodescribe.analysis.speech import (
    VAD_RATE,
    SpeechAnalysis,
    source_key,
    speech_stage,
    spooled_blocks,
)
from autodescribe.analysis.transcript import transcribe_speech
from autodescribe.config import CharacterSettings, NarrateJob
from autodescribe.types import (
    CharacterBank,
    Gap,
    OnScreenText,
    Scene,
    SpeechSpan,
    VideoInfo,
    to_jsonable,
)
from autodescribe.util.background import Beside
from autodescribe.util.cache import WorkDir, stable_hash
from autodescribe.writing.describe import SceneInput
from autodescribe.writing.face_marks import VERSION as FACE_MARKS
from autodescribe.writing.face_marks import marked_inputs

SOUND = "sound"  # the lane (and thread) of the soundtrack's stages


def scene_inputs(
    scenes: list[Scene],
    slots: list[Gap | None],
    texts: list[list[OnScreenText]],
    stills: dict[float, str],
) -> list[SceneInput]:
    """What the describer gets for each scene that has a slot to be spoken in."""
    return [
        SceneInput(
            scene=scene,
            slot=slot,
            stills=tuple(Path(stills[t]) for t in scene.keyframe_times),
            text=tuple(text),
        )
        for scene, slot, text in zip(scenes, slots, texts, strict=True)
        if slot is not None and scene.keyframe_times
    ]


@dataclass(frozen=True)
class Analysis:
    """Everything known about the video before anything is described."""

    scenes: list[Scene]
    inputs: list[SceneInput]
    speech: SpeechAnalysis
    dialogue: list[SpeechSpan]  # speech spans with their transcript
    key: str  # hash of the stages the descriptions depend on
    characters: CharacterBank = field(default_factory=CharacterBank)  # who is on screen


def analyse(info: VideoInfo, job: NarrateJob, work: WorkDir) -> Analysis:
    """Shots, scenes, speech, transcript, slots and on-screen text, each stored as it lands.

    The soundtrack's stages (speech, then transcript) read nothing the picture's
    stages make, so they run on their own thread beside them (shots and stills,
    on-screen text, then the faces on the keyframes): where one after the other
    left the second core mostly idle through the shots and the transcript, both
    are kept busy. Naming the faces' people needs the dialogue, so it waits.
    """
    settings = job.settings
    with Beside(SOUND, lambda: _listen(info, job, work)) as heard:
        frames_key, frames = _look(info, job, work)
        scenes = build_scenes(
            frames.shots,
            frames.stills,
            settings.scenes.min_scene_seconds,
            settings.scenes.keyframes_per_scene,
        )
        text_key = stable_hash("text", frames_key, settings.scenes)
        stills = {s.time: s.path for s in frames.stills}
        texts = work.stage(
            "text", text_key, list[list[OnScreenText]], lambda: read_scene_text(scenes, stills)
        )
        faces = _faces(scenes, stills, job, work, text_key)
    speech, dialogue, transcript_key = heard.result()
    gaps = find_gaps(speech.spans, info.duration, settings.gaps)
    freezable = speech.spans if settings.fit.extended != "off" else None
    slots = plan_slots(scenes, gaps, settings.gaps, freezable)
    bank, characters_key = _characters(scenes, stills, texts, dialogue, faces, job, work, text_key)
    inputs = scene_inputs(scenes, slots, texts, stills)
    if settings.characters.mark_faces and bank.characters:  # copies: the stills stay as they are
        characters_key = stable_hash(characters_key, FACE_MARKS)
        inputs = marked_inputs(inputs, bank, work.folder("marked", characters_key))
    return Analysis(
        scenes=scenes,
        inputs=inputs,
        speech=speech,
        dialogue=dialogue,
        key=stable_hash(text_key, transcript_key, characters_key),
        characters=bank,
    )


def _look(info: VideoInfo, job: NarrateJob, work: WorkDir) -> tuple[str, FramePass]:
    """Shots and stills, and their key."""
    settings = job.settings
    still = (settings.scenes.still_interval, settings.scenes.still_width)
    key = stable_hash("frames", source_key(job.video), settings.shots, *still)
    frames = work.stage(
        "frames",
        key,
        FramePass,
        lambda: analyse_frames(info, settings.shots, settings.scenes, work.folder("stills", key)),
    )
    return key, frames


def _listen(
    info: VideoInfo, job: NarrateJob, work: WorkDir
) -> tuple[SpeechAnalysis, list[SpeechSpan], str]:
    """Speech, then what it says (the dialogue); and the transcript's key.

    The soundtrack is decoded once for both: speech detection leaves it, at 16 kHz, in a
    temporary file in the work folder that the transcript reads (when speech was stored
    by an earlier run, the transcript decodes it itself)."""
    with tempfile.TemporaryFile(dir=work.root) as soundtrack:
        speech, speech_key = speech_stage(info, job, work, keep=soundtrack)

        def decoded(rate: int) -> Iterator[np.ndarray] | None:
            kept = rate == VAD_RATE and soundtrack.seek(0, os.SEEK_END) > 0
            return spooled_blocks(soundtrack) if kept else None

        key = stable_hash("transcribe", speech_key, job.settings.transcribe)
        dialogue = work.stage(
            "transcribe",
            key,
            list[SpeechSpan],
            lambda: transcribe_speech(info, speech.spans, job.settings.transcribe, decoded),
        )
    return speech, dialogue, key


def _faces(
    scenes: list[Scene], stills: dict[float, str], job: NarrateJob, work: WorkDir, text_key: str
) -> list[list[Sighting]] | None:
    """The faces on every keyframe, stored (in this job only) like every stage; None when the
    characters stage is off."""
    settings = job.settings.characters
    if not characters_enabled(settings):
        return None
    return work.stage(
        "sightings",
        stable_hash("sightings", text_key, _found_with(job)),
        list[list[Sighting]],
        lambda: look_for_faces(scenes, stills, settings),
    )


def _characters(
    scenes: list[Scene],
    stills: dict[float, str],
    texts: list[list[OnScreenText]],
    dialogue: list[SpeechSpan],
    faces: list[list[Sighting]] | None,
    job: NarrateJob,
    work: WorkDir,
    text_key: str,
) -> tuple[CharacterBank, str]:
    """The film's people from the `faces` found, stored like every stage; nothing at all
    when the stage is off."""
    settings = job.settings.characters
    if faces is None:
        return CharacterBank(), "no-characters"
    dialogue_json = to_jsonable(dialogue, list[SpeechSpan])
    key = stable_hash("characters", text_key, dialogue_json, _found_with(job))
    bank = work.stage(
        "characters",
        key,
        CharacterBank,
        lambda: find_characters(
            scenes, stills, texts, dialogue, settings, work.folder("faces", key), frames=faces
        ),
    )
    return bank, key


def _found_with(job: NarrateJob) -> CharacterSettings:
    """The character settings that change which faces and people are found (marks do not)."""
    return job.settings.characters.model_copy(update={"mark_faces": False})
