"""Sessions and monitors on the demo page, through the Flask test client: /ui/sessions lists
what GET /sessions answers (its filters, sort and pagination, its errors as the API gives
them), /ui/sessions/<id> shows the session's traces (linking their trace views), its session
scores and its session metrics over time (the history route, one line a metric);
/ui/monitors and /ui/monitors/<id> show the monitors and a monitor's runs, with Pause or
Resume, and Trigger only where the app routes POST .../trigger to a real view.  The views
write nothing; the header links the five sections."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

import pytest

from conftest import Api, key_headers
from pandaprobe_fake.ui import charts
from test_ui import esc, page

MONITORS = "/evaluations/monitors"
NOW = "2026-03-29T19:09:00+00:00"
SESSION_ROW = re.compile(r'<tr class="session-row" data-session-id="([^"]+)"')
TRACE_ROW = re.compile(r'<tr class="trace-row" data-trace-id="([0-9a-f-]{36})"')
SCORE_ROW = re.compile(r'<tr class="session-score-row" data-score-id="([0-9a-f-]{36})"')
MONITOR_ROW = re.compile(r'<tr class="monitor-row" data-monitor-id="([0-9a-f-]{36})"')
RUN_ROW = re.compile(r'<tr class="run-row" data-run-id="([0-9a-f-]{36})"')
POINT = re.compile(r'<circle class="point" cx="([\d.]+)" cy="([\d.]+)"')
RUN_A, RUN_B, RUN_C = (str(uuid.uuid4()) for _ in range(3))


def get(api: Api, path: str, **query):
    response = api.get(path + ("?" + urlencode(query, doseq=True) if query else ""))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def trace(api: Api, session_id: str | None, started: str, status: str = "COMPLETED", **fields) -> str:
    body = {"name": fields.pop("name", "Support Agent"), "input": {"q": "hi"}, "output": {"a": "hello"},
            "started_at": started, "ended_at": started.replace(":00Z", ":02Z"), "status": status,
            **({"session_id": session_id} if session_id else {}), **fields}
    response = api.post("/traces", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["trace_id"]


def section(text: str, element_id: str) -> str:
    start = text.index(f'id="{element_id}"')
    end = text.find('<section class="panel"', start)
    return text[start:end if end > 0 else len(text)]


@pytest.fixture
def seeded(client, api, other_api):
    """Three sessions of `demo` (alpha: 3 traces, one ERROR; beta: 1; gamma: 2), one of another
    project; alpha's session scores (two runs, a FAILED one); two monitors, the TRACE one with
    three runs (one FAILED, one a SESSION run)."""
    assert client.post("/_fake/clock", json={"freeze": NOW}).status_code == 200
    ids = {"alpha": [trace(api, "s-alpha", "2026-03-29T10:00:00Z", user_id="ann"),
                     trace(api, "s-alpha", "2026-03-29T10:05:00Z", "ERROR", user_id="ann"),
                     trace(api, "s-alpha", "2026-03-29T10:10:00Z", user_id="ann")],
           "beta": [trace(api, "s-beta", "2026-03-29T11:00:00Z", user_id="bob")],
           "gamma": [trace(api, "s-gamma", "2026-03-29T12:00:00Z", user_id="bob"),
                     trace(api, "s-gamma", "2026-03-29T12:30:00Z", user_id="bob")],
           "loose": [trace(api, None, "2026-03-29T13:00:00Z")],
           "other": [trace(other_api, "s-secret", "2026-03-29T10:00:00Z")]}
    hourly = api.post(MONITORS, json={"name": "hourly-quality", "target_type": "TRACE",
                                      "metrics": ["coherence"], "cadence": "cron:0 * * * *"}).get_json()
    daily = api.post(MONITORS, json={"name": "daily-sessions", "target_type": "SESSION",
                                     "metrics": ["agent_reliability"], "cadence": "daily"}).get_json()
    run = {"metric_names": ["coherence"], "monitor_id": hourly["id"], "total_targets": 2}
    document = {"projects": [{"name": "demo", "session_scores": [
        {"session_id": "s-alpha", "name": "agent_reliability", "value": "0.4", "eval_run_id": RUN_A,
         "created_at": "2026-03-29T12:00:00Z", "reason": "Elevated risk in 1 of 3 traces."},
        {"session_id": "s-alpha", "name": "agent_consistency", "value": "0.9", "eval_run_id": RUN_A,
         "created_at": "2026-03-29T12:00:00Z"},
        {"session_id": "s-alpha", "name": "agent_reliability", "value": "0.75", "eval_run_id": RUN_B,
         "created_at": "2026-03-29T18:00:00Z"},
        {"session_id": "s-alpha", "name": "agent_reliability", "value": None, "status": "FAILED",
         "eval_run_id": RUN_B, "created_at": "2026-03-29T18:30:00Z",
         "reason": "Metric execution failed: <boom>"}],
        "runs": [{**run, "id": RUN_A, "name": "first", "evaluated_count": 2,
                  "created_at": "2026-03-29T17:00:00Z", "completed_at": "2026-03-29T17:00:05Z"},
                 {**run, "id": RUN_B, "name": "second", "status": "FAILED", "evaluated_count": 1,
                  "created_at": "2026-03-29T18:00:00Z", "completed_at": "2026-03-29T18:00:01Z",
                  "error_message": "All 2 evaluations failed <judge>"},
                 {**run, "id": RUN_C, "name": "sessions", "target_type": "SESSION",
                  "metric_names": ["agent_reliability"], "created_at": "2026-03-29T19:00:00Z",
                  "completed_at": "2026-03-29T19:00:01Z", "evaluated_count": 2}]}]}
    response = client.post("/_fake/fixtures", json=document)
    assert response.status_code == 201, response.get_json()
    return {"traces": ids, "hourly": hourly, "daily": daily}


# -- the header -------------------------------------------------------------------------------


@pytest.mark.parametrize("path,active", [("/ui/sessions", "sessions"), ("/ui/monitors", "monitors"),
                                         ("/ui", "scores")])
def test_the_header_links_the_five_sections(client, seeded, path, active):
    text = page(client, path)
    nav = text[text.index('<nav class="sections"'):text.index("</nav>")]
    assert re.findall(r'data-section="(\w+)"', nav) == ["scores", "traces", "sessions", "runs", "monitors"]
    assert re.findall(r'<a href="[^"]*" data-section="(\w+)" class="active"', nav) == [active]
    for target in ("/ui/sessions?project=", "/ui/monitors?project="):
        assert target in nav


# -- the sessions list ------------------------------------------------------------------------


def test_sessions_are_the_list_routes_rows(client, api, seeded):
    text = page(client, "/ui/sessions")
    listed = get(api, "/sessions")["items"]
    assert SESSION_ROW.findall(text) == [s["session_id"] for s in listed]
    assert set(SESSION_ROW.findall(text)) == {"s-alpha", "s-beta", "s-gamma"}  # not s-secret
    assert 'id="showing">1–3 of 3<' in text
    alpha = next(s for s in listed if s["session_id"] == "s-alpha")
    row = text[text.index('data-session-id="s-alpha"'):]
    row = row[:row.index("</tr>")]
    assert 'data-trace-count>3<' in row and "ann" in row and 'data-has-error="true"' in row
    assert f'>{alpha["total_tokens"]}<' in row
    assert ">2026-03-29 10:10:02<" in row  # last activity: its last trace's end
    assert 'href="/ui/sessions/s-alpha?project=' in row
    beta = text[text.index('data-session-id="s-beta"'):]
    assert 'data-has-error="false"' in beta[:beta.index("</tr>")]


@pytest.mark.parametrize("query", [{"has_error": "true"}, {"has_error": "false"}, {"user_id": "bob"},
                                   {"query": "ALP"}, {"sort_by": "trace_count", "sort_order": "asc"},
                                   {"sort_by": "latency"}, {"started_after": "2026-03-29T11:00:00Z"},
                                   {"started_before": "2026-03-29T11:00:00Z"}])
def test_session_filters_and_sort_are_the_list_routes(client, api, seeded, query):
    text = page(client, "/ui/sessions", **query)
    assert SESSION_ROW.findall(text) == [s["session_id"] for s in get(api, "/sessions", **query)["items"]]
    form = section(text, "sessions")
    for value in query.values():
        assert f'value="{value}"' in form or f"<option selected>{value}</option>" in form \
            or f'<option value="{value}" selected' in form


def test_sessions_pagination(client, api, seeded):
    text = page(client, "/ui/sessions", limit=2)
    assert len(SESSION_ROW.findall(text)) == 2 and 'id="showing">1–2 of 3<' in text
    older = re.search(r'<a class="btn" rel="next" href="([^"]+)"', text).group(1).replace("&amp;", "&")
    assert "offset=2" in older and "limit=2" in older
    second = page(client, older)
    assert SESSION_ROW.findall(second) == [get(api, "/sessions", limit=2, offset=2)["items"][0]["session_id"]]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert 'id="showing">3–3 of 3<' in second


@pytest.mark.parametrize("query,field", [({"limit": "201"}, "query -> limit"), ({"limit": "0"}, "query -> limit"),
                                         ({"has_error": "maybe"}, "query -> has_error"),
                                         ({"sort_by": "name"}, "query -> sort_by"),
                                         ({"started_after": "yesterday"}, "query -> started_after")])
def test_a_bad_session_filter_shows_the_apis_own_error(client, api, seeded, query, field):
    text = page(client, "/ui/sessions", **query)
    answer = api.get("/sessions?" + urlencode(query))
    assert answer.status_code == 422
    assert 'id="list-error" data-status="422"' in text
    for error in answer.get_json()["errors"]:
        assert esc(f"{error['field']}: {error['message']}") in text
    assert esc(field) in text and not SESSION_ROW.findall(text)


def test_the_largest_page_size_is_taken(client, seeded):
    text = page(client, "/ui/sessions", limit=200)
    assert len(SESSION_ROW.findall(text)) == 3 and "list-error" not in text


# -- a session ----------------------------------------------------------------------------------


def test_a_session_shows_its_traces_linking_their_views(client, api, seeded):
    text = page(client, "/ui/sessions/s-alpha")
    detail = get(api, "/sessions/s-alpha")
    traces = section(text, "session-traces")
    assert TRACE_ROW.findall(traces) == [t["trace_id"] for t in detail["traces"]] == seeded["traces"]["alpha"]
    for trace_id in seeded["traces"]["alpha"]:
        assert f'href="/ui/traces/{trace_id}?project=' in traces
    facts = section(text, "session")
    assert "data-trace-count>3<" in facts and "ann" in facts
    assert 'class="badge trace-status-error"' in facts  # it has an ERROR trace


def test_a_session_shows_its_scores_as_the_api_lists_them(client, api, seeded):
    text = page(client, "/ui/sessions/s-alpha")
    table = section(text, "session-scores")
    assert SCORE_ROW.findall(table) == [s["id"] for s in get(api, "/evaluations/session-scores/s-alpha")]
    assert len(SCORE_ROW.findall(table)) == 4
    assert esc("Metric execution failed: <boom>") in table and "<boom>" not in table
    assert "Elevated risk in 1 of 3 traces." in table


def test_a_session_charts_its_metrics_over_time_from_the_history_route(client, api, seeded):
    text = page(client, "/ui/sessions/s-alpha")
    history = get(api, "/evaluations/analytics/session-scores/history/s-alpha", limit=200)
    figures = re.findall(r'<figure class="history-chart" data-metric="(\w+)">(.*?)</figure>',
                         section(text, "session-metrics"), re.S)
    assert [name for name, _ in figures] == list(dict.fromkeys(h["metric_name"] for h in history))
    drawn = dict(figures)
    # reliability: two scores with a value (oldest first, left to right), the FAILED one not drawn
    points = [(float(x), float(y)) for x, y in POINT.findall(drawn["agent_reliability"])]
    assert len(points) == 2 and points[0][0] < points[1][0]
    assert [y for _, y in points] == [charts._y(0.4), charts._y(0.75)]
    assert "1 without a value" in drawn["agent_reliability"]
    assert "<polyline" in drawn["agent_reliability"]
    # consistency: one point, in the middle, no line
    one = POINT.findall(drawn["agent_consistency"])
    assert [float(y) for _, y in one] == [charts._y(0.9)] and "<polyline" not in drawn["agent_consistency"]


def test_a_session_without_scores(client, seeded):
    text = page(client, "/ui/sessions/s-beta")
    assert 'id="no-history"' in text and 'id="no-session-scores"' in text
    assert TRACE_ROW.findall(section(text, "session-traces")) == seeded["traces"]["beta"]


def test_a_sessions_traces_are_paged(client, api, seeded):
    text = page(client, "/ui/sessions/s-alpha", limit=1, offset=1)
    assert TRACE_ROW.findall(section(text, "session-traces")) == [seeded["traces"]["alpha"][1]]
    assert 'id="trace-pager-showing">2–2 of 3<' in text
    pager = section(text, "session-traces")
    assert re.search(r'rel="prev" href="/ui/sessions/s-alpha\?[^"]*offset=0|rel="prev" href="/ui/sessions/s-alpha\?(?![^"]*offset)', pager)
    assert re.search(r'rel="next" href="/ui/sessions/s-alpha\?[^"]*offset=2', pager)


@pytest.mark.parametrize("path,status,detail", [
    ("/ui/sessions/s-nowhere", 404, "Session 's-nowhere' not found."),
    ("/ui/sessions/s-secret", 404, "Session 's-secret' not found."),  # another project's
])
def test_an_unknown_session_shows_the_apis_404(client, seeded, path, status, detail):
    text = page(client, path)
    assert f'id="session-error" data-status="{status}"' in text and esc(detail) in text
    assert 'id="session-scores"' not in text and 'id="session-traces"' not in text


@pytest.mark.parametrize("query", [{"limit": "1001"}, {"limit": "x"}, {"offset": "-1"}])
def test_a_bad_page_of_a_sessions_traces_shows_the_apis_error(client, seeded, query):
    text = page(client, "/ui/sessions/s-alpha", **query)
    assert 'id="session-error" data-status="422"' in text


def test_the_largest_page_of_a_sessions_traces_is_taken(client, seeded):
    text = page(client, "/ui/sessions/s-alpha", limit=1000)
    assert len(TRACE_ROW.findall(text)) == 3 and "session-error" not in text


def test_a_session_id_is_escaped(client, api):
    trace(api, "<b>s&", "2026-03-29T10:00:00Z")
    text = page(client, "/ui/sessions")
    assert "<b>s&" not in text and esc("<b>s&") in text
    detail = page(client, "/ui/sessions/" + "%3Cb%3Es%26")
    assert "<b>s" not in detail and 'id="session-error"' not in detail
    assert len(TRACE_ROW.findall(detail)) == 1


def test_a_trace_links_its_session(client, seeded):
    with_session = page(client, f"/ui/traces/{seeded['traces']['gamma'][0]}")
    assert re.search(r'<a class="session-link mono" id="trace-session" href="/ui/sessions/s-gamma\?project=[^"]+">s-gamma</a>',
                     with_session)
    without = page(client, f"/ui/traces/{seeded['traces']['loose'][0]}")
    assert 'id="trace-session"' not in without


# -- monitors ----------------------------------------------------------------------------------


def test_monitors_are_the_list_routes_rows(client, api, seeded):
    text = page(client, "/ui/monitors")
    listed = get(api, MONITORS)["items"]
    assert MONITOR_ROW.findall(text) == [m["id"] for m in listed]
    hourly = seeded["hourly"]
    row = text[text.index(f'data-monitor-id="{hourly["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert "hourly-quality" in row and "TRACE" in row and "coherence" in row and "cron:0 * * * *" in row
    assert 'class="badge monitor-status-active"' in row
    assert ">2026-03-29 20:00:00<" in row  # next run: the next full hour on the frozen clock
    assert f'href="/ui/monitors/{hourly["id"]}?project=' in row


def test_monitor_status_filter_and_its_error(client, api, seeded):
    assert api.post(f"{MONITORS}/{seeded['daily']['id']}/pause").status_code == 200
    paused = page(client, "/ui/monitors", status="PAUSED")
    assert MONITOR_ROW.findall(paused) == [seeded["daily"]["id"]]
    assert 'class="badge monitor-status-paused"' in paused
    assert MONITOR_ROW.findall(page(client, "/ui/monitors", status="ACTIVE")) == [seeded["hourly"]["id"]]
    bad = page(client, "/ui/monitors", status="paused")
    assert 'id="list-error" data-status="422"' in bad and "query -&gt; status" in bad


def test_monitors_pagination(client, api, seeded):
    text = page(client, "/ui/monitors", limit=1)
    assert MONITOR_ROW.findall(text) == [get(api, MONITORS)["items"][0]["id"]]
    older = re.search(r'rel="next" href="([^"]+)"', text).group(1).replace("&amp;", "&")
    assert MONITOR_ROW.findall(page(client, older)) == [get(api, MONITORS)["items"][1]["id"]]


def test_a_monitor_shows_its_runs_newest_first(client, api, seeded):
    monitor = seeded["hourly"]
    text = page(client, f"/ui/monitors/{monitor['id']}")
    facts = section(text, "monitor")
    assert "cron:0 * * * *" in facts and ">2026-03-29 20:00:00<" in facts and "coherence" in facts
    runs = section(text, "monitor-runs")
    assert RUN_ROW.findall(runs) == [r["id"] for r in get(api, f"{MONITORS}/{monitor['id']}/runs")["items"]] \
        == [RUN_C, RUN_B, RUN_A]
    assert f'href="/ui/runs/{RUN_A}?project=' in runs and f'href="/ui/runs/{RUN_B}?project=' in runs
    assert f'href="/ui/runs/{RUN_C}' not in runs  # a session run has no trace-run view
    assert "data-watch-run" not in runs  # all done
    assert esc("All 2 evaluations failed <judge>") in runs and 'data-status="FAILED"' in runs
    assert 'id="showing">1–3 of 3<' in runs


def test_a_monitors_unfinished_trace_runs_are_followed(app):
    """The runs table marks PENDING/RUNNING trace runs for ui.js to poll (a fixture's active run
    is executed at once, so the macro is rendered with one)."""
    base = {"name": None, "target_type": "TRACE", "evaluated_count": 1, "total_targets": 2,
            "failed_count": 0, "created_at": NOW, "completed_at": None, "error_message": None}
    runs = [{**base, "id": RUN_A, "status": "RUNNING"}, {**base, "id": RUN_B, "status": "COMPLETED"},
            {**base, "id": RUN_C, "status": "PENDING", "target_type": "SESSION"}]
    from pandaprobe_fake.ui.runs import ACTIVE, progress
    with app.test_request_context("/ui/monitors/x"):
        macros = app.jinja_env.get_template("_macros.html").module
        html = str(macros.monitor_runs_table(runs, {"id": "p"}, progress, ACTIVE))
    assert re.findall(r'data-watch-run="([0-9a-f-]{36})"', html) == [RUN_A]
    assert RUN_ROW.findall(html) == [RUN_A, RUN_B, RUN_C]


def test_a_monitor_without_runs(client, seeded):
    text = page(client, f"/ui/monitors/{seeded['daily']['id']}")
    assert 'id="no-monitor-runs"' in text and "2026-03-30 19:09:00" in text


def test_pause_or_resume_is_offered_by_the_monitors_status(client, api, seeded):
    monitor_id = seeded["daily"]["id"]
    active = section(page(client, f"/ui/monitors/{monitor_id}"), "monitor")
    assert 'id="pause-monitor" data-monitor-action="pause"' in active and "resume-monitor" not in active
    assert f'data-monitor-actions="{monitor_id}"' in active
    assert api.post(f"{MONITORS}/{monitor_id}/pause").status_code == 200
    paused = section(page(client, f"/ui/monitors/{monitor_id}"), "monitor")
    assert 'id="resume-monitor" data-monitor-action="resume"' in paused and "pause-monitor" not in paused
    assert 'class="badge monitor-status-paused"' in paused
    assert '<dd class="next-run">—</dd>' in paused  # paused: no next run


@pytest.mark.parametrize("monitor_id,status", [(str(uuid.uuid4()), 404), ("not-a-uuid", 422)])
def test_an_unknown_monitor_shows_the_apis_error(client, seeded, monitor_id, status):
    text = page(client, f"/ui/monitors/{monitor_id}")
    assert f'id="monitor-error" data-status="{status}"' in text
    assert "data-monitor-action" not in text and 'id="monitor-runs"' not in text


def test_another_projects_monitor_is_not_found(client, other_api, seeded):
    theirs = other_api.post(MONITORS, json={"name": "theirs", "target_type": "TRACE", "metrics": ["coherence"],
                                            "cadence": "daily"}).get_json()
    text = page(client, f"/ui/monitors/{theirs['id']}")  # the page's project is demo
    assert 'id="monitor-error" data-status="404"' in text
    assert theirs["id"] not in "".join(MONITOR_ROW.findall(page(client, "/ui/monitors")))


# -- the Trigger button follows the routing ------------------------------------------------------


def trigger_endpoint(app) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(f"{MONITORS}/{uuid.uuid4()}/trigger", method="POST")[0]


def test_trigger_is_offered_exactly_when_the_app_routes_it(app, client, seeded):
    text = page(client, f"/ui/monitors/{seeded['hourly']['id']}")
    routed = not trigger_endpoint(app).startswith("unimplemented.")
    assert ('id="trigger-monitor" data-monitor-action="trigger"' in text) == routed


def test_no_trigger_button_while_the_route_is_a_501(tmp_path, monkeypatch):
    from pandaprobe_fake.app import create_app
    app = create_app({"database": str(tmp_path / "t.db")})
    real = app.url_map.iter_rules
    # the app without a real trigger view (as before it landed, when only a 501 stood there)
    monkeypatch.setattr(app.url_map, "iter_rules", lambda *a: [
        r for r in real(*a) if not (r.rule.endswith("/trigger") and not r.endpoint.startswith("unimplemented."))])
    client = app.test_client()
    monitor = Api(client, key_headers()).post(MONITORS, json={
        "name": "m", "target_type": "TRACE", "metrics": ["coherence"], "cadence": "daily"}).get_json()
    assert not [r for r in app.url_map.iter_rules()
                if r.rule.endswith("/trigger") and not r.endpoint.startswith("unimplemented.")]
    text = page(client, f"/ui/monitors/{monitor['id']}")
    assert "trigger-monitor" not in text and 'id="pause-monitor"' in text
    app.extensions["store"].close()


def test_a_trigger_button_once_a_real_view_routes_it(tmp_path):
    from pandaprobe_fake.app import create_app
    app = create_app({"database": str(tmp_path / "t.db")})
    if trigger_endpoint(app).startswith("unimplemented."):  # not landed yet: a stand-in view
        app.add_url_rule(MONITORS + "/<monitor_id>/trigger", "test_trigger", lambda monitor_id: ("", 202),
                         methods=["POST"])
    client = app.test_client()
    monitor = Api(client, key_headers()).post(MONITORS, json={
        "name": "m", "target_type": "TRACE", "metrics": ["coherence"], "cadence": "daily"}).get_json()
    text = page(client, f"/ui/monitors/{monitor['id']}")
    assert 'id="trigger-monitor" data-monitor-action="trigger"' in text
    assert 'data-run-landing="/ui/runs/RUN_ID?project=' in text
    app.extensions["store"].close()


# -- the views only read --------------------------------------------------------------------------


def test_the_views_change_nothing_and_carry_no_inline_script_or_style(client, seeded):
    before = client.get("/_fake/fixtures").get_json()
    for path in ("/ui/sessions", "/ui/sessions/s-alpha", "/ui/sessions/s-nowhere", "/ui/monitors",
                 f"/ui/monitors/{seeded['hourly']['id']}", f"/ui/monitors/{seeded['daily']['id']}"):
        text = page(client, path)
        assert " style=" not in text and "<style" not in text
        assert re.findall(r"<script[^>]*>", text) == ['<script src="/ui/static/ui.js" defer>']
    assert client.get("/_fake/fixtures").get_json() == before


def test_a_monitor_that_ran_but_lists_no_run_says_so(client, api, seeded):
    """A monitor whose last run is not among its runs (the demo's daily session monitor, whose
    session run is not held) is not shown as never run."""
    document = {"projects": [{"name": "demo", "monitors": [
        {"name": "ran-once", "target_type": "SESSION", "metric_names": ["agent_reliability"],
         "cadence": "daily", "last_run_at": "2026-03-29T00:00:00Z", "last_run_id": str(uuid.uuid4())}]}]}
    assert client.post("/_fake/fixtures", json=document).status_code == 201
    (monitor,) = [m for m in get(api, MONITORS)["items"] if m["name"] == "ran-once"]
    text = page(client, f"/ui/monitors/{monitor['id']}")
    assert "The API lists no run of this monitor (it last ran 2026-03-29 00:00:00)." in text
    assert "has not run yet" not in text and 'class="pager"' not in section(text, "monitor-runs")
