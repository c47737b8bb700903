"""The people on screen, as the describer is told about them, and the descriptors they keep.

The characters stage knows, per scene, which identities are on screen, where
(left, centre, right) and how tightly framed (close-up, medium, wide: see
`autodescribe.analysis.characters` for the thresholds). Each describe request
gets that as one short line, "Anna, left, close-up; a man in a grey coat,
right, medium", so the model calls people what the film calls them and the
same person the same thing from scene to scene.

What a person is called: the name from the scene where the film gives it on
(a name read or heard in scene 5 is not used in scene 2); before that the
descriptor kept from the first description of them; before that "a person".
A descriptor is taken once, from the first English description of a scene
where that identity is the only face on screen: the description's first
noun phrase about a person ("a woman in a red coat"), found by the context's
mention finder outside quoted and on-screen text. A bare "a person" or "a
figure" tells nobody apart and is not kept, nor is a descriptor another
identity already holds. Once kept it never changes, so later requests, the
offline describer and the script all use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from autodescribe.backends.describe.base import DescribeContext
from autodescribe.types import CharacterBank, Description, ScenePerson
from autodescribe.writing.clean import mask_on_screen_text
from autodescribe.writing.context import SceneContextBuilder, find_mentions
from autodescribe.writing.face_marks import mark_tag

NEUTRAL = "a person"  # what an identity with neither name nor descriptor is called
_VAGUE = frozenset({"person", "figure", "stranger"})  # bare, these tell nobody apart


def scene_people(bank: CharacterBank, scene: int, marks: bool = False) -> tuple[ScenePerson, ...]:
    """The characters seen in `scene`, left to right, each with what to call them.

    With `marks`, each also says the label of the box drawn on their face.
    """
    people = []
    for character in bank.in_scene(scene):
        appearance = character.in_scene(scene)
        if appearance is None:
            continue
        centre = appearance.box[0] + appearance.box[2] / 2
        person = ScenePerson(
            character.label_in(scene) or NEUTRAL,
            appearance.position,
            appearance.shot_scale,
            character.id,
            mark_tag(character, scene) if marks else "",
        )
        people.append((centre, person))
    return tuple(person for _, person in sorted(people, key=lambda item: item[0]))


def learn_descriptor(bank: CharacterBank, description: Description) -> CharacterBank:
    """The bank after one described scene: its lone unnamed identity may take a descriptor."""
    text = description.text.strip()
    if description.skip or not text or not description.language.lower().startswith("en"):
        return bank
    present = bank.in_scene(description.scene)
    if len(present) != 1 or bank.cast([description.scene]).faces > 1:
        return bank
    person = present[0]
    if person.name_by(description.scene) or person.descriptor:
        return bank
    mention = next(iter(find_mentions(mask_on_screen_text(text))), None)  # not a sign's words
    if mention is None or (not mention.words and mention.kind in _VAGUE):
        return bank
    if any(c.descriptor == mention.descriptor for c in bank.characters):
        return bank  # two people would answer to one descriptor
    return bank.with_descriptor(person.id, mention.descriptor)


class CastContextBuilder(SceneContextBuilder):
    """The running context, plus who is on screen in each scene and the descriptors kept.

    `bank` grows descriptors as scenes are added, in scene order, cached ones
    too, so a rerun asks the same questions. `marks`: the frames carry labelled
    boxes on the faces (see `face_marks`), and the people line says each label.
    """

    def __init__(self, bank: CharacterBank, marks: bool = False, **settings: Any) -> None:
        super().__init__(**settings)
        self.bank = bank
        self.marks = marks

    def request_context(
        self, scene_index: int, on_screen_text: Sequence[str] = (), dialogue: Sequence[str] = ()
    ) -> DescribeContext:
        context = super().request_context(scene_index, on_screen_text, dialogue)
        return replace(context, people=self.people_in(scene_index))

    def people_in(self, scene_index: int) -> tuple[ScenePerson, ...]:
        return scene_people(self.bank, scene_index, self.marks)

    def add(self, description: Description) -> None:
        super().add(description)
        self.bank = learn_descriptor(self.bank, description)
