"""The job store: one SQLite table in WAL mode, shared by the app and its worker processes.

Each call opens its own short connection, so threads and processes never share one;
claiming a job is a single UPDATE, so two workers never take the same job. A job's
files live in its own folder (upload/ and out/), named by its server-made UUID.
"""

from __future__ import annotations

import builtins
import json
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from autodescribe.util.processes import process_alive

Status = Literal["queued", "running", "done", "failed"]
Kind = Literal["narrate", "render"]
FINISHED: frozenset[str] = frozenset({"done", "failed"})
JOB_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_JOB_ID = re.compile(JOB_ID_PATTERN)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    stage TEXT,
    percent REAL NOT NULL DEFAULT 0,
    error TEXT,
    filename TEXT NOT NULL,
    options TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    worker_pid INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created);
"""


@dataclass(frozen=True)
class Job:
    id: str
    kind: Kind
    status: Status
    stage: str | None
    percent: float
    error: str | None
    filename: str
    options: dict[str, Any]
    created: float
    updated: float
    worker_pid: int | None
    attempts: int

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True)
class JobFolder:
    """Where one job's files are: the upload and the deliverables."""

    root: Path
    filename: str

    @property
    def upload_dir(self) -> Path:
        return self.root / "upload"

    @property
    def video(self) -> Path:
        return self.upload_dir / self.filename

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def work_dir(self) -> Path:
        """The pipeline's work folder (stage results, voice clips, thumbnails)."""
        return self.out_dir / f".{self.video.stem}.autodescribe"


def is_job_id(text: str) -> bool:
    return bool(_JOB_ID.match(text))


class JobStore:
    """Jobs in SQLite; every method is one short transaction."""

    def __init__(self, db_path: Path, jobs_dir: Path) -> None:
        self.db_path = db_path
        self.jobs_dir = jobs_dir
        db_path.parent.mkdir(parents=True, exist_ok=True)
        jobs_dir.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    def folder(self, job: Job) -> JobFolder:
        return JobFolder(self.jobs_dir / job.id, job.filename)

    def folder_path(self, job_id: str) -> Path:
        if not is_job_id(job_id):
            raise ValueError(f"not a job id: {job_id!r}")
        return self.jobs_dir / job_id

    def create(self, job_id: str, filename: str, options: dict[str, Any]) -> Job:
        now = time.time()
        with self._connect() as db:
            db.execute(
                "INSERT INTO jobs (id, kind, status, filename, options, created, updated)"
                " VALUES (?, 'narrate', 'queued', ?, ?, ?, ?)",
                (job_id, filename, json.dumps(options), now, now),
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    # Inside this class `list` is the method below, so the built-in is spelt `builtins.list`.
    def list(self, limit: int = 200) -> builtins.list[Job]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_job(row) for row in rows]

    def claim(self, worker_pid: int) -> Job | None:
        """Take the oldest queued job for this worker, or None when there is none."""
        with self._connect() as db:
            row = db.execute(
                "UPDATE jobs SET status = 'running', worker_pid = ?, attempts = attempts + 1,"
                " updated = ?, error = NULL WHERE id = (SELECT id FROM jobs"
                " WHERE status = 'queued' ORDER BY created LIMIT 1) AND status = 'queued'"
                " RETURNING *",
                (worker_pid, time.time()),
            ).fetchone()
        return _job(row) if row else None

    def report(self, job_id: str, stage: str, percent: float) -> bool:
        """Record progress of a running job; False when the job is gone (deleted)."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET stage = ?, percent = ?, updated = ? WHERE id = ?",
                (stage, round(min(max(percent, 0.0), 100.0), 1), time.time(), job_id),
            )
        return cursor.rowcount > 0

    def finish(self, job_id: str, error: str | None = None) -> None:
        """Mark a job done, or failed with `error`."""
        status, percent = ("failed", None) if error else ("done", 100.0)
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET status = ?, error = ?, percent = COALESCE(?, percent),"
                " stage = CASE WHEN ? IS NULL THEN 'finished' ELSE stage END,"
                " updated = ?, worker_pid = NULL WHERE id = ?",
                (status, error, percent, error, time.time(), job_id),
            )

    def queue_render(self, job_id: str) -> bool:
        """Queue a re-render of a finished job; False when it is queued or running."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET kind = 'render', status = 'queued', stage = NULL, percent = 0,"
                " error = NULL, updated = ? WHERE id = ? AND status IN ('done', 'failed')",
                (time.time(), job_id),
            )
        return cursor.rowcount > 0

    def recover(self) -> builtins.list[str]:
        """Put back in the queue the running jobs whose worker process has died."""
        with self._connect() as db:
            rows = db.execute("SELECT id, worker_pid FROM jobs WHERE status = 'running'").fetchall()
            lost = [row["id"] for row in rows if not process_alive(row["worker_pid"])]
            for job_id in lost:
                db.execute(
                    "UPDATE jobs SET status = 'queued', worker_pid = NULL, updated = ?"
                    " WHERE id = ? AND status = 'running'",
                    (time.time(), job_id),
                )
        return lost

    def delete(self, job_id: str) -> bool:
        """Remove a job and its folder; a worker running it notices and stops."""
        with self._connect() as db:
            cursor = db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        shutil.rmtree(self.folder_path(job_id), ignore_errors=True)
        return cursor.rowcount > 0


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    data["options"] = json.loads(data["options"])
    return Job(**data)
