"""pandaprobe-fake: a local stand-in for the hosted PandaProbe API.

The app factory, the routes, the one place errors become JSON, and the command line:

    python app.py [--host 127.0.0.1] [--port 8000] [--db ./pandaprobe-fake.db] [--api-key KEY ...]
    python app.py --mock [--project demo] [--seed N] [--scores N]     # in memory, with demo data

(`python app.py --help` lists every option.)
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
import time
import uuid
from typing import Any, Callable

from flask import Flask, Response, current_app, g, redirect, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

import demo_data
import mock_server
import openapi
import schemas
import ui
from clock import isoformat
from fastjson import FastJSONProvider
from schemas import BAD_PROJECT_NAME, PROJECT_NAME, ApiValidationError, BodyParseError, load_parts
from store import Store

VERSION = "0.5.0"  # the upstream server version whose behaviour the fake follows
DEFAULT_DB = "./pandaprobe-fake.db"
DEFAULT_MAX_BODY = 1024 * 1024
# Worker threads: one can run Python while the other waits on SQLite (which lets go of the
# GIL); more threads only fight over the GIL.  Measured on 2 cores (bench.py): 8 clients got
# more req/s with 2 threads than with 4 or 8 in most runs, for less CPU a request, and a
# summary polled meanwhile on 100k scores answered in ~57 ms instead of 80-160 ms.  1 thread
# would queue every request behind a slow one (the mix fell to 200 req/s behind such polling).
DEFAULT_THREADS = 2

log = logging.getLogger("pandaprobe_fake")

MISSING_CREDENTIALS = ("Missing credentials. Provide Authorization: Bearer <token> "
                       "(with X-Project-ID) or X-API-Key header.")
SCOPE_REQUIRED = ("Project scope required. Provide X-Project-ID (Bearer) or "
                  "X-Project-Name (API key).")


class ApiError(Exception):
    """A domain error: answered as {"detail": message} with its status."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


# -- helpers for the routes ----------------------------------------------------------------


def store() -> Store:
    return current_app.extensions["store"]


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    text = current_app.json.dumps(body)  # compact (app.json.compact), as the real server writes
    return Response(text, status, headers, mimetype="application/json")


def no_content() -> Response:
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def resolve_project() -> str:
    """The project a data-plane request is scoped to, checked as the real server does it:
    X-API-Key + X-Project-Name (created on first use), else Bearer + X-Project-ID.
    In mock mode (MOCK_PROJECT set), a request without credentials is let in, and one
    without a project header is scoped to the MOCK_PROJECT project."""
    keys = current_app.config["API_KEYS"]
    mock_project = current_app.config.get("MOCK_PROJECT")
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


def project_scoped(view: Callable) -> Callable:
    """Authenticate and scope the request before anything of it is validated."""

    @functools.wraps(view)
    def wrapper(**kwargs):
        return view(resolve_project(), **kwargs)

    wrapper.requires_project = True  # read by openapi: security, 401 and 422 documented
    return wrapper


def request_body() -> Any:
    """The JSON body, decoded as the real server decodes it (see schemas.parse_json_body)."""
    try:
        return schemas.parse_json_body(request.get_data(cache=True), request.content_type)
    except BodyParseError:
        raise ApiError(400, "There was an error parsing the body") from None


def query(schema=None) -> dict[str, Any]:
    return schemas.query_dict(request.args, schema)


def not_found(score_id: str) -> ApiError:
    return ApiError(404, f"Trace score {score_id} not found.")


def trace_not_found(trace_id: str) -> ApiError:
    return ApiError(404, f"Trace {trace_id} not found.")


# -- the app -------------------------------------------------------------------------------


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app.  `config` keys: DATABASE (file path, or None for in-memory),
    API_KEYS (accepted keys; empty accepts any), MAX_CONTENT_LENGTH (bytes),
    STRICT_TRACES (a score for a trace the fake does not hold is a 404), MOCK_PROJECT
    (mock mode: the project of requests without credentials or project header), and those
    of mock_server.py (CONTROL, JOURNAL_SIZE, RATE_LIMIT, DEMO_DATA, DEMO_PROJECT, ...)."""
    app = Flask(__name__, static_folder=None)
    app.config.update(DATABASE=DEFAULT_DB, API_KEYS=(), MAX_CONTENT_LENGTH=DEFAULT_MAX_BODY,
                      STRICT_TRACES=False)
    app.config.update(config or {})
    app.config["API_KEYS"] = frozenset(app.config["API_KEYS"] or ())
    app.json = FastJSONProvider(app)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.json.compact = True
    app.url_map.merge_slashes = False
    app.extensions["store"] = app.config.get("STORE") or Store(app.config["DATABASE"])

    register_request_hooks(app)
    register_error_handlers(app)
    register_routes(app)
    register_trace_routes(app)
    mock_server.install(app)  # the /_fake/ control API, journal, faults, rate limit, demo data
    app.register_blueprint(ui.blueprint)  # the demo page: /ui, on the routes above
    openapi.register(app, title="PandaProbe API (pandaprobe-fake)", version=VERSION,
                     description="pandaprobe-fake: a local stand-in for the hosted PandaProbe API.")
    return app


def register_request_hooks(app: Flask) -> None:
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


def register_error_handlers(app: Flask) -> None:
    """The one place where every failure becomes a JSON body of the real server's shape."""

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


def register_routes(app: Flask) -> None:
    scores = "/evaluations/trace-scores"
    analytics = "/evaluations/analytics/trace-scores"

    @app.get("/health")
    @openapi.operation("health", responses={200: schemas.health})
    def health():
        return json_response(schemas.health.dump({
            "status": "healthy", "version": VERSION, "environment": "fake",
            "timestamp": isoformat(store().clock.now())}))

    @app.post(scores)
    @openapi.operation("evaluations", body=schemas.score_create,
                       responses={201: schemas.trace_score})
    @project_scoped
    def create_trace_score(project_id: str):
        (body,) = load_parts((schemas.score_create, request_body(), "body"))
        if app.config["STRICT_TRACES"] and not store().trace_exists(project_id, body["trace_id"]):
            raise trace_not_found(body["trace_id"])
        score = store().create_score(project_id, {
            "trace_id": body["trace_id"], "name": body["name"], "value": body["value"],
            "num": schemas.numeric_value(body["data_type"], body["value"]),
            "data_type": body["data_type"], "source": body["source"], "reason": body["reason"],
            "metadata": app.json.dumps(body["metadata"]),
        })
        return json_response(schemas.trace_score.dump(score), 201)

    @app.get(scores)
    @openapi.operation("evaluations", query=schemas.score_list_query,
                       responses={200: schemas.score_page})
    @project_scoped
    def list_trace_scores(project_id: str):
        (args,) = load_parts((schemas.score_list_query, query(), "query"))
        limit, offset = args.pop("limit"), args.pop("offset")
        items, total = store().list_scores(project_id, args, limit, offset)
        return json_response(schemas.score_page.dump(
            {"items": items, "total": total, "limit": limit, "offset": offset}))

    @app.get(scores + "/<trace_id>")
    @openapi.operation("evaluations", path=schemas.trace_id_path,
                       responses={200: schemas.trace_scores})
    @project_scoped
    def get_scores_for_trace(project_id: str, trace_id: str):
        (path,) = load_parts((schemas.trace_id_path, {"trace_id": trace_id}, "path"))
        items = store().latest_scores_for_trace(project_id, path["trace_id"])
        return json_response(schemas.trace_scores.dump(items))

    @app.patch(scores + "/<score_id>")
    @openapi.operation("evaluations", path=schemas.score_id_path, body=schemas.score_update,
                       responses={200: schemas.trace_score, 404: schemas.error})
    @project_scoped
    def update_trace_score(project_id: str, score_id: str):
        path, body = load_parts((schemas.score_id_path, {"score_id": score_id}, "path"),
                                (schemas.score_update, request_body(), "body"))
        score_id = path["score_id"]
        current = store().get_score(project_id, score_id)
        if current is None:
            raise not_found(score_id)
        changes: dict[str, Any] = {"status": "SUCCESS", "source": "ANNOTATION"}
        if body.get("value") is not None:
            problem = schemas.value_problem(current["data_type"], body["value"])
            if problem:
                raise ApiError(422, problem)
            changes["value"] = body["value"]
            changes["num"] = schemas.numeric_value(current["data_type"], body["value"])
        if body.get("reason") is not None:
            changes["reason"] = body["reason"]
        if body.get("metadata") is not None:
            changes["metadata"] = app.json.dumps(body["metadata"])
        updated = store().update_score(project_id, score_id, changes)
        if updated is None:  # deleted between the two statements
            raise not_found(score_id)
        return json_response(schemas.trace_score.dump(updated))

    @app.delete(scores + "/<score_id>")
    @openapi.operation("evaluations", path=schemas.score_id_path,
                       responses={204: None, 404: schemas.error})
    @project_scoped
    def delete_trace_score(project_id: str, score_id: str):
        (path,) = load_parts((schemas.score_id_path, {"score_id": score_id}, "path"))
        if not store().delete_score(project_id, path["score_id"]):
            raise not_found(path["score_id"])
        return no_content()

    @app.get(analytics + "/summary")
    @openapi.operation("evaluations", query=schemas.date_range_query,
                       responses={200: schemas.summary_items})
    @project_scoped
    def get_trace_score_analytics_summary(project_id: str):
        (args,) = load_parts((schemas.date_range_query, query(), "query"))
        items = store().score_summary(project_id, args.get("date_from"), args.get("date_to"))
        return json_response(schemas.summary_items.dump(items))

    @app.get(analytics + "/trend")
    @openapi.operation("evaluations", query=schemas.trend_query,
                       responses={200: schemas.trend_items})
    @project_scoped
    def get_trace_score_analytics_trend(project_id: str):
        (args,) = load_parts((schemas.trend_query, query(), "query"))
        items = store().score_trend(project_id, args["metric_name"], args.get("date_from"),
                                    args.get("date_to"), args["granularity"])
        return json_response(schemas.trend_items.dump(items))

    @app.get(analytics + "/distribution")
    @openapi.operation("evaluations", query=schemas.distribution_query,
                       responses={200: schemas.distribution_items})
    @project_scoped
    def get_trace_score_analytics_distribution(project_id: str):
        (args,) = load_parts((schemas.distribution_query, query(), "query"))
        items = store().score_distribution(project_id, args["metric_name"], args.get("date_from"),
                                           args.get("date_to"), args["buckets"])
        return json_response(schemas.distribution_items.dump(items))


def register_trace_routes(app: Flask) -> None:
    traces = "/traces"

    def stored_trace(project_id: str, trace_id: str) -> Response:
        found = store().get_trace(project_id, trace_id)
        if found is None:
            raise trace_not_found(trace_id)
        return json_response(schemas.trace.dump(found))

    @app.post(traces)
    @openapi.operation("traces", body=schemas.trace_create, responses={202: schemas.trace_accepted})
    @project_scoped
    def ingest_trace(project_id: str):
        (body,) = load_parts((schemas.trace_create, request_body(), "body"))
        trace_id = store().upsert_trace(project_id, body)
        return json_response(schemas.trace_accepted.dump(
            {"trace_id": trace_id, "task_id": str(uuid.uuid4())}), 202)

    @app.get(traces)
    @openapi.operation("traces", query=schemas.trace_list_query, responses={200: schemas.trace_page})
    @project_scoped
    def list_traces(project_id: str):
        (args,) = load_parts((schemas.trace_list_query, query(schemas.trace_list_query), "query"))
        limit, offset = args.pop("limit"), args.pop("offset")
        items, total = store().list_traces(project_id, args, args.pop("sort_by"),
                                           args.pop("sort_order"), limit, offset)
        return json_response(schemas.trace_page.dump(
            {"items": items, "total": total, "limit": limit, "offset": offset}))

    @app.get(traces + "/<trace_id>")
    @openapi.operation("traces", path=schemas.trace_id_path,
                       responses={200: schemas.trace, 404: schemas.error})
    @project_scoped
    def get_trace(project_id: str, trace_id: str):
        (path,) = load_parts((schemas.trace_id_path, {"trace_id": trace_id}, "path"))
        return stored_trace(project_id, path["trace_id"])

    @app.patch(traces + "/<trace_id>")
    @openapi.operation("traces", path=schemas.trace_id_path, body=schemas.trace_update,
                       responses={200: schemas.trace, 404: schemas.error})
    @project_scoped
    def update_trace(project_id: str, trace_id: str):
        path, body = load_parts((schemas.trace_id_path, {"trace_id": trace_id}, "path"),
                                (schemas.trace_update, request_body(), "body"))
        if not store().update_trace(project_id, path["trace_id"], body):
            raise trace_not_found(path["trace_id"])
        return stored_trace(project_id, path["trace_id"])

    @app.delete(traces + "/<trace_id>")
    @openapi.operation("traces", path=schemas.trace_id_path, responses={204: None, 404: schemas.error})
    @project_scoped
    def delete_trace(project_id: str, trace_id: str):
        (path,) = load_parts((schemas.trace_id_path, {"trace_id": trace_id}, "path"))
        if not store().delete_trace(project_id, path["trace_id"]):
            raise trace_not_found(path["trace_id"])
        return no_content()

    @app.post(traces + "/<trace_id>/spans")
    @openapi.operation("traces", path=schemas.trace_id_path,
                       body={"type": "array", "items": schemas.SpanCreateSchema,
                             "minItems": 1, "maxItems": schemas.MAX_SPANS},
                       responses={201: schemas.spans_accepted, 404: schemas.error})
    @project_scoped
    def add_spans(project_id: str, trace_id: str):
        path, spans = load_parts((schemas.trace_id_path, {"trace_id": trace_id}, "path"),
                                 (schemas.span_create_list, request_body(), "body"))
        span_ids = store().add_spans(project_id, path["trace_id"], spans)
        if span_ids is None:
            raise trace_not_found(path["trace_id"])
        return json_response(schemas.spans_accepted.dump({"span_ids": span_ids}), 201)

    @app.patch(traces + "/<trace_id>/spans/<span_id>")
    @openapi.operation("traces", path=schemas.span_path, body=schemas.span_update,
                       responses={200: schemas.span, 404: schemas.error})
    @project_scoped
    def update_span(project_id: str, trace_id: str, span_id: str):
        path, body = load_parts((schemas.span_path, {"trace_id": trace_id, "span_id": span_id}, "path"),
                                (schemas.span_update, request_body(), "body"))
        if not store().trace_exists(project_id, path["trace_id"]):
            raise trace_not_found(path["trace_id"])
        span = store().update_span(project_id, path["trace_id"], path["span_id"], body)
        if span is None:
            raise ApiError(404, f"Span {path['span_id']} not found on trace {path['trace_id']}.")
        return json_response(schemas.span.dump(span))


# -- the command line ------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000,
                        help="port to listen on (default 8000; 0 picks a free one)")
    parser.add_argument("--db", default=None,
                        help=f"SQLite database file (default {DEFAULT_DB}; ':memory:' for none)")
    parser.add_argument("--api-key", action="append", default=[], metavar="KEY",
                        help="accept only this API key / bearer token (repeatable; "
                             "default: any non-empty key)")
    parser.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES",
                        help=f"largest request body accepted (default {DEFAULT_MAX_BODY}; larger is 413)")
    parser.add_argument("--strict-traces", action="store_true",
                        help="a score for a trace the fake does not hold is a 404 "
                             "(default: accepted, as the SDK may send a score before its trace)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"worker threads (default {DEFAULT_THREADS})")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    mock = parser.add_argument_group("mock mode and test controls (see README)")
    mock.add_argument("--mock", action="store_true",
                      help="in-memory database filled with demo data; a request without "
                           "credentials or project header is served as --project")
    mock.add_argument("--demo-data", action="store_true",
                      help="load the demo data set into --db at start (unless its project has scores)")
    mock.add_argument("--project", metavar="NAME",
                      help=f"project of the demo data and of mock mode (default {mock_server.DEFAULT_PROJECT})")
    mock.add_argument("--seed", type=int, metavar="N",
                      help="make the demo data (ids, values, times before the clock) the same on every start")
    mock.add_argument("--scores", type=int, metavar="N",
                      help=f"number of demo scores (default {demo_data.DEFAULT_SCORES})")
    mock.add_argument("--journal-size", type=int, default=mock_server.DEFAULT_JOURNAL_SIZE, metavar="N",
                      help="requests kept in the /_fake/requests journal (default %(default)s; 0: none)")
    mock.add_argument("--rate-limit", metavar="SPEC",
                      help="emulate the hosted per-caller rate limit, e.g. 200/minute (default off)")
    mock.add_argument("--no-control", action="store_true",
                      help="no /_fake/ control routes (and no journal or faults)")
    args = parser.parse_args(argv)
    if args.mock and args.db is not None:
        parser.error("--mock keeps everything in memory: leave out --db (or use --db FILE --demo-data)")
    if not (args.mock or args.demo_data) and any(
            v is not None for v in (args.project, args.seed, args.scores)):
        parser.error("--project, --seed and --scores go with --mock or --demo-data")
    if args.scores is not None and args.scores < 0:
        parser.error("--scores must be 0 or more")
    if args.journal_size < 0:
        parser.error("--journal-size must be 0 or more")
    if args.rate_limit is not None:
        try:
            mock_server.RateLimit(args.rate_limit)
        except ValueError:
            parser.error(f"--rate-limit {args.rate_limit!r}: write it as COUNT/PERIOD, e.g. 200/minute")
    if args.project is not None and not PROJECT_NAME.fullmatch(args.project):
        parser.error("--project: " + BAD_PROJECT_NAME.replace("X-Project-Name", "a project name"))
    return args


def main(argv: list[str] | None = None) -> None:
    import waitress

    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    project = args.project or mock_server.DEFAULT_PROJECT
    app = create_app({
        "DATABASE": None if args.mock else (args.db or DEFAULT_DB), "API_KEYS": args.api_key,
        "MAX_CONTENT_LENGTH": args.max_body, "STRICT_TRACES": args.strict_traces,
        "MOCK_PROJECT": project if args.mock else None,
        "DEMO_DATA": args.mock or args.demo_data, "DEMO_PROJECT": project,
        "DEMO_SEED": args.seed, "DEMO_SCORES": args.scores, "JOURNAL_SIZE": args.journal_size,
        "RATE_LIMIT": args.rate_limit, "CONTROL": not args.no_control})
    server = waitress.create_server(app, host=args.host, port=args.port, threads=args.threads,
                                    ident="pandaprobe-fake")
    host = args.host if ":" not in args.host else f"[{args.host}]"
    print(f"http://{host}:{server.effective_port}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["store"].close()


if __name__ == "__main__":
    main()
