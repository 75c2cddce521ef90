"""Traces and their spans: `/traces` (ingest as an upsert, list, read, edit, delete) and
`/traces/{trace_id}/spans` (add, edit).  The analytics, users and batch routes under
`/traces/...`: api/trace_analytics.py.  What each answers: docs/traces.md."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response

from pandaprobe_fake import schemas
from pandaprobe_fake.api.evaluations.trace_scores import trace_not_found
from pandaprobe_fake.web import ApiError, endpoint, json_response, no_content, page_response, settings, store

blueprint = Blueprint("traces", __name__)
TRACES = "/traces"


def stored_trace(project_id: str, trace_id: str) -> Response:
    found = store().get_trace(project_id, trace_id)
    if found is None:
        raise trace_not_found(trace_id)
    return json_response(schemas.trace.dump(found))


@blueprint.post(TRACES)
@endpoint("traces", body=schemas.trace_create, responses={202: schemas.trace_accepted})
def ingest_trace(project_id: str, body: dict[str, Any]):
    trace_id = store().upsert_trace(project_id, body, delay_us=settings().ingest_delay * 1000)
    return json_response(schemas.trace_accepted.dump(
        {"trace_id": trace_id, "task_id": str(uuid.uuid4())}), 202)


@blueprint.get(TRACES)
@endpoint("traces", query=schemas.trace_list_query, responses={200: schemas.trace_page})
def list_traces(project_id: str, query: dict[str, Any]):
    limit, offset = query.pop("limit"), query.pop("offset")
    items, total = store().list_traces(project_id, query, query.pop("sort_by"),
                                       query.pop("sort_order"), limit, offset)
    return page_response(schemas.trace_page, items, total, limit, offset)


@blueprint.get(TRACES + "/<trace_id>")
@endpoint("traces", path=schemas.trace_id_path, responses={200: schemas.trace, 404: schemas.error})
def get_trace(project_id: str, path: dict[str, Any]):
    return stored_trace(project_id, path["trace_id"])


@blueprint.patch(TRACES + "/<trace_id>")
@endpoint("traces", path=schemas.trace_id_path, body=schemas.trace_update,
          responses={200: schemas.trace, 404: schemas.error})
def update_trace(project_id: str, path: dict[str, Any], body: dict[str, Any]):
    if not store().update_trace(project_id, path["trace_id"], body):
        raise trace_not_found(path["trace_id"])
    return stored_trace(project_id, path["trace_id"])


@blueprint.delete(TRACES + "/<trace_id>")
@endpoint("traces", path=schemas.trace_id_path, responses={204: None, 404: schemas.error})
def delete_trace(project_id: str, path: dict[str, Any]):
    if not store().delete_trace(project_id, path["trace_id"]):
        raise trace_not_found(path["trace_id"])
    return no_content()


@blueprint.post(TRACES + "/<trace_id>/spans")
@endpoint("traces", path=schemas.trace_id_path, body=schemas.span_create_list,
          body_doc={"type": "array", "items": schemas.SpanCreateSchema,
                    "minItems": 1, "maxItems": schemas.MAX_SPANS},
          responses={201: schemas.spans_accepted, 404: schemas.error})
def add_spans(project_id: str, path: dict[str, Any], body: list[dict[str, Any]]):
    span_ids = store().add_spans(project_id, path["trace_id"], body)
    if span_ids is None:
        raise trace_not_found(path["trace_id"])
    return json_response(schemas.spans_accepted.dump({"span_ids": span_ids}), 201)


@blueprint.patch(TRACES + "/<trace_id>/spans/<span_id>")
@endpoint("traces", path=schemas.span_path, body=schemas.span_update,
          responses={200: schemas.span, 404: schemas.error})
def update_span(project_id: str, path: dict[str, Any], body: dict[str, Any]):
    span = store().update_span(project_id, path["trace_id"], path["span_id"], body)
    if span is None:
        raise ApiError(404, f"Span {path['span_id']} not found on trace {path['trace_id']}.")
    return json_response(schemas.span.dump(span))
