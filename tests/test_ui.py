"""The demo page (/ui), through the Flask test client: what it shows is what the API's
routes answer for the same question, its filters and errors are the API's, and nothing
on it needs (or weakens) credentials."""

from __future__ import annotations

import html
import math
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest
from markupsafe import escape

from pandaprobe_fake.app import create_app
from pandaprobe_fake.clock import to_micros
from conftest import ANALYTICS, SCORES, Api, key_headers
from pandaprobe_fake.ui.common import UI_TOKEN

ROW_ID = re.compile(r'data-score-id="([0-9a-f-]{36})"')
T1, T2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def at(text: str) -> int:
    return to_micros(datetime.fromisoformat(text).replace(tzinfo=timezone.utc))


def page(client, path="/ui", **query) -> str:
    response = client.get(path + ("?" + urlencode(query) if query else ""))
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def esc(text: str) -> str:
    """As the templates escape text (Jinja's autoescape)."""
    return str(escape(text))


def row_ids(text: str) -> list[str]:
    return ROW_ID.findall(text)


def card(text: str, metric: str) -> str:
    """The metric card of one metric on the page."""
    start = text.index(f'data-metric="{metric}"')
    return text[start:text.index("</article>", start)]


def api_ids(api, **query) -> list[str]:
    response = api.get(SCORES + "?" + urlencode(query))
    assert response.status_code == 200
    return [item["id"] for item in response.get_json()["items"]]


@pytest.fixture
def seeded(api, app, clock):
    """Nine scores at known times (a Wednesday to the next Monday), of three data types,
    all three sources, and a FAILED and a PENDING one (set through the store)."""
    store = app.extensions["store"]
    made = {}

    def score(when, key, **fields):
        clock.freeze(at(when))
        made[key] = api.score(**fields)

    score("2026-03-04T10:00:00", "a1", trace_id=T1, name="accuracy", value="0.2", source="AUTOMATED")
    score("2026-03-04T10:30:00", "a2", trace_id=T1, name="accuracy", value="0.4", source="AUTOMATED")
    score("2026-03-05T09:00:00", "a3", trace_id=T2, name="accuracy", value="0.9", source="PROGRAMMATIC")
    score("2026-03-09T08:00:00", "a4", trace_id=T2, name="accuracy", value="0.5", source="ANNOTATION")
    score("2026-03-09T15:00:00", "a5", trace_id=T1, name="accuracy", value="1", source="AUTOMATED",
          reason="perfect")
    score("2026-03-06T12:00:00", "af", trace_id=T2, name="accuracy", value="0.3", source="AUTOMATED")
    score("2026-03-05T11:00:00", "h1", trace_id=T1, name="helpful", value="true", data_type="BOOLEAN",
          source="AUTOMATED")
    score("2026-03-06T13:00:00", "h2", trace_id=T2, name="helpful", value="false", data_type="BOOLEAN",
          source="ANNOTATION")
    score("2026-03-06T14:00:00", "t1", trace_id=T1, name="tone", value="friendly",
          data_type="CATEGORICAL", source="PROGRAMMATIC")
    project_id = made["a1"]["project_id"]
    store.update_score(project_id, made["af"]["id"], {"status": "FAILED"})
    store.update_score(project_id, made["h2"]["id"], {"status": "PENDING"})
    clock.freeze(at("2026-03-10T00:00:00"))
    return {"project_id": project_id, **made}


# -- the way in ---------------------------------------------------------------------------------


def test_root_redirects_a_browser_to_the_page_and_neither_needs_credentials(client):
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ui")
    text = page(client)
    assert 'id="no-projects"' in text and "No projects yet" in text


def test_the_api_still_needs_credentials(client, api, seeded):
    page(client)  # the page works without credentials ...
    for method, path in (("get", SCORES), ("get", f"{ANALYTICS}/summary"), ("get", f"/traces/{T1}"),
                         ("patch", f"{SCORES}/{seeded['a1']['id']}")):
        response = getattr(client, method)(path, json={"value": "0.7"} if method == "patch" else None)
        assert response.status_code == 401  # ... and every API route still refuses without them
        assert response.get_json()["detail"].startswith("Missing credentials.")
    items = api.get(f"{SCORES}?trace_id={T1}").get_json()["items"]
    assert [s for s in items if s["id"] == seeded["a1"]["id"]] == [seeded["a1"]]  # unchanged


def test_default_project_is_demo_and_the_selector_lists_every_project(client, api, app):
    Api(client, key_headers("alpha")).score()
    api.score()  # the project "demo"
    projects = {p["name"]: p["id"] for p in app.extensions["store"].projects()}
    text = page(client)
    assert f'data-project-id="{projects["demo"]}"' in text
    assert re.search(rf'<option value="{projects["demo"]}" selected>demo</option>', text)
    assert f'<option value="{projects["alpha"]}" >alpha</option>' in text
    for chosen in (projects["alpha"], "alpha"):  # by id or by name
        assert f'data-project-id="{projects["alpha"]}"' in page(client, project=chosen)
    by_id = str(uuid.uuid4())  # a project known only by id (Bearer + X-Project-ID): labelled so
    bearer = Api(client, {"Authorization": "Bearer t", "X-Project-ID": by_id})
    made = bearer.score(value="0.3")
    text = page(client, project=by_id)
    assert f'<option value="{by_id}" selected>{by_id}</option>' in text
    assert row_ids(text) == [made["id"]]


def test_an_unknown_project_is_a_message_and_creates_nothing(client, api, app):
    api.score()
    before = app.extensions["store"].projects()
    missing = str(uuid.uuid4())
    text = page(client, project=missing)
    assert f"The fake knows no project {missing!r}" in html.unescape(text)
    assert not row_ids(text)
    assert app.extensions["store"].projects() == before


def test_an_empty_project(client):
    Api(client, key_headers("empty")).get(SCORES)  # the project exists, with nothing in it
    text = page(client, project="empty")
    assert 'id="no-scores"' in text and 'id="no-metrics"' in text
    assert "0 of 0" in text and not row_ids(text) and "<svg" not in text


# -- the scores table ------------------------------------------------------------------------


def test_rows_are_the_list_routes_answer(client, api, seeded):
    text = page(client)
    assert row_ids(text) == api_ids(api, limit=20) and len(row_ids(text)) == 9
    a5 = seeded["a5"]
    row = text[text.index(f'data-score-id="{a5["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert '<span class="view">1</span>' in row
    assert '<span class="badge status-success">SUCCESS</span>' in row
    assert '<span class="badge source-automated">AUTOMATED</span>' in row
    assert "perfect" in row
    assert f'href="/ui/traces/{T1}?project={seeded["project_id"]}"' in row
    assert "2026-03-09 15:00:00" in row
    failed = text[text.index(f'data-score-id="{seeded["af"]["id"]}"'):]
    assert '<span class="badge status-failed">FAILED</span>' in failed[:failed.index("</tr>")]


@pytest.mark.parametrize("query, expected", [
    ({"name": "accuracy"}, {"a1", "a2", "a3", "a4", "a5", "af"}),
    ({"source": "PROGRAMMATIC"}, {"a3", "t1"}),
    ({"status": "FAILED"}, {"af"}),
    ({"status": "PENDING"}, {"h2"}),
    ({"data_type": "BOOLEAN"}, {"h1", "h2"}),
    ({"trace_id": T2}, {"a3", "a4", "af", "h2"}),
    ({"date_from": "2026-03-05", "date_to": "2026-03-06"}, {"a3", "h1"}),
    ({"name": "accuracy", "source": "AUTOMATED", "date_to": "2026-03-09T12:00:00Z"}, {"a1", "a2", "af"}),
])
def test_filters_are_the_list_routes_filters(client, api, seeded, query, expected):
    text = page(client, **query)
    assert row_ids(text) == api_ids(api, **query, limit=20)
    assert set(row_ids(text)) == {seeded[key]["id"] for key in expected}
    for key, value in query.items():  # the form shows the filter it applied
        assert (f'name="{key}" value="{value}"' in text or f"<option selected>{value}</option>" in text)
    assert f"of {len(expected)}</span>" in text


def test_pagination(client, api, seeded):
    text = page(client, limit=2, offset=2)
    assert row_ids(text) == api_ids(api, limit=2, offset=2) and len(row_ids(text)) == 2
    assert "3–4 of 9" in text and "page 2 of 5" in text
    pid = seeded["project_id"]
    assert f'rel="prev" href="/ui?limit=2&amp;project={pid}"' in text  # offset 0: left out
    assert f'rel="next" href="/ui?limit=2&amp;offset=4&amp;project={pid}"' in text
    last = page(client, limit=2, offset=8)
    assert row_ids(last) == api_ids(api, limit=2, offset=8) and len(row_ids(last)) == 1
    assert 'rel="next"' not in last and "9–9 of 9" in last
    first = page(client, limit=2)
    assert 'rel="prev"' not in first and "1–2 of 9" in first
    past = page(client, limit=2, offset=50)  # past the end: the API's empty page, a way back
    assert not row_ids(past) and "none here of 9" in past
    assert f'rel="prev" href="/ui?limit=2&amp;offset=8&amp;project={pid}"' in past


@pytest.mark.parametrize("query", [
    {"date_from": "yesterday"}, {"trace_id": "abc"}, {"limit": "0"}, {"offset": "-1"},
    {"status": "failed"}, {"limit": "201", "source": "HUMAN"},
])
def test_a_bad_filter_shows_the_apis_own_error(client, api, seeded, query):
    answer = api.get(SCORES + "?" + urlencode(query))
    assert answer.status_code == 422
    text = page(client, **query)
    assert 'id="list-error"' in text and not row_ids(text)
    for error in answer.get_json()["errors"]:
        assert esc(f"{error['field']}: {error['message']}") in text


# -- the charts --------------------------------------------------------------------------------


def test_summary_figures_are_the_summary_routes(client, api, seeded):
    (accuracy,) = [m for m in api.get(f"{ANALYTICS}/summary").get_json() if m["metric_name"] == "accuracy"]
    assert (accuracy["min_score"], accuracy["max_score"], accuracy["median_score"]) == (0.2, 1.0, 0.5)
    got = card(page(client), "accuracy")
    for key, field in (("avg", "avg_score"), ("median", "median_score"), ("min", "min_score"),
                       ("max", "max_score")):
        assert f'<dd class="{key}">{accuracy[field]:.3f}</dd>' in got
    assert '<dd class="success-count">5</dd>' in got and '<dd class="failed-count">1</dd>' in got


@pytest.mark.parametrize("granularity, points", [("day", 3), ("week", 2), ("hour", 4), (None, 3)])
def test_trend_line_has_a_point_per_bucket(client, api, seeded, granularity, points):
    query = {"granularity": granularity} if granularity else {}
    text = card(page(client, **query), "accuracy")
    trend = api.get(f"{ANALYTICS}/trend?" + urlencode({"metric_name": "accuracy", **query})).get_json()
    assert len(trend) == points
    assert text.count('<circle class="point"') == points
    assert ('<polyline class="line"' in text) == (points > 1)
    assert f"Trend: average per {granularity or 'day'}" in text
    for item in trend:  # each point's tooltip names its bucket, average and count
        assert f"avg {item['avg_score']:.3f} over {item['count']} score" in text


def test_histogram_has_a_bar_per_non_empty_bucket(client, api, seeded):
    text = card(page(client), "accuracy")
    buckets = api.get(f"{ANALYTICS}/distribution?metric_name=accuracy").get_json()
    assert [b["bucket"] for b in buckets] == [3, 5, 6, 10, 11]  # 0.2 0.4 0.5 0.9 1.0
    assert text.count('<rect class="bar"') == 5
    assert "<title>= 1: 1</title>" in text and "<title>[0.2, 0.3): 1</title>" in text
    assert ">=1</text>" in text  # the slot of exactly 1.0 is labelled
    for axis in (">avg score</text>", ">count</text>", ">score</text>", ">bucket (day, UTC)</text>"):
        assert axis in text


def test_bars_are_as_tall_as_their_counts(client, api, seeded):
    api.score(name="accuracy", value="0.25")  # a second score in bucket 3
    text = card(page(client), "accuracy")
    heights = {float(h) for h in re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', text)}
    assert len(heights) == 2 and math.isclose(max(heights), 2 * min(heights), rel_tol=0.01)


def test_metrics_without_numeric_scores_have_no_charts(client, seeded):
    text = page(client)
    for metric in ("helpful", "tone"):
        assert "<svg" not in card(text, metric)
        assert "No NUMERIC score with status SUCCESS" in card(text, metric)


def test_charts_follow_the_date_range_and_the_metric_filter(client, seeded):
    text = page(client, date_from="2026-03-09")
    assert card(text, "accuracy").count('<circle class="point"') == 1
    assert 'data-metric="tone"' not in text  # no tone score from that day on
    only = page(client, name="helpful")
    assert 'data-metric="helpful"' in only and 'data-metric="accuracy"' not in only


def test_a_bad_granularity_shows_the_apis_own_error(client, api, seeded):
    answer = api.get(f"{ANALYTICS}/trend?metric_name=accuracy&granularity=month").get_json()
    text = card(page(client, granularity="month"), "accuracy")
    assert esc(f"query -> granularity: {answer['errors'][0]['message']}") in text
    assert '<rect class="bar"' in text  # the histogram does not depend on it


# -- the trace view -----------------------------------------------------------------------------


def test_trace_view_nests_spans_and_places_their_bars(client, api):
    ids = {k: str(uuid.uuid4()) for k in "ABCDE"}

    def span(key, parent, start, end):
        return {"span_id": ids[key], "parent_span_id": parent and ids.get(parent, parent), "name": f"span-{key}",
                "started_at": f"2026-03-04T10:00:0{start[0]}.{start[1:]}Z",
                "ended_at": end and f"2026-03-04T10:00:0{end[0]}.{end[1:]}Z"}

    trace_id = str(uuid.uuid4())
    body = {"trace_id": trace_id, "name": "agent-run", "started_at": "2026-03-04T10:00:00Z",
            "ended_at": "2026-03-04T10:00:01Z",
            "spans": [span("A", None, "0000", "1000"), span("D", "A", "0500", "0900"),
                      span("B", "A", "0100", "0400"), span("C", "B", "0150", "0300"),
                      span("E", str(uuid.uuid4()), "0950", None)]}  # E: parent not on the trace
    assert api.post("/traces", json=body).status_code == 202
    latest = [api.score(trace_id=trace_id, name=n, value="0.5") for n in ("b_metric", "a_metric")]
    project_id = latest[0]["project_id"]
    text = page(client, f"/ui/traces/{trace_id}", project=project_id)
    rows = re.findall(r'data-span-id="([^"]+)" data-parent-span-id="[^"]*"\s+data-depth="(\d)"', text)
    assert [(span_id, int(depth)) for span_id, depth in rows] == [
        (ids["A"], 0), (ids["B"], 1), (ids["C"], 2), (ids["D"], 1), (ids["E"], 0)]
    c_row = text[text.index(f'data-span-id="{ids["C"]}"'):]
    assert "left: 15.0%; width: 15.0%" in c_row[:c_row.index("tl-ms")]
    e_row = text[text.index(f'data-span-id="{ids["E"]}"'):]
    assert 'class="tl-bar kind-other open"' in e_row  # not ended: drawn to the end, open
    assert "agent-run" in text and "1.00 s" in text
    expected = [s["id"] for s in api.get(f"{SCORES}/{trace_id}").get_json()]
    assert row_ids(text[text.index('id="trace-scores"'):]) == expected == [latest[1]["id"], latest[0]["id"]]


def test_trace_view_of_a_trace_the_fake_does_not_hold(client, api, seeded):
    text = page(client, f"/ui/traces/{T1}", project=seeded["project_id"])  # scores, but no trace
    assert f"Trace {T1} not found." in text and 'id="trace-error"' in text
    expected = [s["id"] for s in api.get(f"{SCORES}/{T1}").get_json()]
    assert row_ids(text) == expected and len(expected) == 3


def test_trace_view_of_a_malformed_id_shows_the_apis_error(client, api, seeded):
    answer = api.get("/traces/not-a-uuid").get_json()
    text = page(client, "/ui/traces/not-a-uuid", project=seeded["project_id"])
    message = esc(f"{answer['errors'][0]['field']}: {answer['errors'][0]['message']}")
    assert text.count(message) == 2  # the trace and the scores route both refuse it


# -- safety ----------------------------------------------------------------------------------------


def test_score_text_is_escaped(client, api):
    api.score(reason="<script>alert(1)</script>", name="<b>x</b>", data_type="CATEGORICAL",
              value='"><img src=x>')
    text = page(client)
    assert "<script>alert(1)</script>" not in text and "<b>x</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<img src=x>" not in text


def test_the_page_fetches_nothing_from_elsewhere(client, api):
    api.score()
    text = page(client)
    assert not re.search(r'(src|href)="(https?:)?//', text)
    for asset, mimetype in (("ui.css", "text/css"), ("ui.js", "text/javascript")):
        assert f"/ui/static/{asset}" in text
        response = client.get(f"/ui/static/{asset}")
        assert response.status_code == 200 and response.mimetype == mimetype
        assert "http" not in response.get_data(as_text=True)


def test_rows_carry_what_the_inline_editor_needs(client, api, seeded):
    text = page(client)
    assert f'data-project-id="{seeded["project_id"]}" data-token="{UI_TOKEN}"' in text
    a3 = text[text.index(f'data-score-id="{seeded["a3"]["id"]}"'):]
    a3 = a3[:a3.index("</tr>")]
    assert 'data-data-type="NUMERIC"' in a3
    assert '<input name="value" value="0.9"\n      data-original="0.9"' in a3


@pytest.mark.parametrize("path", [
    "/ui?limit=abc&offset=x", "/ui?project=%00", "/ui?date_from=99999999999999999999",
    "/ui?date_to=2026-02-30", "/ui?name=%F0%9F%90%BC&granularity=HOUR", "/ui?trace_id=%00",
    "/ui?offset=99999999999999999999999", "/ui/traces/%2e%2e", "/ui/traces/%3Fx=1",
    "/ui/traces/" + "f" * 5000, "/ui?name=accuracy&name=tone", "/ui/static/nope.css",
    "/ui/", "/ui/traces/", "/ui/key",
])
def test_no_500_anywhere(client, seeded, path):
    response = client.get(path)
    assert response.status_code < 500, path
    assert b"Internal Server Error" not in response.data and b"Traceback" not in response.data


# -- a fake started with --api-key ---------------------------------------------------------------


def test_with_api_keys_the_page_shows_nothing_until_given_a_key(tmp_path):
    app = create_app({"database": str(tmp_path / "keys.db"), "api_keys": ["sk-1"]})
    client = app.test_client()
    try:
        Api(client, key_headers("demo", key="sk-1")).score(value="0.7")
        text = page(client)
        assert "401 · Invalid or expired token." in text and not row_ids(text)
        assert 'name="key"' in text and "0.700" not in text
        token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
        response = client.post("/ui/key", data={"key": "sk-1", "csrf_token": token})
        assert response.status_code == 302
        text = page(client)
        assert len(row_ids(text)) == 1 and 'data-token="sk-1"' in text and "0.700" in text
        assert client.get(SCORES).status_code == 401  # the API routes are as strict as before
        client.post("/ui/key", data={"key": "", "csrf_token": token})  # forgotten again
        assert not row_ids(page(client))
    finally:
        app.extensions["store"].close()


# -- the page is not a client of the API ----------------------------------------------------------


def test_the_page_and_its_calls_are_not_journaled_faulted_or_rate_limited(tmp_path):
    """The page's views and the API calls it makes for them pass the journal, the faults and
    the rate limit by; a client's own requests meet all three as before."""
    app = create_app({"database": str(tmp_path / "quiet.db"), "rate_limit": "2/minute"})
    client = app.test_client()
    try:
        api = Api(client, key_headers("demo"))
        api.score(trace_id=T1, value="0.7")  # the client's first request of two in the minute
        client.post("/_fake/faults", json={"method": "GET", "path": "/evaluations/*",
                                            "status": 503, "times": 1})
        for _ in range(4):  # more page views than the limit allows, each calling the API 5 times
            text = page(client)
            assert len(row_ids(text)) == 1 and "0.700" in text
            # no API error shown (the page's error box; a bare "503" could be a timestamp's digits)
            assert 'class="api-error"' not in text and "503 ·" not in text
            page(client, f"/ui/traces/{T1}")
        assert client.get("/ui/static/ui.css").status_code == 200
        journal = client.get("/_fake/requests").get_json()["items"]
        assert [(r["method"], r["path"]) for r in journal] == [("POST", SCORES)]
        assert [f["applied"] for f in client.get("/_fake/faults").get_json()["items"]] == [0]
        assert api.get(SCORES).status_code == 503  # the client's next request meets the fault,
        assert api.get(SCORES).status_code == 200  # its second of the minute goes through,
        assert api.get(SCORES).status_code == 429  # and its third meets the limit
        journal = client.get("/_fake/requests").get_json()["items"]
        assert [r["status"] for r in journal] == [201, 503, 200, 429]
    finally:
        app.extensions["store"].close()
