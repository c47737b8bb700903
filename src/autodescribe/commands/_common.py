"""What every command shares: logging to stderr and one-line errors with exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import typer
from pydantic import ValidationError

from autodescribe.errors import AutodescribeError


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def guard(action: Callable[[], Any], debug: bool) -> Any:
    """Run `action`; our errors become one `error:` line on stderr and exit code 1."""
    try:
        return action()
    except AutodescribeError as exc:
        if debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except ValidationError as exc:
        if debug:
            raise
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        typer.echo(f"error: bad value for {where}: {first['msg']}; see --help", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: rerun the same command to resume", err=True)
        raise typer.Exit(130) from None
