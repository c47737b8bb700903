"""Faces marked on the frames a model sees: a labelled box on each person (`--mark-faces`).

Drawing a box and a label on each face in the frames sent to a vision model
(visual prompting, as AutoAD-Zero does) lets the model tie the names in the
prompt to the people in the picture. The label is the name the film gave (from
the scene it gave it on), else the identity's short tag ("P1" for person-1),
which the prompt's people line repeats ("a person, marked P1, left, medium").

Boxes come from the characters stage, which keeps, per scene and identity, the
largest face and the keyframe it was on; a box is drawn on that keyframe only,
so a box never sits where the face was not measured. The marked frames are
copies in the work folder: the stills the other stages read are never changed.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from autodescribe.types import Character, CharacterBank
from autodescribe.util.cache import write_atomic
from autodescribe.writing.describe import SceneInput

VERSION = "face-marks-1"  # bump when the drawing changes, so stored marked frames are redrawn
BOX = (255, 214, 0)  # a saturated yellow, seen on light and dark pictures alike
INK = (0, 0, 0)
Box = tuple[float, float, float, float]  # x, y, width, height as fractions of the frame


def mark_tag(character: Character, scene: int) -> str:
    """What a box says in `scene`: the name given by then, else "P" and the identity's
    number ("person-3" -> "P3")."""
    name = character.name_by(scene)
    if name:
        return name
    number = re.search(r"(\d+)$", character.id)
    return f"P{number.group(1)}" if number else character.id


def marked_inputs(
    inputs: Sequence[SceneInput], bank: CharacterBank, folder: Path
) -> list[SceneInput]:
    """`inputs` with each still that shows a known face replaced by a marked copy in `folder`."""
    faces: dict[float, list[tuple[Box, str]]] = defaultdict(list)
    for character in bank.characters:
        for appearance in character.appearances:
            faces[appearance.time].append((appearance.box, mark_tag(character, appearance.scene)))
    out = []
    for item in inputs:
        stills = []
        for time, still in zip(item.scene.keyframe_times, item.stills, strict=True):
            if time not in faces:
                stills.append(still)
                continue
            target = folder / f"{still.stem}.marked.jpg"
            if not target.is_file():
                write_atomic(target, draw_marks(still, faces[time]))
            stills.append(target)
        out.append(replace(item, stills=tuple(stills)))
    return out


def draw_marks(still: Path, faces: Sequence[tuple[Box, str]]) -> bytes:
    """A JPEG of `still` with a box around each face and its label above it (below at the top)."""
    with Image.open(still) as image:
        picture = image.convert("RGB")
    draw = ImageDraw.Draw(picture)
    line = max(2, round(min(picture.size) / 180))
    font = ImageFont.load_default(size=max(10, round(picture.height / 24)))
    for (x, y, w, h), label in faces:
        left, top = round(x * picture.width), round(y * picture.height)
        right, bottom = round((x + w) * picture.width), round((y + h) * picture.height)
        draw.rectangle((left, top, right, bottom), outline=BOX, width=line)
        _label(draw, font, label, left, top, bottom, picture.height)
    data = io.BytesIO()
    picture.save(data, format="JPEG", quality=90)
    return data.getvalue()


def _label(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    text: str,
    left: int,
    top: int,
    bottom: int,
    height: int,
) -> None:
    """Black text on a yellow tab, above the box, or below it when there is no room above."""
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
    pad = 3
    tall = y1 - y0 + 2 * pad
    y = top - tall if top - tall >= 0 else min(bottom, height - tall)
    draw.rectangle((left, y, left + x1 - x0 + 2 * pad, y + tall), fill=BOX)
    draw.text((left + pad - x0, y + pad - y0), text, fill=INK, font=font)
