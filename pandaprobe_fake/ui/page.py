"""The demo page: see, chart and annotate a project's trace scores in the browser.

    /                    a browser is redirected here (api/meta.py; API clients get JSON)
    /ui                  scores table (the list route's filters, pagination, inline edit)
                         and charts per metric (summary, trend, distribution)
    /ui/traces/<id>      a trace, its spans as an indented timeline, its latest scores, the runs
                         that scored it, and an Evaluate form (a run on this trace)
    /ui/traces, /ui/runs, /ui/runs/<id>   choose traces and start a run; the runs; one run
                         and its scores (ui/runs.py)
    /ui/sessions, /ui/sessions/<id>   sessions, one session's traces, scores and metrics over
                         time (ui/sessions.py)
    /ui/monitors, /ui/monitors/<id>   monitors, one monitor and its runs; pause, resume,
                         trigger from the browser (ui/monitors.py)
    POST /ui/key         remember an API key for the page (a cookie), for a fake run with --api-key
                         (the form carries the page's CSRF token; another one is a 403)

Every response of the page says it may not be framed (X-Frame-Options, CSP frame-ancestors)
and may run only its own script (CSP).  The browser guards of web.py apply too.

The page has no data path of its own.  Every figure on it comes from the API's routes:
the views send internal requests through the app (`call_api`: a WSGI call, with
`Authorization: Bearer` + `X-Project-ID` of the chosen project) and render the JSON the
routes answer, so filters, validation and error messages are exactly the API's.  Inline
annotation is `PATCH /evaluations/trace-scores/{id}` sent by the browser (static/ui.js).
The pages themselves need no credentials; the project comes from a selector of the
projects the fake knows (`Store.projects()`).  The token the page sends is the key saved
with POST /ui/key, else a fixed one, which a fake started with --api-key refuses (401),
so the page shows nothing of such a fake until it is given one of its keys.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

from flask import g, redirect, render_template, request, url_for

import pandaprobe_fake.ui.charts as charts
import pandaprobe_fake.ui.runs as runs
from pandaprobe_fake import openapi, schemas
from pandaprobe_fake.ui.common import (ANALYTICS, CHART_BUCKETS, CSRF_FIELD, DEFAULT_PAGE_SIZE,
                                       FILTERS, KEY_COOKIE, PAGE_SIZES, SCORES,
                                       blueprint, call_api, choose_project, chosen, csrf_token,
                                       last, pages_of)
from pandaprobe_fake.web import ApiError


@blueprint.post("/ui/key")
@openapi.undocumented("the HTML demo page, not part of the API")
def save_key():
    """Remember the API key the page sends (a cookie of this browser); empty forgets it."""
    if not hmac.compare_digest(request.form.get(CSRF_FIELD, "").encode(), csrf_token().encode()):
        raise ApiError(403, "The form's CSRF token is missing or wrong: send it from the demo page.")
    key = request.form.get("key", "").strip()
    response = redirect(url_for("ui.scores_page", project=request.form.get("project") or None))
    if key:
        response.set_cookie(KEY_COOKIE, key, httponly=False, samesite="Strict")
    else:
        response.delete_cookie(KEY_COOKIE)
    return response


@blueprint.get("/ui")
@openapi.undocumented("the HTML demo page, not part of the API")
def scores_page():
    projects, project, problem = choose_project()
    context: dict[str, Any] = {"projects": projects, "project": project, "problem": problem,
                               "schemas": schemas, "page_sizes": PAGE_SIZES, "section": "scores"}
    if project is None:
        return render_template("scores.html", **context)
    pid = g.ui_project = project["id"]
    dates = chosen(("date_from", "date_to"))
    granularity = last("granularity", "day")
    limit = last("limit", DEFAULT_PAGE_SIZE)

    # the metric names for the filter (all of them), and the summary for the charts (in range)
    names = call_api("GET", f"{ANALYTICS}/summary", pid)
    summary = call_api("GET", f"{ANALYTICS}/summary", pid, dates) if dates else names
    listing = call_api("GET", SCORES, pid, chosen(FILTERS) + [("limit", limit)]
                       + chosen(("offset",)))
    metrics = []
    if summary.ok:
        only = last("name") or None
        for item in summary.body:
            if only is not None and item["metric_name"] != only:
                continue
            metric = {"summary": item, "trend": None, "distribution": None}
            if item["avg_score"] is not None:  # there are NUMERIC, SUCCESS scores to chart
                query = [("metric_name", item["metric_name"])] + dates
                metric["trend"] = call_api("GET", f"{ANALYTICS}/trend", pid,
                                           query + [("granularity", granularity)])
                metric["distribution"] = call_api("GET", f"{ANALYTICS}/distribution", pid,
                                                  query + [("buckets", CHART_BUCKETS)])
                if metric["trend"].ok:
                    metric["trend_chart"] = charts.trend_chart(metric["trend"].body, granularity)
                if metric["distribution"].ok:
                    metric["histogram"] = charts.histogram(metric["distribution"].body,
                                                           int(CHART_BUCKETS))
            metrics.append(metric)
        metrics.sort(key=lambda m: m["summary"]["avg_score"] is None)  # charted ones first

    pages = pages_of(listing, "ui.scores_page")
    metric_names = sorted(({item["metric_name"] for item in names.body} if names.ok else set())
                          | ({last("name")} if last("name") else set()))
    context.update(names=names, summary=summary, listing=listing, metrics=metrics, pages=pages,
                   metric_names=metric_names, granularity=granularity, limit=limit,
                   filters={k: last(k) for k in FILTERS})
    return render_template("scores.html", **context)


@blueprint.get("/ui/traces/<trace_id>")
@openapi.undocumented("the HTML demo page, not part of the API")
def trace_page(trace_id: str):
    projects, project, problem = choose_project()
    context: dict[str, Any] = {"projects": projects, "project": project, "problem": problem,
                               "trace_id": trace_id, "section": "traces"}
    if project is None:
        return render_template("trace.html", **context)
    segment = quote(trace_id, safe="")
    trace = call_api("GET", f"/traces/{segment}", project["id"])
    scores = call_api("GET", f"{SCORES}/{segment}", project["id"])
    body = trace.body if trace.ok else None
    run_scores, trace_runs = runs.runs_of_trace(project["id"], body["trace_id"]) if body else (None, [])
    context.update(trace=trace, scores=scores, run_scores=run_scores, trace_runs=trace_runs,
                   metrics=runs.metric_choices(project["id"]) if body else None,
                   timeline=charts.timeline(body, body["spans"]) if body else None)
    return render_template("trace.html", **runs.context_for(context))


