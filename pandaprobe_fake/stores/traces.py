"""SQLite storage of traces and their spans: the part of the store behind the /traces routes.

`TraceStore` is a mixin of store.Store (which holds the connections, the transactions and the
clock); like the rest of the store it takes and returns plain dicts, times as integer
microseconds since the epoch, and its JSON columns as Python values (it encodes and decodes
them).  Traces are keyed by (project, trace id): two projects may each hold a trace of the
same id.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import orjson

TRACE_SCHEMA = """
CREATE TABLE IF NOT EXISTS traces (
    seq          INTEGER PRIMARY KEY,
    project_id   TEXT NOT NULL,
    trace_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    input        TEXT,
    output       TEXT,
    metadata     TEXT NOT NULL DEFAULT '{}',
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    session_id   TEXT,
    user_id      TEXT,
    tags         TEXT NOT NULL DEFAULT '[]',
    environment  TEXT,
    release      TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (project_id, trace_id)
);
CREATE INDEX IF NOT EXISTS ix_traces_project_started ON traces (project_id, started_at);

CREATE TABLE IF NOT EXISTS spans (
    seq                    INTEGER PRIMARY KEY,
    project_id             TEXT NOT NULL,
    trace_id               TEXT NOT NULL,
    span_id                TEXT NOT NULL,
    parent_span_id         TEXT,
    name                   TEXT NOT NULL,
    kind                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    input                  TEXT,
    output                 TEXT,
    model                  TEXT,
    token_usage            TEXT,
    metadata               TEXT NOT NULL DEFAULT '{}',
    started_at             INTEGER NOT NULL,
    ended_at               INTEGER,
    error                  TEXT,
    completion_start_time  INTEGER,
    model_parameters       TEXT,
    cost                   TEXT,
    tokens                 INTEGER NOT NULL DEFAULT 0,   -- prompt + completion tokens
    cost_total             REAL NOT NULL DEFAULT 0,      -- cost.total
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    UNIQUE (project_id, trace_id, span_id),
    FOREIGN KEY (project_id, trace_id) REFERENCES traces (project_id, trace_id) ON DELETE CASCADE
);
"""

# Columns of traces and spans that hold JSON text (the store encodes and decodes them).
TRACE_JSON = ("input", "output", "metadata", "tags")
SPAN_JSON = ("input", "output", "token_usage", "metadata", "model_parameters", "cost")
# On a repeated POST, these keep the stored value when the incoming one is null.
TRACE_KEEP_IF_NULL = ("input", "output", "ended_at", "session_id", "user_id", "environment", "release")
SPAN_KEEP_IF_NULL = ("parent_span_id", "input", "output", "model", "token_usage", "ended_at",
                     "error", "completion_start_time", "model_parameters", "cost")
TRACE_COLUMNS = ("trace_id", "project_id", "name", "status", "input", "output", "metadata",
                 "started_at", "ended_at", "session_id", "user_id", "tags", "environment", "release")
SPAN_COLUMNS = ("span_id", "trace_id", "parent_span_id", "name", "kind", "status", "input", "output",
                "model", "token_usage", "metadata", "started_at", "ended_at", "error",
                "completion_start_time", "model_parameters", "cost")

# Sort keys of the trace list (PostgreSQL's default null placement: last ascending,
# first descending).
_TRACE_SORTS = {"started_at": "t.started_at", "ended_at": "t.ended_at", "name": "t.name",
                "latency": "(t.ended_at - t.started_at)", "status": "t.status"}


def _json(value: Any) -> str | None:
    """JSON text to store: compact, non-ASCII as is (orjson, ten times the standard library's
    speed; the standard library for what orjson refuses, such as an integer past 64 bits)."""
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _span_figures(span: dict[str, Any]) -> tuple[int, float]:
    """(prompt + completion tokens, cost.total) of a span, counting numbers only."""
    usage, cost = span.get("token_usage") or {}, span.get("cost") or {}
    tokens = sum(v for k in ("prompt_tokens", "completion_tokens")
                 if isinstance(v := usage.get(k), (int, float)) and not isinstance(v, bool))
    total = cost.get("total")
    return int(tokens), float(total) if isinstance(total, (int, float)) else 0.0


def row_dict(cur: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    return dict(zip((d[0] for d in cur.description), row))


_row = row_dict


class TraceStore:
    """The trace and span queries of store.Store."""


    def _decode(self, row: dict[str, Any], json_columns: tuple[str, ...]) -> dict[str, Any]:
        for column in json_columns:
            if row.get(column) is not None:
                row[column] = json.loads(row[column])
        return row

    def _fetch_trace(self, conn: sqlite3.Connection, project_id: str,
                     trace_id: str) -> dict[str, Any] | None:
        cur = conn.execute(f"SELECT {', '.join(TRACE_COLUMNS)} FROM traces "
                           f"WHERE project_id = ? AND trace_id = ?", (project_id, trace_id))
        row = cur.fetchone()
        return self._decode(_row(cur, row), TRACE_JSON) if row else None

    def _fetch_span(self, conn: sqlite3.Connection, project_id: str, trace_id: str,
                    span_id: str) -> dict[str, Any] | None:
        cur = conn.execute(f"SELECT {', '.join(SPAN_COLUMNS)} FROM spans "
                           f"WHERE project_id = ? AND trace_id = ? AND span_id = ?",
                           (project_id, trace_id, span_id))
        row = cur.fetchone()
        return self._decode(_row(cur, row), SPAN_JSON) if row else None

    def _write_trace(self, conn: sqlite3.Connection, trace: dict[str, Any], now: int,
                     exists: bool) -> None:
        values = {c: _json(trace[c]) if c in TRACE_JSON else trace[c] for c in TRACE_COLUMNS}
        if exists:
            sets = ", ".join(f"{c} = :{c}" for c in TRACE_COLUMNS[2:])
            conn.execute(f"UPDATE traces SET {sets}, updated_at = :now "
                         f"WHERE project_id = :project_id AND trace_id = :trace_id", {**values, "now": now})
        else:
            conn.execute(f"INSERT INTO traces ({', '.join(TRACE_COLUMNS)}, created_at, updated_at) "
                         f"VALUES ({', '.join(':' + c for c in TRACE_COLUMNS)}, :now, :now)",
                         {**values, "now": now})

    def _write_span(self, conn: sqlite3.Connection, project_id: str, span: dict[str, Any], now: int,
                    exists: bool) -> None:
        values = {c: _json(span[c]) if c in SPAN_JSON else span[c] for c in SPAN_COLUMNS}
        values["tokens"], values["cost_total"] = _span_figures(span)
        values.update(project_id=project_id, now=now)
        columns = SPAN_COLUMNS + ("tokens", "cost_total")
        if exists:
            sets = ", ".join(f"{c} = :{c}" for c in columns[2:])
            conn.execute(f"UPDATE spans SET {sets}, updated_at = :now WHERE project_id = :project_id "
                         f"AND trace_id = :trace_id AND span_id = :span_id", values)
        else:
            conn.execute(f"INSERT INTO spans (project_id, {', '.join(columns)}, created_at, updated_at) "
                         f"VALUES (:project_id, {', '.join(':' + c for c in columns)}, :now, :now)", values)

    def _upsert_spans(self, conn: sqlite3.Connection, project_id: str, trace_id: str,
                      spans: list[dict[str, Any]], now: int) -> list[str]:
        span_ids = []
        for incoming in spans:
            span = {c: incoming.get(c) for c in SPAN_COLUMNS}
            span["span_id"] = span["span_id"] or str(uuid.uuid4())
            span["trace_id"] = trace_id
            span["metadata"] = span["metadata"] or {}
            old = self._fetch_span(conn, project_id, trace_id, span["span_id"])
            if old is not None:
                for column in SPAN_KEEP_IF_NULL:
                    if span[column] is None:
                        span[column] = old[column]
                span["metadata"] = {**old["metadata"], **span["metadata"]}
            self._write_span(conn, project_id, span, now, exists=old is not None)
            span_ids.append(span["span_id"])
        return span_ids

    def upsert_trace(self, project_id: str, incoming: dict[str, Any]) -> str:
        """POST /traces: insert, or merge into the stored trace of the same id -- non-null
        scalars overwrite, nullable ones keep the stored value when null, metadata is
        shallow-merged, tags are the union; the embedded spans are upserted alike."""
        trace = {c: incoming.get(c) for c in TRACE_COLUMNS}
        trace.update(trace_id=trace["trace_id"] or str(uuid.uuid4()), project_id=project_id,
                     metadata=trace["metadata"] or {}, tags=trace["tags"] or [])
        with self.write(known=True) as conn:
            now = self.clock.now()
            old = self._fetch_trace(conn, project_id, trace["trace_id"])
            if old is not None:
                for column in TRACE_KEEP_IF_NULL:
                    if trace[column] is None:
                        trace[column] = old[column]
                trace["metadata"] = {**old["metadata"], **trace["metadata"]}
                trace["tags"] = list(dict.fromkeys(old["tags"] + trace["tags"]))
            self._write_trace(conn, trace, now, exists=old is not None)
            self._upsert_spans(conn, project_id, trace["trace_id"], incoming.get("spans") or [], now)
        return trace["trace_id"]

    def add_spans(self, project_id: str, trace_id: str,
                  spans: list[dict[str, Any]]) -> list[str] | None:
        """POST /traces/{trace_id}/spans: upsert spans; None if there is no such trace."""
        with self.write(known=True) as conn:
            if not self._trace_exists(conn, project_id, trace_id):
                return None
            return self._upsert_spans(conn, project_id, trace_id, spans, self.clock.now())

    @staticmethod
    def _trace_exists(conn: sqlite3.Connection, project_id: str, trace_id: str) -> bool:
        return conn.execute("SELECT 1 FROM traces WHERE project_id = ? AND trace_id = ?",
                            (project_id, trace_id)).fetchone() is not None

    def trace_exists(self, project_id: str, trace_id: str) -> bool:
        with self.read() as conn:
            return self._trace_exists(conn, project_id, trace_id)

    def get_trace(self, project_id: str, trace_id: str) -> dict[str, Any] | None:
        """A trace with its spans (by start time) and their totals (tokens, cost), or None."""
        with self.read() as conn:
            trace = self._fetch_trace(conn, project_id, trace_id)
            if trace is None:
                return None
            cur = conn.execute(f"SELECT {', '.join(SPAN_COLUMNS)} FROM spans WHERE project_id = ? "
                               f"AND trace_id = ? ORDER BY started_at, seq", (project_id, trace_id))
            trace["spans"] = [self._decode(_row(cur, r), SPAN_JSON) for r in cur.fetchall()]
            trace["total_tokens"], trace["total_cost"] = conn.execute(
                "SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(cost_total), 0.0) FROM spans"
                " WHERE project_id = ? AND trace_id = ?", (project_id, trace_id)).fetchone()
        return trace

    @staticmethod
    def _patched(row: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """A PATCH of a trace or span: the given columns are set (None clears them), except
        metadata, which is shallow-merged (None empties it), and tags (None empties them)."""
        patched = {**row, **changes}
        if "metadata" in changes:
            patched["metadata"] = ({**row["metadata"], **changes["metadata"]}
                                   if changes["metadata"] is not None else {})
        if "tags" in changes and changes["tags"] is None:
            patched["tags"] = []
        return patched

    def update_trace(self, project_id: str, trace_id: str, changes: dict[str, Any]) -> bool:
        """PATCH /traces/{trace_id} (see _patched).  False if there is no such trace."""
        with self.write(known=True) as conn:
            trace = self._fetch_trace(conn, project_id, trace_id)
            if trace is None:
                return False
            self._write_trace(conn, self._patched(trace, changes), self.clock.now(), exists=True)
        return True

    def update_span(self, project_id: str, trace_id: str, span_id: str,
                    changes: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH /traces/{trace_id}/spans/{span_id} (see _patched).  None if no such span."""
        with self.write(known=True) as conn:
            span = self._fetch_span(conn, project_id, trace_id, span_id)
            if span is None:
                return None
            span = self._patched(span, changes)
            self._write_span(conn, project_id, span, self.clock.now(), exists=True)
        return span

    def delete_trace(self, project_id: str, trace_id: str) -> bool:
        """Delete a trace, its spans and its scores.  False if there is no such trace."""
        with self.write(known=True) as conn:
            cur = conn.execute("DELETE FROM traces WHERE project_id = ? AND trace_id = ?",
                               (project_id, trace_id))
            if cur.rowcount == 0:
                return False
            conn.execute("DELETE FROM spans WHERE project_id = ? AND trace_id = ?", (project_id, trace_id))
            gone = conn.execute("DELETE FROM trace_scores WHERE project_id = ? AND trace_id = ?",
                                (project_id, trace_id)).rowcount
            self._counted(project_id, -gone)
        return True

    def list_traces(self, project_id: str, filters: dict[str, Any], sort_by: str, sort_order: str,
                    limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """GET /traces: filtered, sorted, with span_count, total_tokens and total_cost."""
        clauses, params = ["t.project_id = ?"], [project_id]
        for key in ("session_id", "status", "user_id"):
            if filters.get(key) is not None:
                clauses.append(f"t.{key} = ?")
                params.append(filters[key])
        if filters.get("name") is not None:  # case-insensitive substring, like ILIKE '%name%'
            clauses.append("py_lower(t.name) LIKE '%' || py_lower(?) || '%'")
            params.append(filters["name"])
        if filters.get("tags"):  # any of the given tags
            clauses.append(f"EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value IN "
                           f"({', '.join('?' * len(filters['tags']))}))")
            params.extend(filters["tags"])
        if filters.get("started_after") is not None:
            clauses.append("t.started_at >= ?")
            params.append(filters["started_after"])
        if filters.get("started_before") is not None:
            clauses.append("t.started_at < ?")
            params.append(filters["started_before"])
        where = " AND ".join(clauses)
        direction = "DESC NULLS FIRST" if sort_order == "desc" else "ASC NULLS LAST"
        columns = ", ".join(f"t.{c}" for c in TRACE_COLUMNS if c != "project_id")
        with self.read() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM traces t WHERE {where}", params).fetchone()[0]
            if offset >= total:  # (also keeps an offset past SQLite's integers out of SQL)
                return [], total
            cur = conn.execute(
                f"SELECT {columns}, COUNT(s.seq) AS span_count,"
                f" COALESCE(SUM(s.tokens), 0) AS total_tokens,"
                f" COALESCE(SUM(s.cost_total), 0.0) AS total_cost"
                f" FROM traces t LEFT JOIN spans s"
                f" ON s.project_id = t.project_id AND s.trace_id = t.trace_id"
                f" WHERE {where} GROUP BY t.seq"
                f" ORDER BY {_TRACE_SORTS[sort_by]} {direction}, t.seq {sort_order.upper()}"
                f" LIMIT ? OFFSET ?", (*params, limit, offset))
            items = [self._decode(_row(cur, r), ("tags",)) for r in cur.fetchall()]
        return items, total

    def _insert_traces(self, conn: sqlite3.Connection, project_id: str,
                       traces: list[dict[str, Any]], now: int) -> None:
        """Bulk insert of new traces with their spans (no merging: an id taken is an error).
        A trace's `ingested_at` (microseconds), when given, is when it was written (the demo
        data's traces arrive as they end); else `now`."""
        trace_rows, span_rows = [], []
        for incoming in traces:
            trace = {c: incoming.get(c) for c in TRACE_COLUMNS}
            trace.update(trace_id=trace["trace_id"] or str(uuid.uuid4()), project_id=project_id,
                         metadata=trace["metadata"] or {}, tags=trace["tags"] or [])
            trace_rows.append({**{c: _json(trace[c]) if c in TRACE_JSON else trace[c]
                                  for c in TRACE_COLUMNS}, "now": incoming.get("ingested_at") or now})
            for incoming_span in incoming.get("spans") or []:
                span = {c: incoming_span.get(c) for c in SPAN_COLUMNS}
                span.update(span_id=span["span_id"] or str(uuid.uuid4()), trace_id=trace["trace_id"],
                            metadata=span["metadata"] or {})
                tokens, cost_total = _span_figures(span)
                span_rows.append({**{c: _json(span[c]) if c in SPAN_JSON else span[c]
                                     for c in SPAN_COLUMNS},
                                  "tokens": tokens, "cost_total": cost_total,
                                  "project_id": project_id, "now": now})
        conn.executemany(f"INSERT INTO traces ({', '.join(TRACE_COLUMNS)}, created_at, updated_at) "
                         f"VALUES ({', '.join(':' + c for c in TRACE_COLUMNS)}, :now, :now)", trace_rows)
        columns = SPAN_COLUMNS + ("tokens", "cost_total")
        conn.executemany(f"INSERT INTO spans (project_id, {', '.join(columns)}, created_at, updated_at) "
                         f"VALUES (:project_id, {', '.join(':' + c for c in columns)}, :now, :now)",
                         span_rows)

    def _first_taken_trace(self, projects: list[dict[str, Any]]) -> str | None:
        """Which trace (or span) of a failed load is already there, or repeated, as a sentence."""
        with self.read() as conn:
            seen_traces, seen_spans = set(), set()
            for project in projects:
                project_id = project.get("id")
                if project_id is None and project.get("name") is not None:
                    row = conn.execute("SELECT id FROM projects WHERE name = ?", (project["name"],)).fetchone()
                    project_id = row[0] if row else None
                for trace in project.get("traces") or []:
                    key = (project_id or project.get("name"), trace.get("trace_id"))
                    if trace.get("trace_id") and (key in seen_traces or (project_id and self._trace_exists(
                            conn, project_id, trace["trace_id"]))):
                        return f"Trace {trace['trace_id']} already exists."
                    seen_traces.add(key)
                    for span in trace.get("spans") or []:
                        span_key = (key, span.get("span_id"))
                        if span.get("span_id") and span_key in seen_spans:
                            return f"Span {span['span_id']} appears twice on trace {trace['trace_id']}."
                        seen_spans.add(span_key)
        return None
