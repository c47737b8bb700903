"""The web app in headless Chromium against a real server: upload, follow, play, edit, re-render.

Each page is also scanned with axe-core: no serious or critical violations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autodescribe.backends.describe import describers
from autodescribe.backends.voice import voices_without_sample
from autodescribe.presets import EXTENDED_MODES, PRESETS
from autodescribe.server.schemas import JobOptions

FINISHED_TIMEOUT_MS = 120_000
Scan = Callable[[Any], list[dict[str, Any]]]
OPTION_VALUES = "s => Array.from(s.options, o => o.value)"
SELECTED_TEXT = "s => s.selectedOptions[0].text"


@pytest.fixture(scope="module")
def job_url(browser: Any, web_server: str, sample_path: Path) -> str:
    """Upload the sample through the form; the address of its job page once it has finished."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(web_server + "/")
    page.get_by_label("Video file").set_input_files(str(sample_path))
    page.get_by_role("button", name="Upload and describe").click()
    page.wait_for_url(re.compile(r"/job\.html\?id=[0-9a-f-]{36}$"), timeout=30_000)
    url: str = page.url
    page.locator("#job-status", has_text="Finished").wait_for(timeout=FINISHED_TIMEOUT_MS)
    context.close()
    return url


def test_upload_page_is_keyboard_and_screen_reader_ready(
    page: Any, web_server: str, axe_scan: Scan, describe_axe: Any
) -> None:
    page.goto(web_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.get_by_role("heading", level=1).count() == 1
    assert page.get_by_label("Upload progress").evaluate("e => e.tagName") == "PROGRESS"
    assert page.locator("#upload-status").get_attribute("aria-live") == "polite"
    violations = axe_scan(page)
    assert not violations, describe_axe(violations)


def test_upload_refusal_is_announced(page: Any, web_server: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video at all\n" * 100)
    page.goto(web_server + "/")
    page.get_by_label("Video file").set_input_files(str(notes))
    page.get_by_role("button", name="Upload and describe").click()
    alert = page.get_by_role("alert").filter(has_text="does not look like a video")
    alert.wait_for()
    assert page.url.endswith("/")


def _choices_loaded(page: Any) -> None:
    page.wait_for_function("document.querySelector('#loudness').options[0].value !== ''")


def _catch_upload(page: Any) -> list[bytes]:
    """Answer the form's POST /v1/jobs here, without a job; returns the bodies it sent."""
    sent: list[bytes] = []

    def answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(route.request.post_data_buffer)
        route.fulfill(status=422, json={"detail": "stopped by the test"})

    page.route("**/v1/jobs", answer)
    return sent


def _submit(page: Any, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    page.get_by_label("Video file").set_input_files(str(clip))
    page.get_by_role("button", name="Upload and describe").click()
    page.get_by_role("alert").filter(has_text="stopped by the test").wait_for()


def test_upload_options_are_the_servers_choices(
    page: Any, web_server: str, axe_scan: Scan, describe_axe: Any
) -> None:
    page.goto(web_server + "/")
    _choices_loaded(page)
    page.locator("summary", has_text="Options").click()
    loudness = page.get_by_label("Loudness standard")
    extended = page.get_by_label("Extended description")
    assert loudness.evaluate(OPTION_VALUES) == list(PRESETS)
    assert extended.evaluate(OPTION_VALUES) == list(EXTENDED_MODES)
    assert page.get_by_label("Describer").evaluate(OPTION_VALUES) == describers.names()
    assert page.get_by_label("Voice").evaluate(OPTION_VALUES) == voices_without_sample()
    defaults = JobOptions()
    assert loudness.input_value() == defaults.loudness
    assert extended.input_value() == defaults.extended
    assert page.get_by_label("Describer").input_value() == defaults.describer
    assert page.get_by_label("Voice").input_value() == defaults.voice
    assert page.get_by_label("Description languages").input_value() == ", ".join(defaults.languages)
    assert loudness.evaluate(SELECTED_TEXT) == PRESETS[defaults.loudness].label
    violations = axe_scan(page)
    assert not violations, describe_axe(violations)


def test_an_option_chosen_with_the_keyboard_is_sent(
    page: Any, web_server: str, tmp_path: Path
) -> None:
    sent = _catch_upload(page)
    page.goto(web_server + "/")
    _choices_loaded(page)
    page.locator("summary", has_text="Options").focus()
    page.keyboard.press("Enter")  # opens the options
    loudness = page.get_by_label("Loudness standard")
    names = list(PRESETS)
    at = names.index(JobOptions().loudness)
    key, chosen = (
        ("ArrowDown", names[at + 1]) if at + 1 < len(names) else ("ArrowUp", names[at - 1])
    )
    loudness.wait_for(state="visible")  # the options have opened
    loudness.focus()
    page.keyboard.press(key)
    page.wait_for_function(
        "value => document.querySelector('#loudness').value === value", arg=chosen
    )
    assert loudness.input_value() == chosen
    _submit(page, tmp_path)
    assert f'name="loudness"\r\n\r\n{chosen}\r\n'.encode() in sent[0]


def test_without_choices_the_form_sends_no_options(
    page: Any, web_server: str, tmp_path: Path
) -> None:
    page.route("**/v1/choices", lambda route: route.abort())
    sent = _catch_upload(page)
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/v1/choices")):
        page.goto(web_server + "/")
    for label in ("Describer", "Voice", "Extended description", "Loudness standard"):
        select = page.get_by_label(label)
        assert select.evaluate(OPTION_VALUES) == [""], label
        assert select.evaluate(SELECTED_TEXT) == "Server default"
    _submit(page, tmp_path)
    body = sent[0]
    assert b'name="file"' in body
    for field in ("languages", "describer", "voice", "extended", "loudness"):
        assert f'name="{field}"'.encode() not in body, field


def test_job_page_shows_progress_and_the_result(
    page: Any, job_url: str, axe_scan: Scan, describe_axe: Any
) -> None:
    page.goto(job_url)
    page.locator("#job-status", has_text="Finished").wait_for()
    assert page.locator("#job-progress").evaluate("e => e.value") == 100
    assert "Finished" in page.locator("#job-live").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Job: sample.mp4"
    page.locator("#script-cues li").first.wait_for()
    links = page.locator("#file-list a").all_inner_texts()
    assert {"sample.described.mp4", "sample.ad.vtt", "sample.script.json"} <= set(links)
    violations = axe_scan(page)
    assert not violations, describe_axe(violations)


def _verdict(page: Any) -> dict[str, Any]:
    """The job's quality check as the API gives it, fetched from the job page."""
    verdict: dict[str, Any] = page.evaluate(
        "fetch(`/v1/jobs/${new URLSearchParams(location.search).get('id')}/qc`).then(r => r.json())"
    )
    return verdict


def _clock(seconds: float) -> str:
    """The page's way of writing a time: 4.0 -> '0:04.0'."""
    tenths = round(seconds * 10)
    return f"{tenths // 600}:{(tenths % 600) / 10:04.1f}"


def _checked(page: Any) -> None:
    page.locator('#qc-section:not([data-verdict="pending"])').wait_for()


def test_job_page_shows_the_quality_check_verdict(
    page: Any, job_url: str, axe_scan: Scan, describe_axe: Any
) -> None:
    page.goto(job_url)
    _checked(page)
    verdict = _verdict(page)
    region = page.locator("#qc-verdict")
    assert region.get_attribute("role") == "status"
    assert region.inner_text() == verdict["summary"] + "."
    outcome = "passed" if verdict["passed"] else "failed"
    assert region.inner_text().startswith(f"Quality check {outcome}")
    assert page.get_by_role("heading", name="Quality check").count() == 1
    for kind in ("failures", "warnings"):
        items = page.locator(f"#qc-{kind} li")
        assert items.count() == len(verdict[kind]), kind
        assert page.locator(f"#qc-{kind}-group").is_hidden() == (not verdict[kind])
        for item, finding in zip(items.all(), verdict[kind], strict=True):
            where = "Whole video:"
            if finding["cue"] is not None:
                where = f"Description {finding['cue']} at {_clock(finding['time'])}"
            assert item.inner_text().startswith(where), (item.inner_text(), finding)
    report = page.get_by_role("link", name="Full quality check report (JSON)")
    assert report.get_attribute("href") == verdict["report"]
    violations = axe_scan(page)
    assert not violations, describe_axe(violations)


def test_player_plays_and_follows_the_description_cues(page: Any, job_url: str) -> None:
    page.goto(job_url)
    video = page.locator("#player")
    page.locator("#cue-list li").first.wait_for()
    assert "sample.described.mp4" in video.evaluate("v => v.currentSrc")
    assert video.evaluate("v => v.textTracks[0].kind") == "descriptions"
    page.wait_for_function("document.querySelector('#player').readyState >= 1")
    first_cue = page.locator("#cue-list li").first
    first_cue.get_by_role("button").click()  # jump to the first description and play
    current = page.locator('#cue-list li[aria-current="true"]')
    current.wait_for(timeout=10_000)
    assert current.inner_text().startswith(first_cue.inner_text().split("now")[0].strip()[:10])
    assert not video.evaluate("v => v.paused")
    # the original soundtrack plays from the same place
    page.get_by_label("Original").check()
    page.wait_for_function("document.querySelector('#player').currentSrc.includes('/sample.mp4?')")
    assert video.evaluate("v => v.getAttribute('aria-label')") == "Original video"


def test_script_editor_saves_with_the_keyboard(page: Any, job_url: str) -> None:
    page.goto(job_url)
    first = page.locator("#script-cues li").first
    first.wait_for()
    start = first.locator('output[data-field="start"]')
    before = float(start.get_attribute("data-seconds"))
    first.get_by_label("Words").fill("A yellow wall fills the screen.")
    later = first.get_by_role("button", name="Start 0.1 s later")
    later.focus()
    page.keyboard.press("Enter")
    assert float(start.get_attribute("data-seconds")) == pytest.approx(before + 0.1)
    page.get_by_role("button", name="Save script").click()
    page.locator("#script-status", has_text="Script saved").wait_for()
    page.reload()
    first = page.locator("#script-cues li").first
    first.wait_for()
    assert first.get_by_label("Words").input_value() == "A yellow wall fills the screen."
    saved = float(first.locator('output[data-field="start"]').get_attribute("data-seconds"))
    assert saved == pytest.approx(before + 0.1)


def test_script_editor_offers_the_other_versions_of_a_cue(page: Any, job_url: str) -> None:
    page.goto(job_url)
    page.locator("#script-cues li").first.wait_for()
    page.evaluate(  # the writer's other lines, as a two-pass run keeps them in the script
        """async (job) => {
            const url = `/v1/jobs/${job}/script`;
            const script = await (await fetch(url)).json();
            script.cues[0].candidates = ["A red door opens.", "A door opens slowly."];
            script.cues[0].notes = "A red door.";
            const put = await fetch(url, {
                method: "PUT", headers: {"Content-Type": "application/json"},
                body: JSON.stringify(script),
            });
            if (!put.ok) throw new Error(await put.text());
        }""",
        job_url.rsplit("id=", 1)[1],
    )
    page.reload()
    first = page.locator("#script-cues li").first
    first.wait_for()
    written = first.get_by_label("Words").input_value()
    assert first.get_by_text("Seen in the scene: A red door.").is_visible()
    first.get_by_label("Other versions").select_option(label="A door opens slowly.")
    assert first.get_by_label("Words").input_value() == "A door opens slowly."
    first.get_by_label("Other versions").select_option(index=0)
    assert first.get_by_label("Words").input_value() == written
    # written again from its notes by the job's describer (here the offline one, from the facts)
    first.get_by_role("button", name="Describe again description 1").click()
    first.get_by_text("New words for description 1").wait_for()
    assert first.get_by_label("Words").input_value() == "A red door."
    offered = first.get_by_label("Other versions").evaluate(OPTION_VALUES)
    assert written in offered and "A red door opens." in offered


def test_rerender_from_the_edited_script(page: Any, job_url: str) -> None:
    page.goto(job_url)
    last = page.locator("#script-cues li").last
    last.wait_for()
    last.get_by_label("Words").fill("The picture fades to black.")
    page.get_by_role("button", name="Save and re-render").click()
    page.locator("#script-status", has_text="Re-rendering").wait_for()
    page.locator("#job-live", has_text="Finished re-rendering").wait_for(
        timeout=FINISHED_TIMEOUT_MS
    )
    page.locator("#cue-list li", has_text="The picture fades to black.").wait_for()
    vtt = page.evaluate("fetch(document.querySelector('#player track').src).then(r => r.text())")
    assert "The picture fades to black." in vtt


def test_a_failed_quality_check_links_each_finding_to_its_cue(
    page: Any, job_url: str, axe_scan: Scan, describe_axe: Any
) -> None:
    page.goto(job_url)
    first = page.locator("#script-cues li").first
    first.wait_for()
    _checked(page)
    first.get_by_label("Words").fill("We see a door.")  # breaks the 'we-see' writing rule
    page.get_by_role("button", name="Save and re-render").click()
    page.locator("#qc-verdict", has_text="runs again when the re-render finishes").wait_for()
    failed = page.locator("#qc-verdict", has_text="Quality check failed")
    failed.wait_for(timeout=FINISHED_TIMEOUT_MS)
    verdict = _verdict(page)
    assert failed.inner_text() == verdict["summary"] + "."
    broken = next(f for f in verdict["failures"] if "'we-see'" in f["message"])
    assert broken["cue"] == 1
    item = page.locator("#qc-failures li", has_text="'we-see'")
    link = item.get_by_role("link")
    assert link.inner_text() == f"Description 1 at {_clock(broken['time'])}"
    link.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "cue-1-text"
    assert page.evaluate("document.activeElement.value") == "We see a door."
    violations = axe_scan(page)
    assert not violations, describe_axe(violations)
