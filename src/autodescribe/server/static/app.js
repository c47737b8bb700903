// The autodescribe web app: plain JavaScript, no build step, no third-party code.
// Both pages load this file; <body data-page> says which one to start.
"use strict";

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STATUS_WORDS = {
  queued: "Waiting to start",
  running: "Working",
  done: "Finished",
  failed: "Failed",
};

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  if (response.status === 401) {
    showSignIn();
  }
  if (!response.ok) {
    throw new ApiError(response.status, await problem(response));
  }
  if (response.status === 204) {
    return null;
  }
  return response.json();
}

async function problem(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail) && body.detail.length) return body.detail[0].msg;
  } catch (error) {
    // not JSON: fall through to the status line
  }
  return `The server answered ${response.status} ${response.statusText}.`;
}

function byId(id) {
  return document.getElementById(id);
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// 83.4 -> "1:23.4": minutes and seconds to a tenth, as editors of AD scripts read them.
function clock(seconds) {
  const tenths = Math.max(0, Math.round(seconds * 10));
  const minutes = Math.floor(tenths / 600);
  const rest = ((tenths % 600) / 10).toFixed(1).padStart(4, "0");
  return `${minutes}:${rest}`;
}

function showSignIn() {
  const section = byId("sign-in");
  if (section && section.hidden) {
    section.hidden = false;
    byId("token").focus();
  }
}

function setupSignIn(onSignedIn) {
  const form = byId("sign-in-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/v1/session", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: byId("token").value }),
      });
      byId("sign-in").hidden = true;
      onSignedIn();
    } catch (error) {
      byId("upload-error").textContent = error.message;
    }
  });
}

// ---- the upload page ----------------------------------------------------------------

function startIndexPage() {
  setupSignIn(() => {
    loadChoices();
    loadJobs();
  });
  byId("upload-form").addEventListener("submit", upload);
  byId("refresh-jobs").addEventListener("click", loadJobs);
  loadChoices();
  loadJobs();
}

// Each select of the upload form, filled from GET /v1/choices: [value, text] per option.
const CHOICE_LISTS = {
  describer: (choices) => choices.describers.map((name) => [name, name]),
  voice: (choices) => choices.voices.map((name) => [name, name]),
  extended: (choices) => choices.extended_modes.map((mode) => [mode.name, `${mode.name}: ${mode.label}`]),
  loudness: (choices) => choices.loudness_presets.map((preset) => [preset.name, preset.label]),
};

async function loadChoices() {
  let choices;
  try {
    choices = await api("/v1/choices");
  } catch (error) {
    // The selects keep their one "Server default" option and the languages stay
    // empty: the upload then sends no value for them and the server uses its defaults.
    return;
  }
  for (const [field, entries] of Object.entries(CHOICE_LISTS)) {
    fillSelect(byId(field), entries(choices), choices.defaults[field]);
  }
  const languages = byId("languages");
  if (!languages.value.trim()) languages.value = choices.defaults.languages.join(", ");
}

// Keeps what the person already chose when it is still offered; else the server's default.
function fillSelect(select, entries, fallback) {
  const kept = select.value;
  const chosen = entries.some(([value]) => value === kept) ? kept : fallback;
  select.replaceChildren(...entries.map(([value, text]) => element("option", { value, text })));
  select.value = chosen;
}

function upload(event) {
  event.preventDefault();
  const form = event.target;
  const status = byId("upload-status");
  const errorBox = byId("upload-error");
  const file = byId("file").files[0];
  errorBox.textContent = "";
  if (!file) {
    errorBox.textContent = "Choose a video file first.";
    byId("file").focus();
    return;
  }
  const data = new FormData();
  for (const name of ["languages", "describer", "model", "voice", "extended", "loudness"]) {
    const value = form.elements[name].value.trim();
    if (value) data.append(name, value);
  }
  data.append("file", file, file.name);
  const request = new XMLHttpRequest();
  const bar = byId("upload-progress");
  let announced = -1;
  request.upload.addEventListener("progress", (progress) => {
    if (!progress.lengthComputable) return;
    const percent = Math.floor((progress.loaded / progress.total) * 100);
    bar.value = percent;
    bar.textContent = `${percent}%`;
    if (Math.floor(percent / 10) > announced) {
      announced = Math.floor(percent / 10);
      status.textContent = `Uploading ${file.name}: ${percent}%`;
    }
  });
  request.addEventListener("load", async () => {
    byId("upload-button").disabled = false;
    if (request.status === 201) {
      const job = JSON.parse(request.responseText);
      status.textContent = `Uploaded ${file.name}. Opening its job page.`;
      window.location.assign(`/job.html?id=${job.id}`);
      return;
    }
    if (request.status === 401) showSignIn();
    let message = `The upload was refused (${request.status}).`;
    try {
      message = JSON.parse(request.responseText).detail || message;
    } catch (error) {
      // keep the generic message
    }
    status.textContent = "";
    errorBox.textContent = message;
  });
  request.addEventListener("error", () => {
    byId("upload-button").disabled = false;
    status.textContent = "";
    errorBox.textContent = "The upload stopped: the server closed the connection. The file may be too large.";
  });
  byId("upload-button").disabled = true;
  bar.value = 0;
  status.textContent = `Uploading ${file.name}: 0%`;
  request.open("POST", "/v1/jobs");
  request.send(data);
}

let jobsTimer = null;

async function loadJobs() {
  let jobs;
  try {
    jobs = await api("/v1/jobs");
  } catch (error) {
    byId("jobs-empty").textContent = error.status === 401 ? "Sign in to see your jobs." : error.message;
    return;
  }
  const body = byId("jobs-body");
  body.replaceChildren(...jobs.map(jobRow));
  byId("jobs-table").hidden = jobs.length === 0;
  byId("jobs-empty").hidden = jobs.length > 0;
  clearTimeout(jobsTimer);
  if (jobs.some((job) => job.status === "queued" || job.status === "running")) {
    jobsTimer = setTimeout(loadJobs, 3000);
  }
}

function jobRow(job) {
  const link = element("a", { href: `/job.html?id=${job.id}`, text: job.filename });
  const added = new Date(job.created * 1000);
  const status = STATUS_WORDS[job.status] + (job.status === "running" && job.stage ? `: ${job.stage}` : "");
  return element(
    "tr",
    {},
    element("td", {}, link),
    element("td", { text: status }),
    element("td", { text: `${Math.round(job.percent)}%` }),
    element("td", {}, element("time", { datetime: added.toISOString(), text: added.toLocaleString() })),
  );
}

// ---- the job page -------------------------------------------------------------------

const page = { id: null, job: null, script: null, characters: [], files: [], events: null, lastSpoken: "" };

function startJobPage() {
  const id = new URLSearchParams(window.location.search).get("id") || "";
  if (!JOB_ID.test(id)) {
    byId("page-error").textContent = "This address does not name a job. Go back to the job list.";
    byId("job-status").textContent = "unknown";
    return;
  }
  page.id = id;
  byId("delete-job").addEventListener("click", deleteJob);
  byId("script-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveScript(false);
  });
  byId("render-script").addEventListener("click", () => saveScript(true));
  for (const radio of document.querySelectorAll('input[name="soundtrack"]')) {
    radio.addEventListener("change", switchSoundtrack);
  }
  follow();
}

function follow() {
  if (page.events) page.events.close();
  const events = new EventSource(`/v1/jobs/${page.id}/events`);
  page.events = events;
  events.addEventListener("status", (event) => showJob(JSON.parse(event.data)));
  events.addEventListener("deleted", () => {
    events.close();
    byId("job-status").textContent = "deleted";
    byId("job-live").textContent = "This job was deleted.";
  });
  events.addEventListener("error", async () => {
    if (events.readyState === EventSource.CLOSED || !page.job) {
      events.close();
      try {
        showJob(await api(`/v1/jobs/${page.id}`));
      } catch (error) {
        byId("page-error").textContent = error.message;
      }
    }
  });
}

function showJob(job) {
  const previous = page.job;
  page.job = job;
  byId("job-title").textContent = `Job: ${job.filename}`;
  document.title = `${job.filename} (${STATUS_WORDS[job.status].toLowerCase()}): autodescribe`;
  byId("job-status").textContent = STATUS_WORDS[job.status] + (job.status === "failed" ? `: ${job.error}` : "");
  const bar = byId("job-progress");
  bar.value = job.percent;
  bar.textContent = `${Math.round(job.percent)}%`;
  const changed = !previous || previous.status !== job.status || previous.stage !== job.stage;
  if (changed) byId("job-live").textContent = spoken(job);
  if (job.status === "done" || job.status === "failed") {
    if (page.events) page.events.close();
    if (job.status === "done") loadResults();
    else showQualityPending("No quality check: the job failed.");
  } else {
    showQualityPending(
      job.kind === "render"
        ? "The quality check runs again when the re-render finishes."
        : "The quality check runs when the job finishes.",
    );
  }
}

function spoken(job) {
  if (job.status === "running") return `Working: ${job.stage || "starting"}, ${Math.round(job.percent)}%.`;
  if (job.status === "done") {
    return job.kind === "render" ? "Finished re-rendering. The new video is ready below." : "Finished. The described video is ready below.";
  }
  if (job.status === "failed") return `The job failed: ${job.error}`;
  return "Waiting to start.";
}

async function loadResults() {
  try {
    page.files = await api(`/v1/jobs/${page.id}/files`);
    page.script = await api(`/v1/jobs/${page.id}/script`);
    page.characters = await api(`/v1/jobs/${page.id}/characters`);
  } catch (error) {
    byId("page-error").textContent = error.message;
    return;
  }
  showFiles();
  keepingFocus(() => {
    showPlayer();
    showCharacters();
    showEditor();
  });
  await loadQuality();
}

// Runs `redraw`, then puts the focus back on the field that had it, if it was redrawn.
function keepingFocus(redraw) {
  const id = document.activeElement ? document.activeElement.id : "";
  redraw();
  const again = id ? byId(id) : null;
  if (again && document.activeElement !== again) again.focus();
}

// ["a", "b", "c"] -> "a, b and c"
function listWords(words) {
  if (words.length < 2) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

function fileUrl(role) {
  const file = page.files.find((item) => item.role === role);
  return file ? `${file.url}?v=${page.job.updated}` : null;
}

function size(bytes) {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function showFiles() {
  const list = byId("file-list");
  list.replaceChildren(
    ...page.files.map((file) =>
      element(
        "li",
        {},
        element("a", { href: file.url, download: file.name, text: file.name }),
        ` (${file.role}, ${size(file.size)})`,
      ),
    ),
  );
  byId("files-section").hidden = false;
}

function showPlayer() {
  const video = byId("player");
  const described = byId("track-described").checked;
  video.src = fileUrl(described ? "described video" : "original video");
  for (const old of video.querySelectorAll("track")) old.remove();
  const vtt = fileUrl("descriptions as WebVTT");
  if (vtt) {
    const track = element("track", {
      kind: "descriptions",
      src: vtt,
      srclang: page.script.language,
      label: "Audio descriptions",
      default: "",
    });
    video.append(track);
    track.track.mode = "hidden";
    track.addEventListener("cuechange", () => markCurrent(track.track));
  }
  showCueList();
  byId("player-section").hidden = false;
}

function showCueList() {
  const list = byId("cue-list");
  list.replaceChildren(
    ...page.script.cues.map((cue, index) => {
      const jump = element("button", {
        type: "button",
        class: "cue-time",
        "aria-label": `Play from ${clock(cue.start)}`,
        text: clock(cue.start),
      });
      jump.addEventListener("click", () => {
        const video = byId("player");
        video.currentTime = cue.start;
        video.play().catch(() => {});
      });
      return element("li", { "data-index": String(index) }, jump, " ", element("span", { text: cue.text }));
    }),
  );
}

function markCurrent(track) {
  const active = track.activeCues ? Array.from(track.activeCues) : [];
  for (const item of byId("cue-list").children) {
    const cue = page.script.cues[Number(item.dataset.index)];
    const now = active.some((c) => Math.abs(c.startTime - cue.start) < 0.01);
    item.toggleAttribute("aria-current", false);
    item.querySelector(".now-badge")?.remove();
    if (now) {
      if (byId("read-cues").checked && page.lastSpoken !== cue.text) {
        page.lastSpoken = cue.text;
        byId("cue-live").textContent = cue.text;
      }
      item.setAttribute("aria-current", "true");
      item.append(element("span", { class: "now-badge", text: "now" }));
      item.scrollIntoView({ block: "nearest" });
    }
  }
}

function switchSoundtrack() {
  const video = byId("player");
  const time = video.currentTime;
  const playing = !video.paused;
  const described = byId("track-described").checked;
  video.src = fileUrl(described ? "described video" : "original video");
  video.setAttribute("aria-label", described ? "Described video" : "Original video");
  video.addEventListener(
    "loadedmetadata",
    () => {
      video.currentTime = time;
      if (playing) video.play().catch(() => {});
    },
    { once: true },
  );
}

// ---- the quality check --------------------------------------------------------------

async function loadQuality() {
  let report;
  try {
    report = await api(`/v1/jobs/${page.id}/qc`);
  } catch (error) {
    showQualityPending(`No quality check to show: ${error.message}`);
    return;
  }
  showQuality(report);
}

// Says `text` in the verdict's live region, once: the same words again are not announced again.
function sayVerdict(text) {
  const summary = byId("qc-summary");
  if (summary.textContent !== text) summary.textContent = text;
}

function showQualityPending(text) {
  byId("qc-section").dataset.verdict = "pending";
  sayVerdict(text);
  for (const id of ["qc-failures-group", "qc-warnings-group", "qc-help", "qc-report"]) byId(id).hidden = true;
}

function showQuality(report) {
  byId("qc-section").dataset.verdict = report.passed ? "passed" : "failed";
  sayVerdict(`${report.summary}.`);
  for (const [kind, findings] of [["failures", report.failures], ["warnings", report.warnings]]) {
    byId(`qc-${kind}`).replaceChildren(...findings.map(findingItem));
    byId(`qc-${kind}-group`).hidden = findings.length === 0;
  }
  const linked = [...report.failures, ...report.warnings].some((finding) => finding.cue !== null);
  byId("qc-help").hidden = !linked;
  byId("qc-report-link").href = report.report;
  byId("qc-report").hidden = false;
}

// A line about a cue starts with a link to that cue's words in the editor; the report's own
// "cue 2 at 00:00:04.000:" prefix is left out, since the link says the same.
function findingItem(finding) {
  if (finding.cue === null) {
    return element("li", {}, element("span", { class: "qc-where", text: "Whole video:" }), ` ${finding.message}`);
  }
  const message = finding.message.replace(/^cue \d+ at [0-9:.,]+:\s*/, "");
  const link = cueLink(finding.cue, `Description ${finding.cue} at ${clock(finding.time)}`);
  link.classList.add("qc-where");
  return element("li", {}, link, `: ${message}`);
}

// A link to the words of cue `number` (1-based) in the editor; choosing it moves the focus there.
function cueLink(number, text) {
  const link = element("a", { href: `#cue-${number}-text`, text });
  link.addEventListener("click", (event) => {
    const field = byId(`cue-${number}-text`);
    if (!field) return;
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  });
  return link;
}

// ---- the characters -----------------------------------------------------------------

function showCharacters() {
  byId("character-list").replaceChildren(...page.characters.map(characterItem));
  byId("characters-section").hidden = page.characters.length === 0;
}

// What the page calls a character: its label (name, else descriptor), else its place in the list.
function characterName(character, number) {
  return character.label || `Unnamed person ${number}`;
}

function characterItem(character, index) {
  const number = index + 1;
  const name = characterName(character, number);
  const details = element(
    "div",
    { class: "character-details" },
    element("h3", { id: `character-${number}-heading`, text: name }),
    element("p", { text: seenIn(character) }),
  );
  if (character.cues.length) details.append(mentionedIn(character));
  details.append(renameForm(character, number, name));
  const item = element("li", { class: "character", "data-id": character.id });
  if (character.thumbnail) {
    item.append(
      element("img", { class: "character-face", src: character.thumbnail, alt: name, width: "96", height: "96" }),
    );
  }
  item.append(details);
  return item;
}

function seenIn(character) {
  const scenes = character.scenes.map((scene, i) => `scene ${scene + 1} at ${clock(character.seen_at[i])}`);
  return `Seen in ${listWords(scenes)}.`;
}

function mentionedIn(character) {
  const line = element("p", {}, "Mentioned in ");
  character.cues.forEach((number, i) => {
    if (i > 0) line.append(i === character.cues.length - 1 ? " and " : ", ");
    const cue = page.script.cues[number - 1];
    line.append(cueLink(number, cue ? `description ${number} at ${clock(cue.start)}` : `description ${number}`));
  });
  line.append(".");
  return line;
}

function renameForm(character, number, name) {
  const inputId = `character-${number}-name`;
  const errorId = `${inputId}-error`;
  const input = element("input", {
    type: "text",
    id: inputId,
    name: "name",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: "80",
    "aria-describedby": errorId,
  });
  input.value = character.name || "";
  const errorBox = element("p", { id: errorId, class: "error", role: "alert" });
  // Seen as "Rename"; heard as "Rename Barack Obama", so each button says whom it renames.
  const button = element(
    "button",
    { type: "submit", id: `character-${number}-rename` },
    "Rename",
    element("span", { class: "visually-hidden", text: ` ${name}` }),
  );
  const form = element(
    "form",
    { class: "rename" },
    element("label", { for: inputId, text: `New name for ${name}` }),
    element("div", { class: "rename-row" }, input, button),
    errorBox,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    renameCharacter(character, name, input, errorBox);
  });
  return form;
}

async function renameCharacter(character, oldName, input, errorBox) {
  const status = byId("characters-status");
  const fail = (message) => {
    status.textContent = "";
    errorBox.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  };
  errorBox.textContent = "";
  input.removeAttribute("aria-invalid");
  const name = input.value.trim();
  if (!name) {
    fail("Type the new name first.");
    return;
  }
  status.textContent = `Renaming ${oldName}…`;
  let result;
  try {
    result = await api(`/v1/jobs/${page.id}/characters/${encodeURIComponent(character.id)}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
    page.script = await api(`/v1/jobs/${page.id}/script`);
    page.characters = await api(`/v1/jobs/${page.id}/characters`);
  } catch (error) {
    fail(`Not renamed: ${error.message}`);
    return;
  }
  keepingFocus(() => {
    showCharacters();
    showEditor();
    showCueList();
  });
  const count = result.changed.length;
  const changed = count === 1 ? "1 description changed" : `${count === 0 ? "no" : count} descriptions changed`;
  const said = `Renamed ${oldName} to ${result.character.label}: ${changed}.`;
  if (!result.rendering) {
    status.textContent = `${said} Nothing to re-render.`;
    return;
  }
  showJob(result.job);
  follow();
  status.textContent = `${said} Re-rendering; progress is shown above.`;
}

// ---- the script editor --------------------------------------------------------------

function showEditor() {
  const list = byId("script-cues");
  list.replaceChildren(...page.script.cues.map(cueEditor));
  byId("editor-section").hidden = false;
}

function cueEditor(cue, index) {
  const number = index + 1;
  const textId = `cue-${number}-text`;
  const text = element("textarea", { id: textId, "data-field": "text", rows: "3" });
  text.value = cue.text;
  const fieldset = element(
    "fieldset",
    {},
    element("legend", { text: `Description ${number}` }),
    element("label", { for: textId, text: "Words" }),
    text,
    ...candidateChoice(cue, number, text),
    ...(cue.notes ? [element("p", { class: "notes", text: `Seen in the scene: ${cue.notes}` })] : []),
    ...describeAgain(cue, number, text),
    element("div", { class: "times" }, timeControl(cue, number, "start"), timeControl(cue, number, "end")),
  );
  return element("li", { "data-index": String(index) }, fieldset);
}

// Other lines the writer offered for this cue: choosing one puts it in the Words field, where
// it can still be edited; the first option puts back the words the cue had.
function candidateChoice(cue, number, text) {
  const candidates = cue.candidates || [];
  if (!candidates.length && !cue.notes) return [];
  const selectId = `cue-${number}-candidates`;
  const select = element("select", { id: selectId, "data-field": "candidate" });
  const label = element("label", { for: selectId, text: "Other versions" });
  fillChoices(select, label, candidates);
  select.addEventListener("change", () => {
    text.value = select.value || cue.text;
  });
  return [label, select];
}

// The select of other versions: the words the cue had first, then each offered line.
function fillChoices(select, label, candidates) {
  select.replaceChildren(element("option", { value: "", text: "The words as first written" }));
  for (const candidate of candidates) select.append(element("option", { value: candidate, text: candidate }));
  select.hidden = label.hidden = !candidates.length;
}

// A cue written from notes can be written again: the writer alone is asked, and the new words go
// into the Words field (nothing is saved until the script is).
function describeAgain(cue, number, text) {
  if (!cue.notes) return [];
  const statusId = `cue-${number}-again-status`;
  const status = element("p", { id: statusId, role: "status", class: "status" });
  const button = element(
    "button",
    { type: "button", class: "secondary", id: `cue-${number}-again`, "aria-describedby": statusId },
    "Describe again",
    element("span", { class: "visually-hidden", text: ` description ${number}` }),
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = `Writing description ${number} again…`;
    try {
      const result = await api(`/v1/jobs/${page.id}/script/cues/${number}/again`, { method: "POST" });
      // the new lines offered first, then the words the cue had and the lines offered before
      const offered = [...result.candidates, cue.text, ...(cue.candidates || [])].filter(
        (t, i, all) => t && t !== result.text && all.indexOf(t) === i,
      );
      text.value = result.text;
      const select = byId(`cue-${number}-candidates`);
      fillChoices(select, select.previousElementSibling, offered);
      const others = offered.length === 1 ? "1 other version" : `${offered.length} other versions`;
      status.textContent = result.text
        ? `New words for description ${number}, ${others}. Save the script to keep them.`
        : `The writer had nothing new to say for description ${number}.`;
    } catch (error) {
      status.textContent = `Not written again: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return [element("div", { class: "again" }, button, status)];
}

function timeControl(cue, number, edge) {
  const word = edge === "start" ? "Starts" : "Ends";
  const outputId = `cue-${number}-${edge}`;
  const output = element("output", { id: outputId, "data-field": edge, "data-seconds": String(cue[edge]) });
  output.textContent = clock(cue[edge]);
  const label = element("span", { id: `${outputId}-label`, text: `${word} at ` });
  const group = element("div", { role: "group", "aria-labelledby": `${outputId}-label ${outputId}` }, label, output);
  for (const [delta, name] of [[-0.1, "0.1 s earlier"], [0.1, "0.1 s later"]]) {
    const button = element("button", { type: "button", class: "secondary", text: `${word === "Starts" ? "Start" : "End"} ${name}` });
    button.addEventListener("click", () => {
      const seconds = Math.max(0, Math.round((Number(output.dataset.seconds) + delta) * 1000) / 1000);
      output.dataset.seconds = String(seconds);
      output.textContent = clock(seconds);
    });
    group.append(button);
  }
  return group;
}

function editedCues() {
  return Array.from(byId("script-cues").children).map((item) => {
    const cue = page.script.cues[Number(item.dataset.index)];
    return {
      ...cue,
      text: item.querySelector('[data-field="text"]').value,
      start: Number(item.querySelector('[data-field="start"]').dataset.seconds),
      end: Number(item.querySelector('[data-field="end"]').dataset.seconds),
    };
  });
}

async function saveScript(render) {
  const status = byId("script-status");
  const errorBox = byId("script-error");
  errorBox.textContent = "";
  status.textContent = "Saving the script…";
  try {
    page.script = await api(`/v1/jobs/${page.id}/script`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ cues: editedCues() }),
    });
    showEditor();
    showCueList();
    if (!render) {
      status.textContent = "Script saved. Re-render to hear the changes and check them again.";
      return;
    }
    showJob(await api(`/v1/jobs/${page.id}/render`, { method: "POST" }));
    status.textContent = "Script saved. Re-rendering; progress is shown above.";
    follow();
  } catch (error) {
    status.textContent = "";
    errorBox.textContent = `Not saved: ${error.message}`;
  }
}

async function deleteJob() {
  if (!window.confirm("Delete this job and all its files? This cannot be undone.")) return;
  try {
    await api(`/v1/jobs/${page.id}`, { method: "DELETE" });
    window.location.assign("/");
  } catch (error) {
    byId("page-error").textContent = error.message;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.body.dataset.page === "job") startJobPage();
  else startIndexPage();
});
