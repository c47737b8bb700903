"""The narrate pipeline: run each stage through the work folder's cache, then deliver.

probe -> analysis (`analysis.film`: shots, stills, text and faces beside speech and
transcript; gaps, characters) -> describe -> voice + fit -> render -> export.
Each stage's key hashes its settings and the keys of the stages it reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from autodescribe.analysis.characters import (
    characters_enabled,
    mentioned_people,
)
from autodescribe.analysis.film import SOUND, Analysis, analyse
from autodescribe.backends.describe import (
    Describer,
    describer_class,
    describer_options,
    make_describer,
    resolve_describer,
)
from autodescribe.backends.describe.base import ChatDescriber
from autodescribe.backends.shots import shot_detectors
from autodescribe.backends.transcribe import transcribers
from autodescribe.backends.translate import Translator, translators
from autodescribe.backends.voice import VoiceChoice, voices
from autodescribe.config import NarrateJob, NarrateSettings
from autodescribe.errors import MediaError
from autodescribe.media.probe import probe
from autodescribe.render.deliver import Deliverables, deliver, delivery_plan
from autodescribe.types import (
    CharacterBank,
    Cue,
    Description,
    Scene,
    Script,
    VideoInfo,
)
from autodescribe.util.cache import WorkDir, stable_hash
from autodescribe.util.languages import check_language
from autodescribe.util.lazy import Lazy
from autodescribe.util.lock import work_lock
from autodescribe.util.memory import tune_malloc
from autodescribe.util.progress import Planned, overall
from autodescribe.voicing.choose import choose_voices, state_folder
from autodescribe.voicing.voice import SpeakSettings, speak_descriptions
from autodescribe.writing.context import SceneContextBuilder
from autodescribe.writing.describe import describe_scenes
from autodescribe.writing.facts_summary import facts_title_summary
from autodescribe.writing.people import CastContextBuilder
from autodescribe.writing.prompts import load_template
from autodescribe.writing.translate import translate_descriptions
from autodescribe.writing.two_pass import (
    look_key,
    look_then_write,
    make_writer,
    uses_two_passes,
    write_key,
)

log = logging.getLogger(__name__)


@dataclass
class NarrateResult:
    info: VideoInfo
    scenes: list[Scene]
    outputs: dict[str, Deliverables] = field(default_factory=dict)  # per language
    computed: list[str] = field(default_factory=list)  # stages that ran (not reused)


def check_settings(job: NarrateJob) -> None:
    """Every choice that can be wrong, checked before any media work (a second at most).

    Unknown languages and backends, options a backend does not take and a
    describer that cannot work as configured (no server URL) raise `ConfigError`
    or `UnknownBackend` here rather than after a minute of analysis.
    """
    settings = job.settings
    for code in settings.languages:
        check_language(code)
    describer_options(settings.describe)
    voices.load(settings.voice.voice)
    shot_detectors.load(settings.shots.detector)
    if settings.transcribe.enabled:
        transcribers.load(settings.transcribe.transcriber)
    if settings.translate.translator is not None:
        translators.load(settings.translate.translator)
    if not job.video.is_file():
        raise MediaError(f"no video at {job.video}", "check the path")


def with_describer_resolved(job: NarrateJob) -> NarrateJob:
    """`job` with describer `auto` replaced by what it picks here, said in one line.

    What it picks (describer, model, server) is what the script records and the
    cache keys hash, so a rerun in the same environment reuses the descriptions.
    """
    describe = resolve_describer(job.settings.describe)
    if describe is job.settings.describe:
        return job
    settings = job.settings.model_copy(update={"describe": describe})
    return job.model_copy(update={"settings": settings})


def narrate(job: NarrateJob) -> NarrateResult:
    """Run the whole pipeline for `job`, holding its work folder's lock (one run per output).

    `auto` is resolved once the lock is held (a run that finds the folder busy
    says only that), before any media work.
    """
    check_settings(job)
    tune_malloc()  # stages run side by side: see util.memory
    with work_lock(job.work_dir, wait=job.wait):
        job = with_describer_resolved(job)
        check_settings(job)
        return _narrate(job)


def _narrate(job: NarrateJob) -> NarrateResult:
    settings = job.settings
    languages = [check_language(code) for code in settings.languages]
    info = probe(job.video)
    # Before any long work: a voice to download fails (or is fetched) now, not after describing.
    chosen = choose_voices(languages, settings.voice)
    with overall(stage_plan(settings, len(languages))):
        return _narrate_probed(job, info, languages, chosen)


def stage_plan(settings: NarrateSettings, languages: int) -> list[Planned]:
    """The stages' progress labels in the order they start, each with its usual share of the
    run's wall time, in multiples of one decode of the video: between those measured on
    60 s at 1280x720 (`benchmarks/stages.py`) and on an hour at 320x180
    (`benchmarks/long_video_memory.py`), where the audio's share is larger. The
    soundtrack's stages run in their own lane beside the picture's (see `analyse`), so
    the stages of both lanes count about half their time."""
    offline = settings.describe.describer == "basic"
    plan = [Planned("shots", 4.0), Planned("text", 6.0)]
    plan += [Planned("faces", 4.5)] if characters_enabled(settings.characters) else []
    plan += [Planned("speech", 2.5, SOUND), Planned("transcribe", 6.0, SOUND)]
    for n in range(languages):
        if n == 0 or settings.translate.translator is None:
            if uses_two_passes(settings.describe):
                plan += [Planned("look", 0.5 if offline else 25.0)]
                plan += [Planned("write", 0.2 if offline else 10.0)]
            else:
                plan += [Planned("describe", 0.8 if offline else 30.0)]
        plan += [Planned("voice", 9.0), *delivery_plan(settings)]
    return plan


def _narrate_probed(
    job: NarrateJob, info: VideoInfo, languages: list[str], chosen: dict[str, VoiceChoice]
) -> NarrateResult:
    settings = job.settings
    work = WorkDir(job.work_dir, force=settings.force)
    analysis = analyse(info, job, work)
    describer = Lazy(lambda: make_describer(settings.describe))
    writer = Lazy(lambda: make_writer(settings.describe))
    # a line that does not fit when spoken is shortened by the model that wrote it; closed
    # through `writer` and `describer`, whichever it is
    shortener: Lazy[Describer] = Lazy(lambda: writer() or describer())
    result = NarrateResult(info=info, scenes=analysis.scenes)
    translator = Lazy(lambda: make_translator(settings.translate.translator or "", describer))
    first: Described | None = None
    try:
        for language in languages:
            if first is not None and settings.translate.translator is not None:
                described = _translate(first, language, translator, work)
            else:
                described = _describe(language, job, analysis, describer, writer, work)
                first = first or described
            script = _speak(described, info, job, analysis, shortener, work, chosen[language])
            suffix = f".{language}" if len(languages) > 1 else ""
            name = job.video.stem + suffix
            result.outputs[language] = deliver(
                info, script, job.out_dir, name, settings, work, analysis.speech.spans
            )
    finally:
        translator.close()
        writer.close()
        describer.close()
    result.computed = work.computed
    return result


@dataclass(frozen=True)
class Described:
    """One language's descriptions, with what the script needs from the describing."""

    language: str
    descriptions: list[Description]
    key: str  # cache key of these descriptions
    title: str
    summary: str
    characters: dict[str, str]
    bank: CharacterBank = field(default_factory=CharacterBank)  # who is on screen, descriptors kept


def make_translator(name: str, describer: Lazy[Describer]) -> Translator:
    """The chosen translator; one that borrows the describer's model gets it, not a second one."""
    if getattr(translators.load(name), "borrows_describer", False):
        return translators.create(name, describer=describer())
    return translators.create(name)


def _describe(
    language: str,
    job: NarrateJob,
    analysis: Analysis,
    describer: Lazy[Describer],
    writer: Lazy[ChatDescriber | None],
    work: WorkDir,
) -> Described:
    """Describe every scene in `language`, then title and summarise the whole."""
    settings = job.settings
    # keys never go into a cache key
    describe_settings = settings.describe.model_copy(update={"api_key": None})
    version = load_template("describe").version
    describe_key = stable_hash(
        "describe", analysis.key, settings.gaps, describe_settings, language, version
    )
    batch = 8 if describer_class(settings.describe.describer).capabilities.batching else 1
    marks = settings.characters.mark_faces
    context = CastContextBuilder(analysis.characters, marks)  # no characters: no people line
    if uses_two_passes(settings.describe):
        notes_key = look_key(analysis.key, settings.describe, settings.gaps, language)
        describe_key = write_key(notes_key, settings.describe)
        descriptions = look_then_write(
            analysis.inputs,
            describer,
            writer,
            settings.describe,
            (notes_key, describe_key),
            work,
            language,
            batch,
            analysis.dialogue,
            context,
        )
    else:
        descriptions = describe_scenes(
            analysis.inputs,
            describer,
            work,
            describe_key,
            language,
            batch,
            analysis.dialogue,
            context,
        )
    title, summary = work.stage(
        "summary",
        stable_hash("summary", describe_key, load_template("summary").version, "facts-1"),
        tuple[str, str],
        lambda: _summarize(describer, context, analysis, language),
    )
    names = context.sheet.names()
    # the bank now holds the descriptors the descriptions gave
    return Described(language, descriptions, describe_key, title, summary, names, context.bank)


def _translate(
    source: Described, language: str, translator: Lazy[Translator], work: WorkDir
) -> Described:
    """`source` in another language: descriptions, title and summary, each stored once made."""
    key = stable_hash(
        "translate", source.key, language, translator().model_id, translator().version
    )

    def run() -> tuple[list[Description], str, str]:
        descriptions = translate_descriptions(source.descriptions, language, translator())
        heads = [text for text in (source.title, source.summary) if text]
        done = iter(translator().translate(heads, source.language, language) if heads else [])
        title = next(done) if source.title else ""
        summary = next(done) if source.summary else ""
        return descriptions, title, summary

    descriptions, title, summary = work.stage(
        "translate", key, tuple[list[Description], str, str], run
    )
    return Described(language, descriptions, key, title, summary, source.characters, source.bank)


def _speak(
    described: Described,
    info: VideoInfo,
    job: NarrateJob,
    analysis: Analysis,
    describer: Lazy[Describer],
    work: WorkDir,
    chosen: VoiceChoice,
) -> Script:
    """Speak what fits in each scene's slot with the `chosen` voice, and return the script."""
    settings = job.settings
    language = described.language
    slots = {item.scene.index: item.slot for item in analysis.inputs}
    items = [(d, slots[d.scene]) for d in described.descriptions if d.text and not d.skip]
    voice = Lazy(lambda: chosen.create(language, state_folder(work, chosen)))
    level = analysis.speech.dialogue_rms_db
    speak = SpeakSettings(settings.voice, settings.fit, round(float(level), 1), info.frame_seconds)
    voice_key = stable_hash("voice", described.key, speak, chosen.identity)
    try:
        cues = speak_descriptions(items, voice, describer, work, voice_key, speak)
    finally:
        voice.close()
    script = _script(info, language, cues, settings, job)
    script.characters = dict(described.characters)
    if described.bank.characters:
        script.character_bank = described.bank
        script.cues = mentioned_people(script.cues, described.bank)
    script.title, script.summary = described.title or None, described.summary or None
    return script


def _summarize(
    describer: Lazy[Describer], context: SceneContextBuilder, analysis: Analysis, language: str
) -> tuple[str, str]:
    """Title and summary: by the model from the bounded story, else from what was read and heard."""
    summarize = getattr(describer(), "summarize", None)
    story = " ".join([context.synopsis.text, *context.window]).strip()
    title, summary = "", ""
    if summarize is not None and story:
        lines = tuple(s.text for s in analysis.dialogue if s.text)[:12]
        title, summary = summarize(story, lines, language)
    if title and summary:
        return title, summary
    texts = [text for item in analysis.inputs for text in item.text]
    duration = analysis.scenes[-1].end if analysis.scenes else 0.0
    facts = facts_title_summary(texts, analysis.dialogue, duration, len(analysis.scenes), language)
    return title or facts[0], summary or facts[1]


def _script(
    info: VideoInfo, language: str, cues: list[Cue], settings: NarrateSettings, job: NarrateJob
) -> Script:
    recorded = settings.recorded()
    return Script(
        video=job.video.name,
        language=language,
        duration=info.duration,
        cues=cues,
        settings=recorded,
    )
