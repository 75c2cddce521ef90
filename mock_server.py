"""What makes the fake a test double besides the upstream routes: the request journal,
injected faults, the emulated rate limit, and the demo data set -- the state behind the
`/_fake/` control API (control.py) and the request hooks that act on it.

`install(app)` wires it into an app made by `create_app`, from these config keys:
CONTROL (the /_fake/ routes, the journal and faults; default on), JOURNAL_SIZE (default
1000; 0 keeps no journal), RATE_LIMIT (e.g. "200/minute"; default off), DEMO_DATA (load
the demo data set at start), DEMO_PROJECT, DEMO_SEED, DEMO_SCORES.
"""

from __future__ import annotations

import collections
import fnmatch
import json
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, request

import demo_data
import fake_schemas

log = logging.getLogger("pandaprobe_fake")

CONTROL_PREFIX = "/_fake"
DEFAULT_JOURNAL_SIZE = 1000
DEFAULT_PROJECT = "demo"
# Request headers whose values are secrets: the journal shows only their first characters.
SECRET_HEADERS = ("x-api-key", "authorization", "proxy-authorization", "cookie")


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def mask(value: str) -> str:
    """A secret as the journal shows it: the scheme word of an Authorization value and the
    first four characters of a long enough secret, the rest as '***'."""
    scheme, space, secret = value.partition(" ")
    if space and scheme.isalpha():
        return f"{scheme} {mask(secret)}"
    return value[:4] + "***" if len(value) > 8 else "***"


# -- the request journal -------------------------------------------------------------------


class Journal:
    """The last `size` requests (oldest first), kept as recorded; bodies are parsed as JSON
    only when read."""

    def __init__(self, size: int = DEFAULT_JOURNAL_SIZE):
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=max(size, 0))
        self._lock = threading.Lock()
        self.size = size

    def record(self, entry: dict[str, Any]) -> None:
        if self.size > 0:
            with self._lock:
                self._entries.append(entry)

    def entries(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        if method is not None:
            entries = [e for e in entries if e["method"] == method.upper()]
        if path is not None:
            entries = [e for e in entries if fnmatch.fnmatchcase(e["path"], path)]
        return [{**e, "body": _json_or_none(e["body"])} for e in entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _json_or_none(raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


# -- faults --------------------------------------------------------------------------------


@dataclass
class Fault:
    status: int | None
    method: str | None = None
    path: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    times: int | None = 1
    probability: float = 1.0
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    applied: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else self.times - self.applied

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method == method)
                and (self.path is None or fnmatch.fnmatchcase(path, self.path))
                and (self.remaining is None or self.remaining > 0))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "method": self.method, "path": self.path, "status": self.status,
                "body": self.body, "headers": self.headers, "delay_ms": self.delay_ms,
                "times": self.times, "probability": self.probability,
                "remaining": self.remaining, "applied": self.applied}


class Faults:
    """Faults in the order they were added; the first that matches a request (and wins its
    probability draw) applies to it.  Spent faults stay listed, with `remaining` 0."""

    def __init__(self, seed: int | None = None):
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def add(self, spec: dict[str, Any]) -> Fault:
        fault = Fault(**spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that applies to this request, counted as applied; None if none."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                        continue
                    fault.applied += 1
                    return fault
        return None

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            kept = [f for f in self._faults if f.id != fault_id]
            found = len(kept) != len(self._faults)
            self._faults = kept
        return found

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


# -- the hosted API's rate limit -------------------------------------------------------------


class RateLimit:
    """The hosted API's per-caller limit (slowapi over `limits`, fixed windows): keyed by API
    key, else bearer token, else client address; over it, 429 {"error": "Rate limit
    exceeded: 200 per 1 minute"} without Retry-After."""

    def __init__(self, spec: str):
        from limits import parse_many
        from limits.storage import MemoryStorage
        from limits.strategies import FixedWindowRateLimiter

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

    def exceeded(self) -> str | None:
        """The limit this request goes over (as slowapi writes it), or None."""
        caller = self.caller()
        for item in self.items:
            if not self._limiter.hit(item, "pandaprobe-fake", caller):
                return str(item)
        return None

    def reset(self) -> None:
        self._storage.reset()


# -- the state of one app, and its hooks -------------------------------------------------------


class FakeState:
    def __init__(self, app: Flask):
        config = app.config
        self.store = app.extensions["store"]
        self.control = bool(config.get("CONTROL", True))
        self.journal = Journal(config.get("JOURNAL_SIZE", DEFAULT_JOURNAL_SIZE) if self.control else 0)
        self.faults = Faults(config.get("DEMO_SEED"))
        self.rate_limit = RateLimit(config["RATE_LIMIT"]) if config.get("RATE_LIMIT") else None
        self.project = config.get("DEMO_PROJECT") or DEFAULT_PROJECT
        self.seed = config.get("DEMO_SEED")
        self.scores = config.get("DEMO_SCORES")
        if self.scores is None:
            self.scores = demo_data.DEFAULT_SCORES
        self.demo_anchor: int | None = None

    def load_demo(self) -> dict[str, Any]:
        """Load the demo data set.  With a seed, it is anchored at the clock's reading of the
        first load, so that every reset to it gives the very same data."""
        now = self.store.clock.now()
        if self.seed is not None:
            if self.demo_anchor is None:
                self.demo_anchor = now
            now = self.demo_anchor
        return demo_data.load(self.store, self.project, scores=self.scores, seed=self.seed, now=now)

    def reset(self, seed: bool = False) -> None:
        """Back to an empty fake (or to the demo data): data, journal, faults, clock and
        rate-limit counters all start over."""
        self.store.reset()
        self.store.clock.unfreeze()
        self.journal.clear()
        self.faults.clear()
        if self.rate_limit is not None:
            self.rate_limit.reset()
        if seed:
            self.load_demo()


def state() -> FakeState:
    return current_app.extensions["fake"]


def install(app: Flask) -> None:
    fake = app.extensions["fake"] = FakeState(app)
    if app.config.get("DEMO_DATA"):
        known = [p["id"] for p in fake.store.projects() if p["name"] == fake.project]
        if known and fake.store.count_scores(known[0]):
            log.warning("demo data not loaded: project %r already holds scores", fake.project)
        else:
            started = time.perf_counter()
            loaded = fake.load_demo()
            log.info("demo data: %d scores in project %r (%.0f ms)", loaded["scores"],
                     loaded["name"], (time.perf_counter() - started) * 1000)
    if fake.control:
        import control

        app.register_blueprint(control.blueprint)
    if fake.control or fake.rate_limit is not None:
        app.before_request(_before)
        app.after_request(_after)


def _before() -> Response | None:
    """Faults first (they stand for the network in front of the server), then the rate limit."""
    if is_control_path(request.path):
        return None
    fake = state()
    if fake.control:
        fault = fake.faults.take(request.method, request.path)
        if fault is not None:
            if fault.delay_ms:
                time.sleep(fault.delay_ms / 1000)
            if fault.status is not None:
                return _fault_response(fault)
    if fake.rate_limit is not None:
        limit = fake.rate_limit.exceeded()
        if limit is not None:
            return Response(current_app.json.dumps({"error": f"Rate limit exceeded: {limit}"}),
                            429, mimetype="application/json")
    return None


def _fault_response(fault: Fault) -> Response:
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


def _after(response: Response) -> Response:
    if is_control_path(request.path):
        return response
    fake = state()
    if fake.journal.size <= 0:
        return response
    try:
        body = request.get_data(cache=True)
    except Exception:  # e.g. over the size limit: the body was never read
        body = None
    started = g.get("started")
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    query = {key: (values[0] if len(values) == 1 else values)
             for key, values in request.args.lists()}
    headers = {name: mask(value) if name.lower() in SECRET_HEADERS else value
               for name, value in request.headers.items()}
    fake.journal.record({
        "method": request.method, "path": request.path, "query": query, "headers": headers,
        "body": body, "status": response.status_code, "duration_ms": round(elapsed, 3),
        "time": fake.store.clock.now(),
    })
    return response

