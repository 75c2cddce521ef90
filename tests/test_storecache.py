"""The store's caches (stores/cache.py): a project's score count (the `total` of an unfiltered
list) and project ids by name stay exactly right across every kind of write."""

from __future__ import annotations

import sqlite3
import threading
import uuid

import pytest

from pandaprobe_fake.stores.cache import COUNT, MISSING, PROJECT, StoreCache
from pandaprobe_fake.store import SCORE_COLUMNS, Store

from conftest import SCORES


def fields(**extra):
    return {"trace_id": str(uuid.uuid4()), "name": "accuracy", "value": "0.5", "num": 0.5,
            "data_type": "NUMERIC", "source": "ANNOTATION", "reason": None, "metadata": "{}",
            **extra}


def total(store: Store, project_id: str) -> int:
    return store.list_scores(project_id, {}, 50, 0)[1]


@pytest.fixture
def store(tmp_path):
    store = Store(str(tmp_path / "cache.db"))
    yield store
    store.close()


def test_the_unfiltered_total_follows_creates_edits_and_deletes(store):
    project, other = store.project_id_for_name("a"), store.project_id_for_name("b")
    made = [store.create_score(project, fields())["id"] for _ in range(3)]
    assert total(store, project) == 3 and total(store, other) == 0   # now remembered
    store.create_score(project, fields())
    store.create_score(other, fields())
    assert total(store, project) == 4 and total(store, other) == 1
    store.update_score(project, made[0], {"value": "0.9"})
    assert store.delete_score(project, made[1]) is True
    assert store.delete_score(project, made[1]) is False           # a second delete changes nothing
    assert store.delete_score(other, made[2]) is False             # nor one from another project
    assert total(store, project) == 3 and total(store, other) == 1


def test_a_write_that_does_not_say_what_it_changed_drops_the_counts(store):
    project = store.project_id_for_name("a")
    for _ in range(3):
        store.create_score(project, fields())
    assert total(store, project) == 3
    with store.write() as conn:  # e.g. a reset, or a trace deleted with its scores
        conn.execute("DELETE FROM trace_scores WHERE project_id = ?", (project,))
    assert total(store, project) == 0
    row = {**dict.fromkeys(SCORE_COLUMNS), **fields(), "id": str(uuid.uuid4()), "project_id": project,
           "status": "SUCCESS", "created_at": 1, "updated_at": 1}
    store.insert_scores([row])
    assert total(store, project) == 1


def test_a_rolled_back_write_changes_no_count(store):
    project = store.project_id_for_name("a")
    store.create_score(project, fields())
    assert total(store, project) == 1
    with pytest.raises(sqlite3.IntegrityError):
        store.create_score(project, fields(name=None))  # NOT NULL: rolled back
    assert total(store, project) == 1


def test_a_change_behind_the_stores_back_shows_after_clear_caches(store, tmp_path):
    project = store.project_id_for_name("a")
    store.create_score(project, fields())
    assert total(store, project) == 1
    with sqlite3.connect(tmp_path / "cache.db") as outside:
        outside.execute("DELETE FROM trace_scores")
        outside.execute("DELETE FROM projects")
    assert total(store, project) == 1                 # remembered, as documented
    store.clear_caches()
    assert total(store, project) == 0
    assert store.project_id_for_name("a") != project  # the project is made anew


def test_project_ids_are_remembered_and_forgotten_with_a_reset(store):
    first = store.project_id_for_name("a")
    assert store.project_id_for_name("a") == first
    with store.write() as conn:  # a reset: every project goes
        conn.execute("DELETE FROM projects")
    second = store.project_id_for_name("a")
    assert second != first
    assert [p["id"] for p in store.projects()] == [second]


def test_a_value_read_while_a_write_was_in_flight_is_not_kept():
    cache = StoreCache()
    _, token = cache.get(COUNT, "p")
    cache.write_began(known=True)
    cache.put(COUNT, "p", 5, token)                 # the write may or may not be in that 5
    _, busy = cache.get(COUNT, "p")
    cache.put(COUNT, "p", 5, busy)
    cache.write_ended(known=True, committed=True, counts={"p": 1})
    assert cache.get(COUNT, "p")[0] is MISSING
    cache.put(COUNT, "p", 6, token)                 # a token from before the write: stale
    assert cache.get(COUNT, "p")[0] is MISSING
    _, token = cache.get(COUNT, "p")
    cache.put(COUNT, "p", 6, token)
    assert cache.get(COUNT, "p")[0] == 6


def test_a_known_write_adjusts_counts_and_keeps_projects_but_an_unknown_one_drops_both():
    cache = StoreCache()
    for kind, key, value in ((COUNT, "p", 6), (PROJECT, "a", "p")):
        cache.put(kind, key, value, cache.get(kind, key)[1])
    _, project_token = cache.get(PROJECT, "b")
    cache.write_began(known=True)
    cache.put(PROJECT, "b", "q", project_token)       # a known write cannot change a project id
    cache.write_ended(known=True, committed=True, counts={"p": -2, "q": 1})
    assert cache.get(COUNT, "p")[0] == 4 and cache.get(COUNT, "q")[0] is MISSING
    assert cache.get(PROJECT, "a")[0] == "p" and cache.get(PROJECT, "b")[0] == "q"
    cache.write_began(known=True)
    cache.write_ended(known=True, committed=False, counts={"p": 1})  # rolled back
    assert cache.get(COUNT, "p")[0] == 4
    cache.write_began(known=False)
    cache.write_ended(known=False, committed=True, counts={})
    assert cache.get(COUNT, "p")[0] is MISSING and cache.get(PROJECT, "a")[0] is MISSING


def test_totals_stay_exact_under_concurrent_writes_and_reads(store):
    project = store.project_id_for_name("a")
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(40):
                score = store.create_score(project, fields())
                if i % 3 == 0:
                    store.delete_score(project, score["id"])
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    def reader() -> None:
        try:
            for _ in range(60):
                total(store, project)
        except BaseException as err:  # pragma: no cover
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.read() as conn:
        exact = conn.execute("SELECT COUNT(*) FROM trace_scores").fetchone()[0]
    assert exact == 3 * (40 - 14)
    assert total(store, project) == exact


def test_the_api_total_follows_posts_and_deletes(api, other_api):
    created = [api.score()["id"] for _ in range(3)]
    other_api.score()
    assert api.get(SCORES).get_json()["total"] == 3
    assert api.delete(f"{SCORES}/{created[0]}").status_code == 204
    assert other_api.delete(f"{SCORES}/{created[1]}").status_code == 404
    api.score()
    assert api.get(SCORES).get_json()["total"] == 3
    assert other_api.get(SCORES).get_json()["total"] == 1


def test_a_project_known_by_id_is_recorded_again_after_a_reset(store):
    project_id = str(uuid.uuid4())
    store.remember_project_id(project_id)
    store.remember_project_id(project_id)
    assert [p["id"] for p in store.projects()] == [project_id]
    with store.write() as conn:
        conn.execute("DELETE FROM projects")
    store.remember_project_id(project_id)
    assert [p["id"] for p in store.projects()] == [project_id]
