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
    {"lone": "\ud800 surrogate"},                     # written as its escape
])
def test_the_same_json_as_the_standard_library(app, value):
    written = app.json.dumps(value)
    assert app.json.dumps_bytes(value) == written.encode("utf-8")  # what a response sends
    assert json.loads(written) == value
    assert list(json.loads(written)) == list(value)            # keys in the order given


def test_keys_are_not_sorted_and_nothing_is_escaped(app):
    assert app.json.dumps({"b": 1, "a": "ü"}) == '{"b":1,"a":"ü"}'


def test_metadata_with_a_huge_integer_round_trips(api):
    score = api.score(metadata={"n": 2**80, "f": 0.1})
    assert score["metadata"] == {"n": 2**80, "f": 0.1}
    listed = api.get(SCORES).get_json()["items"][0]
    assert listed["metadata"] == {"n": 2**80, "f": 0.1}


# -- request bodies: read with orjson, the standard library's reading where orjson refuses ----


def stdlib_or_error(raw: bytes):
    try:
        return ("value", json.loads(raw))
    except json.JSONDecodeError as err:
        return ("422", err.pos)
    except (ValueError, RecursionError):
        return ("400", None)


def body_or_error(raw: bytes):
    from pandaprobe_fake.schemas import ApiValidationError, BodyParseError, parse_json_body

    try:
        return ("value", parse_json_body(raw, "application/json"))
    except ApiValidationError as err:
        return ("422", int(err.errors[0]["field"]))
    except BodyParseError:
        return ("400", None)


def same_reading(raw: bytes) -> None:
    ours, theirs = body_or_error(raw), stdlib_or_error(raw)
    assert ours == theirs, raw[:80]
    if ours[0] == "value":  # types and key order too, not only equality (1 == 1.0 == True)
        assert json.dumps(ours[1]) == json.dumps(theirs[1])


@pytest.mark.parametrize("raw", [
    b'{"value": "0.5", "reason": "r"}', b'{"a": 1, "a": 2}', b'[1, 1.0, -0, -0.0, 1e2, 1E400, 1e-400]',
    b'{"n": 123456789012345678901234567890}', b'{"n": 9223372036854775807, "m": -9223372036854775808}',
    b'{"n": 18446744073709551616}', b'[NaN, Infinity, -Infinity]', b'{"s": "\\ud800"}',
    b'{"s": "\\ud83d\\udc3c \xf0\x9f\x90\xbc"}', b'\xef\xbb\xbf{"bom": 1}', '{"utf16": 1}'.encode("utf-16"),
    b'{"s": "\xed\xa0\x80"}', b'{"s": "\xff"}', b'{"a": 1,}', b'{"a" 1}', b'tru', b'"x"', b'  {"a": [] }  ',
    b'[' * 5000 + b']' * 5000, b'[' * 1000 + b']' * 1000, b'[' * 512 + b']' * 512, b'[' * 513 + b']' * 513,
    b'{"t": "\x01"}', b'0.1000000000000000055511151231257827', b'1234567890123456789', b'123456789012345678',
    b'{"x": 1.7976931348623157e308, "y": 5e-324, "z": 2.2250738585072014e-308}',
])
def test_a_body_reads_as_the_standard_library_reads_it(raw):
    same_reading(raw)


def test_the_fast_reading_is_used_up_to_its_bounds_and_not_past_them(monkeypatch):
    from pandaprobe_fake import jsonio

    calls = []
    real = jsonio.orjson.loads
    monkeypatch.setattr(jsonio, "orjson", type("O", (), {
        "loads": staticmethod(lambda raw: calls.append(raw) or real(raw)),
        "JSONDecodeError": jsonio.orjson.JSONDecodeError}))
    objects = b",".join([b"{}"] * 256)
    bounds = [b"[" * 256 + objects + b"]" * 256, b"[123456789012345678]"]  # 512 brackets, 18 digits
    past = [b"[" * 257 + objects + b"]" * 257, b"[1234567890123456789]", b"[0.1234567890123456789]"]
    for raw in bounds + past:
        assert jsonio.loads(raw) == json.loads(raw)
    assert calls == bounds


def test_random_bodies_read_as_the_standard_library_reads_them():
    import random

    rng = random.Random(16)
    atoms = [lambda: rng.random() * 10 ** rng.randint(-30, 30), lambda: rng.randint(-2**70, 2**70),
             lambda: rng.choice([True, False, None]), lambda: "".join(chr(rng.randint(0, 0x2FFFF))
                                                                        for _ in range(rng.randint(0, 8)))]

    def value(depth: int = 0):
        kind = rng.randint(0, 5 if depth < 4 else 3)
        if kind <= 3:
            return atoms[kind]()
        if kind == 4:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {atoms[3](): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(3000):
        text = json.dumps(value(), ensure_ascii=rng.random() < 0.5)
        same_reading(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("setting,value", [("sort_keys", True), ("ensure_ascii", True), ("compact", False)])
def test_other_settings_write_what_flasks_provider_writes(app, setting, value):
    from flask.json.provider import DefaultJSONProvider

    from pandaprobe_fake.jsonio import FastJSONProvider

    ours, flasks = FastJSONProvider(app), DefaultJSONProvider(app)
    for provider in (ours, flasks):
        provider.sort_keys, provider.ensure_ascii, provider.compact = False, False, True
        setattr(provider, setting, value)
    data = {"b": 1, "a": ["ü", 2.5]}
    expected = flasks.dumps(data, **({"separators": (",", ":")} if flasks.compact else {}))
    assert ours.dumps(data) == expected
    assert ours.dumps_bytes(data) == expected.encode("utf-8")


def test_a_stored_json_value_at_the_top_reads_as_jsonb_gives_it():
    from pandaprobe_fake.jsonio import jsonb_ordered, read_json

    assert [repr(jsonb_ordered(v)) for v in (-0.0, 0.0, 1.5, -2.0, 1)] == ["0.0", "0.0", "1.5", "-2.0", "1"]
    assert [repr(read_json(t)) for t in ("-0.0", "0", "1.25", '"x"', "{}", '{"bb": -0.0, "a": 1}')] == \
        ["0.0", "0", "1.25", "'x'", "{}", "{'a': 1, 'bb': 0.0}"]
