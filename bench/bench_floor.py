"""The floor for bench.py: a bare Flask app on the same WSGI server (waitress) as the fake,
with the fake's routes, answering each with a fixed JSON body -- no validation, no storage.

    python bench/bench_floor.py [--port 0] [--threads 2] [--bodies canned.json]

`--bodies` names a JSON file {"<METHOD> <route>": [status, "<body text>"], ...} so that the
floor sends the very bytes the fake sent (bench.py writes it); without it every route answers
200 {"status": "ok"}.  Like `python app.py --port 0`, the first line printed is the URL.
"""

from __future__ import annotations

import argparse
import json

from flask import Flask, Response

ROUTES = {  # the fake's URL rules, by the names bench.py uses for them
    "health": ("GET", "/health"),
    "post": ("POST", "/evaluations/trace-scores"),
    "list": ("GET", "/evaluations/trace-scores"),
    "latest": ("GET", "/evaluations/trace-scores/<trace_id>"),
    "patch": ("PATCH", "/evaluations/trace-scores/<score_id>"),
    "delete": ("DELETE", "/evaluations/trace-scores/<score_id>"),
    "summary": ("GET", "/evaluations/analytics/trace-scores/summary"),
    "trend": ("GET", "/evaluations/analytics/trace-scores/trend"),
    "distribution": ("GET", "/evaluations/analytics/trace-scores/distribution"),
}


def create_floor(bodies: dict[str, list] | None = None) -> Flask:
    app = Flask(__name__)
    bodies = bodies or {}
    for name, (method, rule) in ROUTES.items():
        status, text = bodies.get(name, (200, '{"status":"ok"}'))
        payload = text.encode("utf-8")

        def view(_status=status, _payload=payload, **_kwargs):
            if _status == 204:
                return Response(status=204)
            return Response(_payload, _status, mimetype="application/json")

        app.add_url_rule(rule, name, view, methods=[method])
    return app


def main() -> None:
    import waitress

    parser = argparse.ArgumentParser(prog="python bench/bench_floor.py")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="as the fake's default")
    parser.add_argument("--bodies", help="JSON file of canned bodies, by route name")
    args = parser.parse_args()
    bodies = None
    if args.bodies:
        with open(args.bodies, encoding="utf-8") as f:
            bodies = json.load(f)
    server = waitress.create_server(create_floor(bodies), host=args.host, port=args.port,
                                    threads=args.threads, ident="bench-floor")
    print(f"http://{args.host}:{server.effective_port}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
