"""`autodescribe narrate VIDEO`: describe, voice, mix and deliver, resuming from the work folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autodescribe.commands import _options as opt
from autodescribe.commands._common import guard, require_text_path, setup_logging


def narrate(
    video: Annotated[Path, typer.Argument(metavar="VIDEO", help="the video to describe")],
    out_dir: opt.OutDir = None,
    describer: opt.Describer = opt.DEFAULT_DESCRIBER,
    model: opt.Model = None,
    base_url: opt.BaseUrl = None,
    api_key: opt.ApiKey = None,
    look_first: opt.LookFirst = None,
    writer_model: opt.WriterModel = None,
    writer_base_url: opt.WriterBaseUrl = None,
    candidates: opt.Candidates = 1,
    translator: Annotated[
        opt.TranslatorName,
        typer.Option(help="none: describe each language; else translate from the first one"),
    ] = opt.DEFAULT_TRANSLATOR,
    voice: opt.Voice = opt.DEFAULT_VOICE,
    voice_name: opt.VoiceModel = None,
    voice_sample: opt.VoiceSample = None,
    language: Annotated[
        list[str] | None,
        typer.Option(
            "--language", "-l", metavar="CODE", help="description language; repeat for several"
        ),
    ] = None,
    shots: Annotated[opt.ShotDetectorName, typer.Option(help="shot detector")] = (
        opt.DEFAULT_SHOTS
    ),
    min_scene: Annotated[
        float, typer.Option(metavar="SECONDS", help="shortest scene; shorter shots merge")
    ] = 2.0,
    characters: Annotated[
        opt.CharactersName,
        typer.Option(
            help="find the people by their faces and name them once the film does "
            '(auto: when the face models are installed, pip install "autodescribe[faces]"); '
            "off: no face is looked for"
        ),
    ] = opt.DEFAULT_CHARACTERS,
    mark_faces: Annotated[
        bool,
        typer.Option(
            "--mark-faces",
            help="draw a labelled box on each person's face in the frames the describer sees "
            "(the name, else P1, P2...)",
        ),
    ] = False,
    extended: opt.Extended = opt.DEFAULT_EXTENDED,
    loudness: opt.Loudness = opt.DEFAULT_LOUDNESS,
    container: Annotated[
        str | None,
        typer.Option(
            metavar="mp4|mov|mkv|webm",
            help="container of the described video (default: the input's)",
        ),
    ] = None,
    original_default: opt.OriginalDefault = False,
    hls: opt.Hls = False,
    dash: Annotated[bool, typer.Option("--dash", help="also write an MPEG-DASH package")] = False,
    force: Annotated[bool, typer.Option("--force", help="redo every stage")] = False,
    wait: opt.Wait = False,
    verbose: opt.Verbose = False,
    debug: opt.Debug = False,
) -> None:
    """Describe VIDEO: write NAME.described.mp4, NAME.ad.wav, the script (JSON, VTT, SRT, DAPT,
    text) and NAME.qc.json."""
    setup_logging(verbose)

    def run() -> None:
        from autodescribe.config import (
            CharacterSettings,
            DescribeSettings,
            FitSettings,
            NarrateJob,
            NarrateSettings,
            RenderSettings,
            SceneSettings,
            ShotSettings,
            TranslateSettings,
        )
        from autodescribe.pipeline import check_settings
        from autodescribe.pipeline import narrate as run_pipeline

        require_text_path(video, "video")
        require_text_path(out_dir or video.parent, "output folder")
        chosen_translator = translator.value if translator.value != opt.NO_TRANSLATOR else None
        settings = NarrateSettings(
            languages=language or ["en"],
            shots=ShotSettings(detector=shots.value),
            scenes=SceneSettings(min_scene_seconds=min_scene),
            describe=DescribeSettings(
                describer=describer.value,
                model=model,
                base_url=base_url,
                api_key=api_key,
                look_first=look_first,
                writer_model=writer_model,
                writer_base_url=writer_base_url,
                candidates=candidates,
            ),
            translate=TranslateSettings(translator=chosen_translator),
            characters=CharacterSettings(enabled=characters.value, mark_faces=mark_faces),
            voice=opt.voice_settings(voice, voice_name, voice_sample),
            fit=FitSettings(extended=extended.value),
            render=RenderSettings(
                loudness=loudness.value,
                described_default=not original_default,
                hls=hls,
                dash=dash,
                container=container,  # type: ignore[arg-type]
            ),
            force=force,
        )
        job = NarrateJob(video=video, out_dir=out_dir or video.parent, settings=settings, wait=wait)
        check_settings(job)
        result = run_pipeline(job)
        for deliverables in result.outputs.values():
            for path in deliverables.files():
                typer.echo(str(path))
        for deliverables in result.outputs.values():
            typer.echo(deliverables.qc_line, err=True)

    guard(run, debug)


def register(app: typer.Typer) -> None:
    app.command()(narrate)
