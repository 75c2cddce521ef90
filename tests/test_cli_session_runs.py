"""The official CLI (env PANDAPROBE_CLI) against `python app.py`: `evals runs create|batch|list|
get|scores --target session`, `evals scores list|get --target session` over what a session run
wrote, and `evals monitors trigger|runs`, each output checked against what the API holds.
Skipped with a reason when PANDAPROBE_CLI is unset, a failure when CI=true."""

from __future__ import annotations

import pytest

from conftest import key_headers
from test_cli_sessions import PROJECT, api, as_list, cli_binary, run  # noqa: F401  (fixtures)

pytestmark = pytest.mark.process

RUNS = "/evaluations/session-runs"


@pytest.fixture
def fake(live_server_factory, tmp_path):
    """`python app.py` with no judge delay: a run is done by the next request."""
    server = live_server_factory("--db", str(tmp_path / "cli.db"), "--quiet", "--judge-delay", "0")
    http = server.session(key_headers(PROJECT))
    http.base = server.url
    return server, http


@pytest.fixture
def sessions(fake):
    """Sessions s-1 (two traces, one in ERROR, a confidence score) and s-2 (one trace)."""
    ids = []
    for session, status, started in (("s-1", "COMPLETED", "2026-03-29T10:00:00Z"),
                                      ("s-1", "ERROR", "2026-03-29T10:05:00Z"),
                                      ("s-2", "COMPLETED", "2026-03-28T09:00:00Z")):
        ids.append(api(fake, "POST", "/traces", json={
            "name": "agent", "session_id": session, "user_id": "u-1", "status": status,
            "input": {"q": "hi"}, "output": {"a": session}, "started_at": started})["trace_id"])
    api(fake, "POST", "/evaluations/trace-scores", json={
        "trace_id": ids[0], "name": "confidence", "value": "0.4", "data_type": "NUMERIC"})
    return ids


def test_session_runs_through_the_cli(run, fake, sessions):
    created = run("evals", "runs", "create", "--target", "session", "--name", "cli",
                  "--metrics", "agent_reliability,agent_consistency", "--min-trace-count", "2",
                  "--has-error", "--signal-weights", '{"confidence": 2}', "--model", "gpt-4o-mini")
    assert (created["status"], created["target_type"], created["total_targets"], created["model"]) == \
        ("PENDING", "SESSION", 1, "openai/gpt-4o-mini")
    assert created["filters"] == {"has_error": True, "min_trace_count": 2, "signal_weights": {"confidence": 2.0}}
    one = f"{RUNS}/{created['id']}"
    shown = run("evals", "runs", "get", created["id"], "--target", "session")
    assert shown == api(fake, "GET", one)
    assert (shown["status"], shown["evaluated_count"]) == ("COMPLETED", 1)

    batch = run("evals", "runs", "batch", "--target", "session", "--session-ids", "s-1,s-2,s-1",
                "--metrics", "agent_reliability")
    assert batch["filters"] == {"session_ids": ["s-1", "s-2"]} and batch["total_targets"] == 2
    assert run("evals", "runs", "list", "--target", "session") == as_list(api(fake, "GET", RUNS))
    assert [r["id"] for r in run("evals", "runs", "list", "--target", "session", "--status", "COMPLETED")["items"]] \
        == [batch["id"], created["id"]]
    assert run("evals", "runs", "list", "--target", "trace")["items"] == []

    scores = run("evals", "runs", "scores", created["id"], "--target", "session")
    assert scores == api(fake, "GET", one + "/scores")
    assert {(s["session_id"], s["name"], s["value"]) for s in scores} == {
        ("s-1", "agent_reliability", "0.0"), ("s-1", "agent_consistency", "0.0")}  # confidence 0.4, weight 2

    assert run("evals", "scores", "list", "--target", "session") == \
        as_list(api(fake, "GET", "/evaluations/session-scores"))
    assert run("evals", "scores", "list", "--target", "session", "--eval-run-id", batch["id"]) == \
        as_list(api(fake, "GET", f"/evaluations/session-scores?eval_run_id={batch['id']}"))
    assert run("evals", "scores", "get", "s-2", "--target", "session") == \
        api(fake, "GET", "/evaluations/session-scores/s-2")
    refused = run("evals", "runs", "create", "--target", "session", "--metrics", "coherence", ok=False)
    assert "Unknown session metrics: coherence" in refused.stdout + refused.stderr


def test_monitor_trigger_and_runs_through_the_cli(run, fake, sessions):
    monitor = api(fake, "POST", "/evaluations/monitors", json={
        "name": "nightly", "target_type": "SESSION", "metrics": ["agent_reliability"], "cadence": "daily"})
    api(fake, "POST", f"/evaluations/monitors/{monitor['id']}/pause")
    triggered = run("evals", "monitors", "trigger", monitor["id"])
    assert (triggered["name"], triggered["monitor_id"], triggered["target_type"], triggered["total_targets"]) == \
        ("[Monitor] nightly", monitor["id"], "SESSION", 2)
    after = api(fake, "GET", f"/evaluations/monitors/{monitor['id']}")
    assert (after["status"], after["last_run_id"]) == ("PAUSED", triggered["id"])
    runs = run("evals", "monitors", "runs", monitor["id"])
    assert runs == as_list(api(fake, "GET", f"/evaluations/monitors/{monitor['id']}/runs"))
    assert [r["id"] for r in runs["items"]] == [triggered["id"]]
    empty = api(fake, "POST", "/evaluations/monitors", json={
        "name": "none", "target_type": "TRACE", "metrics": ["coherence"], "cadence": "daily",
        "filters": {"user_id": "nobody"}})
    refused = run("evals", "monitors", "trigger", empty["id"], ok=False)
    assert "No traces match the monitor's filters." in refused.stdout + refused.stderr
