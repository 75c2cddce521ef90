"""The upstream API's routes, a blueprint per resource; the folders follow the URL space:

    meta.py                      /health
    traces.py                    /traces, /traces/{trace_id}/spans/...
    evaluations/trace_scores.py  /evaluations/trace-scores, /evaluations/analytics/trace-scores/...
    evaluations/metrics.py       /evaluations/trace-metrics, /evaluations/providers, .../trace-runs/template
    evaluations/trace_runs.py    /evaluations/trace-runs/... (the runner: runner.py; the judge: fake/judge.py)

Their shared plumbing (auth and project scope, ApiError, JSON responses, the `endpoint`
decorator) is pandaprobe_fake/web.py; their schemas, pandaprobe_fake/schemas.py.
"""

from __future__ import annotations

from flask import Flask

from pandaprobe_fake.api import meta, traces
from pandaprobe_fake.api.evaluations import metrics, trace_runs, trace_scores

BLUEPRINTS = (meta.blueprint, trace_scores.blueprint, traces.blueprint, metrics.blueprint,
              trace_runs.blueprint)


def register(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
