"""`autodescribe render VIDEO --script S`: deliver from an edited script without describing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from autodescribe.commands._common import guard, setup_logging


def render(
    video: Annotated[Path, typer.Argument(help="the programme the script describes")],
    script: Annotated[
        Path, typer.Option("--script", "-s", help="edited script: .script.json, .vtt, .srt, .ttml")
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("-o", "--out-dir", help="output folder (default: beside the video)"),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="output base name (default: the video's name)")
    ] = None,
    language: Annotated[
        str, typer.Option("--language", "-l", help="language of a VTT/SRT script")
    ] = "en",
    voice: Annotated[str, typer.Option(help="voice backend: piper | espeak-ng")] = "piper",
    voice_name: Annotated[str | None, typer.Option(help="voice model name or .onnx path")] = None,
    extended: Annotated[
        str, typer.Option(help="auto | on | off: freeze the picture for what does not fit")
    ] = "auto",
    loudness: Annotated[str, typer.Option(help="loudness preset: ebu | netflix | atsc")] = "ebu",
    original_default: Annotated[
        bool, typer.Option("--original-default", help="make the original audio the default track")
    ] = False,
    hls: Annotated[bool, typer.Option("--hls", help="also write an HLS package")] = False,
    force: Annotated[bool, typer.Option("--force", help="voice every cue again")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log each stage")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    """Voice, mix and deliver VIDEO from an edited script (no describer is called)."""
    setup_logging(verbose)

    def run() -> None:
        from autodescribe.config import (
            FitSettings,
            NarrateJob,
            NarrateSettings,
            RenderSettings,
            VoiceSettings,
        )
        from autodescribe.errors import ConfigError
        from autodescribe.rerender import render_script

        if extended not in ("auto", "on", "off") or loudness not in ("ebu", "netflix", "atsc"):
            raise ConfigError(
                f"unknown --extended '{extended}' or --loudness '{loudness}'",
                "use --extended auto|on|off and --loudness ebu|netflix|atsc",
            )
        mode: Literal["auto", "on", "off"] = extended  # type: ignore[assignment]
        settings = NarrateSettings(
            languages=[language],
            voice=VoiceSettings(voice=voice, name=voice_name),
            fit=FitSettings(extended=mode),
            render=RenderSettings(
                loudness=loudness,  # type: ignore[arg-type]
                described_default=not original_default,
                hls=hls,
            ),
            force=force,
        )
        job = NarrateJob(video=video, out_dir=out_dir or video.parent, settings=settings)
        for path in render_script(job, script, name).files():
            typer.echo(str(path))

    guard(run, debug)


def register(app: typer.Typer) -> None:
    app.command()(render)
