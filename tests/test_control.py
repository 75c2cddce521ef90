"""The /_fake/ control API: reset, fixtures, the request journal, faults, the clock,
the emulated rate limit, and --no-control."""

from __future__ import annotations

import time
import uuid

import pytest

from pandaprobe_fake.app import create_app
from conftest import ANALYTICS, SCORES, Api, key_headers

TRACE = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


@pytest.fixture
def mem_app():
    app = create_app({"database": None})
    yield app
    app.extensions["store"].close()


@pytest.fixture
def ctl(mem_app):
    return mem_app.test_client()


@pytest.fixture
def api(ctl):
    return Api(ctl, key_headers("demo"))


def total(api, **query) -> int:
    return api.get(SCORES, query_string=query).get_json()["total"]


def fields_of(response) -> list[str]:
    return [e["field"] for e in response.get_json()["errors"]]


# -- reset ------------------------------------------------------------------------------------


def test_reset_empties_data_journal_faults_and_clock(ctl, api, mem_app):
    api.score()
    ctl.post("/_fake/faults", json={"path": "/nothing", "status": 500})
    ctl.post("/_fake/clock", json={"freeze": "2026-01-01T00:00:00Z"})
    assert ctl.get("/_fake/requests").get_json()["total"] == 1

    response = ctl.post("/_fake/reset")
    assert response.status_code == 200
    assert response.get_json() == {"seeded": False, "scores": 0}
    assert ctl.get("/_fake/fixtures").get_json() == {"projects": []}
    assert ctl.get("/_fake/requests").get_json()["total"] == 0
    assert ctl.get("/_fake/faults").get_json() == {"items": [], "total": 0}
    assert ctl.get("/_fake/clock").get_json()["frozen"] is False
    assert total(api) == 0  # and the API works on afterwards


def test_reset_forgets_projects_so_a_name_gets_a_new_id(ctl, api):
    before = api.score()["project_id"]
    ctl.post("/_fake/reset")
    after = api.score()["project_id"]
    assert after != before
    (project,) = ctl.get("/_fake/fixtures").get_json()["projects"]
    assert project["id"] == after and project["name"] == "demo"


def test_reset_of_a_file_database(tmp_path):
    app = create_app({"database": str(tmp_path / "f.db")})
    client = app.test_client()
    api = Api(client, key_headers())
    api.score()
    assert client.post("/_fake/reset", data="").get_json() == {"seeded": False, "scores": 0}
    assert total(api) == 0
    app.extensions["store"].close()


def test_reset_with_seed_loads_the_demo_data(ctl, api):
    response = ctl.post("/_fake/reset", json={"seed": True})
    assert response.get_json()["seeded"] is True
    assert response.get_json()["scores"] == total(api) == 2000


@pytest.mark.parametrize("body, field, message", [
    ({"seed": "yes"}, "seed", "Input should be a valid boolean"),
    ({"seeds": True}, "seeds", "Extra inputs are not permitted"),
    ([1], "", "Input should be a valid dictionary or object to extract fields from"),
])
def test_reset_refuses_a_bad_body_and_changes_nothing(ctl, api, body, field, message):
    api.score()
    response = ctl.post("/_fake/reset", json=body)
    assert response.status_code == 422
    assert response.get_json() == {"detail": "Validation error",
                                   "errors": [{"field": field, "message": message}]}
    assert total(api) == 1


def test_control_bodies_need_no_json_content_type(ctl):
    response = ctl.post("/_fake/clock", data='{"freeze": "2026-01-01"}',
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.get_json()["now"] == "2026-01-01T00:00:00+00:00"


def test_malformed_control_json_is_a_422_with_the_offset(ctl):
    response = ctl.post("/_fake/faults", data="{bad", content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"field": "1", "message": "JSON decode error"}]


# -- fixtures ---------------------------------------------------------------------------------


def test_fixtures_load_defaults_and_show_through_the_api(ctl, api):
    ctl.post("/_fake/clock", json={"freeze": "2026-03-01T12:00:00Z"})
    document = {"projects": [{"name": "demo", "scores": [
        {"trace_id": TRACE, "name": "accuracy", "value": "0.25"},
        {"trace_id": TRACE, "name": "verdict", "value": "good", "data_type": "CATEGORICAL",
         "source": "AUTOMATED", "status": "FAILED", "reason": "r", "metadata": {"k": [1]},
         "created_at": "2026-02-01T00:00:00Z", "updated_at": "2026-02-01T00:00:05.5Z",
         "eval_run_id": "11111111-1111-4111-8111-111111111111", "environment": "prod",
         "author_user_id": "usr_1", "config_id": "cfg"},
    ]}]}
    response = ctl.post("/_fake/fixtures", json=document)
    assert response.status_code == 201
    (loaded,) = response.get_json()["projects"]
    assert (loaded["name"], loaded["scores"]) == ("demo", 2)

    items = api.get(SCORES).get_json()["items"]
    first, second = items  # newest first
    assert first["name"] == "accuracy"
    assert first["project_id"] == loaded["id"]
    assert (first["status"], first["source"], first["data_type"]) == ("SUCCESS", "ANNOTATION", "NUMERIC")
    assert first["created_at"] == first["updated_at"] == "2026-03-01T12:00:00+00:00"
    assert first["metadata"] == {} and first["reason"] is None
    uuid.UUID(first["id"])
    assert second["eval_run_id"] == "11111111-1111-4111-8111-111111111111"
    assert second["updated_at"] == "2026-02-01T00:00:05.500000+00:00"
    assert (second["status"], second["environment"], second["author_user_id"],
            second["config_id"], second["metadata"]) == ("FAILED", "prod", "usr_1", "cfg", {"k": [1]})
    # analytics count the loaded score as the API's own
    summary = api.get(f"{ANALYTICS}/summary").get_json()
    assert {m["metric_name"]: m["avg_score"] for m in summary}["accuracy"] == 0.25


def test_fixtures_dump_and_load_round_trip(ctl, api, other_api_factory):
    for i in range(3):
        api.score(name=f"m{i}", value=str(i / 10))
    other_api_factory("other").score(data_type="BOOLEAN", value="true")
    ctl.patch(f"{SCORES}/{api.score()['id']}", json={"reason": "edited"}, headers=key_headers())
    bearer = {"Authorization": "Bearer t", "X-Project-ID": "22222222-2222-4222-8222-222222222222"}
    ctl.post(SCORES, json={"trace_id": TRACE, "name": "b", "value": "1"}, headers=bearer)

    dumped = ctl.get("/_fake/fixtures").get_json()
    assert [(p["name"], len(p["scores"])) for p in dumped["projects"]] == [
        ("demo", 4), ("other", 1), (None, 1)]
    ctl.post("/_fake/reset")
    assert ctl.post("/_fake/fixtures", json=dumped).status_code == 201
    assert ctl.get("/_fake/fixtures").get_json() == dumped


def test_fixtures_add_to_the_current_state(ctl, api):
    api.score(name="kept")
    assert total(api) == 1  # (and the store now remembers the count)
    ctl.post("/_fake/fixtures", json={"projects": [{"name": "demo", "scores": [
        {"trace_id": TRACE, "name": "added", "value": "1"}]}]})
    assert sorted(s["name"] for s in api.get(SCORES).get_json()["items"]) == ["added", "kept"]
    assert total(api) == 2
    ctl.post("/_fake/reset")
    assert total(api) == 0


def test_fixture_errors_are_all_reported_and_nothing_is_loaded(ctl, api):
    document = {"projects": [
        {"name": "demo", "scores": [
            {"trace_id": TRACE, "name": "ok", "value": "0.5"},
            {"trace_id": "nope", "name": "a", "value": "0.5"},
            {"trace_id": TRACE, "name": "a", "value": "1.5"},
            {"trace_id": TRACE, "name": "a", "value": "0.5", "colour": "red"},
            {"trace_id": TRACE, "value": "0.5"},
            {"trace_id": TRACE, "name": "a", "value": "0.5", "created_at": "yesterday"},
            {"trace_id": TRACE, "name": "a", "value": "0.5", "created_at": "2026-01-02",
             "updated_at": "2026-01-01"},
        ]},
        {"scores": []},
        {"name": "bad/name"},
        "not an object",
    ], "extra": 1}
    response = ctl.post("/_fake/fixtures", json=document)
    assert response.status_code == 422
    assert fields_of(response) == [
        "projects -> 0 -> scores -> 1 -> trace_id",
        "projects -> 0 -> scores -> 2",
        "projects -> 0 -> scores -> 3 -> colour",
        "projects -> 0 -> scores -> 4 -> name",
        "projects -> 0 -> scores -> 5 -> created_at",
        "projects -> 0 -> scores -> 6",
        "projects -> 1",
        "projects -> 2 -> name",
        "projects -> 3",
        "extra",
    ]
    messages = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert messages["projects -> 0 -> scores -> 2"] == "Value error, NUMERIC score must be in [0.0, 1.0]"
    assert messages["projects -> 1"] == "Value error, a project needs an id or a name (or both)"
    assert ctl.get("/_fake/fixtures").get_json() == {"projects": []}  # not even the project


@pytest.mark.parametrize("document, field", [
    (None, ""),
    ({}, "projects"),
    ({"projects": {}}, "projects"),
    ({"projects": [{"name": "p", "scores": {}}]}, "projects -> 0 -> scores"),
    ({"projects": [{"name": "p", "scores": [{"trace_id": TRACE, "name": "a", "value": "0.5",
                                             "id": "11111111-1111-4111-8111-111111111111"},
                                            {"trace_id": TRACE, "name": "b", "value": "0.5",
                                             "id": "11111111-1111-4111-8111-111111111111"}]}]},
     "projects -> 0 -> scores -> 1 -> id"),
    ({"projects": [{"name": "p", "scores": [{"trace_id": TRACE, "name": "a", "value": "0.5",
                                             "project_id": "11111111-1111-4111-8111-111111111111"}]}]},
     "projects -> 0 -> scores -> 0 -> project_id"),
])
def test_fixture_shape_errors(ctl, document, field):
    response = ctl.post("/_fake/fixtures", json=document) if document is not None \
        else ctl.post("/_fake/fixtures")
    assert response.status_code == 422
    assert field in fields_of(response)


FIXTURE_TRACE = {
    "trace_id": TRACE, "name": "agent", "status": "ERROR", "started_at": "2026-01-01T00:00:00Z",
    "ended_at": "2026-01-01T00:00:02Z", "session_id": "s1", "tags": ["a"], "metadata": {"m": 1},
    "input": {"q": "x"}, "spans": [
        {"span_id": "44444444-4444-4444-8444-444444444444", "name": "llm", "kind": "LLM",
         "started_at": "2026-01-01T00:00:00.5Z", "ended_at": "2026-01-01T00:00:01.5Z",
         "token_usage": {"prompt_tokens": 3, "completion_tokens": 4}, "cost": {"total": 0.5}}]}


def test_traces_in_fixtures_load_and_show_through_the_api(ctl, api):
    document = {"projects": [{"name": "demo", "traces": [FIXTURE_TRACE],
                              "scores": [{"trace_id": TRACE, "name": "a", "value": "0.5"}]}]}
    response = ctl.post("/_fake/fixtures", json=document)
    assert response.status_code == 201
    (loaded,) = response.get_json()["projects"]
    assert (loaded["scores"], loaded["traces"]) == (1, 1)
    trace = api.get(f"/traces/{TRACE}").get_json()
    assert (trace["name"], trace["status"], trace["session_id"], trace["tags"]) == ("agent", "ERROR", "s1", ["a"])
    (span,) = trace["spans"]
    assert (span["name"], span["latency_ms"], span["cost"]) == ("llm", 1000.0, {"total": 0.5})
    listed = api.get("/traces").get_json()["items"][0]
    assert (listed["span_count"], listed["total_tokens"], listed["total_cost"]) == (1, 7, 0.5)


def test_traces_round_trip_through_dump_and_load(ctl, api):
    assert ctl.post("/_fake/fixtures", json={"projects": [{"name": "demo", "traces": [FIXTURE_TRACE]}]}).status_code == 201
    api.post("/traces", json={"name": "second", "started_at": "2026-01-02T00:00:00Z"})
    dumped = ctl.get("/_fake/fixtures").get_json()
    assert [t["name"] for t in dumped["projects"][0]["traces"]] == ["agent", "second"]
    ctl.post("/_fake/reset")
    assert ctl.post("/_fake/fixtures", json=dumped).status_code == 201
    assert ctl.get("/_fake/fixtures").get_json() == dumped


def test_bad_or_taken_traces_in_fixtures_load_nothing(ctl, api):
    bad = {"projects": [{"name": "demo", "traces": [{"name": "", "spans": [{"name": "s"}]}],
                         "scores": [{"trace_id": TRACE, "name": "a", "value": "0.5"}]}]}
    response = ctl.post("/_fake/fixtures", json=bad)
    assert response.status_code == 422
    assert fields_of(response) == ["projects -> 0 -> traces -> 0 -> name",
                                   "projects -> 0 -> traces -> 0 -> started_at",
                                   "projects -> 0 -> traces -> 0 -> spans -> 0 -> started_at"]
    assert ctl.get("/_fake/fixtures").get_json() == {"projects": []}
    api.post("/traces", json={"trace_id": TRACE, "name": "there", "started_at": "2026-01-01"})
    taken = {"projects": [{"name": "demo", "traces": [FIXTURE_TRACE],
                           "scores": [{"trace_id": TRACE, "name": "a", "value": "0.5"}]}]}
    response = ctl.post("/_fake/fixtures", json=taken)
    assert response.status_code == 409
    assert response.get_json() == {"detail": f"Trace {TRACE} already exists."}
    assert api.get(SCORES).get_json()["total"] == 0
    assert api.get(f"/traces/{TRACE}").get_json()["name"] == "there"


def test_fixture_conflicts_are_409_and_load_nothing(ctl, api):
    score = api.score()
    again = {"projects": [{"name": "demo", "scores": [
        {"trace_id": TRACE, "name": "new", "value": "0.5"},
        {"id": score["id"], "trace_id": TRACE, "name": "dup", "value": "0.5"}]}]}
    response = ctl.post("/_fake/fixtures", json=again)
    assert response.status_code == 409
    assert response.get_json() == {"detail": f"Trace score {score['id']} already exists."}
    assert total(api) == 1

    other_id = "33333333-3333-4333-8333-333333333333"
    clash = ctl.post("/_fake/fixtures", json={"projects": [{"id": other_id, "name": "demo"}]})
    assert clash.status_code == 409
    assert clash.get_json() == {"detail": f"Project 'demo' already exists with id {score['project_id']}."}
    renamed = ctl.post("/_fake/fixtures", json={"projects": [{"id": score["project_id"], "name": "x"}]})
    assert renamed.status_code == 409
    assert "already exists with the name 'demo'" in renamed.get_json()["detail"]


def test_fixture_project_by_id_only_is_a_bearer_project(ctl):
    project_id = "44444444-4444-4444-8444-444444444444"
    ctl.post("/_fake/fixtures", json={"projects": [{"id": project_id, "scores": [
        {"trace_id": TRACE, "name": "a", "value": "0.5"}]}]})
    listed = ctl.get(SCORES, headers={"Authorization": "Bearer t", "X-Project-ID": project_id})
    assert listed.get_json()["total"] == 1


def test_large_fixture_documents_pass_the_api_body_limit(tmp_path):
    app = create_app({"database": None, "max_body": 2048})
    client = app.test_client()
    scores = [{"trace_id": TRACE, "name": f"m{i}", "value": "0.5"} for i in range(200)]
    assert client.post("/_fake/fixtures", json={"projects": [{"name": "p", "scores": scores}]}).status_code == 201
    assert client.post(SCORES, data="x" * 4096, headers=key_headers()).status_code == 413


# -- the request journal ----------------------------------------------------------------------


def test_journal_records_each_request_with_masked_keys(ctl, mem_app):
    ctl.post(f"{SCORES}?x=1&y=2&y=3", json={"trace_id": TRACE, "name": "a", "value": "0.5"},
             headers={"X-API-Key": "sk-very-secret-key", "X-Project-Name": "demo"})
    ctl.get(SCORES, headers={"Authorization": "Bearer token-secret-123", "X-Project-ID": TRACE})
    ctl.post(SCORES, data="{not json", headers=key_headers(), content_type="application/json")
    ctl.get("/nowhere")

    response = ctl.get("/_fake/requests")
    assert response.status_code == 200
    journal = response.get_json()
    assert journal["total"] == 4
    first, second, third, fourth = journal["items"]
    assert set(first) == {"method", "path", "query", "headers", "body", "body_bytes", "status", "duration_ms", "time"}
    assert (first["method"], first["path"], first["status"]) == ("POST", SCORES, 201)
    assert first["query"] == {"x": "1", "y": ["2", "3"]}
    assert first["body"] == {"trace_id": TRACE, "name": "a", "value": "0.5"}
    assert first["headers"]["X-Api-Key"] == "sk-v***"
    assert first["headers"]["X-Project-Name"] == "demo"
    assert second["headers"]["Authorization"] == "Bearer toke***"
    assert "secret" not in str(journal)
    assert first["duration_ms"] >= 0
    assert first["time"].endswith("+00:00")
    assert (second["method"], second["status"], second["body"]) == ("GET", 200, None)
    assert (third["status"], third["body"]) == (422, None)
    assert (fourth["path"], fourth["status"]) == ("/nowhere", 404)


def test_journal_filters_by_method_and_path_glob(ctl, api):
    score = api.score()
    api.get(SCORES)
    api.patch(f"{SCORES}/{score['id']}", json={})
    api.get(f"{ANALYTICS}/summary")

    def paths(query):
        return [(e["method"], e["path"]) for e in ctl.get("/_fake/requests", query_string=query).get_json()["items"]]

    assert paths({"method": "get"}) == [("GET", SCORES), ("GET", f"{ANALYTICS}/summary")]
    assert paths({"path": "/evaluations/trace-scores/*"}) == [("PATCH", f"{SCORES}/{score['id']}")]
    assert paths({"method": "POST", "path": "/evaluations/trace-scores"}) == [("POST", SCORES)]
    assert paths({"path": "/evaluations/analytics/*"}) == [("GET", f"{ANALYTICS}/summary")]
    assert ctl.get("/_fake/requests", query_string={"method": "GET"}).get_json()["total"] == 2
    assert ctl.get("/_fake/requests", query_string={"verb": "GET"}).status_code == 422


def test_control_routes_are_not_journaled_and_the_journal_clears(ctl, api):
    api.score()
    ctl.get("/_fake/faults")
    ctl.post("/_fake/clock", json={"advance_seconds": 1})
    assert [e["path"] for e in ctl.get("/_fake/requests").get_json()["items"]] == [SCORES]
    response = ctl.delete("/_fake/requests")
    assert response.status_code == 204 and response.data == b""
    assert ctl.get("/_fake/requests").get_json() == {"items": [], "total": 0}


def test_journal_keeps_only_the_last_n():
    app = create_app({"database": None, "journal_size": 3})
    client = app.test_client()
    for i in range(5):
        client.get(f"/health?i={i}")
    items = client.get("/_fake/requests").get_json()["items"]
    assert [e["query"]["i"] for e in items] == ["2", "3", "4"]


def test_journal_size_zero_keeps_nothing():
    app = create_app({"database": None, "journal_size": 0})
    client = app.test_client()
    client.get("/health")
    assert client.get("/_fake/requests").get_json()["total"] == 0


def test_journal_time_comes_from_the_clock(ctl):
    ctl.post("/_fake/clock", json={"freeze": "2030-05-06T07:08:09.123456+02:00"})
    ctl.get("/health")
    (entry,) = ctl.get("/_fake/requests").get_json()["items"]
    assert entry["time"] == "2030-05-06T05:08:09.123456+00:00"


def test_journal_of_an_oversized_body(mem_app):
    mem_app.config["MAX_CONTENT_LENGTH"] = 100
    client = mem_app.test_client()
    assert client.post(SCORES, data="x" * 500, headers=key_headers()).status_code == 413
    (entry,) = client.get("/_fake/requests").get_json()["items"]
    assert (entry["status"], entry["body"]) == (413, None)


# -- faults -----------------------------------------------------------------------------------


def test_fault_answers_once_then_the_api_answers(ctl, api):
    response = ctl.post("/_fake/faults", json={"method": "POST", "path": "/evaluations/trace-scores*",
                                               "status": 429, "body": {"detail": "slow down"},
                                               "headers": {"Retry-After": "1"}})
    assert response.status_code == 201
    fault = response.get_json()
    uuid.UUID(fault["id"])
    assert fault == {"id": fault["id"], "method": "POST", "path": "/evaluations/trace-scores*",
                     "status": 429, "body": {"detail": "slow down"}, "headers": {"Retry-After": "1"},
                     "delay_ms": 0, "times": 1, "probability": 1.0, "remaining": 1, "applied": 0}

    assert api.get(SCORES).status_code == 200  # another method: untouched
    body = {"trace_id": TRACE, "name": "a", "value": "0.5"}
    hit = api.post(SCORES, json=body)
    assert hit.status_code == 429
    assert hit.get_json() == {"detail": "slow down"}
    assert hit.headers["Retry-After"] == "1"
    assert hit.headers["Content-Type"] == "application/json"
    assert total(api) == 0  # the request never reached the route
    assert api.post(SCORES, json=body).status_code == 201
    (listed,) = ctl.get("/_fake/faults").get_json()["items"]
    assert (listed["remaining"], listed["applied"]) == (0, 1)
    statuses = [e["status"] for e in ctl.get("/_fake/requests", query_string={"method": "POST"}).get_json()["items"]]
    assert statuses == [429, 201]


def test_fault_defaults_apply_to_every_route_and_have_a_json_body(ctl, api):
    ctl.post("/_fake/faults", json={"status": 503, "times": 2})
    first = api.get(SCORES)
    assert (first.status_code, first.get_json()) == (503, {"detail": "Service Unavailable"})
    assert ctl.get("/health").status_code == 503
    assert ctl.get("/health").status_code == 200


def test_fault_until_cleared_and_clearing(ctl):
    fault = ctl.post("/_fake/faults", json={"path": "/health", "status": 500, "times": None}).get_json()
    assert fault["remaining"] is None
    for _ in range(3):
        assert ctl.get("/health").status_code == 500
    assert ctl.get("/_fake/faults").get_json()["items"][0]["applied"] == 3
    assert ctl.delete(f"/_fake/faults/{fault['id']}").status_code == 204
    assert ctl.get("/health").status_code == 200
    missing = ctl.delete(f"/_fake/faults/{fault['id']}")
    assert missing.status_code == 404
    assert missing.get_json() == {"detail": f"Fault {fault['id']} not found."}

    ctl.post("/_fake/faults", json={"status": 500, "times": None})
    ctl.post("/_fake/faults", json={"status": 502, "times": None})
    assert ctl.delete("/_fake/faults").status_code == 204
    assert ctl.get("/_fake/faults").get_json()["total"] == 0
    assert ctl.get("/health").status_code == 200


def test_first_matching_fault_wins_in_order(ctl):
    ctl.post("/_fake/faults", json={"path": "/health", "status": 500})
    ctl.post("/_fake/faults", json={"path": "/heal*", "status": 502})
    assert [ctl.get("/health").status_code for _ in range(3)] == [500, 502, 200]


def test_a_string_body_is_sent_as_plain_text(ctl):
    ctl.post("/_fake/faults", json={"status": 500, "body": "Internal Server Error"})
    response = ctl.get("/health")
    assert response.status_code == 500
    assert response.data == b"Internal Server Error"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_delay_only_fault_delays_without_changing_the_answer(ctl, api):
    ctl.post("/_fake/faults", json={"path": SCORES, "delay_ms": 150})
    started = time.perf_counter()
    response = api.get(SCORES)
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.15
    (entry,) = [e for e in ctl.get("/_fake/requests").get_json()["items"] if e["path"] == SCORES]
    assert entry["duration_ms"] >= 150


def test_delay_with_status(ctl):
    ctl.post("/_fake/faults", json={"status": 504, "delay_ms": 100})
    started = time.perf_counter()
    assert ctl.get("/health").status_code == 504
    assert time.perf_counter() - started >= 0.1


def test_fault_probability():
    app = create_app({"database": None, "seed": 7})
    client = app.test_client()
    client.post("/_fake/faults", json={"path": "/health", "status": 500, "times": None,
                                       "probability": 0.5})
    statuses = [client.get("/health").status_code for _ in range(200)]
    assert 60 < statuses.count(500) < 140
    assert set(statuses) == {200, 500}
    client.post("/_fake/faults", json={"path": "/x", "status": 500, "probability": 0.0})
    assert client.get("/x").status_code == 404


def test_faults_never_touch_the_control_routes(ctl):
    ctl.post("/_fake/faults", json={"status": 500, "times": None})
    assert ctl.get("/_fake/faults").status_code == 200
    assert ctl.get("/_fake/requests").status_code == 200


@pytest.mark.parametrize("body, field, message", [
    ({}, "", "Value error, give a status, a delay_ms, or both"),
    ({"status": 99}, "status", "Input should be greater than or equal to 200"),
    ({"status": 600}, "status", "Input should be less than or equal to 599"),
    ({"status": "429"}, "status", "Input should be a valid integer"),
    ({"status": True}, "status", "Input should be a valid integer"),
    ({"status": 500, "times": 0}, "times", "Input should be greater than or equal to 1"),
    ({"status": 500, "probability": 1.5}, "probability", "Input should be less than or equal to 1.0"),
    ({"status": 500, "delay_ms": -1}, "delay_ms", "Input should be greater than or equal to 0"),
    ({"status": 500, "delay_ms": 60_001}, "delay_ms", "Input should be less than or equal to 60000"),
    ({"status": 500, "method": "FETCH"}, "method", "Input should be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"),
    ({"status": 500, "headers": {"X": 1}}, "headers", "Value of 'X': Input should be a valid string"),
    ({"status": 500, "headers": {"X": "a\r\nB: c"}}, "headers",
         "Header 'X' is not a valid HTTP header (a value is Latin-1 text without control characters)"),
    ({"status": 500, "time": 3}, "time", "Extra inputs are not permitted"),
    ({"delay_ms": 5, "body": {"a": 1}}, "", "Value error, a body needs a status"),
])
def test_fault_validation(ctl, body, field, message):
    response = ctl.post("/_fake/faults", json=body)
    assert response.status_code == 422
    assert {"field": field, "message": message} in response.get_json()["errors"]
    assert ctl.get("/_fake/faults").get_json()["total"] == 0


def test_empty_fault_body_is_field_required(ctl):
    response = ctl.post("/_fake/faults")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"field": "", "message": "Field required"}]


# -- the clock --------------------------------------------------------------------------------


def test_clock_freeze_advance_and_back_to_real_time(ctl, api):
    frozen = ctl.post("/_fake/clock", json={"freeze": "2026-03-29T10:00:00Z"})
    assert frozen.get_json() == {"now": "2026-03-29T10:00:00+00:00", "frozen": True}
    score = api.score()
    assert score["created_at"] == "2026-03-29T10:00:00+00:00"
    moved = ctl.post("/_fake/clock", json={"advance_seconds": 2.45})
    assert moved.get_json() == {"now": "2026-03-29T10:00:02.450000+00:00", "frozen": True}
    patched = api.patch(f"{SCORES}/{score['id']}", json={"value": "0.9"}).get_json()
    assert patched["updated_at"] == "2026-03-29T10:00:02.450000+00:00"
    assert ctl.get("/health").get_json()["timestamp"] == "2026-03-29T10:00:02.450000+00:00"

    real = ctl.delete("/_fake/clock")
    assert real.status_code == 200 and real.get_json()["frozen"] is False
    assert api.score()["created_at"] > "2026-11"
    assert ctl.get("/_fake/clock").get_json()["frozen"] is False


def test_clock_freeze_and_advance_in_one_call(ctl):
    state = ctl.post("/_fake/clock", json={"freeze": "2026-01-01T00:00:00Z", "advance_seconds": 60})
    assert state.get_json()["now"] == "2026-01-01T00:01:00+00:00"


def test_clock_drives_the_analytics_buckets(ctl, api):
    ctl.post("/_fake/clock", json={"freeze": "2026-01-05T09:30:00Z"})
    api.score(value="0.2")
    ctl.post("/_fake/clock", json={"advance_seconds": 86400})
    api.score(value="0.8")
    trend = api.get(f"{ANALYTICS}/trend", query_string={"metric_name": "accuracy"}).get_json()
    assert [(t["bucket"], t["avg_score"]) for t in trend] == [
        ("2026-01-05T00:00:00+00:00", 0.2), ("2026-01-06T00:00:00+00:00", 0.8)]


def test_advancing_a_running_clock_is_refused(ctl):
    response = ctl.post("/_fake/clock", json={"advance_seconds": 5})
    assert response.status_code == 409
    assert "not frozen" in response.get_json()["detail"]
    assert ctl.get("/_fake/clock").get_json()["frozen"] is False


@pytest.mark.parametrize("body, field", [
    ({}, ""),
    ({"freeze": "soon"}, "freeze"),
    ({"freeze": 5}, "freeze"),
    ({"advance_seconds": -1}, "advance_seconds"),
    ({"advance_seconds": "1"}, "advance_seconds"),
    ({"unfreeze": True}, "unfreeze"),
])
def test_clock_validation(ctl, body, field):
    response = ctl.post("/_fake/clock", json=body)
    assert response.status_code == 422
    assert field in fields_of(response)
    assert ctl.get("/_fake/clock").get_json()["frozen"] is False


# -- the rate limit ---------------------------------------------------------------------------


def limited_client(spec="3/minute"):
    app = create_app({"database": None, "rate_limit": spec})
    return app.test_client()


def test_rate_limit_answers_the_hosted_429():
    client = limited_client("200/minute")
    statuses = [client.get(SCORES, headers=key_headers()).status_code for _ in range(201)]
    assert statuses.count(200) == 200 and statuses[-1] == 429
    response = client.get(SCORES, headers=key_headers())
    assert response.status_code == 429
    assert response.get_json() == {"error": "Rate limit exceeded: 200 per 1 minute"}
    assert response.headers["Content-Type"] == "application/json"
    assert "Retry-After" not in response.headers
    journal = client.get("/_fake/requests", query_string={"method": "GET"}).get_json()
    assert journal["items"][-1]["status"] == 429


def test_rate_limit_is_per_api_key_then_bearer_then_address():
    client = limited_client("2/minute")
    for _ in range(2):
        assert client.get(SCORES, headers=key_headers(key="a")).status_code == 200
    assert client.get(SCORES, headers=key_headers(key="a")).status_code == 429
    assert client.get(SCORES, headers=key_headers(key="b")).status_code == 200
    bearer = {"Authorization": "Bearer tok", "X-Project-ID": TRACE}
    assert [client.get(SCORES, headers=bearer).status_code for _ in range(3)] == [200, 200, 429]
    # an API key wins over a bearer token, as in the auth check
    assert client.get(SCORES, headers={**bearer, **key_headers(key="c")}).status_code == 200
    # no credentials at all: keyed by address (the 401s count too)
    assert [client.get(SCORES).status_code for _ in range(3)] == [401, 401, 429]
    other_address = client.get(SCORES, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 401


def test_rate_limit_spares_the_control_routes_and_resets_with_them():
    client = limited_client("1/minute")
    assert client.get("/health").status_code == 200
    assert client.get("/health").status_code == 429
    for _ in range(3):
        assert client.get("/_fake/requests").status_code == 200
    client.post("/_fake/reset")
    assert client.get("/health").status_code == 200


def test_no_rate_limit_by_default(ctl):
    assert all(ctl.get("/health").status_code == 200 for _ in range(250))


# -- --no-control -------------------------------------------------------------------------------


def test_no_control_removes_the_routes_and_the_journal():
    app = create_app({"database": None, "control": False})
    client = app.test_client()
    api = Api(client, key_headers())
    api.score()
    for method, path in [("POST", "/_fake/reset"), ("GET", "/_fake/requests"),
                         ("POST", "/_fake/faults"), ("GET", "/_fake/fixtures"),
                         ("POST", "/_fake/clock")]:
        response = client.open(path, method=method, json={})
        assert response.status_code == 404
        assert response.get_json() == {"detail": "Not Found"}
    assert app.extensions["fake"].journal.entries() == []
    assert total(api) == 1


def test_unknown_control_paths_and_methods(ctl):
    assert ctl.get("/_fake/nothing").status_code == 404
    wrong = ctl.put("/_fake/reset")
    assert wrong.status_code == 405
    assert wrong.get_json() == {"detail": "Method Not Allowed"}


@pytest.fixture
def other_api_factory(ctl):
    return lambda project: Api(ctl, key_headers(project))


def test_journal_keeps_raw_values_and_formats_them_when_read(ctl, mem_app):
    """Recording costs a request little: the entry keeps the request's header and query
    environ as received; the query dict, masked headers and parsed body are made on read."""
    ctl.post(f"{SCORES}?q=%C3%A9t%C3%A9&q=2&empty=&plus=a+b", json={"trace_id": TRACE, "name": "a", "value": "0.5"},
             headers={"X-API-Key": "sk-very-secret-key", "X-Project-Name": "demo", "Proxy-Authorization": "Basic abcdefghij"})
    kept = mem_app.extensions["fake"].journal._entries[-1]
    assert "query" not in kept and "headers" not in kept and isinstance(kept["body"], bytes)
    assert kept["environ"]["QUERY_STRING"] == "q=%C3%A9t%C3%A9&q=2&empty=&plus=a+b"
    assert kept["environ"]["HTTP_X_API_KEY"] == "sk-very-secret-key"  # in memory only
    entry = ctl.get("/_fake/requests").get_json()["items"][-1]
    assert entry["query"] == {"q": ["été", "2"], "empty": "", "plus": "a b"}
    assert entry["headers"]["X-Api-Key"] == "sk-v***" and entry["headers"]["Proxy-Authorization"] == "Basic abcd***"
    assert entry["headers"]["Content-Type"] == "application/json"
    assert entry["body"] == {"trace_id": TRACE, "name": "a", "value": "0.5"}
    assert entry["duration_ms"] == round(entry["duration_ms"], 3) >= 0
    assert "environ" not in entry and "secret" not in str(entry)
