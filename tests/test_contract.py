"""The fake's OpenAPI document: generated for every route, valid OpenAPI 3.1, served with a
browsable page that needs no network, and held against upstream's document (see contract.py
for what is compared and the allow-list of differences)."""

from __future__ import annotations

import copy
import inspect
import re

import pytest
from marshmallow import Schema, fields
from openapi_spec_validator import validate

from pandaprobe_fake import fields as api_fields
import contract
from pandaprobe_fake.fake import schemas as fake_schemas
from pandaprobe_fake import openapi
from pandaprobe_fake import schemas
from pandaprobe_fake.app import create_app


@pytest.fixture
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def upstream():
    return contract.load_upstream()


def test_openapi_json_is_public_and_valid_openapi_3_1(client):
    response = client.get("/openapi.json")  # no credentials
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_is_documented_or_says_why_not(app):
    assert openapi.undocumented_rules(app) == []


def test_a_route_without_documentation_is_caught(app):
    @app.get("/evaluations/new-thing")
    def new_thing():
        return {}

    assert openapi.undocumented_rules(app) == ["['GET'] /evaluations/new-thing"]


class ThingPath(Schema):
    thing_id = schemas.UUIDText(required=True)


def test_a_documented_route_appears_by_itself(app):
    @app.get("/evaluations/things/<thing_id>")
    @openapi.operation("evaluations", path=ThingPath(),
                       responses={200: schemas.trace_score, 404: schemas.error})
    def get_thing(thing_id):
        """Get a thing.

        In detail."""

    document = openapi.build_document(app, title="t", version="v")
    op = document["paths"]["/evaluations/things/{thing_id}"]["get"]
    assert op["operationId"] == "get_thing_evaluations_things__thing_id__get"
    assert op["summary"] == "Get Thing"
    assert op["description"] == "Get a thing.\n\nIn detail."
    assert op["parameters"] == [{"in": "path", "name": "thing_id", "required": True,
                                 "schema": {"type": "string", "format": "uuid"}}]
    assert sorted(op["responses"]) == ["200", "404", "422"]  # 422: it loads a path
    assert "security" not in op  # not project-scoped


def test_array_bodies_and_responses(app):
    @app.post("/evaluations/batch/<thing_id>")
    @openapi.operation("evaluations", path=ThingPath(), responses={201: schemas.trace_scores},
                       body={"type": "array", "items": schemas.ScoreCreateSchema, "maxItems": 500})
    def create_batch(thing_id):
        pass

    document = openapi.build_document(app, title="t", version="v")
    op = document["paths"]["/evaluations/batch/{thing_id}"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/CreateTraceScoreRequest"},
        "maxItems": 500}
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/TraceScoreResponse"}}
    assert sorted(op["responses"]) == ["201", "400", "413", "422"]


def test_a_path_schema_must_name_the_rule_variables(app):
    @app.get("/evaluations/others/<other_id>")
    @openapi.operation("evaluations", path=ThingPath(), responses={200: None})
    def get_other(other_id):
        pass

    with pytest.raises(ValueError, match="other_id"):
        openapi.build_document(app, title="t", version="v")


def test_the_document_covers_exactly_the_documented_routes(app, document):
    served = set()
    for rule in app.url_map.iter_rules():
        if isinstance(getattr(app.view_functions[rule.endpoint], "openapi", None), openapi.Operation):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add(f"{method} {openapi.openapi_path(rule)}")
    assert set(contract.operations(document)) == served
    assert "GET /evaluations/trace-scores" in served and "GET /openapi.json" not in served


def test_every_custom_field_has_an_openapi_type():
    custom = {cls for module in (api_fields, fake_schemas)
              for _, cls in inspect.getmembers(module, inspect.isclass)
              if issubclass(cls, fields.Field) and cls.__module__ == module.__name__}
    assert len(custom) > 20 and custom <= set(openapi.FIELD_TYPES), custom - set(openapi.FIELD_TYPES)


def test_generated_parameters_and_bodies(document):
    ops = contract.operations(document)
    params = {p["name"]: p for p in ops["GET /evaluations/trace-scores"]["parameters"]}
    assert params["limit"]["schema"] == {"type": "integer", "default": 50, "minimum": 1, "maximum": 200}
    assert params["offset"]["schema"] == {"type": "integer", "default": 0, "minimum": 0}
    assert params["trace_id"]["schema"]["anyOf"] == [{"type": "string", "format": "uuid"}, {"type": "null"}]
    assert params["status"]["schema"]["anyOf"][0]["enum"] == ["SUCCESS", "FAILED", "PENDING"]
    assert not any(p["required"] for p in params.values())
    buckets = {p["name"]: p for p in
               ops["GET /evaluations/analytics/trace-scores/distribution"]["parameters"]}
    assert buckets["buckets"]["schema"] == {"type": "integer", "default": 10, "minimum": 1, "maximum": 100}
    assert buckets["metric_name"]["required"] is True

    create = document["components"]["schemas"]["CreateTraceScoreRequest"]
    assert create["required"] == ["name", "trace_id", "value"]
    assert create["properties"]["data_type"] == {
        "type": "string", "default": "NUMERIC", "enum": ["NUMERIC", "BOOLEAN", "CATEGORICAL"]}
    assert create["properties"]["reason"] == {"type": ["string", "null"]}
    assert create["properties"]["metadata"] == {"type": "object", "additionalProperties": True}
    score = document["components"]["schemas"]["TraceScoreResponse"]
    assert len(score["required"]) == 16 == len(score["properties"])
    assert score["properties"]["eval_run_id"] == {"type": ["string", "null"], "format": "uuid"}


def test_error_responses_are_documented_as_the_fake_sends_them(document):
    op = contract.operations(document)["PATCH /evaluations/trace-scores/{score_id}"]
    assert sorted(op["responses"]) == ["200", "400", "401", "404", "413", "422"]
    refs = [s["$ref"] for s in op["responses"]["422"]["content"]["application/json"]["schema"]["anyOf"]]
    assert refs == ["#/components/schemas/ValidationError", "#/components/schemas/Error"]
    assert op["security"] == [{"ApiKey": [], "ProjectName": []}, {"HTTPBearer": [], "ProjectID": []}]
    health = contract.operations(document)["GET /health"]
    assert sorted(health["responses"]) == ["200"] and "security" not in health


def test_docs_page_is_served_with_its_assets_and_no_network(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "//" not in re.sub(r"<!--.*?-->", "", html).replace("://", ""), "no external URL"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/docs/swagger-ui-bundle.js" in assets and "/docs/swagger-ui.css" in assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.get_data(), asset
    assert b"SwaggerUIBundle" in client.get("/docs/swagger-ui-bundle.js").get_data()
    assert '"/openapi.json"' in html


def test_the_fake_matches_upstream_or_says_why_not(app, document, upstream):
    found, missing = contract.differences(document, upstream)
    unexplained = [str(d) for d in found if not contract.allowed_by(d)]
    assert unexplained == []
    ops = contract.operations(document)
    assert [name for name in missing if not contract.is_fake_only(name, ops[name])] == []
    # every upstream operation the fake implements (all but its 501s) is compared
    implemented = len(contract.operations(upstream)) - len(app.extensions["unimplemented"])
    assert len(ops) - len(missing) == implemented >= 20


def test_the_allow_list_has_no_stale_entries(document, upstream):
    found, missing = contract.differences(document, upstream)
    used = {id(entry) for d in found for entry in contract.allowed_by(d)}
    assert [e for e in contract.ALLOWED if id(e) not in used] == []
    assert [name for name in contract.FAKE_ONLY if name not in missing] == []


def param(document, path, method, name):
    return next(p for p in document["paths"][path][method]["parameters"] if p["name"] == name)


@pytest.mark.parametrize("change, where", [
    (lambda d: param(d, "/evaluations/trace-scores", "get", "limit")["schema"].update(maximum=100),
     "parameters.query.limit.schema.maximum"),
    (lambda d: param(d, "/evaluations/trace-scores", "get", "offset").update(required=True),
     "parameters.query.offset.required"),
    (lambda d: d["components"]["schemas"]["CreateTraceScoreRequest"]["properties"]["source"]["enum"].pop(),
     "requestBody.schema.source.enum"),
    (lambda d: d["components"]["schemas"]["CreateTraceScoreRequest"]["required"].remove("value"),
     "requestBody.schema.required"),
    (lambda d: d["components"]["schemas"]["TraceScoreResponse"]["properties"]["value"].update(type="string"),
     "responses.201.schema.value.type"),
    (lambda d: param(d, "/evaluations/analytics/trace-scores/trend", "get", "granularity")["schema"]
     .update(default="hour"), "parameters.query.granularity.schema.default"),
    (lambda d: param(d, "/evaluations/trace-scores", "get", "trace_id")["schema"]["anyOf"].pop(),
     "parameters.query.trace_id.schema.type"),
    (lambda d: d["paths"]["/evaluations/trace-scores"]["post"].update(operationId="create"),
     "operationId"),
    (lambda d: d["paths"]["/evaluations/trace-scores/{score_id}"]["delete"]["responses"].pop("204"),
     "responses.204"),
])
def test_a_new_difference_is_not_allowed(document, upstream, change, where):
    changed = copy.deepcopy(document)
    change(changed)
    found, _ = contract.differences(changed, upstream)
    new = [d for d in found if d.where == where and not contract.allowed_by(d)]
    assert new, [str(d) for d in found if not contract.allowed_by(d)]


def test_upstream_as_served_takes_only_allowed_responses_from_the_fake(document, upstream):
    served = contract.upstream_as_served(document, upstream)
    validate(served)
    assert "servers" not in served
    assert set(contract.operations(served)) == {
        name for name, op in contract.operations(document).items()
        if not contract.is_fake_only(name, op)}
    patch = served["paths"]["/evaluations/trace-scores/{score_id}"]["patch"]
    assert sorted(patch["responses"]) == ["200", "400", "401", "404", "413", "422"]
    assert patch["responses"]["200"] == upstream["paths"]["/evaluations/trace-scores/{score_id}"]["patch"]["responses"]["200"]
    assert "anyOf" in patch["responses"]["422"]["content"]["application/json"]["schema"]


def test_the_document_is_built_once_per_app(client, app):
    first = client.get("/openapi.json").get_data()
    assert client.get("/openapi.json").get_data() == first
    assert app.extensions["openapi"]["document"]["info"]["version"] == "0.5.0"


def test_the_document_does_not_depend_on_the_database(tmp_path):
    one = create_app({"database": None})
    two = create_app({"database": str(tmp_path / "x.db")})
    try:
        assert one.test_client().get("/openapi.json").get_json() == \
            two.test_client().get("/openapi.json").get_json()
    finally:
        one.extensions["store"].close()
        two.extensions["store"].close()


def facts(schema, document=None):
    out = {}
    contract.schema_facts(schema, document or {}, "s", out)
    return out


def test_the_comparison_reads_equivalent_schemas_alike():
    nullable = facts({"type": ["string", "null"], "format": "uuid"})
    assert facts({"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]}) == nullable
    assert facts({"type": "string", "enum": ["A", None]}) == facts(
        {"anyOf": [{"type": "string", "enum": ["A"]}, {"type": "null"}]})
    assert facts({"anyOf": [{}, {"type": "null"}]}) == facts({}) == {"s.type": ["any"]}
    document = {"components": {"schemas": {"G": {"type": "string", "enum": ["day", "week"]}}}}
    assert facts({"$ref": "#/components/schemas/G", "default": "day"}, document) == {
        "s.type": ["string"], "s.enum": ["day", "week"], "s.default": "day"}
    assert facts({"type": "object"}) == facts({"type": "object", "additionalProperties": {}})
    assert facts({"type": "object"}) != facts({"type": "object", "additionalProperties": False})
    assert facts({"type": "string"}) != facts({"type": ["string", "null"]})
