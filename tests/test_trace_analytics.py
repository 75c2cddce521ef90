"""GET /traces/analytics, GET /traces/users, POST /traces/batch/delete and /batch/tags
(BEHAVIOR.md, "Trace analytics, users and batch routes")."""

import uuid
from datetime import datetime, timedelta

import pytest

from conftest import SCORES
from test_traces import errors, fetch, ingest

WINDOW = "started_after=2026-01-01T00:00:00Z&started_before=2026-02-01T00:00:00Z"
UUID_LIST_MESSAGES = ("List should have at least 1 item after validation, not 0",
                      "List should have at most 500 items after validation, not 501")


def analytics(api, query):
    response = api.get(f"/traces/analytics?{WINDOW}&{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def window(api):
    """Traces in January 2026 (22nd is a Thursday), and one outside the window."""
    def trace(started, seconds=None, status="COMPLETED", spans=(), user=None):
        body = {"started_at": started, "status": status, "spans": list(spans), "user_id": user}
        if seconds is not None:
            start = datetime.fromisoformat(started.replace("Z", "+00:00"))
            body["ended_at"] = (start + timedelta(seconds=seconds)).isoformat()
        return ingest(api, **body)

    trace("2026-01-22T10:15:00Z", 1.0, user="u1")
    trace("2026-01-22T10:45:00Z", 2.0, status="ERROR", user="u1")
    trace("2026-01-22T11:05:00Z", 7.9, user="u2")
    trace("2026-01-23T09:00:00Z", None, user="u2",
          spans=[{"name": "llm", "started_at": "2026-01-23T09:00:00Z", "model": "gpt-x",
                  "token_usage": {"prompt_tokens": 10, "completion_tokens": "5"}, "cost": {"total": 0.5}},
                 {"name": "llm2", "started_at": "2026-01-26T09:00:00Z", "model": "gpt-y",
                  "token_usage": {"prompt_tokens": 1, "completion_tokens": 2.5}, "cost": {"total": 0.25}},
                 {"name": "llm3", "started_at": "2026-01-23T10:00:00Z", "model": "gpt-x",
                  "token_usage": {"prompt_tokens": 3}},
                 {"name": "late", "started_at": "2026-02-02T00:00:00Z", "model": "gpt-z",
                  "token_usage": {"prompt_tokens": 1000}}])
    trace("2026-02-05T00:00:00Z", 3.0, user="u3")


def test_volume_by_day_hour_and_week(api, window):
    days = analytics(api, "")  # volume, by day: the defaults
    assert days == [
        {"bucket": "2026-01-22T00:00:00+00:00", "trace_count": 3, "error_count": 1,
         "avg_latency_ms": pytest.approx(3633.3333333333335), "p50_latency_ms": 2000.0,
         "p90_latency_ms": days[0]["p90_latency_ms"], "p99_latency_ms": days[0]["p99_latency_ms"]},
        {"bucket": "2026-01-23T00:00:00+00:00", "trace_count": 1, "error_count": 0,
         "avg_latency_ms": None, "p50_latency_ms": None, "p90_latency_ms": None, "p99_latency_ms": None}]
    # percentile_cont over float seconds, then x 1000 (the float artefacts are the real server's)
    assert days[0]["p90_latency_ms"] == (2.0 + (7.9 - 2.0) * (0.9 * 2 - 1)) * 1000
    assert days[0]["p99_latency_ms"] == (2.0 + (7.9 - 2.0) * (0.99 * 2 - 1)) * 1000
    assert analytics(api, "metric=errors") == analytics(api, "metric=latency") == days
    hours = analytics(api, "granularity=hour")
    assert [(h["bucket"], h["trace_count"]) for h in hours] == [
        ("2026-01-22T10:00:00+00:00", 2), ("2026-01-22T11:00:00+00:00", 1), ("2026-01-23T09:00:00+00:00", 1)]
    assert hours[0]["avg_latency_ms"] == 1500.0 and hours[1]["p50_latency_ms"] == 7.9 * 1000
    assert hours[0]["p90_latency_ms"] == (1.0 + (2.0 - 1.0) * 0.9) * 1000 == 1900.0
    weeks = analytics(api, "granularity=week")
    assert [(w["bucket"], w["trace_count"]) for w in weeks] == [("2026-01-19T00:00:00+00:00", 4)]  # a Monday


def test_tokens_cost_and_models(api, window):
    tokens = analytics(api, "metric=tokens")
    assert tokens == [
        {"bucket": "2026-01-23T00:00:00+00:00", "total_tokens": 18, "prompt_tokens": 13,
         "completion_tokens": 5, "total_cost": 0.5},
        {"bucket": "2026-01-26T00:00:00+00:00", "total_tokens": 1, "prompt_tokens": 1,
         "completion_tokens": 0, "total_cost": 0.25}]
    assert analytics(api, "metric=cost") == tokens
    assert analytics(api, "metric=models&granularity=hour") == [
        {"model": "gpt-x", "call_count": 2, "total_tokens": 18, "total_cost": 0.5},
        {"model": "gpt-y", "call_count": 1, "total_tokens": 1, "total_cost": 0.25}]


def test_at_most_ten_models(api):
    ingest(api, started_at="2026-01-10T00:00:00Z", spans=[
        {"name": "s", "started_at": "2026-01-10T00:00:00Z", "model": f"m{i:02d}"} for i in range(12)
        for _ in range(1 + (i == 5))])
    models = analytics(api, "metric=models")
    assert len(models) == 10 and models[0] == {"model": "m05", "call_count": 2, "total_tokens": 0, "total_cost": 0.0}


def test_an_empty_window_is_an_empty_list(api, window):
    assert api.get("/traces/analytics?started_after=2030-01-01&started_before=2030-02-01").get_json() == []


@pytest.mark.parametrize("query, expected", [
    ("", [{"field": "query -> started_after", "message": "Field required"},
          {"field": "query -> started_before", "message": "Field required"}]),
    (f"{WINDOW}&metric=volumes", [{"field": "query -> metric", "message":
        "Input should be 'volume', 'errors', 'latency', 'cost', 'tokens' or 'models'"}]),
    (f"{WINDOW}&granularity=month", [{"field": "query -> granularity",
                                      "message": "Input should be 'hour', 'day' or 'week'"}]),
    ("started_after=x&started_before=2026-01-01", [{"field": "query -> started_after", "message":
        "Input should be a valid datetime or date, input is too short"}]),
])
def test_analytics_validation(api, query, expected):
    assert errors(api.get(f"/traces/analytics?{query}")) == expected


def test_analytics_is_not_a_trace_id(api):
    assert api.get("/traces/analytics").status_code == 422  # its own 422, not a trace id's
    assert "path -> trace_id" not in str(api.get("/traces/analytics").get_json())


def test_users(api, window, other_api):
    ingest(other_api, user_id="u-other")
    body = api.get("/traces/users").get_json()
    assert body == {"items": [
        {"user_id": "u3", "trace_count": 1, "first_seen": "2026-02-05T00:00:00+00:00",
         "last_seen": "2026-02-05T00:00:00+00:00", "error_count": 0},
        {"user_id": "u2", "trace_count": 2, "first_seen": "2026-01-22T11:05:00+00:00",
         "last_seen": "2026-01-23T09:00:00+00:00", "error_count": 0},
        {"user_id": "u1", "trace_count": 2, "first_seen": "2026-01-22T10:15:00+00:00",
         "last_seen": "2026-01-22T10:45:00+00:00", "error_count": 1}],
        "total": 3, "limit": 50, "offset": 0}
    page = api.get("/traces/users?limit=1&offset=1").get_json()
    assert [u["user_id"] for u in page["items"]] == ["u2"] and (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert api.get("/traces/users?limit=200").status_code == 200
    assert errors(api.get("/traces/users?limit=201&offset=-1")) == [
        {"field": "query -> limit", "message": "Input should be less than or equal to 200"},
        {"field": "query -> offset", "message": "Input should be greater than or equal to 0"}]
    assert errors(api.get("/traces/users?limit=0"))[0]["message"] == "Input should be greater than or equal to 1"


def test_batch_tags(api, other_api):
    a = ingest(api, tags=["keep", "old", "z"])
    b = ingest(api, tags=["b"])
    theirs = ingest(other_api, tags=["t"])
    unknown = str(uuid.uuid4())
    response = api.post("/traces/batch/tags", json={"trace_ids": [a, a, b, unknown, theirs],
                                                    "add_tags": ["new", "old"], "remove_tags": ["old", "b"]})
    assert response.get_json() == {"updated": 2}
    assert fetch(api, a)["tags"] == ["keep", "new", "old", "z"]  # removed, then the sorted union
    assert fetch(api, b)["tags"] == ["new", "old"]
    assert fetch(other_api, theirs)["tags"] == ["t"]
    # remove only: the order of the rest is kept, no sorting
    c = ingest(api, tags=["z", "a", "m"])
    assert api.post("/traces/batch/tags", json={"trace_ids": [c], "remove_tags": ["a"]}).get_json() == {"updated": 1}
    assert fetch(api, c)["tags"] == ["z", "m"]
    # both lists empty: nothing touched, 0
    assert api.post("/traces/batch/tags", json={"trace_ids": [c]}).get_json() == {"updated": 0}
    # unchanged tags still count
    assert api.post("/traces/batch/tags", json={"trace_ids": [c], "remove_tags": ["nope"]}).get_json() == {"updated": 1}


def test_batch_delete(api, other_api):
    a, b = ingest(api), ingest(api)
    theirs = ingest(other_api)
    api.score(trace_id=a)
    kept = api.score(trace_id=b)
    response = api.post("/traces/batch/delete", json={"trace_ids": [a, a, theirs, str(uuid.uuid4())]})
    assert response.status_code == 200 and response.get_json() == {"deleted": 1}
    assert api.get(f"/traces/{a}").status_code == 404
    assert [s["id"] for s in api.get(SCORES).get_json()["items"]] == [kept["id"]]
    assert other_api.get(f"/traces/{theirs}").status_code == 200
    assert api.post("/traces/batch/delete", json={"trace_ids": [a]}).get_json() == {"deleted": 0}
    assert api.get("/traces/batch/delete").status_code == 405


@pytest.mark.parametrize("route", ["/traces/batch/delete", "/traces/batch/tags"])
def test_batch_validation(api, route):
    assert errors(api.post(route, json={})) == [{"field": "trace_ids", "message": "Field required"}]
    assert errors(api.post(route, json={"trace_ids": []})) == [{"field": "trace_ids", "message": UUID_LIST_MESSAGES[0]}]
    ids = [str(uuid.uuid4()) for _ in range(501)]
    assert errors(api.post(route, json={"trace_ids": ids})) == [{"field": "trace_ids", "message": UUID_LIST_MESSAGES[1]}]
    assert api.post(route, json={"trace_ids": ids[:500], "add_tags": ["x"]}).status_code == 200
    assert errors(api.post(route, json=[]))[0]["message"] == "Input should be a valid dictionary or object to extract fields from"
    if route.endswith("tags"):
        assert errors(api.post(route, json={"trace_ids": ids[:1], "add_tags": "x"})) == [
            {"field": "add_tags", "message": "Input should be a valid list"}]
