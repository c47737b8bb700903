"""Generate docs/cli.md, the command-line reference, from the Typer app.

Each command's `--help` text, plain and at a fixed width, so the file is the same
on every machine. Rerun from the repository root after changing a command:

    python -m autodescribe.commands._docs

`tests/unit/test_cli_docs.py` fails while docs/cli.md differs from this output.
Choice lists come from the registries, so a plugin installed through an entry
point shows up here too: generate the file without plugins installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer.main import get_group

from autodescribe.cli import app

WIDTH = 100
DEFAULT_OUTPUT = Path("docs/cli.md")
REGENERATE = "python -m autodescribe.commands._docs"
PROGRAM = "autodescribe"

HEADER = f"""# Command-line reference

Every command's `--help`, generated from the code by `{REGENERATE}`
(run it from the repository root after changing a command). `tests/unit/test_cli_docs.py`
fails while this file is out of date. The choices of `--describer`, `--voice`, `--shots` and
`--translator` list the backends registered when it was generated.
"""


def reference() -> str:
    """The whole reference: the program's help, then each command's, in `--help` order."""
    root = get_group(app)
    top = root.context_class(root, info_name=PROGRAM, terminal_width=WIDTH, color=False)
    sections = [_section(PROGRAM, root.get_help(top))]
    for name in root.list_commands(top):
        command = root.get_command(top, name)
        if command is not None:
            context = command.context_class(command, info_name=name, parent=top)
            sections.append(_section(f"{PROGRAM} {name}", command.get_help(context)))
    return HEADER + "".join(sections)


def _section(title: str, text: str) -> str:
    lines = "\n".join(line.rstrip() for line in text.strip("\n").splitlines())
    return f"\n## `{title}`\n\n```text\n{lines}\n```\n"


def main(argv: list[str] | None = None) -> None:
    """Write the reference to the path given (default docs/cli.md) and print that path."""
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(reference(), encoding="utf-8")
    typer.echo(str(output))


if __name__ == "__main__":
    main()
