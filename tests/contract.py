"""The fake's OpenAPI document held against upstream's (upstream/pandaprobe-openapi.json, a
copy of the published document of the real server).

Each operation is flattened into facts -- `parameters.query.limit.schema.maximum: 200`,
`requestBody.schema.data_type.enum: [...]`, `responses.201.schema.id.format: "uuid"` --
after resolving `$ref`s and reading `anyOf: [X, {type: null}]` and `type: [X, "null"]` alike,
so only what a client can observe is compared: path, method, operation id, tags, summary,
security, parameters (name, location, required, type/format/enum/bounds/default), request
body (properties, required, types, enums, defaults, bounds) and responses (codes, media
types, schemas).  Titles, descriptions and examples are prose and are not compared.

Every difference must match an entry of ALLOWED, which says why it is right; an entry that
matches nothing is stale and is an error too (tests/test_contract.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "upstream" / "pandaprobe-openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ABSENT = "<absent>"


@dataclass(frozen=True)
class Allowed:
    """Differences of the operations whose id matches `operations`, at locations matching
    `where` (both fnmatch patterns), are right, for `reason`."""

    operations: str
    where: str
    reason: str


ALLOWED: list[Allowed] = [
    Allowed("*", "security", (
        "upstream lists Bearer, X-API-Key, X-Project-ID and X-Project-Name as four alternatives, "
        "each enough alone; the server needs a pair (X-API-Key + X-Project-Name, or Bearer + "
        "X-Project-ID, BEHAVIOR.md), which is what the fake's document says")),
    Allowed("*", "responses.401*", (
        "the real server answers 401 {detail} to missing or refused credentials (BEHAVIOR.md); "
        "its document leaves that out")),
    Allowed("*", "responses.422.*", (
        "the real server's 422 body is {detail: 'Validation error', errors: [{field, message}]} "
        "for a request that fails validation, or {detail} for a domain rule (project scope, "
        "PATCH value rule) -- not the HTTPValidationError its document declares (BEHAVIOR.md: "
        "the running server wins)")),
    Allowed("update_trace_score_*", "responses.404*", (
        "an unknown score id is 404 {detail: 'Trace score <id> not found.'} on the real server "
        "(BEHAVIOR.md); its document leaves that out")),
    Allowed("delete_trace_score_*", "responses.404*", (
        "an unknown score id is 404 {detail: 'Trace score <id> not found.'} on the real server "
        "(BEHAVIOR.md); its document leaves that out")),
    Allowed("*", "responses.400*", (
        "a body that is not text in a JSON encoding is 400 {detail: 'There was an error parsing "
        "the body'} (FastAPI's answer); the document leaves it out")),
    Allowed("*", "responses.413*", (
        "the fake refuses a body over --max-body with 413 {detail}; the hosted API's limit is "
        "its proxy's and is not in its document")),
    Allowed("create_trace_score_*", "requestBody.schema.name.maxLength", (
        "the real server keeps `name` in a 255-character column and answers a longer one with "
        "a 500; the fake answers 422 and says so (BEHAVIOR.md)")),
    Allowed("create_trace_score_*", "requestBody.schema.value.maxLength", (
        "the real server keeps `value` in a 255-character column and answers a longer one with "
        "a 500; the fake answers 422 and says so (BEHAVIOR.md)")),
    Allowed("update_trace_score_*", "requestBody.schema.value.maxLength", (
        "as on create: `value` fits a 255-character column (BEHAVIOR.md)")),
    Allowed("get_trace_traces_*", "responses.404*", (
        "an unknown trace is 404 {detail: 'Trace <id> not found.'} on the real server "
        "(BEHAVIOR.md, Traces); its document leaves that out")),
    Allowed("update_trace_traces_*", "responses.404*", (
        "an unknown trace is 404 {detail: 'Trace <id> not found.'} (BEHAVIOR.md, Traces)")),
    Allowed("delete_trace_traces_*", "responses.404*", (
        "an unknown trace is 404 {detail: 'Trace <id> not found.'} (BEHAVIOR.md, Traces)")),
    Allowed("add_spans_traces_*", "responses.404*", (
        "spans for an unknown trace are 404 {detail: 'Trace <id> not found.'} (BEHAVIOR.md, Traces)")),
    Allowed("update_span_traces_*", "responses.404*", (
        "an unknown trace or span is 404 {detail: 'Span <id> not found on trace <id>.'} "
        "(BEHAVIOR.md, Traces)")),
    Allowed("update_*_traces_*", "requestBody.schema.name.minLength", (
        "an empty name in a trace or span PATCH is a 500 on the real server (nothing changes, "
        "P4 in BEHAVIOR.md); the fake answers 422 'String should have at least 1 character'")),
    Allowed("get_session_sessions_*", "responses.404*", (
        "a session without traces is 404 {detail: \"Session '<id>' not found.\"} (BEHAVIOR.md, "
        "Sessions); upstream's document leaves that out")),
    Allowed("delete_session_sessions_*", "responses.404*", (
        "a session without traces is 404 {detail: \"Session '<id>' not found.\"} (BEHAVIOR.md)")),
    Allowed("*_monitor*_evaluations_monitors__monitor_id__*", "responses.404*", (
        "an unknown or other project's monitor is 404 {detail: 'Eval monitor <id> not found.'} on "
        "the real server (BEHAVIOR.md, Monitors); its document leaves that out")),
    Allowed("get_available_session_metrics_*", "responses.422", (
        "the project-scope errors are 422 {detail} on every data-plane route (BEHAVIOR.md); this "
        "operation takes no parameters, so upstream's document lists no 422 for it")),
    Allowed("*_monitor_evaluations_monitors*", "requestBody.schema.name.maxLength", (
        "a monitor name over 255 characters is a 500 on the real server (its column); the fake "
        "answers 422 'String should have at most 255 characters' (BEHAVIOR.md, upstream defects)")),
    Allowed("health_check_health_get", "responses.200.schema.*", (
        "upstream documents its health answer as any object; the fake documents the four keys "
        "it answers (status, version, environment, timestamp)")),
    Allowed("get_available_metrics_*", "responses.422", (
        "every project-scoped route answers 422 {detail} to a missing or bad project header "
        "(BEHAVIOR.md, authentication); upstream documents no 422 for this parameterless route")),
    Allowed("get_available_providers_*", "responses.422", (
        "as trace-metrics: the project-scope 422 of every scoped route, left out upstream")),
    Allowed("create_*eval_run_*", "requestBody.schema.name.maxLength", (
        "a run `name` over 255 characters (trace or session run, filtered or batch) is a 500 on "
        "the real server (its column); the fake answers 422 `String should have at most 255 "
        "characters` (BEHAVIOR.md, defects)")),
    Allowed("get_*eval_run_*", "responses.404*", (
        "an unknown run is 404 {detail: 'Eval run <id> not found.'} (BEHAVIOR.md, runs; trace "
        "and session runs alike); its document leaves that out")),
    Allowed("delete_*eval_run_*", "responses.404*", (
        "an unknown run is 404 {detail: 'Eval run <id> not found.'} (BEHAVIOR.md, runs)")),
    Allowed("retry_failed_*eval_run_*", "responses.404*", (
        "an unknown run is 404 {detail: 'Eval run <id> not found.'} (BEHAVIOR.md, runs)")),
    Allowed("*", "responses.2??.schema*.additionalProperties", (
        "the fake dumps every response from a Marshmallow schema and so promises exactly the "
        "keys listed; upstream's Pydantic models leave other keys open (schemathesis holds the "
        "fake to the stricter promise)")),
]

# Operations of the fake that upstream's document does not have (the /_fake/ control routes,
# tagged `fake`, are the fake's own by definition).
FAKE_ONLY: dict[str, str] = {}
FAKE_TAG = "fake"


@dataclass(frozen=True)
class Difference:
    operation: str  # "METHOD /path"
    operation_id: str
    where: str
    fake: Any
    upstream: Any

    def __str__(self) -> str:
        return (f"{self.operation} ({self.operation_id}): {self.where}: "
                f"fake={self.fake!r} upstream={self.upstream!r}")


def load_upstream() -> dict:
    return json.loads(UPSTREAM.read_text(encoding="utf-8"))


def operations(document: dict) -> dict[str, dict]:
    """"METHOD /path" -> operation object."""
    return {f"{method.upper()} {path}": op
            for path, item in document.get("paths", {}).items()
            for method, op in item.items() if method in METHODS}


def deref(schema: Any, document: dict, depth: int = 0) -> dict:
    """A schema with its `$ref` resolved (sibling keywords, allowed in 3.1, win)."""
    if not isinstance(schema, dict):
        return {} if schema is True else {"not": {}}
    while "$ref" in schema and depth < 50:
        ref = schema["$ref"]
        assert ref.startswith("#/"), ref
        target = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        depth += 1
    return schema


def _types(schema: dict) -> list[str]:
    type_ = schema.get("type")
    return [type_] if isinstance(type_, str) else list(type_ or [])


SCALARS = ("format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
           "maxLength", "pattern", "minItems", "maxItems", "const", "default")


def schema_facts(schema: Any, document: dict, prefix: str, out: dict, depth: int = 0) -> None:
    """Flatten what a schema says a client may send or receive into `out`."""
    if depth > 12:
        return
    schema = deref(schema, document)
    for keyword in ("anyOf", "oneOf"):
        if keyword not in schema:
            continue
        branches = [deref(b, document) for b in schema[keyword]]
        others = [b for b in branches if _types(b) != ["null"]]
        rest = {k: v for k, v in schema.items() if k != keyword}
        if len(others) == 1 and len(others) < len(branches):  # X | null
            schema = {**others[0], **rest}
            if _types(others[0]):  # (an untyped X is anything, null included)
                schema["type"] = [*_types(others[0]), "null"]
            break
        out[f"{prefix}.{keyword}"] = len(branches)
        for i, branch in enumerate(branches):
            schema_facts(branch, document, f"{prefix}.{keyword}[{i}]", out, depth + 1)
        return
    types = set(_types(schema))
    enum = schema.get("enum")
    if enum is not None:
        if None in enum:
            types.add("null")
        out[f"{prefix}.enum"] = sorted(str(v) for v in enum if v is not None)
    out[f"{prefix}.type"] = sorted(types) or ["any"]
    for key in SCALARS:
        if key in schema:
            out[f"{prefix}.{key}"] = schema[key]
    if "object" in types:
        extra = schema.get("additionalProperties", True)
        if isinstance(extra, dict) and extra:
            schema_facts(extra, document, f"{prefix}.additionalProperties", out, depth + 1)
        else:
            out[f"{prefix}.additionalProperties"] = bool(extra != False)  # noqa: E712 ({} is True)
        out[f"{prefix}.required"] = sorted(schema.get("required", []))
        for name, sub in schema.get("properties", {}).items():
            schema_facts(sub, document, f"{prefix}.{name}", out, depth + 1)
    if "array" in types and "items" in schema:
        schema_facts(schema["items"], document, f"{prefix}[]", out, depth + 1)


def operation_facts(op: dict, document: dict) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.get("operationId"),
        "tags": sorted(op.get("tags", [])),
        "summary": op.get("summary"),
        "security": sorted(sorted(alternative) for alternative in op.get("security", [])),
    }
    for parameter in op.get("parameters", []):
        parameter = deref(parameter, document)
        where = f"parameters.{parameter['in']}.{parameter['name']}"
        out[where] = True
        out[f"{where}.required"] = bool(parameter.get("required", False))
        schema_facts(parameter.get("schema", {}), document, f"{where}.schema", out)
    body = op.get("requestBody")
    if body is not None:
        body = deref(body, document)
        out["requestBody.required"] = bool(body.get("required", False))
        out["requestBody.content"] = sorted(body.get("content", {}))
        for media in body.get("content", {}).values():
            schema_facts(media.get("schema", {}), document, "requestBody.schema", out)
    for status, response in op.get("responses", {}).items():
        response = deref(response, document)
        out[f"responses.{status}"] = True
        out[f"responses.{status}.content"] = sorted(response.get("content", {}))
        for media in response.get("content", {}).values():
            schema_facts(media.get("schema", {}), document, f"responses.{status}.schema", out)
    return out


def differences(fake: dict, upstream: dict) -> tuple[list[Difference], list[str]]:
    """Every difference between the fake's operations and upstream's same operations, and
    the fake's operations upstream does not have."""
    upstream_ops = operations(upstream)
    found, missing = [], []
    for name, op in operations(fake).items():
        if name not in upstream_ops:
            missing.append(name)
            continue
        mine = operation_facts(op, fake)
        theirs = operation_facts(upstream_ops[name], upstream)
        for where in sorted(set(mine) | set(theirs)):
            if mine.get(where, ABSENT) != theirs.get(where, ABSENT):
                found.append(Difference(name, upstream_ops[name].get("operationId", ""), where,
                                        mine.get(where, ABSENT), theirs.get(where, ABSENT)))
    return found, missing


def allowed_by(difference: Difference) -> list[Allowed]:
    return [entry for entry in ALLOWED
            if fnmatchcase(difference.operation_id, entry.operations)
            and fnmatchcase(difference.where, entry.where)]


def is_fake_only(name: str, op: dict) -> bool:
    return name in FAKE_ONLY or FAKE_TAG in op.get("tags", [])


# -- upstream's document, as the running server answers it ------------------------------------

# The second schemathesis run sends what upstream's document allows to the fake.  Requests
# that document allows but the real server refuses too (its document cannot say so), or that
# the real server breaks on (a 500) where the fake refuses them clearly, are answered 422;
# each such message must be one of these, else the fake refuses what upstream accepts.
REJECTIONS: list[tuple[str, str]] = [
    (r"^Value error, (NUMERIC score must be (a valid number|in \[0\.0, 1\.0\])"
     r"|BOOLEAN score must be 'true' or 'false')$",
     "the value rules by data type: the real server enforces them (BEHAVIOR.md), its document "
     "says only `value: string`"),
    (r"^String should have at most 255 characters$",
     "name/value over 255 characters: a 500 on the real server, a 422 in the fake (BEHAVIOR.md)"),
    (r"^Value error, text must not contain (NUL|unpaired surrogate)",
     "text PostgreSQL cannot store: a 500 on the real server, a 422 in the fake (docs/reference.md)"),
    (r"^NUMERIC score must be (a valid number|in \[0\.0, 1\.0\])$|^BOOLEAN score must be 'true' or 'false'$",
     "the value rule on PATCH is a domain error {detail} on the real server too (BEHAVIOR.md)"),
    (r"^String should have at least 1 character$",
     "an empty name in a trace or span PATCH: a 500 on the real server (P4), a 422 in the fake"),
    (r"^Value error, JSON nested deeper than 256 levels$",
     "JSON the fake could not write back out (docs/reference.md)"),
    (r"^Value error, numbers must be finite",
     "NaN/Infinity: PostgreSQL's JSON refuses them (a 500 there, a 422 in the fake)"),
    (r"^Unknown (session )?metrics?: ",
     "a metric name the registry does not hold: 422 on the real server too (BEHAVIOR.md, runs, "
     "session runs); its document says only `string`"),
    (r"^No (traces|sessions) match the provided filters\.$|^No failed scores to retry in this run\.$"
     r"|^No (traces|sessions) match the monitor's filters\.$",
     "domain rules of the run routes and the monitor trigger, 422 on the real server too "
     "(BEHAVIOR.md, runs, Monitors)"),
    (r"^filters\.date_(from|to) is not an ISO 8601 datetime",
     "a run filter date that is not ISO 8601: a 500 on the real server, a 422 in the fake "
     "(BEHAVIOR.md, defects)"),
    (r"^target_type must be 'TRACE' or 'SESSION'\.$|^signal_weights is only valid for SESSION monitors\.$"
     r"|^Unknown metrics: |^Cron expression must not be empty after 'cron:' prefix\.$"
     r"|^Invalid cron expression: |^Invalid cadence '",
     "a monitor's domain checks: the real server answers them 422 {detail} too (BEHAVIOR.md, "
     "Monitors); its document types target_type, metrics and cadence as plain strings"),
    (r"^Input should be (a valid (datetime|boolean|list|string|integer)|'PENDING', 'RUNNING', "
     r"'COMPLETED' or 'ERROR'|greater than or equal to 1)",
     "a monitor's filters a run could not read: upstream stores them and fails later (a 500; "
     "BEHAVIOR.md's defects table), the fake refuses them at once (field `filters -> <key>`)"),
    (r"the instant falls outside years 1 to 9999 in UTC once its offset is applied$",
     "an instant before year 1 or after 9999 in UTC: stored upstream, then every read of the "
     "project is a 500 (issue 15); a 422 in the fake (docs/security.md)"),
]
_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOT_FOUND = (rf"^(Trace score {_ID}|Trace {_ID}|Span {_ID}|Eval run {_ID}|Eval monitor {_ID}) not found"
             rf"( on trace {_ID})?\.$|^Session '[\s\S]*' not found\.$")  # a session id may hold a newline


def inline(schema: Any, document: dict, depth: int = 0) -> Any:
    """A schema with every `$ref` replaced by what it points at."""
    if depth > 20:
        raise ValueError("schema too deep (a cycle?)")
    if isinstance(schema, dict):
        schema = deref(schema, document) if "$ref" in schema else schema
        return {k: inline(v, document, depth + 1) for k, v in schema.items()}
    if isinstance(schema, list):
        return [inline(v, document, depth + 1) for v in schema]
    return schema


def upstream_as_served(fake: dict, upstream: dict) -> dict:
    """Upstream's document cut down to the operations the fake implements, without its
    `servers` (nothing may go to the real host), and with each response the allow-list says
    the running server answers differently taken from the fake's document (error responses
    only: the success responses stay upstream's, the fake is held to them)."""
    fake_ops = {name: op for name, op in operations(fake).items() if not is_fake_only(name, op)}
    found, _ = differences(fake, upstream)
    corrected = {key: value for key, value in upstream.items() if key not in ("paths", "servers")}
    corrected["paths"] = {}
    for name, op in fake_ops.items():
        method, path = name.split(" ", 1)
        theirs = json.loads(json.dumps(upstream["paths"][path][method.lower()]))
        for status, response in op.get("responses", {}).items():
            if status.startswith("2"):
                continue
            here = [d for d in found if d.operation == name
                    and fnmatchcase(d.where, f"responses.{status}*")]
            if here and all(allowed_by(d) for d in here):
                theirs["responses"][status] = inline(response, fake)
        corrected["paths"].setdefault(path, {})[method.lower()] = theirs
    return corrected
