"""The upstream API's routes, a blueprint per resource; the folders follow the URL space:

    meta.py                      /health
    traces.py                    /traces, /traces/{trace_id}/spans/...
    sessions.py                  /sessions, /sessions/analytics, /sessions/{session_id}
    evaluations/trace_scores.py  /evaluations/trace-scores, /evaluations/analytics/trace-scores/...
    evaluations/session_scores.py  /evaluations/session-metrics, /evaluations/session-scores,
                                 /evaluations/analytics/session-scores/...
    evaluations/monitors.py      /evaluations/monitors/...

Their shared plumbing (auth and project scope, ApiError, JSON responses, the `endpoint`
decorator) is pandaprobe_fake/web.py; their schemas, pandaprobe_fake/schemas.py.
"""

from __future__ import annotations

from flask import Flask

from pandaprobe_fake.api import meta, sessions, traces
from pandaprobe_fake.api.evaluations import monitors, session_scores, trace_scores

BLUEPRINTS = (meta.blueprint, trace_scores.blueprint, traces.blueprint, sessions.blueprint,
              session_scores.blueprint, monitors.blueprint)


def register(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
