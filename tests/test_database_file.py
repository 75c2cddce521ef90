"""The database file over its life (issue 15): a file of an earlier fake is upgraded in place
(`user_version` + ordered migrations; tests/data/fake-0.7.0.db was written by 0.7.0); a file of
a newer fake is refused untouched; a file deleted, replaced or made read-only while the fake runs
makes /health say so and writes answer 503 (never a 201 then lost); two processes on one file
see each other's writes and resets (no stale caches)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import stat
import subprocess
import sys

import pytest
import requests

from pandaprobe_fake.store import Store
from pandaprobe_fake.stores.files import FAKE_APP_ID, DatabaseFileError
from pandaprobe_fake.stores.migrations import SCHEMA_VERSION
from conftest import ROOT, SCORES, key_headers

pytestmark = pytest.mark.process  # starts the fake as a real process

LEGACY = ROOT / "tests" / "data" / "fake-0.7.0.db"
LEGACY_TRACE = "11111111-1111-4111-8111-111111111111"


def pragma(path, name: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_a_file_of_0_7_0_is_upgraded_in_place(tmp_path, live_server_factory):
    path = tmp_path / "legacy.db"
    shutil.copy(LEGACY, path)
    assert (pragma(path, "user_version"), pragma(path, "application_id")) == (0, 0)
    server = live_server_factory("--db", str(path))
    headers = key_headers("legacy")
    (score,) = requests.get(server.url + SCORES, headers=headers, timeout=10).json()["items"]
    assert (score["trace_id"], score["name"], score["value"]) == (LEGACY_TRACE, "accuracy", "0.75")
    trace = requests.get(f"{server.url}/traces/{LEGACY_TRACE}", headers=headers, timeout=10).json()
    assert trace["name"] == "legacy-trace" and [s["name"] for s in trace["spans"]] == ["llm"]
    created = requests.post(server.url + SCORES, headers=headers, timeout=10,
                            json={"trace_id": LEGACY_TRACE, "name": "tone", "value": "1"})
    assert created.status_code == 201
    server.stop()
    assert (pragma(path, "user_version"), pragma(path, "application_id")) == (SCHEMA_VERSION, FAKE_APP_ID)
    again = live_server_factory("--db", str(path))
    assert requests.get(again.url + SCORES, headers=headers, timeout=10).json()["total"] == 2


def test_a_file_of_a_newer_fake_is_refused_untouched(tmp_path):
    path = tmp_path / "newer.db"
    Store(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DatabaseFileError, match="newer pandaprobe-fake"):
        Store(str(path))
    result = subprocess.run([sys.executable, str(ROOT / "app.py"), "--db", str(path), "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert "newer pandaprobe-fake" in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def write_score(server, name="a"):
    return requests.post(server.url + SCORES, headers=key_headers(), timeout=10,
                         json={"trace_id": LEGACY_TRACE, "name": name, "value": "1"})


@pytest.mark.parametrize("how", ["deleted", "replaced", "read-only"])
def test_a_database_file_lost_while_running_refuses_writes(tmp_path, live_server_factory, how):
    path = tmp_path / "live.db"
    server = live_server_factory("--db", str(path))
    assert write_score(server).status_code == 201
    if how == "deleted":
        path.unlink()
    elif how == "replaced":
        path.rename(tmp_path / "moved.db")
        path.write_bytes(b"")
    else:
        path.chmod(stat.S_IRUSR)
    health = requests.get(server.url + "/health", timeout=10)
    assert health.status_code == 503
    assert health.json()["status"] == "unhealthy" and how.split("-")[0] in health.json()["detail"]
    refused = write_score(server, "lost")
    assert refused.status_code == 503
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.json()["detail"].startswith("Service unavailable: the database file")
    trace = requests.post(server.url + "/traces", headers=key_headers(), timeout=10,
                          json={"name": "t", "started_at": "2026-01-01T00:00:00Z"})
    assert trace.status_code == 503
    if how == "read-only":
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        assert requests.get(server.url + "/health", timeout=10).status_code == 200
        assert write_score(server, "back").status_code == 201


def test_two_processes_on_one_file_stay_consistent(tmp_path, live_server_factory):
    path = str(tmp_path / "shared.db")
    one = live_server_factory("--db", path)
    two = live_server_factory("--db", path)

    def total(server):
        return requests.get(server.url + SCORES, headers=key_headers(), timeout=10).json()["total"]

    assert total(one) == total(two) == 0  # both remember the count and the project id now
    assert write_score(one).status_code == 201
    assert total(two) == 1 and total(one) == 1
    assert write_score(two).status_code == 201
    assert total(one) == 2
    project_before = requests.get(f"{one.url}/_fake/fixtures", timeout=10).json()["projects"][0]["id"]
    assert requests.post(f"{two.url}/_fake/reset", json={}, timeout=10).status_code == 200
    assert total(one) == 0
    assert write_score(one).status_code == 201  # the project is made again, under a new id
    (project,) = requests.get(f"{two.url}/_fake/fixtures", timeout=10).json()["projects"]
    assert project["id"] != project_before and len(project["scores"]) == 1
    assert total(two) == 1
