"""Evaluation monitors (BEHAVIOR.md, "Monitors"): create and its checks in order, cadences and
next_run_at on the fake's clock, list/get, PATCH (nulls ignored, never a broken monitor),
delete, pause/resume, runs; the fixture document."""

from __future__ import annotations

import uuid

import pytest

MONITORS = "/evaluations/monitors"
MONITOR_KEYS = ["id", "project_id", "name", "target_type", "metric_names", "filters", "sampling_rate",
                "model", "cadence", "only_if_changed", "status", "last_run_at", "last_run_id",
                "next_run_at", "created_at", "updated_at"]
NOW = "2026-03-29T19:09:00.250000+00:00"
BAD_CADENCE = ("Invalid cadence '{}'. Must be one of [<MonitorCadence.EVERY_6H: 'every_6h'>, "
               "<MonitorCadence.DAILY: 'daily'>, <MonitorCadence.WEEKLY: 'weekly'>] or 'cron:<expression>'.")


@pytest.fixture(autouse=True)
def frozen(client):
    assert client.post("/_fake/clock", json={"freeze": NOW}).status_code == 200


def advance(client, seconds):
    assert client.post("/_fake/clock", json={"advance_seconds": seconds}).status_code == 200


def create(api, **fields):
    body = {"name": "nightly", "target_type": "TRACE", "metrics": ["task_completion"],
            "cadence": "daily", **fields}
    response = api.post(MONITORS, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def detail(response, status=422):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["detail"]


def errors(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["detail"] == "Validation error"
    return body["errors"]


def test_create(api, app):
    monitor = create(api, filters={"status": "ERROR", "zz": 1, "a": 2}, model="gpt-4o-mini",
                     sampling_rate=0.5, only_if_changed=False)
    assert list(monitor) == MONITOR_KEYS
    uuid.UUID(monitor["id"])
    assert monitor["project_id"] == app.extensions["store"].project_id_for_name("demo")
    assert monitor == {**monitor, "name": "nightly", "target_type": "TRACE",
                       "metric_names": ["task_completion"], "sampling_rate": 0.5,
                       "model": "gpt-4o-mini",  # as sent, not resolved
                       "cadence": "daily", "only_if_changed": False, "status": "ACTIVE",
                       "last_run_at": None, "last_run_id": None, "created_at": NOW, "updated_at": NOW,
                       "next_run_at": "2026-03-30T19:09:00.250000+00:00"}
    assert list(monitor["filters"]) == ["a", "zz", "status"]  # stored as sent, in JSONB key order
    defaults = create(api)
    assert (defaults["filters"], defaults["sampling_rate"], defaults["model"], defaults["only_if_changed"]) == (
        {}, 1.0, None, True)


@pytest.mark.parametrize("cadence, stored, next_run", [
    ("every_6h", "every_6h", "2026-03-30T01:09:00.250000+00:00"),
    ("weekly", "weekly", "2026-04-05T19:09:00.250000+00:00"),
    ("cron:0 3 * * *", "cron:0 3 * * *", "2026-03-30T03:00:00+00:00"),
    ("cron:   */15 * * * 1-5  ", "cron:*/15 * * * 1-5", "2026-03-30T00:00:00+00:00"),  # the 29th is a Sunday
    ("cron:@hourly", "cron:@hourly", "2026-03-29T20:00:00+00:00"),
    ("cron:0 3 * * * 30", "cron:0 3 * * * 30", "2026-03-30T03:00:30+00:00"),  # a trailing seconds field
])
def test_cadences_and_next_run_at(api, cadence, stored, next_run):
    monitor = create(api, cadence=cadence)
    assert (monitor["cadence"], monitor["next_run_at"]) == (stored, next_run)


@pytest.mark.parametrize("cadence, message", [
    ("cron:", "Cron expression must not be empty after 'cron:' prefix."),
    ("cron:   ", "Cron expression must not be empty after 'cron:' prefix."),
    ("cron:61 * * * *", "Invalid cron expression: '61 * * * *'"),
    ("cron: 0 3 * * ", "Invalid cron expression: '0 3 * *'"),
    ("cron:every day", "Invalid cron expression: 'every day'"),
    ("DAILY", BAD_CADENCE.format("DAILY")),
    ("hourly", BAD_CADENCE.format("hourly")),
    ("custom", BAD_CADENCE.format("custom")),
    ("", BAD_CADENCE.format("")),
])
def test_bad_cadences(api, cadence, message):
    assert detail(api.post(MONITORS, json={"name": "m", "target_type": "TRACE", "metrics": ["coherence"],
                                           "cadence": cadence})) == message


def test_missing_fields_are_listed_together(api):
    assert errors(api.post(MONITORS, json={})) == [
        {"field": f, "message": "Field required"} for f in ("name", "target_type", "metrics", "cadence")]


@pytest.mark.parametrize("body, field, message", [
    ({"metrics": []}, "metrics", "List should have at least 1 item after validation, not 0"),
    ({"sampling_rate": 1.5}, "sampling_rate", "Input should be less than or equal to 1"),
    ({"sampling_rate": -0.1}, "sampling_rate", "Input should be greater than or equal to 0"),
    ({"name": "x" * 256}, "name", "String should have at most 255 characters"),
    ({"filters": None}, "filters", "Input should be a valid dictionary"),
    ({"signal_weights": {"confidence": "heavy"}}, "signal_weights -> confidence",
     "Input should be a valid number, unable to parse string as a number"),
    ({"only_if_changed": "sometimes"}, "only_if_changed", "Input should be a valid boolean"),
])
def test_body_validation(api, body, field, message):
    full = {"name": "m", "target_type": "SESSION", "metrics": ["agent_reliability"], "cadence": "daily", **body}
    assert errors(api.post(MONITORS, json=full)) == [{"field": field, "message": message}]


def test_boundaries_that_pass(api):
    assert create(api, name="x" * 255, sampling_rate=0)["sampling_rate"] == 0.0
    assert create(api, sampling_rate=1)["sampling_rate"] == 1.0


def test_domain_checks_in_order(api):
    def post(**fields):
        return api.post(MONITORS, json={"name": "m", "cadence": "bogus", **fields})
    assert detail(post(target_type="trace", metrics=["nope"], signal_weights={"confidence": 2})) == \
        "target_type must be 'TRACE' or 'SESSION'."
    assert detail(post(target_type="TRACE", metrics=["nope"], signal_weights={"confidence": 2})) == \
        "signal_weights is only valid for SESSION monitors."
    assert detail(post(target_type="TRACE", metrics=["nope", "coherence", "agent_reliability"],
                       signal_weights={})) == "Unknown metrics: nope, agent_reliability"
    assert detail(post(target_type="SESSION", metrics=["agent_reliability", "loop_detection",
                                                        "task_completion"])) == \
        "Unknown metrics: loop_detection, task_completion"
    assert detail(post(target_type="SESSION", metrics=["agent_consistency"])) == BAD_CADENCE.format("bogus")
    assert api.get(MONITORS).get_json()["total"] == 0


@pytest.mark.parametrize("target_type, metrics, filters, field, message", [
    ("TRACE", ["coherence"], {"status": "bogus"}, "filters -> status",
     "Input should be 'PENDING', 'RUNNING', 'COMPLETED' or 'ERROR'"),
    ("TRACE", ["coherence"], {"date_from": "yesterday"}, "filters -> date_from",
     "Input should be a valid datetime or date, input is too short"),
    ("TRACE", ["coherence"], {"tags": "a"}, "filters -> tags", "Input should be a valid list"),
    ("SESSION", ["agent_reliability"], {"min_trace_count": 0}, "filters -> min_trace_count",
     "Input should be greater than or equal to 1"),
    ("SESSION", ["agent_reliability"], {"has_error": "yes"}, "filters -> has_error",
     "Input should be a valid boolean"),
])
def test_unreadable_filters_are_refused(api, target_type, metrics, filters, field, message):
    """Upstream stores them and its runs then fail (a 500); the fake refuses them at once."""
    response = api.post(MONITORS, json={"name": "m", "target_type": target_type, "metrics": metrics,
                                        "cadence": "daily", "filters": filters})
    assert errors(response) == [{"field": field, "message": message}]


def test_a_session_monitor_keeps_its_signal_weights_in_its_filters(api):
    monitor = create(api, target_type="SESSION", metrics=["agent_reliability", "agent_consistency"],
                     filters={"min_trace_count": 2, "has_error": True}, signal_weights={"confidence": 2})
    assert monitor["filters"] == {"has_error": True, "signal_weights": {"confidence": 2.0},
                                  "min_trace_count": 2}
    assert create(api, target_type="SESSION", metrics=["agent_reliability"], signal_weights={})["filters"] == {}


def test_list_get_and_scope(api, other_api, client):
    first = create(api, name="one")
    advance(client, 1)
    second = create(api, name="two")
    page = api.get(MONITORS).get_json()
    assert [m["id"] for m in page["items"]] == [second["id"], first["id"]]  # newest first
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    assert api.get(MONITORS + "?limit=1&offset=1").get_json()["items"] == [first]
    assert api.get(f"{MONITORS}/{first['id'].upper()}").get_json() == first
    assert other_api.get(MONITORS).get_json()["total"] == 0
    for response in (other_api.get(f"{MONITORS}/{first['id']}"),
                     other_api.patch(f"{MONITORS}/{first['id']}", json={"name": "x"}),
                     other_api.post(f"{MONITORS}/{first['id']}/pause"),
                     other_api.post(f"{MONITORS}/{first['id']}/resume"),
                     other_api.get(f"{MONITORS}/{first['id']}/runs"),
                     other_api.delete(f"{MONITORS}/{first['id']}")):
        assert detail(response, 404) == f"Eval monitor {first['id']} not found."
    assert api.get(f"{MONITORS}/{first['id']}").get_json()["name"] == "one"


def test_list_validation(api):
    assert errors(api.get(MONITORS + "?status=active")) == [
        {"field": "query -> status", "message": "Input should be 'ACTIVE' or 'PAUSED'"}]
    assert errors(api.get(MONITORS + "?limit=201"))[0]["field"] == "query -> limit"
    assert errors(api.get(f"{MONITORS}/not-a-uuid"))[0]["field"] == "path -> monitor_id"


def test_pause_and_resume(api, client):
    monitor = create(api, cadence="every_6h")
    one = f"{MONITORS}/{monitor['id']}"
    advance(client, 60)
    paused = api.post(one + "/pause").get_json()
    assert (paused["status"], paused["next_run_at"], paused["updated_at"]) == (
        "PAUSED", None, "2026-03-29T19:10:00.250000+00:00")
    advance(client, 60)
    assert api.post(one + "/pause").get_json() == paused  # already paused: unchanged
    assert [m["id"] for m in api.get(MONITORS + "?status=PAUSED").get_json()["items"]] == [monitor["id"]]
    assert api.get(MONITORS + "?status=ACTIVE").get_json()["total"] == 0
    resumed = api.post(one + "/resume").get_json()
    assert (resumed["status"], resumed["next_run_at"], resumed["updated_at"]) == (
        "ACTIVE", "2026-03-30T01:11:00.250000+00:00", "2026-03-29T19:11:00.250000+00:00")
    advance(client, 60)
    assert api.post(one + "/resume").get_json() == resumed  # already active: unchanged


def test_patch(api, client):
    monitor = create(api, model="gpt-4o")
    one = f"{MONITORS}/{monitor['id']}"
    advance(client, 30)
    assert api.patch(one, json={}).get_json() == monitor  # nothing changes, not even updated_at
    ignored = api.patch(one, json={"status": "PAUSED", "target_type": "SESSION", "bogus": 1,
                                   "metrics": None}).get_json()
    assert ignored == monitor
    changed = api.patch(one, json={"name": "renamed", "metrics": ["coherence", "confidence"],
                                   "sampling_rate": 0.25, "only_if_changed": False, "model": None,
                                   "filters": {"user_id": "u-1"}}).get_json()
    assert changed == {**monitor, "name": "renamed", "metric_names": ["coherence", "confidence"],
                       "sampling_rate": 0.25, "only_if_changed": False, "model": None,
                       "filters": {"user_id": "u-1"}, "updated_at": "2026-03-29T19:09:30.250000+00:00"}
    recadenced = api.patch(one, json={"cadence": "cron:0 3 * * *"}).get_json()
    assert (recadenced["cadence"], recadenced["next_run_at"]) == ("cron:0 3 * * *", "2026-03-30T03:00:00+00:00")


def test_patch_recomputes_next_run_even_when_paused(api, client):
    monitor = create(api)
    one = f"{MONITORS}/{monitor['id']}"
    api.post(one + "/pause")
    patched = api.patch(one, json={"cadence": "every_6h"}).get_json()
    assert (patched["status"], patched["next_run_at"]) == ("PAUSED", "2026-03-30T01:09:00.250000+00:00")


def test_patch_nulls_are_ignored_and_never_break_the_monitor(api):
    """Upstream: a 500 for these nulls, and `filters: null` breaks the monitor list for good."""
    monitor = create(api, filters={"status": "ERROR"})
    one = f"{MONITORS}/{monitor['id']}"
    response = api.patch(one, json={"name": None, "cadence": None, "sampling_rate": None,
                                    "only_if_changed": None, "filters": None})
    assert response.status_code == 200 and response.get_json() == monitor
    assert api.get(MONITORS).get_json()["items"] == [monitor]
    assert api.get(one).get_json() == monitor


def test_patch_checks(api):
    trace = create(api)
    session = create(api, target_type="SESSION", metrics=["agent_reliability"],
                     signal_weights={"confidence": 2}, filters={"user_id": "u"})
    t, s = f"{MONITORS}/{trace['id']}", f"{MONITORS}/{session['id']}"
    assert detail(api.patch(t, json={"metrics": ["agent_reliability"]})) == "Unknown metrics: agent_reliability"
    assert detail(api.patch(s, json={"metrics": ["coherence"]})) == "Unknown metrics: coherence"
    assert detail(api.patch(t, json={"signal_weights": {"confidence": 1}})) == \
        "signal_weights is only valid for SESSION monitors."
    assert api.patch(t, json={"signal_weights": {}}).get_json() == trace
    assert detail(api.patch(t, json={"cadence": "cron:"})) == \
        "Cron expression must not be empty after 'cron:' prefix."
    assert errors(api.patch(t, json={"filters": {"status": "bogus"}}))[0]["field"] == "filters -> status"
    assert errors(api.patch(t, json={"sampling_rate": 2}))[0] == {
        "field": "sampling_rate", "message": "Input should be less than or equal to 1"}
    assert errors(api.patch(t, json={"name": "x" * 256}))[0]["field"] == "name"
    assert api.get(t).get_json() == trace and api.get(s).get_json() == session
    # an invalid body is a 422 before the lookup, a valid one for an unknown id a 404
    unknown = f"{MONITORS}/{uuid.uuid4()}"
    assert api.patch(unknown, json={"sampling_rate": 2}).status_code == 422
    assert api.patch(unknown, json={"name": "x"}).status_code == 404


def test_patch_filters_and_signal_weights_of_a_session_monitor(api):
    session = create(api, target_type="SESSION", metrics=["agent_reliability"],
                     signal_weights={"confidence": 2}, filters={"user_id": "u"})
    s = f"{MONITORS}/{session['id']}"
    kept = api.patch(s, json={"filters": {"has_error": True}}).get_json()
    assert kept["filters"] == {"has_error": True, "signal_weights": {"confidence": 2.0}}
    replaced = api.patch(s, json={"signal_weights": {"coherence": 0.5}}).get_json()
    assert replaced["filters"] == {"has_error": True, "signal_weights": {"coherence": 0.5}}
    removed = api.patch(s, json={"signal_weights": None}).get_json()
    assert removed["filters"] == {"has_error": True}
    assert api.patch(s, json={"signal_weights": {"tool_correctness": 1}}).get_json()["filters"] == {
        "has_error": True, "signal_weights": {"tool_correctness": 1.0}}
    assert api.patch(s, json={"signal_weights": {}}).get_json()["filters"] == {"has_error": True}


def test_delete(api):
    monitor = create(api)
    one = f"{MONITORS}/{monitor['id']}"
    response = api.delete(one)
    assert response.status_code == 204 and response.get_data() == b""
    assert detail(api.delete(one), 404) == f"Eval monitor {monitor['id']} not found."
    assert detail(api.get(one), 404) == f"Eval monitor {monitor['id']} not found."


def test_runs_of_a_monitor(api):
    monitor = create(api)
    page = api.get(f"{MONITORS}/{monitor['id']}/runs").get_json()
    assert page == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert api.get(f"{MONITORS}/{monitor['id']}/runs?limit=200&offset=3").get_json()["limit"] == 200
    assert errors(api.get(f"{MONITORS}/{monitor['id']}/runs?limit=0"))[0]["field"] == "query -> limit"


def test_the_fixture_document_carries_monitors(api, client):
    trace = create(api, filters={"status": "ERROR"})
    session = create(api, target_type="SESSION", metrics=["agent_consistency"], cadence="cron:0 3 * * *",
                     signal_weights={"confidence": 2})
    api.post(f"{MONITORS}/{session['id']}/pause")
    before = api.get(MONITORS).get_json()
    dumped = client.get("/_fake/fixtures").get_json()
    assert [m["id"] for m in dumped["projects"][0]["monitors"]] == [trace["id"], session["id"]]
    client.post("/_fake/reset")
    client.post("/_fake/clock", json={"freeze": NOW})  # (the real clock is past their next runs)
    loaded = client.post("/_fake/fixtures", json=dumped)
    assert loaded.status_code == 201 and loaded.get_json()["projects"][0]["monitors"] == 2
    assert api.get(MONITORS).get_json() == before
    assert client.post("/_fake/fixtures", json=dumped).get_json()["detail"] == \
        f"Eval monitor {trace['id']} already exists."


def test_a_fixture_monitor_gets_its_next_run_from_its_cadence(client, api):
    response = client.post("/_fake/fixtures", json={"projects": [{"name": "demo", "monitors": [
        {"name": "m", "target_type": "SESSION", "metric_names": ["agent_reliability"],
         "cadence": "every_6h", "created_at": "2026-03-01T00:00:00Z"}]}]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["projects"][0]["monitors"] == 1
    (monitor,) = api.get(MONITORS).get_json()["items"]
    # loaded with next_run_at 2026-03-01T06:00 (created + 6 h); the frozen clock (03-29 19:09)
    # is past it, so it fired (no traces: no run) and moved on to the next 6-hour step after now
    assert (monitor["next_run_at"], monitor["status"]) == ("2026-03-30T00:00:00+00:00", "ACTIVE")
    assert (monitor["last_run_at"], monitor["last_run_id"]) == (None, None)
    bad = client.post("/_fake/fixtures", json={"projects": [{"name": "demo", "monitors": [
        {"name": "m", "target_type": "TRACE", "metric_names": ["agent_reliability"], "cadence": "hourly"}]}]})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.get_json()["errors"]}
    assert fields == {"projects -> 0 -> monitors -> 0 -> cadence"}


def test_monitor_routes_need_credentials(client):
    assert client.get(MONITORS).status_code == 401
    assert client.post(MONITORS, json={}).status_code == 401


def test_the_seams_to_the_evaluation_runs(api, app):
    """A store that holds runs answers a monitor's runs (`list_runs`) and detaches them when
    the monitor goes (`_detach_monitor_runs`, in the delete's transaction)."""
    store = app.extensions["store"]
    monitor = create(api)
    run = {"id": str(uuid.uuid4()), "name": "[Monitor] nightly", "status": "COMPLETED",
           "metric_names": ["task_completion"], "total_targets": 1, "evaluated_count": 1,
           "failed_count": 0, "created_at": 1_774_811_340_250_000, "completed_at": None,
           "project_id": monitor["project_id"], "target_type": "TRACE", "filters": {},
           "sampling_rate": 1.0, "model": "vertex_ai/gemini-3.1-flash-lite",
           "monitor_id": monitor["id"], "error_message": None}
    asked, detached = [], []
    store.list_runs = lambda project_id, filters, limit, offset: (
        asked.append((project_id, filters, limit, offset)) or ([run], 1))
    store._detach_monitor_runs = lambda conn, monitor_id: detached.append(monitor_id)
    page = api.get(f"{MONITORS}/{monitor['id']}/runs?limit=5&offset=0").get_json()
    assert page["items"][0]["id"] == run["id"] and page["total"] == 1
    assert page["items"][0]["created_at"] == "2026-03-29T19:09:00.250000+00:00"
    assert asked == [(monitor["project_id"], {"monitor_id": monitor["id"]}, 5, 0)]
    api.delete(f"{MONITORS}/{monitor['id']}")
    assert detached == [monitor["id"]]


def test_an_offset_past_sqlites_integers_is_an_empty_page(api):
    monitor = create(api)
    huge = "offset=100000000000000000000"
    assert api.get(f"{MONITORS}?{huge}").get_json()["items"] == []
    assert api.get(f"{MONITORS}/{monitor['id']}/runs?{huge}").get_json()["items"] == []
