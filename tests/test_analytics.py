"""The three analytics routes: summary, trend and distribution."""

import uuid

import pytest

from conftest import ANALYTICS

T0 = 1_767_225_600_000_000  # Thursday 2026-01-01T00:00:00Z
HOUR = 3_600_000_000
DAY = 24 * HOUR


def add(app, api, clock, at, name="acc", value="0.5", status=None, **fields):
    clock.freeze(at)
    score = api.score(name=name, value=value, **fields)
    if status:
        app.extensions["store"].update_score(score["project_id"], score["id"], {"status": status})
    return score


def test_summary_counts_and_statistics(app, api, clock):
    for i, value in enumerate(["0", "0.1", "0.7", "1"]):
        add(app, api, clock, T0 + i, value=value)
    add(app, api, clock, T0 + 10, value="0.05", status="FAILED")
    add(app, api, clock, T0 + 11, value="0.05", status="PENDING")
    add(app, api, clock, T0 + 12, value="true", data_type="BOOLEAN")  # SUCCESS, not NUMERIC
    last = add(app, api, clock, T0 + 13, value="x", data_type="CATEGORICAL", status="FAILED")
    add(app, api, clock, T0 + 20, name="bool_only", value="true", data_type="BOOLEAN")
    response = api.get(f"{ANALYTICS}/summary")
    assert response.status_code == 200
    acc, bool_only = response.get_json()
    assert acc == {"metric_name": "acc", "avg_score": 0.44999999999999996, "min_score": 0.0, "max_score": 1.0,
                   "median_score": 0.4, "success_count": 5, "failed_count": 2,
                   "latest_score_at": last["created_at"]}
    assert list(acc) == ["metric_name", "avg_score", "min_score", "max_score", "median_score",
                         "success_count", "failed_count", "latest_score_at"]
    assert bool_only == {"metric_name": "bool_only", "avg_score": None, "min_score": None,
                         "max_score": None, "median_score": None, "success_count": 1,
                         "failed_count": 0, "latest_score_at": "2026-01-01T00:00:00.000020+00:00"}


def test_summary_median_odd_count_and_name_order(app, api, clock):
    for value in ["0.9", "0.2", "0.5"]:
        add(app, api, clock, T0, name="b", value=value)
    add(app, api, clock, T0, name="a", value="0.3")
    items = api.get(f"{ANALYTICS}/summary").get_json()
    assert [i["metric_name"] for i in items] == ["a", "b"]
    assert items[1]["median_score"] == 0.5
    assert items[0]["median_score"] == 0.3


def test_summary_reads_values_as_python_does(app, api, clock):
    for value in [" 0.5 ", "０.５", "1e-1", ".5"]:
        add(app, api, clock, T0, value=value)
    item = api.get(f"{ANALYTICS}/summary").get_json()[0]
    assert (item["min_score"], item["max_score"], item["median_score"]) == (0.1, 0.5, 0.5)


def test_summary_date_range(app, api, clock):
    add(app, api, clock, T0, value="0.1")
    add(app, api, clock, T0 + DAY, value="0.3")
    add(app, api, clock, T0 + 2 * DAY, value="0.5")
    items = api.get(f"{ANALYTICS}/summary?date_from=2026-01-02&date_to=2026-01-03").get_json()
    assert items[0]["avg_score"] == 0.3 and items[0]["success_count"] == 1
    assert api.get(f"{ANALYTICS}/summary?date_from=2027-01-01").get_json() == []


def test_summary_empty_and_bad_dates(api):
    assert api.get(f"{ANALYTICS}/summary").get_json() == []
    response = api.get(f"{ANALYTICS}/summary?date_from=soon&date_to=2026-02-30")
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["query -> date_from", "query -> date_to"]


def test_trend_by_hour_day_week(app, api, clock):
    add(app, api, clock, T0 + 5 * 60_000_000, value="0.2")          # Thu 00:05
    add(app, api, clock, T0 + 50 * 60_000_000, value="0.4")         # Thu 00:50
    add(app, api, clock, T0 + HOUR + 1, value="0.6")                # Thu 01:00
    add(app, api, clock, T0 + 4 * DAY, value="1")                   # Mon 2026-01-05
    add(app, api, clock, T0 + 4 * DAY, value="0.9", status="FAILED")
    add(app, api, clock, T0 + 4 * DAY, value="true", data_type="BOOLEAN")
    add(app, api, clock, T0 + 4 * DAY, name="other", value="0.0")

    hours = api.get(f"{ANALYTICS}/trend?metric_name=acc&granularity=hour").get_json()
    assert hours == [
        {"bucket": "2026-01-01T00:00:00+00:00", "metric_name": "acc", "avg_score": pytest.approx(0.3), "count": 2},
        {"bucket": "2026-01-01T01:00:00+00:00", "metric_name": "acc", "avg_score": 0.6, "count": 1},
        {"bucket": "2026-01-05T00:00:00+00:00", "metric_name": "acc", "avg_score": 1.0, "count": 1},
    ]
    days = api.get(f"{ANALYTICS}/trend?metric_name=acc").get_json()  # day is the default
    assert [(d["bucket"], d["count"]) for d in days] == [
        ("2026-01-01T00:00:00+00:00", 3), ("2026-01-05T00:00:00+00:00", 1)]
    weeks = api.get(f"{ANALYTICS}/trend?metric_name=acc&granularity=week").get_json()
    # ISO weeks start on Monday: 2026-01-01 (Thu) is in the week of Mon 2025-12-29
    assert [(w["bucket"], w["count"]) for w in weeks] == [
        ("2025-12-29T00:00:00+00:00", 3), ("2026-01-05T00:00:00+00:00", 1)]
    ranged = api.get(f"{ANALYTICS}/trend?metric_name=acc&date_from=2026-01-01T01:00:00Z"
                     f"&date_to=2026-01-05").get_json()
    assert [(d["bucket"], d["count"]) for d in ranged] == [("2026-01-01T00:00:00+00:00", 1)]
    assert api.get(f"{ANALYTICS}/trend?metric_name=nothing").get_json() == []


@pytest.mark.parametrize("query,errors", [
    ("", [{"field": "query -> metric_name", "message": "Field required"}]),
    ("name=acc", [{"field": "query -> metric_name", "message": "Field required"}]),
    ("metric_name=acc&granularity=Day",
     [{"field": "query -> granularity", "message": "Input should be 'hour', 'day' or 'week'"}]),
    ("metric_name=acc&granularity=month",
     [{"field": "query -> granularity", "message": "Input should be 'hour', 'day' or 'week'"}]),
])
def test_trend_bad_queries(api, query, errors):
    response = api.get(f"{ANALYTICS}/trend?{query}")
    assert response.status_code == 422
    assert response.get_json() == {"detail": "Validation error", "errors": errors}


def test_distribution_width_bucket(app, api, clock):
    for value in ["0", "0.05", "0.1", "0.3", "0.95", "0.999", "1", "1.0"]:
        add(app, api, clock, T0, value=value)
    add(app, api, clock, T0, value="0.5", status="FAILED")
    add(app, api, clock, T0, name="other", value="0.5")
    body = api.get(f"{ANALYTICS}/distribution?metric_name=acc").get_json()
    assert body == [
        {"bucket": 1, "bucket_min": 0.0, "bucket_max": 0.1, "count": 2},
        {"bucket": 2, "bucket_min": 0.1, "bucket_max": 0.2, "count": 1},
        {"bucket": 4, "bucket_min": 0.3, "bucket_max": 0.4, "count": 1},
        {"bucket": 10, "bucket_min": 0.9, "bucket_max": 1.0, "count": 2},
        {"bucket": 11, "bucket_min": 1.0, "bucket_max": 1.0, "count": 2},
    ]
    three = api.get(f"{ANALYTICS}/distribution?metric_name=acc&buckets=3").get_json()
    assert three == [
        {"bucket": 1, "bucket_min": 0.0, "bucket_max": 0.3333, "count": 4},
        {"bucket": 3, "bucket_min": 0.6667, "bucket_max": 1.0, "count": 2},
        {"bucket": 4, "bucket_min": 1.0, "bucket_max": 1.0, "count": 2},
    ]
    one = api.get(f"{ANALYTICS}/distribution?metric_name=acc&buckets=1").get_json()
    assert one == [{"bucket": 1, "bucket_min": 0.0, "bucket_max": 1.0, "count": 6},
                   {"bucket": 2, "bucket_min": 1.0, "bucket_max": 1.0, "count": 2}]


def test_distribution_follows_float_arithmetic_like_postgres(app, api, clock):
    # 0.29 * 100 = 28.999999999999996 in doubles: width_bucket puts it in bucket 29
    add(app, api, clock, T0, value="0.29")
    body = api.get(f"{ANALYTICS}/distribution?metric_name=acc&buckets=100").get_json()
    assert body == [{"bucket": 29, "bucket_min": 0.28, "bucket_max": 0.29, "count": 1}]


@pytest.mark.parametrize("query,field,message", [
    ("", "query -> metric_name", "Field required"),
    ("metric_name=a&buckets=0", "query -> buckets", "Input should be greater than or equal to 1"),
    ("metric_name=a&buckets=101", "query -> buckets", "Input should be less than or equal to 100"),
    ("metric_name=a&buckets=ten", "query -> buckets",
     "Input should be a valid integer, unable to parse string as an integer"),
])
def test_distribution_bad_queries(api, query, field, message):
    response = api.get(f"{ANALYTICS}/distribution?{query}")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"field": field, "message": message}]


def test_distribution_bounds_ok(app, api, clock):
    add(app, api, clock, T0, value="0.5")
    assert api.get(f"{ANALYTICS}/distribution?metric_name=acc&buckets=100").get_json()[0]["bucket"] == 51
    assert api.get(f"{ANALYTICS}/distribution?metric_name=missing").get_json() == []


def test_summary_agrees_with_a_plain_python_reading_of_the_scores(tmp_path):
    """Randomised: every status, data type and date range, against a direct computation."""
    import random

    from pandaprobe_fake.store import SCORE_COLUMNS, Store

    rng = random.Random(6)
    store = Store(str(tmp_path / "summary.db"))
    project = store.project_id_for_name("p")
    rows = []
    for i in range(600):
        data_type = rng.choice(["NUMERIC", "NUMERIC", "BOOLEAN", "CATEGORICAL"])
        num = round(rng.random(), 3) if data_type == "NUMERIC" else None
        rows.append({**dict.fromkeys(SCORE_COLUMNS), "id": str(uuid.uuid4()), "project_id": project,
                     "trace_id": str(uuid.uuid4()), "name": rng.choice(["a", "b", "c", "d"]),
                     "value": str(num), "num": num, "data_type": data_type, "metadata": "{}",
                     "status": rng.choice(["SUCCESS", "SUCCESS", "FAILED", "PENDING"]),
                     "source": "AUTOMATED", "created_at": T0 + rng.randrange(10 * DAY),
                     "updated_at": T0})
    rows += [{**rows[0], "id": str(uuid.uuid4()), "name": "e", "status": "PENDING"}]  # no counts
    store.insert_scores(rows)
    for date_from, date_to in [(None, None), (T0 + 2 * DAY, None), (None, T0 + 5 * DAY),
                               (T0 + 3 * DAY, T0 + 4 * DAY), (T0 + 20 * DAY, None)]:
        chosen = [r for r in rows if (date_from is None or r["created_at"] >= date_from)
                  and (date_to is None or r["created_at"] < date_to)]
        expected = []
        for name in sorted({r["name"] for r in chosen}):
            mine = [r for r in chosen if r["name"] == name]
            nums = sorted(r["num"] for r in mine if r["status"] == "SUCCESS"
                          and r["data_type"] == "NUMERIC")
            n = len(nums)
            median = None if not n else (nums[n // 2] if n % 2 else nums[n // 2 - 1] + 0.5 * (nums[n // 2] - nums[n // 2 - 1]))
            expected.append({
                "metric_name": name, "success_count": sum(r["status"] == "SUCCESS" for r in mine),
                "failed_count": sum(r["status"] == "FAILED" for r in mine),
                "avg_score": pytest.approx(sum(nums) / n, rel=1e-12) if n else None,
                "min_score": nums[0] if n else None, "max_score": nums[-1] if n else None,
                "median_score": median, "latest_score_at": max(r["created_at"] for r in mine)})
        assert store.score_summary(project, date_from, date_to) == expected
    store.close()
