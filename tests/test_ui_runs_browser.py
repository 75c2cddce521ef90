"""Evaluation runs on the demo page in a real headless browser (Playwright driving Debian's
chromium) against a real `python app.py --mock` process with the default --judge-delay
(0.5 s): tick traces and metrics, start a run, watch the page follow it to COMPLETED by
itself, open one of its scores' trace; the same from a trace's own Evaluate form; a run the
API refuses shows the API's message; a frozen clock holds a run PENDING on screen until the
clock moves.  Screenshots go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re

import pytest
import requests

from test_ui_browser import ARTIFACTS, api_for, browser, expect, page  # noqa: F401  (fixtures)
from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.process]

RUNS = "/evaluations/trace-runs"
RUN_URL = re.compile(r"/ui/runs/([0-9a-f-]{36})\?project=")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    fake = LiveServer(tmp_path_factory.mktemp("ui-runs") / "server.log", "--mock", "--quiet").start()
    try:
        yield fake
    finally:
        fake.stop()


def shot(tab, name: str, locator=None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (locator or tab).screenshot(path=str(ARTIFACTS / name), **({} if locator else {"full_page": True}))


def run_id_of(tab) -> str:
    tab.wait_for_url(RUN_URL)
    return RUN_URL.search(tab.url).group(1)


def test_start_a_run_on_chosen_traces_and_metrics_and_watch_it_complete(page, server):
    page.goto("/ui")
    page.click('#sections a[data-section="traces"]')
    expect(page).to_have_url(re.compile(r"/ui/traces\?project="))
    rows = page.locator("tr.trace-row")
    expect(rows.first).to_be_visible()
    chosen = [rows.nth(i).get_attribute("data-trace-id") for i in range(3)]
    for trace_id in chosen:
        page.check(f'tr.trace-row[data-trace-id="{trace_id}"] input[name=trace_ids]')
    expect(page.locator("[data-selection-count]")).to_have_text("3 traces selected")
    metrics = page.locator('#start-run input[name=metrics]').evaluate_all("bs => bs.map(b => b.value)")
    http = api_for(page, server)
    assert metrics == [m["name"] for m in http.get(f"{server.url}/evaluations/trace-metrics").json()]
    for metric in ("coherence", "task_completion"):
        page.check(f'#start-run input[name=metrics][value="{metric}"]')
    page.fill("#start-run input[name=name]", "picked on the page")
    shot(page, "ui-runs-start.png")
    page.click("#start-run button[type=submit]")

    run_id = run_id_of(page)
    first = page.locator("#run .run-status .badge").inner_text()
    assert first in ("PENDING", "RUNNING", "COMPLETED")
    if first != "COMPLETED":
        shot(page, "ui-run-active.png")
    # the page follows the run and shows its scores without the test reloading it
    expect(page.locator("#run .run-status .badge")).to_have_text("COMPLETED")
    expect(page.locator("#run-scores-table tr.score-row")).to_have_count(6)
    run = http.get(f"{server.url}{RUNS}/{run_id}").json()
    assert (run["name"], run["status"], run["total_targets"], run["evaluated_count"]) == (
        "picked on the page", "COMPLETED", 3, 3)
    assert sorted(run["metric_names"]) == ["coherence", "task_completion"]
    assert sorted(run["filters"]["trace_ids"]) == sorted(chosen)
    expect(page.locator("#run .progress-text")).to_have_text("3/3")
    assert page.locator("#run .progress progress").evaluate("p => [p.value, p.max]") == [3, 3]
    scores = http.get(f"{server.url}{RUNS}/{run_id}/scores").json()
    assert page.locator("#run-scores-table tr.score-row").evaluate_all(
        "rs => rs.map(r => r.dataset.scoreId)") == [s["id"] for s in scores]
    shot(page, "ui-run-completed.png")

    # the runs list shows it first, with its progress
    page.click('#sections a[data-section="runs"]')
    top = page.locator("tr.run-row").first
    expect(top).to_have_attribute("data-run-id", run_id)
    expect(top.locator(".run-status .badge")).to_have_text("COMPLETED")
    expect(top.locator(".progress-text")).to_have_text("3/3")
    shot(page, "ui-runs.png")
    top.locator("td.run-name a").click()
    expect(page).to_have_url(re.compile(rf"/ui/runs/{run_id}\?"))

    # a score's trace, which lists the run among those that scored it
    link = page.locator("#run-scores-table tr.score-row td.trace a").first
    trace_id = link.get_attribute("title")
    assert trace_id in chosen
    link.click()
    expect(page).to_have_url(re.compile(rf"/ui/traces/{trace_id}\?project="))
    expect(page.locator(f'#trace-runs-table tr.run-row[data-run-id="{run_id}"]')).to_be_visible()
    shot(page, "ui-trace-runs.png")
    page.locator(f'#trace-runs-table tr.run-row[data-run-id="{run_id}"] a.run-link').click()
    expect(page).to_have_url(re.compile(rf"/ui/runs/{run_id}\?"))


def test_evaluate_one_trace_from_its_page(page, server):
    page.goto("/ui/traces")
    page.locator("tr.trace-row td.trace-name a").first.click()
    trace_id = re.search(r"/ui/traces/([0-9a-f-]{36})", page.url).group(1)
    page.check('#evaluate-trace input[name=metrics][value="coherence"]')
    page.click("#evaluate-trace button[type=submit]")
    run_id = run_id_of(page)
    expect(page.locator("#run .run-status .badge")).to_have_text("COMPLETED")
    expect(page.locator("#run-scores-table tr.score-row")).to_have_count(1)
    run = api_for(page, server).get(f"{server.url}{RUNS}/{run_id}").json()
    assert run["filters"]["trace_ids"] == [trace_id] and run["metric_names"] == ["coherence"]


def test_a_run_the_api_refuses_shows_its_message_and_starts_nothing(page, server):
    page.goto("/ui/traces")
    http = api_for(page, server)
    before = http.get(f"{server.url}{RUNS}").json()["total"]
    page.check("tr.trace-row input[name=trace_ids] >> nth=0")
    page.click("#start-run button[type=submit]")  # no metric ticked
    refused = http.post(f"{server.url}{RUNS}/batch", json={
        "trace_ids": [page.locator("tr.trace-row").first.get_attribute("data-trace-id")], "metrics": []})
    assert refused.status_code == 422
    expected = "; ".join(f"{e['field']}: {e['message']}" for e in refused.json()["errors"])
    expect(page.locator("[data-run-form-error]")).to_have_text(expected)
    expect(page).to_have_url(re.compile(r"/ui/traces"))
    assert http.get(f"{server.url}{RUNS}").json()["total"] == before
    shot(page, "ui-runs-refused.png", page.locator("#start-run .run-bar"))


def test_select_all_ticks_the_page(page, server):
    page.goto("/ui/traces?limit=20")
    page.check("input[data-select-all]")
    boxes = page.locator("tr.trace-row input[name=trace_ids]")
    count = boxes.count()
    assert count == 20
    expect(page.locator("tr.trace-row input[name=trace_ids]:checked")).to_have_count(count)
    expect(page.locator("[data-selection-count]")).to_have_text(f"{count} traces selected")
    boxes.first.uncheck()
    assert page.locator("input[data-select-all]").evaluate("b => b.indeterminate")


def test_a_frozen_clock_holds_the_run_on_screen_until_it_moves(page, server):
    control = requests.Session()
    now = control.get(f"{server.url}/_fake/clock").json()["now"]
    assert control.post(f"{server.url}/_fake/clock", json={"freeze": now}).status_code == 200
    try:
        page.goto("/ui/traces")
        page.check("tr.trace-row input[name=trace_ids] >> nth=0")
        page.check('#start-run input[name=metrics][value="coherence"]')
        page.click("#start-run button[type=submit]")
        run_id = run_id_of(page)
        expect(page.locator("#run .run-status .badge")).to_have_text("PENDING")
        expect(page.locator("#run-waiting")).to_be_visible()
        expect(page.locator("#run .progress.active")).to_be_visible()
        loads: list[str] = []
        page.on("load", lambda: loads.append(page.url))
        # refused polls (a scripted 429, twice) neither stop the page following nor make it reload
        assert control.post(f"{server.url}/_fake/faults", json={
            "method": "GET", "path": f"{RUNS}/*", "status": 429, "times": 2}).status_code == 201
        page.wait_for_timeout(2500)  # polls go by; nothing moves on a frozen clock
        expect(page.locator("#run .run-status .badge")).to_have_text("PENDING")
        assert loads == []
        (fault,) = control.get(f"{server.url}/_fake/faults").json()["items"]
        assert (fault["applied"], fault["remaining"]) == (2, 0)  # the page met both
        shot(page, "ui-run-pending.png")
        control.post(f"{server.url}/_fake/clock", json={"advance_seconds": 0.3})
        expect(page.locator("#run .run-status .badge")).to_have_text("RUNNING")
        control.post(f"{server.url}/_fake/clock", json={"advance_seconds": 0.3})
        expect(page.locator("#run .run-status .badge")).to_have_text("COMPLETED")
        expect(page.locator("#run-scores-table tr.score-row")).to_have_count(1)
        expect(page.locator("#run-waiting")).to_have_count(0)
        assert api_for(page, server).get(f"{server.url}{RUNS}/{run_id}").json()["status"] == "COMPLETED"
    finally:
        control.delete(f"{server.url}/_fake/clock")
        control.delete(f"{server.url}/_fake/faults")


@pytest.mark.parametrize("width", [1360, 420])
def test_runs_traces_and_a_run_fit_the_window(browser, server, width):  # noqa: F811
    """No view of runs widens the page (a wide table scrolls in its own box), even with a
    255-character run name (the longest) and a narrow window."""
    headers = {"X-API-Key": "layout", "X-Project-Name": "demo"}
    trace_id = requests.get(f"{server.url}/traces", params={"limit": 1}, headers=headers).json()["items"][0]["trace_id"]
    run = requests.post(f"{server.url}{RUNS}/batch", headers=headers, json={
        "trace_ids": [trace_id], "metrics": ["coherence"], "name": "n" * 255})
    assert run.status_code == 202, run.text
    run = run.json()
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900})
    try:
        tab = context.new_page()
        for path in ("/ui/runs", "/ui/traces", f"/ui/runs/{run['id']}", f"/ui/traces/{trace_id}", "/ui"):
            tab.goto(path)
            assert tab.evaluate("document.documentElement.scrollWidth") <= width, path
        if width < 800:
            tab.goto("/ui/runs")
            shot(tab, "ui-runs-narrow.png")
    finally:
        context.close()


def test_retry_the_failed_pairs_of_a_run_from_its_page(page, server):
    control = requests.Session()
    rule = control.post(f"{server.url}/_fake/judge", json={"metric": "confidence", "error": "judge timed out"})
    assert rule.status_code == 201
    try:
        page.goto("/ui/traces")
        for i in range(2):
            page.check(f"tr.trace-row input[name=trace_ids] >> nth={i}")
        for metric in ("coherence", "confidence"):
            page.check(f'#start-run input[name=metrics][value="{metric}"]')
        page.click("#start-run button[type=submit]")
        first = run_id_of(page)
        expect(page.locator("#run .run-status .badge")).to_have_text("COMPLETED")
        expect(page.locator("#run [data-failed]")).to_have_text("2")
        expect(page.locator("#run-scores-table .status .badge", has_text="FAILED")).to_have_count(2)
        control.delete(f"{server.url}/_fake/judge")  # the judge recovers
        page.click("#retry-run")
        page.wait_for_url(lambda url: first not in url and RUN_URL.search(url) is not None)
        retry = run_id_of(page)
        expect(page.locator("#run .run-status .badge")).to_have_text("COMPLETED")
        expect(page.locator("#run-scores-table tr.score-row")).to_have_count(2)
        expect(page.locator("#run-scores-table .status .badge", has_text="SUCCESS")).to_have_count(2)
        answer = api_for(page, server).get(f"{server.url}{RUNS}/{retry}").json()
        assert answer["filters"]["retry_of"] == first and answer["metric_names"] == ["confidence"]
        shot(page, "ui-run-retried.png")
        page.click(f'a[href*="/ui/runs/{first}"]')  # back to the original
        expect(page).to_have_url(re.compile(rf"/ui/runs/{first}\?"))
    finally:
        control.delete(f"{server.url}/_fake/judge")
