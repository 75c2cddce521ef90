"""Session scores and their analytics (BEHAVIOR.md, "Session scores and their analytics"), and
GET /evaluations/session-metrics.  Session scores are written only by session runs, so these
tests put them in through the store (and the fixture document)."""

from __future__ import annotations

import uuid

import pytest

SCORES = "/evaluations/session-scores"
ANALYTICS = "/evaluations/analytics/session-scores"
SCORE_KEYS = ["id", "session_id", "project_id", "name", "data_type", "value", "source", "status",
              "eval_run_id", "author_user_id", "reason", "metadata", "created_at", "updated_at"]
T0 = 1_774_778_400_000_000  # 2026-03-29T10:00:00Z
HOUR = 3_600_000_000
RUN_A, RUN_B = str(uuid.uuid4()), str(uuid.uuid4())


def errors(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    return response.get_json()["errors"]


@pytest.fixture
def project_id(app):
    return app.extensions["store"].project_id_for_name("demo")


@pytest.fixture
def put(app, project_id):
    store = app.extensions["store"]

    def put(session_id, name, value, at, **fields):
        score = {"id": str(uuid.uuid4()), "session_id": session_id, "project_id": project_id,
                 "name": name, "value": value, "created_at": at, **fields}
        store.insert_session_scores([score])
        return score["id"]
    return put


@pytest.fixture
def scored(put):
    """s-1 scored by two runs, s-2 and s-3 once; one FAILED score."""
    ids = {
        "r1": put("s-1", "agent_reliability", "0.4", T0, eval_run_id=RUN_A, reason="Elevated risk in 1 of 1 traces.",
                  metadata={"raw_risk": 0.6, "aggregation": {"method": "max_compose_top_k"}}),
        "c1": put("s-1", "agent_consistency", "0.9", T0 + 1, eval_run_id=RUN_A),
        "r2": put("s-2", "agent_reliability", "1.0", T0 + HOUR, eval_run_id=RUN_A),
        "r1b": put("s-1", "agent_reliability", "0.7", T0 + 25 * HOUR, eval_run_id=RUN_B),
        "f3": put("s-3", "agent_reliability", None, T0 + 26 * HOUR, eval_run_id=RUN_B, status="FAILED",
                  reason="Metric execution failed: boom"),
        "r3": put("s-3", "agent_reliability", "0.1", T0 + 2 * HOUR, eval_run_id=RUN_B),
    }
    return ids


def test_session_metrics(api):
    response = api.get("/evaluations/session-metrics")
    assert response.status_code == 200
    assert response.get_json() == [
        {"name": "agent_consistency", "description": "Evaluates overall stability across a session. "
         "Penalizes any trace that deviates from smooth operation using weighted RMS.", "category": "session"},
        {"name": "agent_reliability", "description": "Evaluates worst-case failure risk across a session. "
         "Focuses on the most problematic traces using max-compose + top-k tail risk.", "category": "session"}]


def test_the_list(api, scored, project_id):
    page = api.get(SCORES).get_json()
    assert (page["total"], page["limit"], page["offset"]) == (6, 50, 0)
    assert [s["id"] for s in page["items"]] == [scored[k] for k in ("f3", "r1b", "r3", "r2", "c1", "r1")]
    first = page["items"][-1]
    assert list(first) == SCORE_KEYS
    assert first == {"id": scored["r1"], "session_id": "s-1", "project_id": project_id,
                     "name": "agent_reliability", "data_type": "NUMERIC", "value": "0.4",
                     "source": "AUTOMATED", "status": "SUCCESS", "eval_run_id": RUN_A,
                     "author_user_id": None, "reason": "Elevated risk in 1 of 1 traces.",
                     "metadata": {"raw_risk": 0.6, "aggregation": {"method": "max_compose_top_k"}},
                     "created_at": "2026-03-29T10:00:00+00:00", "updated_at": "2026-03-29T10:00:00+00:00"}


@pytest.mark.parametrize("query, keys", [
    ("?session_id=s-1", ["r1b", "c1", "r1"]),
    ("?name=agent_consistency", ["c1"]),
    ("?metric_name=agent_consistency", ["f3", "r1b", "r3", "r2", "c1", "r1"]),  # not a filter here
    ("?status=FAILED", ["f3"]),
    ("?source=ANNOTATION", []),
    (f"?eval_run_id={RUN_A.upper()}", ["r2", "c1", "r1"]),
    ("?date_from=2026-03-29T10:00:00.000001Z&date_to=2026-03-29T11:00:00Z", ["c1"]),
    ("?limit=2&offset=1", ["r1b", "r3"]),
])
def test_list_filters(api, scored, query, keys):
    assert [s["id"] for s in api.get(SCORES + query).get_json()["items"]] == [scored[k] for k in keys]


@pytest.mark.parametrize("query, field, message", [
    ("?source=automated", "query -> source", "Input should be 'AUTOMATED', 'ANNOTATION' or 'PROGRAMMATIC'"),
    ("?status=DONE", "query -> status", "Input should be 'SUCCESS', 'FAILED' or 'PENDING'"),
    ("?eval_run_id=abc", "query -> eval_run_id", "Input should be a valid UUID, invalid length: expected length 32 for simple format, found 3"),
    ("?limit=201", "query -> limit", "Input should be less than or equal to 200"),
    ("?limit=0", "query -> limit", "Input should be greater than or equal to 1"),
    ("?date_from=soon", "query -> date_from", "Input should be a valid datetime or date, input is too short"),
])
def test_list_validation(api, query, field, message):
    assert errors(api.get(SCORES + query)) == [{"field": field, "message": message}]


def test_a_sessions_scores(api, scored):
    listed = api.get(SCORES + "/s-1").get_json()
    assert [s["id"] for s in listed] == [scored["r1b"], scored["c1"], scored["r1"]]
    assert api.get(SCORES + "/unknown").get_json() == []


def test_delete_is_always_204(api, other_api, scored):
    response = api.delete(f"{SCORES}/{scored['r1']}")
    assert response.status_code == 204 and response.get_data() == b""
    assert api.delete(f"{SCORES}/{scored['r1']}").status_code == 204  # again: still 204
    assert api.delete(f"{SCORES}/{uuid.uuid4()}").status_code == 204  # unknown: 204
    assert other_api.delete(f"{SCORES}/{scored['c1']}").status_code == 204  # another project's
    assert api.get(SCORES).get_json()["total"] == 5  # ... which is still there
    assert errors(api.delete(f"{SCORES}/not-a-uuid"))[0]["field"] == "path -> score_id"


def test_session_scores_are_project_scoped(api, other_api, scored):
    assert other_api.get(SCORES).get_json()["total"] == 0
    assert other_api.get(SCORES + "/s-1").get_json() == []
    assert other_api.get(ANALYTICS + "/summary").get_json() == []
    assert other_api.get(ANALYTICS + "/comparison?metric_name=agent_reliability").get_json()["total"] == 0


def test_summary(api, scored):
    summary = api.get(ANALYTICS + "/summary").get_json()
    assert summary == [
        {"metric_name": "agent_consistency", "avg_score": 0.9, "min_score": 0.9, "max_score": 0.9,
         "median_score": 0.9, "success_count": 1, "failed_count": 0,
         "latest_score_at": "2026-03-29T10:00:00.000001+00:00"},
        {"metric_name": "agent_reliability", "avg_score": pytest.approx(0.55), "min_score": 0.1,
         "max_score": 1.0, "median_score": pytest.approx(0.55), "success_count": 4, "failed_count": 1,
         "latest_score_at": "2026-03-30T12:00:00+00:00"}]
    assert api.get(ANALYTICS + "/summary?date_from=2030-01-01").get_json() == []


def test_trend(api, scored):
    trend = api.get(ANALYTICS + "/trend?metric_name=agent_reliability").get_json()
    assert trend == [
        {"bucket": "2026-03-29T00:00:00+00:00", "metric_name": "agent_reliability",
         "avg_score": pytest.approx(0.5), "count": 3},
        {"bucket": "2026-03-30T00:00:00+00:00", "metric_name": "agent_reliability",
         "avg_score": 0.7, "count": 1}]
    hourly = api.get(ANALYTICS + "/trend?metric_name=agent_reliability&granularity=hour").get_json()
    assert [b["bucket"] for b in hourly] == ["2026-03-29T10:00:00+00:00", "2026-03-29T11:00:00+00:00",
                                             "2026-03-29T12:00:00+00:00", "2026-03-30T11:00:00+00:00"]
    assert api.get(ANALYTICS + "/trend?metric_name=nope").get_json() == []
    assert errors(api.get(ANALYTICS + "/trend")) == [
        {"field": "query -> metric_name", "message": "Field required"}]
    assert errors(api.get(ANALYTICS + "/trend?metric_name=a&granularity=Day"))[0]["field"] == \
        "query -> granularity"


def test_distribution(api, scored):
    items = api.get(ANALYTICS + "/distribution?metric_name=agent_reliability&buckets=4").get_json()
    assert items == [
        {"bucket": 1, "bucket_min": 0.0, "bucket_max": 0.25, "count": 1},
        {"bucket": 2, "bucket_min": 0.25, "bucket_max": 0.5, "count": 1},
        {"bucket": 3, "bucket_min": 0.5, "bucket_max": 0.75, "count": 1},
        {"bucket": 5, "bucket_min": 1.0, "bucket_max": 1.0, "count": 1}]
    assert api.get(ANALYTICS + "/distribution?metric_name=agent_reliability&buckets=100").status_code == 200
    assert errors(api.get(ANALYTICS + "/distribution?metric_name=a&buckets=101")) == [
        {"field": "query -> buckets", "message": "Input should be less than or equal to 100"}]
    assert errors(api.get(ANALYTICS + "/distribution?metric_name=a&buckets=0")) == [
        {"field": "query -> buckets", "message": "Input should be greater than or equal to 1"}]


def test_history(api, scored, put):
    put("s-1", "note", "good", T0 + 3, data_type="CATEGORICAL")  # not NUMERIC: left out
    history = api.get(ANALYTICS + "/history/s-1").get_json()
    assert history == [
        {"metric_name": "agent_reliability", "score": 0.4, "eval_run_id": RUN_A,
         "created_at": "2026-03-29T10:00:00+00:00", "status": "SUCCESS"},
        {"metric_name": "agent_consistency", "score": 0.9, "eval_run_id": RUN_A,
         "created_at": "2026-03-29T10:00:00.000001+00:00", "status": "SUCCESS"},
        {"metric_name": "agent_reliability", "score": 0.7, "eval_run_id": RUN_B,
         "created_at": "2026-03-30T11:00:00+00:00", "status": "SUCCESS"}]
    assert [h["score"] for h in api.get(
        ANALYTICS + "/history/s-1?metric_name=agent_reliability&limit=1").get_json()] == [0.4]
    failed = api.get(ANALYTICS + "/history/s-3").get_json()
    assert [(h["score"], h["status"]) for h in failed] == [(0.1, "SUCCESS"), (None, "FAILED")]
    assert api.get(ANALYTICS + "/history/unknown").get_json() == []
    assert api.get(ANALYTICS + "/history/s-1?limit=200").status_code == 200
    assert errors(api.get(ANALYTICS + "/history/s-1?limit=201")) == [
        {"field": "query -> limit", "message": "Input should be less than or equal to 200"}]


def test_comparison(api, scored, put):
    put("s-4", "agent_reliability", "not a number", T0, data_type="NUMERIC")  # a null score: last
    page = api.get(ANALYTICS + "/comparison?metric_name=agent_reliability").get_json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 20, 0)
    assert page["items"] == [
        {"session_id": "s-3", "score": 0.1, "evaluated_at": "2026-03-29T12:00:00+00:00", "eval_run_id": RUN_B},
        {"session_id": "s-1", "score": 0.7, "evaluated_at": "2026-03-30T11:00:00+00:00", "eval_run_id": RUN_B},
        {"session_id": "s-2", "score": 1.0, "evaluated_at": "2026-03-29T11:00:00+00:00", "eval_run_id": RUN_A},
        {"session_id": "s-4", "score": None, "evaluated_at": "2026-03-29T10:00:00+00:00", "eval_run_id": None}]
    for order in ("desc", "sideways"):  # any other value than asc sorts descending
        items = api.get(f"{ANALYTICS}/comparison?metric_name=agent_reliability&sort_order={order}").get_json()["items"]
        assert [i["session_id"] for i in items] == ["s-2", "s-1", "s-3", "s-4"]
    page = api.get(ANALYTICS + "/comparison?metric_name=agent_reliability&limit=1&offset=1").get_json()
    assert [i["session_id"] for i in page["items"]] == ["s-1"] and page["total"] == 4
    assert api.get(ANALYTICS + "/comparison?metric_name=agent_reliability&offset=9").get_json()["total"] == 4
    assert errors(api.get(ANALYTICS + "/comparison?metric_name=a&limit=101")) == [
        {"field": "query -> limit", "message": "Input should be less than or equal to 100"}]
    assert errors(api.get(ANALYTICS + "/comparison")) == [
        {"field": "query -> metric_name", "message": "Field required"}]


def test_the_fixture_document_carries_session_scores(client, api, scored):
    dumped = client.get("/_fake/fixtures").get_json()
    (project,) = dumped["projects"]
    assert len(project["session_scores"]) == 6
    assert list(project["session_scores"][0]) == SCORE_KEYS
    before = api.get(SCORES).get_json()
    assert client.post("/_fake/reset").status_code == 200
    loaded = client.post("/_fake/fixtures", json=dumped)
    assert loaded.status_code == 201, loaded.get_json()
    assert loaded.get_json()["projects"][0]["session_scores"] == 6
    assert api.get(SCORES).get_json() == before
    again = client.post("/_fake/fixtures", json=dumped)
    assert again.status_code == 409
    assert again.get_json()["detail"].startswith("Session score ")


def test_an_offset_past_sqlites_integers_is_an_empty_page(api, scored):
    huge = "offset=100000000000000000000"
    assert api.get(f"{SCORES}?{huge}").get_json()["items"] == []
    page = api.get(f"{ANALYTICS}/comparison?metric_name=agent_reliability&{huge}").get_json()
    assert page["items"] == [] and page["total"] == 3
