"""The evaluation-run part of bench.py's scale section (`python bench/bench.py --only judge`):
against `python app.py --judge-delay 0` (a file database), 1,000 traces of 4 spans each are
ingested; then run creation is timed (POST /evaluations/trace-runs over the project's traces by
filter, and POST .../batch naming the 1,000 trace ids: p50 of 20 each), and a batch run of 3
metrics over all of them is read back; the time from the read that executes the run to its
COMPLETED answer gives the (trace, metric) pairs a second (target: >= 2,000 pairs/s, i.e. a
1,000-trace run on 3 metrics in under 2 s)."""

from __future__ import annotations

import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

TARGET_PAIRS_PER_S = 2000
CREATIONS = 20
METRICS = ["task_completion", "tool_correctness", "coherence"]


def trace_body(i: int) -> dict[str, Any]:
    spans = [{"name": name, "kind": kind, "status": "ERROR" if (i % 7 == 0 and kind == "TOOL") else "OK",
              "input": {"step": name, "i": i}, "output": {"ok": True},
              "started_at": "2026-03-01T10:00:01Z"}
             for name, kind in (("plan", "AGENT"), ("llm", "LLM"), ("search", "TOOL"), ("book", "TOOL"))]
    return {"trace_id": str(uuid.uuid4()), "name": f"agent-{i % 4}", "status": "ERROR" if i % 13 == 0 else "COMPLETED",
            "input": {"q": f"question {i}"}, "output": {"a": f"answer {i}"} if i % 11 else None,
            "started_at": "2026-03-01T10:00:00Z", "spans": spans}


def ingest(conn, traces: int) -> list[str]:
    ids = []
    for i in range(traces):
        status, body = conn.request("POST", "/traces", trace_body(i))
        assert status == 202, body
        ids.append(json.loads(body)["trace_id"])
    return ids


def bench_judge(table, tmp: Path, traces: int = 1000) -> None:
    from harness import AUTH, Conn, Server, fake_argv

    table.section(f"scale: evaluation runs, {len(METRICS)} metrics over {traces:,} traces")
    created = {"filter": [], "batch": []}
    # Creation alone: a judge that takes an hour of the fake's clock runs none of them meanwhile.
    with Server(fake_argv(str(tmp / "judge-create.db"), "--judge-delay", "3600", "--quiet"),
                tmp / "judge-create.log") as server:
        conn = Conn(server.url, AUTH)
        ids = ingest(conn, traces)
        for _ in range(CREATIONS):
            for kind, path, payload in (("filter", "/evaluations/trace-runs", {"metrics": METRICS}),
                                        ("batch", "/evaluations/trace-runs/batch",
                                         {"trace_ids": ids, "metrics": METRICS})):
                began = time.perf_counter()
                status, body = conn.request("POST", path, payload)
                created[kind].append(time.perf_counter() - began)
                assert status == 202, body
        conn.close()
    with Server(fake_argv(str(tmp / "judge.db"), "--judge-delay", "0", "--quiet"), tmp / "judge.log") as server:
        conn = Conn(server.url, AUTH)
        ids = ingest(conn, traces)
        status, body = conn.request("POST", "/evaluations/trace-runs/batch",
                                    {"trace_ids": ids, "metrics": METRICS})
        assert status == 202, body
        run_id = json.loads(body)["id"]
        started = time.perf_counter()
        status, body = conn.request("GET", f"/evaluations/trace-runs/{run_id}")
        elapsed = time.perf_counter() - started
        run = json.loads(body)
        conn.close()
    assert run["status"] == "COMPLETED" and run["evaluated_count"] == traces, run
    pairs = traces * len(METRICS)
    rate = pairs / elapsed
    for kind, label in (("filter", "by filter, over the project's"), ("batch", "batch, naming the")):
        p50 = statistics.median(created[kind])
        table.add(f"run creation ({label} {traces} traces), p50 of {CREATIONS}",
                  f"{p50 * 1000:.2f} ms", "", "", "< 50 ms", p50 < 0.05)
    table.add(f"a run of {pairs:,} pairs to COMPLETED (--judge-delay 0)", f"{elapsed * 1000:.0f} ms", "", "", "< 2 s", elapsed < 2.0)
    table.add("judge pairs/s", f"{rate:,.0f}", "", "", f">= {TARGET_PAIRS_PER_S:,}", rate >= TARGET_PAIRS_PER_S)
    table.results["judge"] = {"traces": traces, "pairs": pairs, "seconds": elapsed, "pairs_per_s": rate,
                              "created": created}


SESSION_METRICS = ["agent_reliability", "agent_consistency"]


def bench_session_run(table, tmp: Path, sessions: int = 1000, per_session: int = 3) -> None:
    """`python bench/bench.py --only session-runs`: `sessions` sessions of `per_session` traces (4
    spans each, no scores: every signal is computed by the simulated judge and written), one
    batch session run of both session metrics over all of them; the time of the read that
    executes it (target: under 2 s for 1,000 sessions)."""
    from harness import AUTH, Conn, Server, fake_argv

    table.section(f"session run: {len(SESSION_METRICS)} session metrics over {sessions} sessions "
                  f"of {per_session} traces (--judge-delay 0)")
    with Server(fake_argv(str(tmp / "session-run.db"), "--judge-delay", "0", "--quiet"),
                tmp / "session-run.log") as server:
        conn = Conn(server.url, AUTH)
        ids = [f"bench-session-{s:05d}" for s in range(sessions)]
        for s, session_id in enumerate(ids):
            for t in range(per_session):
                body = trace_body(s * per_session + t)
                body["session_id"] = session_id
                body["started_at"] = f"2026-03-01T10:00:0{t}Z"
                status, answer = conn.request("POST", "/traces", body)
                assert status == 202, answer
        status, answer = conn.request("POST", "/evaluations/session-runs/batch",
                                      {"session_ids": ids, "metrics": SESSION_METRICS})
        assert status == 202, answer
        run_id = json.loads(answer)["id"]
        started = time.perf_counter()
        status, answer = conn.request("GET", f"/evaluations/session-runs/{run_id}")
        elapsed = time.perf_counter() - started
        run = json.loads(answer)
        status, scores = conn.request("GET", f"/evaluations/session-runs/{run_id}/scores")
        conn.close()
    assert run["status"] == "COMPLETED" and run["evaluated_count"] == sessions, run
    assert len(json.loads(scores)) == sessions * len(SESSION_METRICS)
    table.add(f"session run of {sessions} sessions", f"{elapsed * 1000:.0f} ms", "", "", "< 2 s", elapsed < 2.0)
    table.results["session_run"] = {"sessions": sessions, "traces": sessions * per_session,
                                    "seconds": elapsed}
