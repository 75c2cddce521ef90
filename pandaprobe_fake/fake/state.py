"""The state of the test-double features of one app: the request journal, injected faults,
the emulated rate limit, the simulated judge (fake/judge.py) and the demo data set -- what the `/_fake/` control API (routes.py)
and the request hooks (hooks.py) act on.  Built from the app's Settings.
"""

from __future__ import annotations

import collections
import fnmatch
import json
import logging
import random
import threading
import uuid
from typing import Any

from flask import current_app
from werkzeug.wrappers import Request

from pandaprobe_fake.fake.judge import Judge
from pandaprobe_fake.fake.ratelimit import RateLimit
from pandaprobe_fake.settings import DEFAULT_JOURNAL_SIZE, Settings

log = logging.getLogger("pandaprobe_fake")

CONTROL_PREFIX = "/_fake"
# Request headers whose values are secrets: the journal shows only their first characters.
SECRET_HEADERS = ("x-api-key", "authorization", "proxy-authorization", "cookie")
# The WSGI environ keys a journal entry keeps besides HTTP_*: its headers and query, as received.
RAW_KEYS = ("CONTENT_TYPE", "CONTENT_LENGTH", "QUERY_STRING")


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


# The journal's memory is bounded: a body larger than MAX_ENTRY_BODY is not kept, and past
# MAX_TOTAL_BODIES bytes of kept bodies the oldest entries lose theirs (the entry stays, with
# `body` null and `body_bytes` saying what was received).
MAX_ENTRY_BODY = 1024 * 1024
MAX_TOTAL_BODIES = 16 * 1024 * 1024


class Journal:
    """The last `size` requests (oldest first), kept as recorded; bodies are parsed as JSON
    only when read, and bounded in memory (MAX_ENTRY_BODY, MAX_TOTAL_BODIES)."""

    def __init__(self, size: int = DEFAULT_JOURNAL_SIZE, max_entry_body: int = MAX_ENTRY_BODY,
                 max_total_bodies: int = MAX_TOTAL_BODIES):
        self._entries: collections.deque[dict[str, Any]] = collections.deque()
        self._lock = threading.Lock()
        self.size = size
        self.max_entry_body, self.max_total_bodies = max_entry_body, max_total_bodies
        self._body_bytes = 0  # of the bodies kept

    def record(self, entry: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        body = entry.get("body")
        entry["body_bytes"] = len(body) if body else 0
        if body and len(body) > self.max_entry_body:
            entry["body"] = None
        with self._lock:
            self._entries.append(entry)
            self._body_bytes += len(entry["body"] or b"")
            while len(self._entries) > self.size:
                self._body_bytes -= len(self._entries.popleft()["body"] or b"")
            for old in self._entries:  # oldest first lose their bodies
                if self._body_bytes <= self.max_total_bodies:
                    break
                if old["body"]:
                    self._body_bytes -= len(old["body"])
                    old["body"] = None

    def entries(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        if method is not None:
            entries = [e for e in entries if e["method"] == method.upper()]
        if path is not None:
            entries = [e for e in entries if fnmatch.fnmatchcase(e["path"], path)]
        return [formatted(e) for e in entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._body_bytes = 0

    @property
    def body_bytes(self) -> int:
        return self._body_bytes


def formatted(entry: dict[str, Any]) -> dict[str, Any]:
    """A journal entry as the control API shows it, from what `record` kept as received (so
    that recording costs a request little): the body parsed as JSON, the query as a dict (a
    repeated key as a list), the headers with secrets masked, the duration rounded."""
    out = {**entry, "body": _json_or_none(entry["body"])}
    raw = out.pop("environ", None)
    if raw is not None:
        parsed = Request(raw)  # werkzeug's own parsing of the query and headers, as Flask's
        out["query"] = {key: (values[0] if len(values) == 1 else values)
                        for key, values in parsed.args.lists()}
        out["headers"] = {name: mask(value) if name.lower() in SECRET_HEADERS else value
                          for name, value in parsed.headers.items()}
    if "duration_ms" in out:
        out["duration_ms"] = round(out["duration_ms"], 3)
    return out


def _json_or_none(raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


# -- faults --------------------------------------------------------------------------------


class Fault:
    """A fault of `POST /_fake/faults`.  (A plain class, not a dataclass: a dataclass costs
    ~0.5 ms of start-up to define.)"""

    __slots__ = ("status", "method", "path", "body", "headers", "delay_ms", "times", "probability",
                 "id", "applied")

    def __init__(self, status: int | None, method: str | None = None, path: str | None = None,
                 body: Any = None, headers: dict[str, str] | None = None, delay_ms: int = 0,
                 times: int | None = 1, probability: float = 1.0, id: str | None = None,  # noqa: A002
                 applied: int = 0):
        self.status, self.method, self.path, self.body = status, method, path, body
        self.headers = {} if headers is None else headers
        self.delay_ms, self.times, self.probability, self.applied = delay_ms, times, probability, applied
        self.id = str(uuid.uuid4()) if id is None else id

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


# -- the state of one app, and its hooks -------------------------------------------------------


class FakeState:
    def __init__(self, settings: Settings, store: Any):
        self.store = store
        self.control = settings.control
        self.journal = Journal(settings.journal_size if self.control else 0)
        self.faults = Faults(settings.seed)
        self.rate_limit = RateLimit(settings.rate_limit) if settings.rate_limit else None
        self.project = settings.project
        self.seed = settings.seed
        self.scores = settings.scores  # None: demo_data.DEFAULT_SCORES
        self.demo_anchor: int | None = None
        self.judge = Judge(settings.judge, settings.judge_delay)

    def load_demo(self) -> dict[str, Any]:
        """Load the demo data set.  With a seed, it is anchored at the clock's reading of the
        first load, so that every reset to it gives the very same data."""
        import pandaprobe_fake.fake.demo_data as demo_data  # imported on first use (start-up)

        now = self.store.clock.now()
        if self.seed is not None:
            if self.demo_anchor is None:
                self.demo_anchor = now
            now = self.demo_anchor
        scores = demo_data.DEFAULT_SCORES if self.scores is None else self.scores
        return demo_data.load(self.store, self.project, scores=scores, seed=self.seed, now=now)

    def reset(self, seed: bool = False) -> None:
        """Back to an empty fake (or to the demo data): data, journal, faults, clock and
        rate-limit counters all start over."""
        self.store.reset()
        self.store.clock.unfreeze()
        self.journal.clear()
        self.faults.clear()
        self.judge.clear()
        if self.rate_limit is not None:
            self.rate_limit.reset()
        if seed:
            self.load_demo()


def state() -> FakeState:
    return current_app.extensions["fake"]
