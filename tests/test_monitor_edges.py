"""Monitor cadences at the calendar's edges (cadence.py; BEHAVIOR.md is silent, upstream's
croniter raises, a 500): a cron expression no date matches is a 422 `Invalid cron expression`
on create, on PATCH and in a fixture; a cron cadence whose next match would be past year 9999
gives a monitor that never falls due (next_run_at shown as the last instant), as a late
interval cadence already did -- never a 500.  And a monitor's stored filters read back as
all stored JSON is (jsonio.read_json)."""

from __future__ import annotations

MONITORS = "/evaluations/monitors"
LAST = "9999-12-31T23:59:59.999999+00:00"


def body(cadence: str) -> dict:
    return {"name": "edge", "target_type": "TRACE", "metrics": ["task_completion"], "cadence": cadence}


def test_a_cron_no_date_matches_is_refused(api, client):
    for expression in ("0 0 30 2 *", "0 0 31 4 *"):
        response = api.post(MONITORS, json=body(f"cron:{expression}"))
        assert (response.status_code, response.get_json()) == (
            422, {"detail": f"Invalid cron expression: '{expression}'"})
    assert api.get(MONITORS).get_json()["total"] == 0
    leap = api.post(MONITORS, json=body("cron:0 0 29 2 *"))  # the rarest date that matches: accepted
    assert leap.status_code == 201, leap.get_json()
    one = f"{MONITORS}/{leap.get_json()['id']}"
    patched = api.patch(one, json={"cadence": "cron:0 0 30 2 *"})
    assert (patched.status_code, patched.get_json()) == (422, {"detail": "Invalid cron expression: '0 0 30 2 *'"})
    assert api.get(one).get_json() == leap.get_json()
    fixture = client.post("/_fake/fixtures", json={"projects": [{"name": "demo", "monitors": [
        {"name": "m", "target_type": "TRACE", "metric_names": ["task_completion"], "cadence": "cron:0 0 30 2 *"}]}]})
    assert fixture.status_code == 422
    assert fixture.get_json()["errors"] == [{"field": "projects -> 0 -> monitors -> 0 -> cadence",
                                             "message": "Value error, Invalid cron expression: '0 0 30 2 *'"}]


def test_a_cron_past_year_9999_never_falls_due(api, client):
    assert client.post("/_fake/clock", json={"freeze": "9999-12-31T23:00:00Z"}).status_code == 200
    assert api.post("/traces", json={"name": "t", "started_at": "9999-12-31T22:00:00Z"}).status_code == 202
    created = {}
    for cadence in ("cron:0 0 31 12 *", "cron:@yearly", "daily"):
        response = api.post(MONITORS, json=body(cadence))
        assert response.status_code == 201, response.get_json()
        created[cadence] = response.get_json()
        assert created[cadence]["next_run_at"] == LAST
    last_hour = api.post(MONITORS, json=body("cron:30 23 * * *")).get_json()  # still matches once
    assert last_hour["next_run_at"] == "9999-12-31T23:30:00+00:00"
    one = f"{MONITORS}/{created['daily']['id']}"
    patched = api.patch(one, json={"cadence": "cron:0 0 1 1 *"})
    assert (patched.status_code, patched.get_json()["next_run_at"]) == (200, LAST)
    assert api.post(one + "/pause").status_code == 200
    assert api.post(one + "/resume").get_json()["next_run_at"] == LAST
    assert client.post("/_fake/clock", json={"freeze": "9999-12-31T23:59:59Z"}).status_code == 200
    for monitor in created.values():  # the clock at its end: none of them fired
        assert api.get(f"{MONITORS}/{monitor['id']}/runs").get_json()["total"] == 0
    assert api.get(f"{MONITORS}/{last_hour['id']}/runs").get_json()["total"] == 1
    fixture = client.post("/_fake/fixtures", json={"projects": [{"name": "late", "monitors": [
        {"name": "m", "target_type": "TRACE", "metric_names": ["task_completion"], "cadence": "cron:0 0 31 12 *",
         "created_at": "9999-12-31T12:00:00Z"}]}]})
    assert fixture.status_code == 201, fixture.get_json()


def test_stored_filters_read_back_as_every_stored_json(api):
    """A monitor's filters go through the store's one JSON writer and reader (jsonio.read_json),
    as a run's do: JSONB key order at every level, -0.0 as 0.0, integers past 64 bits exact."""
    sent = {"zz": -0.0, "nested": {"bb": [{"yy": 1, "a": -0.0}], "a": 2}, "big": 2 ** 70}
    monitor = api.post(MONITORS, json={**body("daily"), "filters": sent}).get_json()
    for shown in (monitor, api.get(f"{MONITORS}/{monitor['id']}").get_json()):
        assert shown["filters"] == {"zz": 0.0, "big": 2 ** 70, "nested": {"a": 2, "bb": [{"a": 0.0, "yy": 1}]}}
        assert list(shown["filters"]) == ["zz", "big", "nested"]
        assert list(shown["filters"]["nested"]) == ["a", "bb"]
    raw = api.get(f"{MONITORS}/{monitor['id']}").get_data(as_text=True)
    assert '"zz":0.0' in raw and "-0.0" not in raw
