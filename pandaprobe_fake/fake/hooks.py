"""The request hooks of the test-double features, around every upstream route: injected
faults and the emulated rate limit before the route, the request journal after it.  The
control API's own routes, the demo page's views and the page's calls to the API pass through
untouched: none of them is a client's request to the upstream API."""

from __future__ import annotations

import time

from flask import Request, Response, current_app, g, request

import pandaprobe_fake.fake.schemas as fake_schemas
from pandaprobe_fake.fake.state import RAW_KEYS, Fault, is_control_path, state
from pandaprobe_fake.web import INTERNAL


# Content-Length values of a request without a body.  Without one and without Transfer-Encoding
# an HTTP/1.1 request has no body: werkzeug reads nothing (or, when the server ends the stream
# itself, `wsgi.input_terminated` as waitress and granian do, an empty stream).  waitress turns
# a chunked body into a Content-Length; granian keeps the Transfer-Encoding header.
EMPTY_LENGTHS = (None, "", "0")
DEMO_PAGE = "ui"  # the blueprint of the demo page (ui/common.py): its pages and static files


def passes_through(req: Request | None = None) -> bool:
    req = req or request._get_current_object()
    return is_control_path(req.path) or bool(req.environ.get(INTERNAL)) or req.blueprint == DEMO_PAGE


def before() -> Response | None:
    """Faults first (they stand for the network in front of the server), then the rate limit."""
    if passes_through():
        return None
    fake = state()
    if fake.control:
        fault = fake.faults.take(request.method, request.path)
        if fault is not None:
            if fault.delay_ms:
                time.sleep(fault.delay_ms / 1000)
            if fault.status is not None:
                return fault_response(fault)
    if fake.rate_limit is not None:
        limit = fake.rate_limit.exceeded()
        if limit is not None:
            return Response(current_app.json.dumps({"error": f"Rate limit exceeded: {limit}"}),
                            429, mimetype="application/json")
    return None


def fault_response(fault: Fault) -> Response:
    if fault.body is None:
        response = Response(current_app.json.dumps({"detail": fake_schemas.reason_phrase(fault.status)}),
                            fault.status, mimetype="application/json")
    elif isinstance(fault.body, str):  # sent as it is, e.g. a proxy's bare error page
        response = Response(fault.body, fault.status, mimetype="text/plain")
    else:
        response = Response(current_app.json.dumps(fault.body), fault.status,
                            mimetype="application/json")
    for name, value in fault.headers.items():
        response.headers[name] = value
    return response


def after(response: Response) -> Response:
    req = request._get_current_object()  # one context-local lookup, not one an attribute
    if passes_through(req):
        return response
    fake = state()
    if fake.journal.size <= 0:
        return response
    environ = req.environ
    if environ.get("CONTENT_LENGTH") in EMPTY_LENGTHS and "HTTP_TRANSFER_ENCODING" not in environ:
        body = b""  # what get_data gives for a request without a body, without reading
    else:
        try:
            body = req.get_data(cache=True)
        except Exception:  # e.g. over the size limit: the body was never read
            body = None
    started = g.get("started")
    fake.journal.record({  # raw values; the journal formats them when read (Journal.entries)
        "method": req.method, "path": req.path,
        "environ": {key: value for key, value in environ.items() if key[:5] == "HTTP_" or key in RAW_KEYS},
        "body": body, "status": response.status_code,
        "duration_ms": (time.perf_counter() - started) * 1000 if started is not None else 0.0,
        "time": fake.store.clock.now(),
    })
    return response
