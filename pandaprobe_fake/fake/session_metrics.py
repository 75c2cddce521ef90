"""The two session metrics, computed from their per-trace signals as upstream computes them
(BEHAVIOR.md, "Session runs"): pure arithmetic, no judge, no storage.  A session run (the
evaluation-run routes) gathers each trace's four signals -- `confidence`, `coherence`,
`loop_detection`, `tool_correctness`, each a value in [0, 1] or None when the trace has none --
and calls `compute(metric, traces, weights)` for each session metric of the run.

    compute("agent_reliability", [("trace-1", {"confidence": 0.4, "coherence": 1.0})])
    -> MetricResult(score=0.4, reason="Elevated risk in 1 of 1 traces.", metadata={...})

The registry (`SESSION_METRICS`, what GET /evaluations/session-metrics lists) comes from
catalogue.py, with the trace metrics.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from pandaprobe_fake import catalogue

SESSION_METRICS = tuple({"name": name, "category": "session", "description": text}
                        for name, text in sorted(catalogue.SESSION_METRICS.items()))
SESSION_METRIC_NAMES = tuple(m["name"] for m in SESSION_METRICS)
DEFAULT_THRESHOLD = 0.5

# The signals, in the order a session run gathers them, and their default weights.
SIGNALS = ("confidence", "coherence", "loop_detection", "tool_correctness")
DEFAULT_WEIGHTS = {"confidence": 1.0, "loop_detection": 1.0, "tool_correctness": 0.8,
                   "coherence": 1.0}
# signal -> its key in per_trace_signals
_RISK_KEYS = {"confidence": "confidence_risk", "loop_detection": "loop_risk",
              "tool_correctness": "tool_risk", "coherence": "coherence_risk"}
TOP_K_PERCENTILE = 0.15
ENSEMBLE_WEIGHT = 0.1
FLAG_ABOVE = 0.5

Signals = Mapping[str, float | None]


class MetricResult:
    """A session metric's score, reason and metadata.  (A plain class, not a dataclass: a
    dataclass costs ~0.5 ms of start-up to define.)"""

    __slots__ = ("score", "reason", "metadata")

    def __init__(self, score: float, reason: str, metadata: dict[str, Any] | None = None):
        self.score, self.reason = score, reason
        self.metadata = {} if metadata is None else metadata

    @property
    def value(self) -> str:
        """The score as a session score's value: `str(round(score, 4))` ("1.0", "0.4978")."""
        return str(round(self.score, 4))


NO_EVALUABLE_TRACES = MetricResult(1.0, "No evaluable traces.", {})


def merged_weights(overrides: Mapping[str, float] | None) -> dict[str, float]:
    """The default weights, overridden key by key (other keys are kept as given)."""
    return {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in (overrides or {}).items()}}


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _present(signals: Signals) -> dict[str, float]:
    return {name: float(signals[name]) for name in SIGNALS if signals.get(name) is not None}


def agent_reliability(traces: Sequence[tuple[str, Signals]],
                      weights: Mapping[str, float] | None = None) -> MetricResult:
    """Worst-case risk: per trace with signals, the max of weight × (1 − signal) over its
    present signals; then 0.9 × mean(top k risks) + 0.1 × max risk, k = max(1, ceil(n × 0.15))."""
    w = merged_weights(weights)
    per_trace, risks, flagged = {}, [], []
    for trace_id, signals in traces:
        present = _present(signals)
        if not present:
            continue
        parts = {_RISK_KEYS[name]: round(w[name] * (1 - value), 4) for name, value in present.items()}
        risk = max(w[name] * (1 - value) for name, value in present.items())
        parts["step_risk"] = round(risk, 4)
        per_trace[trace_id] = parts
        risks.append(risk)
        if risk > FLAG_ABOVE:
            flagged.append(trace_id)
    n = len(risks)
    if n == 0:
        return NO_EVALUABLE_TRACES
    ordered = sorted(risks, reverse=True)
    k = max(1, math.ceil(n * TOP_K_PERCENTILE))
    mean_top = sum(ordered[:k]) / k
    raw = (1 - ENSEMBLE_WEIGHT) * mean_top + ENSEMBLE_WEIGHT * ordered[0]
    score = round(_clamp(1 - raw), 4)
    reason = (f"Elevated risk in {len(flagged)} of {n} traces." if flagged
              else f"No elevated risk across {n} traces.")
    return MetricResult(score, reason, {
        "total_traces_in_session": len(traces), "traces_evaluated": n,
        "raw_risk": round(raw, 4), "signal_weights": w, "per_trace_signals": per_trace,
        "flagged_traces": flagged,
        "aggregation": {"method": "max_compose_top_k", "top_k_percentile": TOP_K_PERCENTILE,
                        "ensemble_weight": ENSEMBLE_WEIGHT, "mean_top_k_risk": round(mean_top, 4),
                        "max_risk": round(ordered[0], 4)}})


def agent_consistency(traces: Sequence[tuple[str, Signals]],
                      weights: Mapping[str, float] | None = None) -> MetricResult:
    """Stability: per trace with a confidence value, penalty = Σ weight × (1 − signal) over its
    other present signals, wu = (1 + penalty) × w_confidence × (1 − confidence); score
    1 − sqrt(mean(wu²))."""
    w = merged_weights(weights)
    per_trace, units = {}, []
    for trace_id, signals in traces:
        present = _present(signals)
        if "confidence" not in present:
            continue
        parts = {"confidence_risk": round(1 - present["confidence"], 4)}
        penalty = 0.0
        for name in ("loop_detection", "tool_correctness", "coherence"):
            if name in present:
                risk = w[name] * (1 - present[name])
                parts[_RISK_KEYS[name]] = round(risk, 4)
                penalty += risk
        wu = (1 + penalty) * w["confidence"] * (1 - present["confidence"])
        parts.update(situational_penalty=round(penalty, 4), weighted_uncertainty=round(wu, 4))
        per_trace[trace_id] = parts
        units.append(wu)
    n = len(units)
    if n == 0:
        return NO_EVALUABLE_TRACES
    rms = math.sqrt(sum(u * u for u in units) / n)
    score = round(_clamp(1 - rms), 4)
    if score >= 0.8:
        reason = f"Consistent performance across {n} traces."
    elif score >= 0.5:
        reason = f"Moderate instability detected across {n} traces."
    else:
        reason = f"High instability across {n} traces; multiple signals compound."
    return MetricResult(score, reason, {
        "total_traces_in_session": len(traces), "traces_evaluated": n,
        "raw_instability": round(rms, 4), "signal_weights": w, "per_trace_signals": per_trace,
        "aggregation": {"method": "weighted_rms", "rms_value": round(rms, 4)}})


_COMPUTE = {"agent_reliability": agent_reliability, "agent_consistency": agent_consistency}


def compute(metric: str, traces: Sequence[tuple[str, Signals]],
            weights: Mapping[str, float] | None = None) -> MetricResult:
    """One session metric over a session's traces, each (trace_id, {signal: value or None}),
    in start order.  KeyError for a name that is not a session metric."""
    return _COMPUTE[metric](traces, weights)
