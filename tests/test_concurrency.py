"""8 threads x 500 mixed writes against one real server process: no 5xx, no "database is
locked", and the final state is exactly what the acknowledged requests imply."""

import random
import threading
import time
import uuid

import pytest
import requests

from conftest import SCORES, key_headers

pytestmark = pytest.mark.process

THREADS, OPS = 8, 500


def test_concurrent_writers(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "busy.db"), "--threads", "8")
    base = server.url + SCORES
    setup = requests.Session()
    setup.headers.update(key_headers("busy"))
    hot = setup.post(base, json={"trace_id": str(uuid.uuid4()), "name": "hot", "value": "0.5"}).json()

    created, deleted, patches, failures = [], [], [], []
    lock = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(n)
        http = requests.Session()
        http.headers.update(key_headers("busy"))
        mine: list[str] = []
        last_seen = ""
        for i in range(OPS):
            roll = rng.random()
            if roll < 0.45 or not mine:
                r = http.post(base, json={"trace_id": str(uuid.uuid4()), "name": f"m{n % 3}",
                                          "value": f"{rng.random():.3f}"})
                if r.status_code == 201:
                    mine.append(r.json()["id"])
                    with lock:
                        created.append(r.json()["id"])
            elif roll < 0.8:
                value = f"0.{n}{i:04d}"
                r = http.patch(f"{base}/{hot['id']}", json={"value": value})
                if r.status_code == 200:
                    body = r.json()
                    assert body["updated_at"] > last_seen  # never goes backwards for a client
                    last_seen = body["updated_at"]
                    with lock:
                        patches.append((body["updated_at"], value))
            else:
                victim = mine.pop(rng.randrange(len(mine)))
                r = http.delete(f"{base}/{victim}")
                if r.status_code == 204:
                    with lock:
                        deleted.append(victim)
            if r.status_code >= 300:
                with lock:
                    failures.append((r.status_code, r.text[:200]))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    print(f"\n{THREADS} threads x {OPS} requests in {elapsed:.1f} s ({THREADS * OPS / elapsed:.0f} req/s): "
          f"{len(created)} created, {len(patches)} patches of the hot score, {len(deleted)} deleted, "
          f"{len(failures)} failures")

    assert failures == []
    total = setup.get(base, params={"limit": 1}).json()["total"]
    assert total == 1 + len(created) - len(deleted)
    remaining = set()
    offset = 0
    while True:
        page = setup.get(base, params={"limit": 200, "offset": offset}).json()["items"]
        if not page:
            break
        remaining.update(s["id"] for s in page)
        offset += 200
    assert remaining == {hot["id"], *created} - set(deleted)
    latest = setup.get(server.url + f"{SCORES}/{hot['trace_id']}").json()[0]
    newest_update = max(patches)
    assert (latest["updated_at"], latest["value"]) == newest_update
    assert len({u for u, _ in patches}) == len(patches)  # every write got its own instant
    server.stop()
    log = server.log_text()
    assert "database is locked" not in log
    assert '" 5' not in log  # no 5xx status in the request log
    assert "Traceback" not in log
