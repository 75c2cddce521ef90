"""The trace routes: POST /traces (upsert and its merge rules), spans, PATCH, GET, list, DELETE."""

import uuid

import pytest

from pandaprobe_fake.app import create_app
from conftest import SCORES, Api, key_headers

TRACE_KEYS = ["trace_id", "project_id", "name", "status", "input", "output", "metadata", "started_at",
              "ended_at", "session_id", "user_id", "tags", "environment", "release", "spans",
              "total_tokens", "total_cost"]
SPAN_KEYS = ["span_id", "trace_id", "parent_span_id", "name", "kind", "status", "input", "output",
             "model", "token_usage", "metadata", "started_at", "ended_at", "error",
             "completion_start_time", "model_parameters", "cost", "latency_ms", "time_to_first_token_ms"]
LIST_KEYS = ["trace_id", "name", "status", "started_at", "ended_at", "session_id", "user_id", "tags",
             "environment", "release", "latency_ms", "span_count", "total_tokens", "total_cost"]


def ingest(api, **fields):
    body = {"name": "agent", "started_at": "2026-03-29T10:00:00Z", **fields}
    response = api.post("/traces", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["trace_id"]


def fetch(api, trace_id):
    response = api.get(f"/traces/{trace_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def errors(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["detail"] == "Validation error"
    return response.get_json()["errors"]


LLM_SPAN = {"span_id": "f1e2d3c4-b5a6-7890-abcd-ef1234567890", "name": "llm-call", "kind": "LLM",
            "status": "OK", "model": "gpt-x", "input": {"messages": [{"role": "user", "content": "hi"}]},
            "started_at": "2026-03-29T10:00:00.100Z", "ended_at": "2026-03-29T10:00:02.400Z",
            "completion_start_time": "2026-03-29T10:00:00.600Z",
            "token_usage": {"prompt_tokens": 45, "completion_tokens": 22, "total_tokens": 67},
            "cost": {"total": 0.25, "input": 0.05}, "model_parameters": {"temperature": 0.2},
            "metadata": {"k": "v"}}


def test_ingest_and_read_back_field_by_field(api):
    trace_id = str(uuid.uuid4())
    response = api.post("/traces", json={
        "trace_id": trace_id.upper(), "name": "customer-support-agent", "status": "COMPLETED",
        "input": {"query": "reset?"}, "output": "plain text output", "metadata": {"env": "prod"},
        "started_at": "2026-03-29T10:00:00Z", "ended_at": "2026-03-29T10:00:02.450Z",
        "session_id": "sess-1", "user_id": "user-42", "tags": ["production", "support"],
        "environment": "production", "release": "v1", "spans": [LLM_SPAN]})
    assert response.status_code == 202
    accepted = response.get_json()
    assert list(accepted) == ["trace_id", "task_id"]
    assert accepted["trace_id"] == trace_id and accepted["task_id"]
    trace = fetch(api, trace_id)  # stored at once: readable right after the 202
    assert list(trace) == TRACE_KEYS
    assert trace["name"] == "customer-support-agent"
    assert (trace["input"], trace["output"], trace["metadata"]) == ({"query": "reset?"}, "plain text output", {"env": "prod"})
    assert (trace["started_at"], trace["ended_at"]) == ("2026-03-29T10:00:00+00:00", "2026-03-29T10:00:02.450000+00:00")
    assert (trace["session_id"], trace["user_id"], trace["tags"]) == ("sess-1", "user-42", ["production", "support"])
    assert (trace["environment"], trace["release"]) == ("production", "v1")
    uuid.UUID(trace["project_id"])
    (span,) = trace["spans"]
    assert list(span) == SPAN_KEYS
    assert span["span_id"] == LLM_SPAN["span_id"] and span["trace_id"] == trace_id
    assert (span["kind"], span["status"], span["model"]) == ("LLM", "OK", "gpt-x")
    assert span["token_usage"] == LLM_SPAN["token_usage"] and span["cost"] == LLM_SPAN["cost"]
    assert span["model_parameters"] == {"temperature": 0.2} and span["metadata"] == {"k": "v"}
    assert span["latency_ms"] == 2300.0
    assert span["time_to_first_token_ms"] == 500.0
    assert span["completion_start_time"] == "2026-03-29T10:00:00.600000+00:00"


def test_defaults(api):
    trace_id = ingest(api, spans=[{"name": "s", "started_at": "2026-03-29T10:00:01Z"}])
    uuid.UUID(trace_id)  # generated when absent
    trace = fetch(api, trace_id)
    assert (trace["status"], trace["metadata"], trace["tags"], trace["input"], trace["ended_at"]) == (
        "COMPLETED", {}, [], None, None)
    span = trace["spans"][0]
    uuid.UUID(span["span_id"])
    assert (span["kind"], span["status"], span["metadata"], span["latency_ms"], span["time_to_first_token_ms"]) == (
        "OTHER", "UNSET", {}, None, None)


def test_second_post_merges(api):
    trace_id = ingest(api, name="first", status="RUNNING", input={"a": 1}, output={"o": 1},
                      ended_at="2026-03-29T10:00:05Z", session_id="s1", user_id="u1",
                      environment="dev", release="r1", metadata={"a": 1, "b": 1}, tags=["x", "y"],
                      spans=[LLM_SPAN])
    ingest(api, trace_id=trace_id, name="second", status="COMPLETED", started_at="2026-03-29T09:00:00Z",
           input=None, metadata={"b": 2, "c": 3}, tags=["y", "z"], user_id="u2",
           spans=[{"span_id": LLM_SPAN["span_id"], "name": "renamed", "started_at": "2026-03-29T10:00:00.200Z",
                   "metadata": {"k2": "v2"}, "error": "late error"},
                  {"name": "new span", "started_at": "2026-03-29T10:00:03Z"}])
    trace = fetch(api, trace_id)
    assert (trace["name"], trace["status"], trace["started_at"]) == ("second", "COMPLETED", "2026-03-29T09:00:00+00:00")
    # input and output always take the new value, null (or absent) included (T1)
    assert (trace["input"], trace["output"], trace["ended_at"]) == (None, None, "2026-03-29T10:00:05+00:00")
    assert (trace["session_id"], trace["user_id"], trace["environment"], trace["release"]) == ("s1", "u2", "dev", "r1")
    assert trace["metadata"] == {"a": 1, "b": 2, "c": 3}
    assert trace["tags"] == ["x", "y", "z"]
    renamed, new = trace["spans"]
    assert (renamed["name"], renamed["kind"], renamed["status"]) == ("renamed", "OTHER", "UNSET")
    assert renamed["model"] == "gpt-x"  # kept when the new one is null
    assert (renamed["token_usage"], renamed["cost"], renamed["input"]) == (None, None, None)  # T1
    assert renamed["ended_at"] == "2026-03-29T10:00:02.400000+00:00" and renamed["error"] == "late error"
    assert renamed["metadata"] == {"k": "v", "k2": "v2"}
    assert new["name"] == "new span"
    assert api.get("/traces").get_json()["total"] == 1


def test_add_spans(api):
    trace_id = ingest(api)
    parent = str(uuid.uuid4())
    response = api.post(f"/traces/{trace_id}/spans", json=[
        {"span_id": parent, "name": "agent", "kind": "AGENT", "started_at": "2026-03-29T10:00:00Z"},
        {"name": "tool", "kind": "TOOL", "parent_span_id": parent, "started_at": 1774778401}])
    assert response.status_code == 201
    span_ids = response.get_json()["span_ids"]
    assert span_ids[0] == parent and len(span_ids) == 2
    spans = fetch(api, trace_id)["spans"]
    assert [s["span_id"] for s in spans] == span_ids
    assert spans[1]["parent_span_id"] == parent
    assert spans[1]["started_at"] == "2026-03-29T10:00:01+00:00"  # unix seconds
    again = api.post(f"/traces/{trace_id}/spans", json=[{"span_id": parent, "name": "agent v2",
                                                          "started_at": "2026-03-29T10:00:00Z"}])
    assert again.get_json() == {"span_ids": [parent]}
    assert [s["name"] for s in fetch(api, trace_id)["spans"]] == ["agent v2", "tool"]


def test_add_spans_errors(api):
    missing = str(uuid.uuid4())
    response = api.post(f"/traces/{missing}/spans", json=[{"name": "s", "started_at": "2026-01-01"}])
    assert response.status_code == 404
    assert response.get_json() == {"detail": f"Trace {missing} not found."}
    trace_id = ingest(api)
    assert errors(api.post(f"/traces/{trace_id}/spans", json=[])) == [
        {"field": "", "message": "List should have at least 1 item after validation, not 0"}]
    assert errors(api.post(f"/traces/{trace_id}/spans", json={"name": "s"})) == [
        {"field": "", "message": "Input should be a valid list"}]
    assert errors(api.post(f"/traces/{trace_id}/spans", json=[{"name": ""}, 3])) == [
        {"field": "0 -> name", "message": "String should have at least 1 character"},
        {"field": "0 -> started_at", "message": "Field required"},
        {"field": "1", "message": "Input should be a valid dictionary or object to extract fields from"}]
    too_many = [{"name": "s", "started_at": "2026-01-01"}] * 501
    assert errors(api.post(f"/traces/{trace_id}/spans", json=too_many)) == [
        {"field": "", "message": "List should have at most 500 items after validation, not 501"}]
    assert errors(api.post("/traces/nope/spans", json=[{"name": "s", "started_at": "2026-01-01"}]))[0][
        "field"] == "path -> trace_id"
    assert fetch(api, trace_id)["spans"] == []


def test_ingest_validation(api):
    response = api.post("/traces", json={"trace_id": "x", "name": "", "status": "DONE", "started_at": True,
                                         "tags": ["ok", 1], "metadata": [], "session_id": "s" * 256,
                                         "spans": [{"name": "s"}, {"name": "t", "started_at": "never",
                                                                   "kind": "llm", "cost": {"total": "x"}}]})
    assert errors(response) == [
        {"field": "trace_id", "message": "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1"},
        {"field": "name", "message": "String should have at least 1 character"},
        {"field": "status", "message": "Input should be 'PENDING', 'RUNNING', 'COMPLETED' or 'ERROR'"},
        {"field": "metadata", "message": "Input should be a valid dictionary"},
        {"field": "started_at", "message": "Input should be a valid datetime"},
        {"field": "session_id", "message": "String should have at most 255 characters"},
        {"field": "tags -> 1", "message": "Input should be a valid string"},
        {"field": "spans -> 0 -> started_at", "message": "Field required"},
        {"field": "spans -> 1 -> kind",
         "message": "Input should be 'AGENT', 'TOOL', 'LLM', 'RETRIEVER', 'CHAIN', 'EMBEDDING' or 'OTHER'"},
        {"field": "spans -> 1 -> started_at", "message": "Input should be a valid datetime or date, input is too short"},
        {"field": "spans -> 1 -> cost -> total",
         "message": "Input should be a valid number, unable to parse string as a number"},
    ]
    assert errors(api.post("/traces", json={"started_at": "2026-01-01"})) == [
        {"field": "name", "message": "Field required"}]
    assert errors(api.post("/traces", json={"name": "n" * 513, "started_at": "2026-01-01"})) == [
        {"field": "name", "message": "String should have at most 512 characters"}]
    spans = [{"name": "s", "started_at": "2026-01-01"}] * 501
    assert errors(api.post("/traces", json={"name": "n", "started_at": "2026-01-01", "spans": spans})) == [
        {"field": "spans", "message": "List should have at most 500 items after validation, not 501"}]
    assert errors(api.post("/traces", json={"name": "n", "started_at": "2026-01-01", "input": "\x00"}))[0][
        "field"] == "input"
    assert api.get("/traces").get_json()["total"] == 0


def test_patch_trace(api):
    trace_id = ingest(api, session_id="s1", user_id="u1", metadata={"a": 1, "b": 1}, tags=["x"],
                      output={"o": 1}, ended_at="2026-03-29T10:00:05Z", spans=[LLM_SPAN])
    response = api.patch(f"/traces/{trace_id}", json={"session_id": None, "metadata": {"b": 2},
                                                      "name": "renamed", "status": "ERROR",
                                                      "tags": ["y"], "ended_at": None, "unknown": 1})
    assert response.status_code == 200
    trace = response.get_json()
    assert list(trace) == TRACE_KEYS
    assert (trace["session_id"], trace["user_id"]) == (None, "u1")  # null clears; absent stays
    assert trace["metadata"] == {"a": 1, "b": 2}  # shallow merge
    assert (trace["name"], trace["status"], trace["tags"], trace["ended_at"]) == ("renamed", "ERROR", ["y"], None)
    assert trace["output"] == {"o": 1} and len(trace["spans"]) == 1
    assert fetch(api, trace_id) == trace
    # null clears output; on metadata and tags (never null) it is ignored (P1-P3)
    cleared = api.patch(f"/traces/{trace_id}", json={"output": None, "metadata": None, "tags": None}).get_json()
    assert (cleared["output"], cleared["metadata"], cleared["tags"]) == (None, {"a": 1, "b": 2}, ["y"])
    assert api.patch(f"/traces/{trace_id}", json={}).get_json() == cleared
    # tags replace the stored list exactly as sent: order and duplicates kept
    assert api.patch(f"/traces/{trace_id}", json={"tags": ["b", "a", "b"]}).get_json()["tags"] == ["b", "a", "b"]


def test_patch_trace_errors(api):
    missing = str(uuid.uuid4())
    response = api.patch(f"/traces/{missing}", json={"name": "x"})
    assert response.status_code == 404
    assert response.get_json() == {"detail": f"Trace {missing} not found."}
    trace_id = ingest(api)
    assert errors(api.patch(f"/traces/{trace_id}", json={"name": "", "status": None, "tags": "x"})) == [
        {"field": "name", "message": "String should have at least 1 character"},  # a 500 upstream (P4)
        {"field": "tags", "message": "Input should be a valid list"}]
    assert errors(api.patch(f"/traces/{missing}", json={"name": ""}))[0]["field"] == "name"  # before the lookup
    ignored = api.patch(f"/traces/{trace_id}", json={"name": None, "status": None})
    assert ignored.status_code == 200 and (ignored.get_json()["name"], ignored.get_json()["status"]) == (
        "agent", "COMPLETED")
    assert api.patch(f"/traces/{trace_id}", json={"name": "n" * 512}).status_code == 200
    assert errors(api.patch(f"/traces/{trace_id}", json={"name": "n" * 513})) == [
        {"field": "name", "message": "String should have at most 512 characters"}]
    assert api.patch(f"/traces/{trace_id}", json={"name": "agent"}).status_code == 200
    assert errors(api.patch(f"/traces/{trace_id}", json={"status": "done"})) == [
        {"field": "status", "message": "Input should be 'PENDING', 'RUNNING', 'COMPLETED' or 'ERROR'"}]
    assert errors(api.patch(f"/traces/{trace_id}", data=b"", content_type="application/json")) == [
        {"field": "", "message": "Field required"}]
    assert fetch(api, trace_id)["name"] == "agent"


def test_patch_span(api):
    trace_id = ingest(api, spans=[LLM_SPAN])
    span_id = LLM_SPAN["span_id"]
    response = api.patch(f"/traces/{trace_id}/spans/{span_id}", json={
        "status": "ERROR", "error": "boom", "metadata": {"k3": 3}, "model": None,
        "ended_at": "2026-03-29T10:00:03.100Z", "cost": {"total": 1}})
    assert response.status_code == 200
    span = response.get_json()
    assert list(span) == SPAN_KEYS
    assert (span["status"], span["error"], span["model"]) == ("ERROR", "boom", None)
    assert span["metadata"] == {"k": "v", "k3": 3}
    assert span["latency_ms"] == 3000.0 and span["cost"] == {"total": 1}
    assert span["name"] == "llm-call" and span["kind"] == "LLM"
    assert fetch(api, trace_id)["spans"] == [span]
    listed = api.get("/traces").get_json()["items"][0]
    assert listed["total_cost"] == 1.0


def test_patch_span_errors(api):
    trace_id = ingest(api, spans=[LLM_SPAN])
    missing = str(uuid.uuid4())
    response = api.patch(f"/traces/{trace_id}/spans/{missing}", json={"name": "x"})
    assert response.status_code == 404
    assert response.get_json() == {"detail": f"Span {missing} not found on trace {trace_id}."}
    unknown_trace = str(uuid.uuid4())  # P5: an unknown trace reads as an unknown span
    response = api.patch(f"/traces/{unknown_trace}/spans/{LLM_SPAN['span_id']}", json={})
    assert response.status_code == 404
    assert response.get_json() == {"detail": f"Span {LLM_SPAN['span_id']} not found on trace {unknown_trace}."}
    response = api.patch(f"/traces/{trace_id}/spans/bad", json={"name": ""})
    assert errors(response) == [
        {"field": "path -> span_id", "message": "Input should be a valid UUID, invalid length: expected length 32 for simple format, found 3"},
        {"field": "name", "message": "String should have at least 1 character"}]
    kept = api.patch(f"/traces/{trace_id}/spans/{LLM_SPAN['span_id']}",
                     json={"name": None, "kind": None, "status": None, "metadata": None, "model": None})
    assert kept.status_code == 200
    span = kept.get_json()
    assert (span["name"], span["kind"], span["status"], span["metadata"], span["model"]) == (
        "llm-call", "LLM", "OK", {"k": "v"}, None)


def test_get_trace_errors(api):
    missing = str(uuid.uuid4())
    response = api.get(f"/traces/{missing}")
    assert response.status_code == 404
    assert response.get_json() == {"detail": f"Trace {missing} not found."}
    assert errors(api.get("/traces/zzz"))[0]["field"] == "path -> trace_id"


def test_delete_trace_takes_spans_and_scores(api):
    trace_id = ingest(api, spans=[LLM_SPAN])
    keep_trace = ingest(api, spans=[{"span_id": LLM_SPAN["span_id"], "name": "same id elsewhere",
                                     "started_at": "2026-01-01"}])
    api.score(trace_id=trace_id)
    kept = api.score(trace_id=keep_trace)
    assert api.get(SCORES).get_json()["total"] == 2  # (and the store now remembers the count)
    response = api.delete(f"/traces/{trace_id}")
    assert response.status_code == 204 and response.get_data() == b""
    assert api.get(f"/traces/{trace_id}").status_code == 404
    listed = api.get(SCORES).get_json()
    assert [s["id"] for s in listed["items"]] == [kept["id"]] and listed["total"] == 1
    assert len(fetch(api, keep_trace)["spans"]) == 1
    again = api.delete(f"/traces/{trace_id}")
    assert again.status_code == 404
    assert again.get_json() == {"detail": f"Trace {trace_id} not found."}
    # the trace can be sent again and comes back without its old spans
    ingest(api, trace_id=trace_id)
    assert fetch(api, trace_id)["spans"] == []


@pytest.fixture
def listed(api):
    ids = {}
    ids["a"] = ingest(api, name="Flight Booking Agent", status="COMPLETED", session_id="s1", user_id="u1",
                      tags=["prod", "booking"], started_at="2026-03-01T10:00:00Z",
                      ended_at="2026-03-01T10:00:03Z",
                      spans=[{"name": "llm", "started_at": "2026-03-01T10:00:00Z",
                              "token_usage": {"prompt_tokens": 10, "completion_tokens": 5},
                              "cost": {"total": 0.5}},
                             {"name": "llm2", "started_at": "2026-03-01T10:00:01Z",
                              "token_usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 999},
                              "cost": {"total": 0.25, "input": 9}},
                             {"name": "tool", "started_at": "2026-03-01T10:00:02Z"}])
    ids["b"] = ingest(api, name="support bot", status="ERROR", session_id="s2", user_id="u1", tags=["dev"],
                      started_at="2026-03-02T10:00:00Z", ended_at="2026-03-02T10:00:01Z")
    ids["c"] = ingest(api, name="BOOKING checker", status="RUNNING", session_id="s1", user_id="u2",
                      tags=["prod"], started_at="2026-03-03T10:00:00Z")
    return ids


def trace_ids(api, query=""):
    response = api.get(f"/traces?{query}")
    assert response.status_code == 200, response.get_json()
    return [t["trace_id"] for t in response.get_json()["items"]]


def test_list_items_and_figures(api, listed):
    body = api.get("/traces").get_json()
    assert list(body) == ["items", "total", "limit", "offset"]
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    items = {t["trace_id"]: t for t in body["items"]}
    a = items[listed["a"]]
    assert list(a) == LIST_KEYS
    assert (a["latency_ms"], a["span_count"], a["total_tokens"], a["total_cost"]) == (3000.0, 3, 18, 0.75)
    c = items[listed["c"]]
    assert (c["latency_ms"], c["span_count"], c["total_tokens"], c["total_cost"]) == (None, 0, 0, 0.0)


def test_the_detail_and_the_patch_answer_carry_the_totals(api, listed):
    """TraceResponse's total_tokens / total_cost: the list's figures, 0 / 0.0 without spans."""
    for trace_id, totals in ((listed["a"], (18, 0.75)), (listed["c"], (0, 0.0))):
        detail = fetch(api, trace_id)
        assert (detail["total_tokens"], detail["total_cost"]) == totals
        assert type(detail["total_cost"]) is float
        patched = api.patch(f"/traces/{trace_id}", json={"release": "v2"}).get_json()
        assert (patched["total_tokens"], patched["total_cost"]) == totals


@pytest.mark.parametrize("query,expected", [
    ("", "cba"),
    ("sort_order=asc", "abc"),
    ("sort_by=name&sort_order=asc", "cab"),       # 'B' < 'F' < 's'
    ("sort_by=latency", "cab"),                   # nulls first when descending, as PostgreSQL
    ("sort_by=latency&sort_order=asc", "bac"),    # ... and last when ascending
    ("sort_by=ended_at&sort_order=asc", "abc"),
    ("sort_by=status&sort_order=asc", "abc"),     # COMPLETED < ERROR < RUNNING
    ("session_id=s1", "ca"),
    ("user_id=u1", "ba"),
    ("status=ERROR", "b"),
    ("name=booking", "ca"),                       # case-insensitive substring
    ("name=BOT", "b"),
    ("tags=prod", "ca"),
    ("tags=dev&tags=booking", "ba"),              # any of the tags
    ("tags=none", ""),
    ("started_after=2026-03-02T00:00:00Z", "cb"),
    ("started_before=2026-03-02T10:00:00Z", "a"),
    ("limit=1&offset=1", "b"),
    ("offset=3", ""),
    ("offset=17315208304707691209555968", ""),     # past SQLite's integers: still just past the end
    ("session_id=s1' OR '1'='1", ""),
])
def test_list_filters_and_sorts(api, listed, query, expected):
    assert trace_ids(api, query) == [listed[k] for k in expected]


@pytest.mark.parametrize("query,field", [
    ("limit=0", "query -> limit"), ("limit=201", "query -> limit"), ("offset=-1", "query -> offset"),
    ("status=done", "query -> status"), ("sort_by=latency_ms", "query -> sort_by"),
    ("sort_order=DESC", "query -> sort_order"), ("started_after=x", "query -> started_after"),
])
def test_list_bad_queries(api, query, field):
    assert [e["field"] for e in errors(api.get(f"/traces?{query}"))] == [field]


def test_traces_are_project_scoped(api, other_api):
    trace_id = ingest(api, spans=[LLM_SPAN])
    assert other_api.get(f"/traces/{trace_id}").status_code == 404
    assert other_api.get("/traces").get_json()["total"] == 0
    assert other_api.patch(f"/traces/{trace_id}", json={"name": "x"}).status_code == 404
    assert other_api.patch(f"/traces/{trace_id}/spans/{LLM_SPAN['span_id']}", json={}).status_code == 404
    assert other_api.post(f"/traces/{trace_id}/spans", json=[{"name": "s", "started_at": "2026-01-01"}]).status_code == 404
    assert other_api.delete(f"/traces/{trace_id}").status_code == 404
    # the other project may use the same trace id for a trace of its own
    ingest(other_api, trace_id=trace_id, name="theirs")
    assert fetch(api, trace_id)["name"] == "agent"
    assert fetch(other_api, trace_id)["name"] == "theirs"
    assert fetch(api, trace_id)["spans"][0]["name"] == "llm-call"


def test_trace_routes_need_credentials(client):
    for method, path in [("post", "/traces"), ("get", "/traces"), ("get", f"/traces/{uuid.uuid4()}"),
                         ("patch", f"/traces/{uuid.uuid4()}"), ("delete", f"/traces/{uuid.uuid4()}"),
                         ("post", f"/traces/{uuid.uuid4()}/spans"),
                         ("patch", f"/traces/{uuid.uuid4()}/spans/{uuid.uuid4()}")]:
        assert getattr(client, method)(path).status_code == 401


def test_scores_for_unknown_traces_are_accepted_by_default(api):
    assert api.score(trace_id=str(uuid.uuid4()))["status"] == "SUCCESS"


@pytest.fixture
def strict_api(tmp_path):
    app = create_app({"database": str(tmp_path / "strict.db"), "strict_traces": True})
    yield Api(app.test_client(), key_headers())
    app.extensions["store"].close()


def test_strict_traces(strict_api):
    missing = str(uuid.uuid4())
    response = strict_api.post(SCORES, json={"trace_id": missing, "name": "n", "value": "0.5"})
    assert response.status_code == 404
    assert response.get_json() == {"detail": f"Trace {missing} not found."}
    assert strict_api.get(SCORES).get_json()["total"] == 0
    trace_id = ingest(strict_api)
    assert strict_api.score(trace_id=trace_id)["trace_id"] == trace_id
