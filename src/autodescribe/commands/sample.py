"""`autodescribe sample PATH`: a generated video to try `narrate` on without a film at hand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autodescribe.commands._common import guard


def sample(
    path: Annotated[Path, typer.Argument(help="where to write the sample video")] = Path(
        "sample.mp4"
    ),
    duration: Annotated[float, typer.Option(metavar="SECONDS", help="length")] = 12.0,
) -> None:
    """Write a generated sample video (cuts, dialogue, on-screen text) to try narrate on."""
    # The one product module that uses the test media generator: the sample is its output.
    from autodescribe.testing.samples import make_sample_video
    from autodescribe.testing.truth import spread_plan

    plan = {} if duration == 12.0 else spread_plan(duration)
    guard(lambda: make_sample_video(path, **plan), debug=False)
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.command()(sample)
