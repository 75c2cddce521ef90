"""`--ingest-delay MS` (a posted trace readable only that long after, on the fake's clock) and
`--rate-limit upstream` (the real server's per-route limits and its 429 body)."""

import asyncio
import time
import uuid

import pytest

from conftest import SCORES, Api, key_headers
from pandaprobe_fake.app import create_app
from pandaprobe_fake.settings import parse_command_line

T0 = "2026-03-29T10:00:00Z"


@pytest.fixture
def delayed():
    app = create_app({"database": None, "ingest_delay": 1500})
    client = app.test_client()
    client.post("/_fake/clock", json={"freeze": "2026-03-29T12:00:00Z"})
    yield Api(client, key_headers()), client
    app.extensions["store"].close()


def advance(client, seconds):
    assert client.post("/_fake/clock", json={"advance_seconds": seconds}).status_code == 200


def test_a_posted_trace_is_readable_only_after_the_delay(delayed):
    api, client = delayed
    response = api.post("/traces", json={"name": "n", "started_at": T0, "user_id": "u",
                                         "spans": [{"name": "s", "started_at": T0, "model": "m"}]})
    assert response.status_code == 202
    trace_id = response.get_json()["trace_id"]
    window = "started_after=2026-03-01&started_before=2026-04-01"
    unseen = [api.get(f"/traces/{trace_id}").status_code, api.get("/traces").get_json()["total"],
              api.get("/traces/users").get_json()["total"], api.get(f"/traces/analytics?{window}").get_json(),
              api.patch(f"/traces/{trace_id}", json={}).status_code,
              api.post(f"/traces/{trace_id}/spans", json=[{"name": "x", "started_at": T0}]).status_code]
    assert unseen == [404, 0, 0, [], 404, 404]
    advance(client, 1.499)  # 1 ms short
    assert api.get(f"/traces/{trace_id}").status_code == 404
    advance(client, 0.001)  # exactly the delay
    assert api.get(f"/traces/{trace_id}").status_code == 200
    assert api.get("/traces").get_json()["total"] == 1
    assert api.get(f"/traces/analytics?{window}").get_json()[0]["trace_count"] == 1


def test_a_repost_of_a_visible_trace_stays_visible(delayed):
    api, client = delayed
    trace_id = api.post("/traces", json={"name": "one", "started_at": T0}).get_json()["trace_id"]
    advance(client, 2)
    api.post("/traces", json={"trace_id": trace_id, "name": "two", "started_at": T0})
    assert api.get(f"/traces/{trace_id}").get_json()["name"] == "two"


def test_no_delay_by_default_even_with_the_clock_moved_back(api, client):
    client.post("/_fake/clock", json={"freeze": "2030-01-01T00:00:00Z"})
    trace_id = api.post("/traces", json={"name": "n", "started_at": T0}).get_json()["trace_id"]
    client.post("/_fake/clock", json={"freeze": "2020-01-01T00:00:00Z"})
    assert api.get(f"/traces/{trace_id}").status_code == 200


def test_the_option():
    assert parse_command_line(["--ingest-delay", "250"]).ingest_delay == 250
    assert parse_command_line([]).ingest_delay == 0


@pytest.mark.process
def test_the_sdk_waits_for_a_delayed_trace(live_server_factory):
    """The SDK's `wait_visible` polls until the trace can be read, as against the real server."""
    from pandaprobe.api import PlatformClient
    from pandaprobe.config import SdkConfig

    server = live_server_factory("--db", ":memory:", "--ingest-delay", "400", "--quiet")
    session = server.session(key_headers("sdk"))
    trace_id = str(uuid.uuid4())
    assert session.post(server.url + "/traces", json={"trace_id": trace_id, "name": "n",
                                                      "started_at": T0}).status_code == 202
    assert session.get(f"{server.url}/traces/{trace_id}").status_code == 404
    config = SdkConfig(api_key="test-key", project_name="sdk", endpoint=server.url)

    async def wait():
        async with PlatformClient(config=config) as platform:
            return await platform.traces.wait_visible(trace_id, timeout=10, poll_interval=0.1)

    started = time.monotonic()
    trace = asyncio.run(wait())
    assert str(trace.trace_id) == trace_id and trace.status == "COMPLETED"
    assert time.monotonic() - started > 0.2  # it had to poll


# -- --rate-limit upstream -----------------------------------------------------------------------


def upstream_limited():
    app = create_app({"database": None, "rate_limit": "upstream"})
    return app.test_client()


def test_post_traces_has_its_own_stricter_limit():
    client = upstream_limited()
    body = {"name": "n", "started_at": T0}
    statuses = [client.post("/traces", json=body, headers=key_headers()).status_code for _ in range(101)]
    assert statuses.count(202) == 100 and statuses[-1] == 429
    response = client.post("/traces", json=body, headers=key_headers())
    assert response.get_json() == {"error": "Rate limit exceeded: 100 per 1 minute"}
    assert "Retry-After" not in response.headers
    # other routes count apart, at the default
    assert client.get("/traces", headers=key_headers()).status_code == 200
    assert client.post("/traces", json=body, headers=key_headers(key="another")).status_code == 202


def test_every_other_route_has_the_default_per_route():
    client = upstream_limited()
    statuses = [client.get(SCORES, headers=key_headers()).status_code for _ in range(201)]
    assert statuses.count(200) == 200 and statuses[-1] == 429
    assert client.get(SCORES, headers=key_headers()).get_json() == {"error": "Rate limit exceeded: 200 per 1 minute"}
    assert client.get("/traces", headers=key_headers()).status_code == 200  # its own counter


def test_run_routes_carry_their_limits():
    from pandaprobe_fake.fake.ratelimit import UPSTREAM_ROUTE_LIMITS

    assert UPSTREAM_ROUTE_LIMITS[("POST", "/evaluations/trace-runs/batch")] == "50/minute"
    assert UPSTREAM_ROUTE_LIMITS[("POST", "/evaluations/monitors/{monitor_id}/trigger")] == "10/minute"
    client = upstream_limited()
    statuses = [client.post("/evaluations/monitors/m/trigger", headers=key_headers()).status_code
                for _ in range(11)]
    assert statuses[-1] == 429 and 429 not in statuses[:10]


def test_a_plain_spec_still_limits_all_routes_together():
    app = create_app({"database": None, "rate_limit": "2/minute"})
    client = app.test_client()
    assert [client.get(path, headers=key_headers()).status_code for path in (SCORES, "/traces", "/traces")] == [
        200, 200, 429]
    assert parse_command_line(["--rate-limit", "upstream"]).rate_limit == "upstream"


@pytest.mark.process
def test_upstream_limits_through_a_real_process(live_server_factory):
    server = live_server_factory("--db", ":memory:", "--rate-limit", "upstream", "--quiet")
    session = server.session(key_headers())  # one connection (waitress holds at most 100 open)
    body = {"name": "n", "started_at": T0}
    statuses = [session.post(server.url + "/traces", json=body, timeout=5).status_code for _ in range(100)]
    assert statuses == [202] * 100
    last = session.post(server.url + "/traces", json=body, timeout=5)
    assert last.status_code == 429 and last.text == '{"error":"Rate limit exceeded: 100 per 1 minute"}'
