"""W3C DAPT (Dubbing and Audio description Profiles of TTML2): `NAME.dapt.ttml`.

Broadcasters and AD houses exchange description scripts as DAPT, so this is
the format a describer's tool or a mixing desk can take without knowing us.
`write_dapt` writes our script as an audio description script (`write`);
`read_dapt_script` reads any DAPT document the way the specification maps it
to Script Events (`events`, `read`), with TTML2 timing (`timing`) and errors
that name the line (`tree`).
"""

from __future__ import annotations

from autodescribe.formats import CUE_READERS
from autodescribe.formats.dapt.names import CONTENT_PROFILE, SCRIPT_REPRESENTS
from autodescribe.formats.dapt.read import read_dapt, read_dapt_script
from autodescribe.formats.dapt.timing import parse_time
from autodescribe.formats.dapt.write import reads_on_screen_text, write_dapt

# the file suffixes read as DAPT: those `CUE_READERS` sends here
SUFFIXES = tuple(s for s, target in CUE_READERS.items() if target.startswith(f"{__name__}:"))

__all__ = [
    "CONTENT_PROFILE",
    "SCRIPT_REPRESENTS",
    "SUFFIXES",
    "parse_time",
    "read_dapt",
    "read_dapt_script",
    "reads_on_screen_text",
    "write_dapt",
]
