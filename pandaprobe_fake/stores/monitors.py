"""SQLite storage of evaluation monitors (/evaluations/monitors): a stored run configuration and
a cadence.  `MonitorStore` is a mixin of store.Store; it takes and returns plain dicts (times in
microseconds, `metric_names` a list, `filters` an object, `only_if_changed` a bool).

The runs a monitor spawns live in the runs table of the evaluation-run routes; `monitor_runs`
is the one seam between the two (see there).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from pandaprobe_fake.jsonio import read_json
from pandaprobe_fake.stores.traces import _json

MONITOR_SCHEMA = """
CREATE TABLE IF NOT EXISTS monitors (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    project_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    target_type      TEXT NOT NULL,
    metric_names     TEXT NOT NULL,
    filters          TEXT NOT NULL DEFAULT '{}',
    sampling_rate    REAL NOT NULL,
    model            TEXT,
    cadence          TEXT NOT NULL,
    only_if_changed  INTEGER NOT NULL,
    status           TEXT NOT NULL,
    last_run_at      INTEGER,
    last_run_id      TEXT,
    next_run_at      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_monitors_project_created ON monitors (project_id, created_at, seq);
-- the monitors that are due, whatever their project
CREATE INDEX IF NOT EXISTS ix_monitors_due ON monitors (status, next_run_at);
"""

MONITOR_COLUMNS = ("id", "project_id", "name", "target_type", "metric_names", "filters",
                   "sampling_rate", "model", "cadence", "only_if_changed", "status", "last_run_at",
                   "last_run_id", "next_run_at", "created_at", "updated_at")
_SELECT = "SELECT " + ", ".join(MONITOR_COLUMNS) + " FROM monitors"
_JSON = ("metric_names", "filters")


def _monitor(row: tuple) -> dict[str, Any]:
    monitor = dict(zip(MONITOR_COLUMNS, row))
    for column in _JSON:
        monitor[column] = read_json(monitor[column])
    monitor["only_if_changed"] = bool(monitor["only_if_changed"])
    return monitor


def _encoded(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for column in _JSON:
        if column in out:
            out[column] = _json(out[column])
    if "only_if_changed" in out:
        out["only_if_changed"] = int(bool(out["only_if_changed"]))
    return out


class MonitorStore:
    """The monitor queries of store.Store."""

    def create_monitor(self, project_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Insert a monitor: `fields` holds name, target_type, metric_names, filters,
        sampling_rate, model, cadence, only_if_changed, status and next_run_at (or a function
        of the creation time giving it, `next_run`); the rest is filled in here."""
        with self.write(known=True) as conn:
            now = self.clock.now()
            fields = dict(fields)
            next_run = fields.pop("next_run", None)
            monitor = {"id": str(uuid.uuid4()), "project_id": project_id, "status": "ACTIVE",
                       "last_run_at": None, "last_run_id": None, "next_run_at": None,
                       "created_at": now, "updated_at": now, **fields}
            if next_run is not None:
                monitor["next_run_at"] = next_run(now)
            self._insert_monitors(conn, [monitor])
        return self.get_monitor(project_id, monitor["id"])

    @staticmethod
    def _insert_monitors(conn: sqlite3.Connection, monitors: list[dict[str, Any]]) -> None:
        conn.executemany(
            f"INSERT INTO monitors ({', '.join(MONITOR_COLUMNS)}) "
            f"VALUES ({', '.join(':' + c for c in MONITOR_COLUMNS)})",
            [_encoded(m) for m in monitors])

    def get_monitor(self, project_id: str, monitor_id: str) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(f"{_SELECT} WHERE id = ? AND project_id = ?",
                               (monitor_id, project_id)).fetchone()
        return _monitor(row) if row else None

    def list_monitors(self, project_id: str, status: str | None, limit: int,
                      offset: int) -> tuple[list[dict[str, Any]], int]:
        where, params = "project_id = ?", [project_id]
        if status is not None:
            where += " AND status = ?"
            params.append(status)
        with self.read() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM monitors WHERE {where}", params).fetchone()[0]
            rows = conn.execute(f"{_SELECT} WHERE {where} ORDER BY created_at DESC, seq DESC"
                                f" LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall() \
                if offset < total else []
        return [_monitor(r) for r in rows], total

    def update_monitor(self, project_id: str, monitor_id: str, changes: dict[str, Any],
                       next_run: Any = None) -> dict[str, Any] | None:
        """Apply `changes` (columns -> values) and, when anything changes, stamp updated_at;
        `next_run`, a function of now, recomputes next_run_at.  None if there is no such monitor."""
        with self.write(known=True) as conn:
            if conn.execute("SELECT 1 FROM monitors WHERE id = ? AND project_id = ?",
                            (monitor_id, project_id)).fetchone() is None:
                return None
            now = self.clock.now()
            changes = dict(changes)
            if next_run is not None:
                changes["next_run_at"] = next_run(now)
            if changes:
                changes["updated_at"] = now
                encoded = _encoded(changes)
                assignments = ", ".join(f"{column} = :{column}" for column in encoded)
                conn.execute(f"UPDATE monitors SET {assignments} WHERE id = :_id AND project_id = :_project",
                             {**encoded, "_id": monitor_id, "_project": project_id})
        return self.get_monitor(project_id, monitor_id)

    def delete_monitor(self, project_id: str, monitor_id: str) -> bool:
        """Delete a monitor; the runs it spawned stay, with monitor_id null (the run store's
        `_detach_monitor_runs`, in the same transaction)."""
        with self.write(known=True) as conn:
            gone = conn.execute("DELETE FROM monitors WHERE id = ? AND project_id = ?",
                                (monitor_id, project_id)).rowcount > 0
            if gone:
                self._detach_monitor_runs(conn, monitor_id)
        return gone

    def monitor_runs(self, project_id: str, monitor_id: str, limit: int,
                     offset: int) -> tuple[list[dict[str, Any]], int]:
        """The runs a monitor spawned, newest first (the run store's list)."""
        return self.list_runs(project_id, {"monitor_id": monitor_id}, limit, offset)

    # -- the scheduler's side (api/evaluations/scheduler.py) ---------------------------------

    def next_monitor_due(self) -> int | None:
        """The earliest next_run_at of an ACTIVE monitor, any project (ix_monitors_due).
        Asked before every request: remembered until what is due may have moved
        (Store.remembered_due)."""
        return self.remembered_due("monitors", "SELECT MIN(next_run_at) FROM monitors "
                                               "WHERE status = 'ACTIVE' AND next_run_at IS NOT NULL")

    def due_monitors(self, now: int) -> list[dict[str, Any]]:
        """The ACTIVE monitors whose next_run_at is at or before `now`, earliest first."""
        with self.read() as conn:
            return [_monitor(r) for r in conn.execute(
                f"{_SELECT} WHERE status = 'ACTIVE' AND next_run_at <= ? ORDER BY next_run_at, seq",
                (now,)).fetchall()]

    def set_monitor_schedule(self, monitor_id: str, changes: dict[str, Any]) -> None:
        """Write what firing changed (next_run_at, last_run_at, last_run_id, updated_at)."""
        assignments = ", ".join(f"{column} = ?" for column in changes)
        with self.write(known=True) as conn:
            conn.execute(f"UPDATE monitors SET {assignments} WHERE id = ?", (*changes.values(), monitor_id))

    def dump_monitors(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            return [_monitor(r) for r in conn.execute(f"{_SELECT} ORDER BY created_at, seq").fetchall()]
