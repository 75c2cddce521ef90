"""The demo page's evaluation runs: choose traces and metrics and start a run, follow it to
COMPLETED, read its scores.

    /ui/traces           the project's traces (the list route's filters and pagination), a
                         checkbox each, and the metrics of GET /evaluations/trace-metrics: Start
                         run sends POST /evaluations/trace-runs/batch (from the browser, ui.js)
                         and lands on the run's view
    /ui/runs             the runs (GET /evaluations/trace-runs), newest first, paginated
    /ui/runs/<id>        one run (GET .../{id}) and its scores (GET .../{id}/scores); while it
                         is PENDING or RUNNING the page polls the run (ui.js) and reloads when
                         it is done (a meta refresh without JavaScript)

As the rest of the page, these views only read the API's routes through the app (`call_api`);
starting or retrying a run is the browser's own request to the API, with the page's bearer
token and X-Project-ID, as the inline score edit is (no form post to the page, nothing for a
cross-site form to forge).  trace_page (page.py) uses `runs_of_trace` and `metric_choices`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import g, render_template

from pandaprobe_fake import openapi
from pandaprobe_fake.api.evaluations.run_schemas import RUN_STATUSES
from pandaprobe_fake.schemas import TRACE_STATUSES
from pandaprobe_fake.ui.common import (SCORES, Answer, blueprint, call_api, choose_project, last,
                                     list_page)

RUNS = "/evaluations/trace-runs"
METRICS = "/evaluations/trace-metrics"
ACTIVE = ("PENDING", "RUNNING")
RUN_SCORES_SHOWN = 200  # the run view's table; every score is in the Scores table (?eval_run_id=)
RUNS_OF_A_TRACE = 20  # the trace view asks for at most this many runs
TRACE_FILTERS = ("status", "name", "user_id", "session_id")


def metric_choices(project_id: str) -> Answer:
    return call_api("GET", METRICS, project_id)


def runs_of_trace(project_id: str, trace_id: str) -> tuple[Answer, list[tuple[str, Answer]]]:
    """The runs whose scores are on this trace, newest score first: (the score listing asked,
    [(run id, the run's answer)]).  A deleted run (its scores kept) answers 404."""
    listing = call_api("GET", SCORES, project_id, [("trace_id", trace_id), ("source", "AUTOMATED"),
                                                   ("limit", "200")])
    ids = dict.fromkeys(s["eval_run_id"] for s in listing.body["items"]
                        if s["eval_run_id"]) if listing.ok else {}
    return listing, [(run_id, call_api("GET", f"{RUNS}/{run_id}", project_id))
                     for run_id in list(ids)[:RUNS_OF_A_TRACE]]


def progress(run: dict[str, Any]) -> dict[str, Any]:
    """evaluated of total, for a <progress> (which needs max > 0: a run with no target shows
    full when done, empty before)."""
    total, done, active = run["total_targets"], run["evaluated_count"], run["status"] in ACTIVE
    if not total:
        return {"max": 1, "value": 0 if active else 1, "active": active}
    return {"max": total, "value": done, "active": active}


def context_for(template_context: dict[str, Any]) -> dict[str, Any]:
    return {**template_context, "progress": progress, "ACTIVE": ACTIVE}


@blueprint.get("/ui/traces")
@openapi.undocumented("the HTML demo page, not part of the API")
def traces_page():
    return list_page("traces.html", "/traces", TRACE_FILTERS,
                     {"trace_statuses": TRACE_STATUSES, "section": "traces"}, limit="50",
                     extra=lambda pid: {"metrics": metric_choices(pid),
                                        "filters": {k: last(k) for k in TRACE_FILTERS}},
                     finish=context_for)


@blueprint.get("/ui/runs")
@openapi.undocumented("the HTML demo page, not part of the API")
def runs_page():
    return list_page("runs.html", RUNS, ("status",), {"run_statuses": RUN_STATUSES, "section": "runs"},
                     extra=lambda pid: {"status": last("status")}, finish=context_for)


@blueprint.get("/ui/runs/<run_id>")
@openapi.undocumented("the HTML demo page, not part of the API")
def run_page(run_id: str):
    projects, project, problem = choose_project()
    context: dict[str, Any] = {"projects": projects, "project": project, "problem": problem,
                               "run_id": run_id, "section": "runs"}
    if project is None:
        return render_template("run.html", **context)
    pid = g.ui_project = project["id"]
    segment = quote(run_id, safe="")
    run = call_api("GET", f"{RUNS}/{segment}", pid)
    scores = call_api("GET", f"{RUNS}/{segment}/scores", pid) if run.ok else None
    context.update(run=run, scores=scores, shown=RUN_SCORES_SHOWN)
    return render_template("run.html", **context_for(context))
