"""POST /evaluations/trace-scores."""

import uuid
from datetime import datetime

import pytest

from conftest import SCORES

KEYS = ["id", "trace_id", "name", "value", "status", "source", "created_at", "project_id",
        "data_type", "eval_run_id", "author_user_id", "reason", "environment", "config_id",
        "metadata", "updated_at"]


def errors(response):
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["detail"] == "Validation error"
    return body["errors"]


def count(api):
    return api.get(SCORES).get_json()["total"]


def test_create_returns_the_full_score(api):
    trace_id = str(uuid.uuid4())
    response = api.post(SCORES, json={"trace_id": trace_id, "name": "accuracy", "value": "0.92"})
    assert response.status_code == 201
    assert response.content_type == "application/json"
    assert response.get_data().startswith(b'{"id":"')  # compact JSON, as the real server writes it
    score = response.get_json()
    assert list(score) == KEYS
    assert score["trace_id"] == trace_id
    assert (score["name"], score["value"]) == ("accuracy", "0.92")
    assert (score["status"], score["source"], score["data_type"]) == ("SUCCESS", "ANNOTATION", "NUMERIC")
    assert score["metadata"] == {}
    for key in ("eval_run_id", "author_user_id", "environment", "config_id", "reason"):
        assert score[key] is None
    assert score["created_at"] == score["updated_at"]
    created = datetime.fromisoformat(score["created_at"])
    assert created.utcoffset().total_seconds() == 0
    assert score["created_at"].endswith("+00:00")
    uuid.UUID(score["id"])


def test_create_with_every_field(api):
    score = api.score(data_type="CATEGORICAL", value="PASS", source="PROGRAMMATIC",
                      reason="why", metadata={"k": [1, {"x": None}], "u": "ünï 🐼"})
    assert (score["data_type"], score["value"], score["source"]) == ("CATEGORICAL", "PASS", "PROGRAMMATIC")
    assert score["reason"] == "why"
    assert score["metadata"] == {"k": [1, {"x": None}], "u": "ünï 🐼"}


def test_timestamp_without_microseconds_has_no_fraction(api, clock):
    clock.freeze(1_767_225_600_000_000)  # 2026-01-01T00:00:00 exactly
    score = api.score()
    assert score["created_at"] == "2026-01-01T00:00:00+00:00"
    clock.freeze(1_767_225_602_450_000)
    assert api.score()["created_at"] == "2026-01-01T00:00:02.450000+00:00"


def test_unknown_fields_are_ignored(api):
    score = api.score(status="FAILED", id=str(uuid.uuid4()), comment="c", project_id=str(uuid.uuid4()),
                      created_at="2000-01-01T00:00:00Z", environment="prod")
    assert score["status"] == "SUCCESS"
    assert score["environment"] is None
    assert score["created_at"] != "2000-01-01T00:00:00+00:00"
    assert api.get(SCORES).get_json()["items"][0]["id"] == score["id"]


def test_trace_id_is_canonical_lower_case(api):
    trace = uuid.uuid4()
    assert api.score(trace_id=str(trace).upper())["trace_id"] == str(trace)
    assert api.score(trace_id=trace.hex)["trace_id"] == str(trace)


def test_a_trace_the_fake_has_never_seen_is_fine(api):
    assert api.score(trace_id=str(uuid.uuid4()))["status"] == "SUCCESS"


@pytest.mark.parametrize("value", ["0", "1", "1e-1", ".5", "-0", " 0.5 ", "0.0", "1.0", "０.５"])
def test_numeric_values_that_pass(api, value):
    assert api.score(value=value)["value"] == value  # stored exactly as sent


@pytest.mark.parametrize("value,message", [
    ("abc", "NUMERIC score must be a valid number"),
    ("", "NUMERIC score must be a valid number"),
    ("0x1", "NUMERIC score must be a valid number"),
    ("1.5", "NUMERIC score must be in [0.0, 1.0]"),
    ("4.5", "NUMERIC score must be in [0.0, 1.0]"),
    ("-0.1", "NUMERIC score must be in [0.0, 1.0]"),
    ("nan", "NUMERIC score must be in [0.0, 1.0]"),
    ("inf", "NUMERIC score must be in [0.0, 1.0]"),
    ("1_0", "NUMERIC score must be in [0.0, 1.0]"),
])
def test_numeric_values_that_fail(api, value, message):
    response = api.post(SCORES, json={"trace_id": str(uuid.uuid4()), "name": "n", "value": value})
    assert errors(response) == [{"field": "", "message": f"Value error, {message}"}]
    assert count(api) == 0


@pytest.mark.parametrize("value", ["true", "false", "TRUE", "False"])
def test_boolean_values_that_pass(api, value):
    assert api.score(data_type="BOOLEAN", value=value)["value"] == value


@pytest.mark.parametrize("value", [" true", "yes", "1", "", "true "])
def test_boolean_values_that_fail(api, value):
    response = api.post(SCORES, json={"trace_id": str(uuid.uuid4()), "name": "n", "value": value,
                                      "data_type": "BOOLEAN"})
    assert errors(response) == [{"field": "",
                                 "message": "Value error, BOOLEAN score must be 'true' or 'false'"}]


@pytest.mark.parametrize("value", ["", "anything", "1.5", "PASS"])
def test_categorical_takes_anything(api, value):
    assert api.score(data_type="CATEGORICAL", value=value)["value"] == value


def test_missing_fields_are_reported_alone_and_together(api):
    response = api.post(SCORES, json={"value": "9"})  # the value rule is not checked
    assert errors(response) == [{"field": "trace_id", "message": "Field required"},
                                {"field": "name", "message": "Field required"}]


def test_field_types(api):
    response = api.post(SCORES, json={"trace_id": 5, "name": 1, "value": None, "data_type": "numeric",
                                      "source": "HUMAN", "reason": 3, "metadata": []})
    assert errors(response) == [
        {"field": "trace_id", "message": "UUID input should be a string, bytes or UUID object"},
        {"field": "name", "message": "Input should be a valid string"},
        {"field": "value", "message": "Input should be a valid string"},
        {"field": "data_type", "message": "Input should be 'NUMERIC', 'BOOLEAN' or 'CATEGORICAL'"},
        {"field": "source", "message": "Input should be 'AUTOMATED', 'ANNOTATION' or 'PROGRAMMATIC'"},
        {"field": "reason", "message": "Input should be a valid string"},
        {"field": "metadata", "message": "Input should be a valid dictionary"},
    ]
    assert count(api) == 0


@pytest.mark.parametrize("value", [1, 0.5, True, None, ["0.5"], {"v": 1}])
def test_value_must_be_a_string(api, value):
    response = api.post(SCORES, json={"trace_id": str(uuid.uuid4()), "name": "n", "value": value})
    assert errors(response) == [{"field": "value", "message": "Input should be a valid string"}]


def test_null_metadata_and_enums_are_refused(api):
    response = api.post(SCORES, json={"trace_id": str(uuid.uuid4()), "name": "n", "value": "0.1",
                                      "metadata": None, "source": None})
    assert errors(response) == [
        {"field": "source", "message": "Input should be 'AUTOMATED', 'ANNOTATION' or 'PROGRAMMATIC'"},
        {"field": "metadata", "message": "Input should be a valid dictionary"}]


def test_null_reason_is_fine(api):
    assert api.score(reason=None)["reason"] is None


@pytest.mark.parametrize("trace_id,message", [
    ("abc", "invalid length: expected length 32 for simple format, found 3"),
    ("x", "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1"),
    ("123e4567-e89b-12d3-a456-42661417400", "invalid group length in group 4: expected 12, found 11"),
    ("123e4567-e89b-12d3-a456", "invalid group count: expected 5, found 4"),
])
def test_trace_id_must_be_a_uuid(api, trace_id, message):
    response = api.post(SCORES, json={"trace_id": trace_id, "name": "n", "value": "0.1"})
    assert errors(response) == [{"field": "trace_id", "message": f"Input should be a valid UUID, {message}"}]


def test_name_and_value_fit_the_real_columns(api):
    assert api.score(name="n" * 255, data_type="CATEGORICAL", value="v" * 255)["name"] == "n" * 255
    response = api.post(SCORES, json={"trace_id": str(uuid.uuid4()), "name": "n" * 256,
                                      "value": "v" * 256, "data_type": "CATEGORICAL"})
    assert errors(response) == [
        {"field": "name", "message": "String should have at most 255 characters"},
        {"field": "value", "message": "String should have at most 255 characters"}]
    assert count(api) == 1


def test_unstorable_text_is_a_clear_422(api):
    for body in ({"name": "a\x00b"}, {"reason": "\x00"}, {"metadata": {"k": "\x00"}},
                 {"metadata": {"\x00": 1}}):
        response = api.post(SCORES, json={"trace_id": str(uuid.uuid4()), "name": "n",
                                          "value": "0.1", **body})
        assert response.status_code == 422
        assert "NUL" in response.get_json()["errors"][0]["message"]
    surrogate = b'{"trace_id": "%s", "name": "\\ud800", "value": "0.1"}' % str(uuid.uuid4()).encode()
    response = api.post(SCORES, data=surrogate, content_type="application/json")
    assert errors(response)[0]["field"] == "name"
    nan = b'{"trace_id": "%s", "name": "n", "value": "0.1", "metadata": {"x": NaN}}' % str(uuid.uuid4()).encode()
    assert errors(api.post(SCORES, data=nan, content_type="application/json"))[0]["field"] == "metadata"
    assert count(api) == 0


def test_emoji_and_unicode_round_trip(api):
    score = api.score(name="über 🐼 名前", data_type="CATEGORICAL", value="✓", reason="ok 👍")
    fetched = api.get(f"{SCORES}/{score['trace_id']}").get_json()[0]
    assert (fetched["name"], fetched["value"], fetched["reason"]) == ("über 🐼 名前", "✓", "ok 👍")
