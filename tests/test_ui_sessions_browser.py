"""Sessions and monitors on the demo page in a real headless browser (Playwright driving
Debian's chromium) against a real `python app.py --mock` process (its demo data: sessions,
their daily session scores, the hourly and daily monitors): list the sessions, open one and
see its metrics chart, its scores and its traces, go to a trace and back to its session;
pause and resume a monitor from its page and see the API hold each state; Trigger shown
exactly when the fake routes it; no view wider than a 420 or 1360 px window.  Screenshots go to
test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re

import pytest
import requests

from test_ui_browser import ARTIFACTS, api_for, browser, expect, page  # noqa: F401  (fixtures)
from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.process]

MONITORS = "/evaluations/monitors"
TRIGGER = "/evaluations/monitors/{monitor_id}/trigger"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    fake = LiveServer(tmp_path_factory.mktemp("ui-sessions") / "server.log", "--mock", "--quiet").start()
    try:
        yield fake
    finally:
        fake.stop()


def shot(tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / name), full_page=True)


def scored_session(http, server) -> str:
    """A session of the demo data that has session scores."""
    items = http.get(f"{server.url}/evaluations/session-scores", params={"limit": 1}).json()["items"]
    assert items, "the demo data holds session scores"
    return items[0]["session_id"]


def monitor_named(http, server, name: str) -> dict:
    (monitor,) = [m for m in http.get(f"{server.url}{MONITORS}").json()["items"] if m["name"] == name]
    return monitor


def test_list_sessions_open_one_and_see_its_metrics_over_time(page, server):
    page.goto("/ui")
    page.click('#sections a[data-section="sessions"]')
    expect(page).to_have_url(re.compile(r"/ui/sessions\?project="))
    http = api_for(page, server)
    listed = http.get(f"{server.url}/sessions", params={"limit": 20}).json()
    expect(page.locator("tr.session-row")).to_have_count(len(listed["items"]))
    assert page.locator("tr.session-row").evaluate_all("rs => rs.map(r => r.dataset.sessionId)") == \
        [s["session_id"] for s in listed["items"]]
    expect(page.locator("#showing")).to_have_text(f"1–20 of {listed['total']}")
    shot(page, "ui-sessions.png")

    # find a scored session with the list's own search, and open it
    session_id = scored_session(http, server)
    page.fill('#session-filters input[name=query]', session_id)
    page.click('#session-filters button[type=submit]')
    expect(page.locator("tr.session-row")).to_have_count(1)
    page.locator(f'tr.session-row[data-session-id="{session_id}"] a.session-link').click()
    expect(page).to_have_url(re.compile(rf"/ui/sessions/{session_id}\?project="))

    history = http.get(f"{server.url}/evaluations/analytics/session-scores/history/{session_id}").json()
    metrics = list(dict.fromkeys(h["metric_name"] for h in history))
    charts = page.locator("#session-metrics figure.history-chart")
    expect(charts).to_have_count(len(metrics))
    assert charts.evaluate_all("fs => fs.map(f => f.dataset.metric)") == metrics
    for metric in metrics:
        svg = page.locator(f'figure.history-chart[data-metric="{metric}"] svg.chart')
        expect(svg).to_be_visible()
        drawn = sum(1 for h in history if h["metric_name"] == metric and h["score"] is not None)
        expect(svg.locator("circle.point")).to_have_count(drawn)
        assert svg.bounding_box()["height"] > 100
    scores = http.get(f"{server.url}/evaluations/session-scores/{session_id}").json()
    assert page.locator("#session-scores-table tr.session-score-row").evaluate_all(
        "rs => rs.map(r => r.dataset.scoreId)") == [s["id"] for s in scores]
    detail = http.get(f"{server.url}/sessions/{session_id}").json()
    traces = page.locator("#session-traces-table tr.trace-row")
    assert traces.evaluate_all("rs => rs.map(r => r.dataset.traceId)") == [t["trace_id"] for t in detail["traces"]]
    shot(page, "ui-session.png")

    # a trace of the session, and back to the session from the trace
    trace_id = detail["traces"][0]["trace_id"]
    traces.first.locator("td.trace-name a").click()
    expect(page).to_have_url(re.compile(rf"/ui/traces/{trace_id}\?project="))
    expect(page.locator("#trace-session")).to_have_text(session_id)
    page.click("#trace-session")
    expect(page).to_have_url(re.compile(rf"/ui/sessions/{session_id}\?project="))
    expect(page.locator('#sections a[data-section="sessions"]')).to_have_class("active")


def test_pause_and_resume_a_monitor_from_its_page(page, server):
    page.goto("/ui")
    page.click('#sections a[data-section="monitors"]')
    expect(page).to_have_url(re.compile(r"/ui/monitors\?project="))
    http = api_for(page, server)
    listed = http.get(f"{server.url}{MONITORS}").json()["items"]
    assert page.locator("tr.monitor-row").evaluate_all("rs => rs.map(r => r.dataset.monitorId)") == \
        [m["id"] for m in listed]
    shot(page, "ui-monitors.png")
    monitor = monitor_named(http, server, "hourly-quality")
    page.locator(f'tr.monitor-row[data-monitor-id="{monitor["id"]}"] td.monitor-name a').click()
    expect(page).to_have_url(re.compile(rf"/ui/monitors/{monitor['id']}\?project="))
    runs = http.get(f"{server.url}{MONITORS}/{monitor['id']}/runs", params={"limit": 20}).json()
    assert runs["items"], "the demo's hourly monitor has runs"
    assert page.locator("#monitor-runs-table tr.run-row").evaluate_all(
        "rs => rs.map(r => r.dataset.runId)") == [r["id"] for r in runs["items"]]
    shot(page, "ui-monitor.png")

    page.click("#pause-monitor")
    expect(page.locator("#monitor .monitor-status .badge")).to_have_text("PAUSED")
    expect(page.locator("#resume-monitor")).to_be_visible()
    expect(page.locator("#pause-monitor")).to_have_count(0)
    held = http.get(f"{server.url}{MONITORS}/{monitor['id']}").json()
    assert (held["status"], held["next_run_at"]) == ("PAUSED", None)
    expect(page.locator("#monitor dd.next-run")).to_have_text("—")
    shot(page, "ui-monitor-paused.png")

    page.click("#resume-monitor")
    expect(page.locator("#monitor .monitor-status .badge")).to_have_text("ACTIVE")
    expect(page.locator("#pause-monitor")).to_be_visible()
    held = http.get(f"{server.url}{MONITORS}/{monitor['id']}").json()
    assert held["status"] == "ACTIVE" and held["next_run_at"] is not None
    # the list shows the state the API holds
    page.click('#sections a[data-section="monitors"]')
    expect(page.locator(f'tr.monitor-row[data-monitor-id="{monitor["id"]}"] .monitor-status .badge')).to_have_text("ACTIVE")


def test_a_refused_action_shows_the_apis_message_and_changes_nothing(page, server):
    control = requests.Session()
    page.goto("/ui/monitors")
    http = api_for(page, server)
    made = http.post(f"{server.url}{MONITORS}", json={"name": "refused", "target_type": "TRACE",
                                                      "metrics": ["coherence"], "cadence": "daily"}).json()
    page.goto(f"/ui/monitors/{made['id']}")
    assert control.post(f"{server.url}/_fake/faults", json={
        "method": "POST", "path": f"{MONITORS}/*/pause", "status": 429, "times": 1}).status_code == 201
    try:
        page.click("#pause-monitor")
        # a scripted fault answers {"detail": <the status's phrase>}: the page shows that detail
        expect(page.locator("[data-monitor-error]")).to_have_text("Too Many Requests")
        expect(page.locator("#pause-monitor")).to_be_enabled()
        expect(page.locator("#monitor .monitor-status .badge")).to_have_text("ACTIVE")
        assert http.get(f"{server.url}{MONITORS}/{made['id']}").json()["status"] == "ACTIVE"
        shot(page, "ui-monitor-refused.png")
        page.click("#pause-monitor")  # the fault is spent: this one goes through
        expect(page.locator("#monitor .monitor-status .badge")).to_have_text("PAUSED")
    finally:
        control.delete(f"{server.url}/_fake/faults")
        http.delete(f"{server.url}{MONITORS}/{made['id']}")


def test_trigger_is_shown_exactly_when_the_fake_routes_it(page, server):
    document = requests.get(f"{server.url}/openapi.json", timeout=5).json()
    routed = "post" in document["paths"].get(TRIGGER, {})  # the 501 stand-in is undocumented
    page.goto("/ui/monitors")
    http = api_for(page, server)
    monitor = monitor_named(http, server, "hourly-quality")
    page.locator(f'tr.monitor-row[data-monitor-id="{monitor["id"]}"] td.monitor-name a').click()
    expect(page.locator("#trigger-monitor")).to_have_count(1 if routed else 0)
    if routed:  # a trace monitor's run opens the run's view
        page.click("#trigger-monitor")
        page.wait_for_url(re.compile(r"/ui/runs/[0-9a-f-]{36}\?project="))
        run_id = re.search(r"/ui/runs/([0-9a-f-]{36})", page.url).group(1)
        assert http.get(f"{server.url}/evaluations/trace-runs/{run_id}").json()["monitor_id"] == monitor["id"]


@pytest.mark.parametrize("width", [1360, 420])
def test_sessions_and_monitors_fit_the_window(browser, server, width):  # noqa: F811
    """No view of sessions or monitors widens the page: wide tables scroll in their own box."""
    headers = {"X-API-Key": "layout", "X-Project-Name": "demo"}
    http = requests.Session()
    http.headers.update(headers)
    session_id = scored_session(http, server)
    monitor_id = requests.get(f"{server.url}{MONITORS}", headers=headers).json()["items"][0]["id"]
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900})
    try:
        tab = context.new_page()
        for name, path in (("sessions", "/ui/sessions"), ("session", f"/ui/sessions/{session_id}"),
                           ("monitors", "/ui/monitors"), ("monitor", f"/ui/monitors/{monitor_id}")):
            tab.goto(path)
            assert tab.evaluate("document.documentElement.scrollWidth") <= width, path
            shot(tab, f"ui-{name}-{width}.png")
    finally:
        context.close()
