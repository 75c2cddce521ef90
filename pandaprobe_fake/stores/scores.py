"""A trace score as the store keeps it: its columns, how a row reads back, and the derived
`num` column.  Below store.py, so that the other parts of the store (runs, session scores)
read scores without importing the whole Store."""

from __future__ import annotations

import math
from typing import Any

# Columns of a score as the store hands it out (the response keys, plus `num`).
SCORE_COLUMNS = (
    "id", "trace_id", "name", "value", "status", "source", "created_at", "project_id",
    "data_type", "eval_run_id", "author_user_id", "reason", "environment", "config_id",
    "metadata", "updated_at", "num",
)
SELECT_SCORES = "SELECT " + ", ".join(SCORE_COLUMNS) + " FROM trace_scores"


def score_of(row: tuple) -> dict[str, Any]:
    """A row of SCORE_COLUMNS as a score dict."""
    return dict(zip(SCORE_COLUMNS, row))


# What the read routes answer with: every column but the derived `num`.
SCORE_FIELDS = SCORE_COLUMNS[:-1]
SELECT_SCORE_ROWS = "SELECT " + ", ".join(SCORE_FIELDS) + " FROM trace_scores"
_FIELD_INDEX = {column: i for i, column in enumerate(SCORE_FIELDS)}


class ScoreRow(tuple):
    """A score as the read routes get it (lists, latest per trace, a run's scores): its row of
    SCORE_FIELDS as SQLite handed it back, which reads like the dict it stands for
    (`score["name"]`, `score.get("name")`, `score.as_dict()`).  A tuple costs a tenth of a
    dict to make and is its own key in the response schema's memory (schemas.RowSchema).

    EXACT_KEY: two rows that compare equal are written as the same JSON -- which is not so of
    Python values at large (1 == 1.0 == True, 0.0 == -0.0), but is of what SQLite hands back
    for these columns: TEXT ones (every column but the times) give str or None (a number is
    stored as its text), INTEGER ones (created_at, updated_at) give int (an integral REAL is
    stored as an integer); SQLite never gives a bool.  (tests/test_row_memo.py holds this.)"""

    __slots__ = ()
    EXACT_KEY = True

    def get(self, column: str, default: Any = None) -> Any:
        index = _FIELD_INDEX.get(column)
        return default if index is None else tuple.__getitem__(self, index)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, _FIELD_INDEX[key])
        return tuple.__getitem__(self, key)

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(SCORE_FIELDS, self))


def numeric_value(data_type: str, value: str | None) -> float | None:
    """The derived `num` column: the number analytics read from a NUMERIC value (Python's
    reading, as the value rule's), else None."""
    if data_type != "NUMERIC" or value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
