"""Characters through the HTTP API, on a film cut from real photographs of faces.

A real app and worker process narrate the film (the characters stage with dlib
finds its people and reads Obama's name from a lower third); the tests list the
characters, download their thumbnails, and rename one: exactly the cues that
mention it change, and the re-render voices only those again.

The photographs (face_recognition 1.3.0's test images) are fetched once into
~/.cache/autodescribe-test-data; without a network the tests skip, saying why.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("python_multipart")
pytest.importorskip("dlib", reason='dlib is not installed (pip install "autodescribe[faces]")')

from fastapi.testclient import TestClient  # noqa: E402

from autodescribe.analysis.characters import characters_enabled  # noqa: E402
from autodescribe.config import CharacterSettings  # noqa: E402
from autodescribe.server.app import create_app  # noqa: E402
from autodescribe.server.settings import ServerSettings  # noqa: E402
from autodescribe.testing.faces import (  # noqa: E402
    FaceFilm,
    PhotosUnavailable,
    fetch_face_photos,
    make_face_film,
)

JPEG = b"\xff\xd8\xff"


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> FaceFilm:
    if not characters_enabled(CharacterSettings()):
        pytest.skip('the face models are not installed (pip install "autodescribe[faces]")')
    try:
        photos = fetch_face_photos()
    except PhotosUnavailable as exc:
        pytest.skip(f"test photographs unavailable: {exc}")
    return make_face_film(tmp_path_factory.mktemp("film") / "faces.mp4", photos, size=(640, 360))


def follow(client: TestClient, job_id: str, timeout: float = 300) -> dict[str, Any]:
    """The job's last status event, once its event stream ends (done or failed)."""
    last: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    with client.stream("GET", f"/v1/jobs/{job_id}/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                last = json.loads(line[5:])
            assert time.monotonic() < deadline, "the job did not finish in time"
    return last


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("characters-data")


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    settings = ServerSettings(data_dir=data_dir, poll_seconds=0.2)
    with TestClient(create_app(settings)) as running:
        yield running


@pytest.fixture(scope="module")
def job_id(client: TestClient, film: FaceFilm) -> str:
    """The film narrated by the server (basic describer, no transcript: it has no sound)."""
    with open(film.path, "rb") as fh:
        created = client.post(
            "/v1/jobs",
            files={"file": ("faces.mp4", fh, "video/mp4")},
            data={"describer": "basic", "transcribe": "false"},
        )
    assert created.status_code == 201, created.text
    ident: str = created.json()["id"]
    assert follow(client, ident)["status"] == "done"
    return ident


def characters(client: TestClient, job_id: str) -> dict[str, dict[str, Any]]:
    answer = client.get(f"/v1/jobs/{job_id}/characters")
    assert answer.status_code == 200, answer.text
    return {c["id"]: c for c in answer.json()}


def named(found: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    return next(c for c in found.values() if c["name"] == name)


def test_characters_and_thumbnails_are_served(
    client: TestClient, job_id: str, data_dir: Path, film: FaceFilm
) -> None:
    found = characters(client, job_id)
    people = {p[0] for scene in film.scenes for p in scene.people}
    assert len(found) == len(people), found
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    bank = {c["id"]: c for c in script["character_bank"]["characters"]}
    assert found.keys() == bank.keys()
    obama = named(found, "Barack Obama")
    assert obama["label"] == "Barack Obama" and obama["named_by"].startswith("on screen at")
    caption = next(i for i, scene in enumerate(film.scenes) if scene.caption)
    assert caption in obama["scenes"]
    work = data_dir / "jobs" / job_id / "out" / ".faces.autodescribe"
    for ident, character in found.items():
        assert character["scenes"] == [a["scene"] for a in bank[ident]["appearances"]]
        assert character["seen_at"] == [a["time"] for a in bank[ident]["appearances"]]
        assert character["thumbnail"] == f"/v1/jobs/{job_id}/characters/{ident}/thumbnail"
        image = client.get(character["thumbnail"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert image.content.startswith(JPEG)
        assert image.headers["cache-control"] == "no-store"
        (stored,) = work.glob(f"faces-*/{ident}.jpg")
        assert image.content == stored.read_bytes()
    for bad in ("person-99", "..", "%2e%2e", "person-1%2F..%2F..%2Fjobs.sqlite3"):
        assert client.get(f"/v1/jobs/{job_id}/characters/{bad}/thumbnail").status_code in (
            404,
            422,
        ), bad


def test_the_offline_describer_says_who_is_on_screen(
    client: TestClient, job_id: str, film: FaceFilm
) -> None:
    """The script's words for each scene: the people, by name from the scene of the caption."""
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    by_scene = {cue["scene"]: cue for cue in script["cues"]}
    caption = next(i for i, scene in enumerate(film.scenes) if scene.caption)
    obama = named(characters(client, job_id), "Barack Obama")
    order = {"left": 0, "centre": 1, "right": 2}
    scales = {"close-up": "Close-up", "medium": "Medium shot", "wide": "Wide shot"}
    places = {"left": " on the left", "centre": "", "right": " on the right"}
    for index, scene in enumerate(film.scenes):
        people = sorted(scene.people, key=lambda p: order[p[1]])
        said = [("Barack Obama" if p == "obama" and index >= caption else None) for p, *_ in people]
        first = by_scene[index]["text"].split(". ")[0].rstrip(".") + "."
        if index == caption:  # the name read on screen has the room first (budget of 8 words)
            assert by_scene[index]["text"].startswith("Text on screen: BARACK OBAMA."), index
        elif len(people) == 1:
            ((_, where, scale),) = people
            who = said[0] or "a person"
            assert first in (
                f"{scales[scale]} of {who}{places[where]}.",
                f"{scales[scale]} of {who}.",
            ), index
        elif people and any(said):
            who = [w or "someone" for w in said]
            placed = ", ".join(f"{w}{places[p[1]]}" for w, p in zip(who, people, strict=True))
            assert first in (f"Two people: {placed}.", f"Two people: {' and '.join(who)}."), index
        elif people:  # nobody the film has named: only how many
            assert first == "Two people.", index
        else:
            assert "people" not in by_scene[index]["text"], index
    assert obama["id"] in by_scene[0]["people"], "the cue says 'a person' of the only one there"


def test_characters_need_the_token(data_dir: Path, job_id: str) -> None:
    settings = ServerSettings(data_dir=data_dir, workers=0, token="s3cret")
    with TestClient(create_app(settings)) as guarded:
        listing = f"/v1/jobs/{job_id}/characters"
        thumbnail = f"{listing}/person-1/thumbnail"
        for path in (listing, thumbnail):
            assert guarded.get(path).status_code == 401, path
        rename = guarded.put(f"{listing}/person-1", json={"name": "Mallory"})
        assert rename.status_code == 401
        bearer = {"Authorization": "Bearer s3cret"}
        assert guarded.get(listing, headers=bearer).status_code == 200
        assert guarded.post("/v1/session", json={"token": "s3cret"}).status_code == 204
        assert guarded.get(thumbnail).content.startswith(JPEG), "the web app's cookie is enough"


EDITS = {  # what an editor writes in Obama's scenes (his caption's scene keeps its words)
    "first": ("Barack Obama looks into the camera.", "Anna looks into the camera."),
    "beside": (
        "Barack Obama stands beside a man. The man nods to Barack Obama.",
        "Anna stands beside a man. The man nods to Anna.",
    ),
    "last": ("A woman turns to barack obama.", "A woman turns to Anna."),
}
ELSEWHERE = "A man waits for Barack Obama."  # in a scene Obama is not seen in: not his cue


def _edited(cue: dict[str, Any], his: list[int], elsewhere: int) -> str:
    by_scene = {his[0]: "first", his[-2]: "beside", his[-1]: "last"}
    if cue["scene"] in by_scene:
        return EDITS[by_scene[cue["scene"]]][0]
    return ELSEWHERE if cue["scene"] == elsewhere else str(cue["text"])


def test_rename_changes_exactly_the_cues_that_mention_the_character(
    client: TestClient, job_id: str, film: FaceFilm
) -> None:
    found = characters(client, job_id)
    obama = named(found, "Barack Obama")
    caption = next(i for i, scene in enumerate(film.scenes) if scene.caption)
    his = [s for s in obama["scenes"] if s != caption]
    assert len(his) >= 3, obama
    elsewhere = min(s for c in found.values() for s in c["scenes"] if s not in obama["scenes"])
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    cues = [{**cue, "text": _edited(cue, his, elsewhere)} for cue in script["cues"]]
    assert client.put(f"/v1/jobs/{job_id}/script", json={"cues": cues}).status_code == 200
    assert client.post(f"/v1/jobs/{job_id}/render").status_code == 202
    assert follow(client, job_id)["status"] == "done"
    before = client.get(f"/v1/jobs/{job_id}/script").json()["cues"]
    assert all(cue["audio"] for cue in before)
    sounds = {cue["audio"]: Path(cue["audio"]).read_bytes() for cue in before}
    checked = client.get(f"/v1/jobs/{job_id}/qc").json()["checked"]
    renamed = dict(EDITS.values())
    his_cues = [i for i, cue in enumerate(before) if cue["text"] in renamed]
    assert len(his_cues) == 3 and any("BARACK OBAMA" in cue["text"] for cue in before)

    answer = client.put(f"/v1/jobs/{job_id}/characters/{obama['id']}", json={"name": "Anna"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["rendering"] is True
    assert result["job"]["status"] == "queued" and result["job"]["kind"] == "render"
    assert result["changed"] == [i + 1 for i in his_cues]
    assert result["character"]["name"] == result["character"]["label"] == "Anna"
    assert result["character"]["named_by"] is None
    again = client.put(f"/v1/jobs/{job_id}/characters/{obama['id']}", json={"name": "Anna"})
    assert again.status_code == 409, "no rename while the re-render runs"
    assert follow(client, job_id)["status"] == "done"

    after = client.get(f"/v1/jobs/{job_id}/script").json()
    assert len(after["cues"]) == len(before)
    for index, (old, new) in enumerate(zip(before, after["cues"], strict=True)):
        if index in his_cues:
            assert new["text"] == renamed[old["text"]], (index, new["text"])
            assert new["audio"] != old["audio"] and Path(new["audio"]).is_file()
        else:  # other people's scenes, the lower third read on screen, "a man" elsewhere
            assert new["text"] == old["text"], index
            assert new["audio"] == old["audio"], f"cue {index + 1} was voiced again"
            assert Path(new["audio"]).read_bytes() == sounds[old["audio"]]
    bank = {c["id"]: c for c in after["character_bank"]["characters"]}
    assert bank[obama["id"]]["name"] == "Anna"
    assert all(c["name"] == found[i]["name"] for i, c in bank.items() if i != obama["id"])
    assert client.get(f"/v1/jobs/{job_id}/qc").json()["checked"] > checked, "checked again"
    vtt = client.get(f"/v1/jobs/{job_id}/files/faces.ad.vtt").text
    assert "Anna looks into the camera." in vtt and ELSEWHERE in vtt
    assert characters(client, job_id)[obama["id"]]["cues"] == result["changed"]

    # renamed again after the re-render: the same cues, found by their new words
    second = client.put(f"/v1/jobs/{job_id}/characters/{obama['id']}", json={"name": "Dr Anna"})
    assert second.status_code == 200 and second.json()["changed"] == result["changed"]
    assert follow(client, job_id)["status"] == "done"
    texts = [c["text"] for c in client.get(f"/v1/jobs/{job_id}/script").json()["cues"]]
    assert [texts[i] for i in his_cues] == [
        renamed[before[i]["text"]].replace("Anna", "Dr Anna") for i in his_cues
    ]


def test_naming_an_unnamed_character_keeps_generic_words(client: TestClient, job_id: str) -> None:
    """A cue that says "a man" of the only person in its scene keeps its words; no re-render."""
    found = characters(client, job_id)
    unnamed = next(c for c in found.values() if c["label"] is None)
    before = client.get(f"/v1/jobs/{job_id}/script").json()["cues"]
    answer = client.put(f"/v1/jobs/{job_id}/characters/{unnamed['id']}", json={"name": "  Joe "})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["changed"] == [] and result["rendering"] is False
    assert result["job"]["status"] == "done"
    assert result["character"]["name"] == "Joe" and result["character"]["label"] == "Joe"
    after = client.get(f"/v1/jobs/{job_id}/script").json()
    assert [c["text"] for c in after["cues"]] == [c["text"] for c in before]
    assert [c["audio"] for c in after["cues"]] == [c["audio"] for c in before]
    assert characters(client, job_id)[unnamed["id"]]["name"] == "Joe"


def test_bad_renames_are_refused(client: TestClient, job_id: str) -> None:
    path = f"/v1/jobs/{job_id}/characters"
    assert client.put(f"{path}/person-99", json={"name": "Anna"}).status_code == 404
    for body in ({"name": ""}, {"name": "   "}, {"name": "An\nna"}, {"name": "A" * 81}, {}):
        answer = client.put(f"{path}/person-1", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"].startswith("bad body"), answer.text
    extra = client.put(f"{path}/person-1", json={"name": "Anna", "thumbnail": "/etc/passwd"})
    assert extra.status_code == 422
    assert client.put(f"{path}/..", json={"name": "Anna"}).status_code in (404, 405, 422)
    unknown = client.get("/v1/jobs/3f0c9b8e-8d5e-4a4e-9a57-1b2c3d4e5f60/characters")
    assert unknown.status_code == 404
