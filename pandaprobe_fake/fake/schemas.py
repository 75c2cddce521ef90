"""Marshmallow schemas of the `/_fake/` control API: the fixture document, faults, the
clock, reset and the request journal.  Loaded and dumped here, like the API's own
schemas in schemas.py (whose fields and 422 body they reuse).

Unlike the upstream routes, the control API refuses a key it does not know (a typo such
as `"time": 3` must not pass unnoticed): 422 `Extra inputs are not permitted`.

The fixture document (POST and GET /_fake/fixtures)::

    {"projects": [{"id": "<uuid>", "name": "demo",
                   "scores": [<TraceScoreResponse>, ...],
                   "traces": [<TraceCreate>, ...],
                   "session_scores": [<SessionScoreResponse>, ...],
                   "monitors": [<MonitorResponse>, ...]}]}

A project is named by `id`, `name` or both.  A score takes the keys of the API's score
object (TraceScoreResponse): `trace_id`, `name` and `value` are required (`value` may be
null, as for a FAILED or PENDING score); the rest default as on create (`data_type`
NUMERIC, `source` ANNOTATION, `status` SUCCESS, `metadata` {}, the others null; `id` a new
UUID; `created_at` now; `updated_at` = `created_at`).  `traces` holds traces as POST /traces
takes them, each with its spans.  `runs` lists the project's evaluation runs
(EvalRunResponse keys, plus `targets`; see FixtureRunSchema).  A session score likewise takes
the keys of SessionScoreResponse (`session_id`, `name`, `value` required; NUMERIC, AUTOMATED,
SUCCESS by default), a monitor those of MonitorResponse (`name`, `target_type`,
`metric_names`, `cadence` required; `next_run_at` by default the next run after
`created_at`, for an ACTIVE monitor).
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

from marshmallow import RAISE, ValidationError, fields, validates_schema

from pandaprobe_fake.schemabase import Schema
from pandaprobe_fake import schemas
from pandaprobe_fake.api.evaluations.run_schemas import EvalRunSchema
from pandaprobe_fake.api.evaluations.monitor_schemas import MonitorSchema
from pandaprobe_fake.api.evaluations.session_score_schemas import SessionScoreSchema
from pandaprobe_fake.fields import (Choice, DateTimeText, HttpMethod, JsonBool, JsonInt, JsonNumber, JsonObject,
                                    JsonValue, ListOf, ProjectName, QueryText, StringMap, Text, UUIDText)
from pandaprobe_fake.schemas import (COLUMN_LENGTH, DATA_TYPES, SOURCES,
                     STATUSES, value_problem)

MAX_DELAY_MS = 60_000

class ControlSchema(Schema):
    """A control-API body: strict about unknown keys."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "Extra inputs are not permitted",
                      "type": schemas.NOT_AN_OBJECT}


def _list_of(schema: type[Schema], **kwargs) -> fields.List:
    return fields.List(
        fields.Nested(schema, error_messages={"type": schemas.NOT_AN_OBJECT,
                                              "null": schemas.NOT_AN_OBJECT}),
        error_messages={"invalid": "Input should be a valid list",
                        "null": "Input should be a valid list",
                        "required": schemas.FIELD_REQUIRED}, **kwargs)


# -- the fixture document ------------------------------------------------------------------


class FixtureScoreSchema(ControlSchema):
    """A score as the API shows it (TraceScoreResponse), loaded as the store's row."""

    id = UUIDText(allow_none=True, load_default=None)
    trace_id = UUIDText(required=True)
    name = Text(required=True, max_length=COLUMN_LENGTH)
    value = Text(required=True, allow_none=True, max_length=COLUMN_LENGTH)
    status = Choice(STATUSES, load_default="SUCCESS")
    source = Choice(SOURCES, load_default="ANNOTATION")
    data_type = Choice(DATA_TYPES, load_default="NUMERIC")
    project_id = UUIDText(allow_none=True, load_default=None)
    eval_run_id = UUIDText(allow_none=True, load_default=None)
    author_user_id = Text(allow_none=True, load_default=None, max_length=COLUMN_LENGTH)
    reason = Text(allow_none=True, load_default=None)
    environment = Text(allow_none=True, load_default=None, max_length=COLUMN_LENGTH)
    config_id = Text(allow_none=True, load_default=None, max_length=COLUMN_LENGTH)
    metadata = JsonObject(load_default=dict)
    created_at = DateTimeText(allow_none=True, load_default=None)
    updated_at = DateTimeText(allow_none=True, load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def check(self, data, **kwargs):
        if data["value"] is not None:
            problem = value_problem(data["data_type"], data["value"])
            if problem:
                raise ValidationError(f"Value error, {problem}")
        created, updated = data["created_at"], data["updated_at"]
        if created is not None and updated is not None and updated < created:
            raise ValidationError("Value error, updated_at must not be before created_at")


RUN_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "FAILED")


class FixtureRunSchema(ControlSchema):
    """An evaluation run as the API shows it (EvalRunResponse), plus its `targets` (the trace
    or session ids it evaluates; default: the filters' trace_ids/session_ids).  A PENDING or
    RUNNING run is executed at the next request."""

    id = UUIDText(allow_none=True, load_default=None)
    name = Text(allow_none=True, load_default=None, max_length=COLUMN_LENGTH)
    status = Choice(RUN_STATUSES, load_default="COMPLETED")
    metric_names = ListOf(Text(), required=True)
    total_targets = JsonInt(minimum=0, allow_none=True, load_default=None)
    evaluated_count = JsonInt(minimum=0, load_default=0)
    failed_count = JsonInt(minimum=0, load_default=0)
    created_at = DateTimeText(allow_none=True, load_default=None)
    completed_at = DateTimeText(allow_none=True, load_default=None)
    project_id = UUIDText(allow_none=True, load_default=None)
    target_type = Choice(("TRACE", "SESSION"), load_default="TRACE")
    filters = JsonObject(load_default=dict)
    sampling_rate = JsonNumber(minimum=0, maximum=1, load_default=1.0)
    model = Text(allow_none=True, load_default=None)
    monitor_id = UUIDText(allow_none=True, load_default=None)
    error_message = Text(allow_none=True, load_default=None)
    targets = ListOf(Text(), allow_none=True, load_default=None)


def run_row(run: dict[str, Any], now: int) -> dict[str, Any]:
    """A loaded fixture run -> the store's row (without project_id)."""
    row = {key: value for key, value in run.items() if key != "project_id"}
    targets = run["targets"]
    if targets is None:
        listed = run["filters"].get("trace_ids") or run["filters"].get("session_ids") or []
        targets = [t for t in listed if isinstance(t, str)]
    created = run["created_at"] if run["created_at"] is not None else now
    row.update(id=run["id"] or str(uuid.uuid4()), targets=targets, created_at=created, pairs=None,
               total_targets=len(targets) if run["total_targets"] is None else run["total_targets"],
               running_at=created, due_at=created)
    return row
class FixtureSessionScoreSchema(ControlSchema):
    """A session score as the API shows it (SessionScoreResponse); defaults as a session run
    writes one (NUMERIC, AUTOMATED, SUCCESS)."""

    id = UUIDText(allow_none=True, load_default=None)
    session_id = Text(required=True, max_length=COLUMN_LENGTH)
    project_id = UUIDText(allow_none=True, load_default=None)
    name = Text(required=True, max_length=COLUMN_LENGTH)
    data_type = Choice(DATA_TYPES, load_default="NUMERIC")
    value = Text(required=True, allow_none=True, max_length=COLUMN_LENGTH)
    source = Choice(SOURCES, load_default="AUTOMATED")
    status = Choice(STATUSES, load_default="SUCCESS")
    eval_run_id = UUIDText(allow_none=True, load_default=None)
    author_user_id = Text(allow_none=True, load_default=None, max_length=COLUMN_LENGTH)
    reason = Text(allow_none=True, load_default=None)
    metadata = JsonObject(load_default=dict)
    created_at = DateTimeText(allow_none=True, load_default=None)
    updated_at = DateTimeText(allow_none=True, load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def check(self, data, **kwargs):
        FixtureScoreSchema.check(self, data)


class FixtureMonitorSchema(ControlSchema):
    """A monitor as the API shows it (MonitorResponse).  `next_run_at` defaults to the next run
    after `created_at` by the cadence for an ACTIVE monitor (null for a PAUSED one)."""

    id = UUIDText(allow_none=True, load_default=None)
    project_id = UUIDText(allow_none=True, load_default=None)
    name = Text(required=True, max_length=COLUMN_LENGTH)
    target_type = Choice(("TRACE", "SESSION"), required=True)
    metric_names = fields.List(Text(), required=True, error_messages={
        "invalid": "Input should be a valid list", "null": "Input should be a valid list",
        "required": schemas.FIELD_REQUIRED})
    filters = JsonObject(load_default=dict)
    sampling_rate = JsonNumber(minimum=0, maximum=1, load_default=1.0)
    model = Text(allow_none=True, load_default=None)
    cadence = Text(required=True)
    only_if_changed = JsonBool(load_default=True)
    status = Choice(("ACTIVE", "PAUSED"), load_default="ACTIVE")
    last_run_at = DateTimeText(allow_none=True, load_default=None)
    last_run_id = UUIDText(allow_none=True, load_default=None)
    next_run_at = DateTimeText(allow_none=True, load_default=None)
    created_at = DateTimeText(allow_none=True, load_default=None)
    updated_at = DateTimeText(allow_none=True, load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def check(self, data, **kwargs):
        from pandaprobe_fake.api.evaluations import cadence
        from pandaprobe_fake.api.evaluations.monitors import METRICS_OF

        try:
            data["cadence"] = cadence.normalize(data["cadence"])
        except cadence.CadenceError as err:
            raise ValidationError({"cadence": [f"Value error, {err}"]}) from None
        unknown = [m for m in data["metric_names"] if m not in METRICS_OF[data["target_type"]]]
        if unknown:
            raise ValidationError({"metric_names": [f"Value error, Unknown metrics: {', '.join(unknown)}"]})


class FixtureProjectSchema(ControlSchema):
    id = UUIDText(allow_none=True, load_default=None)
    name = ProjectName(allow_none=True, load_default=None)
    scores = _list_of(FixtureScoreSchema, load_default=list)
    traces = _list_of(schemas.TraceCreateSchema, load_default=list)  # as POST /traces takes them
    runs = _list_of(FixtureRunSchema, load_default=list)
    session_scores = _list_of(FixtureSessionScoreSchema, load_default=list)
    monitors = _list_of(FixtureMonitorSchema, load_default=list)

    @validates_schema(skip_on_field_errors=True)
    def check(self, data, **kwargs):
        if data["id"] is None and data["name"] is None:
            raise ValidationError("Value error, a project needs an id or a name (or both)")
        errors = {}
        for key in ("scores", "runs", "session_scores", "monitors"):
            wrong = {index: {"project_id": ["Value error, a project_id must be the id of the "
                                            "project it is listed under"]}
                     for index, item in enumerate(data[key])
                     if item["project_id"] is not None and item["project_id"] != data["id"]}
            if wrong:
                errors[key] = wrong
        if errors:
            raise ValidationError(errors)


class FixtureDocumentSchema(ControlSchema):
    projects = _list_of(FixtureProjectSchema, required=True)

    @validates_schema(skip_on_field_errors=True)
    def check(self, data, **kwargs):
        seen: set[str] = set()
        errors: dict[int, Any] = {}
        for p, project in enumerate(data["projects"]):
            for s, score in enumerate(project["scores"]):
                if score["id"] is None:
                    continue
                if score["id"] in seen:
                    errors.setdefault(p, {"scores": {}})["scores"][s] = {
                        "id": [f"Value error, score id {score['id']} appears twice"]}
                seen.add(score["id"])
            for r, run in enumerate(project["runs"]):
                if run["id"] is None:
                    continue
                if run["id"] in seen:
                    errors.setdefault(p, {}).setdefault("runs", {})[r] = {
                        "id": [f"Value error, run id {run['id']} appears twice"]}
                seen.add(run["id"])
        if errors:
            raise ValidationError({"projects": errors})


def session_score_row(score: dict[str, Any], now: int) -> dict[str, Any]:
    """A loaded fixture session score -> the store's row (without project_id)."""
    created = score["created_at"] if score["created_at"] is not None else now
    row = {key: value for key, value in score.items() if key != "project_id"}
    row.update(id=score["id"] or str(uuid.uuid4()), created_at=created,
               updated_at=score["updated_at"] if score["updated_at"] is not None else created)
    return row


def monitor_row(monitor: dict[str, Any], now: int) -> dict[str, Any]:
    """A loaded fixture monitor -> the store's row (without project_id)."""
    from pandaprobe_fake.api.evaluations import cadence

    created = monitor["created_at"] if monitor["created_at"] is not None else now
    row = {key: value for key, value in monitor.items() if key != "project_id"}
    row.update(id=monitor["id"] or str(uuid.uuid4()), created_at=created,
               updated_at=monitor["updated_at"] if monitor["updated_at"] is not None else created,
               sampling_rate=float(monitor["sampling_rate"]))
    if row["next_run_at"] is None and row["status"] == "ACTIVE":
        row["next_run_at"] = cadence.next_run(row["cadence"], created)
    return row


def score_row(score: dict[str, Any], now: int) -> dict[str, Any]:
    """A loaded fixture score -> the store's row (without project_id)."""
    created = score["created_at"] if score["created_at"] is not None else now
    row = {key: score[key] for key in (
        "trace_id", "name", "value", "status", "source", "data_type", "eval_run_id",
        "author_user_id", "reason", "environment", "config_id")}
    row.update(
        id=score["id"] or str(uuid.uuid4()),
        metadata=score["metadata"],
        created_at=created,
        updated_at=score["updated_at"] if score["updated_at"] is not None else created)
    return row


class FixtureRunDumpSchema(EvalRunSchema):
    targets = fields.List(fields.String())


class FixtureDumpProjectSchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    scores = fields.List(fields.Nested(schemas.TraceScoreSchema))
    traces = fields.List(fields.Nested(schemas.TraceSchema))
    runs = fields.List(fields.Nested(FixtureRunDumpSchema))
    session_scores = fields.List(fields.Nested(SessionScoreSchema))
    monitors = fields.List(fields.Nested(MonitorSchema))


class FixtureDumpSchema(Schema):
    projects = fields.List(fields.Nested(FixtureDumpProjectSchema))


class LoadedProjectSchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    scores = fields.Integer()
    traces = fields.Integer()
    runs = fields.Integer()
    session_scores = fields.Integer()
    monitors = fields.Integer()


class LoadedSchema(Schema):
    projects = fields.List(fields.Nested(LoadedProjectSchema))


# -- reset, clock, faults, journal ----------------------------------------------------------


class ResetSchema(ControlSchema):
    seed = JsonBool(load_default=False)


class ClockSchema(ControlSchema):
    freeze = DateTimeText()
    advance_seconds = JsonNumber(minimum=0)

    @validates_schema(skip_on_field_errors=True)
    def check(self, data, **kwargs):
        if not data:
            raise ValidationError("Value error, give freeze, advance_seconds, or both")


class ClockStateSchema(Schema):
    now = schemas.Timestamp()
    frozen = fields.Boolean()


class FaultSchema(ControlSchema):
    method = HttpMethod(allow_none=True, load_default=None)
    path = Text(allow_none=True, load_default=None)
    status = JsonInt(minimum=200, maximum=599, allow_none=True, load_default=None)
    body = JsonValue(load_default=None)  # sendable: no lone surrogates (nor NUL, NaN)
    headers = StringMap(load_default=dict)
    delay_ms = JsonInt(minimum=0, maximum=MAX_DELAY_MS, load_default=0)
    times = JsonInt(minimum=1, allow_none=True, load_default=1)
    probability = JsonNumber(minimum=0.0, maximum=1.0, load_default=1.0)

    @validates_schema(skip_on_field_errors=True)
    def check(self, data, **kwargs):
        if data["status"] is None and not data["delay_ms"]:
            raise ValidationError("Value error, give a status, a delay_ms, or both")
        if data["body"] is not None and data["status"] is None:
            raise ValidationError("Value error, a body needs a status")


class FaultOutSchema(Schema):
    id = fields.String()
    method = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    status = fields.Integer(allow_none=True)
    body = fields.Raw(allow_none=True)
    headers = fields.Dict()
    delay_ms = fields.Integer()
    times = fields.Integer(allow_none=True)
    probability = fields.Float()
    remaining = fields.Integer(allow_none=True)
    applied = fields.Integer()


class ResetResultSchema(Schema):
    seeded = fields.Boolean(required=True)
    scores = fields.Integer(required=True)


class FaultListSchema(Schema):
    items = fields.List(fields.Nested(FaultOutSchema), required=True)
    total = fields.Integer(required=True)


class FaultIdPath(Schema):
    fault_id = fields.String(required=True)


class JournalQuery(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "Extra inputs are not permitted"}
    method = QueryText()
    path = QueryText()


class JournalEntrySchema(Schema):
    method = fields.String()
    path = fields.String()
    query = fields.Dict()
    headers = fields.Dict()
    body = fields.Raw(allow_none=True)
    body_bytes = fields.Integer()  # the body's size as received, kept or not (see Journal)
    status = fields.Integer()
    duration_ms = fields.Float()
    time = schemas.Timestamp()


class JournalSchema(Schema):
    items = fields.List(fields.Nested(JournalEntrySchema))
    total = fields.Integer()


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


fixture_document = FixtureDocumentSchema()
fixture_dump = FixtureDumpSchema()
loaded = LoadedSchema()
reset = ResetSchema()
clock = ClockSchema()
clock_state = ClockStateSchema()
fault = FaultSchema()
fault_out = FaultOutSchema()
faults_out = FaultOutSchema(many=True)
journal_query = JournalQuery()
reset_result = ResetResultSchema()
fault_list = FaultListSchema()
fault_id_path = FaultIdPath()
journal = JournalSchema()
