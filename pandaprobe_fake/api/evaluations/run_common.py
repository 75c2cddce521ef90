"""What the run routes share (trace_runs.py, session_runs.py, and monitors spawning runs in
monitors.py / scheduler.py): creating a PENDING run timed by the judge's delay, upstream's two
samplings, reading a run's date filters, and the run routes' answers: a page of one target type's
runs, a run or its 404, the 204 of a delete, the 202 of a new run."""

from __future__ import annotations

import random
import uuid
from typing import Any

from marshmallow import ValidationError

from pandaprobe_fake import runner
from pandaprobe_fake.api.evaluations import run_schemas
from pandaprobe_fake.fake.state import state
from pandaprobe_fake.fields import parse_datetime
from pandaprobe_fake.web import ApiError, json_response, no_content, page_response, store


def run_not_found(run_id: str) -> ApiError:
    return ApiError(404, f"Eval run {run_id} not found.")


def existing_run(project_id: str, run_id: str) -> dict[str, Any]:
    """The project's run of that id (of either target type), or its 404."""
    run = store().get_run(project_id, run_id)
    if run is None:
        raise run_not_found(run_id)
    return run


def run_page(project_id: str, target_type: str, query: dict[str, Any]):
    """GET /evaluations/{trace,session}-runs: a page of the project's runs of one target type."""
    items, total = store().list_runs(project_id, {"target_type": target_type, "status": query.get("status")},
                                     query["limit"], query["offset"])
    return page_response(run_schemas.eval_run_page, items, total, query["limit"], query["offset"])


def deleted_run(project_id: str, run_id: str, delete_scores: bool):
    """DELETE .../{run_id}: 204, or the 404 of a run the project does not have."""
    if not store().delete_run(project_id, run_id, delete_scores):
        raise run_not_found(run_id)
    return no_content()


def new_run(project_id: str, *, name: str | None, metrics: list[str], targets: list[str],
            filters: dict[str, Any], sampling_rate: float, model: str | None,
            target_type: str = "TRACE", pairs: list | None = None, monitor_id: str | None = None,
            at: int | None = None) -> dict[str, Any]:
    """Create a PENDING run, timed by the judge's delay from `at` (default: now); returns it."""
    judge = state().judge
    now = store().clock.now() if at is None else at
    running_at, due_at = runner.timing(now, judge.run_delay(metrics))
    return store().create_run({
        "id": str(uuid.uuid4()), "name": name, "status": "PENDING", "metric_names": metrics,
        "total_targets": len(targets), "evaluated_count": 0, "failed_count": 0,
        "created_at": now, "completed_at": None, "project_id": project_id,
        "target_type": target_type, "filters": filters, "sampling_rate": float(sampling_rate),
        "model": model, "monitor_id": monitor_id, "error_message": None, "targets": targets,
        "pairs": pairs, "running_at": running_at, "due_at": due_at})


def retried_run(project_id: str, original: dict[str, Any], pairs: list[tuple[str, str]],
                target_type: str):
    """POST /evaluations/{trace|session}-runs/{run_id}/retry: a new PENDING run of the route's
    `target_type` over the original's failed (target, metric) pairs only (BEHAVIOR.md), or 422
    when none failed.  A session retry keeps the original's signal_weights."""
    if not pairs:
        raise ApiError(422, "No failed scores to retry in this run.")
    targets = list(dict.fromkeys(target for target, _ in pairs))
    filters = {"retry_of": original["id"],
               "trace_ids" if target_type == "TRACE" else "session_ids": targets}
    weights = original["filters"].get("signal_weights")
    if target_type == "SESSION" and weights is not None:
        filters["signal_weights"] = weights
    return created(new_run(
        project_id, name=f"Retry: {original['name'] or original['id']}",
        metrics=sorted({metric for _, metric in pairs}), targets=targets, filters=filters,
        sampling_rate=1.0, model=original["model"], target_type=target_type,
        pairs=[list(p) for p in dict.fromkeys(pairs)]))


def created(run: dict[str, Any]):
    return json_response(run_schemas.eval_run.dump(run), 202)


def sample(items: list[str], rate: float, *, at_least_one: bool = False,
           rng: random.Random | None = None) -> list[str]:
    """Upstream's sampling, keeping the storage order.  Direct runs: n = int(count x rate), at
    least 1 above 0, rate 0 gives none.  Monitor runs (`at_least_one`): max(1, int(count x
    rate)), so rate 0 still gives one.  Seeded by --seed when given (or by `rng`)."""
    if rate >= 1.0 or not items:
        return items
    n = int(len(items) * rate)
    if rate > 0 or at_least_one:
        n = max(1, n)
    if rng is None:
        rng = random.Random(state().seed) if state().seed is not None else random.Random()
    chosen = sorted(rng.sample(range(len(items)), n))
    return [items[i] for i in chosen]


def date_query(filters: dict[str, Any]) -> dict[str, Any]:
    """A run's filters with `date_from`/`date_to` read as ISO 8601 (microseconds); a text that
    is not one is a 422 naming the field (upstream answers 500)."""
    query = dict(filters)
    for key in ("date_from", "date_to"):
        if query.get(key) is not None:
            try:
                query[key] = parse_datetime(query[key])
            except ValidationError as err:
                raise ApiError(422, f"filters.{key} is not an ISO 8601 datetime: "
                                    f"{err.messages[0]}") from None
    return query
