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
