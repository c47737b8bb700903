"""The server under attack: fuzzing from its OpenAPI schema, path tricks, oversize uploads,
a crowd of jobs, and a kill -9 in the middle of a job. Real app, real worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("python_multipart")

from fastapi.testclient import TestClient  # noqa: E402

from autodescribe.server.app import create_app  # noqa: E402
from autodescribe.server.jobs import JobStore  # noqa: E402
from autodescribe.server.settings import ServerSettings  # noqa: E402
from autodescribe.testing.samples import make_sample_video  # noqa: E402

LIMIT = 200_000  # upload limit of the apps that never run jobs
SECRET = b"TOP-SECRET-4f1d"  # written outside every data folder; no answer may contain it


def make_clip(path: Path, label: str, duration: float = 3.0) -> Path:
    """A small clip with one cut and `label` on screen the whole time (no dialogue)."""
    make_sample_video(
        path,
        duration=duration,
        cuts=(duration / 2,),
        speech=(),
        texts=((0.3, duration - 0.3, label),),
        size=(256, 144),
    )
    return path


def multipart(filename: str, payload: bytes, **fields: str) -> tuple[bytes, str]:
    """A form body built by hand, so the file name reaches the server byte for byte."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
    parts.append(head.encode() + b"Content-Type: video/mp4\r\n\r\n" + payload + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def live_server(app: Any, lifespan: str = "off") -> Iterator[int]:
    """Serve `app` with uvicorn on a loopback port, in a thread of this process."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def raw_request(port: int, target: bytes, method: bytes = b"GET") -> tuple[int, bytes]:
    """Send the request line exactly as given (no client normalises it) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


def jobs_left(data: Path) -> list[Path]:
    return sorted((data / "jobs").iterdir()) if (data / "jobs").exists() else []


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder beside the data folders holding a secret file."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.txt").write_bytes(SECRET + b"\n")
    return folder


@pytest.fixture(scope="module")
def done_job(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data folder with one job run to the end by the worker's own code, in this process."""
    from autodescribe.server.worker import run_job

    data = tmp_path_factory.mktemp("done")
    clip = make_clip(data.parent / f"{data.name}-clip.mp4", "EXIT 12")
    body, kind = multipart("clip.mp4", clip.read_bytes(), transcribe="false")
    with TestClient(create_app(ServerSettings(data_dir=data, workers=0))) as client:
        created = client.post("/v1/jobs", content=body, headers={"content-type": kind})
    assert created.status_code == 201, created.text
    store = JobStore(data / "jobs.sqlite3", data / "jobs")
    job = store.claim(os.getpid())
    assert job is not None and job.id == created.json()["id"]
    run_job(store, job)
    finished = store.get(job.id)
    assert finished is not None and finished.status == "done", finished
    return data, job.id


def copy_of(done_job: tuple[Path, str], dest: Path) -> tuple[Path, str]:
    """A copy of the finished job's data folder, for tests that change or break it."""
    data, job_id = done_job
    shutil.copytree(data, dest)
    return dest, job_id


# --- fuzzing from the OpenAPI schema ---------------------------------------------------------

FUZZ_EXAMPLES = 25
TOKEN = "s3cret-token"


def _fuzz_operation(
    operation: Any, mode: Any, headers: dict[str, str] | None, real: dict[str, list[str]]
) -> tuple[int, str | None]:
    """Run generated cases against one operation; (cases run, failure report or None)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis import checks as sc

    wanted = [
        sc.not_a_server_error,
        sc.status_code_conformance,
        sc.content_type_conformance,
        sc.response_schema_conformance,
        sc.response_headers_conformance,
    ]
    # POST render on the real job would queue it, and its event stream would then never end.
    swap = operation.label.startswith("GET") or operation.label.startswith("PUT")
    ran = 0

    @given(case=operation.as_strategy(mode), pick=st.data())
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, pick: st.DataObject) -> None:
        nonlocal ran
        ran += 1
        params = case.path_parameters or {}
        if swap and mode.name == "POSITIVE" and "job_id" in params and pick.draw(st.booleans()):
            params["job_id"] = real["job_id"][0]
            if "name" in params and pick.draw(st.booleans()):
                params["name"] = pick.draw(st.sampled_from(real["name"]))
        case.call_and_validate(headers=headers, checks=wanted)

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid
        return ran, None
    except Exception as exc:  # noqa: BLE001 - the report lists every operation's failure
        return ran, f"{operation.label} ({mode.name}): {exc}"
    return ran, None


@pytest.mark.parametrize(
    ("server_token", "sent_token"),
    [(None, None), (TOKEN, TOKEN), (TOKEN, None)],
    ids=["open", "with-token", "without-token"],
)
def test_fuzzed_requests_get_documented_answers_and_no_5xx(
    done_job: tuple[Path, str], tmp_path: Path, server_token: str | None, sent_token: str | None
) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    data, job_id = copy_of(done_job, tmp_path / "data")
    names = sorted(p.name for p in (data / "jobs" / job_id / "out").iterdir())
    real = {"job_id": [job_id], "name": [*names, "clip.mp4"]}
    settings = ServerSettings(data_dir=data, workers=0, token=server_token, max_upload_bytes=LIMIT)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    headers = {"Authorization": f"Bearer {sent_token}"} if sent_token else None
    total, failures = 0, []
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    for result in schema.get_all_operations():
        for mode in modes:
            ran, failure = _fuzz_operation(result.ok(), mode, headers, real)
            total += ran
            failures += [failure] if failure else []
    assert not failures, "\n\n".join(failures)
    assert total >= 300, f"only {total} cases ran"
    print(f"\nfuzzed {total} cases")  # shown with -s


# --- path traversal --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def traversal_server(
    done_job: tuple[Path, str], outside: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, Path, str]]:
    data, job_id = copy_of(done_job, tmp_path_factory.mktemp("trav") / "data")
    settings = ServerSettings(data_dir=data, workers=0, max_upload_bytes=LIMIT)
    with live_server(create_app(settings)) as port:
        yield port, data, job_id


TRICKS = (
    "../../../jobs.sqlite3",
    "..%2F..%2F..%2Fjobs.sqlite3",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fjobs.sqlite3",
    "%252e%252e%252f%252e%252e%252fjobs.sqlite3",
    "..%252F..%252F..%252Fjobs.sqlite3",
    "%2Fetc%2Fpasswd",
    "..%5C..%5C..%5Cjobs.sqlite3",
    "..\\..\\..\\jobs.sqlite3",
    "clip.mp4%00.vtt",
    "%00",
    "..",
    "%2e%2e",
    ".clip.autodescribe",
    "{outside}",
)


def _refused(status: int, body: bytes) -> bool:
    leaked = SECRET in body or b"SQLite format 3" in body or b"root:x:0:0" in body
    return status in (400, 404, 405, 422) and not leaked


def test_file_names_and_job_ids_cannot_leave_the_job(
    traversal_server: tuple[int, Path, str], outside: Path
) -> None:
    port, _, job_id = traversal_server
    assert raw_request(port, f"/v1/jobs/{job_id}/files/clip.ad.vtt".encode())[0] == 200
    for trick in TRICKS:
        trick = trick.replace("{outside}", "%2F".join(("", *outside.parts[1:], "secret.txt")))
        targets = (
            f"/v1/jobs/{job_id}/files/{trick}",
            f"/v1/jobs/{trick}",
            f"/v1/jobs/{trick}/files/jobs.sqlite3",
            f"/v1/jobs/{trick}/script",
            f"/v1/jobs/{trick}/qc",
            f"/v1/jobs/{trick}/characters",
            f"/v1/jobs/{job_id}/characters/{trick}",
            f"/v1/jobs/{job_id}/characters/{trick}/thumbnail",
            f"/v1/jobs/{job_id}/characters/person-1%2F{trick}/thumbnail",
            f"/{trick}",
            f"/v1/jobs/{job_id}/files/{trick}%2F..%2F..%2F..%2Foutside%2Fsecret.txt",
        )
        for target in targets:
            status, body = raw_request(port, target.encode("latin-1"))
            assert _refused(status, body), (target, status, body[:200])
    for target in (b"/v1/jobs/" + job_id.encode() + b"/files/clip\x00.mp4", b"/..\x00/app.py"):
        status, body = raw_request(port, target)
        assert _refused(status, body), (target, status)


def test_static_files_stay_in_the_web_folder(traversal_server: tuple[int, Path, str]) -> None:
    port, _, _ = traversal_server
    for target in (b"/../app.py", b"/..%2Fapp.py", b"/%2e%2e/%2e%2e/jobs.py", b"/..%5Capp.py"):
        status, body = raw_request(port, target)
        assert status == 404 and b"create_app" not in body, (target, status)


def test_symlinks_planted_in_a_job_folder_lead_nowhere(
    done_job: tuple[Path, str], outside: Path, tmp_path: Path
) -> None:
    from autodescribe.formats.script_json import read_script, write_script

    data, job_id = copy_of(done_job, tmp_path / "data")
    out = data / "jobs" / job_id / "out"
    (out / "leak.ad.vtt").symlink_to(outside / "secret.txt")
    (out / "linked.mp4").symlink_to(out / "clip.described.mp4")
    foreign = read_script(out / "clip.script.json")
    write_script(foreign, outside / "foreign.script.json")
    (out / "aaa.script.json").symlink_to(outside / "foreign.script.json")  # sorts first
    with TestClient(create_app(ServerSettings(data_dir=data, workers=0))) as client:
        names = {f["name"] for f in client.get(f"/v1/jobs/{job_id}/files").json()}
        assert "clip.ad.vtt" in names
        assert not names & {"leak.ad.vtt", "linked.mp4", "aaa.script.json"}, names
        for name in ("leak.ad.vtt", "linked.mp4", "aaa.script.json"):
            answer = client.get(f"/v1/jobs/{job_id}/files/{name}")
            assert answer.status_code == 404 and SECRET not in answer.content, name
        cues = client.get(f"/v1/jobs/{job_id}/script").json()["cues"]
        edited = [{**cue, "text": "A door opens."} if i == 0 else cue for i, cue in enumerate(cues)]
        assert client.put(f"/v1/jobs/{job_id}/script", json={"cues": edited}).status_code == 200
        assert read_script(outside / "foreign.script.json") == foreign, "written through a link"
        assert read_script(out / "clip.script.json").cues[0].text == "A door opens."
        assert client.get(f"/v1/jobs/{job_id}/qc").status_code == 200
        (out / "clip.qc.json").unlink()
        (out / "clip.qc.json").symlink_to(outside / "secret.txt")
        answer = client.get(f"/v1/jobs/{job_id}/qc")
        assert answer.status_code == 404 and SECRET not in answer.content, "read through a link"
        # a whole folder swapped for a link: neither its listing nor its files are served
        shutil.rmtree(out)
        out.symlink_to(outside, target_is_directory=True)
        assert client.get(f"/v1/jobs/{job_id}/files/secret.txt").status_code == 404
        assert client.get(f"/v1/jobs/{job_id}/script").status_code == 404
        listing = client.get(f"/v1/jobs/{job_id}/files").json()
        assert [f["name"] for f in listing] == ["clip.mp4"]


def test_character_thumbnails_come_only_from_the_jobs_work_folder(
    done_job: tuple[Path, str], tmp_path: Path, outside: Path
) -> None:
    """Whatever path a script names, a thumbnail is a JPEG in a folder of the job's work folder."""
    from PIL import Image

    from autodescribe.formats.script_json import read_script, write_script
    from autodescribe.types import Appearance, Character, CharacterBank

    data, job_id = copy_of(done_job, tmp_path / "data")
    out = data / "jobs" / job_id / "out"
    faces = out / ".clip.autodescribe" / "faces-test"
    faces.mkdir()
    Image.new("RGB", (32, 32), (200, 150, 120)).save(faces / "person-1.jpg")
    (outside / "secret.jpg").write_bytes(SECRET)
    (faces / "person-2.jpg").symlink_to(outside / "secret.jpg")
    (faces.parent / "faces-linked").symlink_to(outside, target_is_directory=True)
    (faces / "folder.jpg").mkdir()
    thumbnails = {
        "person-1": str(faces / "person-1.jpg"),  # the real one
        "person-2": str(faces / "person-2.jpg"),  # a link to a file outside
        "person-3": str(outside / "secret.jpg"),  # outside the job
        "person-4": str(faces.parent / "faces-linked" / "secret.jpg"),  # a linked folder
        "person-5": "../../../../outside/secret.jpg",
        "person-6": str(faces / ".." / ".." / ".." / "secret.jpg"),
        "person-7": str(out / "clip.ad.vtt"),  # the job's own file, but no thumbnail
        "person-8": str(faces / "folder.jpg"),  # not a file
        "person-9": None,
        # the data folder moved since: the same file, found in this job's work folder
        "person-10": str(tmp_path / "moved" / ".clip.autodescribe" / "faces-test" / "person-1.jpg"),
    }
    seen = (Appearance(0, 0.5, (0.4, 0.2, 0.2, 0.3), "centre", "medium"),)
    script = read_script(out / "clip.script.json")
    script.character_bank = CharacterBank(
        tuple(Character(ident, seen, path) for ident, path in thumbnails.items())
    )
    write_script(script, out / "clip.script.json")
    with TestClient(create_app(ServerSettings(data_dir=data, workers=0))) as client:
        listing = client.get(f"/v1/jobs/{job_id}/characters").json()
        assert [c["id"] for c in listing] == list(thumbnails)
        served = {}
        for character in listing:
            url = f"/v1/jobs/{job_id}/characters/{character['id']}/thumbnail"
            assert character["thumbnail"] == (url if thumbnails[character["id"]] else None)
            answer = client.get(url)
            assert SECRET not in answer.content, character["id"]
            served[character["id"]] = answer.status_code
        assert [ident for ident, code in served.items() if code == 200] == ["person-1", "person-10"]
        assert set(served.values()) == {200, 404}, served
        image = client.get(f"/v1/jobs/{job_id}/characters/person-1/thumbnail")
        assert image.content == (faces / "person-1.jpg").read_bytes()


def test_script_audio_paths_from_a_request_are_never_used(
    done_job: tuple[Path, str], tmp_path: Path, outside: Path
) -> None:
    from autodescribe.formats.script_json import read_script

    data, job_id = copy_of(done_job, tmp_path / "data")
    script_path = data / "jobs" / job_id / "out" / "clip.script.json"
    stored = read_script(script_path)
    tricks = [
        str(outside / "secret.txt"),
        "/etc/passwd",
        "../../../../outside/secret.wav",
        "..\\..\\..\\secret.wav",
        "%2e%2e%2fsecret.wav",
        "clip\x00.wav",
        stored.cues[0].audio,  # a real clip, but of other words
    ]
    with TestClient(create_app(ServerSettings(data_dir=data, workers=0))) as client:
        for audio in tricks:
            cue = {"start": 0.2, "end": 1.4, "text": "A gate swings open.", "audio": audio}
            answer = client.put(f"/v1/jobs/{job_id}/script", json={"cues": [cue]})
            assert answer.status_code == 200, answer.text
            assert answer.json()["cues"][0]["audio"] is None, audio
            assert read_script(script_path).cues[0].audio is None, audio
        vtt = "WEBVTT\n\n00:00:00.200 --> 00:00:01.400\nA gate swings open.\n"
        answer = client.put(
            f"/v1/jobs/{job_id}/script", content=vtt, headers={"content-type": "text/vtt"}
        )
        assert answer.status_code == 200 and answer.json()["cues"][0]["audio"] is None


@pytest.fixture
def idle(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """An app with no workers, a 200 KB upload limit and an empty data folder."""
    data = tmp_path / "data"
    settings = ServerSettings(data_dir=data, workers=0, max_upload_bytes=LIMIT)
    with TestClient(create_app(settings)) as client:
        yield client, data


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("tiny") / "tiny.mp4"
    make_sample_video(path, duration=1.0, cuts=(), speech=(), texts=(), size=(64, 36), audio=False)
    return path.read_bytes()


def test_upload_file_names_stay_inside_the_job(idle: tuple[TestClient, Path], tiny: bytes) -> None:
    client, data = idle
    names = (
        "../../escape.mp4",
        "..\\..\\escape.mp4",
        "/etc/cron.d/escape.mp4",
        "C:\\Windows\\escape.mp4",
        "%2e%2e%2fescape.mp4",
        "%252e%252e%252fescape.mp4",
        "esc\x00ape.mp4",
        "..",
        ".hidden.mp4",
        "a/../../b.mp4",
        "." * 300 + "/x.mp4",
        "clip.mp4/..",
    )
    before = set(data.parent.rglob("*"))
    for name in names:
        body, kind = multipart(name, tiny)
        answer = client.post("/v1/jobs", content=body, headers={"content-type": kind})
        assert answer.status_code == 201, (name, answer.text)
        job = answer.json()
        kept = job["filename"]
        assert kept and not kept.startswith(".") and not set(kept) & set("/\\\x00%"), (name, kept)
        assert (data / "jobs" / job["id"] / "upload" / kept).read_bytes() == tiny
    new = {p for p in set(data.parent.rglob("*")) - before if p.is_file()}
    uploads = {
        p for p in new if p.parent.name == "upload" and p.parent.parent.parent == data / "jobs"
    }
    strays = [p for p in new - uploads if p.parent != data]  # the store's own files are in data/
    assert strays == [], strays
    assert not list(data.parent.parent.glob("escape.mp4"))


# --- oversize uploads --------------------------------------------------------------------------


def _send_until_answered(
    port: int, head: bytes, chunks: Iterator[bytes], *, chunked: bool
) -> tuple[str, int]:
    """Stream a request body until the server answers; (its status line, bytes sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head)
        for chunk in chunks:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            except OSError:
                break
            sent += len(chunk)
            if select.select([sock], [], [], 0)[0]:
                break
        answer = sock.recv(4096).decode("latin-1")
    return answer.partition("\r\n")[0], sent


def _oversize(tiny: bytes, filler: int) -> tuple[bytes, Iterator[bytes], int]:
    """Head of a form whose file part is a video followed by `filler` more bytes."""
    boundary = "hardening"
    start = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode() + tiny
    block = bytes(range(256)) * 256  # 64 KiB
    count = filler // len(block)

    def body() -> Iterator[bytes]:
        yield start
        for _ in range(count):
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    total = len(start) + count * len(block) + len(f"\r\n--{boundary}--\r\n")
    return f"multipart/form-data; boundary={boundary}".encode(), body(), total


@pytest.mark.parametrize(
    "framing", ["chunked", "declared-huge", "declared-near-limit", "declared-too-small"]
)
def test_oversize_uploads_are_refused_early_and_leave_nothing(
    idle: tuple[TestClient, Path], tiny: bytes, framing: str
) -> None:
    client, data = idle
    filler = 8 << 30 if framing in ("chunked", "declared-huge") else LIMIT + 20_000
    kind, body, total = _oversize(tiny, filler)
    head = b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: " + kind + b"\r\n"
    if framing == "chunked":
        head += b"Transfer-Encoding: chunked\r\n\r\n"
    elif framing == "declared-too-small":  # the client lies; the server counts what it reads
        head += b"Content-Length: %d\r\n\r\n" % (total // 2)
    else:
        head += b"Content-Length: %d\r\n\r\n" % total
    with live_server(client.app) as port:
        status, sent = _send_until_answered(port, head, body, chunked=framing == "chunked")
        expected = "400" if framing == "declared-too-small" else "413"
        assert status.startswith(f"HTTP/1.1 {expected}"), status
        # of an 8 GiB body, no more than loopback socket buffers hold gets sent
        assert sent < 16_000_000, f"{sent} bytes went in before the refusal"
        deadline = time.monotonic() + 10
        while jobs_left(data):
            assert time.monotonic() < deadline, f"left behind: {jobs_left(data)}"
            time.sleep(0.1)


def test_an_upload_cut_off_midway_leaves_nothing(
    idle: tuple[TestClient, Path], tiny: bytes
) -> None:
    client, data = idle
    kind, body, total = _oversize(tiny, LIMIT // 2)
    head = b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: " + kind
    head += b"\r\nContent-Length: %d\r\n\r\n" % total
    with live_server(client.app) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(head + next(body) + next(body))
            time.sleep(0.3)  # the server is now waiting for the rest
        deadline = time.monotonic() + 10
        while jobs_left(data):
            assert time.monotonic() < deadline, f"left behind: {jobs_left(data)}"
            time.sleep(0.1)


# --- many jobs at once -----------------------------------------------------------------------


def _wait_all(get: Callable[[], list[dict[str, Any]]], ids: set[str], timeout: float) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = [job for job in get() if job["id"] in ids]
        if len(jobs) == len(ids) and all(job["status"] in ("done", "failed") for job in jobs):
            return jobs
        assert time.monotonic() < deadline, [(j["status"], j["stage"]) for j in jobs]
        time.sleep(0.5)


@pytest.mark.slow
def test_ten_concurrent_jobs_all_finish_with_two_workers(tmp_path: Path) -> None:
    import httpx

    data = tmp_path / "data"
    clips = [make_clip(tmp_path / f"clip{n}.mp4", f"EXIT {n}") for n in range(1, 11)]
    settings = ServerSettings(data_dir=data, workers=2, poll_seconds=0.2)
    with live_server(create_app(settings), lifespan="on") as port:
        root = f"http://127.0.0.1:{port}"

        def send(clip: Path) -> str:
            body, kind = multipart(clip.name, clip.read_bytes(), transcribe="false")
            answer = httpx.post(root + "/v1/jobs", content=body, headers={"content-type": kind})
            assert answer.status_code == 201, answer.text
            return str(answer.json()["id"])

        with ThreadPoolExecutor(10) as pool:
            ids = list(pool.map(send, clips))
        jobs = _wait_all(lambda: httpx.get(root + "/v1/jobs").json(), set(ids), timeout=400)
        assert [j["status"] for j in jobs] == ["done"] * 10, [j["error"] for j in jobs]
        assert all(j["attempts"] == 1 for j in jobs)
        for n, job_id in enumerate(ids, start=1):  # each job described its own upload
            script = httpx.get(f"{root}/v1/jobs/{job_id}/script").json()
            assert script["video"] == f"clip{n}.mp4" and script["cues"], script
            video = httpx.get(f"{root}/v1/jobs/{job_id}/files/clip{n}.described.mp4")
            assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    log = (data / "logs" / "worker.log").read_text()
    # progress bars share the log, so a line may start mid-bar: find the worker's pid by pattern
    runners = set(re.findall(r"INFO worker (\d+) \S+: job \S+: narrate ", log))
    assert len(runners) == 2, f"jobs ran in {runners}, not in both workers"


# --- kill -9 and restart ---------------------------------------------------------------------


@contextlib.contextmanager
def serve_process(data: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`autodescribe serve` as its own process group (uvicorn and its workers)."""
    command = [sys.executable, "-m", "autodescribe", "serve", "--data", str(data)]
    command += ["--port", str(port), "--workers", "1"]
    log = (data.parent / "serve.log").open("ab")
    process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            assert process.poll() is None, (data.parent / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_kill_9_and_restart_loses_nothing(tmp_path: Path) -> None:
    import httpx

    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    first = make_clip(tmp_path / "first.mp4", "EXIT 12", duration=5.0)
    second = make_clip(tmp_path / "second.mp4", "EXIT 7")
    ids = []
    with serve_process(data, port) as server:
        for clip in (first, second):
            body, kind = multipart(clip.name, clip.read_bytes(), transcribe="false")
            answer = httpx.post(root + "/v1/jobs", content=body, headers={"content-type": kind})
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
        work = data / "jobs" / ids[0] / "out" / ".first.autodescribe"
        deadline = time.monotonic() + 120
        while not list(work.glob("text-*.json")):
            assert time.monotonic() < deadline, "the job never got past on-screen text"
            time.sleep(0.05)
        stored = {p.name: p.stat().st_mtime_ns for p in work.glob("*.json")}
        assert httpx.get(f"{root}/v1/jobs/{ids[0]}").json()["status"] == "running"
        os.killpg(server.pid, signal.SIGKILL)  # uvicorn and its worker, with no warning
        server.wait(timeout=30)
    with serve_process(data, port):
        jobs = _wait_all(lambda: httpx.get(root + "/v1/jobs").json(), set(ids), timeout=240)
    by_id = {job["id"]: job for job in jobs}
    assert [by_id[i]["status"] for i in ids] == ["done", "done"], [j["error"] for j in jobs]
    assert [by_id[i]["attempts"] for i in ids] == [2, 1]
    for name, mtime in stored.items():
        assert (work / name).stat().st_mtime_ns == mtime, f"{name} was computed again"
    assert (data / "jobs" / ids[0] / "out" / "first.described.mp4").is_file()
    assert "-->" in (data / "jobs" / ids[1] / "out" / "second.ad.vtt").read_text()
    assert (data / "jobs" / ids[0] / "upload" / "first.mp4").read_bytes() == first.read_bytes()


def test_the_job_store_is_what_the_api_reports(done_job: tuple[Path, str]) -> None:
    """The finished job the other tests copy is listed with its deliverables."""
    data, job_id = done_job
    with TestClient(create_app(ServerSettings(data_dir=data, workers=0))) as client:
        job = client.get(f"/v1/jobs/{job_id}").json()
        assert job["status"] == "done" and job["filename"] == "clip.mp4"
        vtt = client.get(f"/v1/jobs/{job_id}/files/clip.ad.vtt").text
        assert "Text on screen: EXIT" in vtt, vtt
        assert json.loads(client.get(f"/v1/jobs/{job_id}/script").text)["video"] == "clip.mp4"
