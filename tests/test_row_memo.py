"""Lists of scores are dumped through schemas.RowSchema, which remembers each row's dump by
its values: what a list answers must be exactly what a fresh dump gives, for every row,
however often it is asked and whatever changed in between."""

from __future__ import annotations

import random
import uuid

import pytest
from marshmallow import Schema, fields

from pandaprobe_fake import schemas
from pandaprobe_fake.stores.scores import SCORE_COLUMNS

from conftest import SCORES


def plain(row: dict) -> dict:
    """The dump RowSchema would make without remembering anything."""
    return Schema._serialize(schemas.trace_score, row)


def random_row(rng: random.Random) -> dict:
    pick = rng.choice
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))), "trace_id": str(uuid.uuid4()),
        "name": pick(["accuracy", "ünïcode", "a" * 300]), "value": pick([None, "0.5", "true", "x"]),
        "status": pick(["SUCCESS", "FAILED", "PENDING"]), "source": pick(["API", "ANNOTATION"]),
        "created_at": rng.randrange(0, 2**50), "project_id": str(uuid.uuid4()),
        "data_type": pick(["NUMERIC", "BOOLEAN", "CATEGORICAL"]), "eval_run_id": pick([None, str(uuid.uuid4())]),
        "author_user_id": pick([None, "u1"]), "reason": pick([None, "", "why\nnot"]),
        "environment": pick([None, "prod"]), "config_id": pick([None, "c"]),
        "metadata": pick(["{}", '{"bb": 1, "a": [1, {"zz": 0, "y": -0.0}]}', '{"n": 12345678901234567890}']),
        "updated_at": rng.randrange(0, 2**50), "num": pick([None, 0.5, -0.0]),
    }


def test_a_list_dump_is_the_plain_dump_of_every_row_asked_twice():
    rng = random.Random(7)
    rows = [random_row(rng) for _ in range(300)]
    expected = [plain(row) for row in rows]
    assert schemas.trace_scores.dump(rows) == expected
    assert schemas.trace_scores.dump(rows) == expected  # the second time from memory
    assert set(expected[0]) == set(SCORE_COLUMNS) - {"num"}


def test_a_row_changed_in_one_value_is_dumped_again():
    rng = random.Random(8)
    row = random_row(rng)
    first = schemas.trace_scores.dump([row])[0]
    for column, other in (("value", "0.75"), ("reason", "edited"), ("metadata", '{"k": 2}'),
                          ("updated_at", row["updated_at"] + 1), ("status", "FAILED")):
        changed = {**row, column: other}
        assert schemas.trace_scores.dump([changed]) == [plain(changed)] != [first]
    assert schemas.trace_scores.dump([row]) == [first]


def test_values_python_calls_equal_but_json_writes_apart_are_kept_apart():
    base = random_row(random.Random(9))
    values = ("1", 1, True, 1.0, 0.0, -0.0)
    for _ in range(2):
        outputs = [schemas.trace_scores.dump([{**base, "value": value}])[0]["value"] for value in values]
        assert [repr(v) for v in outputs] == ["'1'", "1", "True", "1.0", "0.0", "-0.0"]


def test_a_row_that_cannot_be_a_key_is_dumped_as_usual():
    row = {**random_row(random.Random(10)), "metadata": {"b": 1, "a": 2}}
    assert schemas.trace_scores.dump([row]) == [plain(row)]
    assert schemas.trace_scores.dump([row])[0]["metadata"] == {"b": 1, "a": 2}


def test_the_memory_is_bounded():
    schema = schemas.TraceScoreSchema(many=True)
    rng = random.Random(11)
    rows = [random_row(rng) for _ in range(schema.MEMO_ROWS + 50)]
    schema.dump(rows)
    info = schema._remembered.cache_info()
    assert info.currsize == schema.MEMO_ROWS and info.maxsize == schema.MEMO_ROWS
    assert schema.dump(rows[-3:]) == [plain(row) for row in rows[-3:]]  # the newest are kept
    assert schema._remembered.cache_info().hits == info.hits + 3


def test_one_row_is_dumped_without_the_memory():
    schema = schemas.TraceScoreSchema()
    row = random_row(random.Random(12))
    assert schema.dump(row) == plain(row)
    assert schema._remembered.cache_info().currsize == 0


def test_a_row_schema_refuses_a_field_that_reads_more_than_its_column():
    class Mixed(schemas.RowSchema):
        id = schemas.StoredText()
        label = fields.String()

    with pytest.raises(TypeError, match=r"fields \['label'\]"):
        Mixed()


def test_a_page_of_items_is_dumped_in_one_call_and_a_missing_list_stays_null():
    field = schemas.score_page.fields["items"]
    rows = [random_row(random.Random(13))]
    assert field.serialize("items", {"items": rows}) == [plain(rows[0])]
    assert field.serialize("items", {"items": None}) is None


def test_an_edit_under_a_frozen_clock_shows_in_the_list(api, clock):
    clock.freeze(1_800_000_000_000_000)
    score = api.score(value="0.5")
    listed = api.get(SCORES + "?limit=50").get_json()["items"]
    assert [item["value"] for item in listed] == ["0.5"]
    patched = api.patch(f"{SCORES}/{score['id']}", json={"value": "0.75"}).get_json()
    assert patched["updated_at"] == listed[0]["updated_at"]  # the clock did not move
    again = api.get(SCORES + "?limit=50").get_json()["items"]
    assert again == [patched]
    assert api.get(f"{SCORES}/{score['trace_id']}").get_json() == [patched]


def test_a_score_row_reads_like_its_dict_and_dumps_like_it():
    from pandaprobe_fake.stores.scores import SCORE_FIELDS, ScoreRow

    rng = random.Random(14)
    dicts = [random_row(rng) for _ in range(50)]
    rows = [ScoreRow(d[c] for c in SCORE_FIELDS) for d in dicts]
    for score, row in zip(dicts, rows):
        assert row["name"] == row.get("name") == score["name"] and row[0] == score["id"]
        assert row.get("num") is None and row.get("nope", 7) == 7
        assert row.as_dict() == {c: score[c] for c in SCORE_FIELDS}
        with pytest.raises(KeyError):
            row["nope"]
    expected = [plain(d) for d in dicts]
    assert schemas.trace_scores.dump(rows) == expected
    assert schemas.trace_scores.dump(rows) == expected  # from memory
    assert schemas.score_page.dump({"items": rows, "total": 50, "limit": 50, "offset": 0})["items"] == expected


def test_rows_of_two_kinds_with_the_same_values_are_not_mixed_up():
    names = tuple(schemas.trace_score.dump_fields)
    swap = {"name": "reason", "reason": "name", "environment": "config_id", "config_id": "environment"}

    class Swapped(tuple):  # a row class whose text columns sit in other places
        def get(self, column, default=None):
            column = swap.get(column, column)
            return self[names.index(column)] if column in names else default

    score = {**random_row(random.Random(15)), "name": "n", "reason": "r", "environment": "e", "config_id": "c"}
    swapped = Swapped(score[name] for name in names)  # the same values, read as other columns
    assert schemas.trace_scores.dump([score]) == [plain(score)]
    assert schemas.trace_scores.dump([swapped]) == [plain({n: swapped.get(n) for n in names})]
    assert schemas.trace_scores.dump([swapped])[0]["name"] == "r"
    assert schemas.trace_scores.dump([score])[0]["name"] == "n"


def test_score_rows_that_compare_equal_are_written_alike_as_sqlite_hands_them_back():
    """ScoreRow.EXACT_KEY rests on the columns' types: whatever Python value goes into a
    column, the values read back that compare equal have one spelling."""
    from pandaprobe_fake.store import Store
    from pandaprobe_fake.stores.scores import SCORE_FIELDS, SELECT_SCORE_ROWS, ScoreRow

    store = Store(None)
    tricky = [1, 1.0, True, 0, 0.0, -0.0, False, 2**63 - 1, 1e300, 1.5, "1", "1.0", b"1", "-0.0"]
    with store.write() as conn:
        for column in SCORE_FIELDS:
            for value in tricky:
                row = {**random_row(random.Random(f"{column}{value!r}")), column: value}
                conn.execute(f"INSERT OR IGNORE INTO trace_scores ({', '.join(SCORE_FIELDS)}) "
                             f"VALUES ({', '.join('?' * len(SCORE_FIELDS))})", [row[c] for c in SCORE_FIELDS])
        rows = [ScoreRow(r) for r in conn.execute(SELECT_SCORE_ROWS).fetchall()]
    assert len(rows) > len(SCORE_FIELDS) * 10
    for index, column in enumerate(SCORE_FIELDS):
        values = [row[index] for row in rows]
        for a in values:
            for b in values:
                if a == b:
                    assert repr(a) == repr(b), (column, a, b)
    store.close()


def test_an_exact_key_row_is_remembered_as_it_is_and_a_dict_with_a_float_is_not():
    from pandaprobe_fake.stores.scores import SCORE_FIELDS, ScoreRow

    schema = schemas.TraceScoreSchema(many=True)
    score = {**random_row(random.Random(17)), "created_at": 1.5}  # a float: no key for a dict
    row = ScoreRow(score[c] for c in SCORE_FIELDS)
    assert schema.dump([score]) == [plain(score)] and schema._remembered.cache_info().currsize == 0
    assert schema.dump([row]) == [plain(score)] and schema._remembered.cache_info().currsize == 1
    assert schema.dump([row]) == [plain(score)] and schema._remembered.cache_info().hits == 1
