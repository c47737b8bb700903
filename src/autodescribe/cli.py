"""Command line: parse options into settings, call the pipeline, map errors to exit codes.

Errors print one line on stderr and exit 1 (2 for usage errors); `--debug`
shows the traceback instead.
"""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from autodescribe import __version__
from autodescribe.commands import register_all
from autodescribe.commands._common import guard, require_text_path, setup_logging

app = typer.Typer(
    help="Audio description for video: describe, voice and mix narration between the dialogue.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("autodescribe")


class ShotsChoice(str, Enum):
    pyscenedetect = "pyscenedetect"
    transnetv2 = "transnetv2"


class ExtendedChoice(str, Enum):
    auto = "auto"
    on = "on"
    off = "off"


class LoudnessChoice(str, Enum):
    ebu = "ebu"
    netflix = "netflix"
    atsc = "atsc"


@app.command()
def narrate(
    video: Annotated[Path, typer.Argument(help="the video to describe")],
    out_dir: Annotated[
        Path | None,
        typer.Option("-o", "--out-dir", help="output folder (default: beside the video)"),
    ] = None,
    describer: Annotated[str, typer.Option(help="basic | transformers | openai | vllm")] = "basic",
    model: Annotated[
        str | None, typer.Option(help="model id or local path for the describer")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible server URL (openai describer)")
    ] = None,
    api_key: Annotated[str | None, typer.Option(help="API key (or set OPENAI_API_KEY)")] = None,
    translator: Annotated[
        str,
        typer.Option(
            help="none: describe each language | llm: translate with the describer | argos"
        ),
    ] = "none",
    voice: Annotated[str, typer.Option(help="voice backend: piper | espeak-ng")] = "piper",
    voice_name: Annotated[str | None, typer.Option(help="voice model name or .onnx path")] = None,
    language: Annotated[
        list[str] | None,
        typer.Option("--language", "-l", help="description language; repeat for several"),
    ] = None,
    shots: Annotated[ShotsChoice, typer.Option(help="shot detector")] = ShotsChoice.pyscenedetect,
    min_scene: Annotated[
        float, typer.Option(help="shortest scene in seconds; shorter shots merge")
    ] = 2.0,
    extended: Annotated[
        ExtendedChoice, typer.Option(help="extended description (freeze the picture)")
    ] = ExtendedChoice.auto,
    loudness: Annotated[
        LoudnessChoice, typer.Option(help="loudness preset of the mix")
    ] = LoudnessChoice.ebu,
    container: Annotated[
        str | None,
        typer.Option(help="mp4 | mov | mkv | webm for the described video (default: the input's)"),
    ] = None,
    original_default: Annotated[
        bool, typer.Option("--original-default", help="make the original audio the default track")
    ] = False,
    hls: Annotated[bool, typer.Option("--hls", help="also write an HLS package")] = False,
    force: Annotated[bool, typer.Option("--force", help="redo every stage")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log each stage")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    """Describe VIDEO: write NAME.described.mp4, NAME.ad.wav, the script (JSON, VTT, SRT, DAPT,
    text) and NAME.qc.json."""
    setup_logging(verbose)
    from autodescribe.config import (
        DescribeSettings,
        FitSettings,
        NarrateJob,
        NarrateSettings,
        RenderSettings,
        SceneSettings,
        ShotSettings,
        TranslateSettings,
        VoiceSettings,
    )

    def run() -> None:
        from autodescribe.pipeline import narrate as run_pipeline

        require_text_path(video, "video")
        require_text_path(out_dir or video.parent, "output folder")
        settings = NarrateSettings(
            languages=language or ["en"],
            shots=ShotSettings(detector=shots.value),
            scenes=SceneSettings(min_scene_seconds=min_scene),
            describe=DescribeSettings(
                describer=describer, model=model, base_url=base_url, api_key=api_key
            ),
            translate=TranslateSettings(translator=translator),
            voice=VoiceSettings(voice=voice, name=voice_name),
            fit=FitSettings(extended=extended.value),
            render=RenderSettings(
                loudness=loudness.value,
                described_default=not original_default,
                hls=hls,
                container=container,  # type: ignore[arg-type]
            ),
            force=force,
        )
        job = NarrateJob(video=video, out_dir=out_dir or video.parent, settings=settings)
        result = run_pipeline(job)
        for deliverables in result.outputs.values():
            for path in deliverables.files():
                typer.echo(str(path))

    guard(run, debug)


@app.command()
def sample(
    path: Annotated[Path, typer.Argument(help="where to write the sample video")] = Path(
        "sample.mp4"
    ),
    duration: Annotated[float, typer.Option(help="seconds")] = 12.0,
) -> None:
    """Write a generated sample video (cuts, dialogue, on-screen text) to try narrate on."""
    from autodescribe.samples import make_sample_video, spread_plan

    plan = {} if duration == 12.0 else spread_plan(duration)
    guard(lambda: make_sample_video(path, **plan), debug=False)
    typer.echo(str(path))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


register_all(app)


def main() -> None:
    app()
