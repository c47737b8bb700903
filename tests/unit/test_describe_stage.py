"""The describe stage repairs writing-rule slips and shortens answers over budget, with a real describer."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from autodescribe.backends.describe.basic import BasicDescriber
from autodescribe.types import Gap, OnScreenText, Scene
from autodescribe.util.cache import WorkDir
from autodescribe.util.lazy import Lazy
from autodescribe.writing.describe import SceneInput, describe_scenes


def _scene_input(tmp_path: Path, index: int, budget: int, text: str) -> SceneInput:
    still = tmp_path / f"{index}.jpg"
    Image.new("RGB", (64, 36), (200, 30, 30)).save(still)
    scene = Scene(
        index=index, start=index * 5.0, end=index * 5.0 + 5.0, keyframe_times=(index * 5.0,)
    )
    return SceneInput(
        scene=scene,
        slot=Gap(scene.start, scene.start + budget / 2.7, budget),
        stills=(still,),
        text=(OnScreenText(time=scene.start, text=text),),
    )


def test_answers_keep_to_their_budget_and_are_stored(tmp_path: Path) -> None:
    inputs = [
        _scene_input(tmp_path, 0, 12, "EXIT 12"),
        _scene_input(tmp_path, 1, 4, "PLATFORM NINE NORTH BOUND"),
    ]
    work = WorkDir(tmp_path / "work")
    describer = Lazy(BasicDescriber)
    first = describe_scenes(inputs, describer, work, "k", "en", 1)
    assert "EXIT 12" in first[0].text
    assert all(
        len(d.text.split()) <= i.slot.word_budget for d, i in zip(first, inputs, strict=True)
    )

    def no_describer() -> BasicDescriber:
        raise AssertionError("a stored description was asked for again")

    again = describe_scenes(inputs, Lazy(no_describer), work, "k", "en", 1)
    assert again == first
