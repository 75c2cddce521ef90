"""Mock mode: requests without credentials, the demo data set, and the command line."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import requests

from pandaprobe_fake.settings import parse_command_line
from pandaprobe_fake.fake import demo_data
from pandaprobe_fake.app import create_app
from pandaprobe_fake.web import MISSING_CREDENTIALS
from conftest import ANALYTICS, SCORES, key_headers

TRACE = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def mock_app(**settings):
    return create_app({"database": None, "mock": True, "demo_data": True, "project": "demo", **settings})


@pytest.fixture(scope="module")
def seeded():
    """A mock app with 2,000 seeded demo scores (read-only tests share it)."""
    app = mock_app(seed=42)
    yield app
    app.extensions["store"].close()


@pytest.fixture(scope="module")
def demo_scores(seeded):
    (project,) = seeded.test_client().get("/_fake/fixtures").get_json()["projects"]
    return project["scores"]


# -- who a request is, in mock mode ------------------------------------------------------------


def test_a_bare_request_is_served_as_the_mock_project(seeded):
    client = seeded.test_client()
    bare = client.get(SCORES)
    assert bare.status_code == 200 and bare.get_json()["total"] == 2000
    with_key = client.get(SCORES, headers=key_headers("demo"))
    assert with_key.get_json() == bare.get_json()


def test_mock_mode_fills_in_only_what_is_missing():
    app = mock_app(demo_data=False, project="shop")
    client = app.test_client()

    def project_of(headers):
        response = client.post(SCORES, json={"trace_id": TRACE, "name": "a", "value": "0.5"},
                               headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["project_id"]

    shop = project_of({})
    assert project_of({"X-API-Key": "k"}) == shop                      # key, no project header
    assert project_of({"Authorization": "Bearer t"}) == shop           # token, no project header
    other = project_of({"X-Project-Name": "other"})                    # no key, a project name
    assert other != shop and project_of(key_headers("other")) == other
    by_id = "55555555-5555-4555-8555-555555555555"
    assert project_of({"X-Project-ID": by_id}) == by_id                # no token, a project id
    names = {p["name"] for p in client.get("/_fake/fixtures").get_json()["projects"]}
    assert names == {"shop", "other", None}


def test_mock_mode_answers_everything_else_as_the_default_mode():
    app = mock_app(demo_data=False, api_keys=("sk-good",))
    client = app.test_client()
    assert client.get(SCORES, headers={"X-API-Key": "sk-bad"}).get_json() == {
        "detail": "Invalid or revoked API key."}
    assert client.get(SCORES, headers={"Authorization": "Bearer bad"}).status_code == 401
    good = {"X-API-Key": "sk-good"}
    assert client.get(SCORES, headers={**good, "X-Project-Name": "bad/name"}).status_code == 422
    assert client.get(SCORES, headers={"Authorization": "Bearer sk-good",
                                       "X-Project-ID": "not-a-uuid"}).get_json() == {
        "detail": "X-Project-ID must be a valid UUID."}
    invalid = client.post(SCORES, json={"name": "a"}, headers=good)
    assert invalid.status_code == 422 and invalid.get_json()["detail"] == "Validation error"
    assert client.get(SCORES, headers=good).status_code == 200  # a key, no project: the mock project


def test_mock_mode_with_api_keys_still_needs_a_key():
    """--mock with --api-key: the keys are what protect the data, so a request without one is
    refused as in the default mode (mock mode only spares the project header)."""
    client = mock_app(demo_data=False, api_keys=("sk-good",)).test_client()
    for headers in ({}, {"X-Project-Name": "shop"}, {"X-Project-ID": "55555555-5555-4555-8555-555555555555"}):
        response = client.get(SCORES, headers=headers)
        assert response.status_code == 401
        assert response.get_json() == {"detail": MISSING_CREDENTIALS}
    assert client.get(SCORES, headers={"X-API-Key": "sk-good"}).status_code == 200


def test_default_mode_still_wants_credentials():
    app = create_app({"database": None})
    response = app.test_client().get(SCORES)
    assert response.status_code == 401
    assert response.get_json() == {"detail": MISSING_CREDENTIALS}
    scoped = app.test_client().get(SCORES, headers={"X-API-Key": "k"})
    assert scoped.status_code == 422


# -- the demo data set ------------------------------------------------------------------------------


def test_demo_data_has_every_kind_of_score(demo_scores):
    assert len(demo_scores) == 2000
    names = {s["name"] for s in demo_scores}
    assert set(demo_data.METRICS) <= names
    kinds = Counter((s["source"], s["data_type"]) for s in demo_scores)
    for source in ("AUTOMATED", "ANNOTATION", "PROGRAMMATIC"):
        assert any(k[0] == source for k in kinds), source
    for data_type in ("NUMERIC", "BOOLEAN", "CATEGORICAL"):
        assert any(k[1] == data_type for k in kinds), data_type
    statuses = Counter(s["status"] for s in demo_scores)
    assert statuses["FAILED"] > 0 and statuses["PENDING"] > 0 and statuses["SUCCESS"] > 1800
    for score in demo_scores:
        if score["status"] == "SUCCESS":
            assert score["value"] is not None
        else:
            assert score["value"] is None and score["source"] == "AUTOMATED"
        if score["source"] == "AUTOMATED":
            assert score["eval_run_id"] and score["environment"] in ("production", "staging")
        if score["source"] == "ANNOTATION":
            assert score["author_user_id"].startswith("usr_")


def test_demo_values_follow_the_value_rules(demo_scores):
    from pandaprobe_fake.schemas import value_problem

    for score in demo_scores:
        if score["value"] is not None:
            assert value_problem(score["data_type"], score["value"]) is None, score


def test_demo_data_spreads_over_the_last_fourteen_days(seeded, demo_scores):
    now = datetime.now(timezone.utc)
    created = [datetime.fromisoformat(s["created_at"]) for s in demo_scores]
    assert min(created) >= now - timedelta(days=14, hours=1)
    assert max(created) <= now
    assert len({c.date() for c in created}) >= 14
    for score in demo_scores:
        assert score["updated_at"] >= score["created_at"]
    client = seeded.test_client()
    trend = client.get(f"{ANALYTICS}/trend", query_string={"metric_name": "task_completion"}).get_json()
    assert len(trend) >= 14
    averages = [t["avg_score"] for t in trend]
    assert all(0 < a < 1 for a in averages) and len(set(averages)) > 10
    distribution = client.get(f"{ANALYTICS}/distribution",
                              query_string={"metric_name": "coherence"}).get_json()
    assert len(distribution) >= 4
    summary = {m["metric_name"]: m for m in client.get(f"{ANALYTICS}/summary").get_json()}
    assert set(demo_data.METRICS) <= set(summary)
    assert summary["task_completion"]["failed_count"] >= 0
    assert summary["loop_detection"]["min_score"] == 0.0
    assert summary["loop_detection"]["max_score"] == 1.0


def test_each_trace_has_one_automated_score_per_metric(demo_scores):
    automated = Counter((s["trace_id"], s["name"]) for s in demo_scores if s["source"] == "AUTOMATED")
    assert set(automated.values()) == {1}
    per_trace = Counter(trace for trace, _ in automated)
    # every trace gets all nine metrics, but the last one, which the 2,000th score may cut short
    assert sum(1 for n in per_trace.values() if n != len(demo_data.METRICS)) <= 1


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    instant = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    now = int(instant.timestamp() * 1_000_000)
    first = demo_data.generate("demo", now=now, scores=500, seed=7)
    again = demo_data.generate("demo", now=now, scores=500, seed=7)
    other = demo_data.generate("demo", now=now, scores=500, seed=8)
    assert first == again
    assert first["project"]["id"] != other["project"]["id"]
    assert [s["id"] for s in first["scores"]] != [s["id"] for s in other["scores"]]
    later = demo_data.generate("demo", now=now + 3_600_000_000, scores=500, seed=7)
    assert [s["id"] for s in later["scores"]] == [s["id"] for s in first["scores"]]
    assert [s["created_at"] + 3_600_000_000 for s in first["scores"]] == [s["created_at"] for s in later["scores"]]


def test_two_seeded_apps_on_a_frozen_clock_dump_the_same_document():
    dumps = []
    for _ in range(2):
        app = mock_app(demo_data=False, seed=5, scores=300)
        client = app.test_client()
        client.post("/_fake/clock", json={"freeze": "2026-02-02T02:02:02Z"})
        store = app.extensions["store"]
        demo_data.load(store, "demo", scores=300, seed=5)
        dumps.append(client.get("/_fake/fixtures").get_json())
    assert dumps[0] == dumps[1]


def test_reset_with_seed_gives_back_the_start_state_of_a_seeded_server():
    app = mock_app(seed=3, scores=400)
    client = app.test_client()
    start = client.get("/_fake/fixtures").get_json()
    client.post(SCORES, json={"trace_id": TRACE, "name": "a", "value": "0.5"})
    client.post("/_fake/reset", json={"seed": True})
    assert client.get("/_fake/fixtures").get_json() == start
    assert client.post("/_fake/reset").get_json()["scores"] == 0


def test_scores_option_sets_the_exact_volume():
    for n in (0, 1, 37):
        app = mock_app(scores=n)
        assert app.extensions["store"].count_scores() == n


def test_uuid_helper_matches_the_standard_library():
    import random
    import uuid

    for seed in range(200):
        assert demo_data._uuid(random.Random(seed)) == str(
            uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))


def test_demo_traces_have_the_trace_create_shape():
    spec = json.loads(_openapi_path().read_text())
    schemas_ = spec["components"]["schemas"]
    trace_keys = set(schemas_["TraceCreate"]["properties"])
    span_keys = set(schemas_["SpanCreate"]["properties"])
    kinds = set(schemas_["SpanKind"]["enum"])
    data = demo_data.generate("demo", now=1_800_000_000_000_000, scores=300, seed=1, with_traces=True)
    traces = {t["trace_id"]: t for t in data["traces"]}
    assert {s["trace_id"] for s in data["scores"]} <= set(traces)
    assert {t["session_id"] for t in traces.values()} and len(traces) > 20
    for trace in traces.values():
        assert set(trace) <= trace_keys and {"name", "started_at"} <= set(trace)
        assert trace["status"] in schemas_["TraceStatus"]["enum"]
        assert trace["started_at"] < trace["ended_at"]
        span_ids = {s["span_id"] for s in trace["spans"]}
        assert len(span_ids) == len(trace["spans"]) <= 500
        for span in trace["spans"]:
            assert set(span) <= span_keys and span["kind"] in kinds
            assert span["status"] in schemas_["SpanStatusCode"]["enum"]
            assert trace["started_at"] <= span["started_at"] <= span["ended_at"] <= trace["ended_at"]
            assert span["parent_span_id"] is None or span["parent_span_id"] in span_ids
            if span["kind"] == "LLM":
                usage = span["token_usage"]
                assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
                assert span["cost"]["total"] == pytest.approx(span["cost"]["input"] + span["cost"]["output"])
    # turning traces on changes no score
    without = demo_data.generate("demo", now=1_800_000_000_000_000, scores=300, seed=1, with_traces=False)
    assert without["scores"] == data["scores"] and without["traces"] == []


def _openapi_path():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "upstream" / "pandaprobe-openapi.json"


def test_demo_data_into_a_file_database_once(tmp_path):
    db = str(tmp_path / "demo.db")
    config = {"database": db, "demo_data": True, "scores": 120, "seed": 1}
    first = create_app(config)
    first.extensions["store"].close()
    second = create_app(config)  # the project has scores: nothing is added
    second.extensions["store"].close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM trace_scores").fetchone()[0] == 120
        assert conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 1


def test_demo_data_joins_an_existing_empty_project(tmp_path):
    db = str(tmp_path / "demo.db")
    plain = create_app({"database": db})
    known = plain.extensions["store"].project_id_for_name("demo")
    plain.extensions["store"].close()
    app = create_app({"database": db, "demo_data": True, "scores": 50})
    dumped = app.test_client().get("/_fake/fixtures").get_json()["projects"]
    assert [(p["id"], len(p["scores"])) for p in dumped] == [(known, 50)]
    app.extensions["store"].close()


# -- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["--mock", "--db", "x.db"], "--mock keeps everything in memory"),
    (["--seed", "1"], "go with --mock or --demo-data"),
    (["--project", "p"], "go with --mock or --demo-data"),
    (["--mock", "--scores", "-1"], "argument --scores: must be 0 or more"),
    (["--journal-size", "-1"], "argument --journal-size: must be 0 or more"),
    (["--mock", "--project", "no/slash"], "argument --project: a project name must start"),
    (["--rate-limit", "lots"], "write 'upstream' or COUNT/PERIOD"),
    (["--ingest-delay", "-1"], "argument --ingest-delay: must be 0 or more"),
])
def test_command_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_command_line(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_command_line_defaults():
    settings = parse_command_line([])
    assert (settings.mock, settings.demo_data, settings.control, settings.rate_limit,
            settings.journal_size) == (False, False, True, None, 1000)


@pytest.mark.process
def test_mock_process_serves_a_bare_curl(live_server_factory):
    server = live_server_factory("--mock", "--seed", "1", "--scores", "300", "--project", "shop",
                                 "--rate-limit", "500/minute", "--journal-size", "5", "--quiet")
    bare = requests.get(f"{server.url}{SCORES}", timeout=5)
    assert bare.status_code == 200 and bare.json()["total"] == 300
    (project,) = requests.get(f"{server.url}/_fake/fixtures", timeout=5).json()["projects"]
    assert project["name"] == "shop"
    for i in range(7):
        requests.get(f"{server.url}/health?i={i}", timeout=5)
    assert [e["query"]["i"] for e in requests.get(f"{server.url}/_fake/requests", timeout=5).json()["items"]] == [
        "2", "3", "4", "5", "6"]


@pytest.mark.process
def test_seeded_processes_agree(live_server_factory):
    ids = []
    for _ in range(2):
        server = live_server_factory("--mock", "--seed", "9", "--scores", "50", "--quiet")
        items = requests.get(f"{server.url}{SCORES}?limit=200", timeout=5).json()["items"]
        ids.append(sorted(s["id"] for s in items))
        server.stop()
    assert ids[0] == ids[1] and len(ids[0]) == 50


@pytest.mark.process
def test_no_control_process(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "n.db"), "--no-control", "--quiet")
    assert requests.post(f"{server.url}/_fake/reset", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/health", timeout=5).status_code == 200


@pytest.mark.process
def test_rate_limited_process(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "r.db"), "--rate-limit", "2/minute", "--quiet")
    statuses = [requests.get(f"{server.url}{SCORES}", headers=key_headers(), timeout=5) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[-1].json() == {"error": "Rate limit exceeded: 2 per 1 minute"}


def test_mock_mode_holds_the_traces_its_scores_point_at(seeded, demo_scores):
    client = seeded.test_client()
    listed = client.get("/traces", query_string={"limit": 200}).get_json()
    (project,) = client.get("/_fake/fixtures").get_json()["projects"]
    held = {t["trace_id"] for t in project["traces"]}
    assert listed["total"] == len(held) > 100
    assert {s["trace_id"] for s in demo_scores} <= held
    assert {t["status"] for t in listed["items"]} == {"COMPLETED", "ERROR"}
    assert all(t["span_count"] > 0 for t in listed["items"])
    trace_id = demo_scores[0]["trace_id"]
    trace = client.get(f"/traces/{trace_id}").get_json()
    assert trace["spans"] and trace["session_id"]
    assert any(s["parent_span_id"] for s in trace["spans"])
    assert client.get(f"{SCORES}/{trace_id}").get_json()  # the trace's latest scores
    assert len({t["session_id"] for t in listed["items"]}) < len(listed["items"])  # sessions repeat


def test_strict_traces_accepts_every_demo_score():
    app = mock_app(seed=3, strict_traces=True)
    client = app.test_client()
    trace_id = client.get("/traces", query_string={"limit": 1}).get_json()["items"][0]["trace_id"]
    assert client.post(SCORES, json={"trace_id": trace_id, "name": "a", "value": "0.5"}).status_code == 201
    app.extensions["store"].close()
