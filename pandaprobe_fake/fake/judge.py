"""The simulated judge: what evaluates a (trace, metric) pair in the fake, in place of the real
server's LLM judge -- deterministic, instant, and scriptable from the control API.

- `simulated` (the default): a value in [0, 1] from a hash of the trace's content and the
  metric's name (so the same trace and metric always score the same, across runs, restarts and
  machines), lowered by what is wrong in the trace: an ERROR status, failing tool spans,
  repeated identical spans, a missing output (weighted per metric). A clean trace scores
  0.62-1.0; a broken one can reach 0.  The reason says, in one sentence, why.
- `unconfigured`: the real server without model credentials (BEHAVIOR.md, "What a run does"):
  every judge metric FAILED with the provider-not-configured reason of the run's model,
  coherence FAILED unless the input or output is empty.
- Either way `coherence` of a trace whose input or output is null or "" is "1.0", as upstream.

Rules added through `POST /_fake/judge` (JudgeRule) override it: a fixed value (and reason) or a
failure for a metric and/or a trace, a whole run failing with an `error_message`, a run delay.
The newest matching rule wins.  Rules live until `DELETE /_fake/judge` or `/_fake/reset`.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from typing import Any

import orjson

from pandaprobe_fake import catalogue

MODES = ("simulated", "unconfigured")
EMPTY_COHERENCE = ("SUCCESS", "1.0", "Input or output is empty; coherence assumed.",
                   {"note": "empty_input_or_output", "coherence_gap": 0.0})

# Per metric: how much each problem of a trace takes off (error, per failing tool span (max 2),
# per repeated span (max 3), missing output).
_WEIGHTS = {
    "argument_correctness": (0.15, 0.25, 0.05, 0.05),
    "coherence": (0.20, 0.05, 0.05, 0.0),
    "confidence": (0.25, 0.12, 0.08, 0.25),
    "plan_adherence": (0.20, 0.12, 0.10, 0.20),
    "plan_quality": (0.15, 0.08, 0.10, 0.15),
    "step_efficiency": (0.15, 0.10, 0.15, 0.10),
    "task_completion": (0.35, 0.10, 0.05, 0.45),
    "tool_correctness": (0.15, 0.25, 0.05, 0.10),
}
_DEFAULT_WEIGHTS = (0.2, 0.1, 0.08, 0.2)


class Features:
    """What the simulated judge reads off one trace.  (A plain class, not a dataclass: a
    dataclass costs ~0.5 ms of start-up to define.)"""

    __slots__ = ("digest", "error", "failed_tools", "repeated", "missing_output", "empty_io")

    def __init__(self, *, digest: bytes, error: bool, failed_tools: int, repeated: int,
                 missing_output: bool, empty_io: bool):
        self.digest, self.error, self.failed_tools, self.repeated = digest, error, failed_tools, repeated
        self.missing_output, self.empty_io = missing_output, empty_io


def _empty(value: Any) -> bool:
    return value is None or value == ""


def features(trace: dict[str, Any]) -> Features:
    spans = trace.get("spans") or []
    seen: set[bytes] = set()
    repeated = failed_tools = 0
    parts = [trace.get("name"), trace.get("status"), trace.get("input"), trace.get("output")]
    for span in spans:
        key = orjson.dumps([span.get("name"), span.get("kind"), span.get("input"), span.get("output")],
                           option=orjson.OPT_SORT_KEYS)
        if key in seen:
            repeated += 1
        seen.add(key)
        if span.get("kind") == "TOOL" and (span.get("status") == "ERROR" or span.get("error")):
            failed_tools += 1
        parts.append([span.get("name"), span.get("kind"), span.get("status"), span.get("input"),
                      span.get("output"), span.get("error")])
    try:
        content = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # e.g. an integer past 64 bits: fall back to its text
        content = repr(parts).encode()
    return Features(digest=hashlib.blake2b(content, digest_size=16).digest(),
                    error=trace.get("status") == "ERROR", failed_tools=failed_tools,
                    repeated=repeated, missing_output=_empty(trace.get("output")),
                    empty_io=_empty(trace.get("input")) or _empty(trace.get("output")))


def _unit(digest: bytes, metric: str) -> float:
    """A number in [0, 1) fixed by the trace's content and the metric."""
    h = hashlib.blake2b(metric.encode(), key=digest, digest_size=8).digest()
    return int.from_bytes(h, "big") / 2 ** 64


def _problems(f: Features) -> list[str]:
    out = []
    if f.error:
        out.append("the trace ended in ERROR")
    if f.failed_tools:
        out.append(f"{f.failed_tools} tool call{'s' if f.failed_tools > 1 else ''} failed")
    if f.repeated:
        out.append(f"{f.repeated} step{'s were' if f.repeated > 1 else ' was'} repeated identically")
    if f.missing_output:
        out.append("there is no final output")
    return out


def simulated(f: Features, metric: str) -> tuple[float, str, dict[str, Any]]:
    err, tool, rep, out = _WEIGHTS.get(metric, _DEFAULT_WEIGHTS)
    penalty = (err * f.error + tool * min(f.failed_tools, 2) + rep * min(f.repeated, 3)
               + out * f.missing_output)
    value = round(min(1.0, max(0.0, 0.62 + 0.38 * _unit(f.digest, metric) - penalty)), 4)
    subject = metric.replace("_", " ").capitalize()
    problems = _problems(f)
    if problems:
        reason = f"{subject} scored lower because " + ", ".join(problems) + " (simulated judge)."
    elif value >= 0.8:
        reason = f"{subject} looks good: the trace completed cleanly and its output answers the input (simulated judge)."
    else:
        reason = f"{subject} is adequate: the trace completed without errors, with room to improve (simulated judge)."
    metadata = {"judge": "pandaprobe-fake simulated judge", "trace_error": f.error,
                "failed_tool_spans": f.failed_tools, "repeated_spans": f.repeated,
                "missing_output": f.missing_output}
    return value, reason, metadata


def unconfigured_error(metric: str, model: str) -> str:
    """The error of a metric on the real server without model credentials (non-empty I/O)."""
    if metric == "coherence":  # embeddings: always Vertex AI
        return catalogue.not_configured(catalogue.PROVIDERS[3])
    provider = catalogue.provider_of(model)
    if provider is None:
        return f"LLM provider not provided for model '{model}': no credentials are configured."
    return catalogue.not_configured(provider)


# -- scripted rules ---------------------------------------------------------------------------


class JudgeRule:
    """A rule of `POST /_fake/judge`.  (A plain class, not a dataclass: a dataclass costs
    ~0.5 ms of start-up to define.)"""

    __slots__ = ("metric", "trace_id", "value", "reason", "error", "run_error", "delay_seconds", "id")

    def __init__(self, metric: str | None = None, trace_id: str | None = None,
                 value: float | None = None, reason: str | None = None, error: str | None = None,
                 run_error: str | None = None, delay_seconds: float | None = None,
                 id: str | None = None):  # noqa: A002 (the rule's field)
        self.metric, self.trace_id, self.value, self.reason = metric, trace_id, value, reason
        self.error, self.run_error, self.delay_seconds = error, run_error, delay_seconds
        self.id = str(uuid.uuid4()) if id is None else id

    @property
    def kind(self) -> str:
        for kind in ("value", "error", "run_error", "delay_seconds"):
            if getattr(self, kind) is not None:
                return kind
        return "value"

    def matches(self, metric: str | None = None, trace_id: str | None = None,
                metrics: list[str] | None = None) -> bool:
        if self.trace_id is not None and self.trace_id != trace_id:
            return False
        if self.metric is None:
            return True
        return self.metric == metric if metrics is None else self.metric in metrics

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "metric": self.metric, "trace_id": self.trace_id, "value": self.value,
                "reason": self.reason, "error": self.error, "run_error": self.run_error,
                "delay_seconds": self.delay_seconds}


class Judge:
    """The judge of one app: its mode, its default delay (seconds on the fake's clock) and the
    scripted rules.  Also the lock the runner holds while it moves runs along."""

    def __init__(self, mode: str = "simulated", delay: float = 0.5):
        self.mode, self.delay = mode, delay
        self._rules: list[JudgeRule] = []
        self._lock = threading.Lock()
        self.running = threading.Lock()

    @property
    def configured(self) -> bool:
        return self.mode != "unconfigured"

    def add(self, spec: dict[str, Any]) -> JudgeRule:
        rule = JudgeRule(**spec)
        with self._lock:
            self._rules.append(rule)
        return rule

    def rules(self) -> list[JudgeRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            kept = [r for r in self._rules if r.id != rule_id]
            found, self._rules = len(kept) != len(self._rules), kept
        return found

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def _newest(self, kind: str, **match: Any) -> JudgeRule | None:
        for rule in reversed(self.rules()):
            if rule.kind == kind and rule.matches(**match):
                return rule
        return None

    def run_delay(self, metrics: list[str]) -> float:
        rule = self._newest("delay_seconds", metrics=metrics)
        return rule.delay_seconds if rule is not None else self.delay

    def run_error(self, metrics: list[str]) -> str | None:
        rule = self._newest("run_error", metrics=metrics)
        return rule.run_error if rule is not None else None

    def pair_rules(self) -> list[JudgeRule]:
        """The value and error rules, newest first (read once per run)."""
        return [r for r in reversed(self.rules()) if r.kind in ("value", "error")]

    def evaluate(self, f: Features, trace_id: str, metric: str, model: str,
                 rules: list[JudgeRule]) -> tuple[str, str | None, str, dict[str, Any]]:
        """(status, value text, reason, metadata) of one (trace, metric) pair."""
        for rule in rules:
            if rule.matches(metric=metric, trace_id=trace_id):
                if rule.error is not None:
                    return "FAILED", None, f"Metric execution failed: {rule.error}", {}
                return ("SUCCESS", str(round(rule.value, 4)),
                        rule.reason if rule.reason is not None else "Scripted value (pandaprobe-fake judge rule).",
                        {"judge": "pandaprobe-fake scripted rule", "rule_id": rule.id})
        if metric == "coherence" and f.empty_io:
            status, value, reason, metadata = EMPTY_COHERENCE
            return status, value, reason, dict(metadata)
        if not self.configured:
            return "FAILED", None, f"Metric execution failed: {unconfigured_error(metric, model)}", {}
        value, reason, metadata = simulated(f, metric)
        return "SUCCESS", str(value), reason, metadata
