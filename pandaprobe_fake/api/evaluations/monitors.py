"""Evaluation monitors: `/evaluations/monitors` (create, list, read, edit, delete, pause,
resume, trigger, and the runs a monitor spawned).  A monitor stores a run configuration and a
cadence; its `next_run_at` follows the fake's clock (cadence.py).  The run a monitor spawns, on
trigger or when the clock passes its next_run_at, is scheduler.py's."""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint
from marshmallow import ValidationError

from pandaprobe_fake import catalogue, schemas
from pandaprobe_fake.api.evaluations import cadence as cadences
from pandaprobe_fake.api.evaluations import monitor_schemas as s
from pandaprobe_fake.api.evaluations import run_schemas, scheduler
from pandaprobe_fake.api.evaluations.run_common import created
from pandaprobe_fake.schemas import ApiValidationError
from pandaprobe_fake.web import ApiError, endpoint, json_response, no_content, page_response, store

blueprint = Blueprint("monitors", __name__)
MONITORS = "/evaluations/monitors"
ONE = MONITORS + "/<monitor_id>"

# The metrics of each target type (GET /evaluations/trace-metrics and /session-metrics).
METRICS_OF = {"TRACE": tuple(catalogue.TRACE_METRICS), "SESSION": tuple(catalogue.SESSION_METRICS)}
# PATCH ignores null on these (upstream's NOT NULL columns: a 500 there, a broken monitor
# list for `filters`).
NOT_NULL = ("name", "cadence", "sampling_rate", "only_if_changed", "filters")


def monitor_not_found(monitor_id: str) -> ApiError:
    return ApiError(404, f"Eval monitor {monitor_id} not found.")


def check_metrics(target_type: str, metrics: list[str]) -> None:
    unknown = [name for name in metrics if name not in METRICS_OF[target_type]]
    if unknown:
        raise ApiError(422, f"Unknown metrics: {', '.join(unknown)}")


def checked_cadence(cadence: str) -> str:
    try:
        return cadences.normalize(cadence)
    except cadences.CadenceError as err:
        raise ApiError(422, str(err)) from None


def check_filters(target_type: str, filters: dict[str, Any]) -> None:
    """The fake's own check: filters a run could not read are a 422 now, not a failure later."""
    schema = s.trace_monitor_filters if target_type == "TRACE" else s.session_monitor_filters
    try:
        schema.load(filters)
    except ValidationError as err:
        raise ApiValidationError(schemas._flatten({"filters": err.messages}, "")) from None


def scheduled(cadence: str):
    """next_run_at as a function of the moment it is set."""
    return functools.partial(cadences.next_run, cadence)


def answer(monitor: dict[str, Any] | None, monitor_id: str, status: int = 200):
    if monitor is None:
        raise monitor_not_found(monitor_id)
    return json_response(s.monitor.dump(monitor), status)


@blueprint.post(MONITORS)
@endpoint("evaluations", body=s.monitor_create, responses={201: s.monitor})
def create_monitor(project_id: str, body: dict[str, Any]):
    target_type = body["target_type"]
    if target_type not in s.TARGET_TYPES:
        raise ApiError(422, "target_type must be 'TRACE' or 'SESSION'.")
    weights = body["signal_weights"]
    if target_type == "TRACE" and weights:
        raise ApiError(422, "signal_weights is only valid for SESSION monitors.")
    check_metrics(target_type, body["metrics"])
    cadence = checked_cadence(body["cadence"])
    check_filters(target_type, body["filters"])
    filters = dict(body["filters"])
    if target_type == "SESSION" and weights:
        filters["signal_weights"] = weights
    monitor = store().create_monitor(project_id, {
        "name": body["name"], "target_type": target_type, "metric_names": body["metrics"],
        "filters": filters, "sampling_rate": float(body["sampling_rate"]), "model": body["model"],
        "cadence": cadence, "only_if_changed": body["only_if_changed"],
        "next_run": scheduled(cadence)})
    return json_response(s.monitor.dump(monitor), 201)


@blueprint.get(MONITORS)
@endpoint("evaluations", query=s.monitor_list_query, responses={200: s.monitor_page})
def list_monitors(project_id: str, query: dict[str, Any]):
    items, total = store().list_monitors(project_id, query.get("status"), query["limit"], query["offset"])
    return page_response(s.monitor_page, items, total, query["limit"], query["offset"])


@blueprint.get(ONE)
@endpoint("evaluations", path=s.monitor_path, responses={200: s.monitor, 404: schemas.error})
def get_monitor(project_id: str, path: dict[str, Any]):
    return answer(store().get_monitor(project_id, path["monitor_id"]), path["monitor_id"])


@blueprint.patch(ONE)
@endpoint("evaluations", path=s.monitor_path, body=s.monitor_update,
          responses={200: s.monitor, 404: schemas.error})
def update_monitor(project_id: str, path: dict[str, Any], body: dict[str, Any]):
    monitor_id = path["monitor_id"]
    current = store().get_monitor(project_id, monitor_id)
    if current is None:
        raise monitor_not_found(monitor_id)
    target_type = current["target_type"]
    body = {k: v for k, v in body.items() if not (v is None and k in NOT_NULL + ("metrics",))}
    changes: dict[str, Any] = {}
    stored_weights = current["filters"].get("signal_weights")
    weights = stored_weights
    if "signal_weights" in body:
        if target_type == "TRACE":
            if body["signal_weights"]:
                raise ApiError(422, "signal_weights is only valid for SESSION monitors.")
        else:
            weights = body["signal_weights"] or None
    if "metrics" in body:
        check_metrics(target_type, body["metrics"])
        changes["metric_names"] = body["metrics"]
    next_run = None
    if "cadence" in body:
        changes["cadence"] = checked_cadence(body["cadence"])
        next_run = scheduled(changes["cadence"])
    filters = current["filters"]
    if "filters" in body:
        check_filters(target_type, body["filters"])
        filters = dict(body["filters"])
    else:
        filters = {k: v for k, v in filters.items() if k != "signal_weights"}
    if "filters" in body or weights != stored_weights:
        if target_type == "SESSION" and weights:
            filters["signal_weights"] = weights
        changes["filters"] = filters
    for key in ("name", "sampling_rate", "model", "only_if_changed"):
        if key in body:
            changes[key] = float(body[key]) if key == "sampling_rate" else body[key]
    return answer(store().update_monitor(project_id, monitor_id, changes, next_run), monitor_id)


@blueprint.delete(ONE)
@endpoint("evaluations", path=s.monitor_path, responses={204: None, 404: schemas.error})
def delete_monitor(project_id: str, path: dict[str, Any]):
    if not store().delete_monitor(project_id, path["monitor_id"]):
        raise monitor_not_found(path["monitor_id"])
    return no_content()


@blueprint.post(ONE + "/pause")
@endpoint("evaluations", path=s.monitor_path, responses={200: s.monitor, 404: schemas.error})
def pause_monitor(project_id: str, path: dict[str, Any]):
    monitor_id = path["monitor_id"]
    current = store().get_monitor(project_id, monitor_id)
    if current is None or current["status"] == "PAUSED":
        return answer(current, monitor_id)
    return answer(store().update_monitor(project_id, monitor_id,
                                         {"status": "PAUSED", "next_run_at": None}), monitor_id)


@blueprint.post(ONE + "/resume")
@endpoint("evaluations", path=s.monitor_path, responses={200: s.monitor, 404: schemas.error})
def resume_monitor(project_id: str, path: dict[str, Any]):
    monitor_id = path["monitor_id"]
    current = store().get_monitor(project_id, monitor_id)
    if current is None or current["status"] == "ACTIVE":
        return answer(current, monitor_id)
    return answer(store().update_monitor(project_id, monitor_id, {"status": "ACTIVE"},
                                         scheduled(current["cadence"])), monitor_id)


@blueprint.post(ONE + "/trigger")
@endpoint("evaluations", path=s.monitor_path, responses={202: run_schemas.eval_run, 404: schemas.error})
def trigger_monitor(project_id: str, path: dict[str, Any]):
    """Run the monitor now, whatever its status and only_if_changed (a PAUSED one stays PAUSED
    but gets a next_run_at, as upstream)."""
    monitor_id = path["monitor_id"]
    monitor = store().get_monitor(project_id, monitor_id)
    if monitor is None:
        raise monitor_not_found(monitor_id)
    targets = scheduler.targets_of(store(), monitor, {})
    if not targets:
        kind = "sessions" if monitor["target_type"] == "SESSION" else "traces"
        raise ApiError(422, f"No {kind} match the monitor's filters.")
    run = scheduler.spawn(store(), monitor, store().clock.now(), targets)
    store().update_monitor(project_id, monitor_id, {"last_run_at": run["created_at"], "last_run_id": run["id"]},
                           scheduled(monitor["cadence"]))
    return created(run)


@blueprint.get(ONE + "/runs")
@endpoint("evaluations", path=s.monitor_path, query=s.page_query,
          responses={200: s.run_page, 404: schemas.error})
def list_monitor_runs(project_id: str, path: dict[str, Any], query: dict[str, Any]):
    if store().get_monitor(project_id, path["monitor_id"]) is None:
        raise monitor_not_found(path["monitor_id"])
    items, total = store().monitor_runs(project_id, path["monitor_id"], query["limit"], query["offset"])
    return page_response(s.run_page, items, total, query["limit"], query["offset"])
