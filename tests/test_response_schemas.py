"""The score response schema reads the store's dicts directly (api_fields.Stored*); it must dump
exactly what marshmallow's stock fields dump for the same rows."""

from __future__ import annotations

import uuid

from marshmallow import Schema, fields

from pandaprobe_fake import fields as api_fields
from pandaprobe_fake import schemas
from pandaprobe_fake.store import SCORE_COLUMNS


class StockTraceScoreSchema(Schema):
    id = fields.String()
    trace_id = fields.String()
    name = fields.String()
    value = fields.String(allow_none=True)
    status = fields.String()
    source = fields.String()
    created_at = api_fields.Timestamp()
    project_id = fields.String()
    data_type = fields.String()
    eval_run_id = fields.String(allow_none=True)
    author_user_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    environment = fields.String(allow_none=True)
    config_id = fields.String(allow_none=True)
    metadata = api_fields.StoredJson()
    updated_at = api_fields.Timestamp()


class StockPageSchema(Schema):
    items = fields.List(fields.Nested(StockTraceScoreSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


def rows():
    base = dict.fromkeys(SCORE_COLUMNS)
    yield {**base, "id": str(uuid.uuid4()), "trace_id": str(uuid.uuid4()), "name": "accuracy",
           "value": "0.5", "num": 0.5, "status": "SUCCESS", "source": "ANNOTATION",
           "created_at": 1_764_190_000_123_456, "updated_at": 1_764_190_000_000_000,
           "project_id": str(uuid.uuid4()), "data_type": "NUMERIC", "metadata": "{}"}
    yield {**base, "id": str(uuid.uuid4()), "trace_id": str(uuid.uuid4()), "name": "",
           "value": "", "status": "FAILED", "source": "AUTOMATED", "created_at": -1,
           "updated_at": 0, "project_id": str(uuid.uuid4()), "data_type": "CATEGORICAL",
           "eval_run_id": str(uuid.uuid4()), "author_user_id": "u-1", "reason": "",
           "environment": "production", "config_id": "c",
           "metadata": '{"nested": {"list": [1, 2.5, null, "é"]}, "": true}'}


def test_a_score_dumps_as_with_stock_fields():
    for row in rows():
        assert schemas.trace_score.dump(row) == StockTraceScoreSchema().dump(row)
        assert list(schemas.trace_score.dump(row)) == list(StockTraceScoreSchema().dump(row))


def test_a_page_and_a_list_dump_as_with_stock_fields():
    items = list(rows())
    page = {"items": items, "total": 7, "limit": 50, "offset": 0}
    assert schemas.score_page.dump(page) == StockPageSchema().dump(page)
    assert schemas.trace_scores.dump(items) == StockTraceScoreSchema(many=True).dump(items)
    assert schemas.score_page.dump({**page, "items": []})["items"] == []
