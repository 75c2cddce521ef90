"""The fixture kit (testing.py): FakeServer, its control methods, the pytest plugin, and
the official SDK against it."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import textwrap
import uuid
from datetime import datetime

import pytest
import requests

from conftest import SCORES
from pandaprobe_fake.testing import FakeServer, FakeServerError

TRACE = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def create(fake, project="demo", **fields):
    body = {"trace_id": TRACE, "name": "accuracy", "value": "0.5", **fields}
    return requests.post(f"{fake.url}{SCORES}", json=body, headers=fake.headers(project), timeout=5)


def test_fake_server_serves_on_a_free_port_and_stops():
    with FakeServer() as fake:
        assert fake.url.startswith("http://127.0.0.1:") and fake.port > 0
        assert requests.get(f"{fake.url}/health", timeout=5).json()["status"] == "healthy"
        assert create(fake).status_code == 201
        port = fake.port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_two_servers_share_nothing():
    with FakeServer() as one, FakeServer() as two:
        assert one.url != two.url
        create(one)
        one.fault(500, path="/health")
        one.clock(freeze="2026-01-01T00:00:00Z")
        assert requests.get(f"{two.url}{SCORES}", headers=two.headers(), timeout=5).json()["total"] == 0
        assert requests.get(f"{two.url}/health", timeout=5).status_code == 200
        assert two.clock()["frozen"] is False
        assert len(one.requests()) == 1 and len(two.requests()) == 2


def test_control_methods():
    with FakeServer() as fake:
        frozen = fake.clock(freeze=datetime(2026, 3, 1, 8, 30))
        assert frozen == {"now": "2026-03-01T08:30:00+00:00", "frozen": True}
        assert fake.clock(advance_seconds=30)["now"] == "2026-03-01T08:30:30+00:00"
        assert create(fake).json()["created_at"] == "2026-03-01T08:30:30+00:00"
        assert fake.unfreeze_clock()["frozen"] is False

        fault = fake.fault(503, method="GET", path="/evaluations/*", times=None)
        assert requests.get(f"{fake.url}{SCORES}", headers=fake.headers(), timeout=5).status_code == 503
        assert [f["id"] for f in fake.faults()] == [fault["id"]]
        fake.clear_faults(fault["id"])
        assert fake.faults() == []
        fake.fault(502)
        fake.clear_faults()
        assert fake.faults() == []

        assert [(r["method"], r["status"]) for r in fake.requests()] == [("POST", 201), ("GET", 503)]
        assert [r["method"] for r in fake.requests(method="GET")] == ["GET"]
        assert fake.requests(path="/health") == []
        fake.clear_requests()
        assert fake.requests() == []

        document = fake.dump()
        assert document["projects"][0]["scores"][0]["name"] == "accuracy"
        assert fake.reset() == {"seeded": False, "scores": 0}
        assert fake.dump() == {"projects": []}
        assert fake.load(document)["projects"][0]["scores"] == 1
        assert fake.dump() == document

        with pytest.raises(FakeServerError) as refused:
            fake.fault()
        assert refused.value.status == 422
        assert refused.value.body["errors"][0]["message"] == "Value error, give a status, a delay_ms, or both"
        with pytest.raises(FakeServerError) as missing:
            fake.clear_faults("nope")
        assert missing.value.status == 404


def test_fake_server_in_mock_mode_with_seeded_demo_data():
    with FakeServer(mock=True, seed=4, scores=250, project="shop") as fake:
        bare = requests.get(f"{fake.url}{SCORES}", timeout=5).json()
        assert bare["total"] == 250
        start = fake.dump()
        create(fake, project="shop")
        assert fake.reset(seed=True)["scores"] == 250
        assert fake.dump() == start


def test_fake_server_options_reach_the_app():
    with FakeServer(api_keys=("sk-1",), rate_limit="2/minute", journal_size=1) as fake:
        refused = requests.get(f"{fake.url}{SCORES}", headers=fake.headers(api_key="sk-2"), timeout=5)
        assert refused.status_code == 401
        for _ in range(2):  # the limit is per key: sk-2's 401 did not count for sk-1
            ok = requests.get(f"{fake.url}{SCORES}", headers=fake.headers(api_key="sk-1"), timeout=5)
            assert ok.status_code == 200
        limited = requests.get(f"{fake.url}{SCORES}", headers=fake.headers(api_key="sk-1"), timeout=5)
        assert limited.json() == {"error": "Rate limit exceeded: 2 per 1 minute"}
        assert [r["status"] for r in fake.requests()] == [429]


# -- the official SDK, retrying a 429 ---------------------------------------------------------------


def test_sdk_retries_an_injected_429_and_the_score_is_stored(caplog):
    pandaprobe = pytest.importorskip("pandaprobe")
    with FakeServer() as fake:
        fake.fault(429, method="POST", path="/evaluations/trace-scores",
                   body={"detail": "slow down"}, headers={"Retry-After": "0.05"})
        client = pandaprobe.Client(api_key="sk-test", project_name="sdk-project",
                                   endpoint=fake.url, flush_interval=60)
        trace_id = str(uuid.uuid4())
        with caplog.at_level(logging.WARNING, logger="pandaprobe"):
            client.score(trace_id, "task_completion", "0.75", reason="good", metadata={"run": 1})
            client.flush(timeout=10)
        client.shutdown()

        posts = fake.requests(method="POST", path="/evaluations/trace-scores")
        assert [p["status"] for p in posts] == [429, 201]
        first, retry = posts
        assert first["body"] == retry["body"]
        assert first["body"]["trace_id"] == trace_id
        assert first["headers"]["X-Request-Id"] == retry["headers"]["X-Request-Id"]  # one item, sent twice
        assert first["headers"]["User-Agent"].startswith("pandaprobe-python/")
        assert first["headers"]["X-Api-Key"] == "***" and "sk-test" not in str(posts)
        assert any("429" in r.getMessage() and "retrying" in r.getMessage() for r in caplog.records)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

        stored = requests.get(f"{fake.url}{SCORES}", headers=fake.headers("sdk-project"), timeout=5).json()
        assert stored["total"] == 1
        score = stored["items"][0]
        assert (score["trace_id"], score["name"], score["value"], score["source"], score["reason"],
                score["metadata"]) == (trace_id, "task_completion", "0.75", "PROGRAMMATIC", "good", {"run": 1})


# -- the pytest plugin, as another project enables it --------------------------------------------------


@pytest.mark.process
def test_pytest_plugin_in_another_project(tmp_path):
    (tmp_path / "test_client_app.py").write_text(textwrap.dedent('''
        import requests

        def post(fake):
            return requests.post(fake.url + "/evaluations/trace-scores", headers=fake.headers(),
                                 json={"trace_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                                       "name": "a", "value": "0.5"}, timeout=5)

        def test_one(pandaprobe_fake):
            assert post(pandaprobe_fake).status_code == 201
            pandaprobe_fake.fault(500)
            assert post(pandaprobe_fake).status_code == 500

        def test_two_starts_clean(pandaprobe_fake, pandaprobe_fake_server):
            assert pandaprobe_fake is pandaprobe_fake_server
            assert pandaprobe_fake.requests() == [] and pandaprobe_fake.faults() == []
            assert post(pandaprobe_fake).status_code == 201
            assert len(pandaprobe_fake.dump()["projects"][0]["scores"]) == 1
    '''))
    # no -p, no PYTHONPATH: the installed package's pytest11 entry point brings the fixtures
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


@pytest.mark.process
def test_pytest_plugin_options_fixture(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent('''
        import pytest

        @pytest.fixture(scope="session")
        def pandaprobe_fake_options():
            return {"mock": True, "seed": 1, "scores": 40}
    '''))
    (tmp_path / "test_demo.py").write_text(textwrap.dedent('''
        import requests

        def test_changes(pandaprobe_fake):
            assert requests.get(pandaprobe_fake.url + "/evaluations/trace-scores", timeout=5).json()["total"] == 40
            pandaprobe_fake.reset()

        def test_back_to_the_demo_data(pandaprobe_fake):
            assert requests.get(pandaprobe_fake.url + "/evaluations/trace-scores", timeout=5).json()["total"] == 40
    '''))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_headers_carry_a_key_the_fake_accepts():
    """headers() sends the server's own first key when it was started with api_keys, so the
    headers a kit hands out are never refused by that same kit; an explicit key still wins."""
    with FakeServer(api_keys=("sk-first", "sk-second")) as fake:
        assert fake.headers()["X-API-Key"] == "sk-first"
        assert requests.get(f"{fake.url}{SCORES}", headers=fake.headers(), timeout=5).status_code == 200
        assert fake.headers(api_key="sk-second")["X-API-Key"] == "sk-second"
    with FakeServer() as fake:
        assert fake.headers() == {"X-API-Key": "test-key", "X-Project-Name": fake.project}
