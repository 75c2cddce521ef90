"""Evaluation runs on the demo page, through the Flask test client: /ui/runs lists what
GET /evaluations/trace-runs answers (newest first, paginated, filtered), /ui/runs/<id> shows
the run and GET .../{id}/scores, a PENDING/RUNNING run is marked for the page to follow it,
/ui/traces offers the list route's traces and the catalogue's metrics for a new run, a trace
shows the runs that scored it, and every API error is shown as the API gave it -- with no
view writing anything."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

import pytest

from conftest import SCORES, Api, key_headers
from pandaprobe_fake.app import create_app
from test_ui import esc, page, row_ids

RUNS = "/evaluations/trace-runs"
RUN_ROW = re.compile(r'<tr class="run-row" data-run-id="([0-9a-f-]{36})"')
TRACE_ROW = re.compile(r'<tr class="trace-row" data-trace-id="([0-9a-f-]{36})"')
WATCHED = re.compile(r'data-watch-run="([0-9a-f-]{36})"')
REFRESH = '<meta http-equiv="refresh"'


@pytest.fixture
def run_app(tmp_path):
    app = create_app({"database": str(tmp_path / "ui-runs.db"), "judge_delay": 0})
    yield app
    app.extensions["store"].close()


@pytest.fixture
def client(run_app):
    return run_app.test_client()


@pytest.fixture
def api(client):
    return Api(client, key_headers("demo"))


def trace(api: Api, name: str = "Support Agent", **fields) -> str:
    body = {"name": name, "input": {"q": "hello"}, "output": {"a": "hi"},
            "started_at": "2026-03-01T09:00:00Z", "status": "COMPLETED", **fields}
    response = api.post("/traces", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["trace_id"]


def start(api: Api, trace_ids, metrics=("coherence",), **fields) -> dict:
    response = api.post(RUNS + "/batch", json={"trace_ids": list(trace_ids), "metrics": list(metrics),
                                               **fields})
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def get(api: Api, path: str, **query):
    response = api.get(path + ("?" + urlencode(query) if query else ""))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def stored_state(api: Api) -> tuple:
    return (get(api, RUNS)["total"], get(api, SCORES)["total"], get(api, "/traces")["total"])


# -- the runs list ----------------------------------------------------------------------------


def test_runs_are_listed_newest_first_as_the_api_lists_them(api, client):
    t1, t2 = trace(api), trace(api, "Travel Planner")
    made = [start(api, [t1], name="first"), start(api, [t1, t2], ["coherence", "confidence"]),
            start(api, [t2], name="third")]
    text = page(client, "/ui/runs")
    assert RUN_ROW.findall(text) == [r["id"] for r in get(api, RUNS)["items"]] == [r["id"] for r in made[::-1]]
    assert "third" in text and "first" in text
    assert 'id="showing">1–3 of 3<' in text
    row = text[text.index(f'data-run-id="{made[1]["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert "coherence, confidence" in row
    assert '<span class="evaluated">2</span>/<span class="total">2</span>' in row
    assert '<progress max="2" value="2"' in row
    assert "badge run-status-completed" in row
    assert esc(made[1]["model"]).replace("/", "/<wbr>") in row  # breaks only after a slash
    assert f'href="/ui/runs/{made[1]["id"]}?project=' in row
    assert not WATCHED.search(text) and REFRESH not in text  # nothing left to follow


def test_runs_list_pages_and_filters_through_the_api(api, client):
    t = trace(api)
    made = [start(api, [t], name=f"run {i}") for i in range(5)]
    first = page(client, "/ui/runs", limit=2)
    assert RUN_ROW.findall(first) == [r["id"] for r in made[:-3:-1]]
    assert 'id="showing">1–2 of 5<' in first and "page 1 of 3" in first
    nxt = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = page(client, nxt)
    assert RUN_ROW.findall(second) == [r["id"] for r in get(api, RUNS, limit=2, offset=2)["items"]]
    assert 'rel="prev"' in second
    assert RUN_ROW.findall(page(client, "/ui/runs", status="COMPLETED")) == RUN_ROW.findall(
        page(client, "/ui/runs", limit=50))
    assert 'id="no-runs"' in page(client, "/ui/runs", status="FAILED")


@pytest.mark.parametrize("query", [{"status": "DONE"}, {"limit": "0"}, {"limit": "201"}, {"offset": "-1"}])
def test_runs_list_shows_the_apis_validation_error(api, client, query):
    trace(api)  # the project exists
    text = page(client, "/ui/runs", **query)
    answer = api.get(RUNS + "?" + urlencode(query))
    assert answer.status_code == 422
    assert 'id="list-error" data-status="422"' in text
    for error in answer.get_json()["errors"]:
        assert esc(f"{error['field']}: {error['message']}") in text


def test_names_and_models_are_escaped(api, client):
    run = start(api, [trace(api)], name="<b>bold</b>", model="<i>x</i>/y")
    for path in ("/ui/runs", f"/ui/runs/{run['id']}"):
        text = page(client, path)
        assert "<b>bold" not in text and "<i>x" not in text and esc("<b>bold</b>") in text


def test_a_run_with_no_target_shows_full_progress_when_done(api, client):
    trace(api)
    response = api.post(RUNS, json={"metrics": ["coherence"], "sampling_rate": 0})
    assert response.status_code == 202
    run = response.get_json()
    text = page(client, f"/ui/runs/{run['id']}")
    assert '<progress max="1" value="1"' in text and '<span class="evaluated">0</span> of 0 traces' in text
    assert "This run wrote no scores." in text


def test_run_views_are_ready_for_a_strict_content_security_policy(api, client):
    """No inline script or style attribute: every script is static/ui.js, every style ui.css."""
    t = trace(api)
    run = start(api, [t])
    for path in ("/ui/runs", "/ui/traces", f"/ui/runs/{run['id']}"):
        text = page(client, path)
        assert re.findall(r"<script[^>]*>", text) == ['<script src="/ui/static/ui.js" defer>']
        assert " style=" not in text and "javascript:" not in text and " onclick" not in text


def test_runs_list_boundaries_of_the_page_size(api, client):
    start(api, [trace(api)])
    assert len(RUN_ROW.findall(page(client, "/ui/runs", limit=1))) == 1
    assert len(RUN_ROW.findall(page(client, "/ui/runs", limit=200))) == 1


def test_no_runs_yet_points_to_the_traces(api, client):
    trace(api)
    text = page(client, "/ui/runs")
    assert 'id="no-runs"' in text and 'href="/ui/traces?project=' in text


# -- one run ----------------------------------------------------------------------------------


def test_a_run_shows_its_facts_and_the_scores_the_api_gives(api, client):
    t1, t2 = trace(api), trace(api, status="ERROR")
    run = start(api, [t1, t2], ["coherence", "task_completion"], name="nightly")
    text = page(client, f"/ui/runs/{run['id']}")
    scores = get(api, f"{RUNS}/{run['id']}/scores")
    assert len(scores) == 4 and row_ids(text) == [s["id"] for s in scores]
    for s in scores:
        assert f'href="/ui/traces/{s["trace_id"]}?project=' in text
        assert f">{s['value']}<" in text
    assert "nightly" in text and "badge run-status-completed" in text
    assert '<span class="evaluated">2</span> of 2 traces' in text
    assert f'href="/ui?project={run["project_id"]}&amp;eval_run_id={run["id"]}"' in text
    assert "run-link" not in text.split('id="run-scores"')[1]  # a run's own scores need no link to it
    assert not WATCHED.search(text) and REFRESH not in text and 'id="run-waiting"' not in text


def test_a_pending_run_is_followed_until_the_clock_completes_it(tmp_path):
    app = create_app({"database": str(tmp_path / "slow.db"), "judge_delay": 2})
    try:
        client = app.test_client()
        api = Api(client, key_headers("demo"))
        app.extensions["store"].clock.freeze(app.extensions["store"].clock.now())
        run = start(api, [trace(api)])
        text = page(client, f"/ui/runs/{run['id']}")
        assert WATCHED.findall(text) == [run["id"]] and REFRESH in text
        assert "badge run-status-pending" in text and 'id="run-waiting"' in text
        assert 'id="no-run-scores"' in text and "the run is PENDING" in text
        assert 'class="progress active"' in text and '<progress max="1" value="0"' in text
        listed = page(client, "/ui/runs")
        assert WATCHED.findall(listed) == [run["id"]] and REFRESH in listed
        app.extensions["store"].clock.advance(1)
        assert "badge run-status-running" in page(client, f"/ui/runs/{run['id']}")
        app.extensions["store"].clock.advance(1)
        done = page(client, f"/ui/runs/{run['id']}")
        assert "badge run-status-completed" in done and not WATCHED.search(done) and REFRESH not in done
        assert len(row_ids(done)) == 1
    finally:
        app.extensions["store"].close()


def test_a_run_with_failures_offers_retry_and_a_failed_run_its_message(api, client):
    t = trace(api)
    assert client.post("/_fake/judge", json={"metric": "coherence", "error": "judge timed out"}).status_code == 201
    run = start(api, [t], ["coherence", "confidence"])
    text = page(client, f"/ui/runs/{run['id']}")
    assert f'data-retry-run="{run["id"]}"' in text and "Retry the 1 failed" in text
    assert "badge status-failed" in text and "Metric execution failed: judge timed out" in text
    assert client.post("/_fake/judge", json={"run_error": "the judge is down"}).status_code == 201
    failed = start(api, [t])
    text = page(client, f"/ui/runs/{failed['id']}")
    assert "badge run-status-failed" in text and 'id="run-error-message"' in text
    assert "the judge is down" in text and "This run wrote no scores." in text
    assert "the judge is down" in page(client, "/ui/runs")


def test_a_retry_run_links_to_its_original(api, client):
    client.post("/_fake/judge", json={"metric": "coherence", "error": "flaky"})
    run = start(api, [trace(api)])
    client.delete("/_fake/judge")
    retry = api.post(f"{RUNS}/{run['id']}/retry").get_json()
    text = page(client, f"/ui/runs/{retry['id']}")
    assert f'href="/ui/runs/{run["id"]}?project=' in text


def test_an_unknown_or_malformed_or_foreign_run_shows_the_apis_answer(api, client):
    trace(api)  # the project exists
    other = Api(client, key_headers("other"))
    foreign = start(other, [trace(other)])
    unknown = str(uuid.uuid4())
    for run_id in (unknown, foreign["id"]):  # another project's run is not found in this one
        text = page(client, f"/ui/runs/{run_id}", project="demo")
        assert 'id="run-error" data-status="404"' in text
        assert esc(f"Eval run {run_id} not found.") in text
        assert 'id="run-scores"' not in text
    text = page(client, "/ui/runs/not-a-uuid", project="demo")
    answer = api.get(f"{RUNS}/not-a-uuid")
    assert answer.status_code == 422 and 'id="run-error" data-status="422"' in text
    assert esc(answer.get_json()["errors"][0]["message"]) in text
    for odd in ("a b", "ü" * 40, "x" * 5000, "%00", "<script>"):
        text = page(client, f"/ui/runs/{odd}", project="demo")
        assert 'id="run-error" data-status="422"' in text and "<script>" not in text.split("<main>")[1]


# -- choosing traces and metrics --------------------------------------------------------------


def test_traces_page_offers_the_listed_traces_and_the_catalogues_metrics(api, client):
    made = [trace(api, f"agent {i}") for i in range(3)]
    text = page(client, "/ui/traces")
    listed = [t["trace_id"] for t in get(api, "/traces")["items"]]
    assert TRACE_ROW.findall(text) == listed and sorted(listed) == sorted(made)
    for trace_id in listed:
        assert f'name="trace_ids" value="{trace_id}"' in text
        assert f'href="/ui/traces/{trace_id}?project=' in text
    metrics = [m["name"] for m in get(api, "/evaluations/trace-metrics")]
    assert re.findall(r'name="metrics" value="([a-z_]+)"', text) == metrics
    assert 'data-run-form' in text and "data-select-all" in text
    assert 'data-landing="/ui/runs/RUN_ID?project=' in text


def test_traces_page_forwards_filters_and_pages(api, client):
    ok = [trace(api, "fine") for _ in range(3)]
    bad = trace(api, "broken", status="ERROR")
    assert TRACE_ROW.findall(page(client, "/ui/traces", status="ERROR")) == [bad]
    assert sorted(TRACE_ROW.findall(page(client, "/ui/traces", name="fine"))) == sorted(ok)
    first = page(client, "/ui/traces", limit=3)
    assert len(TRACE_ROW.findall(first)) == 3 and 'rel="next"' in first
    assert 'id="no-traces"' in page(client, "/ui/traces", name="nothing-like-this")


@pytest.mark.parametrize("query", [{"status": "DONE"}, {"limit": "201"}, {"offset": "x"}])
def test_traces_page_shows_the_apis_validation_error(api, client, query):
    trace(api)
    text = page(client, "/ui/traces", **query)
    answer = api.get("/traces?" + urlencode(query))
    assert answer.status_code == 422 and 'id="list-error" data-status="422"' in text
    for error in answer.get_json()["errors"]:
        assert esc(f"{error['field']}: {error['message']}") in text


# -- a trace and its runs; the scores table and its runs -----------------------------------------


def test_a_trace_shows_the_runs_that_scored_it_and_an_evaluate_form(api, client):
    t, other = trace(api), trace(api)
    mine = [start(api, [t], name="one"), start(api, [t, other], ["confidence"], name="two")]
    theirs = start(api, [other], name="not this trace")
    text = page(client, f"/ui/traces/{t}")
    assert RUN_ROW.findall(text) == [mine[1]["id"], mine[0]["id"]]
    assert theirs["id"] not in text
    assert 'id="evaluate-trace"' in text and f'type="hidden" name="trace_ids" value="{t}"' in text
    api.delete(f"{RUNS}/{mine[0]['id']}")  # its scores stay, without a run
    text = page(client, f"/ui/traces/{t}")
    assert RUN_ROW.findall(text) == [mine[1]["id"]]


def test_a_trace_no_run_has_scored(api, client):
    t = trace(api)
    api.score(trace_id=t, name="accuracy", value="0.5", source="ANNOTATION")
    text = page(client, f"/ui/traces/{t}")
    assert 'id="no-trace-runs"' in text and 'id="evaluate-trace"' in text


def test_an_unknown_trace_offers_no_run(api, client):
    trace(api)  # the project exists
    text = page(client, f"/ui/traces/{uuid.uuid4()}")
    assert 'id="trace-error"' in text and 'id="evaluate-trace"' not in text and 'id="trace-runs"' not in text


def test_scores_link_their_run_and_filter_by_it(api, client):
    t = trace(api)
    run = start(api, [t], ["coherence", "confidence"])
    manual = api.score(trace_id=t, name="accuracy", value="0.5", source="ANNOTATION")
    text = page(client, "/ui")
    assert text.count(f'href="/ui/runs/{run["id"]}?project=') == 2
    only = page(client, "/ui", eval_run_id=run["id"])
    assert sorted(row_ids(only)) == sorted(s["id"] for s in get(api, f"{RUNS}/{run['id']}/scores"))
    assert manual["id"] not in row_ids(only)
    assert f'name="eval_run_id" value="{run["id"]}"' in only
    bad = page(client, "/ui", eval_run_id="nope")
    answer = api.get(SCORES + "?eval_run_id=nope")
    assert answer.status_code == 422 and 'id="list-error" data-status="422"' in bad
    assert esc(answer.get_json()["errors"][0]["message"]) in bad


def test_sections_navigate_within_the_chosen_project(api, client):
    start(api, [trace(api)])
    other = Api(client, key_headers("other"))
    trace(other)
    project = get(api, RUNS)["items"][0]["project_id"]
    for path, section in (("/ui", "scores"), ("/ui/traces", "traces"), ("/ui/runs", "runs")):
        text = page(client, path, project="demo")
        for target in ("/ui", "/ui/traces", "/ui/runs"):
            assert f'href="{target}?project={project}"' in text
        assert re.search(rf'data-section="{section}" class="active"', text)
    # the project picker stays in the section it is on
    assert 'action="/ui/runs"' in page(client, "/ui/runs") and 'action="/ui/traces"' in page(client, "/ui/traces")


def test_the_views_change_nothing(api, client):
    t = trace(api)
    run = start(api, [t])
    before = stored_state(api)
    for path in ("/ui/runs", f"/ui/runs/{run['id']}", "/ui/traces", f"/ui/traces/{t}", "/ui"):
        page(client, path)
    assert stored_state(api) == before


def test_with_api_keys_the_views_show_the_401_until_given_a_key(tmp_path):
    app = create_app({"database": str(tmp_path / "keyed.db"), "api_keys": ["sk-1"], "judge_delay": 0})
    try:
        client = app.test_client()
        api = Api(client, key_headers("demo", key="sk-1"))
        t = trace(api)
        run = start(api, [t])
        for path in ("/ui/runs", "/ui/traces", f"/ui/runs/{run['id']}"):
            text = page(client, path)
            assert "401 · Invalid or expired token." in text
            assert not RUN_ROW.findall(text) and not TRACE_ROW.findall(text) and not row_ids(text)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ui").get_data(as_text=True)).group(1)
        client.post("/ui/key", data={"key": "sk-1", "csrf_token": token})
        assert RUN_ROW.findall(page(client, "/ui/runs")) == [run["id"]]
        assert TRACE_ROW.findall(page(client, "/ui/traces")) == [t]
        assert len(row_ids(page(client, f"/ui/runs/{run['id']}"))) == 1
    finally:
        app.extensions["store"].close()
