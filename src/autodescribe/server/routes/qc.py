"""The quality check of a job: the verdict of its last narrate or re-render, from NAME.qc.json.

Every narrate and render ends with `check`, which writes the report beside the
script. This route reads that report and says which cue each line concerns, so
a client can point at the cue: a line found in a cue's own findings is that
cue's; a line about cues across the script ("cues 2 and 3 overlap ...", "cue 4
at ...: no narration heard") names the cue it starts with. Loudness lines
concern the whole programme. A measure that only warns stays a warning.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import ValidationError

from autodescribe.errors import MediaError
from autodescribe.server.routes import JobId, job_or_404, script_path, store_of
from autodescribe.server.schemas import Problem, QCCue, QCFinding, QualityCheck
from autodescribe.server.security import inside

if TYPE_CHECKING:
    from autodescribe.qc.report import QCReport

router = APIRouter(prefix="/v1/jobs/{job_id}/qc", tags=["quality check"])

_NAMES_A_CUE = re.compile(r"^cues? (\d+)\b")


@router.get(
    "",
    response_model=QualityCheck,
    responses={code: {"model": Problem} for code in (404, 409, 500)},
    summary="The quality check verdict of the job's last render",
)
def get_quality_check(
    request: Request, job_id: JobId, language: str | None = Query(None, max_length=8)
) -> QualityCheck:
    """Passed or failed, each failure and warning with the cue it concerns, and per-cue findings.

    409 while the job is queued or running (a re-render checks again); 404 when
    it failed or has no report.
    """
    job = job_or_404(request, job_id)
    if job.status in ("queued", "running"):
        raise HTTPException(status.HTTP_409_CONFLICT, "the job is queued or running; wait for it")
    if job.status == "failed":
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "the job failed, so it has no quality check; see its error"
        )
    script = script_path(request, job_id, language)
    path = _report_path(request, script)
    report = _read_report(path)
    return verdict(report, path, script, f"/v1/jobs/{job_id}/files/{path.name}")


def _report_path(request: Request, script: Path) -> Path:
    from autodescribe.qc.report import qc_path

    store = store_of(request)
    path = inside(store.jobs_dir, script.parent, qc_path(script).name)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this job has no quality check report")
    return path


def _read_report(path: Path) -> QCReport:
    from autodescribe.formats import read_text
    from autodescribe.qc.report import QCReport
    from autodescribe.types import from_jsonable

    try:
        report: QCReport = from_jsonable(QCReport, json.loads(read_text(path)))
    except (MediaError, ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
        raise HTTPException(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            f"the quality check report {path.name} cannot be read ({type(exc).__name__});"
            " re-render the job to write it again",
        ) from None
    return report


def verdict(report: QCReport, path: Path, script: Path, url: str) -> QualityCheck:
    """The API's view of a report: each line tied to its cue, and the verdict in words."""
    from autodescribe.formats.script_json import read_script

    starts = {cue.index: cue.start for cue in report.cues}
    owners = {line: c.index for c in report.cues for line in (*c.failures, *c.warnings)}
    return QualityCheck(
        passed=report.passed,
        summary=summary(report.passed, len(report.failures), len(report.warnings)),
        script=script.name,
        language=read_script(script).language,
        checked=path.stat().st_mtime,
        report=url,
        failures=[_finding(line, owners, starts) for line in report.failures],
        warnings=[_finding(line, owners, starts) for line in report.warnings],
        cues=[
            QCCue(
                index=c.index,
                start=c.start,
                end=c.end,
                text=c.text,
                passed=c.passed,
                failures=c.failures,
                warnings=c.warnings,
            )
            for c in report.cues
        ],
    )


def _finding(line: str, owners: dict[str, int], starts: dict[int, float]) -> QCFinding:
    cue = owners.get(line)
    if cue is None:
        named = _NAMES_A_CUE.match(line)
        cue = int(named[1]) if named and int(named[1]) in starts else None
    return QCFinding(message=line, cue=cue, time=starts[cue] if cue is not None else None)


def summary(passed: bool, failures: int, warnings: int) -> str:
    """'Quality check passed', '... passed with 1 warning', '... failed with 2 failures'."""
    counts = [_count(failures, "failure"), _count(warnings, "warning")]
    found = " and ".join(count for count in counts if count)
    outcome = "passed" if passed else "failed"
    return f"Quality check {outcome}" + (f" with {found}" if found else "")


def _count(number: int, noun: str) -> str:
    if number == 0:
        return ""
    return f"{number} {noun}" + ("" if number == 1 else "s")
