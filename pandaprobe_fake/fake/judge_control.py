"""The judge's control routes, on the `/_fake/` blueprint (routes.py): script the simulated
judge (fake/judge.py) from a test.

    POST   /_fake/judge          a rule -> 201 the rule, with its id
    GET    /_fake/judge          -> 200 {"mode", "delay_seconds", "items", "total"}
    DELETE /_fake/judge          -> 204 (every rule)
    DELETE /_fake/judge/<id>     -> 204, 404 when unknown

A rule is one of: {"value": 0..1, "reason"?} (a fixed SUCCESS score), {"error": "..."} (a FAILED
score, reason `Metric execution failed: <error>`) -- each for a `metric` and/or a `trace_id`
(neither: every pair) --, {"run_error": "..."} (the whole run FAILED with that error_message) or
{"delay_seconds": N} (a run takes N seconds on the fake's clock) -- each for runs that include
`metric` (or every run).  The newest matching rule wins.
"""

from __future__ import annotations

from marshmallow import ValidationError, fields, validates_schema

from pandaprobe_fake.schemabase import Schema
from pandaprobe_fake import openapi, schemas
from pandaprobe_fake import catalogue
from pandaprobe_fake.fake.routes import blueprint, body
from pandaprobe_fake.fake.schemas import ControlSchema
from pandaprobe_fake.fake.state import state
from pandaprobe_fake.fields import JsonNumber, Text, UUIDText
from pandaprobe_fake.schemas import load_parts
from pandaprobe_fake.web import ApiError, json_response, no_content

KNOWN_METRICS = {**catalogue.TRACE_METRICS, **catalogue.SIGNAL_ONLY, **catalogue.SESSION_METRICS}
OUTCOMES = ("value", "error", "run_error", "delay_seconds")


class JudgeRuleSchema(ControlSchema):
    metric = Text(allow_none=True, load_default=None)
    trace_id = UUIDText(allow_none=True, load_default=None)
    value = JsonNumber(minimum=0, maximum=1, allow_none=True, load_default=None)
    reason = Text(allow_none=True, load_default=None)
    error = Text(allow_none=True, load_default=None, min_length=1)
    run_error = Text(allow_none=True, load_default=None, min_length=1)
    delay_seconds = JsonNumber(minimum=0, maximum=86_400, allow_none=True, load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def check(self, data, **kwargs):
        given = [name for name in OUTCOMES if data[name] is not None]
        if len(given) != 1:
            raise ValidationError("Value error, give exactly one of value, error, run_error, "
                                  "delay_seconds")
        if data["metric"] is not None and data["metric"] not in KNOWN_METRICS:
            raise ValidationError({"metric": [f"Value error, unknown metric {data['metric']!r}"]})
        if data["reason"] is not None and given != ["value"]:
            raise ValidationError({"reason": ["Value error, a reason goes with a value"]})
        if data["trace_id"] is not None and given[0] in ("run_error", "delay_seconds"):
            raise ValidationError({"trace_id": [f"Value error, {given[0]} applies to a whole run: "
                                                f"narrow it by metric, not by trace"]})


class JudgeRuleOutSchema(Schema):
    id = fields.String(required=True)
    metric = fields.String(allow_none=True)
    trace_id = fields.String(allow_none=True)
    value = fields.Float(allow_none=True)
    reason = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    run_error = fields.String(allow_none=True)
    delay_seconds = fields.Float(allow_none=True)


class JudgeStateSchema(Schema):
    mode = fields.String(required=True)
    delay_seconds = fields.Float(required=True)
    items = fields.List(fields.Nested(JudgeRuleOutSchema), required=True)
    total = fields.Integer(required=True)


class JudgeRuleIdPath(Schema):
    rule_id = fields.String(required=True)


judge_rule = JudgeRuleSchema()
judge_rule_out = JudgeRuleOutSchema()
judge_state = JudgeStateSchema()


@blueprint.post("/judge")
@openapi.operation("fake", body=judge_rule, responses={201: judge_rule_out},
                   summary="Add a judge rule")
def add_judge_rule():
    (spec,) = load_parts((judge_rule, body(), "body"))
    rule = state().judge.add(spec)
    return json_response(judge_rule_out.dump(rule.as_dict()), 201)


@blueprint.get("/judge")
@openapi.operation("fake", responses={200: judge_state}, summary="The judge and its rules")
def get_judge():
    judge = state().judge
    rules = [r.as_dict() for r in judge.rules()]
    return json_response(judge_state.dump({"mode": judge.mode, "delay_seconds": judge.delay,
                                           "items": rules, "total": len(rules)}))


@blueprint.delete("/judge")
@openapi.operation("fake", responses={204: None}, summary="Clear the judge rules")
def clear_judge():
    state().judge.clear()
    return no_content()


@blueprint.delete("/judge/<rule_id>")
@openapi.operation("fake", path=JudgeRuleIdPath(), responses={204: None, 404: schemas.error},
                   summary="Remove a judge rule")
def remove_judge_rule(rule_id: str):
    if not state().judge.remove(rule_id):
        raise ApiError(404, f"Judge rule {rule_id} not found.")
    return no_content()
