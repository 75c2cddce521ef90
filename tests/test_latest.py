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
        {"field": "path -> trace_id", "message": "Input should be a valid UUID, invalid character: found `n` at 0"}]
