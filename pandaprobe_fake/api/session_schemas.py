"""Schemas of the /sessions routes: their query strings and paths (loaded with Pydantic's
sentences, from fields.py) and their answers (SessionSummary, SessionDetail,
SessionAnalyticsBucket, SessionDeleteResponse, as upstream names them)."""

from __future__ import annotations

from marshmallow import fields

from pandaprobe_fake.schemabase import Schema
from pandaprobe_fake.fields import (Choice, QueryBool, QueryDateTime, QueryInt, QueryList, QueryText,
                                    Timestamp)
from pandaprobe_fake.schemas import GRANULARITIES, RequestSchema, SORT_ORDERS, TraceSchema, page_schema

SESSION_SORTS = ("recent", "trace_count", "latency", "cost")


class SessionListQuery(RequestSchema):
    limit = QueryInt(minimum=1, maximum=200, load_default=50)
    offset = QueryInt(minimum=0, load_default=0)
    user_id = QueryText()
    has_error = QueryBool()
    started_after = QueryDateTime()
    started_before = QueryDateTime()
    tags = QueryList()
    query = QueryText()
    sort_by = Choice(SESSION_SORTS, load_default="recent")
    sort_order = Choice(SORT_ORDERS, load_default="desc")


class SessionPath(RequestSchema):
    session_id = QueryText(required=True)


class SessionDetailQuery(RequestSchema):
    limit = QueryInt(minimum=1, maximum=1000, load_default=200)
    offset = QueryInt(minimum=0, load_default=0)


class SessionAnalyticsQuery(RequestSchema):
    granularity = Choice(GRANULARITIES, load_default="day")
    started_after = QueryDateTime(required=True)
    started_before = QueryDateTime(required=True)


class SessionSummarySchema(Schema):
    class Meta:
        title = "SessionSummary"

    session_id = fields.String(required=True)
    trace_count = fields.Integer(required=True)
    first_trace_at = Timestamp(required=True)
    last_trace_at = Timestamp(required=True, allow_none=True)
    total_latency_ms = fields.Float(required=True, allow_none=True)
    has_error = fields.Boolean(required=True)
    user_id = fields.String(required=True, allow_none=True)
    tags = fields.List(fields.String(), required=True)
    # (load_default: the documented default)
    total_span_count = fields.Integer(dump_default=0, load_default=0)
    total_tokens = fields.Integer(dump_default=0, load_default=0)
    total_cost = fields.Float(dump_default=0.0, load_default=0.0)


class SessionDetailSchema(SessionSummarySchema):
    class Meta:
        title = "SessionDetail"

    traces = fields.List(fields.Nested(TraceSchema))


SessionPageSchema = page_schema(SessionSummarySchema, "SessionSummary")


class SessionAnalyticsBucketSchema(Schema):
    class Meta:
        title = "SessionAnalyticsBucket"

    bucket = Timestamp(required=True)
    session_count = fields.Integer(dump_default=0, load_default=0)
    avg_traces_per_session = fields.Float(allow_none=True)
    avg_session_duration_ms = fields.Float(allow_none=True)


class SessionDeleteSchema(Schema):
    class Meta:
        title = "SessionDeleteResponse"

    deleted = fields.Integer(required=True)


session_list_query = SessionListQuery()
session_path = SessionPath()
session_detail_query = SessionDetailQuery()
session_analytics_query = SessionAnalyticsQuery()
session_page = SessionPageSchema()
session_detail = SessionDetailSchema()
session_analytics = SessionAnalyticsBucketSchema(many=True)
session_deleted = SessionDeleteSchema()
