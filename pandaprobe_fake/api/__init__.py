"""The upstream API's routes, a blueprint per resource; the folders follow the URL space:

    meta.py                      /, /health
    traces.py                    /traces, /traces/{trace_id}/spans/...
    trace_analytics.py           /traces/analytics, /traces/users, /traces/batch/...
    sessions.py                  /sessions, /sessions/analytics, /sessions/{session_id}
    evaluations/trace_scores.py  /evaluations/trace-scores, /evaluations/analytics/trace-scores/...
    evaluations/metrics.py       /evaluations/trace-metrics, /evaluations/providers, .../trace-runs/template
    evaluations/trace_runs.py    /evaluations/trace-runs/... (the runner: runner.py; the judge: fake/judge.py)
    evaluations/session_scores.py  /evaluations/session-metrics, /evaluations/session-scores,
                                 /evaluations/analytics/session-scores/...
    evaluations/session_runs.py  /evaluations/session-runs/... (executed by session_runner.py)
    evaluations/monitors.py      /evaluations/monitors/... (firing on the clock: scheduler.py)
    unimplemented.py             a 501 for every other operation of the real API (added last)

Their shared plumbing (auth and project scope, ApiError, JSON responses, the `endpoint`
decorator) is pandaprobe_fake/web.py; their schemas, pandaprobe_fake/schemas.py.
"""

from __future__ import annotations

from flask import Flask

from pandaprobe_fake.api import meta, sessions, trace_analytics, traces, unimplemented
from pandaprobe_fake.api.evaluations import (metrics, monitors, session_runs, session_scores, trace_runs,
                                             trace_scores)

BLUEPRINTS = (meta.blueprint, trace_scores.blueprint, trace_analytics.blueprint, traces.blueprint,
              metrics.blueprint, trace_runs.blueprint, session_runs.blueprint, sessions.blueprint, session_scores.blueprint,
              monitors.blueprint)


def register(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    unimplemented.register(app)  # last: a 501 only where no blueprint above routes
