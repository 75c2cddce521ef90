"""Schemathesis hooks of both fuzz runs (SCHEMATHESIS_HOOKS): path parameters are never
empty.  An empty segment does not name the parameterised route at all: `/sessions/` is the
list route's URL with a slash (a 307 to `/sessions`, as FastAPI's redirect_slashes answers on
the real server too), so such a case would be judged by another operation's answer.  Set on
the loaded document (minLength 1), so that every phase, the coverage phase too, follows it."""

from __future__ import annotations

import schemathesis


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    for item in (raw_schema.get("paths") or {}).values():
        operations = [op for op in item.values() if isinstance(op, dict)]
        for parameter in [*item.get("parameters", []),
                          *(p for op in operations for p in op.get("parameters", []))]:
            if isinstance(parameter, dict) and parameter.get("in") == "path":
                schema = parameter.setdefault("schema", {})
                if schema.get("type") in (None, "string") and "$ref" not in schema:
                    schema.setdefault("minLength", 1)
