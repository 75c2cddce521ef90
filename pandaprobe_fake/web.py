"""The HTTP plumbing every route shares, written once: the one domain-error type
(`ApiError`), the JSON response helpers, authentication and project scope, the `endpoint`
decorator that authenticates, loads and documents a view's request parts, and the one place
where every failure becomes a JSON body of the real server's shape (`install`).

Used by the upstream API's blueprints (api/), the control API (fake/) and the demo page (ui/).
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from typing import Any, Callable

from flask import Flask, Response, current_app, g, redirect, request
from marshmallow import Schema
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from pandaprobe_fake import openapi, schemas
from pandaprobe_fake.schemas import BAD_PROJECT_NAME, PROJECT_NAME, ApiValidationError, BodyParseError
from pandaprobe_fake.settings import Settings
from pandaprobe_fake.store import Store

log = logging.getLogger("pandaprobe_fake")

MISSING_CREDENTIALS = ("Missing credentials. Provide Authorization: Bearer <token> "
                       "(with X-Project-ID) or X-API-Key header.")
SCOPE_REQUIRED = ("Project scope required. Provide X-Project-ID (Bearer) or "
                  "X-Project-Name (API key).")
INTERNAL = "pandaprobe_fake.internal"  # environ key of the demo page's own calls to the API


class ApiError(Exception):
    """A domain error: answered as {"detail": message} with its status."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def store() -> Store:
    return current_app.extensions["store"]


def settings() -> Settings:
    return current_app.extensions["settings"]


def is_internal() -> bool:
    """A request the demo page sent to the API on a user's behalf (not journaled, faulted or
    rate-limited as if the user had sent it)."""
    return bool(request.environ.get(INTERNAL))


# -- responses ------------------------------------------------------------------------------


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    text = current_app.json.dumps(body)  # compact (app.json.compact), as the real server writes
    return Response(text, status, headers, mimetype="application/json")


def no_content() -> Response:
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


# -- request parts --------------------------------------------------------------------------


def request_body() -> Any:
    """The JSON body, decoded as the real server decodes it (see schemas.parse_json_body)."""
    try:
        return schemas.parse_json_body(request.get_data(cache=True), request.content_type)
    except BodyParseError:
        raise ApiError(400, "There was an error parsing the body") from None


def query(schema: Schema | None = None) -> dict[str, Any]:
    return schemas.query_dict(request.args, schema)


# -- authentication and project scope -------------------------------------------------------


def resolve_project() -> str:
    """The project a data-plane request is scoped to, checked as the real server does it:
    X-API-Key + X-Project-Name (created on first use), else Bearer + X-Project-ID.
    In mock mode, a request without credentials is let in, and one without a project
    header is scoped to the mock project."""
    config = settings()
    keys, mock_project = config.api_keys, config.mock_project
    api_key = request.headers.get("X-API-Key", "")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else ""
    name = request.headers.get("X-Project-Name", "").strip()
    raw_id = request.headers.get("X-Project-ID", "").strip()
    if api_key:
        if keys and api_key not in keys:
            raise ApiError(401, "Invalid or revoked API key.")
        return project_by_name(name or mock_project)
    if bearer:
        if keys and bearer not in keys:
            raise ApiError(401, "Invalid or expired token.")
        return project_by_id(raw_id) if raw_id or not mock_project else project_by_name(mock_project)
    if mock_project:
        return project_by_id(raw_id) if raw_id and not name else project_by_name(name or mock_project)
    raise ApiError(401, MISSING_CREDENTIALS)


def project_by_name(name: str | None) -> str:
    if not name:
        raise ApiError(422, SCOPE_REQUIRED)
    if len(name) > 255:
        raise ApiError(422, "X-Project-Name must be at most 255 characters.")
    if not PROJECT_NAME.fullmatch(name):
        raise ApiError(422, BAD_PROJECT_NAME)
    return store().project_id_for_name(name)


def project_by_id(raw_id: str) -> str:
    if not raw_id:
        raise ApiError(422, SCOPE_REQUIRED)
    try:
        project_id = str(uuid.UUID(raw_id))
    except ValueError:
        raise ApiError(422, "X-Project-ID must be a valid UUID.") from None
    store().remember_project_id(project_id)
    return project_id


# -- the endpoint decorator -----------------------------------------------------------------


def endpoint(tag: str, *, responses: dict[int, Any], path: Schema | None = None,
             query: Schema | None = None, body: Any = None, body_doc: Any = None,
             scoped: bool = True, **doc: Any) -> Callable:
    """Declare a view's request parts once, for loading and for the OpenAPI document (as
    flask-smorest's `@blp.arguments`): the wrapper authenticates and scopes the request
    first (`scoped`), then loads the path, query and body with their schemas, reporting the
    errors of every part at once, and calls the view as `view(project_id, path=..., query=...,
    body=...)` with the parts it declared (without `project_id` when not scoped).
    `body_doc` documents the body when its loader is not a schema (e.g. a list of spans)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(**url_values: Any) -> Any:
            project_id = resolve_project() if scoped else None
            names, parts = [], []
            if path is not None:
                names.append("path")
                parts.append((path, url_values, "path"))
            if query is not None:
                names.append("query")
                parts.append((query, schemas.query_dict(request.args, query), "query"))
            if body is not None:
                names.append("body")
                parts.append((body, request_body(), "body"))
            loaded = dict(zip(names, schemas.load_parts(*parts))) if parts else {}
            return view(project_id, **loaded) if scoped else view(**loaded)

        wrapper.requires_project = scoped  # read by openapi: security, 401 and 422 documented
        return openapi.operation(tag, responses=responses, path=path, query=query,
                                 body=body_doc if body_doc is not None else body, **doc)(wrapper)

    return decorate


# -- hooks and error handlers ---------------------------------------------------------------


def install(app: Flask) -> None:
    """The request hooks (request id, timing, the request log line) and the one place where
    every failure becomes a JSON body of the real server's shape."""

    @app.before_request
    def start():
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
        # The real server answers HEAD and OPTIONS on its routes with a 405.
        if request.method in ("HEAD", "OPTIONS") and request.url_rule is not None:
            adapter = current_app.url_map.bind_to_environ(request.environ)
            raise MethodNotAllowed(valid_methods=adapter.allowed_methods())

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id") or str(uuid.uuid4())
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info('%s "%s %s" %s %.1fms', request.remote_addr, request.method,
                 request.full_path.rstrip("?"), response.status_code, elapsed)
        return response

    @app.errorhandler(ApiValidationError)
    def validation_failed(err: ApiValidationError):
        return json_response(schemas.validation_error_body(err.errors), 422)

    @app.errorhandler(ApiError)
    def domain_error(err: ApiError):
        return json_response({"detail": err.detail}, err.status)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if isinstance(err, NotFound):
            moved = trailing_slash_redirect()
            if moved is not None:
                return moved
        if err.code == 413:
            limit = current_app.config["MAX_CONTENT_LENGTH"]
            return json_response({"detail": f"Request body too large (limit {limit} bytes)."}, 413)
        headers = {}
        if isinstance(err, MethodNotAllowed) and err.valid_methods:
            headers["Allow"] = ", ".join(sorted(set(err.valid_methods) - {"HEAD", "OPTIONS"}))
        return json_response({"detail": err.name}, err.code or 500, headers)

    @app.errorhandler(Exception)
    def internal_error(err: Exception):
        log.exception("internal error on %s %s", request.method, request.path)
        return json_response({"detail": "Internal Server Error"}, 500)


def trailing_slash_redirect() -> Response | None:
    """As the real server does: a path with a trailing slash that names a route without
    one is redirected (307) there."""
    path = request.path
    if len(path) < 2 or not path.endswith("/"):
        return None
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(path.rstrip("/"), method=request.method)
    except MethodNotAllowed:
        pass
    except HTTPException:
        return None
    target = path.rstrip("/") + ("?" + request.query_string.decode("latin-1") if request.query_string else "")
    return redirect(target, code=307)
