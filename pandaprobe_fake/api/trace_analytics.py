"""The trace routes about many traces at once: `GET /traces/analytics` (time buckets of
volume, errors and latency, of tokens and cost, or the top models), `GET /traces/users`,
`POST /traces/batch/delete` and `POST /traces/batch/tags`.  Their static paths win over
`/traces/<trace_id>` (werkzeug ranks static parts first), so none is taken for a trace id."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

import pandaprobe_fake.api.trace_schemas as ts
from pandaprobe_fake.web import endpoint, json_response, page_response, store

blueprint = Blueprint("trace_analytics", __name__)


@blueprint.get("/traces/analytics")
@endpoint("traces", query=ts.analytics_query, responses={200: ts.ANALYTICS_ANSWER})
def get_analytics(project_id: str, query: dict[str, Any]):
    """Time-series analytics for traces."""
    items = store().trace_analytics(project_id, query["metric"], query["granularity"],
                                    query["started_after"], query["started_before"])
    dump = {"models": ts.top_models, "tokens": ts.token_cost_buckets,
            "cost": ts.token_cost_buckets}.get(query["metric"], ts.buckets)
    return json_response(dump.dump(items))


@blueprint.get("/traces/users")
@endpoint("traces", query=ts.users_query, responses={200: ts.user_page})
def list_trace_users(project_id: str, query: dict[str, Any]):
    """List unique user_ids with trace statistics."""
    items, total = store().trace_users(project_id, query["limit"], query["offset"])
    return page_response(ts.user_page, items, total, query["limit"], query["offset"])


@blueprint.post("/traces/batch/delete")
@endpoint("traces", body=ts.batch_delete, responses={200: ts.deleted})
def batch_delete(project_id: str, body: dict[str, Any]):
    """Delete multiple traces at once."""
    return json_response(ts.deleted.dump({"deleted": store().delete_traces(project_id, body["trace_ids"])}))


@blueprint.post("/traces/batch/tags")
@endpoint("traces", body=ts.batch_tags, responses={200: ts.updated})
def batch_tags(project_id: str, body: dict[str, Any]):
    """Add or remove tags on multiple traces."""
    updated = store().tag_traces(project_id, body["trace_ids"], body["add_tags"], body["remove_tags"])
    return json_response(ts.updated.dump({"updated": updated}))

