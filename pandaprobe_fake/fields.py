"""The field types of the fake's schemas: Marshmallow fields that read JSON and query-string
values the way the real server (FastAPI + Pydantic) reads them, and refuse what it refuses in
its words ("Field required", "Input should be a valid string", "Input should be a valid UUID,
invalid length: expected length 32 for simple format, found 3", ...); and the fields that write the store's values into responses.

schemas.py builds every request and response schema from these.  openapi.py says how each
reads in OpenAPI (FIELD_TYPES).
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields

from pandaprobe_fake.clock import in_range, isoformat, to_micros
from pandaprobe_fake.jsonio import read_json

FIELD_REQUIRED = "Field required"
NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"
# The real server keeps `name` and `value` in 255-character columns (longer is a 500 there).
COLUMN_LENGTH = 255

# What the real server accepts as a project name (the X-Project-Name header).
PROJECT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 _.'-]*[A-Za-z0-9])?")
BAD_PROJECT_NAME = ("X-Project-Name must start and end with a letter or digit and contain only "
                    "letters, digits, spaces, hyphens, underscores, dots, or apostrophes.")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
NOT_A_LIST = "Input should be a valid list"


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
    """Why `text` is not a UUID, in the words of the parser behind the real server (the `uuid`
    crate of its pydantic-core, whose messages newer releases shortened)."""
    raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate is an invalid character
    # At the braced and urn lengths of a hyphenated UUID the parser reports on the inner text
    # as if it were the whole input.
    if (len(raw) == 38 and raw[:1] == b"{" and raw[-1:] == b"}") or (
            len(raw) == 45 and raw.startswith(b"urn:uuid:")):
        return _uuid_error(text[1:-1] if raw[:1] == b"{" else text[9:])
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
        elif char not in _HEX:  # (the position counts bytes, from 1)
            return ("invalid character: expected an optional prefix of `urn:uuid:` followed by "
                    f"[0-9a-fA-F-], found `{char}` at {index + offset + 1}")
        index += len(char.encode("utf-8", "surrogatepass"))
    if hyphens == 0 and simple:
        return f"invalid length: expected length 32 for simple format, found {len(raw)}"
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


# The real server's JSON parser reads an integer of more than 18 digits as a big integer,
# which its `float` fields refuse ("Input should be a valid number").
_LARGEST_FLOAT_INT = 999_999_999_999_999_999


class NumberMap(fields.Field):
    """A JSON object of numbers (`dict[str, float]`), loaded as floats as the real server's
    model holds them (`{"total": 1}` is stored and answered `{"total": 1.0}`); numeric
    strings are read as numbers."""

    default_error_messages = {"null": "Input should be a valid dictionary"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Input should be a valid dictionary")
        out, errors = {}, {}
        for key, number in value.items():
            if isinstance(number, bool) or not isinstance(number, (int, float, str)) or (
                    isinstance(number, int) and abs(number) > _LARGEST_FLOAT_INT):
                errors[key] = ["Input should be a valid number"]
                continue
            try:
                out[key] = float(number)
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
# JSON integers the store keeps go in SQLite's 64 bits: JsonInt loads nothing wider.
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
# The longest integer text Pydantic (and Python's int()) converts; longer is refused.
MAX_INT_DIGITS = 4300
INT_TOO_LONG = "Unable to parse input string as an integer, exceeded maximum size"


def integer_of_text(text: str) -> int:
    """The integer an integer text (sign, digits, `_`) writes.  One of more than
    MAX_INT_DIGITS digits is refused in Pydantic's words, before any conversion."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").replace("_", "").lstrip("0")
    if len(digits) > MAX_INT_DIGITS:
        raise ValidationError(INT_TOO_LONG)
    return sign * int(digits or "0")


def _check_bounds(number: int | float, minimum: int | float | None, maximum: int | float | None,
                  *, int64: bool = False) -> None:
    if int64:
        minimum = INT64_MIN if minimum is None else max(minimum, INT64_MIN)
        maximum = INT64_MAX if maximum is None else min(maximum, INT64_MAX)
    if minimum is not None and number < minimum:
        raise ValidationError(f"Input should be greater than or equal to {minimum}")
    if maximum is not None and number > maximum:
        raise ValidationError(f"Input should be less than or equal to {maximum}")


class QueryInt(fields.Field):
    """An integer query parameter with Pydantic's lax parsing and bound messages.  (Wider
    than 64 bits is accepted, as upstream does: an offset past SQLite's integers is a page
    past the end -- the stores keep such a value out of SQL.)"""

    default_error_messages = {"required": FIELD_REQUIRED}

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum  # as documented; 64 bits at most anyway

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _INTEGER.fullmatch(value):
            number = integer_of_text(value.split(".", 1)[0])
        else:
            raise ValidationError("Input should be a valid integer, unable to parse string as an integer")
        _check_bounds(number, self.minimum, self.maximum)
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


# A datetime may name only an instant of years 1 to 9999 in UTC (clock.in_range), whatever
# offset it is written with: every read writes it back as a UTC datetime.
OUT_OF_RANGE = "the instant falls outside years 1 to 9999 in UTC once its offset is applied"


def _from_timestamp(seconds: Decimal, prefix: str) -> int:
    """Unix seconds (milliseconds past 2e10, as the real server's parser reads them)."""
    if abs(seconds) > 20_000_000_000:
        seconds /= 1000
    if seconds > 253_402_300_799:
        raise ValidationError(prefix + "dates after 9999 are not supported as unix timestamps")
    if seconds < -62_135_596_800:
        raise ValidationError(prefix + "dates before 0000 are not supported as unix timestamps")
    return int((seconds * 1_000_000).to_integral_value(ROUND_HALF_EVEN))


def _fits_int64(text: str) -> bool:
    """Whether an integer text is less than 2**63 in size (checked without converting a text
    longer than 64 bits need)."""
    digits = text.lstrip("+-").lstrip("0")
    return len(digits) <= 19 and int(digits or "0") < 2**63


def parse_datetime(text: str) -> int:
    """A query-string datetime -> microseconds since the epoch (naive means UTC).

    Accepts what the real server does: ISO 8601 with `Z` or an offset, a naive
    datetime, a bare date (midnight), or unix seconds (milliseconds past 2e10)."""
    prefix = "Input should be a valid datetime or date, "
    if _TIMESTAMP.fullmatch(text) and _fits_int64(text.partition(".")[0]):
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
        except ValueError:
            pass
        else:
            micros = to_micros(moment)
            if not in_range(micros):
                raise ValidationError(prefix + OUT_OF_RANGE)
            return micros
    raise ValidationError(prefix + _date_error(text))


class QueryDateTime(fields.Field):
    default_error_messages = {"required": FIELD_REQUIRED}

    def _deserialize(self, value, attr, data, **kwargs):
        return parse_datetime(str(value))


_TRUE_WORDS = ("1", "on", "t", "true", "y", "yes")
_FALSE_WORDS = ("0", "off", "f", "false", "n", "no")


class QueryBool(fields.Field):
    """A boolean query parameter, read as Pydantic reads one (true/false, 1/0, yes/no, on/off,
    t/f, y/n, in any case)."""

    default_error_messages = {"required": FIELD_REQUIRED}

    def _deserialize(self, value, attr, data, **kwargs):
        word = str(value).lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise ValidationError("Input should be a valid boolean, unable to interpret input")


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


# -- response fields -----------------------------------------------------------------------


class Timestamp(fields.Field):
    """Microseconds since the epoch -> the real server's `datetime.isoformat()` text."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


def _stored_object(value: Any) -> Any:
    return read_json(value) if isinstance(value, str) else (value or {})


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
    """Mixin: serialize a column of a store dict as it is (or, in the subclasses that say so,
    converted): the output depends only on `obj.get(attr)`, which RowSchema relies on."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return obj.get(attr)


class StoredText(Stored, fields.String):
    pass


class StoredUUID(Stored, UUIDText):
    pass


class StoredChoice(Stored, Choice):
    pass


class StoredTimestamp(Stored, Timestamp):
    """A stored time (int microseconds), written as Timestamp writes it."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return isoformat(obj.get(attr))


class StoredObject(Stored, StoredJson):
    """A stored JSON object (text), read as StoredJson reads it."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return _stored_object(obj.get(attr))


# -- JSON values of the control API and of the evaluation routes -------------------------------------------------------------------------------


class JsonInt(fields.Field):
    """A JSON integer (not a bool, not a float with a fraction), within bounds."""

    default_error_messages = {"required": FIELD_REQUIRED,
                              "null": "Input should be a valid integer"}

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum  # as documented; 64 bits at most anyway

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("Input should be a valid integer")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise ValidationError("Input should be a valid integer, got a number with a fractional part")
            value = int(value)
        _check_bounds(value, self.minimum, self.maximum, int64=True)
        return value


class JsonNumber(fields.Field):
    """A finite JSON number (not a bool), within bounds."""

    default_error_messages = {"required": FIELD_REQUIRED,
                              "null": "Input should be a valid number"}

    def __init__(self, *, minimum: float | None = None, maximum: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValidationError("Input should be a valid number")
        _check_bounds(value, self.minimum, self.maximum)
        return value


class JsonBool(fields.Field):
    default_error_messages = {"required": FIELD_REQUIRED,
                              "null": "Input should be a valid boolean"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Input should be a valid boolean")
        return value


class DateTimeText(fields.Field):
    """An ISO 8601 datetime string (naive means UTC) -> microseconds since the epoch."""

    default_error_messages = {"required": FIELD_REQUIRED,
                              "null": "Input should be a valid datetime"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Input should be a valid datetime")
        return parse_datetime(value)


class ProjectName(fields.Field):
    """A project name as the X-Project-Name header accepts it."""

    default_error_messages = {"required": FIELD_REQUIRED,
                              "null": "Input should be a valid string"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Input should be a valid string")
        if len(value) > COLUMN_LENGTH:
            raise ValidationError(f"String should have at most {COLUMN_LENGTH} characters")
        if not PROJECT_NAME.fullmatch(value):
            raise ValidationError(BAD_PROJECT_NAME.replace("X-Project-Name", "A project name"))
        return value


class HttpMethod(fields.Field):
    default_error_messages = {"required": FIELD_REQUIRED}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value.upper() not in HTTP_METHODS:
            raise ValidationError("Input should be one of " + ", ".join(HTTP_METHODS))
        return value.upper()


class StringMap(fields.Field):
    """A JSON object of strings to strings (HTTP headers)."""

    default_error_messages = {"required": FIELD_REQUIRED,
                              "null": "Input should be a valid dictionary"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Input should be a valid dictionary")
        for key, item in value.items():
            if not isinstance(item, str):
                raise ValidationError(f"Value of {key!r}: Input should be a valid string")
            problem = header_problem(key, item)
            if problem:
                raise ValidationError(f"Header {key!r} is not a valid HTTP header ({problem})")
        return value


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP field name (RFC 9110 token)
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")  # visible Latin-1, spaces and tabs
# Headers that frame the message or the connection: the server sets them, a WSGI app may not.
FRAMING_HEADERS = frozenset(("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                             "te", "trailer", "trailers", "transfer-encoding", "upgrade",
                             "content-length"))


def header_problem(name: str, value: str) -> str | None:
    """Why a header could not be sent as it is, if so (checked when a fault is made, so that
    a fault never fails when it fires)."""
    if not _TOKEN.fullmatch(name):
        return "a name is a token: letters, digits and !#$%&'*+.^_`|~-"
    if name.lower() in FRAMING_HEADERS:
        return "the server sets it itself"
    if not _FIELD_VALUE.fullmatch(value):
        return "a value is Latin-1 text without control characters"
    return None
