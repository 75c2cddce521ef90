"""The official CLI (its binary, from env PANDAPROBE_CLI) against `python app.py`: `sessions
list|get`, `evals scores list|get --target session`, `evals metrics --target session` and `evals
monitors create|list|get|update|delete|pause|resume|runs`, each output checked against what the
API holds.  Skipped with a reason when PANDAPROBE_CLI is unset, a failure when CI=true."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from conftest import key_headers

pytestmark = pytest.mark.process

CLI = os.environ.get("PANDAPROBE_CLI")
PROJECT = "cli-sessions"
RUN = str(uuid.uuid4())


@pytest.fixture(scope="module")
def cli_binary():
    if not CLI:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but PANDAPROBE_CLI is not set: the CLI tests must run in CI")
        pytest.skip("PANDAPROBE_CLI is not set (the official CLI binary; .ci/run builds it)")
    assert os.access(CLI, os.X_OK), f"PANDAPROBE_CLI={CLI} is not an executable"
    return CLI


@pytest.fixture
def fake(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "cli.db"), "--quiet")
    http = server.session(key_headers(PROJECT))
    http.base = server.url
    return server, http


@pytest.fixture
def run(cli_binary, fake, tmp_path):
    server, _ = fake
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NO_COLOR": "1",
           "PANDAPROBE_ENDPOINT": server.url, "PANDAPROBE_API_KEY": "sk_pp_cli_test",
           "PANDAPROBE_PROJECT_NAME": PROJECT}

    def run(*args: str, ok: bool = True):
        done = subprocess.run([cli_binary, *args], env=env, capture_output=True, text=True, timeout=60)
        if not ok:
            assert done.returncode != 0, done.stdout
            return done
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return json.loads(done.stdout)
    return run


def api(fake, method, path, **kwargs):
    _, http = fake
    response = http.request(method, http.base + path, **kwargs)
    assert response.status_code < 300, (path, response.status_code, response.text)
    return response.json() if response.content else None


@pytest.fixture
def data(fake):
    """Two sessions of traces and their session scores."""
    for session, user, status, started in (("s-1", "u-1", "COMPLETED", "2026-03-29T10:00:00Z"),
                                           ("s-1", "u-2", "ERROR", "2026-03-29T10:05:00Z"),
                                           ("s-2", "u-3", "COMPLETED", "2026-03-28T09:00:00Z")):
        api(fake, "POST", "/traces", json={
            "name": "agent", "session_id": session, "user_id": user, "status": status,
            "started_at": started, "ended_at": started.replace(":00Z", ":02Z"), "tags": [session],
            "spans": [{"name": "llm", "kind": "LLM", "started_at": started,
                       "token_usage": {"prompt_tokens": 3, "completion_tokens": 4},
                       "cost": {"total": 0.5}}]})
    scores = [{"session_id": s, "name": name, "value": value, "eval_run_id": RUN,
               "created_at": f"2026-03-29T1{i}:00:00Z", "reason": "from a session run"}
              for i, (s, name, value) in enumerate((("s-1", "agent_reliability", "0.4"),
                                                    ("s-1", "agent_consistency", "0.9"),
                                                    ("s-2", "agent_reliability", "1.0")))]
    _, http = fake
    response = http.post(http.base + "/_fake/fixtures",
                         json={"projects": [{"name": PROJECT, "session_scores": scores}]})
    assert response.status_code == 201, response.text


def as_list(page):
    return {"items": page["items"],
            "pagination": {"total": page["total"], "limit": page["limit"], "offset": page["offset"]}}


def test_sessions_list_and_get(run, fake, data):
    assert run("sessions", "list") == as_list(api(fake, "GET", "/sessions"))
    query = "?has_error=true&sort_by=trace_count&sort_order=asc&limit=1"
    listed = run("sessions", "list", "--has-error", "--sort-by", "trace_count", "--sort-order", "asc",
                 "--limit", "1")
    assert listed == as_list(api(fake, "GET", "/sessions" + query))
    assert [s["session_id"] for s in listed["items"]] == ["s-1"]
    filtered = run("sessions", "list", "--user-id", "u-2", "--tags", "s-1,zzz", "--query", "S-",
                   "--started-after", "2026-03-29")
    assert filtered == as_list(api(fake, "GET", "/sessions?user_id=u-2&tags=s-1&tags=zzz&query=S-"
                                                "&started_after=2026-03-29T00:00:00Z"))
    assert filtered["items"][0]["trace_count"] == 1

    detail = api(fake, "GET", "/sessions/s-1")
    shown = run("sessions", "get", "s-1")
    assert {k: v for k, v in shown.items() if k != "traces"} == \
        {k: v for k, v in detail.items() if k != "traces"}
    assert [t["trace_id"] for t in shown["traces"]] == [t["trace_id"] for t in detail["traces"]]
    assert shown["total_tokens"] == 14 and shown["has_error"] is True
    paged = run("sessions", "get", "s-1", "--limit", "1", "--offset", "1")
    assert [t["trace_id"] for t in paged["traces"]] == [detail["traces"][1]["trace_id"]]
    trimmed = run("sessions", "get", "s-1", "--include-traces=false")
    assert trimmed.get("traces") is None and trimmed["trace_count"] == 2
    missing = run("sessions", "get", "nope", ok=False)
    assert "Session 'nope' not found." in missing.stdout + missing.stderr


def test_session_scores_and_metrics(run, fake, data):
    assert run("evals", "scores", "list", "--target", "session") == \
        as_list(api(fake, "GET", "/evaluations/session-scores"))
    narrowed = run("evals", "scores", "list", "--target", "session", "--session-id", "s-1",
                   "--name", "agent_reliability", "--eval-run-id", RUN, "--status", "SUCCESS")
    assert narrowed == as_list(api(fake, "GET", "/evaluations/session-scores?session_id=s-1"
                                                "&name=agent_reliability"))
    assert [s["value"] for s in narrowed["items"]] == ["0.4"]
    assert run("evals", "scores", "get", "s-1", "--target", "session") == \
        api(fake, "GET", "/evaluations/session-scores/s-1")
    assert run("evals", "scores", "get", "unknown", "--target", "session") == []
    metrics = run("evals", "metrics", "--target", "session")
    assert metrics == api(fake, "GET", "/evaluations/session-metrics")
    assert [m["name"] for m in metrics] == ["agent_consistency", "agent_reliability"]


def test_monitors(run, fake):
    created = run("evals", "monitors", "create", "--target", "session", "--name", "nightly sessions",
                  "--metrics", "agent_reliability,agent_consistency", "--cadence", "cron:0 3 * * *",
                  "--min-trace-count", "2", "--signal-weights", '{"confidence": 2}',
                  "--sampling-rate", "0.5", "--model", "gpt-4o-mini")
    one = f"/evaluations/monitors/{created['id']}"
    assert created == api(fake, "GET", one)
    assert (created["target_type"], created["cadence"], created["status"], created["model"]) == (
        "SESSION", "cron:0 3 * * *", "ACTIVE", "gpt-4o-mini")
    assert created["filters"] == {"signal_weights": {"confidence": 2.0}, "min_trace_count": 2}
    trace = run("evals", "monitors", "create", "--name", "errors", "--metrics", "task_completion",
                "--cadence", "every_6h", "--status", "ERROR", "--only-if-changed=false")
    assert trace["filters"] == {"status": "ERROR"} and trace["only_if_changed"] is False

    assert run("evals", "monitors", "list") == as_list(api(fake, "GET", "/evaluations/monitors"))
    assert [m["id"] for m in run("evals", "monitors", "list", "--status", "ACTIVE", "--limit", "1")["items"]] \
        == [trace["id"]]
    assert run("evals", "monitors", "get", created["id"]) == api(fake, "GET", one)

    updated = run("evals", "monitors", "update", created["id"], "--name", "renamed",
                  "--cadence", "daily", "--filters", '{"has_error": true}')
    assert updated == api(fake, "GET", one)
    assert (updated["name"], updated["cadence"]) == ("renamed", "daily")
    assert updated["filters"] == {"has_error": True, "signal_weights": {"confidence": 2.0}}
    reset = run("evals", "monitors", "update", created["id"], "--signal-weights", "null")
    assert reset["filters"] == {"has_error": True}
    refused = run("evals", "monitors", "update", trace["id"], "--metrics", "agent_reliability", ok=False)
    assert "Unknown metrics: agent_reliability" in refused.stdout + refused.stderr

    paused = run("evals", "monitors", "pause", created["id"])
    assert (paused["status"], paused["next_run_at"]) == ("PAUSED", None)
    assert paused == api(fake, "GET", one)
    resumed = run("evals", "monitors", "resume", created["id"])
    assert resumed["status"] == "ACTIVE" and resumed["next_run_at"] is not None
    assert resumed == api(fake, "GET", one)
    assert run("evals", "monitors", "runs", created["id"]) == as_list(api(fake, "GET", one + "/runs"))

    assert run("evals", "monitors", "delete", created["id"]) == {"status": "deleted", "id": created["id"]}
    gone = run("evals", "monitors", "get", created["id"], ok=False)
    assert f"Eval monitor {created['id']} not found." in gone.stdout + gone.stderr
    assert [m["id"] for m in api(fake, "GET", "/evaluations/monitors")["items"]] == [trace["id"]]
