"""Command line: assemble the subcommands of `autodescribe.commands` and map errors to exits.

Usage errors (a bad option, a missing argument, an unknown choice) print one
`error:` line on stderr and exit 2; runtime failures exit 1 (see
`commands._common.guard`). No box drawing: the messages go to logs and to
screen readers as plain lines.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

# Typer carries its own copy of click; its exceptions are the ones raised.
from typer._click import exceptions as click
from typer.core import TyperGroup

from autodescribe import __version__
from autodescribe.commands import register_all


class OneLineErrors(TyperGroup):
    """The command group, with click's usage errors reduced to one `error:` line."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.NoArgsIsHelpError as exc:
            typer.echo(exc.format_message(), err=True)
            sys.exit(2)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "autodescribe"
            message = exc.format_message().replace("Value error, ", "").rstrip(".")
            typer.echo(f"error: {message}; see '{command} --help'", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("interrupted: rerun the same command to resume", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    help="Audio description for video: describe, voice and mix narration between the dialogue.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


register_all(app)


def main() -> None:
    app()
