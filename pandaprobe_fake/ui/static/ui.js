// The demo page's script: submit the project picker on change, and annotate a score in
// place -- Save sends PATCH /evaluations/trace-scores/{id} (the API's own route, with the
// page's Bearer token and X-Project-ID) and shows what the API answered.
"use strict";

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
});

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
