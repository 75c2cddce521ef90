"""Schemas of the trace analytics, users and batch routes (api/trace_analytics.py): their
query strings and bodies, loaded with the real server's messages (fields.py), and their
answers (AnalyticsBucket, TokenCostBucket, TopModel, UserSummary, the batch counts)."""

from __future__ import annotations

from marshmallow import ValidationError, fields

from pandaprobe_fake.schemabase import Schema
from pandaprobe_fake.fields import (Choice, ListOf, QueryDateTime, QueryInt, Text, Timestamp,
                                    UUIDText)
from pandaprobe_fake.schemas import GRANULARITIES, RequestSchema, page_schema

METRICS = ("volume", "errors", "latency", "cost", "tokens", "models")
MAX_BATCH = 500


class AnalyticsQuery(RequestSchema):
    metric = Choice(METRICS, load_default="volume")
    granularity = Choice(GRANULARITIES, load_default="day")
    started_after = QueryDateTime(required=True)
    started_before = QueryDateTime(required=True)


class UsersQuery(RequestSchema):
    limit = QueryInt(minimum=1, maximum=200, load_default=50)
    offset = QueryInt(minimum=0, load_default=0)


class TraceIds(ListOf):
    """1..500 trace ids."""

    def __init__(self, **kwargs):
        super().__init__(UUIDText(), max_items=MAX_BATCH, **kwargs)
        self.min_items = 1

    def _deserialize(self, value, attr, data, **kwargs):
        ids = super()._deserialize(value, attr, data, **kwargs)
        if not ids:
            raise ValidationError("List should have at least 1 item after validation, not 0")
        return ids


class BatchDeleteRequestSchema(RequestSchema):
    class Meta(RequestSchema.Meta):
        title = "BatchDeleteRequest"

    trace_ids = TraceIds(required=True)


class BatchTagsRequestSchema(RequestSchema):
    class Meta(RequestSchema.Meta):
        title = "BatchTagsRequest"

    trace_ids = TraceIds(required=True)
    add_tags = ListOf(Text(), load_default=list)
    remove_tags = ListOf(Text(), load_default=list)


class AnalyticsBucketSchema(Schema):
    class Meta:
        title = "AnalyticsBucket"

    bucket = Timestamp(required=True)
    trace_count = fields.Integer(dump_default=0, load_default=0)
    error_count = fields.Integer(dump_default=0, load_default=0)
    avg_latency_ms = fields.Float(allow_none=True)
    p50_latency_ms = fields.Float(allow_none=True)
    p90_latency_ms = fields.Float(allow_none=True)
    p99_latency_ms = fields.Float(allow_none=True)


class TokenCostBucketSchema(Schema):
    class Meta:
        title = "TokenCostBucket"

    bucket = Timestamp(required=True)
    total_tokens = fields.Integer(dump_default=0, load_default=0)
    prompt_tokens = fields.Integer(dump_default=0, load_default=0)
    completion_tokens = fields.Integer(dump_default=0, load_default=0)
    total_cost = fields.Float(dump_default=0.0, load_default=0.0)


class TopModelSchema(Schema):
    class Meta:
        title = "TopModel"

    model = fields.String(required=True)
    call_count = fields.Integer(required=True)
    total_tokens = fields.Integer(dump_default=0, load_default=0)
    total_cost = fields.Float(dump_default=0.0, load_default=0.0)


class UserSummarySchema(Schema):
    class Meta:
        title = "UserSummary"

    user_id = fields.String(required=True)
    trace_count = fields.Integer(required=True)
    first_seen = Timestamp(required=True)
    last_seen = Timestamp(required=True)
    error_count = fields.Integer(required=True)


UserPageSchema = page_schema(UserSummarySchema, "UserSummary")


class BatchDeleteResponseSchema(Schema):
    class Meta:
        title = "BatchDeleteResponse"

    deleted = fields.Integer(required=True)


class BatchTagsResponseSchema(Schema):
    class Meta:
        title = "BatchTagsResponse"

    updated = fields.Integer(required=True)


analytics_query = AnalyticsQuery()
users_query = UsersQuery()
batch_delete = BatchDeleteRequestSchema()
batch_tags = BatchTagsRequestSchema()
buckets = AnalyticsBucketSchema(many=True)
token_cost_buckets = TokenCostBucketSchema(many=True)
top_models = TopModelSchema(many=True)
user_page = UserPageSchema()
deleted = BatchDeleteResponseSchema()
updated = BatchTagsResponseSchema()
# The analytics answer, documented as upstream writes it: one of three lists.
ANALYTICS_ANSWER = {"anyOf": [{"type": "array", "items": AnalyticsBucketSchema},
                              {"type": "array", "items": TokenCostBucketSchema},
                              {"type": "array", "items": TopModelSchema}]}
