"""Marshmallow schemas of the evaluation metric and run routes (metrics.py, trace_runs.py):
the request bodies, queries and paths, and the response objects (EvalRunResponse and its page,
MetricSummary, ProviderInfo, EvalRunTemplate), with the real server's field sentences."""

from __future__ import annotations

from marshmallow import ValidationError, fields

from pandaprobe_fake.schemabase import Schema
from pandaprobe_fake.fields import (COLUMN_LENGTH, NOT_AN_OBJECT, Choice, JsonNumber, QueryBool,
                                    ListOf, QueryInt, QueryText, Text, Timestamp, UUIDText)
from pandaprobe_fake.schemas import RequestSchema, TRACE_STATUSES, page_schema

RUN_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "FAILED")


class MinListOf(ListOf):
    """ListOf with Pydantic's `min_length` sentence."""

    def __init__(self, inner, *, min_items: int | None = None, **kwargs):
        super().__init__(inner, **kwargs)
        self.min_items = min_items

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        if self.min_items is not None and len(items) < self.min_items:
            plural = "" if self.min_items == 1 else "s"
            raise ValidationError(f"List should have at least {self.min_items} item{plural} "
                                  f"after validation, not {len(items)}")
        return items


def _name() -> Text:
    return Text(allow_none=True, load_default=None, max_length=COLUMN_LENGTH)


def _metrics() -> MinListOf:
    return MinListOf(Text(), required=True, min_items=1)


class EvalRunFiltersSchema(RequestSchema):
    """EvalRunFilters: unknown keys ignored; the dates are strings, read as ISO 8601 later."""

    class Meta(RequestSchema.Meta):
        title = "EvalRunFilters"

    date_from = Text(allow_none=True)
    date_to = Text(allow_none=True)
    status = Choice(TRACE_STATUSES, allow_none=True)
    session_id = Text(allow_none=True)
    user_id = Text(allow_none=True)
    tags = ListOf(Text(), allow_none=True)
    name = Text(allow_none=True)


class CreateEvalRunSchema(RequestSchema):
    class Meta(RequestSchema.Meta):
        title = "CreateEvalRunRequest"

    name = _name()
    metrics = _metrics()
    filters = fields.Nested(EvalRunFiltersSchema, load_default=dict,
                            error_messages={"null": NOT_AN_OBJECT, "type": NOT_AN_OBJECT})
    sampling_rate = JsonNumber(minimum=0, maximum=1, load_default=1.0)
    model = Text(allow_none=True, load_default=None)


class CreateBatchEvalRunSchema(RequestSchema):
    class Meta(RequestSchema.Meta):
        title = "CreateBatchEvalRunRequest"

    trace_ids = MinListOf(UUIDText(), required=True, min_items=1)
    metrics = _metrics()
    name = _name()
    model = Text(allow_none=True, load_default=None)


class RunListQuery(RequestSchema):
    status = Choice(RUN_STATUSES)
    limit = QueryInt(minimum=1, maximum=200, load_default=50)
    offset = QueryInt(minimum=0, load_default=0)


class RunIdPath(RequestSchema):
    run_id = UUIDText(required=True)


class DeleteRunQuery(RequestSchema):
    delete_scores = QueryBool(load_default=False)


class TemplateQuery(RequestSchema):
    metric = QueryText(required=True)


# -- responses --------------------------------------------------------------------------------


class EvalRunSchema(Schema):
    class Meta:
        title = "EvalRunResponse"
        ordered = True

    id = fields.UUID(required=True)
    name = fields.String(required=True, allow_none=True)
    status = Choice(RUN_STATUSES, required=True)
    metric_names = fields.List(fields.String(), required=True)
    total_targets = fields.Integer(required=True)
    evaluated_count = fields.Integer(required=True)
    failed_count = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    completed_at = Timestamp(required=True, allow_none=True)
    project_id = fields.UUID(required=True)
    target_type = fields.String(required=True)
    filters = fields.Dict(required=True)
    sampling_rate = fields.Float(required=True)
    model = fields.String(required=True, allow_none=True)
    monitor_id = fields.UUID(required=True, allow_none=True)
    error_message = fields.String(required=True, allow_none=True)


EvalRunPageSchema = page_schema(EvalRunSchema, "EvalRunResponse")


class MetricSummarySchema(Schema):
    class Meta:
        title = "MetricSummary"
        ordered = True

    name = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)


class PromptPreviewSchema(Schema):
    class Meta:
        title = "PromptPreview"
        ordered = True

    stage = fields.String(required=True)
    prompt = fields.String(required=True)


class MetricInfoSchema(MetricSummarySchema):
    class Meta:
        title = "MetricInfo"
        ordered = True

    default_threshold = fields.Float(required=True)
    prompt_preview = fields.Nested(PromptPreviewSchema, many=True, required=True)


class EvalRunTemplateSchema(Schema):
    class Meta:
        title = "EvalRunTemplate"
        ordered = True

    metric = fields.Nested(MetricInfoSchema, required=True)
    filters = fields.Nested(EvalRunFiltersSchema, required=True)
    sampling_rate = fields.Float(required=True)
    model = fields.String(required=True, allow_none=True)


class ProviderInfoSchema(Schema):
    class Meta:
        title = "ProviderInfo"
        ordered = True

    key = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    available = fields.Boolean(required=True)
    message = fields.String(required=True)


create_run = CreateEvalRunSchema()
create_batch_run = CreateBatchEvalRunSchema()
run_list_query = RunListQuery()
run_id_path = RunIdPath()
delete_run_query = DeleteRunQuery()
template_query = TemplateQuery()
eval_run = EvalRunSchema()
eval_run_page = EvalRunPageSchema()
metric_summaries = MetricSummarySchema(many=True)
providers = ProviderInfoSchema(many=True)
eval_run_template = EvalRunTemplateSchema()
