"""Session scores and session metrics: `/evaluations/session-metrics`,
`/evaluations/session-scores` (list, a session's scores, delete) and their analytics under
`/evaluations/analytics/session-scores` (summary, trend, distribution, history, comparison).
Session scores are written only by session runs; there is no create or edit route."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from pandaprobe_fake import schemas
from pandaprobe_fake.api.evaluations import session_score_schemas as s
from pandaprobe_fake.fake.session_metrics import SESSION_METRICS
from pandaprobe_fake.web import endpoint, json_response, no_content, page_response, store

blueprint = Blueprint("session_scores", __name__)
SCORES = "/evaluations/session-scores"
ANALYTICS = "/evaluations/analytics/session-scores"
TABLE = "session_scores"


@blueprint.get("/evaluations/session-metrics")
@endpoint("evaluations", responses={200: s.metric_summaries})
def get_available_session_metrics(project_id: str):
    return json_response(s.metric_summaries.dump(sorted(SESSION_METRICS, key=lambda m: m["name"])))


@blueprint.get(SCORES)
@endpoint("evaluations", query=s.session_score_list_query, responses={200: s.session_score_page})
def list_session_scores(project_id: str, query: dict[str, Any]):
    limit, offset = query.pop("limit"), query.pop("offset")
    items, total = store().list_session_scores(project_id, query, limit, offset)
    return page_response(s.session_score_page, items, total, limit, offset)


@blueprint.get(SCORES + "/<session_id>")
@endpoint("evaluations", path=s.session_id_path, responses={200: s.session_scores})
def get_scores_for_session(project_id: str, path: dict[str, Any]):
    return json_response(s.session_scores.dump(
        store().scores_for_session(project_id, path["session_id"])))


@blueprint.delete(SCORES + "/<score_id>")
@endpoint("evaluations", path=schemas.score_id_path, responses={204: None})
def delete_session_score(project_id: str, path: dict[str, Any]):
    """Always 204 for a well-formed id, as upstream (which does not check that it exists)."""
    store().delete_session_score(project_id, path["score_id"])
    return no_content()


@blueprint.get(ANALYTICS + "/summary")
@endpoint("evaluations", query=schemas.date_range_query, responses={200: schemas.summary_items})
def get_session_score_analytics_summary(project_id: str, query: dict[str, Any]):
    items = store().score_summary(project_id, query.get("date_from"), query.get("date_to"), table=TABLE)
    return json_response(schemas.summary_items.dump(items))


@blueprint.get(ANALYTICS + "/trend")
@endpoint("evaluations", query=schemas.trend_query, responses={200: schemas.trend_items})
def get_session_score_analytics_trend(project_id: str, query: dict[str, Any]):
    items = store().score_trend(project_id, query["metric_name"], query.get("date_from"),
                                query.get("date_to"), query["granularity"], table=TABLE)
    return json_response(schemas.trend_items.dump(items))


@blueprint.get(ANALYTICS + "/distribution")
@endpoint("evaluations", query=schemas.distribution_query, responses={200: schemas.distribution_items})
def get_session_score_analytics_distribution(project_id: str, query: dict[str, Any]):
    items = store().score_distribution(project_id, query["metric_name"], query.get("date_from"),
                                       query.get("date_to"), query["buckets"], table=TABLE)
    return json_response(schemas.distribution_items.dump(items))


@blueprint.get(ANALYTICS + "/history/<session_id>")
@endpoint("evaluations", path=s.session_id_path, query=s.history_query, responses={200: s.history_items})
def get_session_score_history(project_id: str, path: dict[str, Any], query: dict[str, Any]):
    items = store().session_score_history(project_id, path["session_id"], query.get("metric_name"),
                                          query["limit"])
    return json_response(s.history_items.dump(items))


@blueprint.get(ANALYTICS + "/comparison")
@endpoint("evaluations", query=s.comparison_query, responses={200: s.comparison_page})
def get_session_score_comparison(project_id: str, query: dict[str, Any]):
    items, total = store().session_score_comparison(
        project_id, query["metric_name"], query["sort_order"] != "asc", query["limit"], query["offset"])
    return page_response(s.comparison_page, items, total, query["limit"], query["offset"])
