"""Subcommands beyond `narrate`: each module here defines `register(app)`.

`autodescribe.cli` imports every public module of this package and lets it add
its commands, so a new command is a new file and nothing else changes. Modules
must import heavy libraries inside their command functions only.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    """Add the commands of every public module in this package to `app`."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}").register(app)
