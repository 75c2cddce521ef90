"""Sessions, read from the traces table: a session is not stored, it is the set of a project's
traces that share a non-null `session_id` (the /sessions routes).

`SessionStore` is a mixin of store.Store, like stores/traces.py: plain dicts in and out, times
as integer microseconds.  The session queries read the index ix_traces_project_session, which
holds every column the aggregates need, so that listing the sessions of 100,000 traces is one
pass over that index.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

SESSION_SCHEMA = """
-- the sessions of a project, grouped in index order, with the columns of their aggregates
CREATE INDEX IF NOT EXISTS ix_traces_project_session
    ON traces (project_id, session_id, started_at, ended_at, status, created_at)
    WHERE session_id IS NOT NULL;
-- the traces of sessions, newest ingestion first (the default `recent` order)
CREATE INDEX IF NOT EXISTS ix_traces_project_ingested
    ON traces (project_id, created_at, session_id)
    WHERE session_id IS NOT NULL;
"""

_DAY = 86_400_000_000
_HOUR = 3_600_000_000


def bucket_sql(column: str, granularity: str) -> str:
    """SQL for `column` (microseconds) truncated to the start of its UTC hour, day or ISO week
    (Monday 00:00; 1970-01-01, day 0, was a Thursday)."""
    day = f"({column} - ((({column} % {_DAY}) + {_DAY}) % {_DAY}))"
    if granularity == "hour":
        return f"({column} - ((({column} % {_HOUR}) + {_HOUR}) % {_HOUR}))"
    if granularity == "day":
        return day
    return f"((({day} / {_DAY}) - ((({day} / {_DAY}) % 7 + 10) % 7)) * {_DAY})"


# Sort keys of the session list, as aggregates over a session's selected traces (`recent`: the
# newest ingestion time; `cost` alone needs the spans of every session).
_SORT_KEYS = {
    "recent": "MAX(t.created_at)",
    "trace_count": "COUNT(*)",
    "latency": "SUM(t.ended_at - t.started_at)",
    "cost": "SUM((SELECT COALESCE(SUM(s.cost_total), 0.0) FROM spans s"
            " WHERE s.project_id = t.project_id AND s.trace_id = t.trace_id))",
}


def _trace_filters(filters: dict[str, Any], alias: str = "t") -> tuple[list[str], list[Any]]:
    """The trace-selecting filters of GET /sessions as SQL conditions on `alias`."""
    clauses, params = [], []
    if filters.get("user_id") is not None:
        clauses.append(f"{alias}.user_id = ?")
        params.append(filters["user_id"])
    if filters.get("tags"):
        clauses.append(f"EXISTS (SELECT 1 FROM json_each({alias}.tags) WHERE value IN "
                       f"({', '.join('?' * len(filters['tags']))}))")
        params.extend(filters["tags"])
    if filters.get("started_after") is not None:
        clauses.append(f"{alias}.started_at >= ?")
        params.append(filters["started_after"])
    if filters.get("started_before") is not None:
        clauses.append(f"{alias}.started_at < ?")
        params.append(filters["started_before"])
    if filters.get("query"):  # case-insensitive substring, every character literal
        clauses.append(f"instr(py_lower({alias}.session_id), py_lower(?)) > 0")
        params.append(filters["query"])
    return clauses, params


class SessionStore:
    """The session queries of store.Store."""

    def list_sessions(self, project_id: str, filters: dict[str, Any], sort_by: str,
                      sort_order: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """GET /sessions: the filters select traces, every aggregate is over those traces;
        `has_error` then keeps sessions with (or without) an ERROR trace among them."""
        if sort_by == "recent" and sort_order == "desc" and not any(
                filters.get(key) not in (None, [], "") for key in
                ("user_id", "tags", "started_after", "started_before", "query", "has_error")):
            return self._recent_sessions(project_id, limit, offset)
        clauses, params = _trace_filters(filters)
        where = " AND ".join(["t.project_id = ?", "t.session_id IS NOT NULL", *clauses])
        params = [project_id, *params]
        having = ""
        if filters.get("has_error") is not None:
            having = " HAVING MAX(t.status = 'ERROR') = ?"
            params.append(1 if filters["has_error"] else 0)
        # One pass computes the sort key alone (each aggregate costs a pass's worth); the
        # page's sessions then get their aggregates from the index, by id.
        direction = "DESC NULLS FIRST" if sort_order == "desc" else "ASC NULLS LAST"
        grouped = (f"FROM traces t INDEXED BY ix_traces_project_session WHERE {where}"
                   f" GROUP BY t.session_id{having}")
        with self.read() as conn:
            if having:
                total = conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 {grouped})", params).fetchone()[0]
            else:
                total = conn.execute(f"SELECT COUNT(DISTINCT t.session_id) FROM traces t"
                                     f" INDEXED BY ix_traces_project_session WHERE {where}",
                                     params).fetchone()[0]
            if offset >= total:  # (also keeps an offset past SQLite's integers out of SQL)
                return [], total
            page = [r[0] for r in conn.execute(
                f"SELECT t.session_id, {_SORT_KEYS[sort_by]} AS k {grouped}"
                f" ORDER BY k {direction}, t.session_id LIMIT ? OFFSET ?",
                (*params, limit, offset)).fetchall()]
            items = self._aggregates(conn, project_id, page, filters)
            self._session_details(conn, project_id, items, filters)
        return items, total

    def _aggregates(self, conn: sqlite3.Connection, project_id: str, page: list[str],
                    filters: dict[str, Any]) -> list[dict[str, Any]]:
        """The summary aggregates of a page of sessions (in page order), over the traces the
        filters select."""
        if not page:
            return []
        clauses, params = _trace_filters(filters)
        where = " AND ".join(["t.project_id = ?", f"t.session_id IN ({', '.join('?' * len(page))})",
                              *clauses])
        rows = conn.execute(
            f"SELECT t.session_id, COUNT(*), MIN(t.started_at), MAX(t.ended_at),"
            f" SUM(t.ended_at - t.started_at) / 1000.0, MAX(t.status = 'ERROR')"
            f" FROM traces t INDEXED BY ix_traces_project_session WHERE {where}"
            f" GROUP BY t.session_id", (project_id, *page, *params)).fetchall()
        by_id = {r[0]: {"session_id": r[0], "trace_count": r[1], "first_trace_at": r[2],
                        "last_trace_at": r[3], "total_latency_ms": r[4], "has_error": bool(r[5])}
                 for r in rows}
        return [by_id[session_id] for session_id in page if session_id in by_id]  # (gone meanwhile)

    def _recent_sessions(self, project_id: str, limit: int,
                         offset: int) -> tuple[list[dict[str, Any]], int]:
        """The default listing (no filter, newest ingestion first) without aggregating every
        session: walk the traces newest first until the page's sessions are found, then
        aggregate those alone."""
        with self.read() as conn:
            total = conn.execute(
                "SELECT COUNT(DISTINCT session_id) FROM traces INDEXED BY ix_traces_project_session"
                " WHERE project_id = ? AND session_id IS NOT NULL", (project_id,)).fetchone()[0]
            if offset >= total:
                return [], total
            order: list[str] = []
            seen: set[str] = set()
            cur = conn.execute(
                "SELECT session_id FROM traces INDEXED BY ix_traces_project_ingested"
                " WHERE project_id = ? AND session_id IS NOT NULL ORDER BY created_at DESC",
                (project_id,))
            for (session_id,) in cur:
                if session_id not in seen:
                    seen.add(session_id)
                    order.append(session_id)
                    if len(order) >= offset + limit:
                        break
            cur.close()
            items = self._aggregates(conn, project_id, order[offset:offset + limit], {})
            self._session_details(conn, project_id, items, {})
        return items, total

    def _session_details(self, conn: sqlite3.Connection, project_id: str,
                         items: list[dict[str, Any]], filters: dict[str, Any]) -> None:
        """Fill in user_id, tags and the span figures of a page of sessions, over the traces
        the filters select."""
        if not items:
            return
        clauses, params = _trace_filters(filters)
        ids = [item["session_id"] for item in items]
        where = " AND ".join([
            "t.project_id = ?", f"t.session_id IN ({', '.join('?' * len(ids))})", *clauses])
        rows = conn.execute(
            f"SELECT t.session_id, t.user_id, t.started_at, t.tags,"
            f" (SELECT COUNT(*) FROM spans s WHERE s.project_id = t.project_id AND s.trace_id = t.trace_id),"
            f" (SELECT COALESCE(SUM(s.tokens), 0) FROM spans s"
            f"  WHERE s.project_id = t.project_id AND s.trace_id = t.trace_id),"
            f" (SELECT COALESCE(SUM(s.cost_total), 0.0) FROM spans s"
            f"  WHERE s.project_id = t.project_id AND s.trace_id = t.trace_id)"
            f" FROM traces t INDEXED BY ix_traces_project_session WHERE {where}"
            f" ORDER BY t.started_at, t.seq",
            (project_id, *ids, *params)).fetchall()
        by_id = {item["session_id"]: item for item in items}
        for item in items:
            item.update(user_id=None, tags=set(), total_span_count=0, total_tokens=0, total_cost=0.0)
        for session_id, user_id, _, tags, spans, tokens, cost in rows:
            item = by_id[session_id]
            if item["user_id"] is None and user_id is not None:
                item["user_id"] = user_id  # of the earliest-started trace that has one
            item["tags"].update(json.loads(tags))
            item["total_span_count"] += spans
            item["total_tokens"] += tokens
            item["total_cost"] += cost
        for item in items:
            item["tags"] = sorted(item["tags"])

    def get_session(self, project_id: str, session_id: str, limit: int,
                    offset: int) -> dict[str, Any] | None:
        """GET /sessions/{id}: the summary over all the session's traces, and a page of its
        traces (full, with spans and totals) by start time; None if it has no trace."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT COUNT(*), MIN(started_at), MAX(ended_at),"
                " SUM(ended_at - started_at) / 1000.0, MAX(status = 'ERROR')"
                " FROM traces INDEXED BY ix_traces_project_session"
                " WHERE project_id = ? AND session_id = ?", (project_id, session_id)).fetchone()
            if not row[0]:
                return None
            session = {"session_id": session_id, "trace_count": row[0], "first_trace_at": row[1],
                       "last_trace_at": row[2], "total_latency_ms": row[3], "has_error": bool(row[4])}
            self._session_details(conn, project_id, [session], {})
            trace_ids = [] if offset >= row[0] else [r[0] for r in conn.execute(
                "SELECT trace_id FROM traces INDEXED BY ix_traces_project_session"
                " WHERE project_id = ? AND session_id = ? ORDER BY started_at, seq LIMIT ? OFFSET ?",
                (project_id, session_id, limit, offset)).fetchall()]
        session["traces"] = [t for t in (self.get_trace(project_id, i) for i in trace_ids) if t]
        return session

    def delete_session(self, project_id: str, session_id: str) -> int:
        """Delete every trace of the session (spans and trace scores with them); the number of
        traces deleted.  The session's session scores stay."""
        with self.write(known=True) as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT trace_id FROM traces WHERE project_id = ? AND session_id = ?",
                (project_id, session_id)).fetchall()]
            if not ids:
                return 0
            gone = 0
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ", ".join("?" * len(chunk))
                conn.execute(f"DELETE FROM spans WHERE project_id = ? AND trace_id IN ({marks})",
                             (project_id, *chunk))
                gone += conn.execute(
                    f"DELETE FROM trace_scores WHERE project_id = ? AND trace_id IN ({marks})",
                    (project_id, *chunk)).rowcount
                conn.execute(f"DELETE FROM traces WHERE project_id = ? AND trace_id IN ({marks})",
                             (project_id, *chunk))
            self._counted(project_id, -gone)
        return len(ids)

    def session_analytics(self, project_id: str, started_after: int, started_before: int,
                          granularity: str) -> list[dict[str, Any]]:
        """GET /sessions/analytics: sessions of the window's traces, bucketed by their first
        start, with the average trace count and duration (ms) per bucket."""
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {bucket_sql('first', granularity)} AS bucket, COUNT(*), AVG(traces),"
                f" AVG(duration) FROM ("
                f"SELECT MIN(started_at) AS first, COUNT(*) * 1.0 AS traces,"
                f" SUM(ended_at - started_at) / 1000.0 AS duration"
                f" FROM traces INDEXED BY ix_traces_project_session"
                f" WHERE project_id = ? AND session_id IS NOT NULL"
                f" AND started_at >= ? AND started_at < ? GROUP BY session_id)"
                f" GROUP BY bucket ORDER BY bucket",
                (project_id, started_after, started_before)).fetchall()
        return [{"bucket": b, "session_count": n, "avg_traces_per_session": avg_traces,
                 "avg_session_duration_ms": avg_duration} for b, n, avg_traces, avg_duration in rows]

    def session_ids(self, project_id: str) -> list[str]:
        """Every session id of the project (sorted)."""
        with self.read() as conn:
            return [r[0] for r in conn.execute(
                "SELECT DISTINCT session_id FROM traces INDEXED BY ix_traces_project_session"
                " WHERE project_id = ? AND session_id IS NOT NULL ORDER BY session_id",
                (project_id,)).fetchall()]
