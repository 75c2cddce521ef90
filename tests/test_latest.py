"""GET /evaluations/trace-scores/{trace_id}: the latest score per metric name."""

import uuid

from conftest import SCORES

T0 = 1_767_225_600_000_000


def test_latest_per_name_ordered_by_name(api, clock):
    trace = str(uuid.uuid4())
    clock.freeze(T0)
    api.score(trace_id=trace, name="zeta", value="0.1")
    old_alpha = api.score(trace_id=trace, name="alpha", value="0.2")
    clock.freeze(T0 + 10)
    new_zeta = api.score(trace_id=trace, name="zeta", value="0.3")
    clock.freeze(T0 + 20)
    new_alpha = api.score(trace_id=trace, name="alpha", value="bad", data_type="CATEGORICAL")
    api.score(name="alpha", value="0.9")  # another trace
    response = api.get(f"{SCORES}/{trace}")
    assert response.status_code == 200
    body = response.get_json()
    assert [s["id"] for s in body] == [new_alpha["id"], new_zeta["id"]]
    assert old_alpha["id"] not in [s["id"] for s in body]
    assert body[0] == new_alpha  # the full object


def test_latest_ignores_status_and_type_and_goes_by_created_at_not_updated_at(api, clock):
    trace = str(uuid.uuid4())
    clock.freeze(T0)
    first = api.score(trace_id=trace, name="m", value="0.1")
    clock.freeze(T0 + 1)
    second = api.score(trace_id=trace, name="m", value="0.2")
    clock.freeze(T0 + 2)
    api.patch(f"{SCORES}/{first['id']}", json={"value": "0.7"})  # newer updated_at, older created_at
    assert [s["id"] for s in api.get(f"{SCORES}/{trace}").get_json()] == [second["id"]]


def test_unknown_trace_is_empty_list(api):
    response = api.get(f"{SCORES}/{uuid.uuid4()}")
    assert response.status_code == 200
    assert response.get_json() == []


def test_upper_case_trace_id_is_accepted(api):
    score = api.score()
    body = api.get(f"{SCORES}/{score['trace_id'].upper()}").get_json()
    assert [s["id"] for s in body] == [score["id"]]
    assert body[0]["trace_id"] == score["trace_id"]


def test_malformed_trace_id_is_422(api):
    response = api.get(f"{SCORES}/not-a-uuid")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "path -> trace_id", "message": "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1"}]


def test_of_scores_made_at_the_same_instant_the_last_made_is_the_latest(api, clock):
    trace = str(uuid.uuid4())
    clock.freeze(T0)
    made = [api.score(trace_id=trace, name=name, value=f"0.{i}")
            for i, name in enumerate(["b", "a", "b", "a", "b"])]
    body = api.get(f"{SCORES}/{trace}").get_json()
    assert [s["id"] for s in body] == [made[3]["id"], made[4]["id"]]


def test_a_trace_scored_many_times_gives_one_score_per_metric(api, clock):
    trace = str(uuid.uuid4())
    for i in range(60):
        clock.freeze(T0 + i)
        api.score(trace_id=trace, name=f"m{i % 3}", value=f"0.{i % 10}")
    body = api.get(f"{SCORES}/{trace}").get_json()
    assert [(s["name"], s["created_at"]) for s in body] == [
        ("m0", "2026-01-01T00:00:00.000057+00:00"), ("m1", "2026-01-01T00:00:00.000058+00:00"),
        ("m2", "2026-01-01T00:00:00.000059+00:00")]
