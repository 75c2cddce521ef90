// The demo page's script: submit the project picker on change; annotate a score in place --
// Save sends PATCH /evaluations/trace-scores/{id}; start a run on ticked traces and metrics --
// POST /evaluations/trace-runs/batch, then the run's view; retry a run's failed pairs; and
// follow PENDING/RUNNING runs (poll GET /evaluations/trace-runs/{id}, reload when done);
// pause, resume or trigger a monitor (POST /evaluations/monitors/{id}/pause|resume|trigger).
// Every request is the API's own route with the page's Bearer token and X-Project-ID, and
// what the API answers is shown as it is.
"use strict";

const POLL_MS = 400, MAX_POLL_MS = 5000;

document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const row = button && button.closest("tr.score-row");
    if (!row) return;
    if (button.classList.contains("edit-btn")) startEditing(row);
    else if (button.classList.contains("cancel-btn")) stopEditing(row);
    else if (button.classList.contains("save-btn")) save(row);
  });
  document.addEventListener("keydown", (event) => {
    const row = event.target.closest && event.target.closest("tr.score-row.editing");
    if (!row) return;
    if (event.key === "Enter") { event.preventDefault(); save(row); }
    if (event.key === "Escape") stopEditing(row);
  });
  for (const form of document.querySelectorAll("form[data-run-form]")) setUpRunForm(form);
  for (const button of document.querySelectorAll("button[data-retry-run]")) {
    button.addEventListener("click", () => retryRun(button));
  }
  for (const button of document.querySelectorAll("button[data-monitor-action]")) {
    button.addEventListener("click", () => monitorAction(button));
  }
  watchRuns();
});

async function callApi(method, path, body) {
  const headers = {
    "Authorization": `Bearer ${document.body.dataset.token}`,
    "X-Project-ID": document.body.dataset.projectId,
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  return {response, answer: await response.json().catch(() => null)};
}

function apiMessage(response, answer) {
  if (answer && Array.isArray(answer.errors)) {
    return answer.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; ");
  }
  return answer && typeof answer.detail === "string" ? answer.detail : `HTTP ${response.status}`;
}

// -- evaluation runs --------------------------------------------------------------------------

function setUpRunForm(form) {
  const all = form.querySelector("input[data-select-all]");
  const boxes = () => form.querySelectorAll("input[type=checkbox][name=trace_ids]");
  const count = form.querySelector("[data-selection-count]");
  const update = () => {
    const ticked = form.querySelectorAll("input[type=checkbox][name=trace_ids]:checked").length;
    if (count && boxes().length) count.textContent = `${ticked} trace${ticked === 1 ? "" : "s"} selected`;
    if (all) {
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    }
  };
  if (all) all.addEventListener("change", () => { for (const box of boxes()) box.checked = all.checked; update(); });
  form.addEventListener("change", update);
  update();
  form.addEventListener("submit", (event) => { event.preventDefault(); startRun(form); });
}

async function startRun(form) {
  const data = new FormData(form);
  const error = form.querySelector("[data-run-form-error]");
  const button = form.querySelector("button[type=submit]");
  const body = {trace_ids: data.getAll("trace_ids"), metrics: data.getAll("metrics")};
  const name = (data.get("name") || "").trim();
  if (name) body.name = name;
  error.hidden = true;
  button.disabled = true;
  try {
    const {response, answer} = await callApi("POST", "/evaluations/trace-runs/batch", body);
    if (response.ok) {
      window.location.assign(form.dataset.landing.replace("RUN_ID", encodeURIComponent(answer.id)));
      return;
    }
    error.textContent = apiMessage(response, answer);
  } catch (failure) {
    error.textContent = `Could not reach the fake: ${failure.message}`;
  }
  error.hidden = false;
  button.disabled = false;
}

async function retryRun(button) {
  const error = button.parentElement.querySelector("[data-retry-error]");
  button.disabled = true;
  try {
    const {response, answer} = await callApi("POST", `/evaluations/trace-runs/${encodeURIComponent(button.dataset.retryRun)}/retry`);
    if (response.ok) {
      window.location.assign(button.dataset.landing.replace("RUN_ID", encodeURIComponent(answer.id)));
      return;
    }
    error.textContent = apiMessage(response, answer);
  } catch (failure) {
    error.textContent = `Could not reach the fake: ${failure.message}`;
  }
  button.disabled = false;
}

// -- monitors ----------------------------------------------------------------------------------

// Pause or resume: the page reloads and shows the monitor as the API now holds it.  Trigger
// (202, a run): a trace run opens its view; any other run shows in this monitor's runs.
async function monitorAction(button) {
  const box = button.closest("[data-monitor-actions]");
  const error = box.querySelector("[data-monitor-error]");
  const action = button.dataset.monitorAction;
  for (const other of box.querySelectorAll("button")) other.disabled = true;
  error.textContent = "";
  try {
    const {response, answer} = await callApi("POST", `/evaluations/monitors/${encodeURIComponent(box.dataset.monitorActions)}/${action}`);
    if (response.ok) {
      if (action === "trigger" && answer && answer.target_type === "TRACE" && answer.id) {
        window.location.assign(box.dataset.runLanding.replace("RUN_ID", encodeURIComponent(answer.id)));
      } else {
        window.location.reload();
      }
      return;
    }
    error.textContent = apiMessage(response, answer);
  } catch (failure) {
    error.textContent = `Could not reach the fake: ${failure.message}`;
  }
  for (const other of box.querySelectorAll("button")) other.disabled = false;
}

function showRunState(element, run) {
  element.dataset.status = run.status;
  for (const target of document.querySelectorAll(`[data-run-id="${CSS.escape(run.id)}"]`)) {
    const status = target.querySelector(".run-status");
    if (status) status.replaceChildren(badge("run-status", run.status));
    for (const node of target.querySelectorAll(".evaluated")) node.textContent = run.evaluated_count;
    for (const node of target.querySelectorAll("[data-failed]")) node.textContent = run.failed_count;
    for (const bar of target.querySelectorAll(".progress progress")) {
      const active = run.status === "PENDING" || run.status === "RUNNING";
      bar.max = run.total_targets || 1;
      bar.value = run.total_targets ? run.evaluated_count : (active ? 0 : 1);
      bar.parentElement.classList.toggle("active", active);
    }
  }
}

// Poll every PENDING/RUNNING run on the page; once none is left, reload to show the result.
function watchRuns() {
  const watched = [...document.querySelectorAll("[data-watch-run]")];
  if (!watched.length) return;
  let wait = POLL_MS;
  const tick = async () => {
    let active = 0, trouble = false;
    for (const element of watched) {
      try {
        const {response, answer} = await callApi("GET", `/evaluations/trace-runs/${encodeURIComponent(element.dataset.watchRun)}`);
        if (response.status === 404) continue;  // deleted meanwhile: the reload shows it
        if (!response.ok) { active += 1; trouble = true; continue; }  // 429, a scripted fault...
        showRunState(element, answer);
        if (answer.status === "PENDING" || answer.status === "RUNNING") active += 1;
      } catch (failure) {
        active += 1;  // the fake is briefly unreachable: keep trying
        trouble = true;
      }
    }
    wait = trouble ? Math.min(wait * 2, MAX_POLL_MS) : POLL_MS;  // back off while refused
    if (active) window.setTimeout(tick, wait);
    else window.location.reload();
  };
  window.setTimeout(tick, POLL_MS);
}

function clearErrors(row) {
  for (const element of row.querySelectorAll(".field-error")) element.textContent = "";
  row.classList.remove("invalid");
}

function startEditing(row) {
  clearErrors(row);
  row.classList.add("editing");
  row.querySelector("input[name=value]").focus();
}

function stopEditing(row) {
  for (const input of row.querySelectorAll(".edit input")) input.value = input.dataset.original;
  clearErrors(row);
  row.classList.remove("editing");
}

function showError(row, field, message) {
  const target = row.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`)
    || row.querySelector(".row-error");
  target.textContent = target.textContent ? `${target.textContent}; ${message}` : message;
  row.classList.add("invalid");
}

function badge(kind, value) {
  const element = document.createElement("span");
  element.className = `badge ${kind}-${value.toLowerCase()}`;
  element.textContent = value;
  return element;
}

function showSaved(row, score) {
  for (const name of ["value", "reason"]) {
    const text = score[name] === null ? "" : score[name];
    row.querySelector(`.${name} .view`).textContent = text || (score[name] === null && name === "value" ? "—" : "");
    const input = row.querySelector(`input[name=${name}]`);
    input.value = text;
    input.dataset.original = text;
  }
  row.querySelector(".status").replaceChildren(badge("status", score.status));
  row.querySelector(".source").replaceChildren(badge("source", score.source));
  const updated = row.querySelector(".updated");
  updated.hidden = false;
  updated.querySelector("time").textContent = score.updated_at.slice(0, 19).replace("T", " ");
  row.classList.remove("editing");
  row.classList.add("saved");
}

async function save(row) {
  clearErrors(row);
  const body = {};  // only what was changed: the API leaves the rest alone
  for (const input of row.querySelectorAll(".edit input")) {
    if (input.value !== input.dataset.original) body[input.name] = input.value;
  }
  const button = row.querySelector(".save-btn");
  button.disabled = true;
  let response, answer;
  try {
    response = await fetch(`/evaluations/trace-scores/${encodeURIComponent(row.dataset.scoreId)}`, {
      method: "PATCH",
      headers: {
        "Authorization": `Bearer ${document.body.dataset.token}`,
        "X-Project-ID": document.body.dataset.projectId,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(body),
    });
    answer = await response.json().catch(() => null);
  } catch (error) {
    showError(row, "", `Could not reach the fake: ${error.message}`);
    return;
  } finally {
    button.disabled = false;
  }
  if (response.ok) {
    showSaved(row, answer);
  } else if (answer && Array.isArray(answer.errors)) {  // {"detail": "Validation error", "errors": [...]}
    for (const error of answer.errors) showError(row, error.field, error.message);
  } else {  // {"detail": "..."}: on a 422 here, the value rule of the score's data type
    const detail = answer && typeof answer.detail === "string" ? answer.detail : `HTTP ${response.status}`;
    showError(row, response.status === 422 && "value" in body ? "value" : "", detail);
  }
}
