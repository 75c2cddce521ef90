"""What is due (the next run to move on, the next monitor to fire) is asked before every
request and remembered until the store is written (Store.due_version): by this process at once,
by another process on the same file from this one's next request (Store.notice_other_writes), and
never lost under concurrent writes."""

from __future__ import annotations

import threading
import uuid

import pytest

from conftest import Api, key_headers
from pandaprobe_fake.app import create_app
from pandaprobe_fake.fields import parse_datetime

T0 = "2026-03-01T10:00:00+00:00"


@pytest.fixture
def two(tmp_path):
    """Two apps on one database file, each with its own store, as two processes have."""
    apps = [create_app({"database": str(tmp_path / "shared.db"), "judge_delay": 0}) for _ in range(2)]
    for app in apps:
        assert app.test_client().post("/_fake/clock", json={"freeze": T0}).status_code == 200
    yield apps
    for app in apps:
        app.extensions["store"].close()


def make_trace(api: Api) -> str:
    response = api.post("/traces", json={"name": "agent", "input": "q", "output": "a",
                                         "started_at": "2026-03-01T09:00:00Z"})
    assert response.status_code == 202
    return response.get_json()["trace_id"]


def test_this_processs_writes_are_seen_at_once(two):
    app = two[0]
    store, api = app.extensions["store"], Api(app.test_client(), key_headers("p"))
    assert store.next_due() is None and store.next_monitor_due() is None
    make_trace(api)
    run = api.post("/evaluations/trace-runs", json={"metrics": ["coherence"], "filters": {}})
    assert run.status_code == 202, run.get_json()
    assert store.next_due() is not None  # the PENDING run, not the remembered None
    monitor = api.post("/evaluations/monitors", json={"name": "m", "target_type": "TRACE",
                                                      "metrics": ["coherence"], "cadence": "every_6h"})
    assert monitor.status_code == 201
    assert store.next_monitor_due() == parse_datetime(monitor.get_json()["next_run_at"])
    assert api.post(f"/evaluations/monitors/{monitor.get_json()['id']}/pause").status_code == 200
    assert store.next_monitor_due() is None


def test_another_processs_writes_are_seen_once_this_one_learns_of_them(two):
    here, there = (app.extensions["store"] for app in two)
    there_api = Api(two[1].test_client(), key_headers("p"))
    assert here.next_due() is None and here.next_monitor_due() is None  # remembered from now on
    make_trace(there_api)
    monitor = there_api.post("/evaluations/monitors", json={
        "name": "m", "target_type": "TRACE", "metrics": ["coherence"], "cadence": "every_6h"}).get_json()
    assert there_api.post("/evaluations/trace-runs",  # last: the next request would finish it
                          json={"metrics": ["coherence"], "filters": {}}).status_code == 202
    here.remember_project_id(str(uuid.uuid4()))  # what every scoped request does first
    assert here.next_due() is not None
    assert here.next_monitor_due() == parse_datetime(monitor["next_run_at"])


def test_a_monitor_made_by_another_process_fires_here(two):
    here, there = two
    there_api = Api(there.test_client(), key_headers("p"))
    here_api, here_control = Api(here.test_client(), key_headers("p")), here.test_client()
    assert here_api.get("/health").status_code == 200  # remembers: nothing is due
    make_trace(there_api)
    monitor = there_api.post("/evaluations/monitors", json={
        "name": "m", "target_type": "TRACE", "metrics": ["coherence"], "cadence": "every_6h",
        "only_if_changed": False}).get_json()
    assert here_control.post("/_fake/clock", json={"advance_seconds": 6 * 3600}).status_code == 200
    here_api.get("/evaluations/monitors")  # learns of the other's writes
    runs = here_api.get(f"/evaluations/monitors/{monitor['id']}/runs").get_json()["items"]
    assert [run["created_at"] for run in runs] == ["2026-03-01T16:00:00+00:00"]


def test_writes_are_counted_one_by_one_under_concurrent_writers(tmp_path):
    app = create_app({"database": str(tmp_path / "w.db")})
    store = app.extensions["store"]
    before = store.due_version

    def bump() -> None:
        for _ in range(20_000):
            store._due_may_have_moved()  # what every write transaction does after its COMMIT

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.due_version == before + 80_000
    store.close()


def test_writes_of_scores_and_projects_alone_leave_what_is_due_remembered(two):
    app = two[0]
    store, api = app.extensions["store"], Api(app.test_client(), key_headers("p"))
    api.get("/health")
    version = store.due_version
    score = api.score()
    assert api.patch(f"/evaluations/trace-scores/{score['id']}", json={"value": "0.7"}).status_code == 200
    assert api.delete(f"/evaluations/trace-scores/{score['id']}").status_code == 204
    Api(app.test_client(), key_headers("another-project")).get("/evaluations/trace-scores")
    assert store.due_version == version
    make_trace(api)  # any other write may move it
    assert store.due_version > version


def test_another_processs_run_moves_on_at_this_ones_first_request(two):
    """Found in review: what is due was answered from memory before this process had learnt
    of the other's writes (it learnt of them only later in the request, resolving the
    project), so the first answer here showed the other's run still PENDING."""
    here, there = two
    here_api, there_api = Api(here.test_client(), key_headers("p")), Api(there.test_client(), key_headers("p"))
    assert here_api.get("/evaluations/trace-runs").status_code == 200  # remembers: nothing is due
    make_trace(there_api)
    run = there_api.post("/evaluations/trace-runs", json={"metrics": ["coherence"], "filters": {}})
    assert run.status_code == 202 and run.get_json()["status"] == "PENDING"
    answer = here_api.get(f"/evaluations/trace-runs/{run.get_json()['id']}").get_json()
    assert answer["status"] == "COMPLETED"


def test_another_processs_monitor_fires_at_this_ones_first_request(two):
    here, there = two
    here_api, there_api = Api(here.test_client(), key_headers("p")), Api(there.test_client(), key_headers("p"))
    assert here.test_client().get("/health").status_code == 200  # remembers: nothing is due
    make_trace(there_api)
    monitor = there_api.post("/evaluations/monitors", json={
        "name": "m", "target_type": "TRACE", "metrics": ["coherence"], "cadence": "every_6h",
        "only_if_changed": False}).get_json()
    assert here.test_client().post("/_fake/clock", json={"advance_seconds": 6 * 3600}).status_code == 200
    runs = here_api.get(f"/evaluations/monitors/{monitor['id']}/runs").get_json()["items"]
    assert [run["created_at"] for run in runs] == ["2026-03-01T16:00:00+00:00"]
