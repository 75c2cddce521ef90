"""The evaluation-run lifecycle, read off the fake's clock: a run is PENDING when created,
RUNNING from `running_at` (half its delay), and done at `due_at` (its delay: `--judge-delay`
or a judge rule), when it is executed whole -- its scores written, its counters set, COMPLETED
(or FAILED when a judge rule fails the run).  Nothing runs in the background: `advance` moves
every run whose time has come, and it is called before each API request (so with a frozen
clock a run moves only when the clock is advanced, and with no delay a run is done before the
next request sees it).

Execution is per `target_type` (EXECUTORS): TRACE here, SESSION in session_runner.py.  An
executor answers (trace scores, session scores, evaluated_count, failed_count).
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

import pandaprobe_fake.fake.judge as judging
from pandaprobe_fake import session_runner

SECOND = 1_000_000


def timing(created_at: int, delay_seconds: float) -> tuple[int, int]:
    """(running_at, due_at) of a run created at `created_at`."""
    delay = max(0, int(round(delay_seconds * SECOND)))
    return created_at + delay // 2, created_at + delay


Outcome = tuple[list[dict[str, Any]], list[dict[str, Any]], int, int]


def execute_trace_run(store: Any, judge: judging.Judge, run: dict[str, Any], at: int) -> Outcome:
    """Every (trace, metric) pair of a TRACE run -> (scores, [], evaluated_count, failed_count),
    as upstream's worker: a target the project does not hold counts as evaluated and gets no
    score; a retry run (`pairs`) re-runs only its pairs."""
    project_id, model = run["project_id"], run["model"] or ""
    traces = store.traces_with_spans(project_id, run["targets"])
    pairs = {tuple(p) for p in run["pairs"]} if run.get("pairs") is not None else None
    rules = judge.pair_rules()
    scores, evaluated, failed = [], 0, 0
    for trace_id in run["targets"]:
        trace = traces.get(trace_id)
        if trace is not None:
            f = judging.features(trace)
            for metric in run["metric_names"]:
                if pairs is not None and (trace_id, metric) not in pairs:
                    continue
                status, value, reason, metadata = judge.evaluate(f, trace_id, metric, model, rules)
                failed += status == "FAILED"
                scores.append({
                    "id": str(uuid.uuid4()), "project_id": project_id, "trace_id": trace_id,
                    "name": metric, "value": value, "status": status, "source": "AUTOMATED",
                    "data_type": "NUMERIC", "eval_run_id": run["id"], "author_user_id": None,
                    "reason": reason, "environment": trace.get("environment"), "config_id": None,
                    "metadata": metadata, "created_at": at, "updated_at": at})
        evaluated += 1
    return scores, [], evaluated, failed


EXECUTORS: dict[str, Callable[..., Outcome]] = {
    "TRACE": execute_trace_run,
    "SESSION": session_runner.execute_session_run,
}


def finish(store: Any, judge: judging.Judge, run: dict[str, Any]) -> None:
    at = run["due_at"]
    error = judge.run_error(run["metric_names"])
    if error is not None:
        store.finish_run(run["id"], {"status": "FAILED", "completed_at": at, "error_message": error,
                                     "evaluated_count": 0, "failed_count": 0}, [])
        return
    scores, session_scores, evaluated, failed = EXECUTORS[run["target_type"]](store, judge, run, at)
    store.finish_run(run["id"], {"status": "COMPLETED", "completed_at": at, "error_message": None,
                                 "evaluated_count": evaluated, "failed_count": failed},
                     scores, session_scores)


def advance(store: Any, judge: judging.Judge) -> None:
    """Move on every run whose time has come on the store's clock."""
    now = store.clock.now()
    due = store.next_due()
    if due is None or due > now:
        return
    with judge.running:  # one request executes; the others wait and then see it done
        for run in store.unfinished_runs():
            if run["status"] == "PENDING" and run["running_at"] <= now:
                store.mark_running(run["id"])
            if run["due_at"] <= now:
                finish(store, judge, run)
