"""Monitors on the fake's clock: what upstream's scheduler (Celery beat) does, done lazily.

`fire_due(store, state)` runs before every request (trace_runs.advance_runs, just before the
runner moves runs along).  When the clock has passed an ACTIVE monitor's `next_run_at` (also by
`POST /_fake/clock` advancing it), the monitor fires once per due time, as if the scheduler had
run exactly then: a run created at that time (`[Monitor] <name>`, `monitor_id` set, the
monitor's metrics, filters, sampling and resolved model; targets as the data stood then, i.e.
traces ingested before that time: a request at that clock reading fires the monitor before it
does anything else), then `last_run_at`/`last_run_id` and `next_run_at` = the next
due time after it.  With `only_if_changed` (the default) a scheduled run evaluates only the new
traffic: the traces ingested since the monitor's last run (a SESSION monitor: the sessions that
got one), everything on its first run; without it, every target of its filters.  A due time
with no target spawns nothing (the schedule still moves on).  Catch-up after a
long advance is bounded: at most CATCH_UP (24) due times per monitor fire -- the latest ones --
and the earlier ones are skipped.  Cheap when nothing is due: one indexed MIN() query.

`spawn` is also the trigger route's (monitors.py): the same run, created now.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

from marshmallow import ValidationError

from pandaprobe_fake import catalogue, schemas
from pandaprobe_fake.api.evaluations import cadence as cadences
from pandaprobe_fake.api.evaluations import monitor_schemas as s
from pandaprobe_fake.api.evaluations.run_common import date_query, new_run, sample
from pandaprobe_fake.clock import MAX_MICROS, to_datetime, to_micros
from pandaprobe_fake.schemas import ApiValidationError
from pandaprobe_fake.web import ApiError

CATCH_UP = 24
LAST_SECOND = MAX_MICROS - 999_999  # 9999-12-31T23:59:59


def due_times(cadence: str, first: int, now: int, cap: int = CATCH_UP) -> tuple[list[int], int]:
    """(the due times in [first, now] that fire, oldest first -- at most the latest `cap` --,
    the next due time after now)."""
    if cadence in cadences.INTERVALS:
        step = cadences.INTERVALS[cadence]
        count = (now - first) // step + 1
        return [first + i * step for i in range(max(0, count - cap), count)], first + count * step
    from croniter import croniter  # imported on first use (cadence.py): 8 ms of start-up otherwise

    expression = cadence[len(cadences.CRON):]
    # from a second after now (a match at now included), at most the clock's last whole second
    # (croniter's float timestamps round 23:59:59.999999 of 9999 up into year 10000)
    it = croniter(expression, to_datetime(min(now + 1_000_000, LAST_SECOND)).astimezone(timezone.utc))
    back: list[int] = []
    while len(back) < cap:
        t = to_micros(it.get_prev(datetime))
        if t <= first:
            break
        if t <= now:
            back.append(t)
    if len(back) < cap:
        back.append(first)
    return sorted(back), cadences.next_run(cadence, now)


def readable_filters(monitor: dict[str, Any]) -> dict[str, Any]:
    """The monitor's run filters (without signal_weights and nulls), checked as on create: a
    fixture may have stored filters no run can read -- a 422 naming `filters -> <key>`, never a
    500 (upstream's trigger 500s on them)."""
    schema = s.trace_monitor_filters if monitor["target_type"] == "TRACE" else s.session_monitor_filters
    filters = {k: v for k, v in monitor["filters"].items() if k != "signal_weights" and v is not None}
    try:
        schema.load(filters)
    except ValidationError as err:
        raise ApiValidationError(schemas._flatten({"filters": err.messages}, "")) from None
    return filters


def targets_of(store: Any, monitor: dict[str, Any], extra: dict[str, Any]) -> list[str]:
    """The trace or session ids the monitor's filters select (`extra`: ingestion bounds)."""
    query = {**date_query(readable_filters(monitor)), **extra}
    if monitor["target_type"] == "SESSION":
        return store.matching_session_ids(monitor["project_id"], query)
    return store.matching_trace_ids(monitor["project_id"], query)


def spawn(store: Any, monitor: dict[str, Any], at: int, targets: list[str],
          rng: random.Random | None = None) -> dict[str, Any]:
    """Create the run a monitor spawns at `at` over (a sample of) `targets`."""
    chosen = sample(targets, monitor["sampling_rate"], at_least_one=True, rng=rng)
    return new_run(monitor["project_id"], name=f"[Monitor] {monitor['name']}",
                   metrics=monitor["metric_names"], targets=chosen, filters=monitor["filters"],
                   sampling_rate=monitor["sampling_rate"], model=catalogue.resolve_model(monitor["model"]),
                   target_type=monitor["target_type"], monitor_id=monitor["id"], at=at)


def _new_targets(store: Any, monitor: dict[str, Any], targets: list[str], at: int) -> list[str]:
    """only_if_changed: the targets with something ingested since the monitor's last run (and
    before `at`) -- the traces ingested then, or the sessions that got a trace then."""
    last = monitor["last_run_at"]
    if last is None:
        return targets
    window = {"ingested_since": last, "ingested_before": at}
    if monitor["target_type"] == "TRACE":
        return targets_of(store, monitor, window)
    selecting = {k: v for k, v in monitor["filters"].items() if k not in ("has_error", "min_trace_count")}
    fresh = set(targets_of(store, {**monitor, "filters": selecting}, window))
    return [session_id for session_id in targets if session_id in fresh]


def fire_due(store: Any, state: Any) -> None:
    """Fire every ACTIVE monitor whose next_run_at the clock has passed (see the module)."""
    now = store.clock.now()
    due = store.next_monitor_due()
    if due is None or due > now:
        return
    with state.judge.running:
        for monitor in store.due_monitors(now):
            times, following = due_times(monitor["cadence"], monitor["next_run_at"], now)
            changes: dict[str, Any] = {"next_run_at": following}
            for at in times:
                try:
                    targets = targets_of(store, monitor, {"ingested_before": at})
                except (ApiError, ApiValidationError):  # filters no run can read (a fixture's): skip
                    targets = []
                if monitor["only_if_changed"]:
                    targets = _new_targets(store, monitor, targets, at)
                if not targets:
                    continue
                seed = f"{state.seed}:{monitor['id']}:{at}"
                run = spawn(store, monitor, at, targets, random.Random(seed))
                monitor = {**monitor, "last_run_at": at, "last_run_id": run["id"]}
                changes.update(last_run_at=at, last_run_id=run["id"], updated_at=at)
            store.set_monitor_schedule(monitor["id"], changes)
