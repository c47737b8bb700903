"""The job page's characters in headless Chromium: faces from real photographs, renamed by keyboard.

The film is cut from face_recognition 1.3.0's test photographs (fetched once
into ~/.cache/autodescribe-test-data; without a network these tests skip,
saying why) and narrated by a real server; each page is scanned with axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autodescribe.analysis.characters import characters_enabled
from autodescribe.config import CharacterSettings
from autodescribe.testing.faces import PhotosUnavailable, fetch_face_photos, make_face_film

FINISHED_TIMEOUT_MS = 300_000
Scan = Callable[[Any], list[dict[str, Any]]]
API = "path => fetch(`/v1/jobs/${new URLSearchParams(location.search).get('id')}/${path}`)"
GET_JSON = f"path => ({API})(path).then(r => r.json())"


@pytest.fixture(scope="module")
def face_film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not characters_enabled(CharacterSettings()):
        pytest.skip('the face models are not installed (pip install "autodescribe[faces]")')
    try:
        photos = fetch_face_photos()
    except PhotosUnavailable as exc:
        pytest.skip(f"test photographs unavailable: {exc}")
    path = tmp_path_factory.mktemp("faces") / "faces.mp4"
    make_face_film(path, photos, size=(640, 360))
    return path


@pytest.fixture(scope="module")
def faces_job(browser: Any, web_server: str, face_film: Path) -> str:
    """The film uploaded through the form; the address of its job page once it has finished."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(web_server + "/")
    page.get_by_label("Video file").set_input_files(str(face_film))
    page.get_by_role("button", name="Upload and describe").click()
    page.wait_for_url(re.compile(r"/job\.html\?id=[0-9a-f-]{36}$"), timeout=30_000)
    url: str = page.url
    page.locator("#job-status", has_text="Finished").wait_for(timeout=FINISHED_TIMEOUT_MS)
    context.close()
    return url


def _api(page: Any, path: str) -> Any:
    """GET /v1/jobs/ID/PATH from the job page, as JSON."""
    return page.evaluate(GET_JSON, path)


def _shown(page: Any, job_url: str) -> list[dict[str, Any]]:
    page.goto(job_url)
    page.locator("#character-list li").first.wait_for()
    characters: list[dict[str, Any]] = _api(page, "characters")
    return characters


def test_characters_show_their_faces_with_alt_text(
    page: Any, faces_job: str, axe_scan: Scan, describe_axe: Any
) -> None:
    characters = _shown(page, faces_job)
    assert len(characters) >= 2 and any(c["name"] == "Barack Obama" for c in characters)
    section = page.get_by_role("region", name="Characters")
    assert section.get_by_role("heading", level=2).inner_text() == "Characters"
    items = page.locator("#character-list > li")
    assert items.count() == len(characters)
    for number, (item, character) in enumerate(zip(items.all(), characters, strict=True), 1):
        name = character["label"] or f"Unnamed person {number}"
        face = item.get_by_role("img")
        assert face.get_attribute("alt") == name
        face.evaluate("img => img.decode()")  # the picture itself loads
        assert face.evaluate("img => img.naturalWidth") > 0
        assert item.get_by_role("heading", level=3).inner_text() == name
        scenes = [f"scene {s + 1}" for s in character["scenes"]]
        assert all(scene in item.inner_text() for scene in scenes), item.inner_text()
        field = item.get_by_label(f"New name for {name}")
        assert field.input_value() == (character["name"] or "")
        assert item.get_by_role("button", name=f"Rename {name}").count() == 1
    violations = axe_scan(page)
    assert not violations, describe_axe(violations)


def test_an_empty_name_is_refused_and_announced(
    page: Any, faces_job: str, axe_scan: Scan, describe_axe: Any
) -> None:
    _shown(page, faces_job)
    field = page.get_by_label("New name for Barack Obama")
    field.fill("  ")
    field.press("Enter")
    alert = page.get_by_role("alert").filter(has_text="Type the new name first.")
    alert.wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == field.get_attribute("id")
    assert alert.get_attribute("id") in field.get_attribute("aria-describedby").split()
    violations = axe_scan(page)
    assert not violations, describe_axe(violations)


def test_renaming_with_the_keyboard_updates_every_cue_and_rerenders(
    page: Any, faces_job: str, axe_scan: Scan, describe_axe: Any
) -> None:
    characters = _shown(page, faces_job)
    obama = next(c for c in characters if c["name"] == "Barack Obama")
    script = _api(page, "script")
    his = [i + 1 for i, cue in enumerate(script["cues"]) if cue["scene"] == obama["scenes"][0]]
    others = [i + 1 for i, cue in enumerate(script["cues"]) if cue["scene"] not in obama["scenes"]]
    # an editor names him in a cue of his first scene, and in one he is not seen in
    page.locator(f"#cue-{his[0]}-text").fill("Barack Obama looks into the camera.")
    page.locator(f"#cue-{others[0]}-text").fill("A man waits for Barack Obama.")
    page.get_by_role("button", name="Save script").click()
    page.locator("#script-status", has_text="Script saved").wait_for()
    page.locator("#qc-section:not([data-verdict='pending'])").wait_for()

    # the offline describer already calls him by name where the film has named him
    named = [
        i + 1
        for i, cue in enumerate(script["cues"])
        if cue["scene"] in obama["scenes"] and "Barack Obama" in cue["text"] and i + 1 != his[0]
    ]
    changed = f"{1 + len(named)} descriptions changed" if named else "1 description changed"
    field = page.get_by_label("New name for Barack Obama")
    field.fill("Anna")
    field.press("Enter")
    status = page.locator("#characters-status")
    status.filter(has_text=f"Renamed Barack Obama to Anna: {changed}.").wait_for()
    assert "Re-rendering" in status.inner_text() and status.get_attribute("role") == "status"
    assert page.locator(f"#cue-{his[0]}-text").input_value() == "Anna looks into the camera."
    assert page.locator(f"#cue-{others[0]}-text").input_value() == "A man waits for Barack Obama."
    renamed = page.locator("#character-list > li", has=page.get_by_role("heading", name="Anna"))
    assert renamed.get_by_role("img").get_attribute("alt") == "Anna"
    focused = page.evaluate("document.activeElement.labels[0].textContent")
    assert focused == "New name for Anna", "the focus stays on the renamed person's field"
    # a second rename while the video is made again is refused, and the reason announced
    again = page.get_by_label("New name for Anna")
    again.fill("Joan")
    again.press("Enter")
    page.get_by_role("alert").filter(has_text="Not renamed: the job is still running").wait_for()
    page.locator("#qc-verdict", has_text="runs again when the re-render finishes").wait_for()
    page.locator("#job-live", has_text="Finished re-rendering").wait_for(
        timeout=FINISHED_TIMEOUT_MS
    )
    page.locator("#qc-section:not([data-verdict='pending'])").wait_for()
    page.locator("#cue-list li", has_text="Anna looks into the camera.").wait_for()
    vtt = page.evaluate("fetch(document.querySelector('#player track').src).then(r => r.text())")
    assert "Anna looks into the camera." in vtt and "A man waits for Barack Obama." in vtt
    page.reload()
    page.locator("#character-list li").first.wait_for()
    assert page.get_by_role("img", name="Anna").count() == 1
    violations = axe_scan(page)
    assert not violations, describe_axe(violations)
