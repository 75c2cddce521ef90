"""Bugs found while fuzzing the fake, each pinned by the input that found it.

Query integers and datetimes: Python's `\\d` and `int()` read any Unicode digit, Pydantic (the
real server) only ASCII ones, so `limit=٣` or `date_from=٢٠٢٦-٠١-٠١` were accepted by the fake
and are 422 on the real server (checked against pydantic 2.14)."""

from __future__ import annotations

import pytest

from conftest import ANALYTICS, SCORES

NOT_AN_INTEGER = "Input should be a valid integer, unable to parse string as an integer"
NOT_A_DATE = "Input should be a valid datetime or date, "


@pytest.mark.parametrize("url, field", [
    (SCORES + "?limit=٣", "query -> limit"),            # ARABIC-INDIC DIGIT THREE
    (SCORES + "?offset=１", "query -> offset"),          # FULLWIDTH DIGIT ONE
    (SCORES + "?limit=\x1c3", "query -> limit"),         # Python's \s, not Unicode White_Space
    (ANALYTICS + "/distribution?metric_name=a&buckets=５", "query -> buckets"),
])
def test_non_ascii_digits_are_not_an_integer(api, url, field):
    response = api.get(url)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"field": field, "message": NOT_AN_INTEGER}]


@pytest.mark.parametrize("value, reason", [
    ("٢٠٢٦-٠١-٠١", "invalid character in year"),
    ("١٧٠٠٠٠٠٠٠٠", "invalid character in year"),
    ("2026-01-01T１٠:00:00Z", "unexpected extra characters at the end of the input"),
])
def test_non_ascii_digits_are_not_a_datetime(api, value, reason):
    response = api.get(SCORES, query_string={"date_from": value})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "query -> date_from", "message": NOT_A_DATE + reason}]


@pytest.mark.parametrize("url, expected", [
    (SCORES + "?limit=\u00a03\u3000", 3),  # Unicode White_Space around ASCII digits is trimmed
    (SCORES + "?limit=1_0", 10),
    (SCORES + "?limit= 7.0 ", 7),
])
def test_what_pydantic_reads_as_an_integer_still_is_one(api, url, expected):
    response = api.get(url)
    assert response.status_code == 200
    assert response.get_json()["limit"] == expected
