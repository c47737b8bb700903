"""`autodescribe caption`: timed scene captions for a whole dataset, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, get_args

import typer

from autodescribe.bulk.runners import runners
from autodescribe.bulk.settings import CaptionSettings, PromptStyle
from autodescribe.commands import _options as opt
from autodescribe.commands._common import guard, setup_logging

if TYPE_CHECKING:
    RunnerName = opt.Choice
    PromptName = opt.Choice
else:
    RunnerName = opt.choice("RunnerName", runners.names())
    PromptName = opt.choice("PromptName", get_args(PromptStyle))
DEFAULT_RUNNER = RunnerName("local")
DEFAULT_PROMPT = PromptName("short")
CAPTION_CHARACTERS = opt.CharactersName(CaptionSettings.model_fields["characters"].default)


def caption(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="manifest (.csv/.jsonl/.parquet with a 'path' column), folder or glob",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="captions.jsonl or captions.parquet")],
    runner: Annotated[
        RunnerName, typer.Option(help="local processes or a Ray cluster")
    ] = DEFAULT_RUNNER,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address (default: RAY_ADDRESS or a local Ray)")
    ] = None,
    describer: opt.Describer = opt.DEFAULT_DESCRIBER,
    model: opt.Model = None,
    base_url: opt.BaseUrl = None,
    api_key: opt.ApiKey = None,
    look_first: opt.CaptionLookFirst = False,
    writer_model: opt.WriterModel = None,
    writer_base_url: opt.WriterBaseUrl = None,
    candidates: opt.Candidates = 1,
    clips: Annotated[
        str, typer.Option(help="'scenes' (cut at shots) or 'stride:SECONDS' (fixed length)")
    ] = "scenes",
    min_scene: Annotated[
        float, typer.Option(help="shortest scene in seconds (scenes mode); shorter shots merge")
    ] = 2.0,
    frames: Annotated[int, typer.Option(help="keyframes per clip", min=1, max=16)] = 3,
    prompt: Annotated[PromptName, typer.Option(help="caption style")] = DEFAULT_PROMPT,
    characters: Annotated[
        opt.CharactersName,
        typer.Option(
            help="auto: each clip's row gets its face count and the video's identity ids "
            '(when the face models are installed, pip install "autodescribe[faces]")'
        ),
    ] = CAPTION_CHARACTERS,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="caption again the videos that failed before")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="CPU decode workers (default: cores - 1; 0 = decode in this process)", min=0
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="clips per model call", min=1)] = 8,
    verbose: opt.Verbose = False,
    debug: opt.Debug = False,
) -> None:
    """Caption every video of INPUT into one row per video (scenes, summary, title, status).

    Rerunning the same command skips the videos already done, so a killed run resumes.
    """
    setup_logging(verbose)

    def run() -> None:
        from pydantic import ValidationError

        from autodescribe.backends.describe import describer_options
        from autodescribe.bulk.run import caption as run_caption
        from autodescribe.errors import ConfigError

        try:
            settings = CaptionSettings(
                describer=describer.value,
                model=model,
                base_url=base_url,
                api_key=api_key,
                look_first=look_first,
                writer_model=writer_model,
                writer_base_url=writer_base_url,
                candidates=candidates,
                clips=clips,
                min_scene_seconds=min_scene,
                frames=frames,
                prompt=prompt.value,
                characters=characters.value,
                batch_size=batch_size,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(f"invalid option: {first['msg']}") from None
        describer_options(settings)  # a describer that cannot work is refused before any video
        report = run_caption(
            source,
            out,
            settings,
            runner=runner.value,
            workers=workers,
            retry_failed=retry_failed,
            address=address,
        )
        typer.echo(
            f"{report.ok} ok, {report.failed} failed, {report.skipped} already done "
            f"in {report.seconds:.1f} s -> {report.output}",
            err=True,
        )

    guard(run, debug)


def register(app: typer.Typer) -> None:
    app.command()(caption)
