"""Sessions (BEHAVIOR.md, "Sessions"): GET /sessions (aggregates over the selected traces,
filters, sorts), GET /sessions/{id}, GET /sessions/analytics, DELETE /sessions/{id}."""

from __future__ import annotations

import pytest

from conftest import SCORES

SUMMARY_KEYS = ["session_id", "trace_count", "first_trace_at", "last_trace_at", "total_latency_ms",
                "has_error", "user_id", "tags", "total_span_count", "total_tokens", "total_cost"]


def ingest(api, **fields):
    body = {"name": "agent", "started_at": "2026-03-29T10:00:00Z", **fields}
    response = api.post("/traces", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["trace_id"]


def span(started, ended, prompt=10, completion=5, cost=0.5):
    return {"name": "llm", "kind": "LLM", "started_at": started, "ended_at": ended,
            "token_usage": {"prompt_tokens": prompt, "completion_tokens": completion},
            "cost": {"total": cost}}


def errors(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["detail"] == "Validation error"
    return body["errors"]


@pytest.fixture
def sessions(api, clock):
    """Three sessions, ingested at known server times (the `recent` order: s-b, s-c, s-a)."""
    clock.freeze(1_800_000_000_000_000)
    ids = {}
    ids["a1"] = ingest(api, session_id="s-a", user_id=None, started_at="2026-03-29T10:00:00Z",
                       ended_at="2026-03-29T10:00:01.500Z", tags=["x", "b"],
                       spans=[span("2026-03-29T10:00:00Z", "2026-03-29T10:00:01Z")])
    clock.advance(1)
    ids["a2"] = ingest(api, session_id="s-a", user_id="u-2", started_at="2026-03-29T10:05:00Z",
                       ended_at="2026-03-29T10:05:02Z", tags=["a"], status="ERROR",
                       spans=[span("2026-03-29T10:05:00Z", "2026-03-29T10:05:01Z", 1, 1, 0.25),
                              span("2026-03-29T10:05:01Z", "2026-03-29T10:05:02Z", 2, 2, 0.25)])
    ids["a3"] = ingest(api, session_id="s-a", user_id="u-3", started_at="2026-03-29T10:10:00Z",
                       tags=["b"])  # not ended
    clock.advance(1)
    ids["c1"] = ingest(api, session_id="s-c", started_at="2026-03-30T09:00:00Z")  # never ended
    clock.advance(1)
    ids["b1"] = ingest(api, session_id="s-b", user_id="u-1", started_at="2026-03-28T08:00:00Z",
                       ended_at="2026-03-28T08:00:10Z")
    ids["b2"] = ingest(api, session_id="s-b", user_id="u-9", started_at="2026-03-28T08:01:00Z",
                       ended_at="2026-03-28T08:01:30Z")
    ingest(api, started_at="2026-03-29T10:00:00Z")  # no session: in no session
    return ids


def listed(api, query=""):
    response = api.get("/sessions" + query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_list_and_its_aggregates(api, sessions):
    page = listed(api)
    assert list(page) == ["items", "total", "limit", "offset"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 50, 0)
    assert [s["session_id"] for s in page["items"]] == ["s-b", "s-c", "s-a"]  # newest ingestion first
    a = page["items"][2]
    assert list(a) == SUMMARY_KEYS
    assert a == {"session_id": "s-a", "trace_count": 3, "first_trace_at": "2026-03-29T10:00:00+00:00",
                 "last_trace_at": "2026-03-29T10:05:02+00:00", "total_latency_ms": 3500.0,
                 "has_error": True, "user_id": "u-2", "tags": ["a", "b", "x"],
                 "total_span_count": 3, "total_tokens": 21, "total_cost": 1.0}
    c = page["items"][1]
    assert (c["last_trace_at"], c["total_latency_ms"], c["user_id"], c["tags"]) == (None, None, None, [])
    assert (c["total_span_count"], c["total_tokens"], c["total_cost"], c["has_error"]) == (0, 0, 0.0, False)
    b = page["items"][0]
    assert b["user_id"] == "u-1"  # the earliest-started trace's
    assert b["total_latency_ms"] == 40000.0


def test_filters_select_traces_first(api, sessions):
    page = listed(api, "?user_id=u-2")
    assert page["total"] == 1
    (a,) = page["items"]
    assert (a["trace_count"], a["first_trace_at"], a["tags"], a["total_span_count"]) == (
        1, "2026-03-29T10:05:00+00:00", ["a"], 2)
    page = listed(api, "?started_after=2026-03-29T10:01:00Z&started_before=2026-03-30T00:00:00Z")
    (a,) = page["items"]
    assert (a["session_id"], a["trace_count"], a["user_id"], a["last_trace_at"]) == (
        "s-a", 2, "u-2", "2026-03-29T10:05:02+00:00")
    assert [s["session_id"] for s in listed(api, "?tags=x&tags=zzz")["items"]] == ["s-a"]
    assert listed(api, "?tags=x")["items"][0]["trace_count"] == 1


def test_has_error_keeps_sessions_by_their_selected_traces(api, sessions):
    assert [s["session_id"] for s in listed(api, "?has_error=true")["items"]] == ["s-a"]
    assert {s["session_id"] for s in listed(api, "?has_error=false")["items"]} == {"s-b", "s-c"}
    # filtered to s-a's first trace only, s-a has no error among them
    assert [s["session_id"] for s in listed(api, "?has_error=false&user_id=u-3")["items"]] == ["s-a"]
    assert listed(api, "?has_error=1")["total"] == 1 and listed(api, "?has_error=NO")["total"] == 2


def test_query_is_a_literal_case_insensitive_substring(api, sessions):
    ingest(api, session_id="Odd_50%\\x")
    ingest(api, session_id="oddx50yx")
    assert [s["session_id"] for s in listed(api, "?query=S-A")["items"]] == ["s-a"]
    assert [s["session_id"] for s in listed(api, "?query=_50%25")["items"]] == ["Odd_50%\\x"]
    assert [s["session_id"] for s in listed(api, "?query=%5C")["items"]] == ["Odd_50%\\x"]
    assert listed(api, "?query=ODD")["total"] == 2


@pytest.mark.parametrize("query, expected", [
    ("?sort_by=trace_count", ["s-a", "s-b", "s-c"]),
    ("?sort_by=trace_count&sort_order=asc", ["s-c", "s-b", "s-a"]),
    ("?sort_by=latency", ["s-c", "s-b", "s-a"]),  # nulls first when descending
    ("?sort_by=latency&sort_order=asc", ["s-a", "s-b", "s-c"]),  # last when ascending
    ("?sort_by=cost", ["s-a", "s-b", "s-c"]),
    ("?sort_by=recent&sort_order=asc", ["s-a", "s-c", "s-b"]),
])
def test_sorts(api, sessions, query, expected):
    assert [s["session_id"] for s in listed(api, query)["items"]] == expected


def test_recent_is_the_ingestion_time_not_the_start(api, sessions, clock):
    clock.advance(10)
    ingest(api, session_id="s-a", started_at="2020-01-01T00:00:00Z")  # old trace, ingested last
    assert listed(api)["items"][0]["session_id"] == "s-a"


def test_paging(api, sessions):
    page = listed(api, "?limit=1&offset=1")
    assert [s["session_id"] for s in page["items"]] == ["s-c"] and page["total"] == 3
    page = listed(api, "?offset=5")
    assert page["items"] == [] and page["total"] == 3
    assert listed(api, "?limit=200")["limit"] == 200


@pytest.mark.parametrize("query, field, message", [
    ("?sort_by=name", "query -> sort_by", "Input should be 'recent', 'trace_count', 'latency' or 'cost'"),
    ("?has_error=maybe", "query -> has_error", "Input should be a valid boolean, unable to interpret input"),
    ("?limit=201", "query -> limit", "Input should be less than or equal to 200"),
    ("?limit=0", "query -> limit", "Input should be greater than or equal to 1"),
    ("?offset=-1", "query -> offset", "Input should be greater than or equal to 0"),
    ("?sort_order=DESC", "query -> sort_order", "Input should be 'asc' or 'desc'"),
    ("?started_after=yesterday", "query -> started_after",
     "Input should be a valid datetime or date, input is too short"),
])
def test_list_validation(api, query, field, message):
    assert errors(api.get("/sessions" + query)) == [{"field": field, "message": message}]


def test_the_detail(api, sessions):
    response = api.get("/sessions/s-a")
    assert response.status_code == 200
    detail = response.get_json()
    assert list(detail) == SUMMARY_KEYS + ["traces"]
    assert detail["trace_count"] == 3 and detail["has_error"] is True
    assert [t["trace_id"] for t in detail["traces"]] == [sessions["a1"], sessions["a2"], sessions["a3"]]
    second = detail["traces"][1]
    assert len(second["spans"]) == 2 and second["total_tokens"] == 6 and second["total_cost"] == 0.5
    paged = api.get("/sessions/s-a?limit=1&offset=1").get_json()
    assert [t["trace_id"] for t in paged["traces"]] == [sessions["a2"]]
    assert paged["trace_count"] == 3 and "total" not in paged  # the summary is over all traces
    assert api.get("/sessions/s-a?limit=1000").status_code == 200
    assert errors(api.get("/sessions/s-a?limit=1001")) == [
        {"field": "query -> limit", "message": "Input should be less than or equal to 1000"}]


def test_the_detail_url_decodes_its_id(api):
    ingest(api, session_id="s_4 %")
    response = api.get("/sessions/s_4%20%25")
    assert response.status_code == 200 and response.get_json()["session_id"] == "s_4 %"


def test_unknown_session(api, sessions):
    for response in (api.get("/sessions/nope"), api.delete("/sessions/nope")):
        assert response.status_code == 404
        assert response.get_json() == {"detail": "Session 'nope' not found."}


def test_delete_takes_traces_spans_and_trace_scores_but_not_session_scores(api, app, sessions):
    store = app.extensions["store"]
    project_id = store.project_id_for_name("demo")
    api.score(trace_id=sessions["a1"])
    other = api.score(trace_id=sessions["b1"])
    store.insert_session_scores([{"session_id": "s-a", "project_id": project_id,
                                  "name": "agent_reliability", "value": "0.5"}])
    response = api.delete("/sessions/s-a")
    assert response.status_code == 200 and response.get_json() == {"deleted": 3}
    assert api.get("/sessions/s-a").status_code == 404
    assert api.get(f"/traces/{sessions['a2']}").status_code == 404
    assert api.get(SCORES).get_json()["items"] == [other]
    assert len(api.get("/evaluations/session-scores/s-a").get_json()) == 1
    assert api.delete("/sessions/s-a").status_code == 404
    assert listed(api)["total"] == 2


def test_sessions_are_project_scoped(api, other_api, sessions):
    assert listed(other_api)["total"] == 0
    assert other_api.get("/sessions/s-a").status_code == 404
    assert other_api.delete("/sessions/s-a").status_code == 404
    assert listed(api)["total"] == 3


def test_analytics(api, sessions):
    response = api.get("/sessions/analytics?started_after=2026-03-28T00:00:00Z"
                       "&started_before=2026-04-01T00:00:00Z")
    assert response.status_code == 200
    assert response.get_json() == [
        {"bucket": "2026-03-28T00:00:00+00:00", "session_count": 1, "avg_traces_per_session": 2.0,
         "avg_session_duration_ms": 40000.0},
        {"bucket": "2026-03-29T00:00:00+00:00", "session_count": 1, "avg_traces_per_session": 3.0,
         "avg_session_duration_ms": 3500.0},
        {"bucket": "2026-03-30T00:00:00+00:00", "session_count": 1, "avg_traces_per_session": 1.0,
         "avg_session_duration_ms": None},
    ]
    week = api.get("/sessions/analytics?granularity=week&started_after=2026-03-28T00:00:00Z"
                   "&started_before=2026-04-01T00:00:00Z").get_json()
    assert [(b["bucket"], b["session_count"]) for b in week] == [
        ("2026-03-23T00:00:00+00:00", 2), ("2026-03-30T00:00:00+00:00", 1)]
    assert week[0]["avg_traces_per_session"] == 2.5
    hour = api.get("/sessions/analytics?granularity=hour&started_after=2026-03-29T10:01:00Z"
                   "&started_before=2026-03-29T11:00:00Z").get_json()
    assert hour == [{"bucket": "2026-03-29T10:00:00+00:00", "session_count": 1,
                     "avg_traces_per_session": 2.0, "avg_session_duration_ms": 2000.0}]


def test_analytics_validation(api):
    assert errors(api.get("/sessions/analytics")) == [
        {"field": "query -> started_after", "message": "Field required"},
        {"field": "query -> started_before", "message": "Field required"}]
    assert errors(api.get("/sessions/analytics?granularity=month&started_after=2026-01-01"
                          "&started_before=2026-02-01")) == [
        {"field": "query -> granularity", "message": "Input should be 'hour', 'day' or 'week'"}]


def test_session_routes_need_credentials(client):
    for path in ("/sessions", "/sessions/x", "/sessions/analytics?started_after=1&started_before=2"):
        assert client.get(path).status_code == 401
    assert client.delete("/sessions/x").status_code == 401


def test_the_unfiltered_listing_agrees_with_the_filtered_one(api, sessions, clock):
    """The default listing takes a shortcut (no aggregation of every session); a filter that
    keeps everything goes the general way: same answer, page by page."""
    for i in range(7):
        clock.advance(1)
        ingest(api, session_id=f"extra-{i}", started_at=f"2026-03-2{i}T00:00:00Z")
    for query in ("?limit=50", "?limit=3", "?limit=3&offset=3", "?limit=4&offset=8", "?offset=9"):
        fast = listed(api, query)
        general = listed(api, query + "&started_after=2000-01-01")
        assert fast == general, query


def test_an_offset_past_sqlites_integers_is_an_empty_page(api, sessions):
    huge = "offset=100000000000000000000"
    for query in (f"?{huge}", f"?{huge}&sort_by=trace_count", f"?{huge}&has_error=true"):
        page = listed(api, query)
        assert page["items"] == [] and page["total"] in (1, 3), query
    detail = api.get(f"/sessions/s-a?{huge}").get_json()
    assert detail["traces"] == [] and detail["trace_count"] == 3
