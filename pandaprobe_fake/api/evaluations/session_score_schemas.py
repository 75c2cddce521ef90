"""Schemas of the session-score and session-metric routes: their queries and paths (Pydantic's
sentences, from fields.py) and their answers (SessionScoreResponse, SessionScoreHistoryItem,
SessionComparisonItem, MetricSummary, as upstream names them)."""

from __future__ import annotations

from marshmallow import fields

from pandaprobe_fake.schemabase import Schema
from pandaprobe_fake.api.evaluations import run_schemas
from pandaprobe_fake.fields import (Choice, QueryDateTime, QueryInt, QueryText, StoredObject, StoredText,
                                    StoredTimestamp, StoredUUID, Timestamp, UUIDText)
from pandaprobe_fake.schemas import RequestSchema, SOURCES, STATUSES, page_schema


class SessionScoreListQuery(RequestSchema):
    session_id = QueryText()
    name = QueryText()
    source = Choice(SOURCES)
    status = Choice(STATUSES)
    eval_run_id = UUIDText()
    date_from = QueryDateTime()
    date_to = QueryDateTime()
    limit = QueryInt(minimum=1, maximum=200, load_default=50)
    offset = QueryInt(minimum=0, load_default=0)


class SessionIdPath(RequestSchema):
    session_id = QueryText(required=True)


class HistoryQuery(RequestSchema):
    metric_name = QueryText()
    limit = QueryInt(minimum=1, maximum=200, load_default=50)


class ComparisonQuery(RequestSchema):
    metric_name = QueryText(required=True)
    sort_order = QueryText(load_default="asc")  # any other value than 'asc' sorts descending
    limit = QueryInt(minimum=1, maximum=100, load_default=20)
    offset = QueryInt(minimum=0, load_default=0)


class SessionScoreSchema(Schema):
    """SessionScoreResponse: always all 14 keys (upstream types its enums as plain strings)."""

    class Meta:
        title = "SessionScoreResponse"

    id = StoredUUID(required=True)
    session_id = StoredText(required=True)
    project_id = StoredUUID(required=True)
    name = StoredText(required=True)
    data_type = StoredText(required=True)
    value = StoredText(required=True, allow_none=True)
    source = StoredText(required=True)
    status = StoredText(required=True)
    eval_run_id = StoredUUID(required=True, allow_none=True)
    author_user_id = StoredText(required=True, allow_none=True)
    reason = StoredText(required=True, allow_none=True)
    metadata = StoredObject(required=True)
    created_at = StoredTimestamp(required=True)
    updated_at = StoredTimestamp(required=True)


SessionScorePageSchema = page_schema(SessionScoreSchema, "SessionScoreResponse")


class HistoryItemSchema(Schema):
    class Meta:
        title = "SessionScoreHistoryItem"

    metric_name = fields.String(required=True)
    score = fields.Float(required=True, allow_none=True)
    eval_run_id = fields.String(required=True, allow_none=True)
    created_at = Timestamp(required=True, allow_none=True)
    status = fields.String(required=True)


class ComparisonItemSchema(Schema):
    class Meta:
        title = "SessionComparisonItem"

    session_id = fields.String(required=True)
    score = fields.Float(required=True, allow_none=True)
    evaluated_at = Timestamp(required=True, allow_none=True)
    eval_run_id = fields.String(required=True, allow_none=True)


ComparisonPageSchema = page_schema(ComparisonItemSchema, "SessionComparisonItem")


session_score_list_query = SessionScoreListQuery()
session_id_path = SessionIdPath()
history_query = HistoryQuery()
comparison_query = ComparisonQuery()
session_score = SessionScoreSchema()
session_scores = SessionScoreSchema(many=True)
session_score_page = SessionScorePageSchema()
history_items = HistoryItemSchema(many=True)
comparison_page = ComparisonPageSchema()
metric_summaries = run_schemas.metric_summaries  # one MetricSummary for trace and session metrics
