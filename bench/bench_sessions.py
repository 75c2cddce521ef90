"""The sessions part of bench.py (issue 13): GET /sessions and the session-score analytics on
100,000 traces, against `python app.py` as a real process.

    python bench/bench.py --only sessions [--session-traces 100000] [--sessions-db /tmp/sessions.db]

The data set: traces in sessions of 1-5 (one LLM span each, 5% ERROR) over 30 days, two session
scores (the two session metrics) per session, bulk-loaded through `Store.load`.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from pathlib import Path

from harness import DAY_US, Conn, Server, Table, fake_argv, measure, ms

SESSIONS_PROJECT = "bench-sessions"
SESSION_METRIC_NAMES = ("agent_reliability", "agent_consistency")
GOAL = 0.050  # seconds: issue 13's bound on GET /sessions and the session-score analytics
START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def synthetic_sessions(traces: int, start_us: int = START_US,
                       seed: int = 7) -> tuple[list[dict], list[dict]]:
    """(traces, session scores) in the shapes Store.load takes."""
    rng = random.Random(seed)
    out, scores, at, n = [], [], start_us, 0
    step = 30 * DAY_US // max(traces, 1)
    while n < traces:
        session = f"sess-{n:08d}"
        user = f"user-{rng.randrange(500):03d}"
        for _ in range(min(rng.choice((1, 2, 3, 3, 4, 5)), traces - n)):
            ended = at + rng.randrange(1_000_000, 30_000_000)
            out.append({
                "trace_id": _id(rng), "name": "agent",
                "status": "ERROR" if rng.random() < 0.05 else "COMPLETED",
                "input": None, "output": None, "metadata": {}, "started_at": at, "ended_at": ended,
                "session_id": session, "user_id": user, "tags": ["bench", ("a", "b", "c")[n % 3]],
                "environment": None, "release": None,
                "spans": [{"span_id": _id(rng), "name": "llm", "kind": "LLM", "status": "OK",
                           "started_at": at, "ended_at": ended, "metadata": {},
                           "token_usage": {"prompt_tokens": 100, "completion_tokens": 20},
                           "cost": {"total": 0.001}}]})
            at += step
            n += 1
        for name in SESSION_METRIC_NAMES:
            scores.append({"id": _id(rng), "session_id": session, "name": name,
                           "value": f"{rng.random():.4f}", "created_at": at, "updated_at": at,
                           "metadata": {}})
    return out, scores


def fill_sessions_db(path: Path, traces: int) -> tuple[float, int, int]:
    """Load the data set into the database at `path` (once per file).  Returns (seconds spent
    loading, sessions, session scores)."""
    from pandaprobe_fake.store import Store

    store = Store(str(path))
    try:
        if any(p["name"] == SESSIONS_PROJECT for p in store.projects()):
            project_id = store.project_id_for_name(SESSIONS_PROJECT)
            return 0.0, len(store.session_ids(project_id)), store.count_session_scores(project_id)
        started = time.perf_counter()
        rows, scores = synthetic_sessions(traces)
        store.load([{"id": None, "name": SESSIONS_PROJECT, "scores": [], "traces": rows,
                     "session_scores": scores}])
        with store.read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return time.perf_counter() - started, len(scores) // 2, len(scores)
    finally:
        store.close()


PROBES = [  # (label, path, held to GOAL)
    ("GET /sessions (recent, limit 50)", "/sessions", True),
    ("GET /sessions?sort_by=trace_count", "/sessions?sort_by=trace_count", True),
    ("GET /sessions?sort_by=latency&sort_order=asc", "/sessions?sort_by=latency&sort_order=asc", True),
    ("GET /sessions?has_error=true", "/sessions?has_error=true", True),
    ("GET /sessions?user_id=user-042", "/sessions?user_id=user-042", True),
    ("GET /sessions?tags=a", "/sessions?tags=a", False),
    ("GET /sessions?query=0001", "/sessions?query=0001", False),
    ("GET /sessions?sort_by=cost", "/sessions?sort_by=cost", False),
    ("GET /sessions/{id}", "/sessions/sess-00000000", False),
    ("GET /sessions/analytics (31 days by day)",
     "/sessions/analytics?started_after=2026-01-01&started_before=2026-02-01", False),
    ("session-score summary", "/evaluations/analytics/session-scores/summary", True),
    ("session-score trend (day)",
     "/evaluations/analytics/session-scores/trend?metric_name=agent_reliability", True),
    ("session-score distribution",
     "/evaluations/analytics/session-scores/distribution?metric_name=agent_reliability", True),
    ("session-score comparison",
     "/evaluations/analytics/session-scores/comparison?metric_name=agent_reliability", True),
    ("session-score history", "/evaluations/analytics/session-scores/history/sess-00000000", True),
    ("session-score list (limit 50)", "/evaluations/session-scores", False),
]


def bench_sessions(table: Table, tmp: Path, traces: int, db: Path, requests: int) -> None:
    load_s, sessions, scores = fill_sessions_db(db, traces)
    headers = {"X-API-Key": "bench-key", "X-Project-Name": SESSIONS_PROJECT}
    table.section(f"sessions: {traces:,} traces in {sessions:,} sessions, {scores:,} session scores, p50")
    row = {"traces": traces, "sessions": sessions, "session_scores": scores, "load_s": load_s, "p50": {}}
    with Server(fake_argv(str(db)), tmp / "sessions.log") as fake:
        conn = Conn(fake.url, headers)
        for label, path, held in PROBES:
            conn.request("GET", path)  # warm the page cache and the plan
            p50 = statistics.median(measure(conn, path, budget=3.0, most=requests))
            row["p50"][label] = p50
            table.add(label, ms(p50), "", "", f"< {ms(GOAL)}" if held else "", (p50 < GOAL) if held else None)
        conn.close()
    if load_s:
        table.add("bulk load through Store.load", f"{traces:,} traces in {load_s:.1f} s")
    table.results["sessions"] = row
