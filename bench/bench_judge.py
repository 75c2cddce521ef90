"""The evaluation-run part of bench.py's scale section (`python bench.py --only judge`):
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
    from bench import AUTH, Conn, Server, fake_argv

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
