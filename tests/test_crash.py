"""Crash safety: SIGKILL `python app.py --db FILE` in the middle of a stream of creates,
restart it on the same file, and find every score that got a 201."""

import os
import signal
import sqlite3
import threading
import time
import uuid

import pytest
import requests

from conftest import SCORES, key_headers

pytestmark = pytest.mark.process

REPEATS = int(os.environ.get("CRASH_REPEATS", "2"))


@pytest.mark.parametrize("attempt", range(REPEATS))
def test_sigkill_loses_nothing_acknowledged(live_server_factory, tmp_path, attempt):
    db = str(tmp_path / "crash.db")
    server = live_server_factory("--db", db)
    acknowledged: list[str] = []
    stop = threading.Event()

    def stream(n: int) -> None:
        http = requests.Session()
        http.headers.update(key_headers("crash"))
        while not stop.is_set():
            try:
                r = http.post(server.url + SCORES, json={"trace_id": str(uuid.uuid4()), "name": f"w{n}",
                                                         "value": "0.5", "metadata": {"pad": "x" * 200}},
                              timeout=5)
            except requests.RequestException:
                return  # the server is gone
            if r.status_code == 201:
                acknowledged.append(r.json()["id"])

    writers = [threading.Thread(target=stream, args=(n,)) for n in range(4)]
    for w in writers:
        w.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 150 + 50 * attempt and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    stop.set()
    for w in writers:
        w.join()
    assert len(acknowledged) >= 150

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    again = live_server_factory("--db", db)
    http = requests.Session()
    http.headers.update(key_headers("crash"))
    stored: set[str] = set()
    offset = 0
    while True:
        page = http.get(again.url + SCORES, params={"limit": 200, "offset": offset}).json()["items"]
        if not page:
            break
        stored.update(s["id"] for s in page)
        offset += 200
    assert set(acknowledged) <= stored
    assert len(stored) - len(acknowledged) <= 4  # at most one in flight per writer
