"""Trace evaluation runs: `/evaluations/trace-runs` (filtered, with sampling), `.../batch`
(explicit trace ids, what SDK 0.6.0 sends), list, read, delete, retry and a run's scores.

A run is created PENDING and moved along the fake's clock by pandaprobe_fake/runner.py, which
this blueprint calls before every request of the app (`advance_runs`); the simulated judge that
scores each (trace, metric) pair is fake/judge.py.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from pandaprobe_fake import catalogue, runner, schemas
from pandaprobe_fake.api.evaluations import run_schemas, scheduler
from pandaprobe_fake.api.evaluations.run_common import (created, date_query, deleted_run, existing_run,
                                                       new_run, retried_run, run_page, sample)
from pandaprobe_fake.fake.state import state
from pandaprobe_fake.store import StoreUnavailable
from pandaprobe_fake.web import ApiError, endpoint, json_response, store

blueprint = Blueprint("trace_runs", __name__)
RUNS = "/evaluations/trace-runs"
NOT_FOUND = {404: schemas.error}


@blueprint.before_app_request
def advance_runs() -> None:
    """Before every request: the monitors whose time has come fire (scheduler.py), then every
    run whose time has come moves on (runner.py).  When the database cannot keep writes (its
    file lost while the fake runs), this housekeeping waits: the request itself is answered --
    /health says unhealthy, a write is refused with its 503 -- rather than every request
    failing here."""
    try:
        the_store = store()
        the_store.notice_other_writes()  # another process's writes may have made something due
        scheduler.fire_due(the_store, state())
        runner.advance(the_store, state().judge)
    except StoreUnavailable:
        pass


def check_metrics(names: list[str]) -> None:
    unknown = catalogue.unknown_trace_metrics(names)
    if unknown:
        raise ApiError(422, f"Unknown metrics: {', '.join(unknown)}")


@blueprint.post(RUNS)
@endpoint("evaluations", body=run_schemas.create_run, responses={202: run_schemas.eval_run})
def create_eval_run(project_id: str, body: dict[str, Any]):
    check_metrics(body["metrics"])
    filters = {key: value for key, value in body["filters"].items() if value is not None}
    query = date_query(filters)
    matching = store().matching_trace_ids(project_id, query)
    if not matching:
        raise ApiError(422, "No traces match the provided filters.")
    targets = sample(matching, body["sampling_rate"])
    return created(new_run(project_id, name=body["name"], metrics=body["metrics"], targets=targets,
                           filters=filters, sampling_rate=body["sampling_rate"],
                           model=catalogue.resolve_model(body["model"])))


@blueprint.post(RUNS + "/batch")
@endpoint("evaluations", body=run_schemas.create_batch_run, responses={202: run_schemas.eval_run})
def create_batch_eval_run(project_id: str, body: dict[str, Any]):
    check_metrics(body["metrics"])
    targets = list(dict.fromkeys(body["trace_ids"]))
    return created(new_run(project_id, name=body["name"], metrics=body["metrics"], targets=targets,
                           filters={"trace_ids": targets}, sampling_rate=1.0,
                           model=catalogue.resolve_model(body["model"])))


@blueprint.get(RUNS)
@endpoint("evaluations", query=run_schemas.run_list_query, responses={200: run_schemas.eval_run_page})
def list_eval_runs(project_id: str, query: dict[str, Any]):
    return run_page(project_id, "TRACE", query)


@blueprint.get(RUNS + "/<run_id>")
@endpoint("evaluations", path=run_schemas.run_id_path, responses={200: run_schemas.eval_run, **NOT_FOUND})
def get_eval_run(project_id: str, path: dict[str, Any]):
    return json_response(run_schemas.eval_run.dump(existing_run(project_id, path["run_id"])))


@blueprint.delete(RUNS + "/<run_id>")
@endpoint("evaluations", path=run_schemas.run_id_path, query=run_schemas.delete_run_query,
          responses={204: None, **NOT_FOUND})
def delete_eval_run(project_id: str, path: dict[str, Any], query: dict[str, Any]):
    return deleted_run(project_id, path["run_id"], query["delete_scores"])


@blueprint.post(RUNS + "/<run_id>/retry")
@endpoint("evaluations", path=run_schemas.run_id_path, responses={202: run_schemas.eval_run, **NOT_FOUND})
def retry_failed_eval_run(project_id: str, path: dict[str, Any]):
    original = existing_run(project_id, path["run_id"])
    return retried_run(project_id, original, store().failed_pairs(project_id, original["id"]), "TRACE")


@blueprint.get(RUNS + "/<run_id>/scores")
@endpoint("evaluations", path=run_schemas.run_id_path, responses={200: schemas.trace_scores})
def get_scores_for_run(project_id: str, path: dict[str, Any]):
    return json_response(schemas.trace_scores.dump(store().run_scores(project_id, path["run_id"])))
