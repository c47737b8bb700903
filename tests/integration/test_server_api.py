"""The HTTP API on generated media: a real app, a real worker process, the `basic` describer."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("python_multipart")

from fastapi.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from autodescribe.backends.describe import describers  # noqa: E402
from autodescribe.backends.voice import voices_without_sample  # noqa: E402
from autodescribe.cli import app as cli_app  # noqa: E402
from autodescribe.presets import EXTENDED_MODES, PRESETS  # noqa: E402
from autodescribe.server.app import create_app  # noqa: E402
from autodescribe.server.schemas import JobOptions  # noqa: E402
from autodescribe.server.settings import ServerSettings  # noqa: E402
from autodescribe.testing.samples import make_audio_only, make_sample_video  # noqa: E402
from autodescribe.testing.truth import SampleTruth, spread_plan  # noqa: E402

FAST = {"transcribe": "false"}  # the dialogue transcript is not what these tests check


def client_for(data: Path, **settings: Any) -> TestClient:
    options: dict[str, Any] = {"data_dir": data, "poll_seconds": 0.2, **settings}
    return TestClient(create_app(ServerSettings(**options)))


def upload(client: TestClient, path: str | Path, name: str | None = None, **fields: str) -> Any:
    with open(path, "rb") as fh:
        return client.post(
            "/v1/jobs",
            files={"file": (name or Path(path).name, fh, "video/mp4")},
            data={**FAST, **fields},
        )


def follow(client: TestClient, job_id: str, timeout: float = 120) -> list[dict[str, Any]]:
    """Every status event of the job until the stream ends (done or failed)."""
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with client.stream("GET", f"/v1/jobs/{job_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
            assert time.monotonic() < deadline, "the job did not finish in time"
    return events


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-data")


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with client_for(data_dir) as running:
        yield running


@pytest.fixture(scope="module")
def finished(client: TestClient, sample: SampleTruth) -> tuple[str, list[dict[str, Any]]]:
    """One narrated job: its id and the events seen while it ran."""
    created = upload(client, sample.path, "street scene.mp4")
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["status"] == "queued" and job["filename"] == "street scene.mp4"
    return job["id"], follow(client, job["id"])


def test_job_runs_to_done_with_progress(finished: tuple[str, list[dict[str, Any]]]) -> None:
    _, events = finished
    assert events[-1]["status"] == "done", events[-1]
    assert events[-1]["percent"] == 100 and events[-1]["error"] is None
    running = [e for e in events if e["status"] == "running"]
    percents = [e["percent"] for e in running]
    assert percents == sorted(percents), "overall progress never goes back"
    stages = {e["stage"] for e in running}
    assert {"shots", "voice", "mixing"} <= stages, stages


def test_job_is_listed_and_looked_up(client: TestClient, finished: tuple[str, Any]) -> None:
    job_id, _ = finished
    assert job_id in [job["id"] for job in client.get("/v1/jobs").json()]
    job = client.get(f"/v1/jobs/{job_id}").json()
    assert job["status"] == "done" and job["options"]["describer"] == "auto"


CUE_FIELDS = ("index", "start", "end", "text", "passed", "failures", "warnings")


def assert_verdict_is_the_report(verdict: dict[str, Any], report: dict[str, Any]) -> None:
    """The API's verdict says what NAME.qc.json says: same lines, same cues, warnings kept apart."""
    assert verdict["passed"] is report["passed"]
    assert [f["message"] for f in verdict["failures"]] == report["failures"]
    assert [w["message"] for w in verdict["warnings"]] == report["warnings"]
    assert verdict["cues"] == [{k: cue[k] for k in CUE_FIELDS} for cue in report["cues"]]
    outcome = "passed" if report["passed"] else "failed"
    assert verdict["summary"].startswith(f"Quality check {outcome}")
    if report["warnings"]:
        assert f"{len(report['warnings'])} warning" in verdict["summary"]
    else:
        assert "warning" not in verdict["summary"]
    starts = {cue["index"]: cue["start"] for cue in report["cues"]}
    by_cue = {line: cue["index"] for cue in report["cues"] for line in cue["failures"]}
    by_cue |= {line: cue["index"] for cue in report["cues"] for line in cue["warnings"]}
    for finding in verdict["failures"] + verdict["warnings"]:
        if finding["message"] in by_cue:
            assert finding["cue"] == by_cue[finding["message"]], finding
        if finding["cue"] is None:
            assert finding["time"] is None
        else:
            assert finding["time"] == starts[finding["cue"]], finding


def test_quality_check_verdict_is_the_jobs_report(
    client: TestClient, finished: tuple[str, Any]
) -> None:
    job_id, _ = finished
    answer = client.get(f"/v1/jobs/{job_id}/qc")
    assert answer.status_code == 200, answer.text
    verdict = answer.json()
    assert verdict["script"] == "street scene.script.json" and verdict["language"] == "en"
    assert verdict["report"] == f"/v1/jobs/{job_id}/files/street scene.qc.json"
    report = client.get(verdict["report"]).json()
    assert_verdict_is_the_report(verdict, report)
    assert client.get(f"/v1/jobs/{job_id}/qc", params={"language": "fr"}).status_code == 404


def test_deliverables_download_with_ranges(client: TestClient, finished: tuple[str, Any]) -> None:
    job_id, _ = finished
    files = {f["name"]: f for f in client.get(f"/v1/jobs/{job_id}/files").json()}
    assert {
        "street scene.described.mp4",
        "street scene.ad.vtt",
        "street scene.ad.wav",
        "street scene.script.json",
        "street scene.mp4",
    } <= files.keys()
    assert files["street scene.mp4"]["role"] == "original video"
    video = files["street scene.described.mp4"]
    whole = client.get(video["url"])
    assert whole.status_code == 200 and len(whole.content) == video["size"]
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(video["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{video['size']}"
    assert part.content == whole.content[100:200]
    vtt = client.get(files["street scene.ad.vtt"]["url"])
    assert vtt.headers["content-type"].startswith("text/vtt") and vtt.text.startswith("WEBVTT")


def test_file_names_cannot_leave_the_job(client: TestClient, finished: tuple[str, Any]) -> None:
    job_id, _ = finished
    for name in ("..%2F..%2Fjobs.sqlite3", "%2E%2E", ".street scene.autodescribe", "nothing.mp4"):
        assert client.get(f"/v1/jobs/{job_id}/files/{name}").status_code == 404, name
    assert client.get("/v1/jobs/../jobs.sqlite3").status_code in (404, 422)
    assert client.get("/v1/jobs/not-a-job-id").status_code == 422
    assert client.get("/v1/jobs/3f0c9b8e-8d5e-4a4e-9a57-1b2c3d4e5f60").status_code == 404


def test_script_json_edit_keeps_unchanged_voice_clips(
    client: TestClient, finished: tuple[str, Any]
) -> None:
    job_id, _ = finished
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    assert script["video"] == "street scene.mp4" and len(script["cues"]) >= 2
    cues = script["cues"]
    cues[0] = {**cues[0], "text": "A yellow wall fills the frame.", "start": cues[0]["start"] + 0.1}
    saved = client.put(f"/v1/jobs/{job_id}/script", json={"cues": cues})
    assert saved.status_code == 200, saved.text
    again = client.get(f"/v1/jobs/{job_id}/script").json()
    assert again["cues"][0]["text"] == "A yellow wall fills the frame."
    assert again["cues"][0]["start"] == pytest.approx(cues[0]["start"])
    assert again["cues"][0]["audio"] is None, "changed words need a new voice clip"
    assert again["cues"][1]["audio"] == cues[1]["audio"], "unchanged words keep theirs"


def test_script_put_accepts_webvtt(client: TestClient, finished: tuple[str, Any]) -> None:
    job_id, _ = finished
    before = client.get(f"/v1/jobs/{job_id}/script").json()
    vtt = "WEBVTT\n\n00:00:02.500 --> 00:00:03.700\nA door opens.\n\n"
    vtt += "00:00:04.100 --> 00:00:07.000\nA sign reads EXIT 12.\n"
    saved = client.put(
        f"/v1/jobs/{job_id}/script", content=vtt, headers={"content-type": "text/vtt"}
    )
    assert saved.status_code == 200, saved.text
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    assert [c["text"] for c in script["cues"]] == ["A door opens.", "A sign reads EXIT 12."]
    assert script["cues"][0]["start"] == 2.5 and script["duration"] == before["duration"]
    client.put(f"/v1/jobs/{job_id}/script", json={"cues": before["cues"]})


@pytest.mark.parametrize(
    ("cues", "says"),
    [
        ([{"start": 3.0, "end": 2.0, "text": "Backwards."}], "end after it starts"),
        ([{"start": 1.0, "end": 99.0, "text": "Too long."}], "within the video"),
        (
            [
                {"start": 1.0, "end": 3.0, "text": "One."},
                {"start": 2.0, "end": 4.0, "text": "Two."},
            ],
            "overlaps",
        ),
        ([{"start": 1.0, "end": 2.0, "text": "  "}], "no text"),
    ],
)
def test_script_put_refuses_bad_cues(
    client: TestClient, finished: tuple[str, Any], cues: list[dict[str, Any]], says: str
) -> None:
    job_id, _ = finished
    before = client.get(f"/v1/jobs/{job_id}/script").json()
    answer = client.put(f"/v1/jobs/{job_id}/script", json={"cues": cues})
    assert answer.status_code == 422 and says in answer.json()["detail"]
    assert client.get(f"/v1/jobs/{job_id}/script").json() == before


def test_script_put_accepts_dapt(
    client: TestClient, finished: tuple[str, Any], tmp_path: Path
) -> None:
    from autodescribe.formats.dapt import write_dapt
    from autodescribe.types import Cue, Script

    job_id, _ = finished
    before = client.get(f"/v1/jobs/{job_id}/script").json()
    edited = Script(
        video="street scene.mp4",
        language="en",
        duration=before["duration"],
        cues=[Cue(2.6, 3.8, "A hand waves.", audio="/etc/passwd"), Cue(4.2, 7.0, "A sign.")],
    )
    write_dapt(edited, tmp_path / "edited.ttml")
    saved = client.put(
        f"/v1/jobs/{job_id}/script",
        content=(tmp_path / "edited.ttml").read_bytes(),
        headers={"content-type": "application/ttml+xml"},
    )
    assert saved.status_code == 200, saved.text
    cues = client.get(f"/v1/jobs/{job_id}/script").json()["cues"]
    assert [(c["start"], c["text"]) for c in cues] == [(2.6, "A hand waves."), (4.2, "A sign.")]
    assert all(c["audio"] is None for c in cues), "audio paths from a request are never used"
    client.put(f"/v1/jobs/{job_id}/script", json={"cues": before["cues"]})


def test_script_put_refuses_unknown_formats(client: TestClient, finished: tuple[str, Any]) -> None:
    job_id, _ = finished
    answer = client.put(
        f"/v1/jobs/{job_id}/script", content=b"1\n", headers={"content-type": "text/csv"}
    )
    assert answer.status_code == 415
    ttml = {"content-type": "application/ttml+xml"}
    broken = client.put(f"/v1/jobs/{job_id}/script", content=b"<tt", headers=ttml)
    assert broken.status_code == 422


def test_render_again_from_the_edited_script(client: TestClient, finished: tuple[str, Any]) -> None:
    job_id, _ = finished
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    script["cues"][-1]["text"] = "The screen turns dark."
    assert client.put(f"/v1/jobs/{job_id}/script", json=script).status_code == 200
    queued = client.post(f"/v1/jobs/{job_id}/render")
    assert queued.status_code == 202 and queued.json()["kind"] == "render"
    assert client.post(f"/v1/jobs/{job_id}/render").status_code == 409
    events = follow(client, job_id)
    assert events[-1]["status"] == "done", events[-1]
    vtt = client.get(f"/v1/jobs/{job_id}/files/street scene.ad.vtt").text
    assert "The screen turns dark." in vtt


def test_quality_check_of_a_rerender_that_fails_it(
    client: TestClient, finished: tuple[str, Any]
) -> None:
    job_id, _ = finished
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    first = script["cues"][0]
    script["cues"][0] = {**first, "text": "We see a door."}  # breaks the 'we-see' writing rule
    assert client.put(f"/v1/jobs/{job_id}/script", json=script).status_code == 200
    assert client.post(f"/v1/jobs/{job_id}/render").status_code == 202
    waiting = client.get(f"/v1/jobs/{job_id}/qc")
    assert waiting.status_code == 409, "a re-render's verdict is not the last render's"
    assert follow(client, job_id)[-1]["status"] == "done"
    verdict = client.get(f"/v1/jobs/{job_id}/qc").json()
    assert verdict["passed"] is False
    assert verdict["summary"].startswith("Quality check failed with ")
    broken = [f for f in verdict["failures"] if "'we-see'" in f["message"]]
    assert len(broken) == 1, verdict["failures"]
    assert broken[0]["cue"] == 1 and broken[0]["time"] == pytest.approx(first["start"])
    assert verdict["cues"][0]["passed"] is False
    assert broken[0]["message"] in verdict["cues"][0]["failures"]
    assert_verdict_is_the_report(verdict, client.get(verdict["report"]).json())


def test_interrupted_job_resumes_where_it_stopped(
    client: TestClient, data_dir: Path, sample: SampleTruth
) -> None:
    job_id = upload(client, sample.path, "resume.mp4").json()["id"]
    work = data_dir / "jobs" / job_id / "out" / ".resume.autodescribe"
    deadline = time.monotonic() + 60
    while not list(work.glob("speech-*.json")):
        assert time.monotonic() < deadline, "the job never got past speech detection"
        time.sleep(0.1)
    stored = {p.name: p.stat().st_mtime_ns for p in work.glob("*.json")}
    worker = client.get(f"/v1/jobs/{job_id}").json()
    assert worker["status"] == "running"
    pool = client.app.state.workers  # type: ignore[attr-defined]
    os.kill(pool.processes[0].pid, signal.SIGKILL)
    events = follow(client, job_id)
    assert events[-1]["status"] == "done", events[-1]
    assert events[-1]["attempts"] == 2
    for name, mtime in stored.items():
        assert (work / name).stat().st_mtime_ns == mtime, f"{name} was computed again"


def test_delete_removes_the_job_and_its_files(
    client: TestClient, data_dir: Path, sample: SampleTruth
) -> None:
    job_id = upload(client, sample.path, "gone.mp4", describer="basic").json()["id"]
    assert (data_dir / "jobs" / job_id / "upload" / "gone.mp4").is_file()
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert client.get(f"/v1/jobs/{job_id}").status_code == 404
    deadline = time.monotonic() + 30  # a worker that had started it notices and cleans up
    while (data_dir / "jobs" / job_id).exists():
        assert time.monotonic() < deadline, "the deleted job's folder is still there"
        time.sleep(0.2)
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 404


@pytest.fixture(scope="module")
def idle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    """An app without workers and with a 200 KB upload limit."""
    data = tmp_path_factory.mktemp("idle")
    with client_for(data, workers=0, max_upload_bytes=200_000) as running:
        yield running, data


@contextlib.contextmanager
def live_server(app: Any) -> Iterator[int]:
    """Serve `app` with uvicorn on a free loopback port, in a thread."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _left_behind(data: Path) -> list[Path]:
    return [p for p in (data / "jobs").rglob("*") if p.is_file()]


def test_upload_over_the_limit_is_refused_while_streaming(
    idle: tuple[TestClient, Path], sample: SampleTruth
) -> None:
    """Over real HTTP: the answer comes while the client is still sending, and nothing stays."""
    client, data = idle
    head = Path(sample.path).read_bytes()[:65536]
    with live_server(client.app) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
        )
        part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n'
        sent = 0
        for chunk in (part, *[head] * 10_000):  # 650 MB if it were all read
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                break
            sent += len(chunk)
            if select.select([sock], [], [], 0)[0]:
                break
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert sent < 20_000_000, f"the client could send {sent} bytes before the refusal"
    assert _left_behind(data) == []
    declared = client.post(
        "/v1/jobs",
        content=b"x",
        headers={"content-type": "multipart/form-data; boundary=b", "content-length": "10000000"},
    )
    assert declared.status_code == 413


def test_non_video_uploads_are_refused(
    idle: tuple[TestClient, Path], media_dir: Path, tmp_path: Path
) -> None:
    client, data = idle
    text = tmp_path / "notes.mp4"
    text.write_text("just some words, not a video\n" * 50)
    assert upload(client, text).status_code == 415
    audio = make_audio_only(tmp_path / "voice.m4a", duration=3.0)
    answer = upload(client, audio.path)
    assert answer.status_code == 415 and "audio-only" in answer.json()["detail"]
    png = client.post("/v1/jobs", files={"file": ("a.png", b"\x89PNG\r\n" * 10, "image/png")})
    assert png.status_code == 415
    assert client.post("/v1/jobs", data={"languages": "en"}).status_code in (400, 415)
    assert _left_behind(data) == []


def test_bad_options_are_refused(idle: tuple[TestClient, Path], tmp_path: Path) -> None:
    client, data = idle
    small = make_sample_video(
        tmp_path / "small.mp4", **spread_plan(1.0), size=(64, 36), audio=False
    )
    bad = (
        {"languages": "xx"},
        {"describer": "nope"},
        {"voice": "hal"},
        {"loudness": "x"},
        {"x": "1"},
    )
    for fields in bad:
        answer = upload(client, small.path, **fields)
        assert answer.status_code == 422, (fields, answer.text)
    assert _left_behind(data) == []


def test_uploaded_names_stay_inside_the_job(idle: tuple[TestClient, Path], tmp_path: Path) -> None:
    client, data = idle
    small = make_sample_video(
        tmp_path / "small.mp4", **spread_plan(1.0), size=(64, 36), audio=False
    )
    job = upload(client, small.path, "../../../escape.mp4").json()
    assert job["filename"] == "escape.mp4"
    assert (data / "jobs" / job["id"] / "upload" / "escape.mp4").is_file()
    assert not (data.parent / "escape.mp4").exists()


def test_restart_queues_interrupted_jobs_again(tmp_path: Path) -> None:
    from autodescribe.server.jobs import JobStore

    store = JobStore(tmp_path / "jobs.sqlite3", tmp_path / "jobs")
    job_id = "3f0c9b8e-8d5e-4a4e-9a57-1b2c3d4e5f60"
    store.create(job_id, "clip.mp4", {})
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert store.claim(dead.pid) is not None  # running, in a worker that has since died
    alive = store.create("4f0c9b8e-8d5e-4a4e-9a57-1b2c3d4e5f60", "other.mp4", {})
    assert store.claim(os.getpid()) is not None  # running in a live process (this one)
    with client_for(tmp_path, workers=0) as client:
        job = client.get(f"/v1/jobs/{job_id}").json()
        assert job["status"] == "queued" and job["attempts"] == 1
        assert client.get(f"/v1/jobs/{job_id}/qc").status_code == 409, "no verdict before done"
        assert client.get(f"/v1/jobs/{alive.id}").json()["status"] == "running"


def test_token_is_required_when_set(tmp_path: Path) -> None:
    with client_for(tmp_path, workers=0, token="s3cret") as client:
        assert client.get("/v1/jobs").status_code == 401
        assert client.get("/v1/choices").status_code == 401
        some_job = "3f0c9b8e-8d5e-4a4e-9a57-1b2c3d4e5f60"
        assert client.get(f"/v1/jobs/{some_job}/qc").status_code == 401
        assert client.get("/v1/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/v1/jobs", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/").status_code == 200, "the web app itself is public"
        assert client.get("/v1/session").json() == {"token_required": True}
        assert client.post("/v1/session", json={"token": "nope"}).status_code == 401
        assert client.post("/v1/session", json={"token": "s3cret"}).status_code == 204
        assert client.get("/v1/jobs").status_code == 200, "the cookie signs the browser in"


def test_openapi_and_web_app_are_served(idle: tuple[TestClient, Path]) -> None:
    client, _ = idle
    spec = client.get("/openapi.json").json()
    paths = spec["paths"].keys()
    assert {"/v1/jobs", "/v1/jobs/{job_id}/script", "/v1/jobs/{job_id}/events"} <= paths
    verdict = spec["paths"]["/v1/jobs/{job_id}/qc"]["get"]["responses"]["200"]["content"]
    assert verdict["application/json"]["schema"]["$ref"].endswith("/QualityCheck")
    fields = spec["components"]["schemas"]["QualityCheck"]["properties"]
    assert {"passed", "summary", "failures", "warnings", "cues"} <= fields.keys()
    assert "multipart/form-data" in spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
    people = spec["paths"]["/v1/jobs/{job_id}/characters"]["get"]["responses"]["200"]["content"]
    assert people["application/json"]["schema"]["items"]["$ref"].endswith("/CharacterView")
    face = spec["paths"]["/v1/jobs/{job_id}/characters/{character_id}/thumbnail"]["get"]
    assert "image/jpeg" in face["responses"]["200"]["content"]
    rename = spec["paths"]["/v1/jobs/{job_id}/characters/{character_id}"]["put"]
    body = rename["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/CharacterRename")
    assert {"200", "401", "404", "409", "422"} <= rename["responses"].keys()
    view = spec["components"]["schemas"]["CharacterView"]["properties"]
    assert {"id", "name", "descriptor", "label", "scenes", "thumbnail"} <= view.keys()
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "<h1>" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/job.html").status_code == 200


def test_choices_come_from_the_registries_and_presets(idle: tuple[TestClient, Path]) -> None:
    client, _ = idle
    answer = client.get("/v1/choices")
    assert answer.status_code == 200, answer.text
    choices = answer.json()
    assert choices["describers"] == describers.names()
    assert choices["voices"] == voices_without_sample()
    assert "piper" in choices["voices"] and "pocket" not in choices["voices"]  # needs a sample
    assert [p["name"] for p in choices["loudness_presets"]] == list(PRESETS)
    assert [p["label"] for p in choices["loudness_presets"]] == [p.label for p in PRESETS.values()]
    assert [m["name"] for m in choices["extended_modes"]] == list(EXTENDED_MODES)
    assert [m["label"] for m in choices["extended_modes"]] == list(EXTENDED_MODES.values())
    assert choices["defaults"] == JobOptions().model_dump(mode="json")
    assert {c["name"] for c in choices["languages"]} >= set(choices["defaults"]["languages"])


def test_upload_form_offers_the_same_choices(idle: tuple[TestClient, Path]) -> None:
    client, _ = idle
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/v1/choices"]["get"]["responses"]["200"]["content"]
    body = spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]
    form = body["schema"]["properties"]
    assert form["describer"]["enum"] == describers.names()
    assert form["voice"]["enum"] == voices_without_sample()
    assert form["loudness"]["enum"] == list(PRESETS)
    assert form["extended"]["enum"] == list(EXTENDED_MODES)
    defaults = JobOptions()
    for field in ("describer", "voice", "extended", "loudness", "transcribe"):
        assert form[field]["default"] == getattr(defaults, field), field
    assert form["languages"]["default"].split(",") == defaults.languages


def test_serve_refuses_a_public_address_without_token(tmp_path: Path) -> None:
    command = ["serve", "--host", "0.0.0.0", "--data", str(tmp_path)]
    result = CliRunner().invoke(cli_app, command, env={"AUTODESCRIBE_TOKEN": ""})
    assert result.exit_code == 2  # a bad setting, like every other command
    assert result.output.strip().startswith("error: refusing to listen on 0.0.0.0 without a token")
    assert len(result.output.strip().splitlines()) == 1


# ---- describing one cue again from the editor: the writer alone, from the notes --------------
@pytest.fixture(scope="module")
def chat(start_server: Callable[..., Any]) -> Any:
    return start_server("--realistic")


@pytest.fixture(scope="module")
def narrated(
    tmp_path_factory: pytest.TempPathFactory, chat: Any, sample: SampleTruth
) -> Iterator[tuple[TestClient, str]]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENAI_BASE_URL", chat.url)  # the worker processes inherit it
        env.delenv("OPENAI_API_KEY", raising=False)
        with client_for(tmp_path_factory.mktemp("again-data")) as client:
            job = upload(client, sample.path, "street.mp4").json()
            events = follow(client, job["id"])
            assert events[-1]["status"] == "done", events[-1]
            yield client, job["id"]


def test_a_cue_is_written_again_from_its_notes_with_the_lines_before_it(
    narrated: tuple[TestClient, str], chat: Any
) -> None:
    client, job_id = narrated
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    cues = script["cues"]
    assert len(cues) >= 2 and all(cue["notes"] for cue in cues), "model describers look first"
    chat.reset()

    answer = client.post(f"/v1/jobs/{job_id}/script/cues/2/again")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    requests = chat.stats()["requests"]
    assert len(requests) == 1 and requests[0]["images"] == 0  # the writer alone, text only
    prompt = requests[0]["prompt"]
    assert "Notes on this scene" in prompt and cues[1]["notes"] in prompt
    assert f"Previous descriptions, oldest first: {cues[0]['text']}" in prompt
    assert requests[0]["n"] >= 2  # alternatives to choose from
    assert "tall woman" in body["text"] and body["text"] not in body["candidates"]
    # nothing is saved until the editor saves
    assert client.get(f"/v1/jobs/{job_id}/script").json() == script


def test_a_cue_without_notes_or_out_of_range_gets_one_line(
    narrated: tuple[TestClient, str],
) -> None:
    client, job_id = narrated
    script = client.get(f"/v1/jobs/{job_id}/script").json()
    missing = client.post(f"/v1/jobs/{job_id}/script/cues/{len(script['cues']) + 1}/again")
    assert missing.status_code == 404 and "no cue" in missing.json()["detail"]

    edited = [{**script["cues"][0], "notes": ""}, *script["cues"][1:]]
    assert client.put(f"/v1/jobs/{job_id}/script", json={"cues": edited}).status_code == 200
    try:
        refused = client.post(f"/v1/jobs/{job_id}/script/cues/1/again")
        assert refused.status_code == 422
        detail = refused.json()["detail"]
        assert "no notes" in detail and "\n" not in detail
    finally:
        client.put(f"/v1/jobs/{job_id}/script", json={"cues": script["cues"]})
