"""Trace scores: `/evaluations/trace-scores` (create, list, latest per trace, edit, delete) and
their analytics under `/evaluations/analytics/trace-scores` (summary, trend, distribution)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from pandaprobe_fake import schemas
from pandaprobe_fake.store import WrongDataType
from pandaprobe_fake.web import ApiError, endpoint, json_response, no_content, page_response, settings, store

blueprint = Blueprint("trace_scores", __name__)
SCORES = "/evaluations/trace-scores"
ANALYTICS = "/evaluations/analytics/trace-scores"


def score_not_found(score_id: str) -> ApiError:
    return ApiError(404, f"Trace score {score_id} not found.")


def trace_not_found(trace_id: str) -> ApiError:
    return ApiError(404, f"Trace {trace_id} not found.")


@blueprint.post(SCORES)
@endpoint("evaluations", body=schemas.score_create, responses={201: schemas.trace_score})
def create_trace_score(project_id: str, body: dict[str, Any]):
    if settings().strict_traces and not store().trace_exists(project_id, body["trace_id"]):
        raise trace_not_found(body["trace_id"])
    score = store().create_score(project_id, body)
    return json_response(schemas.trace_score.dump(score), 201)


@blueprint.get(SCORES)
@endpoint("evaluations", query=schemas.score_list_query, responses={200: schemas.score_page})
def list_trace_scores(project_id: str, query: dict[str, Any]):
    limit, offset = query.pop("limit"), query.pop("offset")
    items, total = store().list_scores(project_id, query, limit, offset)
    return page_response(schemas.score_page, items, total, limit, offset)


@blueprint.get(SCORES + "/<trace_id>")
@endpoint("evaluations", path=schemas.trace_id_path, responses={200: schemas.trace_scores})
def get_scores_for_trace(project_id: str, path: dict[str, Any]):
    return json_response(schemas.trace_scores.dump(
        store().latest_scores_for_trace(project_id, path["trace_id"])))


@blueprint.patch(SCORES + "/<score_id>")
@endpoint("evaluations", path=schemas.score_id_path, body=schemas.score_update,
          responses={200: schemas.trace_score, 404: schemas.error})
def update_trace_score(project_id: str, path: dict[str, Any], body: dict[str, Any]):
    score_id = path["score_id"]
    changes: dict[str, Any] = {"status": "SUCCESS", "source": "ANNOTATION"}
    data_types = None
    value = body.get("value")
    if value is not None:  # checked against the stored type in the UPDATE itself
        changes["value"] = value
        data_types = tuple(t for t in schemas.DATA_TYPES if schemas.value_problem(t, value) is None)
    for name in ("reason", "metadata"):
        if body.get(name) is not None:
            changes[name] = body[name]
    try:
        updated = store().update_score(project_id, score_id, changes, data_types)
    except WrongDataType as wrong:
        raise ApiError(422, schemas.value_problem(wrong.data_type, value)) from None
    if updated is None:
        raise score_not_found(score_id)
    return json_response(schemas.trace_score.dump(updated))


@blueprint.delete(SCORES + "/<score_id>")
@endpoint("evaluations", path=schemas.score_id_path, responses={204: None, 404: schemas.error})
def delete_trace_score(project_id: str, path: dict[str, Any]):
    if not store().delete_score(project_id, path["score_id"]):
        raise score_not_found(path["score_id"])
    return no_content()


@blueprint.get(ANALYTICS + "/summary")
@endpoint("evaluations", query=schemas.date_range_query, responses={200: schemas.summary_items})
def get_trace_score_analytics_summary(project_id: str, query: dict[str, Any]):
    items = store().score_summary(project_id, query.get("date_from"), query.get("date_to"))
    return json_response(schemas.summary_items.dump(items))


@blueprint.get(ANALYTICS + "/trend")
@endpoint("evaluations", query=schemas.trend_query, responses={200: schemas.trend_items})
def get_trace_score_analytics_trend(project_id: str, query: dict[str, Any]):
    items = store().score_trend(project_id, query["metric_name"], query.get("date_from"),
                                query.get("date_to"), query["granularity"])
    return json_response(schemas.trend_items.dump(items))


@blueprint.get(ANALYTICS + "/distribution")
@endpoint("evaluations", query=schemas.distribution_query, responses={200: schemas.distribution_items})
def get_trace_score_analytics_distribution(project_id: str, query: dict[str, Any]):
    items = store().score_distribution(project_id, query["metric_name"], query.get("date_from"),
                                       query.get("date_to"), query["buckets"])
    return json_response(schemas.distribution_items.dump(items))
