"""The fixture kit: the fake as a test double for another test suite.

`FakeServer` runs the app in-process on a real socket on a free port (werkzeug's
`make_server(port=0)` in a thread), with its own in-memory store, so two side by side
share nothing.  It starts in milliseconds; use it as a context manager::

    from pandaprobe_fake.testing import FakeServer

    with FakeServer() as fake:
        client = pandaprobe.Client(api_key="k", project_name="p", endpoint=fake.url)
        fake.fault(429, method="POST", path="/evaluations/trace-scores")
        ...
        assert [r["status"] for r in fake.requests(method="POST")] == [429, 201]

Its control methods (`reset`, `requests`, `fault`, `clock`, `load`, `dump`, ...) are the
`/_fake/` control API, called in-process; a refused call raises FakeServerError with the
API's error body.

It is also a pytest plugin, registered through the `pytest11` entry point: installing the
package is enough for its two fixtures to exist in any test suite:

- `pandaprobe_fake_server` (session): one FakeServer for the whole run;
- `pandaprobe_fake` (function): that server, reset (data, journal, faults, clock) after
  each test.

Override the `pandaprobe_fake_options` fixture (session scope, a dict of FakeServer
arguments) to start the session's server differently, e.g. `{"mock": True, "seed": 1}`.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from pandaprobe_fake.app import create_app
from pandaprobe_fake.fake.state import CONTROL_PREFIX
from pandaprobe_fake.settings import DEFAULT_JOURNAL_SIZE, DEFAULT_PROJECT, Settings

__all__ = ["FakeServer", "FakeServerError"]


class FakeServerError(Exception):
    """A control call the fake refused: its status and error body."""

    def __init__(self, status: int, body: Any):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


class _QuietHandler(WSGIRequestHandler):
    """No line on stderr per request (the journal has them)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class FakeServer:
    """The fake on a free port of `host`, in a thread of this process.

    mock: serve requests without credentials or project header as `project` (as
      `python app.py --mock`), and load the demo data set unless demo_data=False.
    demo_data, seed, scores: load the demo data set (`scores` of them, reproducible with
      `seed`) into `project` at start.
    api_keys: accept only these keys (default: any).  rate_limit: e.g. "200/minute".
    journal_size: requests kept in the journal.  options: any other Settings field
      (e.g. strict_traces=True).
    """

    def __init__(self, *, mock: bool = False, project: str = DEFAULT_PROJECT,
                 demo_data: bool | None = None, seed: int | None = None,
                 scores: int | None = None, api_keys: tuple[str, ...] = (),
                 rate_limit: str | None = None, journal_size: int = DEFAULT_JOURNAL_SIZE,
                 host: str = "127.0.0.1", **options: Any):
        self.host = host
        self.settings = Settings(
            database=None, api_keys=tuple(api_keys), mock=mock,
            demo_data=mock if demo_data is None else demo_data, project=project, seed=seed,
            scores=scores, rate_limit=rate_limit, journal_size=journal_size, control=True,
        ).replace(**options)
        self.app = create_app(self.settings)
        self.store = self.app.extensions["store"]
        self.project = project
        self._control = self.app.test_client()
        self._server = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None
        self.port: int | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> "FakeServer":
        if self._server is not None:
            return self
        self._server = make_server(self.host, 0, self.app, threaded=True,
                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        host = self.host if ":" not in self.host else f"[{self.host}]"
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"pandaprobe-fake:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._thread.join()
            self._server.server_close()
            self._server = None
        self.store.close()

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeServer {self.url or '(not started)'}>"

    # -- helpers ----------------------------------------------------------------------------

    def headers(self, project: str | None = None, api_key: str | None = None) -> dict[str, str]:
        """The SDK's headers for a project (default: this server's project), with `api_key`,
        else the first of the server's own keys (so a fake started with api_keys accepts
        them), else any key."""
        key = api_key or (self.settings.api_keys[0] if self.settings.api_keys else "test-key")
        return {"X-API-Key": key, "X-Project-Name": project or self.project}

    def _call(self, method: str, path: str, body: Any = None,
              query: dict[str, str] | None = None) -> Any:
        # With api_keys, the control API needs one of them: the kit knows them.
        keys = self.settings.api_keys
        response = self._control.open(CONTROL_PREFIX + path, method=method, json=body,
                                      query_string=query,
                                      headers={"X-API-Key": keys[0]} if keys else None)
        payload = response.get_json(silent=True) if response.data else None
        if response.status_code >= 400:
            raise FakeServerError(response.status_code, payload)
        return payload

    # -- the control API ----------------------------------------------------------------------

    def reset(self, seed: bool = False) -> dict[str, Any]:
        """Empty everything -- data, journal, faults, frozen clock, rate-limit counters --
        or, with seed=True, back to the demo data set."""
        return self._call("POST", "/reset", {"seed": seed})

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The journal, oldest first; `path` is a glob."""
        query = {k: v for k, v in (("method", method), ("path", path)) if v is not None}
        return self._call("GET", "/requests", query=query)["items"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def fault(self, status: int | None = None, *, method: str | None = None,
              path: str | None = None, body: Any = None, headers: dict[str, str] | None = None,
              delay_ms: int = 0, times: int | None = 1, probability: float = 1.0) -> dict[str, Any]:
        """Make matching requests misbehave (see POST /_fake/faults); returns the fault."""
        spec: dict[str, Any] = {"method": method, "path": path, "status": status,
                                "headers": headers or {}, "delay_ms": delay_ms, "times": times,
                                "probability": probability}
        if body is not None:
            spec["body"] = body
        return self._call("POST", "/faults", spec)

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["items"]

    def clear_faults(self, fault_id: str | None = None) -> None:
        self._call("DELETE", "/faults" + (f"/{fault_id}" if fault_id else ""))

    def clock(self, freeze: datetime | str | None = None,
              advance_seconds: float | None = None) -> dict[str, Any]:
        """Freeze the clock (a datetime, naive = UTC, or ISO 8601 text) and/or move a frozen
        clock on; with no argument, read it.  Returns {"now", "frozen"}."""
        if freeze is None and advance_seconds is None:
            return self._call("GET", "/clock")
        body: dict[str, Any] = {}
        if freeze is not None:
            if isinstance(freeze, datetime):
                freeze = (freeze if freeze.tzinfo else freeze.replace(tzinfo=timezone.utc)).isoformat()
            body["freeze"] = freeze
        if advance_seconds is not None:
            body["advance_seconds"] = advance_seconds
        return self._call("POST", "/clock", body)

    def unfreeze_clock(self) -> dict[str, Any]:
        return self._call("DELETE", "/clock")

    def judge(self, *, metric: str | None = None, trace_id: str | None = None,
              value: float | None = None, reason: str | None = None, error: str | None = None,
              run_error: str | None = None, delay_seconds: float | None = None) -> dict[str, Any]:
        """Script the simulated judge (see POST /_fake/judge): give one of `value` (with an
        optional `reason`), `error` (a FAILED score) -- for a `metric` and/or a `trace_id` --,
        `run_error` (the whole run FAILED) or `delay_seconds`.  Returns the rule."""
        spec = {k: v for k, v in (("metric", metric), ("trace_id", trace_id), ("value", value),
                                  ("reason", reason), ("error", error), ("run_error", run_error),
                                  ("delay_seconds", delay_seconds)) if v is not None}
        return self._call("POST", "/judge", spec)

    def judge_rules(self) -> list[dict[str, Any]]:
        return self._call("GET", "/judge")["items"]

    def clear_judge(self, rule_id: str | None = None) -> None:
        self._call("DELETE", "/judge" + (f"/{rule_id}" if rule_id else ""))

    def load(self, document: dict[str, Any]) -> dict[str, Any]:
        """Add a fixture document's projects and scores (see GET /_fake/fixtures)."""
        return self._call("POST", "/fixtures", document)

    def dump(self) -> dict[str, Any]:
        """The whole state as a fixture document, which `load` takes back."""
        return self._call("GET", "/fixtures")


# -- the pytest plugin ------------------------------------------------------------------------

try:
    import pytest
except ImportError:  # FakeServer works without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def pandaprobe_fake_options() -> dict[str, Any]:
        """FakeServer arguments of the session's server; override to change them."""
        return {}

    @pytest.fixture(scope="session")
    def pandaprobe_fake_server(pandaprobe_fake_options):
        """One fake for the whole test session."""
        with FakeServer(**pandaprobe_fake_options) as server:
            yield server

    @pytest.fixture
    def pandaprobe_fake(pandaprobe_fake_server):
        """The session's fake, reset after the test (to the demo data if it started with it)."""
        yield pandaprobe_fake_server
        pandaprobe_fake_server.reset(seed=pandaprobe_fake_server.settings.demo_data)
