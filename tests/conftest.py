"""Shared fixtures: the app on a fresh temporary database, a client with credentials,
and a real `python app.py` process on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent

from pandaprobe_fake.app import create_app  # noqa: E402

SCORES = "/evaluations/trace-scores"
ANALYTICS = "/evaluations/analytics/trace-scores"


def key_headers(project: str = "demo", key: str = "test-key") -> dict[str, str]:
    return {"X-API-Key": key, "X-Project-Name": project}


class Api:
    """The Flask test client with one project's credentials on every call."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def __getattr__(self, method):
        def call(path, headers=None, **kwargs):
            return getattr(self.client, method)(path, headers={**self.headers, **(headers or {})}, **kwargs)
        return call

    def score(self, **fields) -> dict:
        """Create a score (defaults filled in) and return its JSON, asserting the 201."""
        body = {"trace_id": str(uuid.uuid4()), "name": "accuracy", "value": "0.5", **fields}
        response = self.post(SCORES, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def app(tmp_path):
    app = create_app({"database": str(tmp_path / "test.db")})
    yield app
    app.extensions["store"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    return Api(client, key_headers("demo"))


@pytest.fixture
def other_api(client):
    return Api(client, key_headers("other-project"))


@pytest.fixture
def clock(app):
    return app.extensions["store"].clock


class LiveServer:
    """`python app.py` as a real process, started on a free port (--port 0)."""

    def __init__(self, log_path: Path, *args: str):
        self.args = args
        self.log_path = log_path
        self.proc = None
        self.url = None

    def start(self) -> "LiveServer":
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", "0", *self.args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("PANDAPROBE_FAKE_")})
        line = self.proc.stdout.readline().strip()
        assert line.startswith("http://"), (line, self.log_path.read_text())
        self.url = line
        return self

    def log_text(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()

    def session(self, headers: dict[str, str] | None = None) -> requests.Session:
        session = requests.Session()
        session.headers.update(headers or {})
        return session


@pytest.fixture
def live_server_factory(request, tmp_path):
    """Start `python app.py ARGS...` processes (stopped after the test).  A test that starts
    one must be marked `process`, so that `-m "not process"` leaves it out."""
    assert request.node.get_closest_marker("process"), \
        f"{request.node.nodeid} starts processes: mark it @pytest.mark.process"
    servers: list[LiveServer] = []

    def start(*args: str) -> LiveServer:
        server = LiveServer(tmp_path / f"server-{len(servers)}.log", *args).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fresh_uuid():
    return lambda: str(uuid.uuid4())


def pytest_configure(config):
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
