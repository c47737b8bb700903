"""A worker process: take queued jobs from the store and run the pipeline on them.

Run as `python -m autodescribe.server.worker --data DIR` (the app starts one or
more this way). A job whose worker died goes back to the queue when any worker
or the app starts, and runs again in the same folder, where the pipeline's work
folder lets it resume from the last finished stage.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from autodescribe.config import NarrateSettings
from autodescribe.errors import AutodescribeError
from autodescribe.server.jobs import Job, JobStore
from autodescribe.server.security import listed, no_links
from autodescribe.util.progress import OVERALL

log = logging.getLogger(__name__)

_STAGE_NAMES = {
    "rendering": "mixing",
    "loudness": "measuring loudness",
    "checking mix": "checking the mix",
    "text": "reading text",
}


class JobDeleted(Exception):
    """The job was deleted while it ran: stop working on it."""


class Reporter:
    """A progress listener: the bar that moved last names the job's stage, and the run's
    overall bar (which weighs the stages, some running side by side) gives its percent."""

    def __init__(self, store: JobStore, job: Job) -> None:
        self.store = store
        self.job_id = job.id
        self.stage = "starting"
        self.percent = 0.0

    def __call__(self, label: str, done: float, total: float | None) -> None:
        if label == OVERALL:
            self.percent = max(self.percent, done)
        else:
            self.stage = _STAGE_NAMES.get(label, label)
        if not self.store.report(self.job_id, self.stage, self.percent):
            raise JobDeleted(self.job_id)


def run_job(store: JobStore, job: Job) -> None:
    """Run one claimed job to the end and record how it ended."""
    from autodescribe.server.schemas import JobOptions
    from autodescribe.util import progress

    folder = store.folder(job)
    reporter = Reporter(store, job)
    progress.add_listener(reporter)
    try:
        _check_folder(store, job)
        settings = JobOptions.model_validate(job.options).to_settings()
        if job.kind == "render":
            _render(store.jobs_dir, folder.video, folder.out_dir, settings)
        else:
            from autodescribe.config import NarrateJob
            from autodescribe.pipeline import narrate

            narrate(NarrateJob(video=folder.video, out_dir=folder.out_dir, settings=settings))
    except JobDeleted:
        log.info("job %s was deleted while it ran", job.id)
        store.delete(job.id)
        return
    except AutodescribeError as exc:
        store.finish(job.id, error=str(exc))
        return
    except Exception as exc:  # a bug must fail the job, not kill the worker
        log.exception("job %s failed", job.id)
        store.finish(job.id, error=f"internal error ({type(exc).__name__}: {exc})")
        return
    finally:
        progress.remove_listener(reporter)
    if store.get(job.id) is None:  # deleted after its last progress report
        store.delete(job.id)
        return
    store.finish(job.id)


def _check_folder(store: JobStore, job: Job) -> None:
    """Refuse a job whose folder holds a link: the pipeline would read or write through it."""
    folder = store.folder(job)
    for path in (folder.video, folder.out_dir, folder.work_dir):
        if not no_links(store.jobs_dir, path):
            raise AutodescribeError(
                f"the job's folder holds a symbolic link at {path.name}",
                "delete the job and upload the video again",
            )


def _render(jobs_dir: Path, video: Path, out_dir: Path, settings: NarrateSettings) -> None:
    """Re-render every script in the job's outputs, without describing again."""
    from autodescribe.config import NarrateJob
    from autodescribe.render.from_script import render_script

    scripts = listed(jobs_dir, out_dir, "*.script.json")
    if not scripts:
        raise AutodescribeError("this job has no script to render", "run the job again")
    job = NarrateJob(video=video, out_dir=out_dir, settings=settings)
    for script in scripts:
        render_script(job, script, name=script.name.removesuffix(".script.json"))


def serve_forever(store: JobStore, poll: float, parent: int | None = None) -> None:
    """Claim and run jobs until stopped, or until the parent process is gone."""
    for job_id in store.recover():
        log.info("job %s was interrupted; queued again", job_id)
    while parent is None or os.getppid() == parent:
        job = store.claim(os.getpid())
        if job is None:
            time.sleep(poll)
            continue
        log.info("job %s: %s %s", job.id, job.kind, job.filename)
        run_job(store, job)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run autodescribe jobs from a server's store.")
    parser.add_argument("--data", type=Path, required=True, help="the server's data folder")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between looks")
    parser.add_argument("--parent", type=int, default=None, help="exit when this process ends")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s worker %(process)d %(name)s: %(message)s",
        stream=sys.stderr,
    )
    signal.signal(signal.SIGTERM, _stop)  # so running ffmpeg children are ended too
    from autodescribe.server.settings import ServerSettings

    settings = ServerSettings(data_dir=args.data)
    try:
        serve_forever(JobStore(settings.db_path, settings.jobs_dir), args.poll, args.parent)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
