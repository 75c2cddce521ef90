"""GET /evaluations/trace-scores: filters, bounds, order, total."""

import uuid

import pytest

from conftest import SCORES

T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in microseconds
HOUR = 3_600_000_000


@pytest.fixture
def scored(api, clock):
    """Five scores an hour apart from 2026-01-01T00:00Z, of varied kinds."""
    trace_a, trace_b = str(uuid.uuid4()), str(uuid.uuid4())
    specs = [
        dict(trace_id=trace_a, name="accuracy", value="0.1"),
        dict(trace_id=trace_a, name="helpful", value="true", data_type="BOOLEAN", source="PROGRAMMATIC"),
        dict(trace_id=trace_b, name="accuracy", value="0.9", source="AUTOMATED"),
        dict(trace_id=trace_b, name="", value="x", data_type="CATEGORICAL"),
        dict(trace_id=trace_b, name="tone", value="PASS", data_type="CATEGORICAL", source="PROGRAMMATIC"),
    ]
    made = []
    for i, spec in enumerate(specs):
        clock.freeze(T0 + i * HOUR)
        made.append(api.score(**spec))
    return {"scores": made, "trace_a": trace_a, "trace_b": trace_b}


def ids(response):
    assert response.status_code == 200, response.get_json()
    return [s["id"] for s in response.get_json()["items"]]


def test_newest_first_with_total_limit_offset(api, scored):
    body = api.get(SCORES).get_json()
    assert list(body) == ["items", "total", "limit", "offset"]
    assert (body["total"], body["limit"], body["offset"]) == (5, 50, 0)
    assert [s["id"] for s in body["items"]] == [s["id"] for s in reversed(scored["scores"])]


def test_paging(api, scored):
    newest_first = [s["id"] for s in reversed(scored["scores"])]
    page = api.get(f"{SCORES}?limit=2&offset=1").get_json()
    assert [s["id"] for s in page["items"]] == newest_first[1:3]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    past = api.get(f"{SCORES}?offset=50").get_json()
    assert past["items"] == [] and past["total"] == 5


def test_same_instant_keeps_a_stable_newest_first_order(api, clock):
    clock.freeze(T0)
    made = [api.score(value=f"0.{i}")["id"] for i in range(5)]
    assert ids(api.get(SCORES)) == made[::-1]


@pytest.mark.parametrize("query,expected", [
    ("name=accuracy", [2, 0]),
    ("name=", [3]),
    ("name=ACCURACY", []),
    ("source=PROGRAMMATIC", [4, 1]),
    ("source=ANNOTATION", [3, 0]),
    ("status=SUCCESS", [4, 3, 2, 1, 0]),
    ("status=FAILED", []),
    ("data_type=CATEGORICAL", [4, 3]),
    ("data_type=BOOLEAN", [1]),
    ("date_from=2026-01-01T02:00:00Z", [4, 3, 2]),
    ("date_to=2026-01-01T02:00:00Z", [1, 0]),
    ("date_from=2026-01-01T01:00:00Z&date_to=2026-01-01T03:00:00Z", [2, 1]),
    ("date_from=2026-01-01T03:00:00%2B02:00", [4, 3, 2, 1]),      # 01:00Z
    ("date_from=2026-01-01T03:00:00", [4, 3]),                    # naive is UTC
    ("date_to=2026-01-01", []),                                   # a bare date is midnight
    ("date_from=1767232800", [4, 3, 2]),                          # unix seconds: 02:00Z
    ("date_from=1767232800000", [4, 3, 2]),                       # ... or milliseconds
    ("metric_name=accuracy", [4, 3, 2, 1, 0]),                    # not a filter here
    ("name=tone&name=accuracy", [2, 0]),                          # the last one wins
    ("environment=prod", []),
    (f"eval_run_id={uuid.uuid4()}", []),
    ("source=PROGRAMMATIC&data_type=BOOLEAN", [1]),
    ("name=x%27%20OR%20%271%27%3D%271", []),                      # injection is just a name
])
def test_filters(api, scored, query, expected):
    assert ids(api.get(f"{SCORES}?{query}")) == [scored["scores"][i]["id"] for i in expected]


def test_trace_filter(api, scored):
    got = ids(api.get(f"{SCORES}?trace_id={scored['trace_a'].upper()}"))
    assert got == [scored["scores"][1]["id"], scored["scores"][0]["id"]]
    assert api.get(f"{SCORES}?trace_id={scored['trace_a']}").get_json()["total"] == 2


@pytest.mark.parametrize("query,field,message", [
    ("limit=0", "query -> limit", "Input should be greater than or equal to 1"),
    ("limit=201", "query -> limit", "Input should be less than or equal to 200"),
    ("limit=abc", "query -> limit", "Input should be a valid integer, unable to parse string as an integer"),
    ("limit=", "query -> limit", "Input should be a valid integer, unable to parse string as an integer"),
    ("limit=1.5", "query -> limit", "Input should be a valid integer, unable to parse string as an integer"),
    ("offset=-1", "query -> offset", "Input should be greater than or equal to 0"),
    ("source=annotation", "query -> source", "Input should be 'AUTOMATED', 'ANNOTATION' or 'PROGRAMMATIC'"),
    ("status=DONE", "query -> status", "Input should be 'SUCCESS', 'FAILED' or 'PENDING'"),
    ("data_type=", "query -> data_type", "Input should be 'NUMERIC', 'BOOLEAN' or 'CATEGORICAL'"),
    ("trace_id=xyz", "query -> trace_id", "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1"),
    ("eval_run_id=", "query -> eval_run_id", "Input should be a valid UUID, invalid length: expected length 32 for simple format, found 0"),
    ("date_from=yesterday", "query -> date_from", "Input should be a valid datetime or date, input is too short"),
    ("date_from=next-monday", "query -> date_from", "Input should be a valid datetime or date, invalid character in year"),
    ("date_to=2026-13-01", "query -> date_to",
     "Input should be a valid datetime or date, month value is outside expected range of 1-12"),
    ("date_to=2026-01-01T10", "query -> date_to",
     "Input should be a valid datetime or date, unexpected extra characters at the end of the input"),
])
def test_bad_query_values(api, scored, query, field, message):
    response = api.get(f"{SCORES}?{query}")
    assert response.status_code == 422
    assert response.get_json() == {"detail": "Validation error", "errors": [{"field": field, "message": message}]}


def test_all_bad_query_values_at_once(api):
    response = api.get(f"{SCORES}?offset=-5&limit=0&status=x")
    assert [e["field"] for e in response.get_json()["errors"]] == [
        "query -> status", "query -> limit", "query -> offset"]


@pytest.mark.parametrize("query,limit", [("limit=1", 1), ("limit=200", 200), ("limit=+7", 7),
                                         ("limit=%207", 7), ("limit=5.0", 5), ("limit=1_0", 10)])
def test_limits_that_parse(api, query, limit):
    assert api.get(f"{SCORES}?{query}").get_json()["limit"] == limit


@pytest.mark.parametrize("query,keep", [
    ("", lambda s: True),
    ("trace_id={trace}", lambda s: s["trace_id"] == "{trace}"),
    ("name=accuracy", lambda s: s["name"] == "accuracy"),
    ("name=accuracy&status=SUCCESS", lambda s: s["name"] == "accuracy"),
    ("status=SUCCESS", lambda s: True),
    ("trace_id={trace}&name=accuracy&status=SUCCESS", lambda s: s["trace_id"] == "{trace}"),
    ("data_type=NUMERIC&source=ANNOTATION", lambda s: s["name"] == "accuracy"),
    ("date_from=2026-01-01T01:00:00Z", lambda s: s["created_at"].startswith("2026-01-01T01")),
])
def test_every_filter_keeps_newest_first_with_ties_broken_by_arrival(api, clock, query, keep):
    """The store reads a page through a different index depending on the filters; whichever
    it takes, the order is newest first, and scores of the same instant newest-created first."""
    trace, other = str(uuid.uuid4()), str(uuid.uuid4())
    made = []
    for i in range(6):
        clock.freeze(T0 + (i // 3) * HOUR)  # two instants, three scores of each trace
        made.append(api.score(trace_id=trace, value=f"0.{i}"))
        made.append(api.score(trace_id=other, name="other", value="x", data_type="CATEGORICAL",
                              source="PROGRAMMATIC"))
    expected = [s["id"] for s in reversed(made)
                if keep({k: str(v).replace(trace, "{trace}") for k, v in s.items()})]
    query = query.format(trace=trace)
    body = api.get(f"{SCORES}?{query}").get_json()
    assert [s["id"] for s in body["items"]] == expected and body["total"] == len(expected)
    page = api.get(f"{SCORES}?{query}&limit=2&offset=3").get_json()
    assert [s["id"] for s in page["items"]] == expected[3:5] and page["total"] == len(expected)


# -- the store's side of the filters: none is silently ignored ------------------------------------


def test_a_filter_the_score_store_does_not_know_is_an_error(app, scored):
    from pandaprobe_fake.store import UnknownFilter

    store = app.extensions["store"]
    project_id = store.projects()[0]["id"]
    with pytest.raises(UnknownFilter, match="no filter nmae"):
        store.list_scores(project_id, {"nmae": "accuracy"}, 50, 0)
    with pytest.raises(UnknownFilter, match="no filter limit, sort"):  # every unknown one named
        store.list_scores(project_id, {"sort": "name", "limit": 5, "name": "accuracy"}, 50, 0)
    items, total = store.list_scores(project_id, {"name": "accuracy"}, 50, 0)
    assert total == 2 and {s["name"] for s in items} == {"accuracy"}


def test_every_filter_the_list_route_loads_is_one_the_store_applies(api, scored):
    """The route hands the store every field of its query schema but the page: a filter the
    schema gains and the store lacks would be a 500 here, not a filter quietly dropped."""
    from pandaprobe_fake import schemas

    filters = set(schemas.score_list_query.fields) - {"limit", "offset"}
    assert filters == {"trace_id", "name", "source", "status", "data_type", "eval_run_id",
                       "environment", "date_from", "date_to"}
    values = {"trace_id": scored["trace_b"], "name": "accuracy", "source": "AUTOMATED",
              "status": "PENDING", "data_type": "NUMERIC",
              "eval_run_id": str(uuid.uuid4()), "environment": "prod",
              "date_from": "2026-01-01T02:00:00Z", "date_to": "2026-01-01T02:00:00Z"}
    for name in sorted(filters):  # each value matches fewer than the five scores: it is applied
        response = api.get(SCORES, query_string={name: values[name]})
        assert response.status_code == 200, (name, response.get_json())
        assert response.get_json()["total"] < len(scored["scores"]), name
