"""The canonical script: `NAME.script.json`, versioned, everything a re-render needs.

Times are seconds as written by the pipeline (full precision); the other
formats are views of this one.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from autodescribe.errors import MediaError
from autodescribe.formats import read_text
from autodescribe.types import SCRIPT_VERSION, Cue, Script, from_jsonable, to_jsonable
from autodescribe.util.cache import write_atomic

_HINT = "fix the file, or write it again with autodescribe"


def write_script(script: Script, path: Path) -> None:
    """Write `script` as indented UTF-8 JSON, atomically."""
    data = to_jsonable(script, Script)
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_script(path: Path) -> Script:
    """Load a script, refusing files from a newer major version or with bad fields."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise MediaError(
            f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg})", _HINT
        ) from exc
    if not isinstance(data, dict) or "cues" not in data:
        raise MediaError(f"{path.name} is not an autodescribe script (no 'cues')", _HINT)
    version = str(data.get("version", SCRIPT_VERSION))
    if _major(version) > _major(SCRIPT_VERSION):
        raise MediaError(
            f"{path.name} is script version {version}; this autodescribe reads {SCRIPT_VERSION}",
            "upgrade autodescribe",
        )
    try:
        script: Script = from_jsonable(Script, data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise MediaError(f"{path.name}: bad value at {where} ({first['msg']})", _HINT) from exc
    return script


def read_cues(path: Path) -> list[Cue]:
    """The cues of a script file (what `formats.read_cues` needs)."""
    return list(read_script(path).cues)


def _major(version: str) -> int:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 0
