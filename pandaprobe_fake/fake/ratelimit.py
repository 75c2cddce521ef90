"""The emulated rate limit of the hosted API (`--rate-limit`): its own module, below both the
command line (settings.py checks a spec with it) and the request hooks (fake/hooks.py)."""

from __future__ import annotations

import re

from flask import request

# -- the hosted API's rate limit -------------------------------------------------------------


# The real server's own limits (slowapi): one counter per caller and route; these routes have
# limits of their own, every other route the default.
UPSTREAM_DEFAULT_LIMIT = "200/minute"
UPSTREAM_ROUTE_LIMITS = {
    ("POST", "/traces"): "100/minute",
    ("POST", "/evaluations/trace-runs"): "50/minute",
    ("POST", "/evaluations/trace-runs/batch"): "50/minute",
    ("POST", "/evaluations/trace-runs/{run_id}/retry"): "50/minute",
    ("POST", "/evaluations/session-runs"): "50/minute",
    ("POST", "/evaluations/session-runs/batch"): "50/minute",
    ("POST", "/evaluations/session-runs/{run_id}/retry"): "50/minute",
    ("POST", "/evaluations/monitors/{monitor_id}/trigger"): "10/minute",
}


class RateLimit:
    """The hosted API's per-caller limit (slowapi over `limits`, fixed windows): keyed by API
    key, else bearer token, else client address; over it, 429 {"error": "Rate limit
    exceeded: 200 per 1 minute"} without Retry-After.

    `spec` "upstream" applies the real server's limits, each route counted apart
    (UPSTREAM_ROUTE_LIMITS, else UPSTREAM_DEFAULT_LIMIT); any other spec (`200/minute`,
    `10/second;500/hour`) is one limit over all of a caller's requests."""

    def __init__(self, spec: str):
        from limits import parse, parse_many
        from limits.storage import MemoryStorage
        from limits.strategies import FixedWindowRateLimiter

        self.per_route = spec.strip().lower() == "upstream"
        if self.per_route:
            self.items = [parse(UPSTREAM_DEFAULT_LIMIT)]
            self.route_items = {route: parse(limit) for route, limit in UPSTREAM_ROUTE_LIMITS.items()}
        else:
            self.items = parse_many(spec)  # ValueError for a spec it cannot read
        self._storage = MemoryStorage()
        self._limiter = FixedWindowRateLimiter(self._storage)

    @staticmethod
    def caller() -> str:
        api_key = request.headers.get("X-API-Key", "")
        if api_key:
            return "key:" + api_key
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return "bearer:" + token.strip()
        return "addr:" + (request.remote_addr or "")

    def _limits(self) -> tuple[list, str]:
        """The limits of this request, and the scope they are counted in."""
        if not self.per_route:
            return self.items, "pandaprobe-fake"
        rule = request.url_rule
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule) if rule is not None else None
        own = self.route_items.get((request.method, path))
        return ([own] if own is not None else self.items), f"{request.method} {path}"

    def exceeded(self) -> str | None:
        """The limit this request goes over (as slowapi writes it), or None."""
        caller = self.caller()
        items, scope = self._limits()
        for item in items:
            if not self._limiter.hit(item, scope, caller):
                return str(item)
        return None

    def reset(self) -> None:
        self._storage.reset()
