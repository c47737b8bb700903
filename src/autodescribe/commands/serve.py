"""`autodescribe serve`: the REST API, the web app and the job workers in one command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from autodescribe.commands._common import guard, setup_logging


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    data: Annotated[
        Path, typer.Option(help="folder for the job store, uploads and outputs")
    ] = Path("autodescribe-data"),
    token: Annotated[
        str | None,
        typer.Option(help="bearer token clients must send (or set AUTODESCRIBE_TOKEN)"),
    ] = None,
    workers: Annotated[int, typer.Option(help="worker processes running jobs")] = 1,
    max_upload_mb: Annotated[int, typer.Option(help="largest upload in MiB")] = 2048,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log requests and jobs")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    """Serve the API (/v1, docs at /docs) and the web app; a public address needs a token."""
    setup_logging(verbose)

    def run() -> None:
        from autodescribe.errors import BackendUnavailable, install_hint
        from autodescribe.server.settings import TOKEN_ENV, ServerSettings

        settings = ServerSettings(
            data_dir=data,
            host=host,
            port=port,
            token=token or os.environ.get(TOKEN_ENV) or None,
            workers=workers,
            max_upload_bytes=max_upload_mb << 20,
        )
        settings.check_exposure()
        try:
            import uvicorn

            from autodescribe.server.app import create_app
        except ImportError as exc:
            raise BackendUnavailable(
                f"the server needs {exc.name or 'fastapi'}", install_hint("server")
            ) from exc
        typer.echo(f"serving on http://{host}:{port}/ (API docs at /docs)", err=True)
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="info" if verbose else "warning",
        )

    guard(run, debug)


def register(app: typer.Typer) -> None:
    app.command()(serve)
