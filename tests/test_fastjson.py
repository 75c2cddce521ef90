"""Responses are written with orjson (jsonio.py): the same JSON as the standard library's,
and the standard library's answer whenever orjson refuses."""

from __future__ import annotations

import json

import pytest

from conftest import SCORES


@pytest.mark.parametrize("value", [
    {"a": 1, "b": [1.5, None, True, "é 名前 🐼"], "c": {}},
    {"tiny": 1e-05, "big": 1e16, "third": 1 / 3, "neg": -0.0},
    {"deep": [[[[{"x": "y"}]]]]},
    {"huge": 2**70, "ok": 1},                        # beyond 64 bits: the standard library
    {"quote": "\"\\\n\t\u2028", "ctrl": "\x01"},
])
def test_the_same_json_as_the_standard_library(app, value):
    written = app.json.dumps(value)
    assert json.loads(written) == value
    assert list(json.loads(written)) == list(value)            # keys in the order given


def test_keys_are_not_sorted_and_nothing_is_escaped(app):
    assert app.json.dumps({"b": 1, "a": "ü"}) == '{"b":1,"a":"ü"}'


def test_metadata_with_a_huge_integer_round_trips(api):
    score = api.score(metadata={"n": 2**80, "f": 0.1})
    assert score["metadata"] == {"n": 2**80, "f": 0.1}
    listed = api.get(SCORES).get_json()["items"][0]
    assert listed["metadata"] == {"n": 2**80, "f": 0.1}
