"""Schemas of the monitor routes: CreateMonitorRequest, UpdateMonitorRequest, their queries and
path, MonitorResponse, and EvalRunResponse (a monitor's runs); plus the filters a monitor of
each target type may hold, which the fake checks (upstream stores unreadable filters and then
fails on them with a 500)."""

from __future__ import annotations

from marshmallow import ValidationError, fields

from pandaprobe_fake.schemabase import Schema
from pandaprobe_fake.api.evaluations import run_schemas
from pandaprobe_fake.fields import (COLUMN_LENGTH, Choice, DateTimeText, JsonBool, JsonInt, JsonNumber,
                                    JsonObject, ListOf, NumberMap, QueryInt, Text, Timestamp, UUIDText)
from pandaprobe_fake.schemas import RequestSchema, TRACE_STATUSES, page_schema

MONITOR_STATUSES = ("ACTIVE", "PAUSED")
TARGET_TYPES = ("TRACE", "SESSION")


class NonEmptyList(ListOf):
    """A list of at least `min_items` items (Pydantic's `min_length` on a list)."""

    def __init__(self, inner, *, min_items: int = 1, **kwargs):
        super().__init__(inner, **kwargs)
        self.min_items = min_items

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        if len(items) < self.min_items:
            plural = "" if self.min_items == 1 else "s"
            raise ValidationError(f"List should have at least {self.min_items} item{plural} "
                                  f"after validation, not {len(items)}")
        return items


class CreateMonitorSchema(RequestSchema):
    class Meta(RequestSchema.Meta):
        title = "CreateMonitorRequest"

    name = Text(required=True, max_length=COLUMN_LENGTH)
    target_type = Text(required=True)
    metrics = NonEmptyList(Text(), required=True)
    filters = JsonObject(load_default=dict)
    sampling_rate = JsonNumber(minimum=0, maximum=1, load_default=1.0)
    model = Text(allow_none=True, load_default=None)
    cadence = Text(required=True)
    only_if_changed = JsonBool(load_default=True)
    signal_weights = NumberMap(allow_none=True, load_default=None)


class UpdateMonitorSchema(RequestSchema):
    """Every field optional; only the keys present are loaded."""

    class Meta(RequestSchema.Meta):
        title = "UpdateMonitorRequest"

    name = Text(allow_none=True, max_length=COLUMN_LENGTH)
    metrics = ListOf(Text(), allow_none=True)
    filters = JsonObject(allow_none=True)
    sampling_rate = JsonNumber(minimum=0, maximum=1, allow_none=True)
    model = Text(allow_none=True)
    cadence = Text(allow_none=True)
    only_if_changed = JsonBool(allow_none=True)
    signal_weights = NumberMap(allow_none=True)


class TraceMonitorFilters(RequestSchema):
    """What a TRACE monitor's runs select traces by (the trace-run filters)."""

    date_from = DateTimeText(allow_none=True)
    date_to = DateTimeText(allow_none=True)
    status = Choice(TRACE_STATUSES, allow_none=True)
    session_id = Text(allow_none=True)
    user_id = Text(allow_none=True)
    tags = ListOf(Text(), allow_none=True)
    name = Text(allow_none=True)


class SessionMonitorFilters(RequestSchema):
    """What a SESSION monitor's runs select sessions by (the session-run filters)."""

    date_from = DateTimeText(allow_none=True)
    date_to = DateTimeText(allow_none=True)
    user_id = Text(allow_none=True)
    has_error = JsonBool(allow_none=True)
    tags = ListOf(Text(), allow_none=True)
    min_trace_count = JsonInt(minimum=1, allow_none=True)
    signal_weights = NumberMap(allow_none=True)


class MonitorListQuery(RequestSchema):
    status = Choice(MONITOR_STATUSES)
    limit = QueryInt(minimum=1, maximum=200, load_default=50)
    offset = QueryInt(minimum=0, load_default=0)


class PageQuery(RequestSchema):
    limit = QueryInt(minimum=1, maximum=200, load_default=50)
    offset = QueryInt(minimum=0, load_default=0)


class MonitorPath(RequestSchema):
    monitor_id = UUIDText(required=True)


class MonitorSchema(Schema):
    class Meta:
        title = "MonitorResponse"

    id = UUIDText(required=True)
    project_id = UUIDText(required=True)
    name = fields.String(required=True)
    target_type = fields.String(required=True)
    metric_names = fields.List(fields.String(), required=True)
    filters = JsonObject(required=True)
    sampling_rate = fields.Float(required=True)
    model = fields.String(required=True, allow_none=True)
    cadence = fields.String(required=True)
    only_if_changed = fields.Boolean(required=True)
    status = fields.String(required=True)
    last_run_at = Timestamp(required=True, allow_none=True)
    last_run_id = UUIDText(required=True, allow_none=True)
    next_run_at = Timestamp(required=True, allow_none=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


MonitorPageSchema = page_schema(MonitorSchema, "MonitorResponse")


monitor_create = CreateMonitorSchema()
monitor_update = UpdateMonitorSchema()
trace_monitor_filters = TraceMonitorFilters()
session_monitor_filters = SessionMonitorFilters()
monitor_list_query = MonitorListQuery()
page_query = PageQuery()
monitor_path = MonitorPath()
monitor = MonitorSchema()
monitor_page = MonitorPageSchema()
run_page = run_schemas.eval_run_page  # the runs a monitor spawned: the run list's page
