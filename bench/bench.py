"""The fake's benchmark (issue 6): one command, one table.

    python bench/bench.py                # everything (about 3-4 minutes with the 1M-score scale run)
    python bench/bench.py --quick        # a cheap pass: fewer requests, 3 s of load, 10k scores
    python bench/bench.py --skip-scale   # startup, latency, throughput only
    python bench/bench.py --only scale --scale 10000,100000
    python bench/bench.py --only sessions   # sessions and session scores on 100k traces (bench_sessions.py)
    python bench/bench.py --scale-db /tmp/scale.db   # keep the bulk-loaded database for the next run
    python bench/bench.py --only judge   # evaluation runs: creation, a 1,000-trace run to completion (bench_judge.py)
    python bench/bench.py --only session-runs   # a session run over 1,000 sessions (bench_judge.py)

It measures, against `python app.py` as a real process (default mode, a file database):
- startup: process launch to the first 200 from /health (default mode, and `--mock` when the
  fake has it), and the resident memory (RSS) right after;
- latency p50/p95 over one keep-alive connection for each route, and the same requests against
  the floor (bench_floor.py: a bare Flask app on waitress sending the fake's own response bytes,
  with no validation or storage), and the ratio of each route to the floor;
- throughput: 8 keep-alive clients doing POST/PATCH/GET for 10 s (req/s, errors, and whether the
  server log says "database is locked");
- scale: 10k, 100k and 1M scores in one project, bulk-loaded through `Store.insert_scores`, and
  the p50 of list (with and without filters), latest-per-trace and the three analytics routes,
  and the database file size per million scores;
- sessions (bench_sessions.py): GET /sessions and the session-score routes on 100,000 traces.

The client is a small raw-socket HTTP/1.1 client (http.client's header parsing would cost more
than the fake's own work and hide the difference from the floor).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

from harness import (ANALYTICS, AUTH, Conn, DAY_US, HttpError, METRICS, PATCH_BODY, REFERENCE, ROOT, SCORES, Server, Table, fake_argv, fake_has_mock, floor_argv, measure, ms, p50_p95, percentile, rss_mb, timed)  # noqa: F401  (also read by tests and the parts)




# -- startup and memory -----------------------------------------------------------------------


def bench_startup(table: Table, tmp: Path, runs: int) -> None:
    mock = fake_has_mock()
    fake_t, fake_rss, floor_t, floor_rss, mock_t, mock_rss = [], [], [], [], [], []
    for i in range(runs):  # interleaved, so that a slow moment of the machine hits both
        with Server(fake_argv(str(tmp / f"startup-{i}.db")), tmp / "startup-fake.log") as s:
            fake_t.append(s.startup)
            fake_rss.append(s.rss)
        with Server(floor_argv(), tmp / "startup-floor.log") as s:
            floor_t.append(s.startup)
            floor_rss.append(s.rss)
        if mock:
            with Server([sys.executable, str(ROOT / "app.py"), "--mock", "--port", "0"],
                        tmp / "startup-mock.log") as s:
                mock_t.append(s.startup)
                mock_rss.append(s.rss)
    fake_s, floor_s = statistics.median(fake_t), statistics.median(floor_t)
    table.section(f"startup: launch to 200 from /health, median of {runs}")
    table.add("startup, default mode (new db file)", ms(fake_s), ms(floor_s),
              f"{fake_s / floor_s:.2f}x", "<= 1.25x floor", fake_s <= 1.25 * floor_s)
    if mock:
        mock_s = statistics.median(mock_t)
        table.add("startup, --mock", ms(mock_s), ms(floor_s), f"{mock_s / floor_s:.2f}x",
                  "< 0.3 s", mock_s < 0.3)
    else:
        table.add("startup, --mock", "n/a (no --mock yet)")
    rss = statistics.median(fake_rss)
    table.add("RSS after startup", f"{rss:.1f} MB", f"{statistics.median(floor_rss):.1f} MB", "",
              "< 50 MB", rss < 50)
    if mock:
        table.add("RSS after startup, --mock", f"{statistics.median(mock_rss):.1f} MB", "", "",
                  "< 50 MB", statistics.median(mock_rss) < 50)
    table.results["startup"] = {"fake": fake_t, "floor": floor_t, "mock": mock_t,
                                "fake_rss": fake_rss, "floor_rss": floor_rss, "mock_rss": mock_rss}


# -- latency against the floor ----------------------------------------------------------------


def score_body(rng: random.Random, trace_id: str, name: str) -> dict[str, Any]:
    return {"trace_id": trace_id, "name": name, "value": f"{rng.random():.3f}",
            "reason": "bench", "metadata": {"run": "bench"}}


def bench_latency(table: Table, tmp: Path, n: int) -> None:
    rng = random.Random(6)
    traces = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(100)]
    db = tmp / "latency.db"
    with Server(fake_argv(str(db)), tmp / "latency-fake.log") as fake:
        conn = Conn(fake.url, AUTH)
        # Warm up, and leave more than 50 scores (and a trace with 5 metrics) behind.
        canned: dict[str, list] = {}
        for i in range(200):
            status, body = conn.request("POST", SCORES, score_body(rng, traces[1 + i % 99], METRICS[i % 5]))
            assert status == 201, body
        for i in range(20):  # the trace whose latest scores are read: five metrics, 4 each
            status, body = conn.request("POST", SCORES, score_body(rng, traces[0], METRICS[i % 5]))
        canned["post"] = [status, body.decode()]
        sample_id = json.loads(body)["id"]
        plan = route_plan(traces[0], n)
        for name, method, path, body_of in plan:
            if name in ("post", "delete"):
                continue
            status, body = conn.request(method, path(0).replace("{id}", sample_id), body_of(0))
            canned[name] = [status, body.decode()]
        canned["delete"] = [204, ""]
        canned["health"] = [200, conn.request("GET", "/health")[1].decode()]
        bodies = tmp / "canned.json"
        bodies.write_text(json.dumps(canned))

        with Server(floor_argv(bodies), tmp / "latency-floor.log") as floor:
            fconn = Conn(floor.url, AUTH)
            for _ in range(200):
                fconn.request("POST", SCORES, score_body(rng, traces[0], METRICS[0]))
            ids: list[str] = []
            samples: dict[str, tuple[list[float], list[float]]] = {}
            for name, method, path, body_of in plan:
                fake_s, floor_s = [], []
                for i in range(n):
                    body = body_of(i)
                    target = path(i)
                    if "{id}" in target:
                        target = target.replace("{id}", ids[i])
                    t, status, data = timed(conn, method, target, body)
                    if status != canned[name][0]:
                        raise RuntimeError(f"{method} {target}: {status} {data[:300]!r}")
                    if name == "post":
                        ids.append(json.loads(data)["id"])
                    fake_s.append(t)
                    floor_s.append(timed(fconn, method, target, body)[0])
                samples[name] = (fake_s, floor_s)
            fconn.close()
        conn.close()

    table.section(f"latency p50 / p95: 1 keep-alive connection, {n} requests a route")
    for name, method, path, _ in plan:
        fake_s, floor_s = samples[name]
        ratio = percentile(fake_s, 50) / percentile(floor_s, 50)
        label = f"{method} {LABELS[name]}"
        goal = LATENCY_TARGETS.get(name)
        table.add(label, p50_p95(fake_s), p50_p95(floor_s), f"{ratio:.2f}x",
                  f"<= {goal:g}x floor" if goal else "", (ratio <= goal) if goal else None)
    table.results["latency"] = {k: {"fake": v[0], "floor": v[1]} for k, v in samples.items()}
    bench_peer_latency(table, tmp, n, bodies, traces[0])


LATENCY_TARGETS = {"post": 1.5, "patch": 1.5, "list": 2.0}  # issue 16: fake p50 / floor p50


def bench_peer_latency(table: Table, tmp: Path, n: int, bodies: Path, trace_id: str) -> None:
    """POST, PATCH and list(50) p50 of the fake on granian and of Prism in its two modes, each
    interleaved request by request with the floor, as the default fake's above."""
    from bench_prism import MODES, PrismServer, find_prism

    prism, why = find_prism()
    peers: list[tuple[str, Callable[[], Any]]] = [
        ("fake --server granian", lambda: Server(fake_argv(str(tmp / "latency-granian.db"), "--server", "granian"),
                                                 tmp / "latency-granian.log"))]
    if prism:
        peers += [(mode, lambda flags=flags, mode=mode: PrismServer(prism, flags, tmp / f"{mode}.log"))
                  for mode, flags in MODES.items()]
    plan = [step for step in route_plan(trace_id, n) if step[0] in LATENCY_TARGETS]
    results = table.results.setdefault("peer_latency", {})
    with Server(floor_argv(bodies), tmp / "latency-floor-peers.log") as floor:
        fconn = Conn(floor.url, AUTH)
        for peer, make in peers:
            with make() as server:
                conn = Conn(server.url, AUTH)
                for name, method, path, body_of in plan[:1]:  # warm up
                    for i in range(50):
                        conn.request(method, path(i), body_of(i))
                ids: list[str] = []
                for name, method, path, body_of in plan:
                    fake_s, floor_s = [], []
                    for i in range(n):
                        target = path(i).replace("{id}", ids[i]) if "{id}" in path(i) else path(i)
                        t, status, data = timed(conn, method, target, body_of(i))
                        if status >= 300:
                            raise RuntimeError(f"{peer}: {method} {target}: {status} {data[:300]!r}")
                        if name == "post":
                            ids.append(json.loads(data)["id"])
                        fake_s.append(t)
                        floor_s.append(timed(fconn, method, target, body_of(i))[0])
                    results.setdefault(peer, {})[name] = {"fake": fake_s, "floor": floor_s}
                conn.close()
        fconn.close()
    table.section(f"latency p50 / p95 of the peers, the same requests, each beside the floor")
    for peer in results:
        for name, method, _, _ in plan:
            fake_s, floor_s = results[peer][name]["fake"], results[peer][name]["floor"]
            ratio = percentile(fake_s, 50) / percentile(floor_s, 50)
            goal = LATENCY_TARGETS[name] if peer.startswith("fake") else None
            table.add(f"{method} {LABELS[name]}: {peer}", p50_p95(fake_s), p50_p95(floor_s),
                      f"{ratio:.2f}x", f"<= {goal:g}x floor" if goal else "",
                      (ratio <= goal) if goal else None)
    if not prism:
        table.add(f"Prism: {why}", "")


LABELS = {
    "post": "score", "patch": "score", "list": "list (limit 50)", "latest": "latest-per-trace",
    "summary": "analytics summary", "trend": "analytics trend", "distribution": "analytics distribution",
    "delete": "score",
}


def route_plan(trace_id: str, n: int) -> list[tuple[str, str, Callable, Callable]]:
    """(name, method, path of i, body of i) for each measured route, in the order measured:
    POST creates the scores that PATCH edits and DELETE removes."""
    rng = random.Random(60)
    bodies = [score_body(rng, str(uuid.UUID(int=rng.getrandbits(128), version=4)), METRICS[i % 5])
              for i in range(n)]
    fixed = lambda p: (lambda i: p)  # noqa: E731
    none = lambda i: None  # noqa: E731
    return [
        ("post", "POST", fixed(SCORES), lambda i: bodies[i]),
        ("patch", "PATCH", fixed(SCORES + "/{id}"), lambda i: PATCH_BODY),
        ("list", "GET", fixed(SCORES + "?limit=50"), none),
        ("latest", "GET", fixed(f"{SCORES}/{trace_id}"), none),
        ("summary", "GET", fixed(ANALYTICS + "/summary"), none),
        ("trend", "GET", fixed(ANALYTICS + f"/trend?metric_name={METRICS[0]}"), none),
        ("distribution", "GET", fixed(ANALYTICS + f"/distribution?metric_name={METRICS[0]}"), none),
        ("delete", "DELETE", fixed(SCORES + "/{id}"), none),
    ]


# -- throughput -------------------------------------------------------------------------------


def load(url: str, clients: int, seconds: float, check: bool) -> tuple[int, int, list[str]]:
    """`clients` threads, each on its own keep-alive connection, cycling POST, PATCH (of that
    score), GET list, GET latest-per-trace (of that trace) until the time is up; a trace gets
    five metrics, then the client moves on to a new one.  Returns (requests per second,
    errors, the first few error descriptions)."""
    counts, errors, problems = [0] * clients, [0] * clients, []
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        rng = random.Random(k)
        conn = Conn(url, AUTH)
        trace = str(uuid.uuid4())
        barrier.wait()
        score_id = str(uuid.uuid4())
        step, cycle = 0, 0
        while not stop.is_set():
            try:
                if step == 0:
                    if cycle % 5 == 0:
                        trace = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    status, data = conn.request("POST", SCORES, score_body(rng, trace, METRICS[cycle % 5]))
                    cycle += 1
                    ok = status == 201
                    if ok and check:
                        score_id = json.loads(data)["id"]
                elif step == 1:
                    status, data = conn.request("PATCH", f"{SCORES}/{score_id}", PATCH_BODY)
                    ok = status == 200
                elif step == 2:
                    status, data = conn.request("GET", SCORES + "?limit=50")
                    ok = status == 200
                else:
                    status, data = conn.request("GET", f"{SCORES}/{trace}")
                    ok = status == 200
            except (OSError, HttpError) as err:
                ok, status, data = False, 0, str(err).encode()
                conn.close()
            counts[k] += 1
            if not ok:
                errors[k] += 1
                if len(problems) < 5:
                    problems.append(f"{status} {data[:200]!r}")
            step = (step + 1) % 4
        conn.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(60)
    elapsed = time.perf_counter() - started
    return round(sum(counts) / elapsed), sum(errors), problems


def bench_throughput(table: Table, tmp: Path, clients: int, seconds: float,
                     compare_threads: int | None) -> None:
    with Server(fake_argv(str(tmp / "load.db")), tmp / "load-fake.log") as fake:
        rate, errors, problems = load(fake.url, clients, seconds, check=True)
        rss_after = rss_mb(fake.proc.pid)
        time.sleep(0.2)
        log = fake.log_text()
    with Server(floor_argv(), tmp / "load-floor.log") as floor:
        floor_rate, _, _ = load(floor.url, clients, seconds, check=False)
    peers = peer_throughput(tmp, clients, seconds)
    prism_best = max((rate_ for name, (rate_, _) in peers.items() if name.startswith("prism")), default=0)
    locked = log.count("database is locked")
    tracebacks = log.count("Traceback")
    table.section(f"throughput: {clients} keep-alive clients, POST/PATCH/list/latest, {seconds:g} s")
    goal = f">= 1.5x Prism's best ({1.5 * prism_best:,.0f})" if prism_best else ">= 1,000 req/s"
    def met(r: int) -> bool: return r >= 1.5 * prism_best if prism_best else r >= 1000
    table.add("requests per second", f"{rate:,} req/s", f"{floor_rate:,} req/s",
              f"{rate / floor_rate:.2f}x", goal, met(rate))
    for name, (peer_rate, peer_errors) in peers.items():
        if name.startswith("fake"):
            table.add(f"requests per second, {name}", f"{peer_rate:,} req/s ({peer_errors} errors)",
                      f"{floor_rate:,} req/s", f"{peer_rate / floor_rate:.2f}x", goal,
                      met(peer_rate) and peer_errors == 0)
        elif peer_rate:
            table.add(f"requests per second, {name}", f"{peer_rate:,} req/s ({peer_errors} errors)",
                      "", "", "(the peer)")
        else:
            table.add(name, "")
    table.results["peer_throughput"] = peers
    table.add("errors (non-2xx or failed)", str(errors), "", "", "0", errors == 0)
    table.add('"database is locked" / tracebacks in log', f"{locked} / {tracebacks}", "", "", "0 / 0",
              locked == 0 and tracebacks == 0)
    table.add("RSS after the load", f"{rss_after:.1f} MB")
    table.results["throughput"] = {"fake": rate, "floor": floor_rate, "errors": errors,
                                   "locked": locked, "tracebacks": tracebacks, "rss_after": rss_after}
    if compare_threads:
        argv = fake_argv(str(tmp / "load-threads.db"), "--threads", str(compare_threads))
        with Server(argv, tmp / "load-threads.log") as fake:
            other, other_errors, more = load(fake.url, clients, seconds, check=True)
            other_log = fake.log_text()
        problems += more
        table.add(f"requests per second with --threads {compare_threads}", f"{other:,} req/s", "", "",
                  "(for comparison)")
        table.add(f"  errors / locked / tracebacks, --threads {compare_threads}",
                  f"{other_errors} / {other_log.count('database is locked')} / "
                  f"{other_log.count('Traceback')}", "", "", "0 / 0 / 0",
                  other_errors == 0 and "database is locked" not in other_log
                  and "Traceback" not in other_log)
        table.results["throughput"]["threads"] = {"threads": compare_threads, "rate": other,
                                                  "errors": other_errors}
    if problems:
        print("throughput errors (first few):", *problems[:5], sep="\n  ", file=sys.stderr)


PRISM_FACTS: dict[str, tuple[float, float]] = {}  # mode -> (startup s, RSS MB), measured


def peer_throughput(tmp: Path, clients: int, seconds: float) -> dict[str, tuple[int, int]]:
    """The same load on the fake served by granian and on Prism in its two modes:
    {name: (requests per second, errors)}; a skipped Prism is {note: (0, 0)}."""
    from bench_prism import MODES, PrismServer, find_prism

    out: dict[str, tuple[int, int]] = {}
    argv = fake_argv(str(tmp / "load-granian.db"), "--server", "granian")
    with Server(argv, tmp / "load-granian.log") as fake:
        rate, errors, problems = load(fake.url, clients, seconds, check=True)
        log = fake.log_text()
    out["fake --server granian"] = (rate, errors + log.count("Traceback") + log.count("database is locked"))
    prism, why = find_prism()
    if prism is None:
        return {**out, f"Prism: {why}": (0, 0)}
    for mode, flags in MODES.items():
        with PrismServer(prism, flags, tmp / f"load-{mode}.log") as server:
            rate, errors, _ = load(server.url, clients, seconds, check=False)
        out[mode] = (rate, errors)
        PRISM_FACTS[mode] = (server.startup, server.rss)
    return out


# -- scale ------------------------------------------------------------------------------------

SCALE_PROJECT = "bench-scale"


STEP_US = 2_592_000  # one score every 2.592 s: a million scores span 30 days


def synthetic_scores(project_id: str, start: int, count: int, start_us: int,
                     columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Scores number `start` .. `start + count - 1` of a deterministic data set, in the order
    they would have arrived: one every 2.592 s (give or take a minute) from `start_us`, five
    metrics a trace, 80% NUMERIC, 90% SUCCESS."""
    rng = random.Random(start)
    blank = dict.fromkeys(columns)
    for i in range(start, start + count):
        trace = uuid.UUID(int=(i // 5) * 7919 + 1, version=4)
        r = rng.random()
        if r < 0.8:
            data_type, value = "NUMERIC", f"{rng.random():.3f}"
        elif r < 0.9:
            data_type, value = "BOOLEAN", rng.choice(("true", "false"))
        else:
            data_type, value = "CATEGORICAL", rng.choice(("good", "bad", "unclear"))
        s = rng.random()
        status = "SUCCESS" if s < 0.9 else ("FAILED" if s < 0.97 else "PENDING")
        created = created_at(start_us, i) + rng.randrange(-60_000_000, 60_000_000)
        yield {**blank,
               "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "trace_id": str(trace),
               "name": METRICS[(i % 5 + (i // 5) % 5) % 9], "value": value,  # the store derives num
               "status": status, "source": ("AUTOMATED", "PROGRAMMATIC", "ANNOTATION")[i % 3],
               "created_at": created, "updated_at": created, "project_id": project_id,
               "data_type": data_type, "eval_run_id": None, "author_user_id": None,
               "reason": None if i % 4 else "bench", "config_id": None, "metadata": "{}",
               "environment": ("production", "staging", None)[i % 3]}


def created_at(start_us: int, i: int) -> int:
    return start_us + i * STEP_US


def fill_scale_db(path: Path, target: int) -> tuple[str, float, int]:
    """Bring the bench project of the database at `path` to `target` scores, through the
    store's bulk insert.  Returns (project id, seconds spent loading, rows loaded)."""
    from pandaprobe_fake import store as store_module

    s = store_module.Store(str(path))
    try:
        project_id = s.project_id_for_name(SCALE_PROJECT)
        with s.read() as conn:
            have = conn.execute("SELECT COUNT(*) FROM trace_scores WHERE project_id = ?",
                                (project_id,)).fetchone()[0]
            now_row = conn.execute("SELECT created_at FROM projects WHERE id = ?",
                                   (project_id,)).fetchone()
        start_us = now_row[0] - 30 * DAY_US  # fixed per database: a top-up continues the data set
        started, loaded = time.perf_counter(), 0
        chunk = 100_000
        while have < target:
            count = min(chunk, target - have)
            loaded += s.insert_scores(synthetic_scores(project_id, have, count, start_us,
                                                       store_module.SCORE_COLUMNS))
            have += count
        with s.read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return project_id, time.perf_counter() - started, loaded
    finally:
        s.close()




def bench_scale(table: Table, tmp: Path, sizes: list[int], db: Path, requests: int) -> None:
    headers = {"X-API-Key": "bench-key", "X-Project-Name": SCALE_PROJECT}
    for size in sorted(sizes):
        project_id, load_s, loaded = fill_scale_db(db, size)
        with sqlite3.connect(db) as c:
            have = c.execute("SELECT COUNT(*) FROM trace_scores WHERE project_id = ?",
                             (project_id,)).fetchone()[0]
            start_us = c.execute("SELECT created_at FROM projects WHERE name = ?",
                                 (SCALE_PROJECT,)).fetchone()[0] - 30 * DAY_US
        if have != size:
            table.section(f"scale: {size:,} scores")
            table.add(f"the scale database holds {have:,} scores, not {size:,}",
                      "skipped (use a fresh --scale-db)")
            continue
        size_bytes = db.stat().st_size + sum(
            p.stat().st_size for p in (Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists())
        # a tenth of the scores, by time (unix seconds, which the API accepts)
        date_from = created_at(start_us, int(size * 0.45)) // 1_000_000
        date_to = created_at(start_us, int(size * 0.55)) // 1_000_000
        trace = str(uuid.UUID(int=(size // 10) * 7919 + 1, version=4))
        metric = METRICS[0]
        probes = [
            ("list (limit 50), no filter", SCORES + "?limit=50", 0.020),
            (f"list, name={metric}", f"{SCORES}?limit=50&name={metric}", 0.020),
            ("list, name + status=SUCCESS + data_type=NUMERIC",
             f"{SCORES}?limit=50&name={metric}&status=SUCCESS&data_type=NUMERIC", 0.020),
            ("list, status=FAILED", f"{SCORES}?limit=50&status=FAILED", 0.020),
            ("list, date_from/date_to (a tenth)",
             f"{SCORES}?limit=50&date_from={date_from}&date_to={date_to}", 0.020),
            ("list, trace_id", f"{SCORES}?limit=50&trace_id={trace}", 0.020),
            ("latest-per-trace", f"{SCORES}/{trace}", 0.005),
            ("analytics summary", ANALYTICS + "/summary", 1.0),
            ("analytics trend (day)", f"{ANALYTICS}/trend?metric_name={metric}", 0.5),
            ("analytics distribution", f"{ANALYTICS}/distribution?metric_name={metric}", 0.5),
        ]
        table.section(f"scale: {size:,} scores in one project, p50")
        with Server(fake_argv(str(db)), tmp / f"scale-{size}.log") as fake:
            conn = Conn(fake.url, headers)
            row = {"size": size, "load_s": load_s, "loaded": loaded, "bytes": size_bytes,
                   "startup": fake.startup, "p50": {}}
            for label, path, goal in probes:
                conn.request("GET", path)  # warm the page cache and the plan
                p50 = statistics.median(measure(conn, path, budget=3.0, most=requests))
                row["p50"][label] = p50
                at_1m = size >= 1_000_000
                table.add(label, ms(p50), "", "", f"< {ms(goal)} at 1M" if at_1m else "",
                          (p50 < goal) if at_1m else None)
            conn.close()
        rate = f" ({loaded / load_s:,.0f} rows/s)" if loaded else " (already loaded)"
        table.add("bulk load through Store.insert_scores", f"{loaded:,} rows in {load_s:.1f} s{rate}")
        table.add("database file size", f"{size_bytes / 1e6:.1f} MB",
                  f"{size_bytes / size * 1e6 / 1e6:.0f} MB per million", "")
        table.add("startup on this database", ms(fake.startup))
        table.results.setdefault("scale", []).append(row)


# -- the machine ------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return (f"{os.cpu_count()} cores ({cpu}){ram}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def reference_table(table: Table) -> str:
    """The fake's figures beside the real server's and Prism's (issue 6)."""
    r = table.results
    lat = r.get("latency", {})
    def p50(name): return f"{percentile(lat[name]['fake'], 50) * 1000:.2f} ms" if name in lat else "n/a"
    fake = {"PATCH p50": p50("patch"), "list(50) p50": p50("list"), "POST p50": p50("post"),
            "startup": ms(statistics.median(r["startup"]["fake"])) if "startup" in r else "n/a",
            "RSS": f"{statistics.median(r['startup']['fake_rss']):.1f} MB" if "startup" in r else "n/a",
            "8 clients": f"{r['throughput']['fake']:,} req/s" if "throughput" in r else "n/a"}
    prism = dict(REFERENCE["prism"])
    peer_lat = r.get("peer_latency", {})
    modes = [m for m in ("prism", "prism -m") if m in peer_lat]
    if modes:  # measured in this run: the best of Prism's two modes
        def best(name): return min(percentile(peer_lat[m][name]["fake"], 50) for m in modes)
        prism.update({"PATCH p50": f"{best('patch') * 1000:.2f} ms", "list(50) p50": f"{best('list') * 1000:.2f} ms",
                      "POST p50": f"{best('post') * 1000:.2f} ms"})
    if PRISM_FACTS:
        prism["startup"] = ms(min(f[0] for f in PRISM_FACTS.values()))
        prism["RSS"] = f"{min(f[1] for f in PRISM_FACTS.values()):.1f} MB"
    rates = {k: v[0] for k, v in r.get("peer_throughput", {}).items() if k.startswith("prism")}
    if rates:
        prism["8 clients"] = f"{max(rates.values()):,} req/s"
    granian = peer_lat.get("fake --server granian", {})
    fake_granian = {"PATCH p50": "patch", "list(50) p50": "list", "POST p50": "post"}
    fake_granian = {k: f"{percentile(granian[v]['fake'], 50) * 1000:.2f} ms" if v in granian else "n/a"
                    for k, v in fake_granian.items()}
    fake_granian["8 clients"] = (f"{r['peer_throughput']['fake --server granian'][0]:,} req/s"
                                 if "fake --server granian" in r.get("peer_throughput", {}) else "n/a")
    rows = [("figure", "fake", "fake --server granian", "real PandaProbe server",
             "Prism mock" + (" (this run)" if rates or modes else ""))]
    rows += [(k, fake[k], fake_granian.get(k, "(not measured)"), REFERENCE["real"][k], prism[k]) for k in fake]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# -- the command line -------------------------------------------------------------------------


PARTS = ("startup", "latency", "throughput", "scale", "judge", "sessions")
OPTIONAL_PARTS = ("session-runs",)  # run only when asked for (--only session-runs): bench_judge.py


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/bench.py", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a cheap pass: 200 requests a route, 3 s of load, 10k scores, 3 startups")
    parser.add_argument("--only", action="append", choices=PARTS + OPTIONAL_PARTS, default=[],
                        help="run only this part (repeatable)")
    for part in PARTS:
        parser.add_argument(f"--skip-{part}", action="store_true", help=f"leave out the {part} part")
    parser.add_argument("--requests", type=int, help="requests per route (default 1000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 10)")
    parser.add_argument("--compare-threads", type=int, default=8, metavar="N",
                        help="also load the fake run with --threads N (default 8; 0: skip)")
    parser.add_argument("--startups", type=int, help="launches per server to time (default 5)")
    parser.add_argument("--scale", help="score counts, comma-separated (default 10000,100000,1000000)")
    parser.add_argument("--scale-db", type=Path,
                        help="database file for the scale part, kept and topped up across runs "
                             "(default: a temporary file)")
    parser.add_argument("--session-traces", type=int,
                        help="traces of the sessions part (default 100000; 10000 with --quick)")
    parser.add_argument("--sessions-db", type=Path,
                        help="database file for the sessions part, kept across runs (default: a temporary file)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    args.requests = args.requests or (200 if args.quick else 1000)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.startups = args.startups or (3 if args.quick else 5)
    args.scale = [int(x.replace("_", "")) for x in
                  (args.scale or ("10000" if args.quick else "10000,100000,1000000")).split(",")]
    args.session_traces = args.session_traces or (10_000 if args.quick else 100_000)
    args.parts = [p for p in (args.only or PARTS) if not getattr(args, f"skip_{p}", False)]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    table = Table()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="pandaprobe-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if "startup" in args.parts:
            bench_startup(table, tmp, args.startups)
        if "latency" in args.parts:
            bench_latency(table, tmp, args.requests)
        if "throughput" in args.parts:
            bench_throughput(table, tmp, args.clients, args.duration, args.compare_threads)
        if "scale" in args.parts:
            db = args.scale_db or tmp / "scale.db"
            bench_scale(table, tmp, args.scale, db, requests=max(20, args.requests // 10))
        if "judge" in args.parts:
            from bench_judge import bench_judge

            bench_judge(table, tmp)
        if "sessions" in args.parts:
            from bench_sessions import bench_sessions
            bench_sessions(table, tmp, args.session_traces, args.sessions_db or tmp / "sessions.db",
                           requests=max(20, args.requests // 10))
        if "session-runs" in args.parts:
            from bench_judge import bench_session_run

            bench_session_run(table, tmp)
    print(f"pandaprobe-fake benchmark: {machine()}")
    print(f"(`python bench/bench.py {' '.join(argv if argv is not None else sys.argv[1:])}`, "
          f"{time.perf_counter() - started:.0f} s; 1-minute load average "
          f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after)\n")
    print(table.render())
    if {"startup", "latency", "throughput"} & set(args.parts):
        print("\nBeside the servers users compare it with (issue 6):\n")
        print(reference_table(table))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), **table.results}, indent=1))


if __name__ == "__main__":
    main()
