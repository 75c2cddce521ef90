"""Schemas of the session-run routes (session_runs.py): CreateSessionEvalRunRequest with its
SessionEvalRunFilters, and CreateBatchSessionEvalRunRequest, with the real server's field
sentences.  The queries, paths and the run object are the trace runs' (run_schemas.py)."""

from __future__ import annotations

from marshmallow import fields

from pandaprobe_fake.api.evaluations.run_schemas import MinListOf, _metrics, _name
from pandaprobe_fake.fields import NOT_AN_OBJECT, JsonBool, JsonInt, JsonNumber, ListOf, NumberMap, Text
from pandaprobe_fake.schemas import RequestSchema


class SessionEvalRunFiltersSchema(RequestSchema):
    """Unknown keys ignored; the dates are strings, read as ISO 8601 later."""

    class Meta(RequestSchema.Meta):
        title = "SessionEvalRunFilters"

    date_from = Text(allow_none=True)
    date_to = Text(allow_none=True)
    user_id = Text(allow_none=True)
    has_error = JsonBool(allow_none=True)
    tags = ListOf(Text(), allow_none=True)
    min_trace_count = JsonInt(minimum=1, allow_none=True)


class CreateSessionEvalRunSchema(RequestSchema):
    class Meta(RequestSchema.Meta):
        title = "CreateSessionEvalRunRequest"

    name = _name()
    metrics = _metrics()
    filters = fields.Nested(SessionEvalRunFiltersSchema, load_default=dict,
                            error_messages={"null": NOT_AN_OBJECT, "type": NOT_AN_OBJECT})
    sampling_rate = JsonNumber(minimum=0, maximum=1, load_default=1.0)
    model = Text(allow_none=True, load_default=None)
    signal_weights = NumberMap(allow_none=True, load_default=None)


class CreateBatchSessionEvalRunSchema(RequestSchema):
    class Meta(RequestSchema.Meta):
        title = "CreateBatchSessionEvalRunRequest"

    session_ids = MinListOf(Text(), required=True, min_items=1)
    metrics = _metrics()
    name = _name()
    model = Text(allow_none=True, load_default=None)
    signal_weights = NumberMap(allow_none=True, load_default=None)


create_session_run = CreateSessionEvalRunSchema()
create_batch_session_run = CreateBatchSessionEvalRunSchema()
