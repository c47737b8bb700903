"""`autodescribe render VIDEO --script S`: deliver from an edited script without describing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autodescribe.commands import _options as opt
from autodescribe.commands._common import guard, setup_logging


def render(
    video: Annotated[
        Path, typer.Argument(metavar="VIDEO", help="the programme the script describes")
    ],
    script: Annotated[
        Path,
        typer.Option(
            "--script", "-s", metavar="FILE", help="edited script: .script.json, .vtt, .srt, .ttml"
        ),
    ],
    out_dir: opt.OutDir = None,
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help="output base name (default: the video's)")
    ] = None,
    language: Annotated[
        str, typer.Option("--language", "-l", metavar="CODE", help="language of a VTT/SRT script")
    ] = "en",
    voice: opt.Voice = opt.DEFAULT_VOICE,
    voice_name: opt.VoiceModel = None,
    voice_sample: opt.VoiceSample = None,
    extended: opt.Extended = opt.DEFAULT_EXTENDED,
    loudness: opt.Loudness = opt.DEFAULT_LOUDNESS,
    original_default: opt.OriginalDefault = False,
    hls: opt.Hls = False,
    dash: Annotated[bool, typer.Option("--dash", help="also write an MPEG-DASH package")] = False,
    force: Annotated[bool, typer.Option("--force", help="voice every cue again")] = False,
    revoice: Annotated[
        bool,
        typer.Option("--revoice", help="speak every cue, even where the script has its own audio"),
    ] = False,
    wait: opt.Wait = False,
    verbose: opt.Verbose = False,
    debug: opt.Debug = False,
) -> None:
    """Voice, mix and deliver VIDEO from an edited script (no describer is called)."""
    setup_logging(verbose)

    def run() -> None:
        from autodescribe.config import (
            FitSettings,
            NarrateJob,
            NarrateSettings,
            RenderSettings,
        )
        from autodescribe.render.from_script import render_script

        settings = NarrateSettings(
            languages=[language],
            voice=opt.voice_settings(voice, voice_name, voice_sample),
            fit=FitSettings(extended=extended.value),
            render=RenderSettings(
                loudness=loudness.value,
                described_default=not original_default,
                hls=hls,
                dash=dash,
            ),
            force=force,
        )
        job = NarrateJob(video=video, out_dir=out_dir or video.parent, settings=settings, wait=wait)
        deliverables = render_script(job, script, name, revoice=revoice)
        for path in deliverables.files():
            typer.echo(str(path))
        typer.echo(deliverables.qc_line, err=True)

    guard(run, debug)


def register(app: typer.Typer) -> None:
    app.command()(render)
