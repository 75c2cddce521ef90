"""PATCH /evaluations/trace-scores/{score_id} (the seed endpoint) and DELETE."""

import uuid

import pytest

from conftest import SCORES

T0 = 1_767_225_600_000_000


@pytest.fixture
def automated(app, api, clock):
    """A FAILED, AUTOMATED score with every optional column set, as the eval system writes
    them (the API cannot create one, so it goes in through the store)."""
    clock.freeze(T0)
    score = api.score(name="task_completion", value="0.3", reason="judge", metadata={"a": 1, "b": 2})
    app.extensions["store"].update_score(score["project_id"], score["id"], {
        "status": "FAILED", "source": "AUTOMATED", "eval_run_id": str(uuid.uuid4()),
        "author_user_id": "user-1", "environment": "prod", "config_id": "cfg"})
    clock.freeze(T0 + 5_000_000)
    return api.get(f"{SCORES}/{score['trace_id']}").get_json()[0]


def patch(api, score, body):
    return api.patch(f"{SCORES}/{score['id']}", json=body)


def test_seed_body_updates_and_stamps(api, automated, clock):
    response = patch(api, automated, {"value": "0.9", "reason": "checked by hand", "metadata": {"c": 3}})
    assert response.status_code == 200
    score = response.get_json()
    assert (score["value"], score["reason"], score["metadata"]) == ("0.9", "checked by hand", {"c": 3})
    assert (score["status"], score["source"]) == ("SUCCESS", "ANNOTATION")
    assert score["updated_at"] == "2026-01-01T00:00:05+00:00"
    assert score["created_at"] == automated["created_at"]
    for key in ("id", "trace_id", "name", "data_type", "project_id", "eval_run_id",
                "author_user_id", "environment", "config_id"):
        assert score[key] == automated[key]
    assert api.get(f"{SCORES}/{automated['trace_id']}").get_json()[0] == score


def test_empty_patch_still_stamps(api, automated):
    score = patch(api, automated, {}).get_json()
    assert (score["status"], score["source"]) == ("SUCCESS", "ANNOTATION")
    assert score["updated_at"] > automated["updated_at"]
    assert (score["value"], score["reason"], score["metadata"]) == ("0.3", "judge", {"a": 1, "b": 2})


def test_null_leaves_fields_alone(api, automated):
    score = patch(api, automated, {"value": None, "reason": None, "metadata": None}).get_json()
    assert (score["value"], score["reason"], score["metadata"]) == ("0.3", "judge", {"a": 1, "b": 2})


def test_metadata_replaces_whole_object(api, automated):
    assert patch(api, automated, {"metadata": {"b": 9}}).get_json()["metadata"] == {"b": 9}
    assert patch(api, automated, {"metadata": {}}).get_json()["metadata"] == {}


def test_empty_string_is_a_value(api, automated):
    score = patch(api, automated, {"reason": ""}).get_json()
    assert score["reason"] == ""


def test_other_keys_are_ignored(api, automated):
    score = patch(api, automated, {"name": "x", "data_type": "BOOLEAN", "trace_id": str(uuid.uuid4()),
                                   "created_at": "2000-01-01", "status": "PENDING",
                                   "source": "AUTOMATED"}).get_json()
    assert (score["name"], score["data_type"], score["trace_id"]) == (
        automated["name"], automated["data_type"], automated["trace_id"])
    assert (score["status"], score["source"]) == ("SUCCESS", "ANNOTATION")


@pytest.mark.parametrize("data_type,value,message", [
    ("NUMERIC", "1.5", "NUMERIC score must be in [0.0, 1.0]"),
    ("NUMERIC", "abc", "NUMERIC score must be a valid number"),
    ("NUMERIC", "", "NUMERIC score must be a valid number"),
    ("BOOLEAN", "yes", "BOOLEAN score must be 'true' or 'false'"),
])
def test_value_checked_against_stored_type(api, clock, data_type, value, message):
    clock.freeze(T0)
    score = api.score(data_type=data_type, value="0.5" if data_type == "NUMERIC" else "true")
    clock.freeze(T0 + 1)
    response = patch(api, score, {"value": value, "reason": "would change"})
    assert response.status_code == 422
    assert response.get_json() == {"detail": message}
    assert api.get(f"{SCORES}/{score['trace_id']}").get_json() == [score]  # nothing changed


def test_categorical_accepts_any_value(api):
    score = api.score(data_type="CATEGORICAL", value="PASS")
    assert patch(api, score, {"value": "1.5"}).get_json()["value"] == "1.5"


def test_boolean_patch(api):
    score = api.score(data_type="BOOLEAN", value="true")
    assert patch(api, score, {"value": "FALSE"}).get_json()["value"] == "FALSE"


def test_patch_field_types(api, automated):
    response = patch(api, automated, {"value": 1, "reason": ["x"], "metadata": "m"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "value", "message": "Input should be a valid string"},
        {"field": "reason", "message": "Input should be a valid string"},
        {"field": "metadata", "message": "Input should be a valid dictionary"}]


def test_patch_value_longer_than_the_column(api):
    score = api.score(data_type="CATEGORICAL", value="v")
    response = patch(api, score, {"value": "v" * 256})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "value", "message": "String should have at most 255 characters"}]


def test_unknown_score_is_404_before_the_value_rule(api):
    missing = uuid.uuid4()
    response = api.patch(f"{SCORES}/{str(missing).upper()}", json={"value": "not a number"})
    assert response.status_code == 404
    assert response.get_json() == {"detail": f"Trace score {missing} not found."}


def test_malformed_score_id_is_422(api):
    response = api.patch(f"{SCORES}/123", json={})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "path -> score_id", "message": "Input should be a valid UUID, invalid length: expected length 32 for simple format, found 3"}]


def test_patch_keeps_analytics_number_in_step(api):
    score = api.score(name="m", value="0.2")
    patch(api, score, {"value": "0.8"})
    summary = api.get("/evaluations/analytics/trace-scores/summary").get_json()
    assert summary[0]["avg_score"] == 0.8


def test_delete(api):
    score = api.score()
    keep = api.score()
    response = api.delete(f"{SCORES}/{score['id']}", data=b"ignored body", content_type="text/plain")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert [s["id"] for s in api.get(f"{SCORES}").get_json()["items"]] == [keep["id"]]
    again = api.delete(f"{SCORES}/{score['id']}")
    assert again.status_code == 404
    assert again.get_json() == {"detail": f"Trace score {score['id']} not found."}
    after = api.patch(f"{SCORES}/{score['id']}", json={"value": "0.1"})
    assert after.status_code == 404


def test_delete_unknown_and_malformed(api):
    missing = str(uuid.uuid4())
    assert api.delete(f"{SCORES}/{missing}").get_json() == {"detail": f"Trace score {missing} not found."}
    response = api.delete(f"{SCORES}/zz")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "path -> score_id"


@pytest.mark.parametrize("value", ["0.7", "not a number"])
def test_another_projects_score_is_404_whatever_the_value(api, other_api, value):
    """The value is checked against the stored type inside the UPDATE (no SELECT before it):
    another project's score is neither changed nor told apart by a 422."""
    score = api.score(data_type="NUMERIC", value="0.5")
    response = other_api.patch(f"{SCORES}/{score['id']}", json={"value": value})
    assert response.status_code == 404
    assert api.get(f"{SCORES}/{score['trace_id']}").get_json() == [score]


def test_a_refused_value_rolls_back_the_whole_update(app, api):
    from pandaprobe_fake.store import WrongDataType

    store = app.extensions["store"]
    score = api.score(data_type="BOOLEAN", value="true")
    for allowed in (("NUMERIC", "CATEGORICAL"), ()):
        with pytest.raises(WrongDataType) as refused:
            store.update_score(score["project_id"], score["id"], {"value": "0.5", "reason": "r"}, allowed)
        assert refused.value.data_type == "BOOLEAN"
        assert api.get(f"{SCORES}/{score['trace_id']}").get_json() == [score]
    assert store.update_score(score["project_id"], str(uuid.uuid4()), {"value": "x"}, ()) is None
