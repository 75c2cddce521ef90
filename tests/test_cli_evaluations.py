"""The official CLI's `evals metrics` and `evals runs create|batch|list|get|scores` against
`python app.py` as a real process, its JSON output checked against what the API holds
(tests/cli.py finds the binary: env PANDAPROBE_CLI; skipped without it unless CI=true)."""

from __future__ import annotations

import pytest

from cli import cli_factory  # noqa: F401 (a fixture)
from conftest import key_headers

from pandaprobe_fake import catalogue

pytestmark = pytest.mark.process  # starts python app.py

RUNS = "/evaluations/trace-runs"


def test_cli_evals_metrics_and_runs(live_server_factory, cli_factory, tmp_path):  # noqa: F811
    server = live_server_factory("--db", str(tmp_path / "cli.db"), "--judge-delay", "0")
    http = server.session(key_headers("cli-evals"))
    ids = []
    for i, status in enumerate(("COMPLETED", "COMPLETED", "ERROR")):
        response = http.post(f"{server.url}/traces", json={
            "name": f"Booking agent {i}", "status": status, "input": {"q": i}, "output": {"a": i},
            "started_at": f"2026-03-0{i + 1}T10:00:00Z", "tags": ["cli"] if i else []})
        assert response.status_code == 202
        ids.append(response.json()["trace_id"])
    cli = cli_factory(server.url, "cli-evals")

    metrics = cli.ok("evals", "metrics")
    assert metrics == http.get(f"{server.url}/evaluations/trace-metrics").json()
    assert [m["name"] for m in metrics] == sorted(catalogue.TRACE_METRICS)

    created = cli.ok("evals", "runs", "create", "--metrics", "coherence,task_completion",
                     "--name", "from the cli", "--tags", "cli", "--sampling-rate", "1")
    assert (created["status"], created["name"], created["total_targets"]) == ("PENDING", "from the cli", 2)
    assert created["filters"] == {"tags": ["cli"]}
    filtered = cli.ok("evals", "runs", "create", "--metrics", "confidence", "--status", "ERROR",
                      "--filter-name", "booking")
    assert filtered["total_targets"] == 1

    batch = cli.ok("evals", "runs", "batch", "--trace-ids", ",".join(ids), "--metrics",
                   "tool_correctness", "--model", "gpt-4o-mini")
    assert batch["filters"] == {"trace_ids": ids} and batch["model"] == "openai/gpt-4o-mini"

    listed = cli.ok("evals", "runs", "list")
    api_list = http.get(f"{server.url}{RUNS}").json()
    assert listed["items"] == api_list["items"]
    assert listed["pagination"] == {"limit": 50, "offset": 0, "total": api_list["total"]}
    assert [r["id"] for r in listed["items"]] == [batch["id"], filtered["id"], created["id"]]
    page = cli.ok("evals", "runs", "list", "--status", "COMPLETED", "--limit", "1")
    assert (len(page["items"]), page["pagination"]["total"]) == (1, 3)

    got = cli.ok("evals", "runs", "get", created["id"])
    assert got == http.get(f"{server.url}{RUNS}/{created['id']}").json()
    assert (got["status"], got["evaluated_count"], got["failed_count"]) == ("COMPLETED", 2, 0)

    scores = cli.ok("evals", "runs", "scores", batch["id"])
    assert scores == http.get(f"{server.url}{RUNS}/{batch['id']}/scores").json()
    assert sorted(s["trace_id"] for s in scores) == sorted(ids)
    assert all(s["eval_run_id"] == batch["id"] and s["source"] == "AUTOMATED" for s in scores)

    # errors come back as the CLI's failures, carrying the fake's sentences
    unknown = cli.run("evals", "runs", "create", "--metrics", "loop_detection")
    assert unknown.code != 0 and "Unknown metrics: loop_detection" in unknown.stdout + unknown.stderr
    missing = cli.run("evals", "runs", "get", "00000000-0000-4000-8000-000000000000")
    assert missing.code != 0
    assert "Eval run 00000000-0000-4000-8000-000000000000 not found." in missing.stdout + missing.stderr


def test_a_missing_cli_fails_in_ci_and_skips_elsewhere(monkeypatch, tmp_path):
    import pytest

    from cli import cli_path

    monkeypatch.delenv("PANDAPROBE_CLI", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        cli_path()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        cli_path()
    monkeypatch.setenv("PANDAPROBE_CLI", str(tmp_path / "absent"))
    with pytest.raises(pytest.skip.Exception):
        cli_path()
