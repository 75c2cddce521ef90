"""Marshmallow schemas: every request body, query string and path is loaded and
validated here, and every response is dumped from here.

The real server is FastAPI + Pydantic, so the fields below speak Pydantic's error
sentences ("Field required", "Input should be a valid string", ...), and one function
(`validation_error_body`) turns a failed load into the real server's 422 body:
`{"detail": "Validation error", "errors": [{"field": ..., "message": ...}]}`.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Mapping

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_dump, validates_schema

from clock import isoformat, to_micros

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
# A PATCH may clear a trace's or span's field with null, but not these (the real server's
# database refuses it, with a 500).
CANNOT_CLEAR = "Value error, {} cannot be null: it is always set"

# The real server keeps `name` and `value` in 255-character columns (longer is a 500 there).
COLUMN_LENGTH = 255

# What the real server accepts as a project name (the X-Project-Name header).
PROJECT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 _.'-]*[A-Za-z0-9])?")
BAD_PROJECT_NAME = ("X-Project-Name must start and end with a letter or digit and contain only "
                    "letters, digits, spaces, hyphens, underscores, dots, or apostrophes.")

FIELD_REQUIRED = "Field required"
NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"
NOT_A_LIST = "Input should be a valid list"


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
        return json.loads(raw)
    except json.JSONDecodeError as err:
        raise ApiValidationError([{"field": str(err.pos), "message": "JSON decode error"}]) from None
    except (ValueError, RecursionError) as err:  # not UTF-8/16/32, too deep, too long a number
        raise BodyParseError() from err


# -- fields that speak Pydantic --------------------------------------------------------


def _unstorable(text: str) -> str | None:
    """Why PostgreSQL could not store this text (the real server answers a 500), if so."""
    if "\x00" in text:
        return "Value error, text must not contain NUL (\\u0000) characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Value error, text must not contain unpaired surrogate characters"
    return None


class Text(fields.Field):
    """A JSON string (no coercion from numbers), storable, at most `max_length` long."""

    default_error_messages = {"required": FIELD_REQUIRED, "null": "Input should be a valid string"}

    def __init__(self, *, min_length: int | None = None, max_length: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.min_length, self.max_length = min_length, max_length

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Input should be a valid string")
        problem = _unstorable(value)
        if problem:
            raise ValidationError(problem)
        if self.min_length is not None and len(value) < self.min_length:
            plural = "" if self.min_length == 1 else "s"
            raise ValidationError(f"String should have at least {self.min_length} character{plural}")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(f"String should have at most {self.max_length} characters")
        return value


class QueryText(fields.Field):
    """A query-string text parameter, taken as it is (`name=` is the empty name)."""

    default_error_messages = {"required": FIELD_REQUIRED}

    def _deserialize(self, value, attr, data, **kwargs):
        return value


_UUID_GROUP_STARTS = (0, 9, 14, 19, 24)
_UUID_GROUP_LENGTHS = (8, 4, 4, 4, 12)
_HEX = frozenset("0123456789abcdefABCDEF")


def _uuid_error(text: str) -> str:
    """Why `text` is not a UUID, in the words of the parser behind the real server."""
    raw = text.encode("utf-8")
    if len(raw) >= 2 and raw[:1] == b"{" and raw[-1:] == b"}":
        body, offset, simple = raw[1:-1], 1, False
    elif raw.startswith(b"urn:uuid:"):
        body, offset, simple = raw[9:], 9, False
    else:
        body, offset, simple = raw, 0, True
    hyphens, bounds = 0, []
    decoded = body.decode("utf-8", "surrogatepass")
    index = 0
    for char in decoded:
        if char == "-":
            if hyphens < 4:
                bounds.append(index)
            hyphens += 1
        elif char not in _HEX:
            return f"invalid character: found `{char}` at {index + offset}"
        index += len(char.encode("utf-8", "surrogatepass"))
    if hyphens == 0 and simple:
        return f"invalid length: found {len(raw)}"
    if hyphens != 4:
        return f"invalid group count: expected 5, found {hyphens + 1}"
    for group in range(4):
        if bounds[group] != _UUID_GROUP_STARTS[group + 1] - 1:
            return (f"invalid group length in group {group}: expected "
                    f"{_UUID_GROUP_LENGTHS[group]}, found {bounds[group] - _UUID_GROUP_STARTS[group]}")
    return f"invalid group length in group 4: expected 12, found {len(raw) - 24}"


_UUID_FORMS = re.compile(
    r"(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})")


def parse_uuid(text: str) -> str | None:
    """The canonical lower-case form of a UUID written in any form the real server
    accepts (hyphenated, 32 hex digits, braced, urn:uuid:), or None."""
    inner = text
    if len(text) >= 2 and text[0] == "{" and text[-1] == "}":
        inner = text[1:-1]
        if len(inner) != 36:
            return None
    elif text.startswith("urn:uuid:"):
        inner = text[9:]
        if len(inner) != 36:
            return None
    if not _UUID_FORMS.fullmatch(inner):
        return None
    return str(uuid.UUID(inner))


class UUIDText(fields.Field):
    """A UUID given as a string; loaded as its canonical lower-case text."""

    default_error_messages = {"required": FIELD_REQUIRED,
                              "null": "UUID input should be a string, bytes or UUID object"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("UUID input should be a string, bytes or UUID object")
        canonical = parse_uuid(value)
        if canonical is None:
            raise ValidationError(f"Input should be a valid UUID, {_uuid_error(value)}")
        return canonical


class Choice(fields.Field):
    """One of a fixed set of strings (an enum of the real server; case-sensitive)."""

    default_error_messages = {"required": FIELD_REQUIRED}

    def __init__(self, choices: tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        self.choices = choices
        quoted = [f"'{c}'" for c in choices]
        self.message = "Input should be " + ", ".join(quoted[:-1]) + " or " + quoted[-1]
        self.error_messages = {**self.error_messages, "null": self.message,
                               **kwargs.get("error_messages", {})}

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in self.choices:
            raise ValidationError(self.message)
        return value


MAX_JSON_DEPTH = 256  # deeper JSON could not be written back out by Python's encoder


def _storable_json(value: Any) -> None:
    """Raise unless this JSON value can be stored and written back: no NaN/Infinity, NUL
    characters or lone surrogates (PostgreSQL refuses them), at most MAX_JSON_DEPTH levels.
    Iterative, so that a deeply nested value cannot exhaust the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)) and depth > MAX_JSON_DEPTH:
            raise ValidationError(f"Value error, JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                problem = _unstorable(key)
                if problem:
                    raise ValidationError(problem)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            problem = _unstorable(item)
            if problem:
                raise ValidationError(problem)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValidationError("Value error, numbers must be finite (no NaN or Infinity)")


class JsonObject(fields.Field):
    """A JSON object, storable as it is (see _storable_json)."""

    default_error_messages = {"required": FIELD_REQUIRED, "null": "Input should be a valid dictionary"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Input should be a valid dictionary")
        _storable_json(value)
        return value


class JsonValue(fields.Field):
    """Any JSON value (the real server's `Any | None`), storable as it is."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        _storable_json(value)
        return value


class NumberMap(fields.Field):
    """A JSON object of numbers (`dict[str, float]`); numeric strings are read as numbers."""

    default_error_messages = {"null": "Input should be a valid dictionary"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Input should be a valid dictionary")
        out, errors = {}, {}
        for key, number in value.items():
            if isinstance(number, bool) or not isinstance(number, (int, float, str)):
                errors[key] = ["Input should be a valid number"]
                continue
            try:
                out[key] = float(number) if isinstance(number, str) else number
            except ValueError:
                errors[key] = ["Input should be a valid number, unable to parse string as a number"]
                continue
            if not math.isfinite(out[key]):
                errors[key] = ["Value error, numbers must be finite (no NaN or Infinity)"]
            problem = _unstorable(key)
            if problem:
                errors[key] = [problem]
        if errors:
            raise ValidationError(errors)
        return out


class ListOf(fields.List):
    """A JSON array of items of one field, with Pydantic's list messages and bounds."""

    default_error_messages = {"required": FIELD_REQUIRED, "null": NOT_A_LIST, "invalid": NOT_A_LIST}

    def __init__(self, inner, *, max_items: int | None = None, **kwargs):
        super().__init__(inner, **kwargs)
        self.max_items = max_items

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        if self.max_items is not None and len(items) > self.max_items:
            raise ValidationError(
                f"List should have at most {self.max_items} items after validation, not {len(items)}")
        return items


class ListBody:
    """A request body that is a JSON array of objects of one schema, with length bounds
    (loaded by load_parts like a schema)."""

    def __init__(self, item_schema: Schema, min_items: int, max_items: int):
        self.item_schema, self.min_items, self.max_items = item_schema, min_items, max_items

    def load(self, data: list) -> list[dict[str, Any]]:
        loaded, errors = [], {}
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                errors[index] = [NOT_AN_OBJECT]
                continue
            try:
                loaded.append(self.item_schema.load(item))
            except ValidationError as err:
                errors[index] = err.messages
        if errors:
            raise ValidationError(errors)
        if len(loaded) < self.min_items:
            plural = "" if self.min_items == 1 else "s"
            raise ValidationError(f"List should have at least {self.min_items} item{plural} "
                                  f"after validation, not {len(loaded)}")
        if len(loaded) > self.max_items:
            raise ValidationError(f"List should have at most {self.max_items} items "
                                  f"after validation, not {len(loaded)}")
        return loaded


# Pydantic reads ASCII digits only, and trims Unicode White_Space (not \x1c-\x1f, which
# Python's \s also takes).
_WHITE = r"[^\S\x1c-\x1f]*"
_INTEGER = re.compile(_WHITE + r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0*)?" + _WHITE)


class QueryInt(fields.Field):
    """An integer query parameter with Pydantic's lax parsing and bound messages."""

    default_error_messages = {"required": FIELD_REQUIRED}

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _INTEGER.fullmatch(value):
            number = int(value.strip().split(".", 1)[0])
        else:
            raise ValidationError("Input should be a valid integer, unable to parse string as an integer")
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(f"Input should be greater than or equal to {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"Input should be less than or equal to {self.maximum}")
        return number


_TIMESTAMP = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)  # ASCII digits only, as Pydantic
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt _](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?", re.ASCII)
_DATE_PARTS = (("year", 0, 4), ("month", 5, 7), ("day", 8, 10))


def _date_error(text: str) -> str:
    """Why `text` is not a date, in the words of the parser behind the real server."""
    if len(text) < 10:
        return "input is too short"
    for part, start, end in _DATE_PARTS:
        if not text[start:end].isdigit() or not text[start:end].isascii():
            return f"invalid character in {part}"
        if end < 10 and text[end] != "-":
            return "invalid date separator, expected `-`"
    month, day = int(text[5:7]), int(text[8:10])
    if not 1 <= month <= 12:
        return "month value is outside expected range of 1-12"
    try:
        datetime(max(int(text[0:4]), 1), month, day)
    except ValueError:
        return "day value is outside expected range"
    return "unexpected extra characters at the end of the input"


def _from_timestamp(seconds: Decimal, prefix: str) -> int:
    """Unix seconds (milliseconds past 2e10, as the real server's parser reads them)."""
    if abs(seconds) > 20_000_000_000:
        seconds /= 1000
    if seconds > 253_402_300_799:
        raise ValidationError(prefix + "dates after 9999 are not supported as unix timestamps")
    if seconds < -62_135_596_800:
        raise ValidationError(prefix + "dates before 0000 are not supported as unix timestamps")
    return int((seconds * 1_000_000).to_integral_value(ROUND_HALF_EVEN))


def parse_datetime(text: str) -> int:
    """A query-string datetime -> microseconds since the epoch (naive means UTC).

    Accepts what the real server does: ISO 8601 with `Z` or an offset, a naive
    datetime, a bare date (midnight), or unix seconds (milliseconds past 2e10)."""
    prefix = "Input should be a valid datetime or date, "
    if _TIMESTAMP.fullmatch(text) and abs(int(text.partition(".")[0])) < 2**63:
        return _from_timestamp(Decimal(text), prefix)
    match = _DATETIME.fullmatch(text)
    if match:
        year, month, day, hour, minute, second, fraction, zulu, sign, tz_h, tz_m = match.groups()
        if int(year) == 0:
            raise ValidationError("Input should be a valid datetime, year 0 is out of range")
        try:
            tz = timezone.utc
            if sign:
                if int(tz_h) > 23 or int(tz_m) > 59:
                    raise ValueError("offset")
                offset = timedelta(hours=int(tz_h), minutes=int(tz_m))
                tz = timezone(-offset if sign == "-" else offset)
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                              int(second or 0), int(((fraction or "") + "000000")[:6]), tzinfo=tz)
            return to_micros(moment)
        except ValueError:
            pass
    raise ValidationError(prefix + _date_error(text))


class QueryDateTime(fields.Field):
    default_error_messages = {"required": FIELD_REQUIRED}

    def _deserialize(self, value, attr, data, **kwargs):
        return parse_datetime(str(value))


class QueryList(fields.Field):
    """A repeatable query parameter (`tags=a&tags=b`): every value, in order."""

    def _deserialize(self, value, attr, data, **kwargs):
        return list(value) if isinstance(value, list) else [value]


class BodyDateTime(fields.Field):
    """A datetime in a JSON body: ISO 8601 text (as in the query string) or unix seconds
    as a number.  Loaded as microseconds since the epoch."""

    default_error_messages = {"required": FIELD_REQUIRED, "null": "Input should be a valid datetime"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return parse_datetime(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValidationError("Input should be a valid datetime")
        return _from_timestamp(Decimal(repr(value) if isinstance(value, float) else value),
                               "Input should be a valid datetime, ")


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


def numeric_value(data_type: str, value: str | None) -> float | None:
    """The number analytics read from a NUMERIC value (Python's reading, as the rule's)."""
    if data_type != "NUMERIC" or value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


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


class TraceUpdateSchema(RequestSchema):
    """Body of PATCH /traces/{trace_id} (TraceUpdate).  Only the keys present are loaded:
    null clears a field (metadata and tags to empty); name and status cannot be cleared."""

    name = Text(max_length=512, error_messages={"null": CANNOT_CLEAR.format("name")})
    status = Choice(TRACE_STATUSES, error_messages={"null": CANNOT_CLEAR.format("status")})
    input = JsonValue()
    output = JsonValue()
    metadata = JsonObject(allow_none=True)
    ended_at = BodyDateTime(allow_none=True)
    session_id = Text(allow_none=True, max_length=255)
    user_id = Text(allow_none=True, max_length=255)
    tags = ListOf(Text(), allow_none=True)
    environment = Text(allow_none=True, max_length=255)
    release = Text(allow_none=True, max_length=255)


class SpanUpdateSchema(RequestSchema):
    """Body of PATCH /traces/{trace_id}/spans/{span_id} (SpanUpdate), as TraceUpdateSchema."""

    name = Text(max_length=512, error_messages={"null": CANNOT_CLEAR.format("name")})
    kind = Choice(SPAN_KINDS, error_messages={"null": CANNOT_CLEAR.format("kind")})
    status = Choice(SPAN_STATUSES, error_messages={"null": CANNOT_CLEAR.format("status")})
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


class TracePath(RequestSchema):
    trace_id = UUIDText(required=True)


class SpanPath(RequestSchema):
    trace_id = UUIDText(required=True)
    span_id = UUIDText(required=True)


# -- response schemas ---------------------------------------------------------------------


class Timestamp(fields.Field):
    """Microseconds since the epoch -> the real server's `datetime.isoformat()` text."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


def _stored_object(value: Any) -> Any:
    if value == "{}":  # most metadata: no need to parse it
        return {}
    return json.loads(value) if isinstance(value, str) else (value or {})


class StoredJson(fields.Field):
    """JSON text as stored -> the object it holds ({} when nothing is stored)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return _stored_object(value)


# The fields of the score response.  The store hands scores out as plain dicts holding every
# column, already of the response's types, so these read their key straight from the dict
# instead of marshmallow's general attribute lookup -- that lookup was most of the cost of
# dumping a page of 50 scores.  (No `attribute` or `data_key`: the key is the column name.)
# Each is a typed field underneath, which is what the OpenAPI document is made from.


class Stored:
    """Mixin: serialize a column of a store dict as it is."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return obj.get(attr)


class StoredText(Stored, fields.String):
    pass


class StoredUUID(Stored, UUIDText):
    pass


class StoredChoice(Stored, Choice):
    pass


class StoredTimestamp(Timestamp):
    """A stored time (int microseconds), written as Timestamp writes it."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return isoformat(obj.get(attr))


class StoredObject(StoredJson):
    """A stored JSON object (text), read as StoredJson reads it."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return _stored_object(obj.get(attr))


class TraceScoreSchema(Schema):
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


class ScorePageSchema(Schema):
    """PaginatedResponse[TraceScoreResponse]."""

    class Meta:
        title = "PaginatedResponse[TraceScoreResponse]"

    items = fields.Nested(TraceScoreSchema, many=True, required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


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
    return None if start is None or end is None else (end - start) / 1000


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
        return {**span, "latency_ms": _elapsed_ms(span["started_at"], span["ended_at"]),
                "time_to_first_token_ms": _elapsed_ms(span["started_at"], span["completion_start_time"])}


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


class TracePageSchema(Schema):
    """PaginatedResponse[TraceListItem]."""

    class Meta:
        title = "PaginatedResponse[TraceListItem]"

    items = fields.List(fields.Nested(TraceListItemSchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


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
trace_path = TracePath()
span_path = SpanPath()
trace = TraceSchema()
span = SpanSchema()
trace_page = TracePageSchema()
trace_accepted = TraceAcceptedSchema()
spans_accepted = SpansAcceptedSchema()
error = ErrorSchema()
