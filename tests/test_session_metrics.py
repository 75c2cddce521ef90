"""The session metrics from known signals (fake/session_metrics.py), against BEHAVIOR.md's
formulas and its observed example."""

from __future__ import annotations

import math

import pytest

from pandaprobe_fake.fake import session_metrics as sm


def test_the_observed_example():
    traces = [("t1", {"confidence": 0.4, "coherence": 1.0, "loop_detection": 1.0})]
    reliability = sm.compute("agent_reliability", traces)
    assert (reliability.score, reliability.value) == (0.4, "0.4")
    assert reliability.reason == "Elevated risk in 1 of 1 traces."
    consistency = sm.compute("agent_consistency", traces)
    assert (consistency.score, consistency.value) == (0.4, "0.4")
    assert consistency.reason == "High instability across 1 traces; multiple signals compound."
    heavy = {"confidence": 2.0}
    assert sm.compute("agent_reliability", traces, heavy).value == "0.0"
    assert sm.compute("agent_consistency", traces, heavy).value == "0.0"


def test_reliability_takes_the_top_k_tail_and_the_max():
    # 10 traces with signals: k = max(1, ceil(10 * 0.15)) = 2
    traces = [(f"t{i}", {"confidence": 1.0 - i / 20, "tool_correctness": 1.0}) for i in range(10)]
    traces.append(("no-signals", {"confidence": None}))
    result = sm.agent_reliability(traces)
    risks = sorted((i / 20 for i in range(10)), reverse=True)
    raw = 0.9 * (risks[0] + risks[1]) / 2 + 0.1 * risks[0]
    assert result.score == round(1 - raw, 4)
    assert result.reason == "No elevated risk across 10 traces."
    meta = result.metadata
    assert meta["total_traces_in_session"] == 11 and meta["traces_evaluated"] == 10
    assert meta["raw_risk"] == round(raw, 4) and meta["flagged_traces"] == []
    assert meta["signal_weights"] == {"confidence": 1.0, "loop_detection": 1.0,
                                      "tool_correctness": 0.8, "coherence": 1.0}
    assert meta["per_trace_signals"]["t9"] == {"confidence_risk": 0.45, "tool_risk": 0.0, "step_risk": 0.45}
    assert meta["aggregation"] == {"method": "max_compose_top_k", "top_k_percentile": 0.15,
                                   "ensemble_weight": 0.1, "mean_top_k_risk": 0.425, "max_risk": 0.45}


def test_reliability_weights_each_signal():
    traces = [("a", {"tool_correctness": 0.0}), ("b", {"loop_detection": 0.2, "coherence": 0.9})]
    result = sm.agent_reliability(traces)
    # risks: a 0.8 (tool weight 0.8), b 0.8; flagged above 0.5
    assert result.score == 0.2 and result.metadata["flagged_traces"] == ["a", "b"]
    assert result.reason == "Elevated risk in 2 of 2 traces."
    weighted = sm.agent_reliability(traces, {"tool_correctness": 0.5, "loop_detection": 0.5})
    assert weighted.metadata["per_trace_signals"]["a"]["tool_risk"] == 0.5
    assert weighted.score == round(1 - (0.9 * 0.5 + 0.1 * 0.5), 4)  # b: max(0.4, 0.1) = 0.4


def test_consistency_counts_traces_with_confidence_only():
    traces = [("a", {"confidence": 0.9, "loop_detection": 0.5, "tool_correctness": 1.0}),
              ("b", {"confidence": 1.0}), ("c", {"coherence": 0.0})]
    result = sm.agent_consistency(traces)
    wu = (1 + 0.5) * 1.0 * (1 - 0.9)
    rms = math.sqrt((wu ** 2 + 0.0) / 2)
    assert result.score == round(1 - rms, 4)
    assert result.reason == "Consistent performance across 2 traces."
    meta = result.metadata
    assert meta["traces_evaluated"] == 2 and meta["total_traces_in_session"] == 3
    assert meta["per_trace_signals"]["a"] == {"confidence_risk": 0.1, "loop_risk": 0.5, "tool_risk": 0.0,
                                              "situational_penalty": 0.5, "weighted_uncertainty": 0.15}
    assert meta["aggregation"] == {"method": "weighted_rms", "rms_value": round(rms, 4)}


@pytest.mark.parametrize("confidence, reason", [
    (0.2, "Consistent performance across 1 traces."),   # score 0.8: consistent
    (0.5, "Moderate instability detected across 1 traces."),   # 0.5: moderate
    (0.51, "High instability across 1 traces; multiple signals compound."),  # 0.49
])
def test_consistency_reasons_at_their_boundaries(confidence, reason):
    result = sm.agent_consistency([("t", {"confidence": 1 - confidence})])
    assert result.reason == reason


@pytest.mark.parametrize("metric", sm.SESSION_METRIC_NAMES)
def test_no_evaluable_traces(metric):
    for traces in ([], [("t", {})], [("t", {"confidence": None, "coherence": None})]):
        result = sm.compute(metric, traces)
        assert (result.score, result.reason, result.metadata, result.value) == (
            1.0, "No evaluable traces.", {}, "1.0")
    # consistency needs a confidence value; reliability any signal
    only_coherence = [("t", {"coherence": 0.0})]
    assert sm.compute("agent_consistency", only_coherence).reason == "No evaluable traces."
    assert sm.compute("agent_reliability", only_coherence).score == 0.0


def test_scores_are_clamped_and_unknown_names_refused():
    assert sm.agent_reliability([("t", {"confidence": 0.0})], {"confidence": 3}).score == 0.0
    with pytest.raises(KeyError):
        sm.compute("task_completion", [])
