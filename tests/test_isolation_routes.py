"""Project isolation over every upstream route the fake serves, walked from the app's URL map:
another project calling each route with the victim's ids (trace, span, session, trace and
session scores, trace and session runs, monitor) gets a 404, an empty answer or an object of its
own -- never the victim's data, never a 500 -- and the victim's state is unchanged afterwards.
(test_isolation.py holds the older, hand-listed matrix of the score and trace routes.)"""

from __future__ import annotations

import uuid

import pytest

from conftest import Api, key_headers
from pandaprobe_fake.app import create_app

# Strings only the victim's objects hold (no id: a 404 sentence may echo an id from the URL).
SECRETS = ("victim-secret-trace", "victim-secret-span", "victim-secret-reason", "victim-secret-monitor",
           "victim-secret-run", "victim-secret-input", "victim-secret-user")
SKIPPED = ("meta.", "openapi.", "unimplemented.", "ui.", "fake", "static")


@pytest.fixture
def world(tmp_path):
    app = create_app({"database": str(tmp_path / "iso.db"), "judge_delay": 0})
    client = app.test_client()
    victim = Api(client, key_headers("victim"))
    session_id = "victim-session-" + uuid.uuid4().hex[:8]
    trace_id, span_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert victim.post("/traces", json={
        "trace_id": trace_id, "name": "victim-secret-trace", "session_id": session_id,
        "user_id": "victim-secret-user", "input": {"q": "victim-secret-input"}, "status": "COMPLETED",
        "started_at": "2026-01-01T00:00:00Z", "ended_at": "2026-01-01T00:00:05Z",
        "spans": [{"span_id": span_id, "name": "victim-secret-span", "started_at": "2026-01-01T00:00:01Z"}],
    }).status_code == 202
    score = victim.score(trace_id=trace_id, name="victim_metric", value="0.7", reason="victim-secret-reason")
    trace_run = victim.post("/evaluations/trace-runs/batch", json={
        "name": "victim-secret-run", "trace_ids": [trace_id], "metrics": ["task_completion"]}).get_json()
    session_run = victim.post("/evaluations/session-runs/batch", json={
        "name": "victim-secret-run", "session_ids": [session_id], "metrics": ["agent_reliability"]}).get_json()
    monitor = victim.post("/evaluations/monitors", json={
        "name": "victim-secret-monitor", "target_type": "TRACE", "metrics": ["task_completion"],
        "cadence": "daily"}).get_json()
    session_scores = victim.get(f"/evaluations/session-scores/{session_id}").get_json()
    assert session_scores, "the session run wrote no session score"
    ids = {"trace_id": trace_id, "span_id": span_id, "session_id": session_id, "score_id": score["id"],
           "run_id": None, "monitor_id": monitor["id"], "session_score_id": session_scores[0]["id"],
           "trace_run_id": trace_run["id"], "session_run_id": session_run["id"]}
    yield app, client, victim, ids
    app.extensions["store"].close()


def victim_view(victim: Api, ids: dict) -> list[bytes]:
    """Everything the victim can read of its own objects (times of reading excluded: no writes)."""
    paths = ["/traces", f"/traces/{ids['trace_id']}", "/sessions", f"/sessions/{ids['session_id']}",
             "/evaluations/trace-scores", "/evaluations/session-scores", "/evaluations/trace-runs",
             "/evaluations/session-runs", "/evaluations/monitors", f"/evaluations/monitors/{ids['monitor_id']}",
             f"/evaluations/trace-runs/{ids['trace_run_id']}/scores",
             f"/evaluations/session-runs/{ids['session_run_id']}/scores"]
    return [victim.get(path).get_data() for path in paths]


def calls(app, ids: dict) -> list[tuple[str, str, object]]:
    """Every upstream route the fake serves, with the victim's ids in its path (a run id: once
    the trace run's, once the session run's; a score id of session scores: the session score's)."""
    bodies = {
        "POST /traces": {"trace_id": ids["trace_id"], "name": "hijack", "started_at": "2026-01-01"},
        "POST /traces/<trace_id>/spans": [{"span_id": ids["span_id"], "name": "hijack", "started_at": "2026-01-01"}],
        "PATCH /traces/<trace_id>": {"name": "hijack"},
        "PATCH /traces/<trace_id>/spans/<span_id>": {"name": "hijack"},
        "POST /traces/batch/delete": {"trace_ids": [ids["trace_id"]]},
        "POST /traces/batch/tags": {"trace_ids": [ids["trace_id"]], "add_tags": ["hijack"]},
        "POST /evaluations/trace-scores": {"trace_id": ids["trace_id"], "name": "x", "value": "0.1"},
        "PATCH /evaluations/trace-scores/<score_id>": {"value": "0.1", "reason": "hijack"},
        "POST /evaluations/trace-runs": {"metrics": ["task_completion"]},
        "POST /evaluations/trace-runs/batch": {"trace_ids": [ids["trace_id"]], "metrics": ["task_completion"]},
        "POST /evaluations/session-runs": {"metrics": ["agent_reliability"]},
        "POST /evaluations/session-runs/batch": {"session_ids": [ids["session_id"]], "metrics": ["agent_reliability"]},
        "POST /evaluations/monitors": {"name": "mine", "target_type": "TRACE", "metrics": ["task_completion"],
                                       "cadence": "daily"},
        "PATCH /evaluations/monitors/<monitor_id>": {"name": "hijack"},
    }
    queries = {"/trend": "?metric_name=victim_metric", "/distribution": "?metric_name=victim_metric",
               "/comparison": "?metric_name=agent_reliability", "/template": "?metric=task_completion",
               "/analytics": "?started_after=2025-01-01T00:00:00Z&started_before=2027-01-01T00:00:00Z"}
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(SKIPPED) or rule.rule == "/":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            run_ids = ([ids["trace_run_id"], ids["session_run_id"]] if "<run_id>" in rule.rule else [None])
            for run_id in run_ids:
                path = rule.rule.replace("<run_id>", str(run_id))
                score_id = ids["session_score_id"] if "session-scores" in path else ids["score_id"]
                for name in ("trace_id", "span_id", "session_id", "monitor_id"):
                    path = path.replace(f"<{name}>", ids[name])
                path = path.replace("<score_id>", score_id)
                assert "<" not in path, path
                path += next((q for end, q in queries.items() if path.endswith(end)), "")
                out.append((method, path, bodies.get(f"{method} {rule.rule}")))
    return out


def test_every_route_from_another_project(world):
    app, client, victim, ids = world
    before = victim_view(victim, ids)
    attacker = Api(client, key_headers("attacker"))
    walked = calls(app, ids)
    assert len(walked) >= 50  # every served upstream operation (runs' paths twice)
    # reads first (the attacker has nothing yet), then writes, then reads again
    reads = [c for c in walked if c[0] == "GET"]
    writes = [c for c in walked if c[0] != "GET"]
    for method, path, body in reads + writes + reads:
        response = getattr(attacker, method.lower())(path, json=body)
        text = response.get_data(as_text=True)
        assert response.status_code in (200, 201, 202, 204, 404, 422), (method, path, response.status_code, text)
        if method == "GET":  # every read is well formed: only writes may meet a domain 422
            assert response.status_code in (200, 404), (method, path, response.status_code, text)
        for secret in SECRETS:
            assert secret not in text, (method, path, secret)
    # every single-object route with the victim's id in its path is a 404 or empty for the attacker
    for method, path, body in reads:
        if any(ids[k] in path for k in ("trace_run_id", "session_run_id", "monitor_id", "session_id")):
            response = attacker.get(path)
            data = response.get_json()
            assert response.status_code == 404 or data in ([], {}) or data.get("items") == [], (path, data)
    assert victim_view(victim, ids) == before
