"""Sessions: `/sessions` (list), `/sessions/analytics`, `/sessions/{session_id}` (read, delete).
A session is not stored: it is the project's traces that share a `session_id`
(stores/sessions.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from pandaprobe_fake import schemas
import pandaprobe_fake.api.session_schemas as s
from pandaprobe_fake.web import ApiError, endpoint, json_response, page_response, store

blueprint = Blueprint("sessions", __name__)
SESSIONS = "/sessions"


def session_not_found(session_id: str) -> ApiError:
    return ApiError(404, f"Session '{session_id}' not found.")


@blueprint.get(SESSIONS)
@endpoint("sessions", query=s.session_list_query, responses={200: s.session_page})
def list_sessions(project_id: str, query: dict[str, Any]):
    limit, offset = query.pop("limit"), query.pop("offset")
    items, total = store().list_sessions(project_id, query, query.pop("sort_by"),
                                         query.pop("sort_order"), limit, offset)
    return page_response(s.session_page, items, total, limit, offset)


@blueprint.get(SESSIONS + "/analytics")
@endpoint("sessions", query=s.session_analytics_query, responses={200: s.session_analytics})
def get_session_analytics(project_id: str, query: dict[str, Any]):
    items = store().session_analytics(project_id, query["started_after"],
                                      query["started_before"], query["granularity"])
    return json_response(s.session_analytics.dump(items))


@blueprint.get(SESSIONS + "/<session_id>")
@endpoint("sessions", path=s.session_path, query=s.session_detail_query,
          responses={200: s.session_detail, 404: schemas.error})
def get_session(project_id: str, path: dict[str, Any], query: dict[str, Any]):
    session = store().get_session(project_id, path["session_id"], query["limit"], query["offset"])
    if session is None:
        raise session_not_found(path["session_id"])
    return json_response(s.session_detail.dump(session))


@blueprint.delete(SESSIONS + "/<session_id>")
@endpoint("sessions", path=s.session_path, responses={200: s.session_deleted, 404: schemas.error})
def delete_session(project_id: str, path: dict[str, Any]):
    deleted = store().delete_session(project_id, path["session_id"])
    if not deleted:
        raise session_not_found(path["session_id"])
    return json_response(s.session_deleted.dump({"deleted": deleted}))
