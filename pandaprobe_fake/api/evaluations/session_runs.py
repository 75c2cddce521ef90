"""Session evaluation runs: `/evaluations/session-runs` (filtered, with sampling), `.../batch`
(explicit session ids), list, read, delete, retry and a run's session scores.  The runs live in
the trace runs' table (target_type SESSION) and move along the fake's clock the same way
(runner.py); executing one is session_runner.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from pandaprobe_fake import catalogue, schemas
from pandaprobe_fake.api.evaluations import run_schemas, session_score_schemas
from pandaprobe_fake.api.evaluations import session_run_schemas as s
from pandaprobe_fake.api.evaluations.run_common import (created, date_query, deleted_run, existing_run,
                                                       new_run, retried_run, run_page, sample)
from pandaprobe_fake.web import ApiError, endpoint, json_response, store

blueprint = Blueprint("session_runs", __name__)
RUNS = "/evaluations/session-runs"
NOT_FOUND = {404: schemas.error}


def check_session_metrics(names: list[str]) -> None:
    unknown = [name for name in names if name not in catalogue.SESSION_METRICS]
    if unknown:
        raise ApiError(422, f"Unknown session metrics: {', '.join(unknown)}")


def with_weights(filters: dict[str, Any], weights: dict[str, float] | None) -> dict[str, Any]:
    return {**filters, "signal_weights": weights} if weights is not None else filters


@blueprint.post(RUNS)
@endpoint("evaluations", body=s.create_session_run, responses={202: run_schemas.eval_run})
def create_session_eval_run(project_id: str, body: dict[str, Any]):
    check_session_metrics(body["metrics"])
    filters = {key: value for key, value in body["filters"].items() if value is not None}
    matching = store().matching_session_ids(project_id, date_query(filters))
    if not matching:
        raise ApiError(422, "No sessions match the provided filters.")
    targets = sample(matching, body["sampling_rate"])
    return created(new_run(project_id, name=body["name"], metrics=body["metrics"], targets=targets,
                           filters=with_weights(filters, body["signal_weights"]),
                           sampling_rate=body["sampling_rate"], target_type="SESSION",
                           model=catalogue.resolve_model(body["model"])))


@blueprint.post(RUNS + "/batch")
@endpoint("evaluations", body=s.create_batch_session_run, responses={202: run_schemas.eval_run})
def create_batch_session_eval_run(project_id: str, body: dict[str, Any]):
    check_session_metrics(body["metrics"])
    targets = list(dict.fromkeys(body["session_ids"]))
    return created(new_run(project_id, name=body["name"], metrics=body["metrics"], targets=targets,
                           filters=with_weights({"session_ids": targets}, body["signal_weights"]),
                           sampling_rate=1.0, target_type="SESSION",
                           model=catalogue.resolve_model(body["model"])))


@blueprint.get(RUNS)
@endpoint("evaluations", query=run_schemas.run_list_query, responses={200: run_schemas.eval_run_page})
def list_session_eval_runs(project_id: str, query: dict[str, Any]):
    return run_page(project_id, "SESSION", query)


@blueprint.get(RUNS + "/<run_id>")
@endpoint("evaluations", path=run_schemas.run_id_path, responses={200: run_schemas.eval_run, **NOT_FOUND})
def get_session_eval_run(project_id: str, path: dict[str, Any]):
    return json_response(run_schemas.eval_run.dump(existing_run(project_id, path["run_id"])))  # any run of the project, either kind


@blueprint.delete(RUNS + "/<run_id>")
@endpoint("evaluations", path=run_schemas.run_id_path, query=run_schemas.delete_run_query,
          responses={204: None, **NOT_FOUND})
def delete_session_eval_run(project_id: str, path: dict[str, Any], query: dict[str, Any]):
    return deleted_run(project_id, path["run_id"], query["delete_scores"])


@blueprint.post(RUNS + "/<run_id>/retry")
@endpoint("evaluations", path=run_schemas.run_id_path, responses={202: run_schemas.eval_run, **NOT_FOUND})
def retry_failed_session_eval_run(project_id: str, path: dict[str, Any]):
    original = existing_run(project_id, path["run_id"])
    return retried_run(project_id, original, store().failed_session_pairs(project_id, original["id"]),
                       "SESSION")


@blueprint.get(RUNS + "/<run_id>/scores")
@endpoint("evaluations", path=run_schemas.run_id_path,
          responses={200: session_score_schemas.session_scores})
def get_session_scores_for_run(project_id: str, path: dict[str, Any]):
    return json_response(session_score_schemas.session_scores.dump(
        store().session_scores_of_run(project_id, path["run_id"])))
