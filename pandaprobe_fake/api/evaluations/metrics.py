"""The evaluation catalogue's routes: `/evaluations/trace-metrics`, `/evaluations/providers`
and `/evaluations/trace-runs/template` (the data: pandaprobe_fake/catalogue.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from pandaprobe_fake import catalogue
from pandaprobe_fake.api.evaluations import run_schemas
from pandaprobe_fake.fake.state import state
from pandaprobe_fake.web import ApiError, endpoint, json_response

blueprint = Blueprint("evaluation_metrics", __name__)


@blueprint.get("/evaluations/trace-metrics")
@endpoint("evaluations", responses={200: run_schemas.metric_summaries})
def get_available_metrics(project_id: str):
    return json_response(run_schemas.metric_summaries.dump(catalogue.trace_metric_list()))


@blueprint.get("/evaluations/providers")
@endpoint("evaluations", responses={200: run_schemas.providers})
def get_available_providers(project_id: str):
    """With `--judge unconfigured` every provider is unavailable, as on the real server without
    credentials; the simulated judge answers for every provider (all available)."""
    return json_response(run_schemas.providers.dump(catalogue.providers(state().judge.configured)))


@blueprint.get("/evaluations/trace-runs/template")
@endpoint("evaluations", query=run_schemas.template_query, responses={200: run_schemas.eval_run_template})
def get_eval_run_template(project_id: str, query: dict[str, Any]):
    metric = query["metric"]
    if metric not in catalogue.TRACE_METRICS:
        raise ApiError(422, f"Unknown metric: {metric}")
    return json_response(run_schemas.eval_run_template.dump(catalogue.template(metric)))
