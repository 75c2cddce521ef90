"""Executing a SESSION evaluation run (the runner's "SESSION" executor), as upstream's worker
does (BEHAVIOR.md, "Session runs"): per session, its traces by start time; per trace the four
signals `confidence`, `coherence`, `loop_detection`, `tool_correctness` -- the newest SUCCESS
trace score of that name when the trace has one (any source, any run; nothing written), else
computed by the judge and written as a trace score of this run; then each session metric of
the run computed from those values (fake/session_metrics.py) and written as a session score.

Failed signals (e.g. `--judge unconfigured`) read `Signal computation failed: <error>` and do
not count in `failed_count`; only a failed session metric (a judge rule's `error` naming it)
does.  A session id the project has no trace of counts as evaluated and gets nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from pandaprobe_fake import catalogue
import pandaprobe_fake.fake.judge as judging
import pandaprobe_fake.fake.session_metrics as session_metrics

SIGNALS = session_metrics.SIGNALS
METRIC_FAILED = "Metric execution failed: "
SIGNAL_FAILED = "Signal computation failed: "
LOOK_BACK = 3  # loop_detection compares with the outputs of the previous three traces

FIRST_TRACE = ("SUCCESS", "1.0", "No session context provided; looping cannot be assessed.",
               {"note": "no session context provided"})
EMPTY_OUTPUT = ("SUCCESS", "1.0", "Empty output; looping cannot be assessed.", {"note": "empty_output"})
NO_PREVIOUS = ("SUCCESS", "1.0", "No previous outputs to compare.", {"note": "no_previous_outputs"})


def _empty(value: Any) -> bool:
    return value is None or value == ""


def loop_detection(judge: judging.Judge, f: judging.Features, trace: dict[str, Any],
                   previous: list[dict[str, Any]], rules: list) -> tuple[str, str | None, str, dict]:
    """The loop_detection signal of a trace after `previous` traces of its session."""
    for rule in rules:
        if rule.matches(metric="loop_detection", trace_id=trace["trace_id"]):
            return judge.evaluate(f, trace["trace_id"], "loop_detection", "", [rule])
    if not previous:
        status, value, reason, metadata = FIRST_TRACE
    elif _empty(trace.get("output")):
        status, value, reason, metadata = EMPTY_OUTPUT
    else:
        outputs = [t.get("output") for t in previous[-LOOK_BACK:] if not _empty(t.get("output"))]
        if not outputs:
            status, value, reason, metadata = NO_PREVIOUS
        elif not judge.configured:  # embeddings: always Vertex AI
            return "FAILED", None, METRIC_FAILED + catalogue.not_configured(catalogue.PROVIDERS[3]), {}
        elif trace.get("output") in outputs:
            return ("SUCCESS", "0.0", "The output repeats one of the previous outputs "
                    "(simulated judge).", {"judge": "pandaprobe-fake simulated judge", "repeated_output": True})
        else:
            value, reason, metadata = judging.simulated(f, "loop_detection")
            return "SUCCESS", str(value), reason, metadata
    return status, value, reason, dict(metadata)


def _signal_failed(outcome: tuple) -> tuple:
    status, value, reason, metadata = outcome
    if status == "FAILED" and reason.startswith(METRIC_FAILED):
        reason = SIGNAL_FAILED + reason[len(METRIC_FAILED):]
    return status, value, reason, metadata


def execute_session_run(store: Any, judge: judging.Judge, run: dict[str, Any], at: int):
    """Every session of a SESSION run -> (trace signal scores, session scores, evaluated_count,
    failed_count).  A retry run (`pairs`) computes only its (session, metric) pairs."""
    project_id, model, run_id = run["project_id"], run["model"] or "", run["id"]
    weights = (run.get("filters") or {}).get("signal_weights")
    by_session = store.session_trace_ids(project_id, run["targets"])
    all_ids = [trace_id for ids in by_session.values() for trace_id in ids]
    traces = store.traces_with_spans(project_id, all_ids)
    known = store.signal_values(project_id, all_ids, SIGNALS)
    pairs = {tuple(p) for p in run["pairs"]} if run.get("pairs") is not None else None
    rules = judge.pair_rules()
    trace_scores: list[dict[str, Any]] = []
    session_scores: list[dict[str, Any]] = []
    evaluated = failed = 0
    for session_id in run["targets"]:
        evaluated += 1
        ids = [t for t in by_session.get(session_id, ()) if t in traces]
        if not ids:
            continue
        signals: list[tuple[str, dict[str, float | None]]] = []
        previous: list[dict[str, Any]] = []
        for trace_id in ids:
            trace = traces[trace_id]
            held = known.get(trace_id, {})
            f = None
            values: dict[str, float | None] = {}
            for name in SIGNALS:
                if name in held:
                    values[name] = held[name]
                    continue
                f = f or judging.features(trace)
                if name == "loop_detection":
                    outcome = loop_detection(judge, f, trace, previous, rules)
                else:
                    outcome = judge.evaluate(f, trace_id, name, model, rules)
                status, value, reason, metadata = _signal_failed(outcome)
                values[name] = float(value) if status == "SUCCESS" and value is not None else None
                trace_scores.append({
                    "id": str(uuid.uuid4()), "project_id": project_id, "trace_id": trace_id,
                    "name": name, "value": value, "status": status, "source": "AUTOMATED",
                    "data_type": "NUMERIC", "eval_run_id": run_id, "author_user_id": None,
                    "reason": reason, "environment": trace.get("environment"), "config_id": None,
                    "metadata": metadata, "created_at": at, "updated_at": at})
            signals.append((trace_id, values))
            previous.append(trace)
        for metric in run["metric_names"]:
            if pairs is not None and (session_id, metric) not in pairs:
                continue
            score = _session_metric(metric, signals, weights, rules)
            failed += score["status"] == "FAILED"
            session_scores.append({**score, "id": str(uuid.uuid4()), "session_id": session_id,
                                   "project_id": project_id, "eval_run_id": run_id,
                                   "created_at": at, "updated_at": at})
    return trace_scores, session_scores, evaluated, failed


def _session_metric(metric: str, signals: list, weights: dict | None, rules: list) -> dict[str, Any]:
    """A session score's status, value, reason and metadata: a judge rule naming the metric
    (with no trace) scripts it, else upstream's arithmetic."""
    for rule in rules:
        if rule.matches(metric=metric, trace_id=None):
            if rule.error is not None:
                return {"name": metric, "status": "FAILED", "value": None,
                        "reason": METRIC_FAILED + rule.error, "metadata": {}}
            return {"name": metric, "status": "SUCCESS", "value": str(round(rule.value, 4)),
                    "reason": rule.reason or "Scripted value (pandaprobe-fake judge rule).",
                    "metadata": {"judge": "pandaprobe-fake scripted rule", "rule_id": rule.id}}
    result = session_metrics.compute(metric, signals, weights)
    return {"name": metric, "status": "SUCCESS", "value": result.value, "reason": result.reason,
            "metadata": result.metadata}
