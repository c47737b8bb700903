"""The caption worker: the one class both runners use.

`prepare` is the CPU half (probe, one decode pass, clips, keyframes as JPEG
bytes) and runs in worker processes or Ray CPU actors, ahead of the model.
`describe` is the model half: it captions the clips of a batch of prepared
videos with one describer, batching across videos, and returns one row per
video. JPEG bytes travel between the halves, so the halves can sit on
different machines. Neither half raises for a bad video: it becomes a failed
row with its one-line error, and the run goes on.
"""

from __future__ import annotations

import io
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autodescribe.analysis.characters import characters_enabled
from autodescribe.analysis.onscreen_text import TextReader
from autodescribe.backends.characters import FaceAnalyzer, face_analyzers
from autodescribe.backends.describe import make_describer
from autodescribe.backends.describe.base import Draft, finish_answers, parse_title_summary
from autodescribe.bulk.cast import clip_casts
from autodescribe.bulk.clips import scene_spans, stride_spans
from autodescribe.bulk.look_write import Clip, Written, caption_in_two_passes, spread_frames
from autodescribe.bulk.manifest import VideoItem
from autodescribe.bulk.rows import TIMING_KEYS, CaptionRow, ClipCaption, failed_row
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.config import CharacterSettings
from autodescribe.errors import (
    AutodescribeError,
    BackendUnavailable,
    ConfigError,
    ModelNotAvailable,
)
from autodescribe.types import Cast
from autodescribe.util.lazy import Lazy
from autodescribe.writing.clean import Answer, within_budget
from autodescribe.writing.prompts import Template, load_template, timestamp
from autodescribe.writing.two_pass import make_writer, uses_two_passes

log = logging.getLogger(__name__)

# Setup problems that would fail every video alike: stop the run instead of writing failed rows.
FATAL = (BackendUnavailable, ModelNotAvailable, ConfigError)


@dataclass(frozen=True)
class PreparedClip:
    start: float
    end: float
    frame_times: tuple[float, ...]
    frames: tuple[bytes, ...]  # JPEG
    cast: Cast | None = None  # who is on screen; None with characters off


@dataclass(frozen=True)
class PreparedVideo:
    """A video ready for the model, or the reason it is not (`error`)."""

    item: VideoItem
    duration: float | None = None
    clips: tuple[PreparedClip, ...] = ()
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Captioned:
    captions: list[str]
    model: str
    prompt_version: str
    seconds: float
    notes: list[str] | None = None  # two passes: each clip's notes
    candidates: list[tuple[str, ...]] | None = None  # the other captions offered per clip


class CaptionWorker:
    """Prepares videos on CPU and captions prepared batches; the model loads on first use."""

    def __init__(self, settings: CaptionSettings, device: str | None = None) -> None:
        self.settings = settings
        self.device = device
        self._describer: Lazy[Any] = Lazy(self._create_describer)
        self._writer: Lazy[Any] = Lazy(lambda: make_writer(settings))
        self._reader: Lazy[TextReader] = Lazy(TextReader)  # for describers that do not read
        self._characters = CharacterSettings(enabled=settings.characters)
        self._count_faces = characters_enabled(self._characters)  # warns once when missing
        self._faces: Lazy[FaceAnalyzer] = Lazy(
            lambda: face_analyzers.create(self._characters.backend)
        )

    # -- CPU half ------------------------------------------------------------------

    def prepare(self, item: VideoItem) -> PreparedVideo:
        """Probe and decode once; never raises for a bad file."""
        from autodescribe.media.probe import probe

        timings: dict[str, float] = {}
        started = time.perf_counter()
        try:
            info = probe(Path(item.path))
            timings["probe"] = time.perf_counter() - started
            clips = self._clips(info)
            timings["decode"] = time.perf_counter() - started - timings["probe"]
            return PreparedVideo(item=item, duration=info.duration, clips=clips, timings=timings)
        except AutodescribeError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one odd file must not end a bulk run
            log.warning("%s: preparing failed", item.path, exc_info=True)
            error = one_line(exc)
        timings.setdefault("probe", time.perf_counter() - started)
        return PreparedVideo(item=item, error=error, timings=timings)

    def _clips(self, info: Any) -> tuple[PreparedClip, ...]:
        """Clips with their keyframes as JPEG bytes, from one decode into a scratch folder."""

        settings = self.settings
        with tempfile.TemporaryDirectory(prefix="autodescribe-caption-") as scratch:
            folder = Path(scratch)
            if settings.stride is None:
                spans, stills = scene_spans(info, settings, folder)
            else:
                spans, stills = stride_spans(info, settings, folder)
            paths = {s.time: Path(s.path) for s in stills}
            casts: list[Cast | None] = [None] * len(spans)
            if self._count_faces:
                casts = list(clip_casts(spans, paths, self._characters, self._faces(), folder))
            return tuple(
                PreparedClip(
                    start=start,
                    end=end,
                    frame_times=times,
                    frames=tuple(paths[t].read_bytes() for t in times),
                    cast=cast,
                )
                for (start, end, times), cast in zip(spans, casts, strict=True)
            )

    # -- model half ----------------------------------------------------------------

    def open(self) -> None:
        """Create the describer (and load its weights) now, so a bad setup fails before work."""
        load = getattr(self._describer(), "load", None)
        if callable(load):
            load()

    def describe(self, videos: Sequence[PreparedVideo]) -> list[CaptionRow]:
        """One row per video, in order; a model failure fails only the videos it touched."""
        ready = [v for v in videos if v.error is None]
        rows: dict[str, CaptionRow] = {}
        if ready:
            try:
                rows = {r.id: r for r in self._describe_ready(ready)}
            except FATAL:
                raise
            except Exception as exc:  # noqa: BLE001 - isolate the video that broke the batch
                if len(ready) > 1:
                    log.info("a batch of %d failed (%s): retrying one by one", len(ready), exc)
                    rows = {r.id: r for v in ready for r in self.describe([v])}
                else:
                    log.warning("%s: describing failed", ready[0].item.path, exc_info=True)
                    video = ready[0]
                    rows = {video.item.id: _failed(video, one_line(exc))}
        return [rows.get(v.item.id) or _failed(v, v.error or "not described") for v in videos]

    def _describe_ready(self, videos: list[PreparedVideo]) -> list[CaptionRow]:
        describer = self._describer()
        if callable(getattr(describer, "generate", None)):
            captioned = self._caption_with_prompt(describer, videos)
            started = time.perf_counter()
            summaries = self._summaries(describer, [c.captions for c in captioned])
            summary_share = (time.perf_counter() - started) / len(videos)
        else:
            captioned = [self._caption_with_requests(v) for v in videos]
            summaries = [("", _joined(c.captions)) for c in captioned]
            summary_share = 0.0
        return [
            _row(video, result, title, summary, summary_share)
            for video, result, (title, summary) in zip(videos, captioned, summaries, strict=True)
        ]

    def _caption_with_prompt(self, describer: Any, videos: list[PreparedVideo]) -> list[_Captioned]:
        """Chat describers: our caption template, every clip of the batch in `batch_size` calls."""
        if uses_two_passes(self.settings, by_default=False):  # throughput first
            return self._caption_in_two_passes(describer, videos)
        template = load_template(self.settings.template_name)
        words = int(template.fields("settings")["words"])
        max_images = describer.capabilities.max_images
        jobs = [(v, i) for v, video in enumerate(videos) for i, c in enumerate(video.clips)]
        jobs = [(v, i) for v, i in jobs if videos[v].clips[i].frames]
        convs = [clip_conversation(template, videos[v], i, words, max_images) for v, i in jobs]
        started = time.perf_counter()
        answers: list[str] = []
        size = self.settings.batch_size
        for first in range(0, len(convs), size):
            answers += describer.generate(
                convs[first : first + size], describer.max_new_tokens(words)
            )
        drafts = [Draft(a, words, "en", c) for a, c in zip(answers, convs, strict=True)]
        finished = _within(describer, finish_answers(drafts, describer), words)
        per_clip = (time.perf_counter() - started) / max(1, len(convs))
        captions = [[""] * len(video.clips) for video in videos]
        for (v, i), caption in zip(jobs, finished, strict=True):
            captions[v][i] = caption
        return [
            _Captioned(
                captions=captions[v],
                model=describer.model_id,
                prompt_version=template.version,
                seconds=per_clip * sum(1 for clip in video.clips if clip.frames),
            )
            for v, video in enumerate(videos)
        ]

    def _caption_in_two_passes(
        self, describer: Any, videos: list[PreparedVideo]
    ) -> list[_Captioned]:
        """Notes for every clip of the batch, then captions in clip order (see `look_write`)."""
        template = load_template(self.settings.template_name)
        words = int(template.fields("settings")["words"])
        clips = [
            Clip(v, i + 1, len(video.clips), c.start, c.end, c.frames)
            for v, video in enumerate(videos)
            for i, c in enumerate(video.clips)
            if c.frames
        ]
        writer = self._writer() or describer
        started = time.perf_counter()
        written = caption_in_two_passes(
            describer,
            writer,
            template,
            clips,
            words,
            self.settings.batch_size,
            self.settings.candidates,
        )
        per_clip = (time.perf_counter() - started) / max(1, len(clips))
        found = {(c.video, c.number): w for c, w in zip(clips, written, strict=True)}
        results = []
        for v, video in enumerate(videos):
            # a clip without frames was not captioned: it keeps an empty caption
            done = [found.get((v, n), Written("", "")) for n in range(1, len(video.clips) + 1)]
            results.append(
                _Captioned(
                    captions=[w.caption for w in done],
                    model=writer.model_id,
                    prompt_version=f"{template.version}+{load_template('look').version}",
                    seconds=per_clip * sum(1 for clip in video.clips if clip.frames),
                    notes=[w.notes for w in done],
                    candidates=[w.candidates for w in done],
                )
            )
        return results

    def _summaries(self, describer: Any, captions: list[list[str]]) -> list[tuple[str, str]]:
        template = load_template(self.settings.template_name)
        limit = int(template.fields("settings")["summary_words"])
        wanted = [i for i, texts in enumerate(captions) if any(texts)]
        convs = [summary_conversation(template, captions[i], limit) for i in wanted]
        answers: list[str] = []
        size = self.settings.batch_size
        for first in range(0, len(convs), size):
            answers += describer.generate(
                convs[first : first + size], describer.max_new_tokens(limit)
            )
        parsed = [parse_title_summary(answer) for answer in answers]
        drafts = [
            Draft(Answer(summary, getattr(answer, "cut_off", None)), limit)
            for (_, summary), answer in zip(parsed, answers, strict=True)
        ]
        summaries = _within(describer, finish_answers(drafts, describer), limit)
        result = [("", "")] * len(captions)
        for i, (title, _), summary in zip(wanted, parsed, summaries, strict=True):
            result[i] = (title, summary)
        return result

    def _caption_with_requests(self, video: PreparedVideo) -> _Captioned:
        """Describers without `generate` (basic, plugins): the DescribeRequest interface.

        Such describers may keep state across one video's scenes (the basic one
        only repeats a look that changed), so every video gets a fresh instance.
        """
        from autodescribe.backends.describe.base import DescribeContext, DescribeRequest
        from autodescribe.types import Scene

        words = int(load_template(self.settings.template_name).fields("settings")["words"])
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="autodescribe-frames-") as scratch:
            requests, places = [], []
            for i, clip in enumerate(video.clips):
                if not clip.frames:
                    continue
                paths = _write_frames(Path(scratch), i, clip.frames)
                scene = Scene(
                    index=i, start=clip.start, end=clip.end, keyframe_times=clip.frame_times
                )
                context = DescribeContext(on_screen_text=self._read_text(paths))
                requests.append(
                    DescribeRequest(
                        scene=scene,
                        images=paths,
                        image_times=clip.frame_times,
                        word_budget=words,
                        context=context,
                    )
                )
                places.append(i)
            describer = self._describer()
            results = describer.describe_many(requests)
            model = describer.model_id
            self._describer.close()
        captions = [""] * len(video.clips)
        texts = finish_answers([Draft(r.text, words, r.language) for r in results])
        for i, text in zip(places, texts, strict=True):
            captions[i] = within_budget(text, words)
        version = results[0].prompt_version if results else ""
        return _Captioned(captions, model, version, time.perf_counter() - started)

    def _read_text(self, frames: Sequence[Path]) -> tuple[str, ...]:
        """The distinct lines of on-screen text on a clip's frames, as narrate reads them."""
        seen: dict[str, str] = {}
        for frame in frames:
            for text, _ in self._reader().read(frame):
                seen.setdefault(" ".join(text.lower().split()), text)
        return tuple(seen.values())

    def _create_describer(self) -> Any:
        """The chosen describer, on this worker's device, taking batches of `batch_size`."""
        return make_describer(
            self.settings, batch_size=self.settings.batch_size, device=self.device
        )

    def close(self) -> None:
        self._describer.close()
        self._writer.close()
        self._reader.close()
        self._faces.close()


# -- prompts -------------------------------------------------------------------------


def clip_conversation(
    template: Template, video: PreparedVideo, index: int, words: int, max_images: int
) -> list[dict[str, Any]]:
    """The chat for one clip: the style's rules, the clip's frames, then the request."""
    from PIL import Image

    clip = video.clips[index]
    frames = spread_frames(clip.frames, max_images)
    images = [Image.open(io.BytesIO(data)).convert("RGB") for data in frames]
    values = {
        "number": index + 1,
        "count": len(video.clips),
        "duration": clip.end - clip.start,
        "start": timestamp(clip.start),
        "words": words,
    }
    content: list[dict[str, Any]] = [{"type": "image", "image": im} for im in images]
    content.append({"type": "text", "text": template.sections["user"].format(**values)})
    return [
        {"role": "system", "content": [{"type": "text", "text": template.sections["system"]}]},
        {"role": "user", "content": content},
    ]


def summary_conversation(
    template: Template, captions: Sequence[str], words: int
) -> list[dict[str, Any]]:
    listed = "\n".join(f"{n}. {text}" for n, text in enumerate(captions, start=1) if text)
    prompt = template.sections["summary"].format(captions=listed, summary_words=words)
    return [{"role": "user", "content": [{"type": "text", "text": prompt}]}]


def _within(describer: Any, texts: list[str], words: int) -> list[str]:
    """Texts within `words`: whole leading sentences, else one shortening request."""
    out = []
    for text in texts:
        fitted = within_budget(text, words)
        if text and not fitted:
            fitted = within_budget(describer.shorten(text, words, "en"), words)
        out.append(fitted)
    return out


# -- helpers -------------------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _write_frames(folder: Path, clip: int, frames: Sequence[bytes]) -> tuple[Path, ...]:
    paths = []
    for number, data in enumerate(frames):
        path = folder / f"clip{clip:05d}-{number:02d}.jpg"
        path.write_bytes(data)
        paths.append(path)
    return tuple(paths)


def _joined(captions: Sequence[str], limit: int = 60) -> str:
    """A summary for describers that cannot write one: their distinct captions, in order."""
    return within_budget(" ".join(dict.fromkeys(c for c in captions if c)), limit)


def _failed(video: PreparedVideo, error: str) -> CaptionRow:
    row = failed_row(video.item.id, video.item.path, error, video.timings)
    return CaptionRow(**{**row.__dict__, "duration": video.duration})


def _row(
    video: PreparedVideo, result: _Captioned, title: str, summary: str, summary_seconds: float
) -> CaptionRow:
    timings = {**video.timings, "describe": result.seconds, "summary": summary_seconds}
    timings["total"] = sum(timings.get(k, 0.0) for k in TIMING_KEYS if k != "total")
    return CaptionRow(
        id=video.item.id,
        path=video.item.path,
        status="ok",
        duration=video.duration,
        scenes=tuple(
            ClipCaption(
                start=round(c.start, 3),
                end=round(c.end, 3),
                caption=text,
                faces=c.cast.faces if c.cast is not None else None,
                identities=c.cast.ids if c.cast is not None else None,
                notes=result.notes[i] if result.notes is not None else None,
                candidates=result.candidates[i] if result.candidates is not None else None,
            )
            for i, (c, text) in enumerate(zip(video.clips, result.captions, strict=True))
        ),
        summary=summary,
        title=title,
        model=result.model,
        prompt_version=result.prompt_version,
        timings=timings,
    )
