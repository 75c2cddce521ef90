"""The simulated judge and the run lifecycle: deterministic values that follow the trace,
--judge-delay on a frozen clock, --judge unconfigured as the real server without credentials,
scripted rules through /_fake/judge (and FakeServer), fixtures and the demo data's runs."""

from __future__ import annotations

import uuid

import pytest

from conftest import Api, key_headers
from pandaprobe_fake import catalogue
from pandaprobe_fake.app import create_app
from pandaprobe_fake.fake import judge as judging
from pandaprobe_fake.settings import parse_command_line
from pandaprobe_fake.testing import FakeServer, FakeServerError

RUNS = "/evaluations/trace-runs"
METRICS = sorted(catalogue.TRACE_METRICS)
VERTEX = ("Metric execution failed: Provider 'Vertex AI' is not configured. "
          "Missing environment variable(s): GOOGLE_CLOUD_PROJECT")


def make(tmp_path, **options):
    app = create_app({"database": None, "judge_delay": 0, **options})
    return app, Api(app.test_client(), key_headers("judge")), app.test_client()


def trace(api, **fields) -> str:
    body = {"name": "agent", "input": {"q": "book a flight"}, "output": {"a": "booked"},
            "started_at": "2026-03-01T09:00:00Z", **fields}
    response = api.post("/traces", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["trace_id"]


def run_scores(api, trace_ids, metrics=METRICS, **fields):
    response = api.post(RUNS + "/batch", json={"trace_ids": trace_ids, "metrics": metrics, **fields})
    assert response.status_code == 202, response.get_json()
    run = response.get_json()
    done = api.get(f"{RUNS}/{run['id']}").get_json()
    return done, api.get(f"{RUNS}/{run['id']}/scores").get_json()


def values(scores) -> dict[tuple[str, str], str]:
    return {(s["trace_id"], s["name"]): s["value"] for s in scores}


TOOL_FAIL = {"name": "search", "kind": "TOOL", "status": "ERROR", "error": "HTTP 500",
             "started_at": "2026-03-01T09:00:01Z"}


def span(name, **fields):
    return {"name": name, "kind": "TOOL", "status": "OK", "input": {"x": 1}, "output": {"y": 2},
            "started_at": "2026-03-01T09:00:01Z", **fields}


# -- the simulated judge ----------------------------------------------------------------------


def test_values_are_deterministic_across_runs_and_apps(tmp_path):
    _, api, _ = make(tmp_path)
    ids = [trace(api, input={"q": f"question {i}"}) for i in range(5)]
    _, first = run_scores(api, ids)
    _, second = run_scores(api, ids)
    assert values(first) == values(second)
    reasons = {(s["trace_id"], s["name"]): s["reason"] for s in first}
    assert reasons == {(s["trace_id"], s["name"]): s["reason"] for s in second}
    # another app, the same trace content (other ids): the same values per metric
    _, api2, _ = make(tmp_path)
    ids2 = [trace(api2, input={"q": f"question {i}"}) for i in range(5)]
    _, third = run_scores(api2, ids2)
    by_content = {(i, m): v for (t, m), v in values(first).items() for i in [ids.index(t)]}
    assert by_content == {(ids2.index(t), m): v for (t, m), v in values(third).items()}


def test_values_spread_and_follow_the_trace(tmp_path):
    _, api, _ = make(tmp_path)
    clean = [trace(api, input={"q": f"task {i}"}, status="COMPLETED") for i in range(30)]
    broken = [trace(api, input={"q": f"task {i}"}, status="ERROR", output=None,
                    spans=[TOOL_FAIL, TOOL_FAIL | {"name": "other"}, span("loop"), span("loop"), span("loop")])
              for i in range(30)]
    _, scores = run_scores(api, clean + broken, ["task_completion", "tool_correctness", "step_efficiency"])
    numbers = {(s["trace_id"], s["name"]): float(s["value"]) for s in scores}
    clean_values = [v for (t, _), v in numbers.items() if t in clean]
    broken_values = [v for (t, _), v in numbers.items() if t in broken]
    assert min(clean_values) >= 0.62 and max(clean_values) > 0.9
    assert max(broken_values) < min(clean_values) and min(broken_values) == 0.0
    assert len(set(clean_values)) > 50  # spread, not a constant
    reason = next(s["reason"] for s in scores if s["trace_id"] == broken[0] and s["name"] == "task_completion")
    assert "ERROR" in reason and "tool calls failed" in reason and "repeated" in reason and "no final output" in reason
    assert reason.endswith(".") and reason.count(". ") == 0


@pytest.mark.parametrize("problem", [
    {"status": "ERROR"}, {"output": None}, {"output": ""},
    {"spans": [TOOL_FAIL]}, {"spans": [span("again"), span("again")]},
])
def test_each_problem_lowers_the_score(tmp_path, problem):
    _, api, _ = make(tmp_path)
    base = {"input": {"q": "same"}, "output": {"a": "same"}, "status": "COMPLETED", "spans": [span("one")]}
    good = trace(api, **base)
    bad = trace(api, **{**base, **problem})
    metric = {"status": "task_completion", "output": "task_completion"}.get(next(iter(problem)), "tool_correctness")
    if "spans" in problem and problem["spans"][0]["name"] == "again":
        metric = "step_efficiency"
    _, scores = run_scores(api, [good, bad], [metric])
    v = values(scores)
    # the penalty is at least 0.1 and the hash part moves at most 0.38: compare to the ceiling
    assert float(v[(bad, metric)]) <= 1.0 - 0.1
    assert float(v[(bad, metric)]) < float(v[(good, metric)]) + 0.38


@pytest.mark.parametrize("fields", [{"input": None}, {"output": None}, {"input": ""}, {"output": ""}])
def test_coherence_with_empty_input_or_output(tmp_path, fields):
    for mode in ("simulated", "unconfigured"):
        _, api, _ = make(tmp_path, judge=mode)
        t = trace(api, **fields)
        _, (score,) = run_scores(api, [t], ["coherence"])
        assert (score["status"], score["value"], score["reason"], score["metadata"]) == (
            "SUCCESS", "1.0", "Input or output is empty; coherence assumed.",
            {"note": "empty_input_or_output", "coherence_gap": 0.0})


def test_an_empty_object_is_not_empty(tmp_path):
    _, api, _ = make(tmp_path, judge="unconfigured")
    t = trace(api, input={}, output={})
    _, (score,) = run_scores(api, [t], ["coherence"])
    assert (score["status"], score["reason"]) == ("FAILED", VERTEX)


# -- --judge unconfigured ----------------------------------------------------------------------


@pytest.mark.parametrize("model, provider, env", [
    (None, "Vertex AI", "GOOGLE_CLOUD_PROJECT"), ("gpt-4o", "OpenAI", "OPENAI_API_KEY"),
    ("claude-3-5-haiku", "Anthropic", "ANTHROPIC_API_KEY"), ("gemini-2.0-flash", "Google GenAI", "GEMINI_API_KEY"),
])
def test_unconfigured_fails_every_llm_metric_per_the_runs_model(tmp_path, model, provider, env):
    _, api, _ = make(tmp_path, judge="unconfigured")
    ids = [trace(api), trace(api, output=None)]
    run, scores = run_scores(api, ids, METRICS, model=model)
    assert (run["status"], run["evaluated_count"], run["error_message"]) == ("COMPLETED", 2, None)
    # 7 judge metrics fail on both traces, coherence fails only where the output is there
    assert run["failed_count"] == 15
    expected = (f"Metric execution failed: Provider '{provider}' is not configured. "
                f"Missing environment variable(s): {env}")
    for s in scores:
        if s["name"] == "coherence":
            assert (s["status"], s["reason"]) == (("SUCCESS", "Input or output is empty; coherence assumed.")
                                                  if s["trace_id"] == ids[1] else ("FAILED", VERTEX))
        else:
            assert (s["status"], s["value"], s["reason"], s["metadata"]) == ("FAILED", None, expected, {})


def test_command_line_and_environment_options(monkeypatch):
    settings = parse_command_line(["--judge", "unconfigured", "--judge-delay", "2.5"])
    assert (settings.judge, settings.judge_delay) == ("unconfigured", 2.5)
    assert (parse_command_line([]).judge, parse_command_line([]).judge_delay) == ("simulated", 0.5)
    monkeypatch.setenv("PANDAPROBE_FAKE_JUDGE", "unconfigured")
    monkeypatch.setenv("PANDAPROBE_FAKE_JUDGE_DELAY", "0")
    settings = parse_command_line([])
    assert (settings.judge, settings.judge_delay) == ("unconfigured", 0.0)
    for bad in (["--judge", "gpt"], ["--judge-delay", "-1"], ["--judge-delay", "86401"], ["--judge-delay", "x"]):
        with pytest.raises(SystemExit):
            parse_command_line(bad)
    assert parse_command_line(["--judge-delay", "86400"]).judge_delay == 86400


# -- the lifecycle on the fake's clock ------------------------------------------------------


def test_delay_with_a_frozen_clock(tmp_path):
    _, api, control = make(tmp_path, judge_delay=2)
    control.post("/_fake/clock", json={"freeze": "2026-03-01T10:00:00Z"})
    t = trace(api)
    created = api.post(RUNS + "/batch", json={"trace_ids": [t], "metrics": ["coherence"]}).get_json()
    url = f"{RUNS}/{created['id']}"
    assert api.get(url).get_json()["status"] == "PENDING"
    assert api.get(url + "/scores").get_json() == []
    control.post("/_fake/clock", json={"advance_seconds": 0.999})
    assert api.get(url).get_json()["status"] == "PENDING"
    control.post("/_fake/clock", json={"advance_seconds": 0.001})
    running = api.get(url).get_json()
    assert (running["status"], running["evaluated_count"], running["completed_at"]) == ("RUNNING", 0, None)
    assert api.get(RUNS + "?status=RUNNING").get_json()["total"] == 1
    control.post("/_fake/clock", json={"advance_seconds": 0.999})
    assert api.get(url).get_json()["status"] == "RUNNING"
    control.post("/_fake/clock", json={"advance_seconds": 60})
    done = api.get(url).get_json()
    assert (done["status"], done["evaluated_count"]) == ("COMPLETED", 1)
    assert done["completed_at"] == "2026-03-01T10:00:02+00:00"  # its due time, not the read's
    (score,) = api.get(url + "/scores").get_json()
    assert score["created_at"] == "2026-03-01T10:00:02+00:00"


def test_any_read_moves_runs_and_zero_delay_is_done_at_once(tmp_path):
    _, api, control = make(tmp_path, judge_delay=0)
    control.post("/_fake/clock", json={"freeze": "2026-03-01T10:00:00Z"})
    t = trace(api)
    run = api.post(RUNS + "/batch", json={"trace_ids": [t], "metrics": ["coherence"]}).get_json()
    assert run["status"] == "PENDING"  # the answer is the run as created
    # the very next request, whatever it is, sees it done (here: the score list)
    assert api.get(f"/evaluations/trace-scores?eval_run_id={run['id']}").get_json()["total"] == 1
    assert api.get(f"{RUNS}/{run['id']}").get_json()["status"] == "COMPLETED"


def test_judge_state_and_rule_validation(tmp_path):
    _, api, control = make(tmp_path, judge_delay=0.25)
    state = control.get("/_fake/judge").get_json()
    assert state == {"mode": "simulated", "delay_seconds": 0.25, "items": [], "total": 0}
    cases = [
        ({}, [("", "Value error, give exactly one of value, error, run_error, delay_seconds")]),
        ({"value": 0.5, "error": "x"}, [("", "Value error, give exactly one of value, error, run_error, delay_seconds")]),
        ({"value": 1.01}, [("value", "Input should be less than or equal to 1")]),
        ({"value": -0.01}, [("value", "Input should be greater than or equal to 0")]),
        ({"metric": "bogus", "value": 0.5}, [("metric", "Value error, unknown metric 'bogus'")]),
        ({"error": "x", "reason": "y"}, [("reason", "Value error, a reason goes with a value")]),
        ({"trace_id": str(uuid.uuid4()), "run_error": "x"},
         [("trace_id", "Value error, run_error applies to a whole run: narrow it by metric, not by trace")]),
        ({"delay_seconds": 86_401}, [("delay_seconds", "Input should be less than or equal to 86400")]),
        ({"error": ""}, [("error", "String should have at least 1 character")]),
        ({"value": 0.5, "times": 2}, [("times", "Extra inputs are not permitted")]),
    ]
    for body, expected in cases:
        response = control.post("/_fake/judge", json=body)
        assert response.status_code == 422, body
        assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == expected, body
    assert control.get("/_fake/judge").get_json()["total"] == 0
    for body in ({"value": 0}, {"value": 1}, {"delay_seconds": 86_400}, {"delay_seconds": 0}):
        assert control.post("/_fake/judge", json=body).status_code == 201
    assert control.get("/_fake/judge").get_json()["total"] == 4
    assert control.delete(f"/_fake/judge/{uuid.uuid4()}").status_code == 404
    assert control.delete("/_fake/judge").status_code == 204
    assert control.get("/_fake/judge").get_json()["total"] == 0


def test_scripted_values_failures_run_errors_and_delays(tmp_path):
    _, api, control = make(tmp_path)
    a, b = trace(api), trace(api, input={"q": "other"})
    control.post("/_fake/judge", json={"metric": "confidence", "value": 0.25, "reason": "Hesitant."})
    control.post("/_fake/judge", json={"trace_id": b, "value": 0.9})
    control.post("/_fake/judge", json={"metric": "plan_quality", "trace_id": a, "error": "judge timed out"})
    run, scores = run_scores(api, [a, b], ["confidence", "plan_quality", "coherence"])
    got = {(s["trace_id"], s["name"]): (s["status"], s["value"], s["reason"]) for s in scores}
    assert got[(a, "confidence")] == ("SUCCESS", "0.25", "Hesitant.")
    assert got[(b, "confidence")][:2] == ("SUCCESS", "0.9")  # the newest matching rule wins
    assert got[(b, "coherence")][:2] == ("SUCCESS", "0.9")
    assert got[(a, "plan_quality")] == ("FAILED", None, "Metric execution failed: judge timed out")
    assert run["failed_count"] == 1
    # a run-level failure
    control.post("/_fake/judge", json={"metric": "task_completion", "run_error": "worker crashed"})
    failed, scores = run_scores(api, [a], ["task_completion"])
    assert (failed["status"], failed["error_message"], scores) == ("FAILED", "worker crashed", [])
    assert failed["completed_at"] is not None
    other, _ = run_scores(api, [a], ["coherence"])  # not a run with that metric
    assert other["status"] == "COMPLETED"
    # a delay for runs with a metric
    control.post("/_fake/clock", json={"freeze": "2026-03-01T10:00:00Z"})
    control.post("/_fake/judge", json={"metric": "step_efficiency", "delay_seconds": 30})
    slow, _ = run_scores(api, [a], ["step_efficiency"])
    fast, _ = run_scores(api, [a], ["coherence"])
    assert (slow["status"], fast["status"]) == ("PENDING", "COMPLETED")
    control.post("/_fake/clock", json={"advance_seconds": 30})
    assert api.get(f"{RUNS}/{slow['id']}").get_json()["status"] == "COMPLETED"
    # reset clears the rules
    control.post("/_fake/reset")
    assert control.get("/_fake/judge").get_json()["total"] == 0


def test_fixture_round_trip_with_runs(tmp_path):
    _, api, control = make(tmp_path)
    control.post("/_fake/judge", json={"metric": "confidence", "error": "x"})
    t = trace(api)
    done, _ = run_scores(api, [t], ["confidence", "coherence"], name="nightly")
    document = control.get("/_fake/fixtures").get_json()
    (project,) = document["projects"]
    assert [r["id"] for r in project["runs"]] == [done["id"]]
    assert project["runs"][0]["targets"] == [t]
    control.post("/_fake/reset")
    loaded = control.post("/_fake/fixtures", json=document)
    assert loaded.status_code == 201 and loaded.get_json()["projects"][0]["runs"] == 1
    assert control.get("/_fake/fixtures").get_json() == document
    assert api.get(f"{RUNS}/{done['id']}").get_json() == done
    # the loaded run can be retried: its failed scores came with it
    assert api.post(f"{RUNS}/{done['id']}/retry").status_code == 202
    # taken ids and bad runs are refused, changing nothing
    control.post("/_fake/reset")
    moved = {k: v for k, v in project["runs"][0].items() if k != "project_id"}
    first = control.post("/_fake/fixtures", json={"projects": [{"name": "judge", "runs": [moved]}]})
    assert first.status_code == 201
    again = control.post("/_fake/fixtures", json={"projects": [{"name": "x", "runs": [moved]}]})
    assert again.status_code == 409 and again.get_json()["detail"] == f"Eval run {done['id']} already exists."
    bad = control.post("/_fake/fixtures", json={"projects": [{"name": "y", "runs": [{"status": "DONE"}]}]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {
        "projects -> 0 -> runs -> 0 -> status", "projects -> 0 -> runs -> 0 -> metric_names"}
    twice = {"id": str(uuid.uuid4()), "metric_names": ["coherence"]}
    dup = control.post("/_fake/fixtures", json={"projects": [{"name": "z", "runs": [twice, twice]}]})
    assert dup.status_code == 422


def test_a_loaded_pending_run_executes_at_the_next_request(tmp_path):
    _, api, control = make(tmp_path)
    t = trace(api)
    run_id = str(uuid.uuid4())
    control.post("/_fake/fixtures", json={"projects": [{"name": "judge", "runs": [
        {"id": run_id, "status": "PENDING", "metric_names": ["coherence"],
         "filters": {"trace_ids": [t]}, "model": "vertex_ai/gemini-3.1-flash-lite"}]}]})
    run = api.get(f"{RUNS}/{run_id}").get_json()
    assert (run["status"], run["total_targets"], run["evaluated_count"]) == ("COMPLETED", 1, 1)


def test_demo_data_runs_are_real_runs(tmp_path):
    app = create_app({"database": None, "mock": True, "demo_data": True, "seed": 3, "scores": 900})
    client = app.test_client()
    page = client.get(RUNS + "?limit=200").get_json()
    assert page["total"] >= 10
    automated = client.get("/evaluations/trace-scores?source=AUTOMATED&limit=1").get_json()["total"]
    counted = 0
    for run in page["items"]:
        assert run["status"] == "COMPLETED" and run["evaluated_count"] == run["total_targets"]
        scores = client.get(f"{RUNS}/{run['id']}/scores").get_json()
        counted += len(scores)
        assert run["failed_count"] == sum(s["status"] == "FAILED" for s in scores)
        assert run["total_targets"] == len({s["trace_id"] for s in scores})
    assert counted == automated


def test_fake_server_judge_methods():
    with FakeServer(judge_delay=0) as fake:
        rule = fake.judge(metric="coherence", value=0.4, reason="Scripted.")
        assert fake.judge_rules() == [rule]
        with pytest.raises(FakeServerError) as err:
            fake.judge(metric="nope", value=0.1)
        assert err.value.status == 422
        fake.clear_judge(rule["id"])
        fake.judge(run_error="down")
        assert len(fake.judge_rules()) == 1
        fake.clear_judge()
        assert fake.judge_rules() == []


def test_judge_speed_floor():
    """>= 2,000 (trace, metric) pairs a second through the simulated judge alone (the bench
    measures the whole run; this guards the judge from turning slow)."""
    import time

    traces = [{"name": "t", "status": "COMPLETED", "input": {"q": i}, "output": {"a": i},
               "spans": [span("s", input={"i": i}) for _ in range(3)]} for i in range(500)]
    judge = judging.Judge()
    started = time.perf_counter()
    for i, t in enumerate(traces):
        f = judging.features(t)
        for metric in ("task_completion", "coherence", "tool_correctness"):
            judge.evaluate(f, str(i), metric, "vertex_ai/x", [])
    assert 1500 / (time.perf_counter() - started) > 2000
