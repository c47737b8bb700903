"""A DAPT file parsed into an ElementTree that remembers the line each element starts on.

Errors about a document name the place: `NAME line 12 <div xml:id="a3">: why`.
The parser refuses a document type declaration: DAPT documents have none
(§ Document Encoding), and refusing it also refuses entity expansion.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from autodescribe.errors import MediaError
from autodescribe.formats.dapt.names import HINT, TT, XML, local_name, q


class _Refused(Exception):
    """Raised from inside the parser for XML that DAPT does not allow."""


@dataclass(frozen=True)
class Document:
    """The parsed file: its root and where each element starts."""

    name: str
    root: ET.Element
    lines: dict[ET.Element, int] = field(repr=False)

    def where(self, element: ET.Element) -> str:
        """`line 12 <div xml:id="a3">`: enough to find the element in an editor."""
        ident = element.get(q(XML, "id"))
        tag = f'<{local_name(element)} xml:id="{ident}">' if ident else f"<{local_name(element)}>"
        line = self.lines.get(element)
        return f"line {line} {tag}" if line else tag

    def error(self, element: ET.Element, why: str, hint: str = HINT) -> MediaError:
        return MediaError(f"{self.name} {self.where(element)}: {why}", hint)


def parse_document(path: Path) -> Document:
    """The file as a TTML document, or a one-line MediaError saying where and why not."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"cannot read script {path} ({exc.strerror})", "check the path") from exc
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = expat.ParserCreate(namespace_separator="}")

    def start(name: str, attributes: dict[str, str]) -> None:
        named = {_clark(key): value for key, value in attributes.items()}
        lines[builder.start(_clark(name), named)] = parser.CurrentLineNumber

    def doctype(*_: object) -> None:
        raise _Refused("a document type declaration (DAPT documents have none)")

    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_clark(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        raise MediaError(
            f"{path.name} line {exc.lineno}, column {exc.offset + 1}: "
            f"not well-formed XML ({reason})",
            HINT,
        ) from exc
    except _Refused as exc:
        line = parser.CurrentLineNumber
        raise MediaError(f"{path.name} line {line}: {exc}", "remove the <!DOCTYPE>") from exc
    root = builder.close()
    if root.tag != q(TT, "tt"):
        raise MediaError(
            f"{path.name} line {lines.get(root, 1)}: not a TTML document "
            f"(its root is <{local_name(root)}>, not <tt> in {TT})",
            HINT,
        )
    return Document(path.name, root, lines)


def _clark(name: str) -> str:
    """expat's `namespace}local` as ElementTree's `{namespace}local`."""
    return f"{{{name}" if "}" in name else name
