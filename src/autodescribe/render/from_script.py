"""Render from a script a person has edited: voice, fit, mix and deliver, never describe.

The script may be our JSON, WebVTT, SRT or DAPT. Each cue is voiced again
(cached per text, time and voice, so an edit re-speaks only what changed) and
given the room up to the next dialogue or cue. Nothing is shortened: a text a
describer wrote is theirs, so what does not fit is extended where allowed, or
spoken at the fastest rate with a warning (and `check` will flag it).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from autodescribe.analysis.characters import mentioned_people
from autodescribe.analysis.speech import speech_stage
from autodescribe.config import NarrateJob
from autodescribe.formats import dapt, read_clock, read_cues
from autodescribe.formats.script_json import read_script
from autodescribe.media.probe import probe
from autodescribe.render.deliver import Deliverables, deliver, delivery_plan
from autodescribe.timeline import to_programme_clock
from autodescribe.types import Cue, Description, Gap, Script, SpeechSpan
from autodescribe.util.cache import WorkDir, stable_hash
from autodescribe.util.languages import check_language
from autodescribe.util.lazy import Lazy
from autodescribe.util.lock import work_lock
from autodescribe.util.memory import tune_malloc
from autodescribe.util.progress import Planned, overall
from autodescribe.voicing.choose import choose_voices, state_folder
from autodescribe.voicing.voice import SpeakSettings, speak_descriptions, spoken_before

log = logging.getLogger(__name__)


def render_script(
    job: NarrateJob, script_path: Path, name: str | None = None, revoice: bool = False
) -> Deliverables:
    """Deliver `job.video` narrated from `script_path`, with the job's voice and render settings.

    A script that carries its own recordings (a DAPT As-recorded Script) keeps
    them, unless `revoice` asks for the voice to speak every cue instead.
    """
    tune_malloc()  # the stem's measure runs beside the mix: see util.memory
    with work_lock(job.work_dir, wait=job.wait):
        plan = [Planned("speech", 0.7), Planned("voice", 3.5), *delivery_plan(job.settings)]
        with overall(plan):
            return _render_script(job, script_path, name, revoice)


def _render_script(
    job: NarrateJob, script_path: Path, name: str | None, revoice: bool
) -> Deliverables:
    settings = job.settings
    info = probe(job.video)
    script = load_script(script_path, settings.languages[0], info.duration, revoice)
    language = check_language(script.language)
    chosen = choose_voices([language], settings.voice)[language]  # before long work
    work = WorkDir(job.work_dir, force=settings.force)
    speech, speech_key = speech_stage(info, job, work)
    items = plan_items(script.cues, speech.spans, info.duration, language)
    speak = SpeakSettings(
        settings.voice, settings.fit, round(float(speech.dialogue_rms_db), 1), info.frame_seconds
    )
    voice = Lazy(lambda: chosen.create(language, state_folder(work, chosen)))
    try:
        key = stable_hash("voice-script", speech_key, language, speak, chosen.identity)
        recorded = {c.text: c.audio for c in script.cues if c.audio and Path(c.audio).is_file()}
        spoken = {**spoken_before(work), **recorded}
        cues = speak_descriptions(items, voice, None, work, key, speak, spoken)
    finally:
        voice.close()
    if script.character_bank is not None:  # who each line mentions, for the new texts
        cues = mentioned_people(cues, script.character_bank)
    script.cues = cues
    script.video = job.video.name
    script.duration = info.duration
    script.settings = settings.recorded()
    return deliver(info, script, job.out_dir, name or job.video.stem, settings, work, speech.spans)


def load_script(path: Path, language: str, duration: float, revoice: bool = False) -> Script:
    """A script from any supported format; formats without metadata get the given language.

    A DAPT script's text is taken in `language` where it has one; its recordings
    (an As-recorded Script's) are kept unless `revoice`.
    """
    if path.suffix.lower() == ".json":
        return read_script(path)
    if path.suffix.lower() in dapt.SUFFIXES:
        return dapt.read_dapt_script(path, language=language, revoice=revoice)
    cues = read_cues(path)
    clock, freezes = read_clock(path, cues)
    if clock == "described":
        # a file paired with the described video: its times include the earlier freezes
        log.info("%s is on the described video's clock; mapped back to the programme", path.name)
        cues = [replace(c, extension=0.0) for c in to_programme_clock(cues, freezes)]
    return Script(video="", language=language, duration=duration, cues=cues)


def plan_items(
    cues: list[Cue], speech: list[SpeechSpan], duration: float, language: str
) -> list[tuple[Description, Gap]]:
    """Each cue's text with the room it has: up to the next dialogue, the next cue or the end."""
    ordered = sorted((c for c in cues if c.text.strip()), key=lambda c: c.start)
    items = []
    for index, cue in enumerate(ordered):
        limits = [duration, *(s.start for s in speech if s.start >= cue.start)]
        if index + 1 < len(ordered):
            limits.append(ordered[index + 1].start)
        # a cue placed at the very end of a speech span (as narrate does) is not inside it
        inside = any(s.start + 0.01 < cue.start < s.end - 0.01 for s in speech)
        end = cue.start if inside else max(cue.start, min(limits))
        scene = cue.scene if cue.scene is not None else index
        description = Description(
            scene=scene,
            text=cue.text.strip(),
            language=language,
            notes=cue.notes,  # what was seen and the other versions stay with the cue
            candidates=cue.candidates,
        )
        items.append((description, Gap(round(cue.start, 3), round(end, 3), len(cue.text.split()))))
    return items
