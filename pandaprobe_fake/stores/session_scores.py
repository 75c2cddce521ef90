"""SQLite storage of session scores (the session-level scores session runs write) and their
analytics: the part of the store behind /evaluations/session-scores and
/evaluations/analytics/session-scores.

`SessionScoreStore` is a mixin of store.Store.  A session score names its session by
`session_id` (text, not a foreign key: sessions are not stored, and deleting a session's traces
leaves its session scores).  Summary, trend and distribution are the trace-score analytics of
store.Store run over this table (`table=` their argument).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any, Iterable

SESSION_SCORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS session_scores (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    session_id      TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL,
    data_type       TEXT NOT NULL,
    value           TEXT,
    num             REAL,
    source          TEXT NOT NULL,
    status          TEXT NOT NULL,
    eval_run_id     TEXT,
    author_user_id  TEXT,
    reason          TEXT,
    metadata        TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- newest-first listing of a project
CREATE INDEX IF NOT EXISTS ix_session_scores_project_created
    ON session_scores (project_id, created_at, seq);
-- a session's scores, its history
CREATE INDEX IF NOT EXISTS ix_session_scores_project_session
    ON session_scores (project_id, session_id, created_at);
-- summary, trend, distribution and comparison, from the index alone
CREATE INDEX IF NOT EXISTS ix_session_scores_analytics
    ON session_scores (project_id, name, status, data_type, num, created_at);
-- the newest score of each session for a metric (comparison), in index order
CREATE INDEX IF NOT EXISTS ix_session_scores_latest
    ON session_scores (project_id, name, status, data_type, session_id, created_at, num, eval_run_id);
-- the scores of a run
CREATE INDEX IF NOT EXISTS ix_session_scores_run
    ON session_scores (project_id, eval_run_id);
"""

# Columns of a session score as the store hands it out (the response keys, plus `num`).
SESSION_SCORE_COLUMNS = (
    "id", "session_id", "project_id", "name", "data_type", "value", "source", "status",
    "eval_run_id", "author_user_id", "reason", "metadata", "created_at", "updated_at", "num",
)
_SELECT = "SELECT " + ", ".join(SESSION_SCORE_COLUMNS) + " FROM session_scores"

# Filters of the list route: name -> (column, operator).
_LIST_FILTERS = {
    "session_id": ("session_id", "="),
    "name": ("name", "="),
    "source": ("source", "="),
    "status": ("status", "="),
    "eval_run_id": ("eval_run_id", "="),
    "date_from": ("created_at", ">="),
    "date_to": ("created_at", "<"),
}


def _session_score(row: tuple) -> dict[str, Any]:
    return dict(zip(SESSION_SCORE_COLUMNS, row))


class SessionScoreStore:
    """The session-score queries of store.Store."""

    def insert_session_scores(self, scores: Iterable[dict[str, Any]]) -> int:
        """Insert complete session scores (every column but the derived `num`; `id`,
        `created_at`, `updated_at`, `metadata` and the nullable columns are filled in when
        missing)."""
        with self.write() as conn:
            return self._insert_session_scores(conn, scores, self.clock.now())

    @staticmethod
    def _insert_session_scores(conn: sqlite3.Connection, scores: Iterable[dict[str, Any]],
                               now: int) -> int:
        from pandaprobe_fake.stores.scores import numeric_value
        from pandaprobe_fake.stores.traces import _json

        def rows():
            for score in scores:
                row = {"id": str(uuid.uuid4()), "data_type": "NUMERIC", "source": "AUTOMATED",
                       "status": "SUCCESS", "eval_run_id": None, "author_user_id": None,
                       "reason": None, "metadata": {}, "created_at": now, **score}
                row.setdefault("updated_at", row["created_at"])
                row["num"] = numeric_value(row["data_type"], row["value"])
                if not isinstance(row["metadata"], str):
                    row["metadata"] = _json(row["metadata"])
                yield [row[c] for c in SESSION_SCORE_COLUMNS]

        cur = conn.executemany(
            f"INSERT INTO session_scores ({', '.join(SESSION_SCORE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(SESSION_SCORE_COLUMNS))})", rows())
        return cur.rowcount

    def list_session_scores(self, project_id: str, filters: dict[str, Any], limit: int,
                            offset: int) -> tuple[list[dict[str, Any]], int]:
        clauses, params = ["project_id = ?"], [project_id]
        for key, (column, operator) in _LIST_FILTERS.items():
            if filters.get(key) is not None:
                clauses.append(f"{column} {operator} ?")
                params.append(filters[key])
        where = " AND ".join(clauses)
        with self.read() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM session_scores WHERE {where}",
                                 params).fetchone()[0]
            items: list[dict[str, Any]] = []
            if offset < total:
                items = [_session_score(r) for r in conn.execute(
                    f"{_SELECT} WHERE {where} ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?",
                    (*params, limit, offset)).fetchall()]
        return items, total

    def scores_for_session(self, project_id: str, session_id: str) -> list[dict[str, Any]]:
        """Every score of the session, newest first."""
        with self.read() as conn:
            return [_session_score(r) for r in conn.execute(
                f"{_SELECT} WHERE project_id = ? AND session_id = ? ORDER BY created_at DESC, seq DESC",
                (project_id, session_id)).fetchall()]

    def session_scores_of_run(self, project_id: str, run_id: str) -> list[dict[str, Any]]:
        """The session scores a run wrote, newest first (the seam of the session-run routes)."""
        with self.read() as conn:
            return [_session_score(r) for r in conn.execute(
                f"{_SELECT} WHERE project_id = ? AND eval_run_id = ? ORDER BY created_at DESC, seq DESC",
                (project_id, run_id)).fetchall()]

    def delete_session_score(self, project_id: str, score_id: str) -> bool:
        with self.write(known=True) as conn:
            return conn.execute("DELETE FROM session_scores WHERE id = ? AND project_id = ?",
                                (score_id, project_id)).rowcount > 0

    def count_session_scores(self, project_id: str | None = None) -> int:
        with self.read() as conn:
            if project_id is None:
                return conn.execute("SELECT COUNT(*) FROM session_scores").fetchone()[0]
            return conn.execute("SELECT COUNT(*) FROM session_scores WHERE project_id = ?",
                                (project_id,)).fetchone()[0]

    # -- analytics beyond summary/trend/distribution ----------------------------------------

    def session_score_history(self, project_id: str, session_id: str, metric_name: str | None,
                              limit: int) -> list[dict[str, Any]]:
        """The session's NUMERIC scores, oldest first (all statuses)."""
        metric = " AND name = ?" if metric_name is not None else ""
        params = (project_id, session_id, *((metric_name,) if metric_name is not None else ()), limit)
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT name, num, eval_run_id, created_at, status FROM session_scores"
                f" WHERE project_id = ? AND session_id = ? AND data_type = 'NUMERIC'{metric}"
                f" ORDER BY created_at, seq LIMIT ?", params).fetchall()
        return [{"metric_name": name, "score": num, "eval_run_id": run, "created_at": created,
                 "status": status} for name, num, run, created, status in rows]

    def session_score_comparison(self, project_id: str, metric_name: str, descending: bool,
                                 limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """The newest NUMERIC SUCCESS score of each session for the metric, by score (NULLs
        last), then session id."""
        direction = "DESC" if descending else "ASC"
        with self.read() as conn:
            total = conn.execute(
                "SELECT COUNT(DISTINCT session_id) FROM session_scores INDEXED BY ix_session_scores_latest"
                " WHERE project_id = ? AND name = ? AND status = 'SUCCESS' AND data_type = 'NUMERIC'",
                (project_id, metric_name)).fetchone()[0]
            if offset >= total:  # (also keeps an offset past SQLite's integers out of SQL)
                return [], total
            # SQLite's bare columns beside MAX(): the other columns come from the newest row of
            # each session, read in ix_session_scores_latest's order, with no window to sort.
            rows = conn.execute(
                f"SELECT session_id, num, created_at, eval_run_id FROM ("
                f"SELECT session_id, num, MAX(created_at) AS created_at, eval_run_id"
                f" FROM session_scores INDEXED BY ix_session_scores_latest"
                f" WHERE project_id = ? AND name = ? AND status = 'SUCCESS' AND data_type = 'NUMERIC'"
                f" GROUP BY session_id)"
                f" ORDER BY num IS NULL, num {direction}, session_id LIMIT ? OFFSET ?",
                (project_id, metric_name, limit, offset)).fetchall()
        return [{"session_id": s, "score": num, "evaluated_at": at, "eval_run_id": run}
                for s, num, at, run in rows], total
