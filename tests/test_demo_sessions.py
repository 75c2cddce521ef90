"""Mock mode's sessions: the demo data set's session scores (computed from its own trace
scores, as a session run would) and the monitors behind its automated scores."""

from __future__ import annotations

import pytest

from pandaprobe_fake.app import create_app
from pandaprobe_fake.fake import session_metrics
from pandaprobe_fake.fake.session_metrics import SIGNALS


@pytest.fixture(scope="module")
def demo():
    app = create_app({"database": None, "mock": True, "demo_data": True, "seed": 3})
    yield app.test_client()
    app.extensions["store"].close()


def test_the_demo_has_its_two_monitors(demo):
    monitors = {m["name"]: m for m in demo.get("/evaluations/monitors").get_json()["items"]}
    assert set(monitors) == {"hourly-quality", "daily-sessions"}
    hourly, daily = monitors["hourly-quality"], monitors["daily-sessions"]
    assert (hourly["target_type"], hourly["cadence"], hourly["status"]) == ("TRACE", "cron:0 * * * *", "ACTIVE")
    assert "loop_detection" not in hourly["metric_names"] and len(hourly["metric_names"]) == 8
    assert (daily["target_type"], daily["cadence"]) == ("SESSION", "daily")
    assert daily["metric_names"] == ["agent_reliability", "agent_consistency"]
    assert hourly["next_run_at"] > hourly["last_run_at"] and daily["next_run_at"] > daily["last_run_at"]
    run_ids = {s["eval_run_id"] for s in demo.get("/evaluations/trace-scores?source=AUTOMATED&limit=200")
               .get_json()["items"]}
    assert hourly["last_run_id"] in run_ids


def test_demo_session_scores_are_the_session_metrics_of_the_demo_signals(demo):
    page = demo.get("/evaluations/session-scores?limit=200").get_json()
    assert page["total"] > 20
    names = {s["name"] for s in page["items"]}
    assert names == {"agent_reliability", "agent_consistency"}
    sessions = {s["session_id"] for s in page["items"]}
    assert sessions <= {s["session_id"] for s in demo.get("/sessions?limit=200").get_json()["items"]}
    for score in page["items"][:6]:
        session = demo.get(f"/sessions/{score['session_id']}").get_json()
        traces = []
        for trace in session["traces"]:
            signals = {}
            for item in demo.get(f"/evaluations/trace-scores?trace_id={trace['trace_id']}"
                                 "&status=SUCCESS&limit=200").get_json()["items"]:
                if item["name"] in SIGNALS and item["name"] not in signals:  # the newest
                    signals[item["name"]] = float(item["value"])
            traces.append((trace["trace_id"], signals))
        expected = session_metrics.compute(score["name"], traces)
        assert (score["value"], score["reason"], score["metadata"]) == (
            expected.value, expected.reason, expected.metadata)
        assert (score["source"], score["status"], score["data_type"]) == ("AUTOMATED", "SUCCESS", "NUMERIC")


def test_the_demo_session_analytics_answer(demo):
    summary = demo.get("/evaluations/analytics/session-scores/summary").get_json()
    assert [s["metric_name"] for s in summary] == ["agent_consistency", "agent_reliability"]
    worst = demo.get("/evaluations/analytics/session-scores/comparison?metric_name=agent_reliability"
                     "&limit=3").get_json()
    scores = [i["score"] for i in worst["items"]]
    assert scores == sorted(scores) and worst["total"] == summary[1]["success_count"]


def test_demo_sessions_list_newest_first(demo):
    """The demo's traces were ingested as they ended, so `recent` puts the latest session first."""
    items = demo.get("/sessions?limit=5").get_json()["items"]
    ends = [s["last_trace_at"] for s in items]
    assert ends == sorted(ends, reverse=True)
    latest = max(t["ended_at"] for t in demo.get("/traces?limit=200&sort_by=ended_at").get_json()["items"])
    assert items[0]["last_trace_at"] == latest


def test_the_daily_monitors_runs_are_session_run_objects(demo):
    monitors = {m["name"]: m for m in demo.get("/evaluations/monitors").get_json()["items"]}
    daily, hourly = monitors["daily-sessions"], monitors["hourly-quality"]
    runs = demo.get(f"/evaluations/monitors/{daily['id']}/runs?limit=200").get_json()["items"]
    assert runs and all(r["target_type"] == "SESSION" and r["status"] == "COMPLETED" for r in runs)
    assert all(r["name"] == "[Monitor] daily-sessions" and r["monitor_id"] == daily["id"] for r in runs)
    assert runs[0]["id"] == daily["last_run_id"]
    listed = demo.get("/evaluations/session-runs?limit=200").get_json()
    assert [r["id"] for r in listed["items"]] == [r["id"] for r in runs]
    for run in runs[:3]:
        scores = demo.get(f"/evaluations/session-runs/{run['id']}/scores").get_json()
        assert len(scores) == 2 * run["total_targets"] == 2 * run["evaluated_count"]
        assert {s["name"] for s in scores} == {"agent_reliability", "agent_consistency"}
    trace_runs = demo.get(f"/evaluations/monitors/{hourly['id']}/runs?limit=200").get_json()["items"]
    assert trace_runs and {r["target_type"] for r in trace_runs} == {"TRACE"}


def test_the_hourly_monitor_its_runs_and_their_scores_name_one_judge_model(demo):
    hourly = next(m for m in demo.get("/evaluations/monitors").get_json()["items"]
                  if m["name"] == "hourly-quality")
    runs = demo.get("/evaluations/trace-runs?limit=200").get_json()["items"]
    assert runs and {r["model"] for r in runs} == {hourly["model"]} == {"openai/gpt-4o-mini"}
    scores = demo.get("/evaluations/trace-scores?source=AUTOMATED&limit=200").get_json()["items"]
    assert {s["metadata"].get("judge_model") for s in scores if s["metadata"]} == {hourly["model"]}
