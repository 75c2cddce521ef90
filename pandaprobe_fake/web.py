"""The HTTP plumbing every route shares, written once: the one domain-error type
(`ApiError`), the JSON response helpers, authentication and project scope, the `endpoint`
decorator that authenticates, loads and documents a view's request parts, the browser
guards every request passes (`Host` against DNS rebinding, `Origin`/`Sec-Fetch-Site` against
cross-site requests that change state), and the one place where every failure becomes a JSON
body of the real server's shape (`install`).

Used by the upstream API's blueprints (api/), the control API (fake/) and the demo page (ui/).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import socket
import time
import uuid
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app, g, redirect, request
from marshmallow import Schema
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from pandaprobe_fake import openapi, schemas
from pandaprobe_fake.fields import BAD_PROJECT_NAME, PROJECT_NAME
from pandaprobe_fake.schemas import ApiValidationError, BodyParseError
from pandaprobe_fake.settings import Settings
from pandaprobe_fake.store import Store, StoreUnavailable

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
    data = current_app.json.dumps_bytes(body)  # compact (app.json.compact), as the real server writes
    return Response(data, status, headers, mimetype="application/json")


def page_response(schema: Schema, items: list, total: int, limit: int, offset: int) -> Response:
    """A list route's page, `{"items", "total", "limit", "offset"}`, dumped with `schema`."""
    return json_response(schema.dump({"items": items, "total": total, "limit": limit, "offset": offset}))


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
    environ = request.environ  # the headers as received (what request.headers reads)
    api_key = environ.get("HTTP_X_API_KEY", "")
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else ""
    name = environ.get("HTTP_X_PROJECT_NAME", "").strip()
    raw_id = environ.get("HTTP_X_PROJECT_ID", "").strip()
    if api_key:
        if keys and api_key not in keys:
            raise ApiError(401, "Invalid or revoked API key.")
        return project_by_name(name or mock_project)
    if bearer:
        if keys and bearer not in keys:
            raise ApiError(401, "Invalid or expired token.")
        return project_by_id(raw_id) if raw_id or not mock_project else project_by_name(mock_project)
    if mock_project and not keys:  # with --api-key, mock mode still needs a key (see docs/security.md)
        return project_by_id(raw_id) if raw_id and not name else project_by_name(name or mock_project)
    raise ApiError(401, MISSING_CREDENTIALS)


def has_key() -> bool:
    """Whether the request carries one of the fake's --api-key keys (X-API-Key or Bearer)."""
    keys = settings().api_keys
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (request.headers.get("X-API-Key", "") in keys
            or (scheme.lower() == "bearer" and token.strip() in keys))


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
    project_id = canonical_uuid(raw_id)
    if project_id is None:
        raise ApiError(422, "X-Project-ID must be a valid UUID.")
    store().remember_project_id(project_id)
    return project_id


def canonical_uuid(text: str) -> str | None:
    """`text` as a UUID's canonical text, or None when it is not one.  Remembered for texts
    no longer than a UUID's longest spelling (`urn:uuid:` + 32 digits + 4 hyphens): a client
    sends the same X-Project-ID on every request, and the memory stays small."""
    return _remembered_uuid(text) if len(text) <= 45 else _parse_uuid(text)


def _parse_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


_remembered_uuid = functools.lru_cache(maxsize=256)(_parse_uuid)


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


# -- browser guards: DNS rebinding and cross-site requests ----------------------------------

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SAME_ORIGIN_FETCH = ("same-origin", "none")  # Sec-Fetch-Site values of the fake's own pages


def host_name(host: str) -> str:
    """The name of a Host header value, without its port or brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    name, colon, port = host.rpartition(":")
    return name.rstrip(".") if colon and port.isdigit() and ":" not in name else host.rstrip(".")


def served_names(config: Settings) -> frozenset[str]:
    """The names a request's Host may give: loopback, the --host value, --allow-host values,
    and when bound to every interface the machine's own name."""
    names = set(LOOPBACK_NAMES) | {host_name(h) for h in config.allowed_hosts}
    names.add(host_name(config.host) if ":" not in config.host else config.host.lower())
    if config.host in WILDCARD_HOSTS:
        names.add(socket.gethostname().lower())
    return frozenset(names)


def host_allowed(host: str, names: frozenset[str], any_host: bool) -> bool:
    """A Host is the address the fake serves when it is one of `names`, a `.localhost` name,
    or an IP address (a page can be on an IP address's origin only if it is this server's).
    A DNS name of someone else's (the rebinding attack) is none of these."""
    if any_host or not host:
        return True
    name = host_name(host)
    if name in names or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


KNOWN_HOSTS = 64  # Host values remembered as allowed, a bound on what clients can make us keep


def check_browser_guards(environ: dict[str, Any]) -> None:
    """Refuse (before any route runs) a request whose Host is not an address of the fake
    (400), and a state-changing request a browser sent from another origin (403).  The Host
    values found allowed are remembered (up to KNOWN_HOSTS): a client sends the same one on
    every request."""
    host = environ.get("HTTP_HOST", "")
    known = current_app.extensions.setdefault("allowed_hosts_seen", {})
    if host not in known:
        config = settings()
        names = current_app.extensions.get("served_names")
        if names is None:
            names = current_app.extensions["served_names"] = served_names(config)
        if not host_allowed(host, names, "*" in config.allowed_hosts):
            raise ApiError(400, f"Host {printable(host)!r} is not an address this fake serves (refused "
                                f"against DNS rebinding); to serve it, start the fake with "
                                f"--allow-host {printable(host_name(host))}.")
        if len(known) >= KNOWN_HOSTS:
            known.clear()
        known[host] = True
    if environ["REQUEST_METHOD"].upper() in SAFE_METHODS:  # as request.method reads it (granian passes "get")
        return
    fetch_site = environ.get("HTTP_SEC_FETCH_SITE", "").strip().lower()
    if fetch_site and fetch_site not in SAME_ORIGIN_FETCH:
        raise ApiError(403, f"Cross-site request refused (Sec-Fetch-Site: {printable(fetch_site)}): "
                            "a page of another origin may not change the fake's state.")
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None and urlsplit(origin.strip()).netloc.lower() != host.strip().lower():
        raise ApiError(403, f"Cross-site request refused (Origin: {printable(origin)}): "
                            "a page of another origin may not change the fake's state.")


# -- text for logs and headers --------------------------------------------------------------

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """Text with its control characters (newlines above all) and lone surrogates written as
    escapes: what may go into a log line or an error message about a request."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)


# -- hooks and error handlers ---------------------------------------------------------------


def install(app: Flask) -> None:
    """The request hooks (request id, timing, the request log line) and the one place where
    every failure becomes a JSON body of the real server's shape."""

    @app.before_request
    def start():
        req, ctx = request._get_current_object(), g._get_current_object()  # one lookup each
        environ = req.environ
        ctx.started = time.perf_counter()
        ctx.request_id = environ.get("HTTP_X_REQUEST_ID") or str(uuid.uuid4())
        if not environ.get(INTERNAL):
            check_browser_guards(environ)
        # The real server answers HEAD and OPTIONS on its routes with a 405.
        if req.method in ("HEAD", "OPTIONS") and req.url_rule is not None:
            adapter = current_app.url_map.bind_to_environ(req.environ)
            raise MethodNotAllowed(valid_methods=adapter.allowed_methods())

    @app.after_request
    def finish(response: Response) -> Response:
        req, ctx = request._get_current_object(), g._get_current_object()
        response.headers["X-Request-ID"] = ctx.get("request_id") or str(uuid.uuid4())
        if log.isEnabledFor(logging.INFO):  # not under --quiet: then no line is built at all
            elapsed = (time.perf_counter() - ctx.get("started", time.perf_counter())) * 1000
            line = (f'{req.remote_addr} "{printable(req.method)} {printable(req.full_path.rstrip("?"))}" '
                    f'{response.status_code} {elapsed:.1f}ms')
            write_line = current_app.extensions.get("log_line")  # app.LogLine, set by main()
            if write_line is not None:
                write_line(line)
            else:
                log.info("%s", line)
        return response

    @app.errorhandler(ApiValidationError)
    def validation_failed(err: ApiValidationError):
        return json_response(schemas.validation_error_body(err.errors), 422)

    @app.errorhandler(ApiError)
    def domain_error(err: ApiError):
        return json_response({"detail": err.detail}, err.status)

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(err: StoreUnavailable):
        log.error("write refused: %s", err)
        return json_response({"detail": f"Service unavailable: {err}"}, 503)

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
        log.exception("internal error on %s %s", printable(request.method), printable(request.path))
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
    # The path percent-encoded again (it was decoded): a `%0A` in it stays `%0A` in Location.
    target = quote(path.rstrip("/"), safe="/:@!$&'()*+,;=-._~")
    if request.query_string:
        target += "?" + quote(request.query_string.decode("latin-1"), safe="/:@!$&'()*+,;=-._~?%")
    return redirect(target, code=307)
