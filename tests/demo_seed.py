"""A small, realistic data set for the demo page's end-to-end tests, sent to a running
`python app.py` through its HTTP API (traces with nested spans, scores of all three data
types), plus what the API cannot make -- scores from earlier days, FAILED and PENDING
ones -- written into the same database file through the store.

`seed_demo(url, db_path)` fills the project `demo`; what it made is read back through
the API by the tests, so the same tests can run against `python app.py --mock`."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import requests

from pandaprobe_fake.clock import to_micros
from pandaprobe_fake.store import Store

PROJECT = "demo"
HEADERS = {"X-API-Key": "demo-key", "X-Project-Name": PROJECT}
NUMERIC_METRICS = ("task_completion", "tool_correctness", "step_efficiency")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _trace(name: str, started: datetime, rng: random.Random) -> dict:
    """An agent run: agent -> (plan LLM call, tool -> retriever, answer LLM call)."""
    ids = {k: str(uuid.uuid4()) for k in ("agent", "plan", "tool", "retriever", "answer")}
    at = lambda ms: _iso(started + timedelta(milliseconds=ms))  # noqa: E731
    plan, tool, answer = rng.randint(300, 900), rng.randint(200, 700), rng.randint(400, 1200)
    spans = [
        {"span_id": ids["agent"], "name": "agent", "kind": "AGENT", "status": "OK",
         "started_at": at(0), "ended_at": at(plan + tool + answer + 60)},
        {"span_id": ids["plan"], "parent_span_id": ids["agent"], "name": "plan", "kind": "LLM",
         "status": "OK", "model": "gpt-x", "started_at": at(10), "ended_at": at(10 + plan),
         "token_usage": {"prompt_tokens": rng.randint(200, 600), "completion_tokens": rng.randint(20, 90)}},
        {"span_id": ids["tool"], "parent_span_id": ids["agent"], "name": "search_docs", "kind": "TOOL",
         "status": "OK", "started_at": at(20 + plan), "ended_at": at(20 + plan + tool)},
        {"span_id": ids["retriever"], "parent_span_id": ids["tool"], "name": "vector_lookup",
         "kind": "RETRIEVER", "status": "OK", "started_at": at(30 + plan),
         "ended_at": at(10 + plan + tool)},
        {"span_id": ids["answer"], "parent_span_id": ids["agent"], "name": "answer", "kind": "LLM",
         "status": "OK", "model": "gpt-x", "started_at": at(40 + plan + tool),
         "ended_at": at(40 + plan + tool + answer),
         "token_usage": {"prompt_tokens": rng.randint(600, 1500), "completion_tokens": rng.randint(80, 300)}},
    ]
    return {"trace_id": str(uuid.uuid4()), "name": name, "status": "COMPLETED",
            "started_at": at(0), "ended_at": at(plan + tool + answer + 80),
            "input": {"messages": [{"role": "user", "content": f"{name}: what changed last week?"}]},
            "output": {"messages": [{"role": "assistant", "content": "Three things changed ..."}]},
            "session_id": f"session-{rng.randint(1, 3)}", "user_id": f"user-{rng.randint(1, 5)}",
            "tags": ["demo", rng.choice(["prod", "staging"])], "spans": spans}


def seed_demo(url: str, db_path: str, days: int = 7, seed: int = 8) -> dict:
    """Fill the project `demo` of the fake at `url` (whose database file is `db_path`)."""
    rng = random.Random(seed)
    http = requests.Session()
    http.headers.update(HEADERS)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    traces = []
    for i, name in enumerate(("support-agent", "research-agent", "billing-agent", "support-agent")):
        body = _trace(name, now - timedelta(days=i, hours=rng.randint(1, 5)), rng)
        answer = http.post(f"{url}/traces", json=body)
        answer.raise_for_status()
        traces.append(body["trace_id"])

    # today's scores, through the API (one of each data type per trace)
    for trace_id in traces:
        for name, data_type, source, value in (
                ("task_completion", "NUMERIC", "AUTOMATED", f"{rng.uniform(0.55, 1):.2f}"),
                ("tool_correctness", "NUMERIC", "PROGRAMMATIC", f"{rng.uniform(0.4, 1):.2f}"),
                ("thumbs_up", "BOOLEAN", "ANNOTATION", rng.choice(["true", "false"])),
                ("quality", "CATEGORICAL", "AUTOMATED", rng.choice(["good", "fair", "poor"]))):
            answer = http.post(f"{url}/evaluations/trace-scores", json={
                "trace_id": trace_id, "name": name, "value": value, "data_type": data_type,
                "source": source, "reason": f"{name} judged by the demo seed"})
            answer.raise_for_status()
    project_id = answer.json()["project_id"]

    # earlier days, and FAILED / PENDING evaluations: written through the store
    rows = []
    for day in range(1, days + 1):
        for name in NUMERIC_METRICS:
            for _ in range(rng.randint(2, 4)):
                moment = to_micros(now - timedelta(days=day, minutes=rng.randint(0, 600)))
                value = f"{min(1.0, max(0.0, rng.gauss(0.72 - day * 0.02, 0.15))):.2f}"
                rows.append(_row(project_id, rng.choice(traces), name, value, "SUCCESS",
                                 "AUTOMATED", moment, "NUMERIC", "scored by the nightly eval run"))
    for i, status in enumerate(("FAILED", "FAILED", "PENDING")):
        moment = to_micros(now - timedelta(hours=2 + i))
        rows.append(_row(project_id, traces[i], "step_efficiency", None, status, "AUTOMATED", moment,
                         "NUMERIC", "LLM judge timed out" if status == "FAILED" else None))
    store = Store(db_path)
    try:
        store.insert_scores(rows)
    finally:
        store.close()
    return {"project_id": project_id, "traces": traces}


def _row(project_id, trace_id, name, value, status, source, moment, data_type, reason) -> dict:
    return {"id": str(uuid.uuid4()), "project_id": project_id, "trace_id": trace_id, "name": name,
            "value": value, "status": status,
            "source": source, "data_type": data_type, "eval_run_id": None, "author_user_id": None,
            "reason": reason, "environment": None, "config_id": None,
            "metadata": json.dumps({"seed": "demo"}), "created_at": moment, "updated_at": moment}
