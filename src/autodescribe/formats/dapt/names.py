"""Names shared by the DAPT reader and writer: namespaces, designators, messages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

TT = "http://www.w3.org/ns/ttml"
TTP = "http://www.w3.org/ns/ttml#parameter"
TTM = "http://www.w3.org/ns/ttml#metadata"
TTA = "http://www.w3.org/ns/ttml#audio"
DAPTM = "http://www.w3.org/ns/ttml/profile/dapt#metadata"
EBUTTM = "urn:ebu:tt:metadata"
XML = "http://www.w3.org/XML/1998/namespace"
AD = "urn:autodescribe:metadata"  # our own fields, carried on <metadata> elements

CONTENT_PROFILE = "http://www.w3.org/ns/ttml/profile/dapt1.0/content"
NON_TEXT = "visual.nonText"
ON_SCREEN_TEXT = "visual.text"
SCRIPT_REPRESENTS = f"{NON_TEXT} {ON_SCREEN_TEXT}"
NO_LANGUAGE = "zxx"  # BCP 47: no linguistic content, as for a description of the picture

PREFIXES = {
    "ttp": TTP,
    "ttm": TTM,
    "tta": TTA,
    "daptm": DAPTM,
    "ebuttm": EBUTTM,
    "autodescribe": AD,
}
HINT = "fix the file, or export it again as DAPT (TTML2)"


def q(namespace: str, name: str) -> str:
    """ElementTree's `{namespace}name`."""
    return f"{{{namespace}}}{name}"


def local_name(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def is_tt(element: ET.Element, name: str) -> bool:
    return element.tag == q(TT, name)
