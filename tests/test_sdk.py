"""The official `pandaprobe` SDK against `python app.py` as a real process."""

import logging
import uuid

import pytest

pandaprobe = pytest.importorskip("pandaprobe")

from conftest import SCORES, key_headers  # noqa: E402

pytestmark = pytest.mark.process

USER = {"messages": [{"role": "user", "content": "Book me a flight to Oslo"}]}
ANSWER = {"messages": [{"role": "assistant", "content": "Booked: OSL, Friday 09:10"}]}


def test_sdk_sends_traces_spans_and_scores(live_server_factory, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="pandaprobe")
    server = live_server_factory("--db", str(tmp_path / "sdk.db"))
    client = pandaprobe.Client(api_key="sk-local", project_name="sdk-demo", endpoint=server.url,
                               flush_interval=0.05)
    with client.trace("flight-agent", input=USER, session_id="sess-1", user_id="user-7",
                      tags=["sdk", "e2e"], metadata={"team": "qa"}) as trace:
        with trace.span("plan", kind="AGENT") as plan:
            with trace.span("llm-call", kind="LLM", model="gpt-x") as llm:
                llm.set_input({"messages": [{"role": "system", "content": "be brief"}, *USER["messages"]]})
                llm.set_output(ANSWER)
                llm.set_token_usage(prompt_tokens=30, completion_tokens=12)
                llm.set_cost(total=0.002, input=0.0015)
                llm.set_model_parameters({"temperature": 0.1})
            with trace.span("search-flights", kind="TOOL") as tool:
                tool.set_input({"to": "OSL"})
                tool.set_output({"flights": ["SK4035"]})
        trace.set_output(ANSWER)

    with pytest.raises(RuntimeError):
        with client.trace("failing-agent", input=USER) as failing:
            with failing.span("step", kind="CHAIN"):
                raise RuntimeError("tool exploded")

    client.score(trace.trace_id, "task_completion", "0.9", reason="booked")
    client.score(trace.trace_id, "confidence", "true", data_type="BOOLEAN")
    client.score(failing.trace_id, "loop_detection", "LOOP", data_type="CATEGORICAL", metadata={"n": 3})
    client.flush()
    client.shutdown()

    http = server.session(key_headers("sdk-demo"))
    got = http.get(f"{server.url}/traces/{trace.trace_id}")
    assert got.status_code == 200
    stored = got.json()
    assert (stored["name"], stored["status"], stored["session_id"], stored["user_id"]) == (
        "flight-agent", "COMPLETED", "sess-1", "user-7")
    assert (stored["input"], stored["output"], stored["tags"], stored["metadata"]) == (
        USER, ANSWER, ["sdk", "e2e"], {"team": "qa"})
    assert stored["ended_at"] >= stored["started_at"]
    spans = {s["name"]: s for s in stored["spans"]}
    assert set(spans) == {"plan", "llm-call", "search-flights"}
    assert spans["plan"]["span_id"] == plan.span_id and spans["plan"]["parent_span_id"] is None
    assert spans["llm-call"]["parent_span_id"] == plan.span_id
    assert spans["search-flights"]["parent_span_id"] == plan.span_id
    assert (spans["llm-call"]["kind"], spans["llm-call"]["status"], spans["llm-call"]["model"]) == ("LLM", "OK", "gpt-x")
    assert spans["llm-call"]["token_usage"] == {"prompt_tokens": 30, "completion_tokens": 12}
    assert spans["llm-call"]["cost"] == {"total": 0.002, "input": 0.0015}
    assert spans["llm-call"]["model_parameters"] == {"temperature": 0.1}
    assert spans["llm-call"]["output"] == ANSWER
    assert spans["search-flights"]["input"] == {"to": "OSL"} and spans["search-flights"]["kind"] == "TOOL"
    assert all(s["latency_ms"] is not None and s["latency_ms"] >= 0 for s in stored["spans"])

    failed = http.get(f"{server.url}/traces/{failing.trace_id}").json()
    assert failed["status"] == "ERROR"
    (step,) = failed["spans"]
    assert (step["status"], step["error"], step["kind"]) == ("ERROR", "tool exploded", "CHAIN")

    listed = http.get(f"{server.url}/traces", params={"sort_order": "asc"}).json()
    assert [t["trace_id"] for t in listed["items"]] == [trace.trace_id, failing.trace_id]
    assert (listed["items"][0]["span_count"], listed["items"][0]["total_tokens"]) == (3, 42)
    assert listed["items"][0]["total_cost"] == 0.002

    scores = http.get(f"{server.url}{SCORES}", params={"limit": 10}).json()
    assert scores["total"] == 3
    by_name = {s["name"]: s for s in scores["items"]}
    assert by_name["task_completion"]["value"] == "0.9" and by_name["task_completion"]["reason"] == "booked"
    assert (by_name["confidence"]["data_type"], by_name["confidence"]["value"]) == ("BOOLEAN", "true")
    assert by_name["loop_detection"]["metadata"] == {"n": 3}
    assert by_name["loop_detection"]["trace_id"] == failing.trace_id
    assert {s["source"] for s in scores["items"]} == {"PROGRAMMATIC"}
    latest = http.get(f"{server.url}{SCORES}/{trace.trace_id}").json()
    assert [s["name"] for s in latest] == ["confidence", "task_completion"]

    problems = [r for r in caplog.records if r.name.startswith("pandaprobe") and r.levelno >= logging.WARNING]
    assert problems == [], [r.getMessage() for r in problems]


def test_sdk_logs_an_error_when_the_fake_refuses(live_server_factory, tmp_path, caplog):
    # the negative control of the test above: with a key the fake does not accept, the
    # SDK's drop is visible in its log, so "no warning" above means something
    caplog.set_level(logging.DEBUG, logger="pandaprobe")
    server = live_server_factory("--db", str(tmp_path / "refuse.db"), "--api-key", "the-only-key")
    client = pandaprobe.Client(api_key="wrong-key", project_name="p", endpoint=server.url, flush_interval=0.05)
    client.score(str(uuid.uuid4()), "m", "0.5")
    client.flush()
    client.shutdown()
    assert any(r.levelno >= logging.WARNING for r in caplog.records if r.name.startswith("pandaprobe"))
