"""The trace routes point by point as the live server answers them (BEHAVIOR.md, "Traces"):
the upsert rules, the totals, JSONB key order, span figures, the name filter, PATCH nulls,
the UUID message on every route, and the upstream defects the fake does not copy."""

import json
import sys
import uuid

import pytest

from conftest import SCORES, key_headers
from test_traces import LLM_SPAN, errors, fetch, ingest

T0 = "2026-03-29T10:00:00Z"


def span(**fields):
    return {"name": "s", "started_at": T0, **fields}


# -- upsert ------------------------------------------------------------------------------------


def test_a_repost_keeps_replaces_or_nulls_each_trace_field(api):
    trace_id = ingest(api, name="one", status="ERROR", input={"i": 1}, output="out",
                      ended_at="2026-03-29T10:00:05Z", session_id="s", user_id="u",
                      environment="e", release="r", metadata={"a": 1, "b": {"x": 1}})
    ingest(api, trace_id=trace_id, name="two", started_at="2026-03-29T11:00:00Z",
           metadata={"b": {"y": 2}, "c": 3})
    trace = fetch(api, trace_id)
    assert (trace["name"], trace["started_at"]) == ("two", "2026-03-29T11:00:00+00:00")
    assert trace["status"] == "COMPLETED"  # an omitted status is the default: it resets
    assert (trace["input"], trace["output"]) == (None, None)  # T1: always the new value
    assert (trace["ended_at"], trace["session_id"], trace["user_id"], trace["environment"],
            trace["release"]) == ("2026-03-29T10:00:05+00:00", "s", "u", "e", "r")  # kept when null
    assert trace["metadata"] == {"a": 1, "b": {"y": 2}, "c": 3}  # shallow: a nested object is replaced
    ingest(api, trace_id=trace_id, session_id="s2", input=[1, 2])
    assert (fetch(api, trace_id)["session_id"], fetch(api, trace_id)["input"]) == ("s2", [1, 2])


@pytest.mark.parametrize("first, second, expected", [
    (["b", "a"], ["c", "a"], ["a", "b", "c"]),        # T2: de-duplicated union, sorted
    (["b", "a", "b"], [], ["a", "b"]),                 # even [] sorts and de-duplicates
    ([], [], []),
    (["Z", "a", "é"], ["B"], ["B", "Z", "a", "é"]),     # bytewise: upper case first
])
def test_tags_of_a_repost_are_the_sorted_union(api, first, second, expected):
    trace_id = ingest(api, tags=first)
    assert fetch(api, trace_id)["tags"] == first  # the first POST stores them as sent
    ingest(api, trace_id=trace_id, tags=second)
    assert fetch(api, trace_id)["tags"] == expected


def test_a_reposted_span_follows_the_span_rules_and_keeps_its_parent(api):
    parent, other = str(uuid.uuid4()), str(uuid.uuid4())
    first = {**LLM_SPAN, "parent_span_id": parent, "error": "e", "output": {"o": 1}}
    trace_id = ingest(api, spans=[first])
    ingest(api, trace_id=trace_id, spans=[span(span_id=LLM_SPAN["span_id"], name="again",
                                               parent_span_id=other, metadata={"k2": 1})])
    (stored,) = fetch(api, trace_id)["spans"]
    assert stored["parent_span_id"] == parent  # T3: never changed by a re-POST
    assert (stored["name"], stored["kind"], stored["status"]) == ("again", "OTHER", "UNSET")
    assert (stored["input"], stored["output"], stored["token_usage"], stored["model_parameters"],
            stored["cost"]) == (None, None, None, None, None)
    assert (stored["model"], stored["error"], stored["ended_at"], stored["completion_start_time"]) == (
        "gpt-x", "e", "2026-03-29T10:00:02.400000+00:00", "2026-03-29T10:00:00.600000+00:00")
    assert stored["metadata"] == {"k": "v", "k2": 1}
    # POST /traces/{id}/spans follows the same rules
    again = api.post(f"/traces/{trace_id}/spans", json=[span(span_id=LLM_SPAN["span_id"], parent_span_id=None,
                                                                 model="gpt-y")])
    assert again.status_code == 201
    (stored,) = fetch(api, trace_id)["spans"]
    assert (stored["parent_span_id"], stored["model"], stored["name"]) == (parent, "gpt-y", "s")


def test_a_span_repeated_in_one_body_is_one_span(api):
    span_id = str(uuid.uuid4())
    trace_id = ingest(api, spans=[span(span_id=span_id, model="m", metadata={"a": 1}),
                                  span(span_id=span_id, name="later", metadata={"b": 2})])
    (stored,) = fetch(api, trace_id)["spans"]
    assert (stored["name"], stored["model"], stored["metadata"]) == ("later", "m", {"a": 1, "b": 2})


# -- reading --------------------------------------------------------------------------------------


def test_spans_with_the_same_start_come_in_span_id_order(api):
    ids = sorted(str(uuid.uuid4()) for _ in range(5))
    trace_id = ingest(api, spans=[span(span_id=i, name=i) for i in reversed(ids)]
                      + [span(name="earlier", started_at="2026-03-29T09:59:59Z")])
    spans = fetch(api, trace_id)["spans"]
    assert [s["name"] for s in spans] == ["earlier", *ids]


@pytest.mark.parametrize("usages, tokens", [
    ([{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 999}], 15),  # total_tokens ignored
    ([{"prompt_tokens": "20", "completion_tokens": " 3 "}], 23),                # L2: strings of integers count
    ([{"prompt_tokens": 1.5, "completion_tokens": True}], 0),                   # L3: floats and booleans do not
    ([{"prompt_tokens": "1.0", "completion_tokens": "x"}], 0),
    ([{"prompt_tokens": 2**31}, {"completion_tokens": 1}], 2**31 + 1),          # past int4: counted
    ([{"prompt_tokens": 2**62}, {"prompt_tokens": 2**62}, {"prompt_tokens": 2**62}], 3 * 2**62),  # past 64 bits
    ([{"prompt_tokens": 10**30}, {"completion_tokens": "-5"}], 10**30 - 5),
    ([{}, None], 0),
])
def test_total_tokens_count_integers_only(api, usages, tokens):
    trace_id = ingest(api, spans=[span(token_usage=u) for u in usages])
    assert fetch(api, trace_id)["total_tokens"] == tokens
    listed = api.get("/traces").get_json()["items"][0]
    assert (listed["total_tokens"], listed["span_count"]) == (tokens, len(usages))
    assert api.patch(f"/traces/{trace_id}", json={}).get_json()["total_tokens"] == tokens


def test_costs_are_floats_and_their_sums_stay_finite(api):
    trace_id = ingest(api, spans=[span(cost={"total": 1, "input": 0, "output": "2"})])
    (stored,) = fetch(api, trace_id)["spans"]
    assert stored["cost"] == {"input": 0.0, "total": 1.0, "output": 2.0}  # G4
    assert all(type(v) is float for v in stored["cost"].values())
    assert list(stored["cost"]) == ["input", "total", "output"]  # JSONB order
    big = ingest(api, spans=[span(cost={"total": sys.float_info.max}), span(cost={"total": sys.float_info.max})])
    assert fetch(api, big)["total_cost"] == sys.float_info.max  # held to the largest float, never inf
    items = {i["trace_id"]: i for i in api.get("/traces").get_json()["items"]}
    assert items[big]["total_cost"] == sys.float_info.max and items[trace_id]["total_cost"] == 1.0


@pytest.mark.parametrize("value, ok", [
    (999_999_999_999_999_999, True), (1_000_000_000_000_000_000, False),
    (-999_999_999_999_999_999, True), (-1_000_000_000_000_000_000, False), (True, False)])
def test_a_cost_is_a_number_the_real_server_reads(api, value, ok):
    response = api.post("/traces", json={"name": "n", "started_at": T0, "spans": [span(cost={"total": value})]})
    if ok:
        assert response.status_code == 202
    else:
        assert errors(response) == [{"field": "spans -> 0 -> cost -> total", "message": "Input should be a valid number"}]


def test_span_latency_uses_the_real_servers_float_arithmetic(api):
    trace_id = ingest(api, started_at="2026-03-29T10:00:00Z", ended_at="2026-03-29T10:00:15.826780Z", spans=[
        span(started_at="2026-03-29T10:00:00Z", ended_at="2026-03-29T10:00:15.826780Z",
             completion_start_time="2026-03-29T10:00:01.234Z")])
    (stored,) = fetch(api, trace_id)["spans"]
    assert stored["latency_ms"] == 15826.779999999999  # timedelta.total_seconds() * 1000 (G5)
    assert stored["time_to_first_token_ms"] == 1234.0
    assert api.get("/traces").get_json()["items"][0]["latency_ms"] == 15826.78  # the list: SQL's exact ms


JSONB_BODY = {"zz": 1, "a": {"ccc": [{"bb": 1, "a": 2}], "B": -0.0}, "bbb": 3, "B": 4, "é": 5, "ab": 6}
JSONB_ORDER = '{"B":4,"a":{"B":0.0,"ccc":[{"a":2,"bb":1}]},"ab":6,"zz":1,"é":5,"bbb":3}'


def test_json_objects_come_back_in_jsonb_key_order(api):
    trace_id = ingest(api, input=JSONB_BODY, output=[JSONB_BODY], metadata=JSONB_BODY,
                      spans=[span(input=JSONB_BODY, metadata=JSONB_BODY, token_usage=JSONB_BODY,
                                  model_parameters=JSONB_BODY)])
    trace = fetch(api, trace_id)
    for value in (trace["input"], trace["output"][0], trace["metadata"], trace["spans"][0]["input"],
                  trace["spans"][0]["metadata"], trace["spans"][0]["token_usage"],
                  trace["spans"][0]["model_parameters"]):
        assert json.dumps(value, separators=(",", ":"), ensure_ascii=False) == JSONB_ORDER
    score = api.score(trace_id=trace_id, metadata=JSONB_BODY)  # scores' metadata too
    assert json.dumps(score["metadata"], separators=(",", ":"), ensure_ascii=False) == JSONB_ORDER
    listed = api.get(SCORES).get_json()["items"][0]["metadata"]
    assert json.dumps(listed, separators=(",", ":"), ensure_ascii=False) == JSONB_ORDER


@pytest.mark.process
def test_key_order_and_float_figures_survive_a_real_process(live_server_factory):
    server = live_server_factory("--db", ":memory:")
    session = server.session(key_headers())
    trace_id = str(uuid.uuid4())
    body = {"trace_id": trace_id, "name": "t", "started_at": T0, "metadata": JSONB_BODY,
            "spans": [span(cost={"total": 1, "input": 0}, ended_at="2026-03-29T10:00:15.826780Z",
                           token_usage={"prompt_tokens": 10**30, "completion_tokens": "7"})]}
    assert session.post(server.url + "/traces", json=body).status_code == 202
    text = session.get(f"{server.url}/traces/{trace_id}").text
    assert '"metadata":' + JSONB_ORDER in text
    assert '"cost":{"input":0.0,"total":1.0}' in text
    assert '"latency_ms":15826.779999999999' in text
    assert f'"total_tokens":{10**30 + 7},"total_cost":1.0' in text
    assert f'"total_tokens":{10**30 + 7}' in session.get(server.url + "/traces").text


# -- the list's name filter -------------------------------------------------------------------------


@pytest.mark.parametrize("name, matches", [
    ("a_b", ["a_b"]), ("%", ["50%"]), ("_", ["a_b"]), ("\\", ["back\\slash"]), ("", None),
    ("A_B", ["a_b"]), ("x", ["axb"]),
])
def test_the_name_filter_takes_percent_and_underscore_literally(api, name, matches):
    for each in ("a_b", "axb", "50%", "back\\slash"):
        ingest(api, name=each)
    names = sorted(t["name"] for t in api.get("/traces", query_string={"name": name}).get_json()["items"])
    assert names == sorted(matches or ["a_b", "axb", "50%", "back\\slash"])


def test_an_unknown_list_filter_is_an_error_in_the_store(app):
    from pandaprobe_fake.stores.traces import UnknownFilter

    with pytest.raises(UnknownFilter):
        app.extensions["store"].list_traces("p", {"colour": "red"}, "started_at", "desc", 50, 0)


# -- the UUID message, on every route ---------------------------------------------------------------

BAD = "nope"
MESSAGE = ("Input should be a valid UUID, invalid character: expected an optional prefix of "
           "`urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1")
GOOD = "123e4567-e89b-12d3-a456-426614174000"


@pytest.mark.parametrize("method, path, body, field", [
    ("get", f"/traces/{BAD}", None, "path -> trace_id"),
    ("patch", f"/traces/{BAD}", {}, "path -> trace_id"),
    ("delete", f"/traces/{BAD}", None, "path -> trace_id"),
    ("post", f"/traces/{BAD}/spans", [span()], "path -> trace_id"),
    ("patch", f"/traces/{BAD}/spans/{GOOD}", {}, "path -> trace_id"),
    ("patch", f"/traces/{GOOD}/spans/{BAD}", {}, "path -> span_id"),
    ("post", "/traces", {"trace_id": BAD, "name": "n", "started_at": T0}, "trace_id"),
    ("post", "/traces", {"name": "n", "started_at": T0, "spans": [span(span_id=BAD)]}, "spans -> 0 -> span_id"),
    ("post", "/traces/batch/delete", {"trace_ids": [GOOD, BAD]}, "trace_ids -> 1"),
    ("post", "/traces/batch/tags", {"trace_ids": [BAD], "add_tags": ["x"]}, "trace_ids -> 0"),
    ("get", f"{SCORES}/{BAD}", None, "path -> trace_id"),
    ("get", f"{SCORES}?trace_id={BAD}", None, "query -> trace_id"),
    ("delete", f"{SCORES}/{BAD}", None, "path -> score_id"),
])
def test_the_uuid_message_is_the_real_servers_on_every_route(api, method, path, body, field):
    response = getattr(api, method)(path, json=body) if body is not None else getattr(api, method)(path)
    assert {"field": field, "message": MESSAGE} in errors(response)


@pytest.mark.parametrize("text, message", [
    ("abc", "invalid length: expected length 32 for simple format, found 3"),
    ("urn:uuid:zz", "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `z` at 10"),
    ("{zz}", "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `z` at 2"),
    ("ab€", "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `€` at 3"),
    ("{" + "a" * 35 + "z}", "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `z` at 36"),
    ("urn:uuid:" + "a" * 36, "invalid length: expected length 32 for simple format, found 36"),
    ("123e4567-e89b-12d3-a456", "invalid group count: expected 5, found 4"),
])
def test_uuid_messages(api, text, message):
    response = api.post("/traces", json={"trace_id": text, "name": "n", "started_at": T0})
    assert errors(response) == [{"field": "trace_id", "message": "Input should be a valid UUID, " + message}]


# -- defects not copied -------------------------------------------------------------------------------


def test_project_isolation_where_upstream_mixes_projects(api, other_api):
    trace_id = ingest(api, name="mine", spans=[LLM_SPAN])
    # T5: another project's POST of the same id makes a trace of its own, mine is untouched
    ingest(other_api, trace_id=trace_id, name="theirs", spans=[{**LLM_SPAN, "name": "their span"}])
    assert (fetch(api, trace_id)["name"], fetch(api, trace_id)["spans"][0]["name"]) == ("mine", "llm-call")
    assert (fetch(other_api, trace_id)["name"], fetch(other_api, trace_id)["spans"][0]["name"]) == (
        "theirs", "their span")
    # T4: a span id reused on another trace is a span of that trace; the first keeps its own
    second = ingest(api, spans=[{**LLM_SPAN, "name": "reused"}])
    assert fetch(api, trace_id)["spans"][0]["name"] == "llm-call"
    assert fetch(api, second)["spans"][0]["name"] == "reused"
    # batch routes touch only the caller's project
    assert other_api.post("/traces/batch/tags", json={"trace_ids": [trace_id, second], "add_tags": ["x"]}
                          ).get_json() == {"updated": 1}
    assert fetch(api, trace_id)["tags"] == []
    assert other_api.post("/traces/batch/delete", json={"trace_ids": [second]}).get_json() == {"deleted": 0}
    assert fetch(api, second)["name"] == "agent"


@pytest.mark.parametrize("field, value", [("input", "a\x00b"), ("name", "a\x00"), ("metadata", {"k": "\x00"})])
def test_text_the_real_server_would_lose_is_refused_not_accepted(api, field, value):
    """T6: NUL in a trace's text is a 202 upstream and never stored; a 422 here."""
    response = api.post("/traces", json={"name": "n", "started_at": T0, field: value})
    assert errors(response)[0]["field"] == field
    assert api.get("/traces").get_json()["total"] == 0


def test_bare_nan_in_metadata_is_refused(api):
    """T7: bare NaN in metadata is stored as null upstream; a 422 here."""
    response = api.post("/traces", data=b'{"name": "n", "started_at": "2026-01-01", "metadata": {"x": NaN}}',
                        content_type="application/json")
    assert errors(response)[0]["field"] == "metadata"


def test_the_first_trace_of_a_new_project_is_stored(client):
    """T11: the first POST into a project that does not exist yet is lost upstream."""
    headers = key_headers(f"brand-new-{uuid.uuid4().hex[:8]}")
    response = client.post("/traces", json={"name": "first", "started_at": T0}, headers=headers)
    assert response.status_code == 202
    assert client.get(f"/traces/{response.get_json()['trace_id']}", headers=headers).status_code == 200


# -- one write path: fixtures and demo data are stored by the same rules ------------------------------


def test_fixtures_and_demo_data_go_through_the_same_write_path(client, api):
    trace_id, span_id = str(uuid.uuid4()), str(uuid.uuid4())
    document = {"projects": [{"name": "demo", "traces": [{
        "trace_id": trace_id, "name": "fixture", "started_at": T0, "tags": ["b", "a", "b"],
        "metadata": {"zz": 1, "a": 2},
        "spans": [span(span_id=span_id, cost={"total": 2, "input": 1},
                       token_usage={"prompt_tokens": "4", "completion_tokens": 1.5})]}]}]}
    assert client.post("/_fake/fixtures", json=document).status_code == 201
    trace = fetch(api, trace_id)
    assert trace["tags"] == ["b", "a", "b"]  # a new trace: as sent
    assert list(trace["metadata"]) == ["a", "zz"]
    assert trace["spans"][0]["cost"] == {"input": 1.0, "total": 2.0}
    assert (trace["total_tokens"], trace["total_cost"]) == (4, 2.0)
    assert api.get("/traces").get_json()["items"][0]["total_tokens"] == 4
    # a taken id is a conflict for a fixture (no merging), a repeated span id too
    assert client.post("/_fake/fixtures", json=document).status_code == 409
    twice = {"projects": [{"name": "demo", "traces": [{**document["projects"][0]["traces"][0],
                                                        "trace_id": str(uuid.uuid4()),
                                                        "spans": [span(span_id=span_id)] * 2}]}]}
    assert client.post("/_fake/fixtures", json=twice).status_code == 409


def test_demo_traces_carry_consistent_totals(tmp_path):
    from pandaprobe_fake.app import create_app

    app = create_app({"database": None, "mock": True, "demo_data": True, "seed": 3, "scores": 50})
    try:
        client = app.test_client()
        items = client.get("/traces?limit=20").get_json()["items"]
        assert items
        for item in items:
            detail = client.get(f"/traces/{item['trace_id']}").get_json()
            usages = [s["token_usage"] or {} for s in detail["spans"]]
            assert detail["total_tokens"] == item["total_tokens"] == sum(
                u.get("prompt_tokens", 0) + u.get("completion_tokens", 0) for u in usages)
            assert all(type(v) is float for s in detail["spans"] for v in (s["cost"] or {}).values())
    finally:
        app.extensions["store"].close()


def test_jsonb_ordering_unit():
    from pandaprobe_fake.jsonio import jsonb_ordered, read_json

    assert list(jsonb_ordered({"zz": 1, "a": 2, "bbb": 3, "B": 4})) == ["B", "a", "zz", "bbb"]
    assert list(jsonb_ordered({"total": 1, "input": 2, "output": 3})) == ["input", "total", "output"]
    assert jsonb_ordered([{"b": 1, "a": -0.0}, 3, "x"]) == [{"a": 0.0, "b": 1}, 3, "x"]
    assert str(jsonb_ordered({"a": -0.0})["a"]) == "0.0" and jsonb_ordered(-0.0) == 0.0
    deep = current = {}
    for _ in range(5000):  # deeper than Python's recursion limit: ordered without recursion
        current["z"], current["a"] = 1, {}
        current = current["a"]
    ordered = jsonb_ordered(deep)
    assert list(ordered) == ["a", "z"] and list(ordered["a"]["a"]) == ["a", "z"]
    assert read_json('{"big": 123456789012345678901234567890, "a": 1}') == {"a": 1, "big": 123456789012345678901234567890}
    assert read_json(None) is None and read_json("{}") == {} and read_json("[2,1]") == [2, 1]
