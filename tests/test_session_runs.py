"""Session evaluation runs in process (BEHAVIOR.md, "Session runs" and what they share with trace
runs): create (filtered, sampling), batch, list, read (through either run path), delete (with
and without scores), retry, a run's session scores; every validation sentence and check order;
the signals gathered from existing trace scores or produced by the judge (and written as trace
scores of the run); the session metrics from known signals end to end; --judge unconfigured."""

from __future__ import annotations

import uuid

import pytest

from conftest import Api, key_headers
from pandaprobe_fake.app import create_app

RUNS = "/evaluations/session-runs"
VERTEX = "Provider 'Vertex AI' is not configured. Missing environment variable(s): GOOGLE_CLOUD_PROJECT"


def make_api(tmp_path, project="sruns", **options):
    app = create_app({"database": str(tmp_path / "sruns.db"), "judge_delay": 0, **options})
    return app, Api(app.test_client(), key_headers(project))


@pytest.fixture
def sapp(tmp_path):
    app, api = make_api(tmp_path)
    yield api
    app.extensions["store"].close()


@pytest.fixture
def unconfigured(tmp_path):
    app, api = make_api(tmp_path, judge="unconfigured")
    yield api
    app.extensions["store"].close()


def trace(api: Api, session: str | None, **fields) -> str:
    body = {"name": "agent", "input": {"q": "hello"}, "output": {"a": "hi"}, "session_id": session,
            "started_at": "2026-03-01T09:00:00Z", "status": "COMPLETED", **fields}
    response = api.post("/traces", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["trace_id"]


def score(api: Api, trace_id: str, name: str, value: float) -> None:
    response = api.post("/evaluations/trace-scores", json={
        "trace_id": trace_id, "name": name, "value": str(value), "data_type": "NUMERIC", "source": "PROGRAMMATIC"})
    assert response.status_code == 201, response.get_json()


def create(api: Api, metrics=("agent_reliability",), path=RUNS, **fields) -> dict:
    response = api.post(path, json={"metrics": list(metrics), **fields})
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def batch(api: Api, session_ids, metrics=("agent_reliability",), **fields) -> dict:
    return create(api, metrics, RUNS + "/batch", session_ids=session_ids, **fields)


def errors(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.get_json()
    return [(e["field"], e["message"]) for e in response.get_json()["errors"]]


def detail(response, status: int = 422) -> str:
    assert response.status_code == status, response.get_json()
    return response.get_json()["detail"]


def done(api: Api, run: dict) -> dict:
    return api.get(f"{RUNS}/{run['id']}").get_json()


# -- create: validation and check order ----------------------------------------------------------


def test_create_validation_sentences(sapp):
    trace(sapp, "s-1")
    assert errors(sapp.post(RUNS, json={})) == [("metrics", "Field required")]
    assert errors(sapp.post(RUNS, json={"metrics": []})) == [
        ("metrics", "List should have at least 1 item after validation, not 0")]
    assert errors(sapp.post(RUNS, json={"metrics": ["agent_reliability"], "filters": None})) == [
        ("filters", "Input should be a valid dictionary or object to extract fields from")]
    assert errors(sapp.post(RUNS, json={"metrics": ["agent_reliability"], "sampling_rate": 1.5})) == [
        ("sampling_rate", "Input should be less than or equal to 1")]
    assert errors(sapp.post(RUNS, json={"metrics": ["agent_reliability"], "filters": {"min_trace_count": 0}})) == [
        ("filters -> min_trace_count", "Input should be greater than or equal to 1")]
    assert errors(sapp.post(RUNS, json={"metrics": ["agent_reliability"], "filters": {"date_from": 5}})) == [
        ("filters -> date_from", "Input should be a valid string")]
    assert errors(sapp.post(RUNS, json={"metrics": ["agent_reliability"], "signal_weights": {"confidence": "x"}}))[0][0] \
        == "signal_weights -> confidence"
    # body validation first, then unknown metrics (trace metrics count as unknown), then no match
    assert errors(sapp.post(RUNS, json={"metrics": ["nope"], "sampling_rate": 2}))[0][0] == "sampling_rate"
    assert detail(sapp.post(RUNS, json={"metrics": ["coherence", "agent_reliability", "bogus"],
                                        "filters": {"user_id": "nobody"}})) == \
        "Unknown session metrics: coherence, bogus"
    assert detail(sapp.post(RUNS, json={"metrics": ["agent_reliability"], "filters": {"user_id": "nobody"}})) == \
        "No sessions match the provided filters."
    assert "filters.date_to" in detail(sapp.post(RUNS, json={"metrics": ["agent_reliability"],
                                                             "filters": {"date_to": "yesterday"}}))
    assert sapp.get(RUNS).get_json()["total"] == 0  # nothing was created


def test_create_answers_the_pending_run_with_its_filters(sapp):
    trace(sapp, "s-1", user_id="u-1")
    run = create(sapp, ["agent_consistency", "agent_reliability", "agent_consistency"], name="nightly",
                 filters={"user_id": "u-1", "tags": None, "has_error": False, "bogus": 1},
                 signal_weights={"confidence": 2, "tool_correctness": 0.5}, model="gpt-4o-mini")
    assert list(run) == ["id", "name", "status", "metric_names", "total_targets", "evaluated_count",
                         "failed_count", "created_at", "completed_at", "project_id", "target_type", "filters",
                         "sampling_rate", "model", "monitor_id", "error_message"]
    assert (run["status"], run["target_type"], run["total_targets"], run["evaluated_count"]) == \
        ("PENDING", "SESSION", 1, 0)
    assert run["metric_names"] == ["agent_consistency", "agent_reliability", "agent_consistency"]
    assert run["filters"] == {"user_id": "u-1", "has_error": False,
                              "signal_weights": {"confidence": 2.0, "tool_correctness": 0.5}}
    assert (run["model"], run["sampling_rate"], run["monitor_id"]) == ("openai/gpt-4o-mini", 1.0, None)
    finished = done(sapp, run)
    assert (finished["status"], finished["evaluated_count"], finished["failed_count"]) == ("COMPLETED", 1, 0)
    assert len(sapp.get(f"{RUNS}/{run['id']}/scores").get_json()) == 3


def test_filters_select_traces_then_sessions(sapp):
    trace(sapp, "a", user_id="u-1", tags=["x"], started_at="2026-03-01T09:00:00Z")
    trace(sapp, "a", user_id="u-1", status="ERROR", started_at="2026-03-02T09:00:00Z")
    trace(sapp, "b", user_id="u-2", tags=["y"], started_at="2026-03-03T09:00:00Z")
    trace(sapp, None, user_id="u-1")  # no session: never a target

    def targets(**filters):
        response = sapp.post(RUNS, json={"metrics": ["agent_reliability"], "filters": filters})
        if response.status_code == 422:
            return 0
        return response.get_json()["total_targets"]

    assert targets() == 2
    assert targets(user_id="u-1") == 1
    assert targets(tags=["y", "z"]) == 1
    assert targets(has_error=True) == 1 and targets(has_error=False) == 1
    assert targets(min_trace_count=2) == 1 and targets(min_trace_count=3) == 0
    assert targets(date_from="2026-03-02T00:00:00Z") == 2
    assert targets(date_to="2026-03-02T09:00:00Z") == 1  # < date_to
    # has_error and min_trace_count count only the selected traces of a session
    assert targets(date_from="2026-03-02T00:00:00Z", min_trace_count=2) == 0
    assert targets(tags=["x"], has_error=True) == 0


def test_sampling(sapp):
    for i in range(10):
        trace(sapp, f"s-{i}")
    assert create(sapp, sampling_rate=0.25)["total_targets"] == 2
    assert create(sapp, sampling_rate=0.01)["total_targets"] == 1  # at least one above 0
    zero = create(sapp, sampling_rate=0)
    assert zero["total_targets"] == 0
    assert (done(sapp, zero)["status"], done(sapp, zero)["evaluated_count"]) == ("COMPLETED", 0)


# -- batch ---------------------------------------------------------------------------------------


def test_batch(sapp):
    trace(sapp, "s-1")
    assert errors(sapp.post(RUNS + "/batch", json={"session_ids": [1], "metrics": ["agent_reliability"]})) == [
        ("session_ids -> 0", "Input should be a valid string")]
    assert errors(sapp.post(RUNS + "/batch", json={"session_ids": [], "metrics": ["agent_reliability"]})) == [
        ("session_ids", "List should have at least 1 item after validation, not 0")]
    assert errors(sapp.post(RUNS + "/batch", json={"sessions": ["s-1"], "metrics": ["agent_reliability"]})) == [
        ("session_ids", "Field required")]
    assert detail(sapp.post(RUNS + "/batch", json={"session_ids": ["s-1"], "metrics": ["task_completion"]})) == \
        "Unknown session metrics: task_completion"
    run = batch(sapp, ["s-1", "ghost", "s-1"], ["agent_reliability", "agent_consistency"],
                signal_weights={"coherence": 0})
    assert run["filters"] == {"session_ids": ["s-1", "ghost"], "signal_weights": {"coherence": 0.0}}
    assert (run["total_targets"], run["sampling_rate"], run["model"]) == \
        (2, 1.0, "vertex_ai/gemini-3.1-flash-lite")
    finished = done(sapp, run)
    assert (finished["evaluated_count"], finished["failed_count"]) == (2, 0)  # ghost: evaluated, nothing
    scores = sapp.get(f"{RUNS}/{run['id']}/scores").get_json()
    assert [(s["session_id"], s["name"]) for s in scores] == [("s-1", "agent_consistency"),
                                                             ("s-1", "agent_reliability")]
    assert sapp.get("/evaluations/session-scores/ghost").get_json() == []


# -- signals and metrics ---------------------------------------------------------------------------


def test_session_metrics_from_known_signals_end_to_end(unconfigured):
    api = unconfigured
    t = trace(api, "s-1")
    score(api, t, "confidence", 0.4)
    score(api, t, "coherence", 1.0)
    run = batch(api, ["s-1"], ["agent_reliability", "agent_consistency"])
    finished = done(api, run)
    assert (finished["status"], finished["evaluated_count"], finished["failed_count"]) == ("COMPLETED", 1, 0)
    scores = {s["name"]: s for s in api.get(f"{RUNS}/{run['id']}/scores").get_json()}
    reliability, consistency = scores["agent_reliability"], scores["agent_consistency"]
    assert (reliability["value"], reliability["reason"]) == ("0.4", "Elevated risk in 1 of 1 traces.")
    assert (consistency["value"], consistency["reason"]) == \
        ("0.4", "High instability across 1 traces; multiple signals compound.")
    assert list(reliability) == ["id", "session_id", "project_id", "name", "data_type", "value", "source",
                                 "status", "eval_run_id", "author_user_id", "reason", "metadata",
                                 "created_at", "updated_at"]
    assert (reliability["source"], reliability["status"], reliability["data_type"], reliability["eval_run_id"]) \
        == ("AUTOMATED", "SUCCESS", "NUMERIC", run["id"])
    assert reliability["metadata"]["per_trace_signals"] == {
        t: {"confidence_risk": 0.6, "coherence_risk": 0.0, "loop_risk": 0.0, "step_risk": 0.6}}
    assert reliability["metadata"]["flagged_traces"] == [t]
    # the trace-level signals the run wrote: not the held ones; loop_detection's first-trace note,
    # tool_correctness failed for the default model's provider
    signals = api.get(f"/evaluations/trace-runs/{run['id']}/scores").get_json()
    assert [(s["name"], s["status"], s["value"]) for s in signals] == [
        ("tool_correctness", "FAILED", None), ("loop_detection", "SUCCESS", "1.0")]
    assert signals[0]["reason"] == f"Signal computation failed: {VERTEX}"
    assert (signals[1]["reason"], signals[1]["metadata"]) == (
        "No session context provided; looping cannot be assessed.", {"note": "no session context provided"})
    assert all(s["eval_run_id"] == run["id"] and s["source"] == "AUTOMATED" for s in signals)
    # heavier confidence weight: both 0.0
    heavy = batch(api, ["s-1"], ["agent_reliability", "agent_consistency"], signal_weights={"confidence": 2})
    assert {s["value"] for s in api.get(f"{RUNS}/{heavy['id']}/scores").get_json()} == {"0.0"}


def test_loop_detection_without_an_llm(unconfigured):
    api = unconfigured
    first = trace(api, "s", output=None, started_at="2026-03-01T09:00:00Z")
    empty = trace(api, "s", output="", started_at="2026-03-01T09:01:00Z")
    no_previous = trace(api, "s", output="x", started_at="2026-03-01T09:02:00Z")
    embedding = trace(api, "s", output="y", started_at="2026-03-01T09:03:00Z", input=None)
    run = batch(api, ["s"])
    by_trace = {}
    for s in api.get(f"/evaluations/trace-runs/{run['id']}/scores").get_json():
        by_trace.setdefault(s["trace_id"], {})[s["name"]] = s
    notes = {t: by_trace[t]["loop_detection"]["metadata"] for t in (first, empty, no_previous)}
    assert notes == {first: {"note": "no session context provided"}, empty: {"note": "empty_output"},
                     no_previous: {"note": "no_previous_outputs"}}
    assert by_trace[empty]["loop_detection"]["reason"] == "Empty output; looping cannot be assessed."
    assert by_trace[no_previous]["loop_detection"]["reason"] == "No previous outputs to compare."
    assert by_trace[embedding]["loop_detection"]["reason"] == f"Signal computation failed: {VERTEX}"
    # coherence as in trace runs: empty input or output -> 1.0 without an LLM
    assert by_trace[embedding]["coherence"]["value"] == "1.0"
    assert by_trace[no_previous]["coherence"]["status"] == "FAILED"
    assert by_trace[first]["confidence"]["reason"] == f"Signal computation failed: {VERTEX}"
    (reliability,) = api.get(f"{RUNS}/{run['id']}/scores").get_json()
    assert reliability["metadata"]["traces_evaluated"] == 4  # each has a loop_detection value
    assert done(api, run)["failed_count"] == 0  # failed signals do not count


def test_simulated_judge_signals_and_a_repeated_output(sapp):
    a = trace(sapp, "s", output="same", started_at="2026-03-01T09:00:00Z")
    b = trace(sapp, "s", output="same", started_at="2026-03-01T09:01:00Z")
    run = batch(sapp, ["s"], ["agent_reliability"])
    signals = {(s["trace_id"], s["name"]): s for s in sapp.get(f"/evaluations/trace-runs/{run['id']}/scores").get_json()}
    assert len(signals) == 8 and all(s["status"] == "SUCCESS" for s in signals.values())
    assert signals[(b, "loop_detection")]["value"] == "0.0"
    (reliability,) = sapp.get(f"{RUNS}/{run['id']}/scores").get_json()
    assert reliability["metadata"]["per_trace_signals"][b]["loop_risk"] == 1.0
    assert b in reliability["metadata"]["flagged_traces"] and a not in reliability["metadata"]["flagged_traces"]
    # a second run reads the signals the first one wrote: it writes none
    again = batch(sapp, ["s"], ["agent_reliability"])
    assert sapp.get(f"/evaluations/trace-runs/{again['id']}/scores").get_json() == []
    assert sapp.get(f"{RUNS}/{again['id']}/scores").get_json()[0]["value"] == reliability["value"]


# -- list, read, delete, retry ---------------------------------------------------------------------


def test_list_and_read_either_kind(sapp):
    t = trace(sapp, "s-1")
    session_run = batch(sapp, ["s-1"])
    trace_run = sapp.post("/evaluations/trace-runs/batch", json={"trace_ids": [t], "metrics": ["coherence"]}).get_json()
    assert [r["id"] for r in sapp.get(RUNS).get_json()["items"]] == [session_run["id"]]
    assert [r["id"] for r in sapp.get("/evaluations/trace-runs").get_json()["items"]] == [trace_run["id"]]
    assert sapp.get(f"{RUNS}?status=COMPLETED").get_json()["total"] == 1
    assert sapp.get(f"{RUNS}?status=PENDING").get_json()["total"] == 0
    assert errors(sapp.get(f"{RUNS}?status=DONE")) == [
        ("query -> status", "Input should be 'PENDING', 'RUNNING', 'COMPLETED' or 'FAILED'")]
    assert errors(sapp.get(f"{RUNS}?limit=201"))[0][0] == "query -> limit"
    assert sapp.get(f"{RUNS}?limit=200").status_code == 200
    assert sapp.get(f"{RUNS}/{trace_run['id']}").get_json()["target_type"] == "TRACE"
    assert sapp.get(f"/evaluations/trace-runs/{session_run['id']}").get_json()["target_type"] == "SESSION"
    ghost = str(uuid.uuid4())
    assert detail(sapp.get(f"{RUNS}/{ghost}"), 404) == f"Eval run {ghost} not found."
    assert errors(sapp.get(f"{RUNS}/nope"))[0][0] == "path -> run_id"
    assert sapp.get(f"{RUNS}/{ghost}/scores").get_json() == []


def test_runs_are_per_project(tmp_path):
    app, api = make_api(tmp_path)
    other = Api(app.test_client(), key_headers("other"))
    trace(api, "s-1")
    run = batch(api, ["s-1"])
    assert detail(other.get(f"{RUNS}/{run['id']}"), 404) == f"Eval run {run['id']} not found."
    assert other.get(RUNS).get_json()["total"] == 0
    assert other.get(f"{RUNS}/{run['id']}/scores").get_json() == []
    assert detail(other.post(RUNS, json={"metrics": ["agent_reliability"]})) == "No sessions match the provided filters."
    foreign = batch(other, ["s-1"])  # the other project has no such session
    assert other.get(f"{RUNS}/{foreign['id']}/scores").get_json() == []
    app.extensions["store"].close()


def test_delete_keeps_or_deletes_the_scores(sapp):
    trace(sapp, "s-1")
    keep = batch(sapp, ["s-1"])
    assert errors(sapp.delete(f"{RUNS}/{keep['id']}?delete_scores=maybe")) == [
        ("query -> delete_scores", "Input should be a valid boolean, unable to interpret input")]
    response = sapp.delete(f"{RUNS}/{keep['id']}")
    assert response.status_code == 204 and response.get_data() == b""
    kept = sapp.get("/evaluations/session-scores/s-1").get_json()
    assert len(kept) == 1 and kept[0]["eval_run_id"] is None
    signals = sapp.get("/evaluations/trace-scores").get_json()["items"]
    assert len(signals) == 4 and all(s["eval_run_id"] is None for s in signals)
    assert detail(sapp.delete(f"{RUNS}/{keep['id']}"), 404) == f"Eval run {keep['id']} not found."
    sapp.delete("/evaluations/trace-scores/" + signals[0]["id"])  # one signal missing: computed again
    gone = batch(sapp, ["s-1"])
    assert len(sapp.get(f"/evaluations/trace-runs/{gone['id']}/scores").get_json()) == 1
    assert sapp.delete(f"/evaluations/trace-runs/{gone['id']}?delete_scores=true").status_code == 204
    assert sapp.get("/evaluations/session-scores/s-1").get_json() == kept
    assert sapp.get("/evaluations/trace-scores").get_json()["total"] == 3


def test_retry(sapp):
    trace(sapp, "s-1")
    ghost = str(uuid.uuid4())
    assert detail(sapp.post(f"{RUNS}/{ghost}/retry"), 404) == f"Eval run {ghost} not found."
    clean = batch(sapp, ["s-1"])
    assert detail(sapp.post(f"{RUNS}/{clean['id']}/retry")) == "No failed scores to retry in this run."
    # a judge rule failing a session metric (the only way one fails) makes a retry possible
    rule = sapp.client.post("/_fake/judge", json={"metric": "agent_consistency", "error": "boom"}).get_json()
    failing = batch(sapp, ["s-1", "s-2"], ["agent_reliability", "agent_consistency"], name="A",
                    signal_weights={"confidence": 1.5})
    trace(sapp, "s-2")
    assert done(sapp, failing)["failed_count"] == 1
    failed = [s for s in sapp.get(f"{RUNS}/{failing['id']}/scores").get_json() if s["status"] == "FAILED"]
    assert [(s["name"], s["value"], s["reason"]) for s in failed] == [
        ("agent_consistency", None, "Metric execution failed: boom")]
    sapp.client.delete(f"/_fake/judge/{rule['id']}")
    retry = sapp.post(f"{RUNS}/{failing['id']}/retry")
    assert retry.status_code == 202
    retry = retry.get_json()
    assert (retry["name"], retry["target_type"], retry["metric_names"], retry["status"]) == \
        ("Retry: A", "SESSION", ["agent_consistency"], "PENDING")
    assert retry["filters"] == {"retry_of": failing["id"], "session_ids": ["s-1"],
                                "signal_weights": {"confidence": 1.5}}
    redone = sapp.get(f"{RUNS}/{retry['id']}/scores").get_json()
    assert [(s["session_id"], s["name"], s["status"]) for s in redone] == [("s-1", "agent_consistency", "SUCCESS")]
    assert len(sapp.get(f"{RUNS}/{failing['id']}/scores").get_json()) == 2  # the original is unchanged


def test_the_lifecycle_follows_the_clock(tmp_path):
    app, api = make_api(tmp_path, judge_delay=10)
    control = app.test_client()
    control.post("/_fake/clock", json={"freeze": "2026-03-01T10:00:00Z"})
    trace(api, "s-1")
    run = batch(api, ["s-1"])
    assert done(api, run)["status"] == "PENDING"
    control.post("/_fake/clock", json={"advance_seconds": 5})
    assert done(api, run)["status"] == "RUNNING"
    assert api.get(f"{RUNS}/{run['id']}/scores").get_json() == []
    control.post("/_fake/clock", json={"advance_seconds": 5})
    finished = done(api, run)
    assert (finished["status"], finished["completed_at"]) == ("COMPLETED", "2026-03-01T10:00:10+00:00")
    assert api.get(f"{RUNS}/{run['id']}/scores").get_json()[0]["created_at"] == "2026-03-01T10:00:10+00:00"
    app.extensions["store"].close()


def test_session_runs_round_trip_through_fixtures(sapp):
    trace(sapp, "s-1")
    run = batch(sapp, ["s-1"], ["agent_reliability", "agent_consistency"])
    dumped = sapp.client.get("/_fake/fixtures").get_json()
    (project,) = dumped["projects"]
    assert [r["target_type"] for r in project["runs"]] == ["SESSION"]
    before = (sapp.get(f"{RUNS}/{run['id']}").get_json(), sapp.get(f"{RUNS}/{run['id']}/scores").get_json())
    sapp.client.post("/_fake/reset")
    assert sapp.client.post("/_fake/fixtures", json=dumped).status_code == 201
    assert (sapp.get(f"{RUNS}/{run['id']}").get_json(), sapp.get(f"{RUNS}/{run['id']}/scores").get_json()) == before


def test_extreme_inputs_are_answered_not_crashed(sapp):
    t = trace(sapp, "s", tags=["t-7"])
    score(sapp, t, "confidence", 0.4)
    many_tags = [f"t-{i}" for i in range(40_000)]  # past SQLite's parameter limit
    assert create(sapp, filters={"tags": many_tags})["total_targets"] == 1
    assert sapp.post("/evaluations/trace-runs", json={"metrics": ["coherence"],
                                                      "filters": {"tags": many_tags}}).status_code == 202
    assert create(sapp, filters={"min_trace_count": 1})["total_targets"] == 1
    # the largest count a filter takes matches nothing; one more is refused where integers are read
    assert detail(sapp.post(RUNS, json={"metrics": ["agent_reliability"], "filters": {"min_trace_count": 2 ** 63 - 1}})) \
        == "No sessions match the provided filters."
    assert sapp.post(RUNS, json={"metrics": ["agent_reliability"], "filters": {"min_trace_count": 2 ** 63}}).get_json()[
        "errors"] == [{"field": "filters -> min_trace_count",
                       "message": "Input should be less than or equal to 9223372036854775807"}]
    huge = batch(sapp, ["s"], ["agent_reliability", "agent_consistency"], signal_weights={"confidence": 1e308})
    response = sapp.get(f"{RUNS}/{huge['id']}/scores")
    assert response.status_code == 200
    assert {s["value"] for s in response.get_json()} == {"0.0"}
    assert sapp.get("/evaluations/session-scores").status_code == 200
