"""A small Hugging Face Hub for tests: real HTTP on loopback, stdlib only.

It answers what `huggingface_hub` asks of the Hub when downloading:
HEAD and GET `/{repo}/resolve/{revision}/{path}` with the headers the client
checks (`X-Repo-Commit`, `ETag`, `Content-Length`; byte ranges on GET), and
`/api/models/{repo}[/revision/{revision}]` and `/api/models/{repo}/tree/{revision}`
for model info and file listings. A missing repository, revision or file gets
the Hub's 404 with its `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`,
`EntryNotFound`), so the client raises the same errors as against the real Hub.

Each repository is a local folder served under a real repository name:

    python tests/servers/hub_server.py --repo rhasspy/piper-voices=/tmp/voices ...

`--gated REPO` serves a repository whose terms this user has not accepted: every
request for it gets the Hub's `GatedRepo` refusal (401 without a token, 403 with one).

It prints its port on the first stdout line. GET /stats returns how many times
each file was downloaded (`{"downloads": {"repo/path": n}}`); POST /stats/reset clears it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
API = re.compile(r"^/api/models/([^/]+/[^/]+)(?:/(revision|tree)/([^/]+)(?:/(.*))?)?$")


class Repo:
    """A folder served as a repository at one commit (a hash of its file names and sizes)."""

    def __init__(self, repo_id: str, folder: Path) -> None:
        self.repo_id = repo_id
        self.folder = folder
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        self.files = {p.relative_to(folder).as_posix(): p for p in files}
        listing = "".join(f"{name}:{p.stat().st_size}\n" for name, p in self.files.items())
        self.commit = hashlib.sha1(f"{repo_id}\n{listing}".encode()).hexdigest()

    def etag(self, name: str) -> str:
        return hashlib.sha256(self.files[name].read_bytes()).hexdigest()

    def has_revision(self, revision: str) -> bool:
        return revision in ("main", self.commit)


class Hub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, repos: dict[str, Repo], gated: frozenset[str] = frozenset()) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.repos = repos
        self.gated = gated
        self.downloads: dict[str, int] = {}
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: Hub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def do_HEAD(self) -> None:
        self._route(send_body=False)

    def do_GET(self) -> None:
        self._route(send_body=True)

    def do_POST(self) -> None:
        if urlsplit(self.path).path == "/stats/reset":
            with self.server.lock:
                self.server.downloads.clear()
            self._json({"ok": True}, True)
        else:
            self._error(404, "NotFound", "no such route", True)

    def _route(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == "/stats":
            with self.server.lock:
                self._json({"downloads": dict(self.server.downloads)}, send_body)
            return
        resolve, api = RESOLVE.match(path), API.match(path)
        if resolve:
            self._resolve(*resolve.groups(), send_body=send_body)
        elif api:
            self._api(*api.groups(), send_body=send_body)
        else:
            self._error(404, "NotFound", f"no route for {path}", send_body)

    def _repo(self, repo_id: str, revision: str | None, send_body: bool) -> Repo | None:
        if repo_id in self.server.gated:
            status = 403 if self.headers.get("Authorization") else 401
            message = f"Access to model {repo_id} is restricted. Please log in."
            self._error(status, "GatedRepo", message, send_body)
            return None
        repo = self.server.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found", send_body)
            return None
        if revision is not None and not repo.has_revision(revision):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body)
            return None
        return repo

    def _resolve(self, repo_id: str, revision: str, name: str, send_body: bool) -> None:
        repo = self._repo(repo_id, revision, send_body)
        if repo is None:
            return
        if name not in repo.files:
            self._error(404, "EntryNotFound", "Entry not found", send_body, repo.commit)
            return
        data = repo.files[name].read_bytes()
        start, end = 0, len(data)
        status = 200
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if ranged and send_body:
            start = int(ranged.group(1))
            end = int(ranged.group(2)) + 1 if ranged.group(2) else len(data)
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.send_header("ETag", f'"{repo.etag(name)}"')
        self.send_header("X-Repo-Commit", repo.commit)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        if send_body:
            with self.server.lock:
                key = f"{repo_id}/{name}"
                self.server.downloads[key] = self.server.downloads.get(key, 0) + 1
            self.wfile.write(data[start:end])

    def _api(
        self, repo_id: str, kind: str | None, revision: str | None, sub: str | None, send_body: bool
    ) -> None:
        repo = self._repo(repo_id, revision, send_body)
        if repo is None:
            return
        if kind == "tree":
            prefix = (sub or "").strip("/")
            entries = [
                {"type": "file", "oid": repo.etag(n), "size": p.stat().st_size, "path": n}
                for n, p in repo.files.items()
                if not prefix or n.startswith(prefix + "/")
            ]
            self._json(entries, send_body)
            return
        info = {
            "id": repo_id,
            "modelId": repo_id,
            "sha": repo.commit,
            "private": False,
            "gated": False,
            "disabled": False,
            "tags": [],
            "siblings": [{"rfilename": name} for name in repo.files],
        }
        self._json(info, send_body)

    def _json(self, value: Any, send_body: bool) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _error(
        self, status: int, code: str, message: str, send_body: bool, commit: str | None = None
    ) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        if commit:
            self.send_header("X-Repo-Commit", commit)
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", action="append", default=[], metavar="ID=FOLDER")
    parser.add_argument("--gated", action="append", default=[], metavar="ID")
    args = parser.parse_args()
    repos = {}
    for item in args.repo:
        repo_id, _, folder = item.partition("=")
        repos[repo_id] = Repo(repo_id, Path(folder))
    server = Hub(repos, frozenset(args.gated))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
