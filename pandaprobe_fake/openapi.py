"""The fake's own OpenAPI 3.1 document, generated with apispec from the Marshmallow schemas
in schemas.py, and the pages that serve it (`GET /openapi.json`, `GET /docs`).

A route is documented where it is declared, by `@operation(...)` on its view:

    @app.patch(scores + "/<score_id>")
    @openapi.operation("evaluations", path=schemas.score_id_path, body=schemas.score_update,
                       responses={200: schemas.trace_score, 404: schemas.error})
    @project_scoped
    def update_trace_score(project_id, score_id): ...

The document is built by walking the app's url_map, so a documented route appears in it by
itself; a route that should not appear says so with `@undocumented(reason)`, and a test
fails on any route that does neither.  What is derived rather than written:

- the operation id and summary, as FastAPI derives them from the view's name and path
  (`update_trace_score` on PATCH /evaluations/trace-scores/{score_id} ->
  `update_trace_score_evaluations_trace_scores__score_id__patch`, "Update Trace Score");
- the description, from the view's docstring;
- parameters and request bodies, from the path/query/body schemas that the view loads;
- the error responses every such route can give: 422 (a validation error, or a domain error)
  when it loads anything, 400/413 when it reads a body, and 401/422 plus the security
  requirements when it is `project_scoped` (which marks the view `requires_project`).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from flask import Blueprint, Flask, Response, current_app, send_from_directory
from marshmallow import Schema

from pandaprobe_fake import fields as api_fields
from pandaprobe_fake import schemas

OPENAPI_VERSION = "3.1.0"

# How each custom field of schemas.py reads in OpenAPI: (type, format).  Bounds, lengths,
# enums, nullability and `additionalProperties` come from the field itself (`field_properties`).
FIELD_TYPES: dict[type, tuple[str | None, str | None]] = {
    api_fields.Text: ("string", None),
    api_fields.QueryText: ("string", None),
    api_fields.UUIDText: ("string", "uuid"),
    api_fields.Choice: ("string", None),
    api_fields.JsonObject: ("object", None),
    api_fields.QueryInt: ("integer", None),
    api_fields.QueryDateTime: ("string", "date-time"),
    api_fields.Timestamp: ("string", None),  # ISO 8601 with an offset; upstream declares no format
    api_fields.StoredJson: ("object", None),
    api_fields.StoredText: ("string", None),
    api_fields.StoredUUID: ("string", "uuid"),
    api_fields.StoredChoice: ("string", None),
    api_fields.StoredTimestamp: ("string", None),
    api_fields.StoredObject: ("object", None),
    api_fields.JsonValue: (None, None),  # any JSON value
    api_fields.NumberMap: ("object", None),
    api_fields.ListOf: ("array", None),
    api_fields.QueryList: ("array", None),
    api_fields.QueryBool: ("boolean", None),
    api_fields.BodyDateTime: ("string", "date-time"),
    api_fields.JsonInt: ("integer", None),
    api_fields.JsonNumber: ("number", None),
    api_fields.JsonBool: ("boolean", None),
    api_fields.DateTimeText: ("string", "date-time"),
    api_fields.ProjectName: ("string", None),
    api_fields.HttpMethod: ("string", None),
    api_fields.StringMap: ("object", None),
}

# Upstream's security schemes, by upstream's names.  A project-scoped route takes either pair.
SECURITY_SCHEMES = {
    "HTTPBearer": {"type": "http", "scheme": "bearer"},
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "ProjectID": {"type": "apiKey", "in": "header", "name": "X-Project-ID"},
    "ProjectName": {"type": "apiKey", "in": "header", "name": "X-Project-Name"},
}
PROJECT_SECURITY = [{"ApiKey": [], "ProjectName": []}, {"HTTPBearer": [], "ProjectID": []}]

TAGS = [
    {"name": "health", "description": "Service health and readiness probes."},
    {"name": "traces", "description": "Trace ingestion, querying, updating, and analytics."},
    {"name": "sessions", "description": "Sessions: a project's traces grouped by session_id."},
    {"name": "evaluations", "description": "Evaluation runs, scores, analytics, and monitoring."},
    {"name": "fake", "description": "Test-only controls of pandaprobe-fake (not in the real API)."},
]

DESCRIPTIONS = {200: "Successful Response", 201: "Successful Response", 202: "Successful Response",
                204: "Successful Response", 400: "The body is not text in a JSON encoding",
                401: "Missing or refused credentials", 404: "Not found",
                413: "The body is larger than the fake accepts",
                422: "Validation Error (or a domain rule: `{\"detail\"}` alone)"}


# -- documenting a route ---------------------------------------------------------------------


class Operation:
    """What `@operation` records on a view.  (Here and below a plain class: defining a
    dataclass costs ~0.5 ms of start-up, for code generated through exec.)"""

    __slots__ = ("tag", "responses", "path", "query", "body", "summary", "description", "operation_id")

    def __init__(self, tag: str, responses: dict[int, Any], path: Schema | None = None,
                 query: Schema | None = None, body: Any = None, summary: str | None = None,
                 description: str | None = None, operation_id: str | None = None):
        self.tag, self.responses, self.path, self.query, self.body = tag, responses, path, query, body
        self.summary, self.description, self.operation_id = summary, description, operation_id


class Undocumented:
    """What `@undocumented` records on a view: why it is left out of the document."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


def operation(tag: str, *, responses: dict[int, Any], path: Schema | None = None,
              query: Schema | None = None, body: Any = None, summary: str | None = None,
              description: str | None = None, operation_id: str | None = None) -> Callable:
    """Document a view: its tag, the schemas it loads its path/query/body with, and its
    responses (status -> the schema its body is dumped with, None for no body).  A body or
    response may also be a JSON Schema dict holding schemas, e.g. `{"type": "array", "items":
    schemas.SpanCreateSchema, "maxItems": 500}`; `Schema(many=True)` is an array too.  Error
    responses that follow from the rest are added by themselves (see the module's doc)."""

    def decorate(view: Callable) -> Callable:
        view.openapi = Operation(tag, dict(responses), path, query, body, summary,
                                 description, operation_id)
        return view

    return decorate


def undocumented(reason: str) -> Callable:
    """Keep a route out of the document, saying why."""

    def decorate(view: Callable) -> Callable:
        view.openapi = Undocumented(reason)
        return view

    return decorate


# -- building the document -------------------------------------------------------------------


def schema_name(schema: Any) -> str:
    """A component's name: the schema's own `Meta.title` (upstream's name) if it has one,
    else its class name without `Schema`."""
    from apispec.ext.marshmallow.common import resolve_schema_cls  # (apispec: on first use only)

    cls = resolve_schema_cls(schema)
    meta = vars(cls).get("Meta")
    title = vars(meta).get("title") if meta is not None else None
    if title:
        return re.sub(r"[^A-Za-z0-9._-]", "_", title)
    return cls.__name__.removesuffix("Schema") or cls.__name__


# Attributes of the custom fields that are JSON Schema keywords, by the keyword they are.
FIELD_CONSTRAINTS = {"minimum": "minimum", "maximum": "maximum", "min_length": "minLength",
                     "max_length": "maxLength", "min_items": "minItems", "max_items": "maxItems"}


def field_properties(self, field, ret: dict, **kwargs) -> dict:
    """An apispec attribute function: what the custom fields of schemas.py know about
    themselves -- `choices` (an enum), the bounds and lengths of FIELD_CONSTRAINTS, and an
    object type with no declared properties is free-form -- and nullability as upstream writes
    it (a `None` default is not written, as FastAPI does not)."""
    if ret.get("default", "") is None:
        ret.pop("default")
    if not isinstance(field, tuple(FIELD_TYPES)):
        return {}
    out: dict[str, Any] = {}
    choices = getattr(field, "choices", None)
    if choices is not None:
        out["enum"] = [*choices, None] if field.allow_none else list(choices)
    for attribute, keyword in FIELD_CONSTRAINTS.items():
        if getattr(field, attribute, None) is not None:
            out[keyword] = getattr(field, attribute)
    if "object" in (ret.get("type") or ()):
        out["additionalProperties"] = True
    if isinstance(field, api_fields.NumberMap):
        out["additionalProperties"] = {"type": "number"}
    if isinstance(field, api_fields.StringMap):
        out["additionalProperties"] = {"type": "string"}
    if isinstance(field, api_fields.QueryList):
        out["items"] = {"type": "string"}
    return out


def optional_query_nullable(self, field, ret: dict, **kwargs) -> dict:
    """An apispec parameter attribute function: FastAPI writes an optional query parameter
    with no default (`X | None = None`) as `anyOf: [X, null]`; so does the fake."""
    if ret["in"] == "query" and not field.required and "default" not in ret["schema"]:
        ret["schema"] = {"anyOf": [ret["schema"], {"type": "null"}]}
    return {}


def _fastapi_operation_id(name: str, path: str, method: str) -> str:
    return re.sub(r"\W", "_", f"{name}{path}") + f"_{method}"


def _content(schema: Any) -> dict:
    return {"application/json": {"schema": schema}}


def openapi_path(rule) -> str:
    """A werkzeug rule (`/a/<b>`, `/a/<int:b>`) as an OpenAPI path (`/a/{b}`)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def describe(op: Operation, name: str, path: str, method: str, scoped: bool,
             doc: str | None) -> dict:
    """The OpenAPI operation object of one method of a documented route."""
    responses: dict[int, dict] = {}
    for status, schema in sorted(op.responses.items()):
        responses[status] = {"description": DESCRIPTIONS.get(status, "")}
        if schema is not None:
            responses[status]["content"] = _content(schema)
    problem = schemas.ErrorSchema
    loads = [part for part in (op.path, op.query, op.body) if part is not None]
    if loads or scoped:
        responses.setdefault(422, {"description": DESCRIPTIONS[422], "content": _content(
            {"anyOf": [schemas.ValidationErrorSchema, problem]})})
    if op.body is not None:
        for status in (400, 413):
            responses.setdefault(status, {"description": DESCRIPTIONS[status],
                                          "content": _content(problem)})
    if scoped:
        responses.setdefault(401, {"description": DESCRIPTIONS[401], "content": _content(problem)})

    out: dict[str, Any] = {
        "tags": [op.tag] if op.tag else [],
        "summary": op.summary or name.replace("_", " ").title(),
        "operationId": op.operation_id or _fastapi_operation_id(name, path, method),
    }
    description = op.description or (doc and _clean_doc(doc))
    if description:
        out["description"] = description
    if scoped:
        out["security"] = PROJECT_SECURITY
    parameters = [{"in": where, "schema": schema}
                  for where, schema in (("path", op.path), ("query", op.query)) if schema is not None]
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": _content(op.body)}
    out["responses"] = {str(status): responses[status] for status in sorted(responses)}
    return out


def _clean_doc(doc: str) -> str:
    lines = doc.strip().splitlines()
    indent = min((len(x) - len(x.lstrip()) for x in lines[1:] if x.strip()), default=0)
    return "\n".join([lines[0].strip(), *(x[indent:] for x in lines[1:])])


def _is_static(rule) -> bool:
    """A blueprint's static-files route (Flask's own view, which no decorator reaches)."""
    return rule.endpoint == "static" or rule.endpoint.endswith(".static")


def undocumented_rules(app: Flask) -> list[str]:
    """Routes of the app that neither `@operation` nor `@undocumented` speaks for (static
    files excepted)."""
    return [f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {rule.rule}"
            for rule in app.url_map.iter_rules()
            if not _is_static(rule) and getattr(app.view_functions[rule.endpoint], "openapi", None) is None]


def build_document(app: Flask, *, title: str, version: str, description: str = "") -> dict:
    """The OpenAPI document of every documented route of `app`."""
    # apispec is imported here, when the document is first asked for, not at start-up
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin
    from apispec.ext.marshmallow.common import resolve_schema_instance

    plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
    spec = APISpec(title=title, version=version, openapi_version=OPENAPI_VERSION,
                   plugins=[plugin], info={"description": description}, tags=TAGS)
    converter = plugin.converter
    converter.field_mapping = dict(converter.field_mapping)  # apispec's is shared by all specs
    for cls, (type_, format_) in FIELD_TYPES.items():
        converter.map_to_openapi_type(cls, type_, format_)
    converter.add_attribute_function(field_properties)
    converter.add_parameter_attribute_function(optional_query_nullable)
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)

    by_path: dict[str, dict[str, dict]] = {}
    for rule in app.url_map.iter_rules():  # in the order the routes were declared
        view = app.view_functions[rule.endpoint]
        op = getattr(view, "openapi", None)
        if not isinstance(op, Operation):
            continue
        path = openapi_path(rule)
        named = set(resolve_schema_instance(op.path).fields) if op.path is not None else set()
        if named != set(rule.arguments):
            raise ValueError(f"{rule.rule}: the path schema names {sorted(named)}, "
                             f"the rule {sorted(rule.arguments)}")
        scoped = bool(getattr(view, "requires_project", False))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            by_path.setdefault(path, {})[method.lower()] = describe(
                op, view.__name__, path, method.lower(), scoped, view.__doc__)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    document = {"openapi": OPENAPI_VERSION, **spec.to_dict()}
    used = {tag for ops in document["paths"].values() for o in ops.values() for tag in o["tags"]}
    document["tags"] = [tag for tag in document.get("tags", []) if tag["name"] in used]
    return document


# -- serving it --------------------------------------------------------------------------------

blueprint = Blueprint("openapi", __name__)

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true}});
  </script>
</body>
</html>
"""

def register(app: Flask, *, title: str, version: str, description: str = "") -> None:
    """Serve the document of `app` at /openapi.json and a browsable page at /docs."""
    app.extensions["openapi"] = {"title": title, "version": version, "description": description}
    app.register_blueprint(blueprint)


def document_of(app: Flask) -> dict:
    settings = app.extensions["openapi"]
    if "document" not in settings:
        settings["document"] = build_document(app, title=settings["title"],
                                              version=settings["version"],
                                              description=settings["description"])
    return settings["document"]


@blueprint.get("/openapi.json")
@undocumented("the document itself")
def openapi_json():
    return Response(current_app.json.dumps(document_of(current_app)), 200,
                    mimetype="application/json")


@blueprint.get("/docs")
@undocumented("the browsable page of the document")
def docs_page():
    title = document_of(current_app)["info"]["title"]
    return Response(DOCS_PAGE.format(title=title), 200, mimetype="text/html")


@blueprint.get("/docs/<path:filename>")
@undocumented("Swagger UI's files, served from the swagger-ui-bundle package")
def docs_asset(filename: str):
    from swagger_ui_bundle import swagger_ui_path  # imported on first use (start-up)

    return send_from_directory(str(swagger_ui_path), filename)
