"""The official `pandaprobe` SDK's evaluation loop against `python app.py` as a real process:
traces ingested with `Client`, `PlatformClient.traces.wait_visible`, `evaluations.metrics()`,
`create()` (POST /evaluations/trace-runs/batch), `wait()` -> an EvaluationResult with a usable
score for every (trace, metric) pair, no SDK warning; a second run gives the same values.  And
the negative control: with `--judge unconfigured` the same loop ends in InsufficientEvidence."""

from __future__ import annotations

import asyncio
import logging

import pytest

pandaprobe = pytest.importorskip("pandaprobe")
from pandaprobe.api import PlatformClient  # noqa: E402
from pandaprobe.api.errors import InsufficientEvidence  # noqa: E402

from pandaprobe_fake import catalogue  # noqa: E402

pytestmark = pytest.mark.process  # starts python app.py

USER = {"messages": [{"role": "user", "content": "Book me a flight to Oslo"}]}
ANSWER = {"messages": [{"role": "assistant", "content": "Booked: OSL, Friday 09:10"}]}
METRICS = ["task_completion", "tool_correctness", "coherence"]


def ingest(server, project: str) -> tuple[pandaprobe.Client, list[str]]:
    client = pandaprobe.Client(api_key="sk-local", project_name=project, endpoint=server.url,
                               flush_interval=0.05)
    ids = []
    for i in range(3):
        with client.trace(f"flight-agent-{i}", input=USER, session_id="s-1") as trace:
            with trace.span("search-flights", kind="TOOL") as tool:
                tool.set_input({"to": "OSL", "try": i})
                tool.set_output({"flights": ["SK4035"]})
            trace.set_output(ANSWER)
        ids.append(trace.trace_id)
    with pytest.raises(RuntimeError):
        with client.trace("failing-agent", input=USER) as failing:
            with failing.span("book", kind="TOOL"):
                raise RuntimeError("payment API down")
    ids.append(failing.trace_id)
    client.flush()
    return client, ids


async def evaluate(client: pandaprobe.Client, ids: list[str]):
    async with PlatformClient(client) as platform:
        for trace_id in ids:
            await platform.traces.wait_visible(trace_id, timeout=20, poll_interval=0.05)
        metrics = await platform.evaluations.metrics()
        run = await platform.evaluations.create(ids, METRICS, name="sdk e2e")
        result = await platform.evaluations.wait(run.id, trace_ids=ids, metrics=METRICS,
                                                 timeout=20, poll_interval=0.1)
        return metrics, run, result


def test_sdk_evaluation_loop_end_to_end(live_server_factory, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="pandaprobe")
    server = live_server_factory("--db", str(tmp_path / "sdk-eval.db"), "--judge-delay", "0.3")
    client, ids = ingest(server, "sdk-evals")

    metrics, run, result = asyncio.run(evaluate(client, ids))
    assert sorted(m.name for m in metrics) == sorted(catalogue.TRACE_METRICS)
    assert run.status == "PENDING" and run.total_targets == 4
    assert result.run.status == "COMPLETED" and result.run.evaluated_count == 4
    assert len(result.scores) == len(ids) * len(METRICS)
    pairs = {(str(s.trace_id), s.name): s.numeric_value for s in result.scores}
    assert set(pairs) == {(t, m) for t in ids for m in METRICS}
    assert all(v is not None and 0.0 <= v <= 1.0 for v in pairs.values())
    # the failing trace scores lower than the clean ones on task completion
    assert pairs[(ids[3], "task_completion")] < min(pairs[(t, "task_completion")] for t in ids[:3])

    _, second_run, second = asyncio.run(evaluate(client, ids))
    assert second_run.id != run.id
    assert {(str(s.trace_id), s.name): s.value for s in second.scores} == \
        {(str(s.trace_id), s.name): s.value for s in result.scores}
    client.shutdown()

    problems = [r for r in caplog.records if r.name.startswith("pandaprobe") and r.levelno >= logging.WARNING]
    assert problems == [], [r.getMessage() for r in problems]


def test_sdk_with_an_unconfigured_judge_gets_insufficient_evidence(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "sdk-unconf.db"), "--judge", "unconfigured",
                                 "--judge-delay", "0")
    client, ids = ingest(server, "sdk-unconfigured")
    with pytest.raises(InsufficientEvidence):
        asyncio.run(evaluate(client, ids))
    client.shutdown()
