"""The demo page's sessions: the project's conversations and their session metrics.

    /ui/sessions         GET /sessions: one row a session (traces, user, errors, latency,
                         tokens, cost, last activity), the list route's filters, sort, pagination
    /ui/sessions/<id>    GET /sessions/{id} (its traces, paged, each linking its trace view),
                         GET /evaluations/session-scores/{id} (its session scores) and
                         GET /evaluations/analytics/session-scores/history/{id} drawn as one
                         line a metric (its session metrics over time)

Read-only, as the rest of the page: every figure is what those routes answer (`call_api`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import g, render_template

from pandaprobe_fake import openapi
from pandaprobe_fake.api.session_schemas import SESSION_SORTS
from pandaprobe_fake.schemas import SORT_ORDERS
import pandaprobe_fake.ui.charts as charts
from pandaprobe_fake.ui.common import (Answer, blueprint, call_api, chosen, choose_project, last,
                                     list_page, pages_of)

SESSIONS = "/sessions"
SESSION_SCORES = "/evaluations/session-scores"
HISTORY = "/evaluations/analytics/session-scores/history"
SESSION_FILTERS = ("query", "user_id", "has_error", "started_after", "started_before", "sort_by",
                   "sort_order")
TRACES_SHOWN = "50"  # a session view's page of traces (GET /sessions/{id}?limit=)
HISTORY_POINTS = "200"  # the history route's most


def history_charts(history: Any) -> list[dict[str, Any]]:
    """One chart a metric of the history answer, in the order the metrics first appear."""
    if not history.ok:
        return []
    names = dict.fromkeys(item["metric_name"] for item in history.body)
    return [{"metric": name, "chart": charts.history_chart(history.body, name),
             "count": sum(1 for item in history.body if item["metric_name"] == name)}
            for name in names]


def trace_pages(session: Answer) -> dict[str, Any] | None:
    """The pager of a session's traces (the detail route pages them by limit/offset but, unlike
    the list routes, does not echo them: the page's own values, which the route accepted)."""
    try:
        limit, offset = int(last("limit", TRACES_SHOWN)), int(last("offset", "0"))
    except ValueError:  # a spelling the route takes and int() does not: no pager
        return None
    return pages_of(Answer(200, {"items": session.body["traces"], "total": session.body["trace_count"],
                                 "limit": max(limit, 1), "offset": offset}), "ui.session_page")


@blueprint.get("/ui/sessions")
@openapi.undocumented("the HTML demo page, not part of the API")
def sessions_page():
    return list_page("sessions.html", SESSIONS, SESSION_FILTERS,
                     {"sorts": SESSION_SORTS, "sort_orders": SORT_ORDERS, "section": "sessions"},
                     extra=lambda pid: {"filters": {k: last(k) for k in SESSION_FILTERS}})


@blueprint.get("/ui/sessions/<session_id>")
@openapi.undocumented("the HTML demo page, not part of the API")
def session_page(session_id: str):
    projects, project, problem = choose_project()
    context: dict[str, Any] = {"projects": projects, "project": project, "problem": problem,
                               "session_id": session_id, "section": "sessions"}
    if project is None:
        return render_template("session.html", **context)
    pid = g.ui_project = project["id"]
    segment = quote(session_id, safe="")
    session = call_api("GET", f"{SESSIONS}/{segment}", pid,
                       [("limit", last("limit", TRACES_SHOWN))] + chosen(("offset",)))
    scores = history = None
    if session.ok:
        scores = call_api("GET", f"{SESSION_SCORES}/{segment}", pid)
        history = call_api("GET", f"{HISTORY}/{segment}", pid, [("limit", HISTORY_POINTS)])
    context.update(session=session, scores=scores, history=history,
                   pages=trace_pages(session) if session.ok else None,
                   history_charts=history_charts(history) if history is not None else [])
    return render_template("session.html", **context)
