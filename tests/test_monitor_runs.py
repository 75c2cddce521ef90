"""Monitors spawning runs, in process: `POST /evaluations/monitors/{id}/trigger` (BEHAVIOR.md,
"Monitors") and monitors firing when the fake's clock passes their next_run_at
(api/evaluations/scheduler.py): one run per due time, catch-up bounded, only_if_changed,
paused monitors left alone, cron cadences, the runs listed under `.../runs`."""

from __future__ import annotations

import time
import uuid

import pytest

from conftest import Api, key_headers
from pandaprobe_fake.api.evaluations import scheduler
from pandaprobe_fake.app import create_app
from pandaprobe_fake.fields import parse_datetime as parse_iso

MONITORS = "/evaluations/monitors"
T0 = "2026-03-01T10:00:00+00:00"


@pytest.fixture
def env(tmp_path):
    app = create_app({"database": str(tmp_path / "mon.db"), "judge_delay": 0})
    control = app.test_client()
    assert control.post("/_fake/clock", json={"freeze": T0}).status_code == 200
    yield Api(app.test_client(), key_headers("mon")), control
    app.extensions["store"].close()


def trace(api: Api, session: str | None = "s-1", **fields) -> str:
    response = api.post("/traces", json={"name": "agent", "input": "q", "output": "a", "session_id": session,
                                         "started_at": "2026-03-01T09:00:00Z", **fields})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["trace_id"]


def monitor(api: Api, **fields) -> dict:
    body = {"name": "m", "target_type": "TRACE", "metrics": ["coherence"], "cadence": "every_6h", **fields}
    response = api.post(MONITORS, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def advance(control, seconds: float) -> None:
    assert control.post("/_fake/clock", json={"advance_seconds": seconds}).status_code == 200


def runs_of(api: Api, m: dict) -> list[dict]:
    return api.get(f"{MONITORS}/{m['id']}/runs?limit=200").get_json()["items"]


def get(api: Api, m: dict) -> dict:
    return api.get(f"{MONITORS}/{m['id']}").get_json()


# -- trigger -------------------------------------------------------------------------------------


def test_trigger_spawns_a_run_and_moves_the_schedule(env):
    api, control = env
    trace(api)
    m = monitor(api, name="quality", metrics=["coherence", "confidence"], model="claude-3-5-haiku",
                filters={"status": "COMPLETED"})
    advance(control, 60)
    response = api.post(f"{MONITORS}/{m['id']}/trigger")
    assert response.status_code == 202
    run = response.get_json()
    assert (run["name"], run["monitor_id"], run["target_type"], run["status"]) == \
        ("[Monitor] quality", m["id"], "TRACE", "PENDING")
    assert (run["metric_names"], run["filters"], run["model"], run["total_targets"]) == \
        (["coherence", "confidence"], {"status": "COMPLETED"}, "anthropic/claude-3-5-haiku", 1)
    after = get(api, m)
    assert (after["last_run_id"], after["last_run_at"], after["updated_at"]) == \
        (run["id"], "2026-03-01T10:01:00+00:00", "2026-03-01T10:01:00+00:00")
    assert after["next_run_at"] == "2026-03-01T16:01:00+00:00"  # now + 6 h
    assert after["status"] == "ACTIVE"
    assert [r["id"] for r in runs_of(api, m)] == [run["id"]]
    assert api.get(f"/evaluations/trace-runs/{run['id']}").get_json()["status"] == "COMPLETED"


def test_trigger_a_paused_monitor_and_one_without_targets(env):
    api, control = env
    m = monitor(api, only_if_changed=True)
    api.post(f"{MONITORS}/{m['id']}/pause")
    paused = get(api, m)
    response = api.post(f"{MONITORS}/{m['id']}/trigger")
    assert response.status_code == 422
    assert response.get_json() == {"detail": "No traces match the monitor's filters."}
    assert get(api, m) == paused  # unchanged
    s = monitor(api, target_type="SESSION", metrics=["agent_reliability"], signal_weights={"confidence": 2})
    assert api.post(f"{MONITORS}/{s['id']}/trigger").get_json() == \
        {"detail": "No sessions match the monitor's filters."}
    trace(api)
    run = api.post(f"{MONITORS}/{m['id']}/trigger").get_json()  # paused: still triggered
    after = get(api, m)
    assert (after["status"], after["last_run_id"], after["next_run_at"]) == \
        ("PAUSED", run["id"], "2026-03-01T16:00:00+00:00")
    session_run = api.post(f"{MONITORS}/{s['id']}/trigger").get_json()
    assert (session_run["target_type"], session_run["filters"], session_run["total_targets"]) == \
        ("SESSION", {"signal_weights": {"confidence": 2.0}}, 1)
    scores = api.get(f"/evaluations/session-runs/{session_run['id']}/scores").get_json()
    assert [(s["session_id"], s["name"]) for s in scores] == [("s-1", "agent_reliability")]
    ghost = str(uuid.uuid4())
    assert api.post(f"{MONITORS}/{ghost}/trigger").get_json() == {"detail": f"Eval monitor {ghost} not found."}
    other = Api(api.client, key_headers("other"))
    assert other.post(f"{MONITORS}/{m['id']}/trigger").status_code == 404


def test_trigger_samples_at_least_one(env):
    api, _ = env
    for _ in range(5):
        trace(api)
    m = monitor(api, sampling_rate=0)
    assert api.post(f"{MONITORS}/{m['id']}/trigger").get_json()["total_targets"] == 1
    half = monitor(api, sampling_rate=0.5)
    assert api.post(f"{MONITORS}/{half['id']}/trigger").get_json()["total_targets"] == 2


# -- on the clock ----------------------------------------------------------------------------------


def test_a_monitor_fires_when_the_clock_passes_its_next_run(env):
    api, control = env
    trace(api)
    m = monitor(api, only_if_changed=False)
    advance(control, 6 * 3600 - 1)
    assert runs_of(api, m) == []
    advance(control, 1)
    (run,) = runs_of(api, m)
    assert (run["name"], run["created_at"], run["status"], run["monitor_id"]) == \
        ("[Monitor] m", "2026-03-01T16:00:00+00:00", "COMPLETED", m["id"])
    after = get(api, m)
    assert (after["last_run_at"], after["last_run_id"], after["next_run_at"]) == \
        ("2026-03-01T16:00:00+00:00", run["id"], "2026-03-01T22:00:00+00:00")
    assert api.get("/evaluations/trace-runs").get_json()["items"][0]["id"] == run["id"]
    # a long advance: one run per due time, each at its time
    advance(control, 24 * 3600)
    times = [r["created_at"] for r in runs_of(api, m)]
    assert times == ["2026-03-02T16:00:00+00:00", "2026-03-02T10:00:00+00:00", "2026-03-02T04:00:00+00:00",
                     "2026-03-01T22:00:00+00:00", "2026-03-01T16:00:00+00:00"]
    assert get(api, m)["next_run_at"] == "2026-03-02T22:00:00+00:00"


def test_catch_up_is_bounded_to_the_latest_due_times(env):
    api, control = env
    trace(api)
    m = monitor(api, only_if_changed=False)
    advance(control, 30 * 24 * 3600)  # 120 due times
    runs = runs_of(api, m)
    assert len(runs) == scheduler.CATCH_UP
    assert runs[0]["created_at"] == "2026-03-31T10:00:00+00:00"
    assert runs[-1]["created_at"] == "2026-03-25T16:00:00+00:00"
    assert get(api, m)["next_run_at"] == "2026-03-31T16:00:00+00:00"


def test_only_if_changed_evaluates_only_new_traffic(env):
    api, control = env
    trace(api)
    trace(api)
    m = monitor(api)  # only_if_changed defaults to true
    advance(control, 6 * 3600)
    assert len(runs_of(api, m)) == 1  # never run: the first due time fires
    advance(control, 12 * 3600)
    assert len(runs_of(api, m)) == 1  # nothing ingested since
    assert get(api, m)["next_run_at"] == "2026-03-02T10:00:00+00:00"
    advance(control, 3600)
    trace(api)
    advance(control, 5 * 3600)
    runs = runs_of(api, m)
    assert [r["created_at"] for r in runs] == ["2026-03-02T10:00:00+00:00", "2026-03-01T16:00:00+00:00"]
    assert [r["total_targets"] for r in runs] == [1, 2]  # the new trace only; all on the first run


def test_only_if_changed_session_monitor_runs_the_sessions_with_new_traces(env):
    api, control = env
    trace(api, "a")
    trace(api, "b")
    m = monitor(api, target_type="SESSION", metrics=["agent_reliability"], filters={"min_trace_count": 2})
    trace(api, "a")
    advance(control, 6 * 3600)
    (first,) = runs_of(api, m)
    assert first["total_targets"] == 1  # only "a" has two traces
    trace(api, "b")
    trace(api, "a", user_id="u")
    advance(control, 6 * 3600)
    second = runs_of(api, m)[0]
    assert second["total_targets"] == 2 and second["id"] != first["id"]
    assert sorted(s["session_id"] for s in api.get(f"/evaluations/session-runs/{second['id']}/scores").get_json()) \
        == ["a", "b"]


def test_a_catch_up_run_sees_the_data_as_it_stood(env):
    api, control = env
    trace(api)
    m = monitor(api, only_if_changed=False)
    advance(control, 7 * 3600)  # 17:00: the 16:00 run fires with one trace
    trace(api)  # ingested at 17:00
    advance(control, 6 * 3600)
    assert [r["total_targets"] for r in runs_of(api, m)] == [2, 1]


def test_paused_monitors_do_not_fire_and_resume_starts_from_now(env):
    api, control = env
    trace(api)
    m = monitor(api, only_if_changed=False)
    api.post(f"{MONITORS}/{m['id']}/pause")
    advance(control, 48 * 3600)
    assert runs_of(api, m) == []
    api.post(f"{MONITORS}/{m['id']}/resume")
    assert get(api, m)["next_run_at"] == "2026-03-03T16:00:00+00:00"
    advance(control, 6 * 3600)
    assert len(runs_of(api, m)) == 1


def test_cron_monitors_fire_on_their_matches(env):
    api, control = env
    trace(api)
    m = monitor(api, cadence="cron:0 * * * *", only_if_changed=False)
    assert m["next_run_at"] == "2026-03-01T11:00:00+00:00"
    advance(control, 3 * 3600 + 30)
    assert [r["created_at"] for r in runs_of(api, m)] == [
        "2026-03-01T13:00:00+00:00", "2026-03-01T12:00:00+00:00", "2026-03-01T11:00:00+00:00"]
    assert get(api, m)["next_run_at"] == "2026-03-01T14:00:00+00:00"


def test_a_session_monitor_fires_session_runs(env):
    api, control = env
    trace(api, "a")
    trace(api, "b")
    m = monitor(api, target_type="SESSION", metrics=["agent_reliability", "agent_consistency"], cadence="daily")
    advance(control, 24 * 3600)
    (run,) = runs_of(api, m)
    assert (run["target_type"], run["total_targets"], run["evaluated_count"]) == ("SESSION", 2, 2)
    assert len(api.get(f"/evaluations/session-runs/{run['id']}/scores").get_json()) == 4
    assert api.get("/evaluations/session-runs").get_json()["items"][0]["id"] == run["id"]


def test_deleting_a_run_or_the_monitor(env):
    api, control = env
    trace(api)
    m = monitor(api, only_if_changed=False)
    advance(control, 6 * 3600)
    (run,) = runs_of(api, m)
    api.delete(f"{MONITORS}/{m['id']}")
    advance(control, 6 * 3600)  # a deleted monitor fires no more
    assert api.get(f"/evaluations/trace-runs/{run['id']}").get_json()["monitor_id"] is None
    assert api.get("/evaluations/trace-runs").get_json()["total"] == 1


def test_scheduler_cost_when_nothing_is_due(env):
    api, _ = env
    for _ in range(50):
        monitor(api)
    store = api.client.application.extensions["store"]
    state = api.client.application.extensions["fake"]
    started = time.perf_counter()
    for _ in range(1000):
        scheduler.fire_due(store, state)
    per_call = (time.perf_counter() - started) / 1000
    assert per_call < 0.001, per_call  # one indexed MIN() query (about 20 us here)


def test_due_times():
    hour = 3_600_000_000
    first = parse_iso("2026-03-01T06:00:00Z")
    assert scheduler.due_times("every_6h", first, first) == ([first], first + 6 * hour)
    assert scheduler.due_times("every_6h", first, first + 13 * hour) == \
        ([first, first + 6 * hour, first + 12 * hour], first + 18 * hour)
    times, following = scheduler.due_times("cron:0 * * * *", first, first + 2 * hour + 5, cap=2)
    assert (times, following) == ([first + hour, first + 2 * hour], first + 3 * hour)


def test_a_fixture_monitor_with_unreadable_filters_is_a_422_not_a_500(env):
    api, control = env
    trace(api)
    loaded = control.post("/_fake/fixtures", json={"projects": [{"name": "mon", "monitors": [
        {"name": "bad", "target_type": "TRACE", "metric_names": ["coherence"], "cadence": "every_6h",
         "filters": {"tags": 5, "status": "bogus"}, "only_if_changed": False},
        {"name": "worse", "target_type": "SESSION", "metric_names": ["agent_reliability"],
         "cadence": "every_6h", "filters": {"min_trace_count": "x"}, "only_if_changed": False}]}]})
    assert loaded.status_code == 201, loaded.get_json()
    for m in api.get(MONITORS).get_json()["items"]:
        response = api.post(f"{MONITORS}/{m['id']}/trigger")
        assert response.status_code == 422
        assert {e["field"] for e in response.get_json()["errors"]} <= {
            "filters -> tags", "filters -> status", "filters -> min_trace_count"}
    advance(control, 6 * 3600)  # the scheduler skips them; every request still answers
    assert api.get("/traces").status_code == 200
    assert all(runs_of(api, m) == [] for m in api.get(MONITORS).get_json()["items"])
    assert {m["next_run_at"] for m in api.get(MONITORS).get_json()["items"]} == {"2026-03-01T22:00:00+00:00"}
