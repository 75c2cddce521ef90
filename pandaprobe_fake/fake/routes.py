"""The `/_fake/` control API: a Flask blueprint fenced off from the upstream routes.

No credentials -- except on a fake started with `--api-key`, where every control route
needs one of its keys too (X-API-Key or Authorization: Bearer; 401 otherwise) -- not
journaled, never faulted or rate-limited; switched off with `--no-control`.  Errors come in the API's shapes (422 `{"detail": "Validation error",
"errors": [...]}`, otherwise `{"detail": ...}`).  Bodies are read as JSON whatever their
Content-Type, so `curl -d '{...}'` works without a header.

    POST   /_fake/reset            {"seed": true}? -> 200 {"seeded", "scores"}
    GET    /_fake/fixtures         -> 200 the fixture document of the whole state
    POST   /_fake/fixtures         a fixture document -> 201 {"projects": [{"id", "name", "scores", "traces", "runs", "session_scores", "monitors"}]} (counts)
    GET    /_fake/requests         ?method=&path=<glob> -> 200 {"items", "total"}
    DELETE /_fake/requests         -> 204
    POST   /_fake/faults           a fault -> 201 the fault, with its id
    GET    /_fake/faults           -> 200 {"items", "total"}
    DELETE /_fake/faults[/<id>]    -> 204
    GET    /_fake/clock            -> 200 {"now", "frozen"}
    POST   /_fake/clock            {"freeze": "<ISO 8601>"}, {"advance_seconds": N} -> 200 {"now", "frozen"}
    DELETE /_fake/clock            -> 200 {"now", "frozen": false}
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from pandaprobe_fake.clock import in_range
import pandaprobe_fake.fake.schemas as fake_schemas
from pandaprobe_fake import openapi
from pandaprobe_fake import schemas
from pandaprobe_fake.fake.state import CONTROL_PREFIX, state
from pandaprobe_fake.schemas import ApiValidationError, load_parts
from pandaprobe_fake.store import Conflict
from pandaprobe_fake.web import ApiError, has_key, json_response, no_content, settings

# A fixture document may be far larger than an API request body.
FIXTURE_MAX_BODY = 256 * 1024 * 1024

blueprint = Blueprint("fake_control", __name__, url_prefix=CONTROL_PREFIX)

CONTROL_KEY_REQUIRED = ("This fake runs with --api-key: the /_fake/ control API needs one of its "
                        "keys too (X-API-Key: <key> or Authorization: Bearer <key>).")


@blueprint.before_request
def require_key():
    """With --api-key, the control API (which can read and reset every project) needs a key."""
    if settings().api_keys and not has_key():
        raise ApiError(401, CONTROL_KEY_REQUIRED)


def body(default: Any = None) -> Any:
    """The request body as JSON (whatever the Content-Type); `default` when empty."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        raise ApiValidationError([{"field": str(err.pos), "message": "JSON decode error"}]) from None
    except (ValueError, RecursionError):
        raise ApiError(400, "There was an error parsing the body") from None


# -- reset ---------------------------------------------------------------------------------


@blueprint.post("/reset")
@openapi.operation("fake", body=fake_schemas.reset, responses={200: fake_schemas.reset_result},
                   summary="Reset the fake")
def reset():
    (args,) = load_parts((fake_schemas.reset, body({}), "body"))
    fake = state()
    fake.reset(seed=args["seed"])
    return json_response({"seeded": args["seed"], "scores": fake.store.count_scores()})


# -- fixtures ------------------------------------------------------------------------------


@blueprint.get("/fixtures")
@openapi.operation("fake", responses={200: fake_schemas.fixture_dump}, summary="Dump the state as fixtures")
def dump_fixtures():
    return json_response(fake_schemas.fixture_dump.dump({"projects": state().store.dump()}))


@blueprint.post("/fixtures")
@openapi.operation("fake", body=fake_schemas.fixture_document,
                   responses={201: fake_schemas.loaded, 409: schemas.error}, summary="Load fixtures")
def load_fixtures():
    request.max_content_length = FIXTURE_MAX_BODY
    (document,) = load_parts((fake_schemas.fixture_document, body(), "body"))
    store = state().store
    now = store.clock.now()
    projects = [{"id": p["id"], "name": p["name"],
                 "scores": [fake_schemas.score_row(s, now) for s in p["scores"]],
                 "traces": p["traces"],
                 "runs": [fake_schemas.run_row(r, now) for r in p["runs"]],
                 "session_scores": [fake_schemas.session_score_row(s, now) for s in p["session_scores"]],
                 "monitors": [fake_schemas.monitor_row(m, now) for m in p["monitors"]]}
                for p in document["projects"]]
    try:
        loaded = store.load(projects)
    except Conflict as err:
        raise ApiError(409, str(err)) from None
    return json_response(fake_schemas.loaded.dump({"projects": loaded}), 201)


# -- the request journal -------------------------------------------------------------------


@blueprint.get("/requests")
@openapi.operation("fake", query=fake_schemas.journal_query, responses={200: fake_schemas.journal},
                   summary="The request journal")
def list_requests():
    (args,) = load_parts((fake_schemas.journal_query, schemas.query_dict(request.args), "query"))
    items = state().journal.entries(args.get("method"), args.get("path"))
    return json_response(fake_schemas.journal.dump({"items": items, "total": len(items)}))


@blueprint.delete("/requests")
@openapi.operation("fake", responses={204: None}, summary="Clear the request journal")
def clear_requests():
    state().journal.clear()
    return no_content()


# -- faults --------------------------------------------------------------------------------


@blueprint.post("/faults")
@openapi.operation("fake", body=fake_schemas.fault, responses={201: fake_schemas.fault_out},
                   summary="Add a fault")
def add_fault():
    (spec,) = load_parts((fake_schemas.fault, body(), "body"))
    fault = state().faults.add(spec)
    return json_response(fake_schemas.fault_out.dump(fault.as_dict()), 201)


@blueprint.get("/faults")
@openapi.operation("fake", responses={200: fake_schemas.fault_list}, summary="List the faults")
def list_faults():
    faults = [f.as_dict() for f in state().faults.all()]
    return json_response({"items": fake_schemas.faults_out.dump(faults), "total": len(faults)})


@blueprint.delete("/faults")
@openapi.operation("fake", responses={204: None}, summary="Clear every fault")
def clear_faults():
    state().faults.clear()
    return no_content()


@blueprint.delete("/faults/<fault_id>")
@openapi.operation("fake", path=fake_schemas.fault_id_path, responses={204: None, 404: schemas.error},
                   summary="Remove a fault")
def remove_fault(fault_id: str):
    if not state().faults.remove(fault_id):
        raise ApiError(404, f"Fault {fault_id} not found.")
    return no_content()


# -- the clock -----------------------------------------------------------------------------


def clock_state() -> Response:
    clock = state().store.clock
    return json_response(fake_schemas.clock_state.dump({"now": clock.now(), "frozen": clock.frozen}))


@blueprint.get("/clock")
@openapi.operation("fake", responses={200: fake_schemas.clock_state}, summary="Read the clock")
def get_clock():
    return clock_state()


@blueprint.post("/clock")
@openapi.operation("fake", body=fake_schemas.clock,
                   responses={200: fake_schemas.clock_state, 409: schemas.error}, summary="Freeze or advance the clock")
def set_clock():
    (args,) = load_parts((fake_schemas.clock, body(), "body"))
    clock = state().store.clock
    if "advance_seconds" in args and "freeze" not in args and not clock.frozen:
        raise ApiError(409, "The clock is not frozen: freeze it first "
                            "(POST /_fake/clock {\"freeze\": \"<ISO 8601>\"}).")
    # Both checked before either is applied: a refused call leaves the clock as it was.
    start = args.get("freeze", clock.now())
    if "advance_seconds" in args and not in_range(start + round(args["advance_seconds"] * 1_000_000)):
        raise ApiValidationError([{"field": "advance_seconds", "message":
                                   "Value error, the clock would pass year 9999 (UTC)"}])
    if "freeze" in args:
        clock.freeze(args["freeze"])
    if "advance_seconds" in args:
        clock.advance(args["advance_seconds"])
    return clock_state()


@blueprint.delete("/clock")
@openapi.operation("fake", responses={200: fake_schemas.clock_state}, summary="Back to real time")
def unfreeze_clock():
    state().store.clock.unfreeze()
    return clock_state()
