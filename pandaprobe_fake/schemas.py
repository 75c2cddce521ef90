"""Marshmallow schemas: every request body, query string and path is loaded and
validated here, and every response is dumped from here.

The real server is FastAPI + Pydantic, so the fields (fields.py) speak Pydantic's error
sentences ("Field required", "Input should be a valid string", ...), and one function
(`validation_error_body`) turns a failed load into the real server's 422 body:
`{"detail": "Validation error", "errors": [{"field": ..., "message": ...}]}`.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Mapping

from marshmallow import EXCLUDE, ValidationError, fields, post_load, pre_dump, validates_schema

from pandaprobe_fake import jsonio
from pandaprobe_fake.schemabase import Schema
from pandaprobe_fake.fields import (COLUMN_LENGTH, FIELD_REQUIRED, NOT_A_LIST, NOT_AN_OBJECT, BodyDateTime, Choice, JsonObject,
                        JsonValue, ListBody, ListOf, NumberMap, QueryDateTime, QueryInt, QueryList,
                        QueryText, Stored, StoredChoice, StoredObject, StoredText, StoredTimestamp,
                        StoredUUID, Text, Timestamp, UUIDText)

DATA_TYPES = ("NUMERIC", "BOOLEAN", "CATEGORICAL")
SOURCES = ("AUTOMATED", "ANNOTATION", "PROGRAMMATIC")
STATUSES = ("SUCCESS", "FAILED", "PENDING")
GRANULARITIES = ("hour", "day", "week")
TRACE_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "ERROR")
SPAN_KINDS = ("AGENT", "TOOL", "LLM", "RETRIEVER", "CHAIN", "EMBEDDING", "OTHER")
SPAN_STATUSES = ("UNSET", "OK", "ERROR")
TRACE_SORTS = ("started_at", "ended_at", "name", "latency", "status")
SORT_ORDERS = ("asc", "desc")
MAX_SPANS = 500

class ApiValidationError(Exception):
    """A request that failed validation: the `errors` list of the real server's 422 body."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(errors)
        self.errors = errors


def validation_error_body(errors: list[dict[str, str]]) -> dict[str, Any]:
    return {"detail": "Validation error", "errors": errors}


def _flatten(messages: Any, prefix: str) -> list[dict[str, str]]:
    """Marshmallow's {field: [message, ...]} -> [{"field", "message"}], in field order.
    `_schema` (a rule about the whole input) becomes the bare prefix."""
    out: list[dict[str, str]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = "" if key == "_schema" else str(key)
            where = " -> ".join(p for p in (prefix, name) if p)
            out.extend(_flatten(value, where))
    elif isinstance(messages, (list, tuple)):
        for message in messages:
            out.extend(_flatten(message, prefix))
    else:
        out.append({"field": prefix, "message": str(messages)})
    return out


def load_parts(*parts: tuple[Schema, Any, str]) -> list[dict[str, Any]]:
    """Load several parts of one request -- (schema, data, location) with location
    'path', 'query' or 'body' -- and report the errors of all of them at once, in that
    order, as the real server does.  Returns the loaded data of each part."""
    loaded, errors = [], []
    for schema, data, location in parts:
        prefix = "" if location == "body" else location
        if data is None:
            errors.append({"field": prefix, "message": FIELD_REQUIRED})
        elif not isinstance(data, list if isinstance(schema, ListBody) else dict):
            errors.append({"field": prefix, "message": NOT_A_LIST if isinstance(schema, ListBody)
                           else NOT_AN_OBJECT})
        else:
            try:
                loaded.append(schema.load(data))
                continue
            except ValidationError as err:
                errors.extend(_flatten(err.messages, prefix))
        loaded.append(None)
    if errors:
        raise ApiValidationError(errors)
    return loaded


def query_dict(args, schema: Schema | None = None) -> dict[str, Any]:
    """A query string as the real server reads it: a repeated parameter, the last one
    wins -- except a list parameter of `schema` (QueryList), which takes them all."""
    lists = {name for name, field in (schema.fields.items() if schema else ()) if isinstance(field, QueryList)}
    return {key: args.getlist(key) if key in lists else args.getlist(key)[-1] for key in args.keys()}


# -- request bodies ------------------------------------------------------------------


class BodyParseError(Exception):
    """A body that is not even text in a JSON encoding (400 on the real server)."""


def parse_json_body(raw: bytes, content_type: str | None) -> Any:
    """Decode a request body the way the real server does, before a schema sees it.

    Empty -> None (the schema reports `Field required`).  A JSON content type -> the
    parsed value (malformed JSON is a 422 at once, alone, whose field is the character
    offset of the failure).  Any other content type, or none -> the raw bytes, which
    are not an object.  Raises ApiValidationError or BodyParseError."""
    if not raw:
        return None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    maintype, _, subtype = media.partition("/")
    if maintype != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return raw
    try:
        return jsonio.loads(raw)  # the standard library's reading, by orjson where they agree
    except json.JSONDecodeError as err:
        raise ApiValidationError([{"field": str(err.pos), "message": "JSON decode error"}]) from None
    except (ValueError, RecursionError) as err:  # not UTF-8/16/32, too deep, too long a number
        raise BodyParseError() from err


# -- the value rules ---------------------------------------------------------------------


def value_problem(data_type: str, value: str) -> str | None:
    """The real server's rule for a score value of a data type, as its sentence, if broken."""
    if data_type == "NUMERIC":
        try:
            number = float(value)
        except ValueError:
            return "NUMERIC score must be a valid number"
        if not 0.0 <= number <= 1.0:
            return "NUMERIC score must be in [0.0, 1.0]"
    elif data_type == "BOOLEAN":
        if value.lower() not in ("true", "false"):
            return "BOOLEAN score must be 'true' or 'false'"
    return None



# -- request schemas ---------------------------------------------------------------------


class RequestSchema(Schema):
    error_messages = {"type": NOT_AN_OBJECT}

    class Meta:
        unknown = EXCLUDE  # the real server ignores fields it does not know


class ScoreCreateSchema(RequestSchema):
    """Body of POST /evaluations/trace-scores (CreateTraceScoreRequest)."""

    class Meta(RequestSchema.Meta):
        title = "CreateTraceScoreRequest"

    trace_id = UUIDText(required=True)
    name = Text(required=True, max_length=COLUMN_LENGTH)
    value = Text(required=True, max_length=COLUMN_LENGTH)
    data_type = Choice(DATA_TYPES, load_default="NUMERIC")
    source = Choice(SOURCES, load_default="ANNOTATION")
    reason = Text(allow_none=True, load_default=None)
    metadata = JsonObject(load_default=dict)

    @validates_schema(skip_on_field_errors=True)
    def check_value(self, data, **kwargs):
        problem = value_problem(data["data_type"], data["value"])
        if problem:
            raise ValidationError(f"Value error, {problem}")


class ScoreUpdateSchema(RequestSchema):
    """Body of PATCH /evaluations/trace-scores/{score_id} (UpdateTraceScoreRequest).
    Every field is optional; a null one is dropped (null leaves the field alone)."""

    class Meta(RequestSchema.Meta):
        title = "UpdateTraceScoreRequest"

    value = Text(allow_none=True, max_length=COLUMN_LENGTH)
    reason = Text(allow_none=True)
    metadata = JsonObject(allow_none=True)


class DateRangeQuery(RequestSchema):
    date_from = QueryDateTime()
    date_to = QueryDateTime()


class ScoreListQuery(RequestSchema):
    trace_id = UUIDText()
    name = QueryText()
    source = Choice(SOURCES)
    status = Choice(STATUSES)
    data_type = Choice(DATA_TYPES)
    eval_run_id = UUIDText()
    environment = QueryText()
    date_from = QueryDateTime()
    date_to = QueryDateTime()
    limit = QueryInt(minimum=1, maximum=200, load_default=50)
    offset = QueryInt(minimum=0, load_default=0)


class TrendQuery(RequestSchema):
    metric_name = QueryText(required=True)
    date_from = QueryDateTime()
    date_to = QueryDateTime()
    granularity = Choice(GRANULARITIES, load_default="day")


class DistributionQuery(RequestSchema):
    metric_name = QueryText(required=True)
    date_from = QueryDateTime()
    date_to = QueryDateTime()
    buckets = QueryInt(minimum=1, maximum=100, load_default=10)


class TraceIdPath(RequestSchema):
    trace_id = UUIDText(required=True)


class ScoreIdPath(RequestSchema):
    score_id = UUIDText(required=True)


class SpanCreateSchema(RequestSchema):
    """A span inside POST /traces, or an item of POST /traces/{trace_id}/spans (SpanCreate)."""

    span_id = UUIDText()
    parent_span_id = UUIDText(allow_none=True)
    name = Text(required=True, min_length=1, max_length=512)
    kind = Choice(SPAN_KINDS, load_default="OTHER")
    status = Choice(SPAN_STATUSES, load_default="UNSET")
    input = JsonValue()
    output = JsonValue()
    model = Text(allow_none=True, max_length=255)
    token_usage = JsonObject(allow_none=True)
    metadata = JsonObject(load_default=dict)
    started_at = BodyDateTime(required=True)
    ended_at = BodyDateTime(allow_none=True)
    error = Text(allow_none=True)
    completion_start_time = BodyDateTime(allow_none=True)
    model_parameters = JsonObject(allow_none=True)
    cost = NumberMap(allow_none=True)


class TraceCreateSchema(RequestSchema):
    """Body of POST /traces (TraceCreate)."""

    trace_id = UUIDText()
    name = Text(required=True, min_length=1, max_length=512)
    status = Choice(TRACE_STATUSES, load_default="COMPLETED")
    input = JsonValue()
    output = JsonValue()
    metadata = JsonObject(load_default=dict)
    started_at = BodyDateTime(required=True)
    ended_at = BodyDateTime(allow_none=True)
    session_id = Text(allow_none=True, max_length=255)
    user_id = Text(allow_none=True, max_length=255)
    tags = ListOf(Text(), load_default=list)
    environment = Text(allow_none=True, max_length=255)
    release = Text(allow_none=True, max_length=255)
    spans = ListOf(fields.Nested(SpanCreateSchema, error_messages={"null": NOT_AN_OBJECT, "type": NOT_AN_OBJECT}),
                   max_items=MAX_SPANS, load_default=list)


class _PatchSchema(RequestSchema):
    """A PATCH body: only the keys present are loaded.  `null` on a field that is never null
    (NEVER_NULL) is ignored, as the real server ignores it; on any other field it clears."""

    NEVER_NULL: tuple[str, ...] = ()

    @post_load
    def drop_ignored_nulls(self, data, **kwargs):
        return {k: v for k, v in data.items() if not (v is None and k in self.NEVER_NULL)}


class TraceUpdateSchema(_PatchSchema):
    """Body of PATCH /traces/{trace_id} (TraceUpdate).  An empty name is a 422 (the real
    server answers a 500 and changes nothing)."""

    class Meta(RequestSchema.Meta):
        title = "TraceUpdate"

    NEVER_NULL = ("name", "status", "tags", "metadata")
    name = Text(allow_none=True, min_length=1, max_length=512)
    status = Choice(TRACE_STATUSES, allow_none=True)
    input = JsonValue()
    output = JsonValue()
    metadata = JsonObject(allow_none=True)
    ended_at = BodyDateTime(allow_none=True)
    session_id = Text(allow_none=True, max_length=255)
    user_id = Text(allow_none=True, max_length=255)
    tags = ListOf(Text(), allow_none=True)
    environment = Text(allow_none=True, max_length=255)
    release = Text(allow_none=True, max_length=255)


class SpanUpdateSchema(_PatchSchema):
    """Body of PATCH /traces/{trace_id}/spans/{span_id} (SpanUpdate), as TraceUpdateSchema."""

    class Meta(RequestSchema.Meta):
        title = "SpanUpdate"

    NEVER_NULL = ("name", "kind", "status", "metadata")
    name = Text(allow_none=True, min_length=1, max_length=512)
    kind = Choice(SPAN_KINDS, allow_none=True)
    status = Choice(SPAN_STATUSES, allow_none=True)
    input = JsonValue()
    output = JsonValue()
    model = Text(allow_none=True, max_length=255)
    token_usage = JsonObject(allow_none=True)
    metadata = JsonObject(allow_none=True)
    ended_at = BodyDateTime(allow_none=True)
    error = Text(allow_none=True)
    completion_start_time = BodyDateTime(allow_none=True)
    model_parameters = JsonObject(allow_none=True)
    cost = NumberMap(allow_none=True)


class TraceListQuery(RequestSchema):
    limit = QueryInt(minimum=1, maximum=200, load_default=50)
    offset = QueryInt(minimum=0, load_default=0)
    session_id = QueryText()
    status = Choice(TRACE_STATUSES)
    user_id = QueryText()
    tags = QueryList()
    name = QueryText()
    started_after = QueryDateTime()
    started_before = QueryDateTime()
    sort_by = Choice(TRACE_SORTS, load_default="started_at")
    sort_order = Choice(SORT_ORDERS, load_default="desc")


class SpanPath(RequestSchema):
    trace_id = UUIDText(required=True)
    span_id = UUIDText(required=True)


# -- response schemas ---------------------------------------------------------------------

class ItemList(fields.List):
    """A list of nested objects, dumped in one call of the item schema (`many=True`) rather
    than one `dump` an item (what fields.List does): the same output, without the per-item
    overhead that was a third of dumping a page of 50."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return self.inner.schema.dump(value, many=True)


def page_schema(item: type[Schema], item_title: str) -> type[Schema]:
    """PaginatedResponse[<item_title>]: a list route's page, `{"items", "total", "limit",
    "offset"}`, of `item` (one definition for every list route)."""
    meta = type("Meta", (), {"title": f"PaginatedResponse[{item_title}]"})
    return type(f"{item.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
        "Meta": meta, "__doc__": meta.title,
        "items": ItemList(fields.Nested(item), required=True),
        "total": fields.Integer(required=True), "limit": fields.Integer(required=True),
        "offset": fields.Integer(required=True)})



class RowSchema(Schema):
    """A response schema over the store's row dicts whose every field is a `Stored` field
    (fields.py): its output for a row depends only on the values (and their types) of its
    fields' keys, so each row of a list (`many`) is remembered by them, in a bounded LRU of
    `MEMO_ROWS` rows.  A row may also be a tuple with a `get` by column name, as the store
    reads them (stores/scores.py's ScoreRow): keyed by its class and all its values -- without
    their types when its class says `EXACT_KEY` (no two equal values of its columns are
    written apart).
    A page asked for again -- a dashboard polling, a client paging back -- is then written
    again only for the rows that changed since; a row changed in any way (one edit under a
    frozen clock too) is a new key.  The output is shared between responses: never change it.
    A row that cannot be a key (a value that is a dict, or a float: 0.0 == -0.0) is dumped
    as usual."""

    MEMO_ROWS = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = [name for name, field in self.dump_fields.items() if not isinstance(field, Stored)]
        if others:
            raise TypeError(f"{type(self).__name__}: fields {others} do not read a stored column")
        self._names = tuple(self.dump_fields)
        self._remembered = functools.lru_cache(maxsize=self.MEMO_ROWS)(self._dump_values)

    def _dump_values(self, key: tuple[type, tuple, tuple | None]) -> dict[str, Any]:
        kind, values, _ = key
        return super()._serialize(values if kind is not dict else dict(zip(self._names, values)))

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if not many or obj is None:  # one row: mostly one just written, never seen before
            return super()._serialize(obj, many=many)
        return [self._remember(row) for row in obj]

    def _remember(self, row: Any) -> dict[str, Any]:
        try:
            kind = type(row)
            if getattr(kind, "EXACT_KEY", False):  # a store row whose equal values are one text
                return self._remembered((kind, row, None))
            # a tuple that reads its columns by name is its own key; a dict, its values of this
            # schema's keys; with their types (1 == 1.0 == True, but three texts)
            values = row if isinstance(row, tuple) else tuple(map(row.get, self._names))
            types = tuple(map(type, values))
            if float not in types:  # 0.0 and -0.0 are one key, but two texts
                return self._remembered((kind if isinstance(row, tuple) else dict, values, types))
        except (AttributeError, TypeError):  # not a dict, or an unhashable value
            pass
        return super()._serialize(row)


class TraceScoreSchema(RowSchema):
    """TraceScoreResponse: always all 16 keys."""

    class Meta:
        title = "TraceScoreResponse"

    id = StoredUUID(required=True)
    trace_id = StoredUUID(required=True)
    name = StoredText(required=True)
    value = StoredText(required=True, allow_none=True)
    status = StoredChoice(STATUSES, required=True)
    source = StoredChoice(SOURCES, required=True)
    created_at = StoredTimestamp(required=True)
    project_id = StoredUUID(required=True)
    data_type = StoredChoice(DATA_TYPES, required=True)
    eval_run_id = StoredUUID(required=True, allow_none=True)
    author_user_id = StoredText(required=True, allow_none=True)
    reason = StoredText(required=True, allow_none=True)
    environment = StoredText(required=True, allow_none=True)
    config_id = StoredText(required=True, allow_none=True)
    metadata = StoredObject(required=True)
    updated_at = StoredTimestamp(required=True)


ScorePageSchema = page_schema(TraceScoreSchema, "TraceScoreResponse")


class ScoreSummaryItemSchema(Schema):
    metric_name = fields.String(required=True)
    avg_score = fields.Float(required=True, allow_none=True)
    min_score = fields.Float(required=True, allow_none=True)
    max_score = fields.Float(required=True, allow_none=True)
    median_score = fields.Float(required=True, allow_none=True)
    success_count = fields.Integer(required=True)
    failed_count = fields.Integer(required=True)
    latest_score_at = Timestamp(required=True, allow_none=True)


class ScoreTrendItemSchema(Schema):
    bucket = Timestamp(required=True, allow_none=True)
    metric_name = fields.String(required=True)
    avg_score = fields.Float(required=True)
    count = fields.Integer(required=True)


class ScoreDistributionItemSchema(Schema):
    bucket = fields.Integer(required=True)
    bucket_min = fields.Float(required=True)
    bucket_max = fields.Float(required=True)
    count = fields.Integer(required=True)


def _elapsed_ms(start: int | None, end: int | None) -> float | None:
    """A trace's latency as the real server's SQL gives it: exact milliseconds, as a float."""
    return None if start is None or end is None else (end - start) / 1000


def _span_ms(start: int | None, end: int | None) -> float | None:
    """A span's latency as the real server computes it in Python:
    `timedelta.total_seconds() * 1000` (15.82678 s -> 15826.779999999999)."""
    return None if start is None or end is None else (end - start) / 1_000_000 * 1000


class SpanSchema(Schema):
    """SpanResponse, with the computed latency_ms and time_to_first_token_ms.  (The store
    hands traces and spans out with their JSON columns already decoded.)"""

    class Meta:
        title = "SpanResponse"

    span_id = UUIDText(required=True)
    trace_id = UUIDText(required=True)
    parent_span_id = UUIDText(required=True, allow_none=True)
    name = fields.String(required=True)
    kind = Choice(SPAN_KINDS, required=True)
    status = Choice(SPAN_STATUSES, required=True)
    input = JsonValue(required=True)
    output = JsonValue(required=True)
    model = fields.String(required=True, allow_none=True)
    token_usage = JsonObject(required=True, allow_none=True)
    metadata = JsonObject(required=True)
    started_at = Timestamp(required=True)
    ended_at = Timestamp(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    completion_start_time = Timestamp(required=True, allow_none=True)
    model_parameters = JsonObject(required=True, allow_none=True)
    cost = NumberMap(required=True, allow_none=True)
    latency_ms = fields.Float(allow_none=True)
    time_to_first_token_ms = fields.Float(allow_none=True)

    @pre_dump
    def figures(self, span, **kwargs):
        return {**span, "latency_ms": _span_ms(span["started_at"], span["ended_at"]),
                "time_to_first_token_ms": _span_ms(span["started_at"], span["completion_start_time"])}


class TraceSchema(Schema):
    """TraceResponse: a trace with its spans."""

    class Meta:
        title = "TraceResponse"

    trace_id = UUIDText(required=True)
    project_id = UUIDText(required=True)
    name = fields.String(required=True)
    status = Choice(TRACE_STATUSES, required=True)
    input = JsonValue(required=True)
    output = JsonValue(required=True)
    metadata = JsonObject(required=True)
    started_at = Timestamp(required=True)
    ended_at = Timestamp(required=True, allow_none=True)
    session_id = fields.String(required=True, allow_none=True)
    user_id = fields.String(required=True, allow_none=True)
    tags = fields.List(fields.String(), required=True)
    environment = fields.String(allow_none=True)
    release = fields.String(allow_none=True)
    spans = fields.List(fields.Nested(SpanSchema))
    total_tokens = fields.Integer(dump_default=0, load_default=0)
    total_cost = fields.Float(dump_default=0.0, load_default=0.0)


class TraceListItemSchema(Schema):
    """TraceListItem: a trace without spans, with figures computed over its spans."""

    class Meta:
        title = "TraceListItem"

    trace_id = UUIDText(required=True)
    name = fields.String(required=True)
    status = Choice(TRACE_STATUSES, required=True)
    started_at = Timestamp(required=True)
    ended_at = Timestamp(required=True, allow_none=True)
    session_id = fields.String(required=True, allow_none=True)
    user_id = fields.String(required=True, allow_none=True)
    tags = fields.List(fields.String(), required=True)
    environment = fields.String(allow_none=True)
    release = fields.String(allow_none=True)
    latency_ms = fields.Float(allow_none=True)
    span_count = fields.Integer(dump_default=0, load_default=0)  # (load_default: the documented default)
    total_tokens = fields.Integer(dump_default=0, load_default=0)
    total_cost = fields.Float(dump_default=0.0, load_default=0.0)

    @pre_dump
    def figures(self, trace, **kwargs):
        return {**trace, "latency_ms": _elapsed_ms(trace["started_at"], trace["ended_at"])}


TracePageSchema = page_schema(TraceListItemSchema, "TraceListItem")


class TraceAcceptedSchema(Schema):
    class Meta:
        title = "TraceAccepted"

    trace_id = UUIDText(required=True)
    task_id = fields.String(required=True)


class SpansAcceptedSchema(Schema):
    class Meta:
        title = "SpansAccepted"

    span_ids = fields.List(UUIDText(), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    version = fields.String(required=True)
    environment = fields.String(required=True)
    timestamp = fields.String(required=True)


class ErrorSchema(Schema):
    """A domain error: {"detail": "<sentence>"}."""

    detail = fields.String(required=True)


class ValidationErrorItemSchema(Schema):
    field = fields.String(required=True)
    message = fields.String(required=True)


class ValidationErrorSchema(Schema):
    """The real server's 422 body for a request that fails validation."""

    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ValidationErrorItemSchema), required=True)


# Instances used by the routes (schemas hold no per-request state).
score_create = ScoreCreateSchema()
score_update = ScoreUpdateSchema()
score_list_query = ScoreListQuery()
date_range_query = DateRangeQuery()
trend_query = TrendQuery()
distribution_query = DistributionQuery()
trace_id_path = TraceIdPath()
score_id_path = ScoreIdPath()
trace_score = TraceScoreSchema()
trace_scores = TraceScoreSchema(many=True)
score_page = ScorePageSchema()
summary_items = ScoreSummaryItemSchema(many=True)
trend_items = ScoreTrendItemSchema(many=True)
distribution_items = ScoreDistributionItemSchema(many=True)
health = HealthSchema()
trace_create = TraceCreateSchema()
span_create_list = ListBody(SpanCreateSchema(), min_items=1, max_items=MAX_SPANS)
trace_update = TraceUpdateSchema()
span_update = SpanUpdateSchema()
trace_list_query = TraceListQuery()
span_path = SpanPath()
trace = TraceSchema()
span = SpanSchema()
trace_page = TracePageSchema()
trace_accepted = TraceAcceptedSchema()
spans_accepted = SpansAcceptedSchema()
error = ErrorSchema()
