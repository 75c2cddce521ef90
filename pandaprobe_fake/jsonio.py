"""JSON in and out: Flask's JSON provider, writing JSON with orjson; and `read_json`, the one
place stored JSON is read back, in PostgreSQL's JSONB key order (`jsonb_ordered`).

The fake's responses are written with `app.json.dumps` (compact, keys in the order given,
non-ASCII as is).  orjson writes that same JSON about ten times faster than the standard
library -- a page of 50 scores (25 kB) in 10 us instead of 130 us.  The two differ only in how
some floats are spelled (`1e-05` vs `0.00001`, the same number).  Whatever orjson refuses
(an integer beyond 64 bits, a lone surrogate, a type it does not know) is written by the
standard library exactly as before -- and text holding a lone surrogate (from a request's
`\ud800` escape, echoed in an error's `field` or a journaled body) with JSON escapes (\\ud800), so
that every response can be sent as UTF-8.
"""

from __future__ import annotations

from typing import Any

import json
import re

import orjson
from flask.json.provider import DefaultJSONProvider


class FastJSONProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if not kwargs:
            return self.dumps_bytes(obj).decode("utf-8")
        return self._dumps(obj, **kwargs)

    def dumps_bytes(self, obj: Any) -> bytes:
        """`dumps(obj)` as the UTF-8 bytes a response sends, without orjson's bytes going to
        text and back (a page of 50 scores is 25 kB)."""
        if not self.sort_keys and not self.ensure_ascii and self.compact:
            try:
                return orjson.dumps(obj)
            except TypeError:  # orjson.JSONEncodeError is a TypeError
                pass
        return self._dumps(obj).encode("utf-8")

    def _dumps(self, obj: Any, **kwargs: Any) -> str:
        if self.compact:
            kwargs.setdefault("separators", (",", ":"))
        text = super().dumps(obj, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: written as its escape instead
            text = super().dumps(obj, **{**kwargs, "ensure_ascii": True})
        return text


# -- stored JSON, read back as PostgreSQL's JSONB gives it -------------------------------------


_LONG_NUMBER = re.compile(r"[0-9]{19}")


def _jsonb_key(key: str) -> tuple[int, bytes]:
    raw = key.encode("utf-8")
    return len(raw), raw


def jsonb_ordered(value: Any) -> Any:
    """A JSON value as PostgreSQL's JSONB hands it back: object keys shorter first, equal
    lengths bytewise, at every level (arrays keep their order); `-0.0` is `0.0`.  Iterative,
    so that deep values cannot exhaust the stack."""
    if isinstance(value, float):
        return 0.0 if value == 0 else value
    if not isinstance(value, (dict, list)):
        return value
    root: list[Any] = [value]
    stack = [(root, 0)]
    while stack:
        holder, slot = stack.pop()
        item = holder[slot]
        if isinstance(item, dict):
            ordered = {k: item[k] for k in sorted(item, key=_jsonb_key)}
            holder[slot] = ordered
            stack.extend((ordered, k) for k in ordered)
        elif isinstance(item, list):
            copied = list(item)
            holder[slot] = copied
            stack.extend((copied, i) for i in range(len(copied)))
        elif isinstance(item, float) and item == 0:
            holder[slot] = 0.0
    return root[0]


# -- request bodies --------------------------------------------------------------------------


_LONG_DIGITS = re.compile(rb"[0-9]{19}")
MAX_FAST_BRACKETS = 512


def loads(raw: bytes) -> Any:
    """A request body -> its value, exactly as the standard library's `json.loads` reads it
    (and fails on it): by orjson, about ten times faster, where the two are known to agree.
    Not for a number of 19 digits or more (orjson reads an integer past 64 bits as a float),
    nor past MAX_FAST_BRACKETS brackets (the standard library refuses nesting near Python's
    recursion limit, orjson allows 1024 levels), nor for whatever orjson refuses (NaN, a lone
    surrogate, UTF-16, malformed JSON: the standard library's answer or error, as before)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_FAST_BRACKETS and not _LONG_DIGITS.search(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def read_json(text: str | None) -> Any:
    """Stored JSON text -> its value, as the real server's database gives it back (see
    jsonb_ordered).  The one place stored JSON is read back."""
    if text is None:
        return None
    if text == "{}":
        return {}
    # orjson reads an integer beyond 64 bits as a float; the standard library keeps it exact
    value = json.loads(text) if _LONG_NUMBER.search(text) else orjson.loads(text)
    return jsonb_ordered(value)
