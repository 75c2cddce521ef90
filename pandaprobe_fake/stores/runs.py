"""SQLite storage of evaluation runs: the part of the store behind /evaluations/trace-runs
and /evaluations/session-runs (one table for both, told apart by `target_type`), and the
look-ups a run's execution needs (its targets, a session's traces, the signals they hold).

`RunStore` is a mixin of store.Store.  Besides the 16 keys of the run object a run keeps what
executing it needs: its `targets` (trace or session ids, in order), the (target, metric)
`pairs` a retry re-runs (null: every pair), and the fake-clock times it moves at (`running_at`
PENDING -> RUNNING, `due_at` RUNNING -> done).  The runner (pandaprobe_fake/runner.py) moves
runs along; the store only reads and writes them.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable

from pandaprobe_fake.stores import UnknownFilter
from pandaprobe_fake.stores.scores import SELECT_SCORE_ROWS, ScoreRow
from pandaprobe_fake.stores.traces import SPAN_COLUMNS, SPAN_JSON, TRACE_COLUMNS, TRACE_JSON, _json
from pandaprobe_fake.stores.traces import row_dict as _row

RUN_SCHEMA = """
CREATE TABLE IF NOT EXISTS eval_runs (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    project_id       TEXT NOT NULL,
    name             TEXT,
    status           TEXT NOT NULL,
    metric_names     TEXT NOT NULL,
    total_targets    INTEGER NOT NULL,
    evaluated_count  INTEGER NOT NULL DEFAULT 0,
    failed_count     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    completed_at     INTEGER,
    target_type      TEXT NOT NULL,
    filters          TEXT NOT NULL DEFAULT '{}',
    sampling_rate    REAL NOT NULL DEFAULT 1.0,
    model            TEXT,
    monitor_id       TEXT,
    error_message    TEXT,
    targets          TEXT NOT NULL DEFAULT '[]',
    pairs            TEXT,
    running_at       INTEGER,
    due_at           INTEGER
);
CREATE INDEX IF NOT EXISTS ix_runs_project_type_created ON eval_runs (project_id, target_type, created_at);
-- the runner's look-up of unfinished runs
CREATE INDEX IF NOT EXISTS ix_runs_status ON eval_runs (status, due_at);
"""

# The run object's keys, in the order of the API's EvalRunResponse, then the runner's own.
RUN_KEYS = ("id", "name", "status", "metric_names", "total_targets", "evaluated_count",
            "failed_count", "created_at", "completed_at", "project_id", "target_type", "filters",
            "sampling_rate", "model", "monitor_id", "error_message")
RUN_COLUMNS = RUN_KEYS + ("targets", "pairs", "running_at", "due_at")
RUN_JSON = ("metric_names", "filters", "targets", "pairs")
RUN_FILTERS = ("target_type", "status", "monitor_id")  # what list_runs filters on
UNFINISHED = ("PENDING", "RUNNING")
MAX_COUNT = 1 << 62  # a count no session reaches, inside SQLite's integers


class RunStore:
    """The evaluation-run queries of store.Store."""

    def _run(self, cur: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
        return self._decode(_row(cur, row), RUN_JSON)

    @staticmethod
    def _insert_runs(conn: sqlite3.Connection, runs: Iterable[dict[str, Any]]) -> None:
        rows = [[_json(run[c]) if c in RUN_JSON and not isinstance(run[c], str) and run[c] is not None
                 else run[c] for c in RUN_COLUMNS] for run in runs]
        conn.executemany(f"INSERT INTO eval_runs ({', '.join(RUN_COLUMNS)}) "
                         f"VALUES ({', '.join('?' * len(RUN_COLUMNS))})", rows)

    def create_run(self, run: dict[str, Any]) -> dict[str, Any]:
        """Insert a run (every key of RUN_COLUMNS); returns it."""
        with self.write() as conn:
            self._insert_runs(conn, [run])
        return run

    def get_run(self, project_id: str, run_id: str) -> dict[str, Any] | None:
        with self.read() as conn:
            cur = conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM eval_runs "
                               f"WHERE id = ? AND project_id = ?", (run_id, project_id))
            row = cur.fetchone()
            return self._run(cur, row) if row else None

    def list_runs(self, project_id: str, filters: dict[str, Any], limit: int,
                  offset: int) -> tuple[list[dict[str, Any]], int]:
        """Newest first; `filters` of RUN_FILTERS (None: no filter).  A filter this store does
        not know is an UnknownFilter."""
        unknown = sorted(set(filters) - set(RUN_FILTERS))
        if unknown:
            raise UnknownFilter(f"the run list has no filter {', '.join(unknown)}")
        where, params = "project_id = ?", [project_id]
        for column in RUN_FILTERS:
            if filters.get(column) is not None:
                where += f" AND {column} = ?"
                params.append(filters[column])
        with self.read() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM eval_runs WHERE {where}", params).fetchone()[0]
            if offset >= total:
                return [], total
            cur = conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM eval_runs WHERE {where} "
                               f"ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?",
                               (*params, limit, offset))
            return [self._run(cur, r) for r in cur.fetchall()], total

    def delete_run(self, project_id: str, run_id: str, delete_scores: bool) -> bool:
        """Remove a run; its trace and session scores go too (`delete_scores`) or stay
        without a run."""
        with self.write() as conn:
            cur = conn.execute("DELETE FROM eval_runs WHERE id = ? AND project_id = ?",
                               (run_id, project_id))
            if cur.rowcount == 0:
                return False
            for table in ("trace_scores", "session_scores"):
                if delete_scores:
                    conn.execute(f"DELETE FROM {table} WHERE project_id = ? AND eval_run_id = ?",
                                 (project_id, run_id))
                else:
                    conn.execute(f"UPDATE {table} SET eval_run_id = NULL "
                                 f"WHERE project_id = ? AND eval_run_id = ?", (project_id, run_id))
            conn.execute("UPDATE monitors SET last_run_id = NULL WHERE project_id = ? AND last_run_id = ?",
                         (project_id, run_id))
            return True

    @staticmethod
    def _detach_monitor_runs(conn: sqlite3.Connection, monitor_id: str) -> None:
        """A deleted monitor's runs stay, with monitor_id null (BEHAVIOR.md)."""
        conn.execute("UPDATE eval_runs SET monitor_id = NULL WHERE monitor_id = ?", (monitor_id,))

    def run_scores(self, project_id: str, run_id: str) -> list[ScoreRow]:
        """The trace scores a run wrote, newest first (last target, last metric first)."""
        with self.read() as conn:
            rows = conn.execute(f"{SELECT_SCORE_ROWS} WHERE project_id = ? AND eval_run_id = ? "
                                f"ORDER BY created_at DESC, seq DESC", (project_id, run_id)).fetchall()
        return list(map(ScoreRow, rows))

    def failed_pairs(self, project_id: str, run_id: str) -> list[tuple[str, str]]:
        """(trace id, metric) of a run's FAILED scores, in the order they were written."""
        with self.read() as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT trace_id, name FROM trace_scores WHERE project_id = ? AND eval_run_id = ? "
                "AND status = 'FAILED' ORDER BY created_at, seq", (project_id, run_id))]

    def failed_session_pairs(self, project_id: str, run_id: str) -> list[tuple[str, str]]:
        """(session id, metric) of a run's FAILED session scores, in the order they were written."""
        with self.read() as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT session_id, name FROM session_scores WHERE project_id = ? AND eval_run_id = ? "
                "AND status = 'FAILED' ORDER BY created_at, seq", (project_id, run_id))]

    def matching_trace_ids(self, project_id: str, filters: dict[str, Any]) -> list[str]:
        """The ids of the project's traces that match a run's filters, in insertion order."""
        clauses, params = ["project_id = ?"], [project_id]
        for key in ("status", "session_id", "user_id"):
            if filters.get(key) is not None:
                clauses.append(f"{key} = ?")
                params.append(filters[key])
        if filters.get("name") is not None:  # case-insensitive substring, % and _ literal
            clauses.append("instr(py_lower(name), py_lower(?)) > 0")
            params.append(filters["name"])
        if filters.get("tags"):  # one parameter, whatever the number of tags
            clauses.append("EXISTS (SELECT 1 FROM json_each(traces.tags) WHERE value IN "
                           "(SELECT value FROM json_each(?)))")
            params.append(_json(list(filters["tags"])))
        if filters.get("date_from") is not None:
            clauses.append("started_at >= ?")
            params.append(filters["date_from"])
        if filters.get("date_to") is not None:
            clauses.append("started_at < ?")
            params.append(filters["date_to"])
        if filters.get("ingested_before") is not None:  # a monitor's run at a past due time
            clauses.append("created_at < ?")
            params.append(filters["ingested_before"])
        if filters.get("ingested_since") is not None:  # a monitor's only_if_changed
            clauses.append("created_at >= ?")
            params.append(filters["ingested_since"])
        with self.read() as conn:
            return [r[0] for r in conn.execute(
                f"SELECT trace_id FROM traces WHERE {' AND '.join(clauses)} ORDER BY seq", params)]

    def matching_session_ids(self, project_id: str, filters: dict[str, Any]) -> list[str]:
        """The session ids of a session run's filters: `date_from`/`date_to` (on started_at),
        `user_id`, `tags` (any of) and `ingested_before`/`ingested_since` select traces with a session; then
        `has_error` (a selected trace in ERROR) and `min_trace_count` (selected traces) apply
        per session.  In the order each session's first trace was stored."""
        clauses, params = ["project_id = ?", "session_id IS NOT NULL"], [project_id]
        if filters.get("user_id") is not None:
            clauses.append("user_id = ?")
            params.append(filters["user_id"])
        if filters.get("tags"):  # one parameter, whatever the number of tags
            clauses.append("EXISTS (SELECT 1 FROM json_each(traces.tags) WHERE value IN "
                           "(SELECT value FROM json_each(?)))")
            params.append(_json(list(filters["tags"])))
        for key, condition in (("date_from", "started_at >= ?"), ("date_to", "started_at < ?"),
                               ("ingested_before", "created_at < ?"),
                               ("ingested_since", "created_at >= ?")):
            if filters.get(key) is not None:
                clauses.append(condition)
                params.append(filters[key])
        having, having_params = [], []
        if filters.get("has_error") is not None:
            having.append("MAX(status = 'ERROR') = ?")
            having_params.append(int(bool(filters["has_error"])))
        if filters.get("min_trace_count") is not None:
            having.append("COUNT(*) >= ?")
            having_params.append(min(filters["min_trace_count"], MAX_COUNT))  # past SQLite's integers
        having_sql = f" HAVING {' AND '.join(having)}" if having else ""
        with self.read() as conn:
            return [r[0] for r in conn.execute(
                f"SELECT session_id FROM traces WHERE {' AND '.join(clauses)} GROUP BY session_id"
                f"{having_sql} ORDER BY MIN(seq)", (*params, *having_params))]

    def session_trace_ids(self, project_id: str, session_ids: list[str]) -> dict[str, list[str]]:
        """The trace ids of each of these sessions the project holds, by start time."""
        out: dict[str, list[str]] = {}
        with self.read() as conn:
            for start in range(0, len(session_ids), 500):
                chunk = session_ids[start:start + 500]
                for session_id, trace_id in conn.execute(
                        f"SELECT session_id, trace_id FROM traces WHERE project_id = ? AND session_id "
                        f"IN ({', '.join('?' * len(chunk))}) ORDER BY started_at, seq", (project_id, *chunk)):
                    out.setdefault(session_id, []).append(trace_id)
        return out

    def signal_values(self, project_id: str, trace_ids: list[str],
                      names: tuple[str, ...]) -> dict[str, dict[str, float]]:
        """Per trace, the value of its newest SUCCESS trace score with a numeric value of each
        of `names` (any source, any run)."""
        out: dict[str, dict[str, float]] = {}
        name_marks = ", ".join("?" * len(names))
        with self.read() as conn:
            for start in range(0, len(trace_ids), 500):
                chunk = trace_ids[start:start + 500]
                for trace_id, name, num in conn.execute(
                        f"SELECT trace_id, name, num FROM trace_scores WHERE project_id = ? AND trace_id "
                        f"IN ({', '.join('?' * len(chunk))}) AND name IN ({name_marks}) "
                        f"AND status = 'SUCCESS' AND num IS NOT NULL ORDER BY created_at, seq",
                        (project_id, *chunk, *names)):
                    out.setdefault(trace_id, {})[name] = num  # oldest first: the newest wins
        return out

    def traces_with_spans(self, project_id: str, trace_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The traces of these ids that the project holds, each with its `spans` (by start)."""
        found: dict[str, dict[str, Any]] = {}
        with self.read() as conn:
            for start in range(0, len(trace_ids), 500):
                chunk = trace_ids[start:start + 500]
                marks = ", ".join("?" * len(chunk))
                cur = conn.execute(f"SELECT {', '.join(TRACE_COLUMNS)} FROM traces "
                                   f"WHERE project_id = ? AND trace_id IN ({marks})", (project_id, *chunk))
                for row in cur.fetchall():
                    trace = self._decode(_row(cur, row), TRACE_JSON)
                    trace["spans"] = []
                    found[trace["trace_id"]] = trace
                cur = conn.execute(f"SELECT {', '.join(SPAN_COLUMNS)} FROM spans WHERE project_id = ? "
                                   f"AND trace_id IN ({marks}) ORDER BY started_at, seq",
                                   (project_id, *chunk))
                for row in cur.fetchall():
                    span = self._decode(_row(cur, row), SPAN_JSON)
                    found[span["trace_id"]]["spans"].append(span)
        return found

    # -- the runner's side ------------------------------------------------------------------

    def next_due(self) -> int | None:
        """The earliest fake-clock time at which an unfinished run moves on, or None.  Asked
        before every request: remembered until what is due may have moved (Store.remembered_due)."""
        return self.remembered_due("runs", "SELECT MIN(CASE status WHEN 'PENDING' THEN running_at "
                                           "ELSE due_at END) FROM eval_runs WHERE status IN ('PENDING', 'RUNNING')")

    def unfinished_runs(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            cur = conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM eval_runs "
                               f"WHERE status IN ('PENDING', 'RUNNING') ORDER BY due_at, seq")
            return [self._run(cur, r) for r in cur.fetchall()]

    def mark_running(self, run_id: str) -> bool:
        with self.write() as conn:
            return conn.execute("UPDATE eval_runs SET status = 'RUNNING' "
                                "WHERE id = ? AND status = 'PENDING'", (run_id,)).rowcount > 0

    def finish_run(self, run_id: str, changes: dict[str, Any], scores: list[dict[str, Any]],
                   session_scores: list[dict[str, Any]] = ()) -> bool:
        """Complete (or fail) an unfinished run with its trace (and session) scores, in one
        transaction; False when the run is gone or already finished (another request finished
        it first)."""
        with self.write() as conn:
            row = conn.execute("SELECT project_id FROM eval_runs WHERE id = ? AND status IN "
                               "('PENDING', 'RUNNING')", (run_id,)).fetchone()
            if row is None:
                return False
            for table in ("trace_scores", "session_scores"):
                conn.execute(f"DELETE FROM {table} WHERE project_id = ? AND eval_run_id = ?",
                             (row[0], run_id))
            self._insert_scores(conn, scores)
            if session_scores:
                self._insert_session_scores(conn, session_scores, changes["completed_at"])
            assignments = ", ".join(f"{column} = ?" for column in changes)
            conn.execute(f"UPDATE eval_runs SET {assignments} WHERE id = ?",
                         (*changes.values(), run_id))
            return True

    def _first_taken_run_id(self, ids: list[str]) -> str | None:
        with self.read() as conn:
            for run_id in ids:
                if conn.execute("SELECT 1 FROM eval_runs WHERE id = ?", (run_id,)).fetchone():
                    return run_id
        return None

    def dump_runs(self, conn: sqlite3.Connection) -> list[dict[str, Any]]:
        cur = conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM eval_runs ORDER BY created_at, seq")
        return [self._run(cur, r) for r in cur.fetchall()]
