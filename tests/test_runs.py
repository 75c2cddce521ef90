"""Evaluation runs in process: the metric catalogue, providers and template, trace runs
(filtered, batch, list, read, delete, retry, scores) with every validation sentence of
BEHAVIOR.md ("Evaluation metrics and providers", "Evaluation runs"), the lifecycle on the fake's
clock (--judge-delay), --judge unconfigured, and the fixture round trip."""

from __future__ import annotations

import uuid

import pytest

from conftest import Api, key_headers
from pandaprobe_fake import catalogue
from pandaprobe_fake.app import create_app

RUNS = "/evaluations/trace-runs"
T0 = "2026-03-01T10:00:00+00:00"


def make_app(tmp_path, **options):
    return create_app({"database": str(tmp_path / "runs.db"), "judge_delay": 0, **options})


@pytest.fixture
def run_app(tmp_path):
    app = make_app(tmp_path)
    yield app
    app.extensions["store"].close()


@pytest.fixture
def rapi(run_app):
    return Api(run_app.test_client(), key_headers("runs"))


def trace(api: Api, **fields) -> str:
    body = {"name": "Support Agent", "input": {"q": "hello"}, "output": {"a": "hi"},
            "started_at": "2026-03-01T09:00:00Z", "status": "COMPLETED", **fields}
    response = api.post("/traces", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["trace_id"]


def batch(api: Api, trace_ids, metrics, **fields) -> dict:
    response = api.post(RUNS + "/batch", json={"trace_ids": trace_ids, "metrics": metrics, **fields})
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def errors(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.get_json()
    return [(e["field"], e["message"]) for e in response.get_json()["errors"]]


def detail(response, status: int = 422) -> str:
    assert response.status_code == status, response.get_json()
    return response.get_json()["detail"]


# -- metrics, providers, template ------------------------------------------------------------


def test_trace_metrics_are_the_eight_of_the_registry_sorted(rapi):
    items = rapi.get("/evaluations/trace-metrics").get_json()
    assert [m["name"] for m in items] == sorted(catalogue.TRACE_METRICS)
    assert len(items) == 8 and "loop_detection" not in [m["name"] for m in items]
    assert items[1] == {"name": "coherence", "category": "trace",
                        "description": "Evaluates whether the agent's output logically follows from its input."}


def test_metric_routes_need_credentials(run_app):
    client = run_app.test_client()
    for path in ("/evaluations/trace-metrics", "/evaluations/providers", RUNS):
        assert client.get(path).status_code == 401


def test_providers_simulated_all_available(rapi):
    items = rapi.get("/evaluations/providers").get_json()
    assert [p["key"] for p in items] == ["openai", "anthropic", "google_genai", "vertex_ai"]
    assert all(p["available"] for p in items)
    assert items[0]["message"] == "Provider 'OpenAI' is available."


def test_providers_unconfigured_as_the_real_server(tmp_path):
    app = make_app(tmp_path, judge="unconfigured")
    items = Api(app.test_client(), key_headers()).get("/evaluations/providers").get_json()
    assert [(p["name"], p["available"], p["message"]) for p in items] == [
        ("OpenAI", False, "Provider 'OpenAI' is not configured. Missing environment variable(s): OPENAI_API_KEY"),
        ("Anthropic", False, "Provider 'Anthropic' is not configured. Missing environment variable(s): ANTHROPIC_API_KEY"),
        ("Google GenAI", False, "Provider 'Google GenAI' is not configured. Missing environment variable(s): GEMINI_API_KEY"),
        ("Vertex AI", False, "Provider 'Vertex AI' is not configured. Missing environment variable(s): GOOGLE_CLOUD_PROJECT"),
    ]
    assert items[2]["description"] == "Google Gemini via AI Studio API key"


def test_template_shape_and_stages(rapi):
    body = rapi.get(RUNS + "/template?metric=argument_correctness").get_json()
    assert list(body) == ["metric", "filters", "sampling_rate", "model"]
    assert body["filters"] == {k: None for k in ("date_from", "date_to", "status", "session_id",
                                                 "user_id", "tags", "name")}
    assert list(body["filters"]) == ["date_from", "date_to", "status", "session_id", "user_id", "tags", "name"]
    assert body["sampling_rate"] == 1.0 and body["model"] == "vertex_ai/gemini-3.1-flash-lite"
    metric = body["metric"]
    assert metric["default_threshold"] == 0.5 and metric["category"] == "trace"
    stages = {name: [p["stage"] for p in rapi.get(RUNS + f"/template?metric={name}").get_json()
                     ["metric"]["prompt_preview"]] for name in catalogue.TRACE_METRICS}
    assert stages == {
        "argument_correctness": ["extract", "verdicts", "reason"], "coherence": [],
        "confidence": ["evaluate"], "plan_adherence": ["extract_plan", "score"],
        "plan_quality": ["score"], "step_efficiency": ["extract_task", "score"],
        "task_completion": ["extract", "score"], "tool_correctness": ["extract", "score"]}
    assert all(p["prompt"] for p in metric["prompt_preview"])


@pytest.mark.parametrize("name", ["bogus", "loop_detection", "agent_reliability", ""])
def test_template_unknown_metric(rapi, name):
    assert detail(rapi.get(RUNS + f"/template?metric={name}")) == f"Unknown metric: {name}"


def test_template_metric_required(rapi):
    assert errors(rapi.get(RUNS + "/template")) == [("query -> metric", "Field required")]


# -- creating runs: validation, in BEHAVIOR.md's order ---------------------------------------


@pytest.mark.parametrize("body, expected", [
    ({"metrics": ["coherence"], "filters": {"status": "DONE"}},
     [("filters -> status", "Input should be 'PENDING', 'RUNNING', 'COMPLETED' or 'ERROR'")]),
    ({"metrics": ["coherence"], "filters": {"date_from": 5}},
     [("filters -> date_from", "Input should be a valid string")]),
    ({"metrics": ["coherence"], "filters": None},
     [("filters", "Input should be a valid dictionary or object to extract fields from")]),
    ({"metrics": []}, [("metrics", "List should have at least 1 item after validation, not 0")]),
    ({}, [("metrics", "Field required")]),
    ({"metrics": ["coherence"], "sampling_rate": 1.5},
     [("sampling_rate", "Input should be less than or equal to 1")]),
    ({"metrics": ["coherence"], "sampling_rate": -0.1},
     [("sampling_rate", "Input should be greater than or equal to 0")]),
    ({"metrics": ["coherence"], "name": "n" * 256},
     [("name", "String should have at most 255 characters")]),
])
def test_filtered_run_body_validation(rapi, body, expected):
    trace(rapi)
    assert errors(rapi.post(RUNS, json=body)) == expected
    assert rapi.get(RUNS).get_json()["total"] == 0


def test_boundaries_that_pass(rapi):
    trace(rapi)
    run = rapi.post(RUNS, json={"metrics": ["coherence"], "sampling_rate": 1, "name": "n" * 255})
    assert run.status_code == 202 and run.get_json()["name"] == "n" * 255
    assert rapi.post(RUNS, json={"metrics": ["coherence"], "sampling_rate": 0}).status_code == 202


def test_unknown_metrics_listed_in_request_order_before_the_trace_check(rapi):
    # no trace at all: the metric check comes first
    response = rapi.post(RUNS, json={"metrics": ["zeta", "coherence", "loop_detection", "agent_consistency"]})
    assert detail(response) == "Unknown metrics: zeta, loop_detection, agent_consistency"
    response = rapi.post(RUNS + "/batch", json={"trace_ids": [str(uuid.uuid4())], "metrics": ["nope"]})
    assert detail(response) == "Unknown metrics: nope"


def test_no_trace_matches(rapi):
    assert detail(rapi.post(RUNS, json={"metrics": ["coherence"]})) == "No traces match the provided filters."
    trace(rapi, name="alpha")
    assert detail(rapi.post(RUNS, json={"metrics": ["coherence"], "filters": {"name": "beta"}})) == \
        "No traces match the provided filters."


@pytest.mark.parametrize("key", ["date_from", "date_to"])
def test_a_filter_date_that_is_not_iso_is_a_clear_422_not_a_500(rapi, key):
    trace(rapi)
    text = detail(rapi.post(RUNS, json={"metrics": ["coherence"], "filters": {key: "yesterday"}}))
    assert text.startswith(f"filters.{key} is not an ISO 8601 datetime")


def test_filters_select_traces_and_are_echoed_without_nulls(rapi):
    a = trace(rapi, name="Flight Booking Agent", tags=["prod"], user_id="u1", session_id="s1",
              started_at="2026-03-01T09:00:00Z")
    trace(rapi, name="Hotel agent", tags=["dev"], started_at="2026-03-02T09:00:00Z")
    c = trace(rapi, name="booking_50%", status="ERROR", started_at="2026-03-01T12:00:00Z")
    cases = [
        ({"name": "BOOKING"}, [a, c]),
        ({"name": "50%"}, [c]),
        ({"name": "g_5"}, [c]),
        ({"name": "%"}, [c]),  # literal, not a wildcard
        ({"tags": ["prod", "x"]}, [a]),
        ({"status": "ERROR"}, [c]),
        ({"user_id": "u1", "session_id": "s1"}, [a]),
        ({"date_from": "2026-03-01T12:00:00Z", "date_to": "2026-03-02T09:00:00Z"}, [c]),
    ]
    for filters, expected in cases:
        run = rapi.post(RUNS, json={"metrics": ["coherence"], "filters": {**filters, "user": None,
                                                                          "unknown_key": 1}})
        assert run.status_code == 202, (filters, run.get_json())
        body = run.get_json()
        assert body["total_targets"] == len(expected), filters
        assert body["filters"] == filters
        scores = rapi.get(f"{RUNS}/{body['id']}/scores").get_json()
        assert [s["trace_id"] for s in reversed(scores)] == expected


def test_filtered_run_created_answer(rapi):
    trace(rapi)
    body = rapi.post(RUNS, json={"metrics": ["coherence", "coherence"], "name": "weekly",
                                 "model": "gpt-4o-mini", "filters": {"status": None}}).get_json()
    assert list(body) == ["id", "name", "status", "metric_names", "total_targets", "evaluated_count",
                          "failed_count", "created_at", "completed_at", "project_id", "target_type",
                          "filters", "sampling_rate", "model", "monitor_id", "error_message"]
    assert (body["status"], body["evaluated_count"], body["failed_count"], body["completed_at"],
            body["error_message"]) == ("PENDING", 0, 0, None, None)
    assert body["metric_names"] == ["coherence", "coherence"]
    assert body["filters"] == {} and body["sampling_rate"] == 1.0 and body["target_type"] == "TRACE"
    assert body["model"] == "openai/gpt-4o-mini" and body["monitor_id"] is None


@pytest.mark.parametrize("model, resolved", [
    (None, "vertex_ai/gemini-3.1-flash-lite"), ("gpt-4o-mini", "openai/gpt-4o-mini"),
    ("o1-mini", "openai/o1-mini"), ("o3-mini", "openai/o3-mini"),
    ("claude-3-5-haiku", "anthropic/claude-3-5-haiku"), ("gemini-2.0-flash", "gemini/gemini-2.0-flash"),
    ("openai/gpt-4o", "openai/gpt-4o"), ("vertex_ai/x", "vertex_ai/x"), ("mistral-large", "mistral-large"),
])
def test_model_resolution(rapi, model, resolved):
    body = batch(rapi, [str(uuid.uuid4())], ["coherence"], model=model)
    assert body["model"] == resolved


def test_sampling(rapi):
    for _ in range(10):
        trace(rapi)
    sizes = {rate: rapi.post(RUNS, json={"metrics": ["coherence"], "sampling_rate": rate}).get_json()["total_targets"]
             for rate in (0, 0.01, 0.25, 0.99, 1)}
    assert sizes == {0: 0, 0.01: 1, 0.25: 2, 0.99: 9, 1: 10}


def test_rate_zero_run_completes_with_nothing(rapi):
    trace(rapi)
    run = rapi.post(RUNS, json={"metrics": ["coherence"], "sampling_rate": 0}).get_json()
    done = rapi.get(f"{RUNS}/{run['id']}").get_json()
    assert (done["status"], done["total_targets"], done["evaluated_count"]) == ("COMPLETED", 0, 0)


# -- batch ----------------------------------------------------------------------------------


def test_batch_dedupes_and_lowercases_and_ignores_other_keys(rapi):
    a = trace(rapi)
    upper = a.upper()
    body = batch(rapi, [upper, a, a.replace("-", "")], ["task_completion"], sampling_rate=0.1,
                 filters={"status": "ERROR"})
    assert body["filters"] == {"trace_ids": [a]} and body["total_targets"] == 1
    assert body["sampling_rate"] == 1.0


@pytest.mark.parametrize("body, expected", [
    ({"traces": [str(uuid.uuid4())], "metrics": ["coherence"]}, [("trace_ids", "Field required")]),
    ({"trace_ids": [str(uuid.uuid4())], "metric_names": ["coherence"]}, [("metrics", "Field required")]),
    ({"trace_ids": [], "metrics": ["coherence"]},
     [("trace_ids", "List should have at least 1 item after validation, not 0")]),
    ({"trace_ids": ["nope"], "metrics": ["coherence"]},
     [("trace_ids -> 0", "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1")]),
])
def test_batch_validation(rapi, body, expected):
    assert errors(rapi.post(RUNS + "/batch", json=body)) == expected


def test_batch_run_executes_missing_and_foreign_traces_count_as_evaluated(rapi, run_app):
    mine = trace(rapi, environment="production")
    other = Api(run_app.test_client(), key_headers("someone-else"))
    theirs = trace(other)
    run = batch(rapi, [mine, str(uuid.uuid4()), theirs], ["task_completion", "coherence", "task_completion"])
    done = rapi.get(f"{RUNS}/{run['id']}").get_json()
    assert (done["status"], done["evaluated_count"], done["failed_count"]) == ("COMPLETED", 3, 0)
    assert done["completed_at"] is not None and done["error_message"] is None
    scores = rapi.get(f"{RUNS}/{run['id']}/scores").get_json()
    assert [s["name"] for s in scores] == ["task_completion", "coherence", "task_completion"]
    for s in scores:
        assert (s["trace_id"], s["source"], s["data_type"], s["status"], s["eval_run_id"],
                s["environment"]) == (mine, "AUTOMATED", "NUMERIC", "SUCCESS", run["id"], "production")
        assert s["created_at"] == s["updated_at"] and s["author_user_id"] is None and s["config_id"] is None
        assert 0.0 <= float(s["value"]) <= 1.0 and s["value"] == str(round(float(s["value"]), 4))
    # the run's scores are trace scores like any other
    listed = rapi.get(f"/evaluations/trace-scores?eval_run_id={run['id']}").get_json()
    assert listed["total"] == 3
    assert other.get(f"/evaluations/trace-scores?eval_run_id={run['id']}").get_json()["total"] == 0


# -- reading, listing, deleting ----------------------------------------------------------------


def test_get_unknown_and_other_projects_run_is_404(rapi, run_app):
    run = batch(rapi, [str(uuid.uuid4())], ["coherence"])
    other = Api(run_app.test_client(), key_headers("someone-else"))
    assert detail(other.get(f"{RUNS}/{run['id']}"), 404) == f"Eval run {run['id']} not found."
    missing = str(uuid.uuid4())
    assert detail(rapi.get(f"{RUNS}/{missing}"), 404) == f"Eval run {missing} not found."
    assert errors(rapi.get(f"{RUNS}/nope")) == [("path -> run_id", "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1")]
    assert other.get(f"{RUNS}/{run['id']}/scores").get_json() == []
    assert other.get(RUNS).get_json()["total"] == 0


def test_list_newest_first_paginated_and_filtered(rapi):
    ids = [batch(rapi, [str(uuid.uuid4())], ["coherence"], name=f"r{i}")["id"] for i in range(3)]
    page = rapi.get(RUNS + "?limit=2").get_json()
    assert [r["id"] for r in page["items"]] == ids[::-1][:2]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [r["id"] for r in rapi.get(RUNS + "?offset=2").get_json()["items"]] == ids[:1]
    assert rapi.get(RUNS + "?status=COMPLETED").get_json()["total"] == 3
    assert rapi.get(RUNS + "?status=PENDING").get_json()["total"] == 0
    assert errors(rapi.get(RUNS + "?status=DONE")) == [
        ("query -> status", "Input should be 'PENDING', 'RUNNING', 'COMPLETED' or 'FAILED'")]
    assert errors(rapi.get(RUNS + "?limit=201&offset=-1")) == [
        ("query -> limit", "Input should be less than or equal to 200"),
        ("query -> offset", "Input should be greater than or equal to 0")]
    assert rapi.get(RUNS + "?limit=200").status_code == 200
    assert errors(rapi.get(RUNS + "?limit=0")) == [("query -> limit", "Input should be greater than or equal to 1")]


def test_delete_keeps_scores_by_default(rapi):
    t = trace(rapi)
    run = batch(rapi, [t], ["coherence", "task_completion"])
    scores = rapi.get(f"{RUNS}/{run['id']}/scores").get_json()
    assert rapi.delete(f"{RUNS}/{run['id']}").status_code == 204
    assert detail(rapi.get(f"{RUNS}/{run['id']}"), 404) == f"Eval run {run['id']} not found."
    left = rapi.get(f"/evaluations/trace-scores?trace_id={t}").get_json()["items"]
    assert sorted(s["id"] for s in left) == sorted(s["id"] for s in scores)
    assert all(s["eval_run_id"] is None for s in left)
    assert detail(rapi.delete(f"{RUNS}/{run['id']}"), 404) == f"Eval run {run['id']} not found."


@pytest.mark.parametrize("word", ["true", "1", "yes", "on", "True"])
def test_delete_with_scores(rapi, word):
    t = trace(rapi)
    run = batch(rapi, [t], ["coherence"])
    rapi.get(f"{RUNS}/{run['id']}")
    assert rapi.delete(f"{RUNS}/{run['id']}?delete_scores={word}").status_code == 204
    assert rapi.get(f"/evaluations/trace-scores?trace_id={t}").get_json()["total"] == 0


def test_delete_scores_must_be_a_boolean(rapi):
    run = batch(rapi, [str(uuid.uuid4())], ["coherence"])
    assert errors(rapi.delete(f"{RUNS}/{run['id']}?delete_scores=maybe")) == [
        ("query -> delete_scores", "Input should be a valid boolean, unable to interpret input")]
    assert rapi.get(f"{RUNS}/{run['id']}").status_code == 200


def test_scores_of_an_unknown_run_is_an_empty_list(rapi):
    assert rapi.get(f"{RUNS}/{uuid.uuid4()}/scores").get_json() == []


# -- retry ----------------------------------------------------------------------------------


def test_retry(rapi, run_app):
    fake = run_app.test_client()
    a, b = trace(rapi), trace(rapi)
    rule = fake.post("/_fake/judge", json={"metric": "task_completion", "trace_id": b, "error": "timeout"}).get_json()
    fake.post("/_fake/judge", json={"metric": "coherence", "error": "rate limited"})
    run = batch(rapi, [a, b], ["task_completion", "coherence", "confidence"], name="run A")
    original = rapi.get(f"{RUNS}/{run['id']}").get_json()
    assert (original["evaluated_count"], original["failed_count"]) == (2, 3)
    failed = [s for s in rapi.get(f"{RUNS}/{run['id']}/scores").get_json() if s["status"] == "FAILED"]
    assert {s["reason"] for s in failed} == {"Metric execution failed: timeout",
                                            "Metric execution failed: rate limited"}
    assert all(s["value"] is None and s["metadata"] == {} for s in failed)

    fake.delete(f"/_fake/judge/{rule['id']}")  # the trace's timeout is gone; coherence still fails
    retry = rapi.post(f"{RUNS}/{run['id']}/retry")
    assert retry.status_code == 202
    body = retry.get_json()
    assert body["name"] == "Retry: run A" and body["status"] == "PENDING"
    assert body["metric_names"] == ["coherence", "task_completion"]
    assert body["filters"] == {"retry_of": run["id"], "trace_ids": [a, b]}
    assert body["total_targets"] == 2 and body["model"] == run["model"] and body["target_type"] == "TRACE"
    done = rapi.get(f"{RUNS}/{body['id']}").get_json()
    assert (done["status"], done["evaluated_count"], done["failed_count"]) == ("COMPLETED", 2, 2)
    pairs = sorted((s["trace_id"], s["name"], s["status"])
                   for s in rapi.get(f"{RUNS}/{body['id']}/scores").get_json())
    assert pairs == sorted([(a, "coherence", "FAILED"), (b, "coherence", "FAILED"),
                            (b, "task_completion", "SUCCESS")])
    assert rapi.get(f"{RUNS}/{run['id']}").get_json() == original  # the original is unchanged
    again = rapi.post(f"{RUNS}/{body['id']}/retry").get_json()
    assert again["name"] == "Retry: Retry: run A"


def test_retry_without_failures_and_unknown(rapi):
    run = batch(rapi, [trace(rapi)], ["task_completion"])
    assert detail(rapi.post(f"{RUNS}/{run['id']}/retry")) == "No failed scores to retry in this run."
    missing = str(uuid.uuid4())
    assert detail(rapi.post(f"{RUNS}/{missing}/retry"), 404) == f"Eval run {missing} not found."


def test_retry_of_an_unnamed_run_names_its_id(rapi, run_app):
    run_app.test_client().post("/_fake/judge", json={"error": "boom"})
    run = batch(rapi, [trace(rapi)], ["confidence"])
    rapi.get(RUNS)
    assert rapi.post(f"{RUNS}/{run['id']}/retry").get_json()["name"] == f"Retry: {run['id']}"


def test_reset_of_a_file_database_drops_runs_and_their_pending_work(tmp_path):
    app = make_app(tmp_path, judge_delay=5)
    api, control = Api(app.test_client(), key_headers("runs")), app.test_client()
    control.post("/_fake/clock", json={"freeze": "2026-03-01T10:00:00Z"})
    batch(api, [trace(api)], ["coherence"])
    assert control.post("/_fake/reset").status_code == 200
    control.post("/_fake/clock", json={"freeze": "2026-03-01T11:00:00Z"})
    assert api.get(RUNS).get_json()["total"] == 0
    assert api.get("/evaluations/trace-scores").get_json()["total"] == 0
    app.extensions["store"].close()


def test_concurrent_readers_execute_a_due_run_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    app = make_app(tmp_path, judge_delay=1)
    api, control = Api(app.test_client(), key_headers("runs")), app.test_client()
    control.post("/_fake/clock", json={"freeze": "2026-03-01T10:00:00Z"})
    ids = [trace(api, input={"q": i}) for i in range(20)]
    run = batch(api, ids, ["coherence", "task_completion"])
    control.post("/_fake/clock", json={"advance_seconds": 1})

    def read(_):
        client = Api(app.test_client(), key_headers("runs"))
        return client.get(f"{RUNS}/{run['id']}").get_json()["status"]

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(read, range(16))) == {"COMPLETED"}
    assert len(api.get(f"{RUNS}/{run['id']}/scores").get_json()) == 40
    app.extensions["store"].close()
