"""The demo page's monitors: what evaluates new traffic on a schedule, and what it ran.

    /ui/monitors         GET /evaluations/monitors (status filter, pagination): name, target
                         type, metrics, cadence, status, next run, last run
    /ui/monitors/<id>    GET /evaluations/monitors/{id} and its runs (GET .../{id}/runs, newest
                         first, paginated; a trace run links /ui/runs/<id>), with Pause or
                         Resume and Trigger buttons: the browser itself sends
                         POST /evaluations/monitors/{id}/pause|resume|trigger (static/ui.js)

Trigger is offered only where the app routes POST .../{id}/trigger to a real view (not the
501 of api/unimplemented.py): `trigger_routed()` reads the app's url_map.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import current_app, g, render_template

from pandaprobe_fake import openapi
from pandaprobe_fake.api.evaluations.monitor_schemas import MONITOR_STATUSES
from pandaprobe_fake.ui.common import blueprint, call_api, chosen, choose_project, last, list_page, pages_of
from pandaprobe_fake.ui.runs import context_for

MONITORS = "/evaluations/monitors"
TRIGGER_RULE = MONITORS + "/<monitor_id>/trigger"
UNSERVED = "unimplemented."  # the endpoint prefix of api/unimplemented.py's 501 routes


def trigger_routed() -> bool:
    """Whether POST /evaluations/monitors/{id}/trigger reaches a real view of this app."""
    return any(rule.rule == TRIGGER_RULE and "POST" in (rule.methods or ())
               and not rule.endpoint.startswith(UNSERVED)
               for rule in current_app.url_map.iter_rules())


@blueprint.get("/ui/monitors")
@openapi.undocumented("the HTML demo page, not part of the API")
def monitors_page():
    return list_page("monitors.html", MONITORS, ("status",),
                     {"monitor_statuses": MONITOR_STATUSES, "section": "monitors"},
                     extra=lambda pid: {"status": last("status")})


@blueprint.get("/ui/monitors/<monitor_id>")
@openapi.undocumented("the HTML demo page, not part of the API")
def monitor_page(monitor_id: str):
    projects, project, problem = choose_project()
    context: dict[str, Any] = {"projects": projects, "project": project, "problem": problem,
                               "monitor_id": monitor_id, "section": "monitors"}
    if project is None:
        return render_template("monitor.html", **context)
    pid = g.ui_project = project["id"]
    segment = quote(monitor_id, safe="")
    monitor = call_api("GET", f"{MONITORS}/{segment}", pid)
    monitor_runs = (call_api("GET", f"{MONITORS}/{segment}/runs", pid,
                             [("limit", last("limit", "20"))] + chosen(("offset",)))
                    if monitor.ok else None)
    context.update(monitor=monitor, monitor_runs=monitor_runs, can_trigger=trigger_routed(),
                   pages=pages_of(monitor_runs, "ui.monitor_page") if monitor_runs else None,
                   limit=last("limit", "20"))
    return render_template("monitor.html", **context_for(context))


