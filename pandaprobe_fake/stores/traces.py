"""SQLite storage of traces and their spans: the part of the store behind the /traces routes.

`TraceStore` is a mixin of store.Store (which holds the connections, the transactions and the
clock); like the rest of the store it takes and returns plain dicts, times as integer
microseconds since the epoch, and its JSON columns as Python values (it encodes them, and
reads them back through jsonio.read_json, in PostgreSQL's JSONB key order).  Traces are keyed
by (project, trace id) and spans by (project, trace id, span id): two projects may each hold a
trace of the same id, two traces a span of the same id.

One code path writes traces and spans (`_write_traces`): POST /traces, POST .../spans, the
fixtures and the demo data all go through it, merging into stored rows by the real server's
upsert rules (`merge=True`) or inserting new ones only (`merge=False`, a taken id is an
IntegrityError).  A trace posted with an ingest delay is stored at once but readable only from
`visible_at` on (the real server's worker queue, made visible).
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import uuid
from typing import Any, Iterable

import orjson

from pandaprobe_fake.jsonio import read_json
from pandaprobe_fake.stores import UnknownFilter

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
    visible_at   INTEGER,                                -- NULL: readable at once
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
    -- the counted token_usage figures: integers, or their text past 64 bits (no type affinity,
    -- so SQLite keeps the text as it is); summed with exact_sum
    prompt_tokens          NOT NULL DEFAULT 0,
    completion_tokens      NOT NULL DEFAULT 0,
    tokens                 NOT NULL DEFAULT 0,
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
TRACE_COLUMNS = ("trace_id", "project_id", "name", "status", "input", "output", "metadata",
                 "started_at", "ended_at", "session_id", "user_id", "tags", "environment", "release")
SPAN_COLUMNS = ("span_id", "trace_id", "parent_span_id", "name", "kind", "status", "input", "output",
                "model", "token_usage", "metadata", "started_at", "ended_at", "error",
                "completion_start_time", "model_parameters", "cost")
_SPAN_FIGURES = ("prompt_tokens", "completion_tokens", "tokens", "cost_total")

# The upsert rules of a repeated POST (BEHAVIOR.md, "Upsert"): these keep the stored value
# when the incoming one is null; name, started_at, status, kind, input, output, token_usage,
# model_parameters and cost always take the new value (null included); metadata is merged;
# a trace's tags are the sorted union; a span's parent_span_id never changes.
TRACE_KEEP_IF_NULL = ("ended_at", "session_id", "user_id", "environment", "release")
SPAN_KEEP_IF_NULL = ("model", "ended_at", "error", "completion_start_time")

# Filters of the trace list, and its sort keys (PostgreSQL's default null placement: last
# ascending, first descending).
TRACE_FILTERS = frozenset({"session_id", "status", "user_id", "name", "tags", "started_after",
                           "started_before"})
_TRACE_SORTS = {"started_at": "t.started_at", "ended_at": "t.ended_at", "name": "t.name",
                "latency": "(t.ended_at - t.started_at)", "status": "t.status"}
_VISIBLE = "(t.visible_at IS NULL OR t.visible_at <= :now)"
_LARGEST = sys.float_info.max


def _json(value: Any) -> str | None:
    """JSON text to store: compact, non-ASCII as is (orjson, ten times the standard library's
    speed; the standard library for what orjson refuses, such as an integer past 64 bits)."""
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- the figures of a span: tokens and cost ----------------------------------------------------

# What PostgreSQL's integer cast reads from text: optional blanks, a sign, ASCII digits.
_INT_TEXT = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+[ \t\n\v\f\r]*")


def token_count(value: Any) -> int:
    """One token count of `token_usage`, as the real server counts it: an integer, or a
    string of one ("20" counts 20).  Anything else counts 0 (the real server fails with a 500
    on a float, a boolean or a count past 2^31; the fake counts integers only, exactly)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        return int(value)
    return 0


def _db_int(number: int) -> int | str:
    """An integer as SQLite can hold it: itself within 64 bits, else its text."""
    return number if -(1 << 63) <= number < (1 << 63) else str(number)


def finite(number: float) -> float:
    """A sum of costs, held to the largest finite float (a sum past it is not infinity)."""
    return max(-_LARGEST, min(_LARGEST, float(number)))


def span_figures(span: dict[str, Any]) -> dict[str, Any]:
    """The counted figures of a span: prompt, completion and total tokens, cost.total."""
    usage, cost = span.get("token_usage") or {}, span.get("cost") or {}
    prompt = token_count(usage.get("prompt_tokens")) if isinstance(usage, dict) else 0
    completion = token_count(usage.get("completion_tokens")) if isinstance(usage, dict) else 0
    total = cost.get("total") if isinstance(cost, dict) else None
    cost_total = float(total) if isinstance(total, (int, float)) and not isinstance(total, bool) else 0.0
    return {"prompt_tokens": _db_int(prompt), "completion_tokens": _db_int(completion),
            "tokens": _db_int(prompt + completion), "cost_total": cost_total}


class ExactSum:
    """SQLite aggregate `exact_sum`: the exact sum of integers (or their text), answered as an
    integer within 64 bits, else as text (SUM would fail with 'integer overflow')."""

    def __init__(self) -> None:
        self.total = 0

    def step(self, value: Any) -> None:
        if value is not None:
            self.total += int(value)

    def finalize(self) -> int | str:
        return _db_int(self.total)


def register_functions(conn: sqlite3.Connection) -> None:
    conn.create_aggregate("exact_sum", 1, ExactSum)


def row_dict(cur: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    return dict(zip((d[0] for d in cur.description), row))


_row = row_dict


def _decode(row: dict[str, Any], json_columns: Iterable[str]) -> dict[str, Any]:
    for column in json_columns:
        if row.get(column) is not None:
            row[column] = read_json(row[column])
    return row


def _sorted_union(*tag_lists: list[str]) -> list[str]:
    return sorted({tag for tags in tag_lists for tag in tags})


class TraceStore:
    """The trace and span queries of store.Store."""

    _decode = staticmethod(_decode)

    # -- reading ---------------------------------------------------------------------------

    def _fetch_trace(self, conn: sqlite3.Connection, project_id: str, trace_id: str,
                     now: int | None = None) -> dict[str, Any] | None:
        """A stored trace of the project (readable at `now`, when given), or None."""
        visible = f" AND {_VISIBLE}" if now is not None else ""
        cur = conn.execute(f"SELECT {', '.join(TRACE_COLUMNS)} FROM traces t "
                           f"WHERE project_id = :project_id AND trace_id = :trace_id{visible}",
                           {"project_id": project_id, "trace_id": trace_id, "now": now})
        row = cur.fetchone()
        return _decode(_row(cur, row), TRACE_JSON) if row else None

    def _fetch_spans(self, conn: sqlite3.Connection, project_id: str, trace_id: str,
                     span_ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        sql = (f"SELECT {', '.join(SPAN_COLUMNS)} FROM spans WHERE project_id = ? AND trace_id = ?")
        params: list[Any] = [project_id, trace_id]
        if span_ids is not None:
            if not span_ids:
                return {}
            sql += f" AND span_id IN ({', '.join('?' * len(span_ids))})"
            params.extend(span_ids)
        cur = conn.execute(sql + " ORDER BY started_at, span_id", params)
        return {row[0]: _decode(_row(cur, row), SPAN_JSON) for row in cur.fetchall()}

    def _visible_trace(self, conn: sqlite3.Connection, project_id: str, trace_id: str) -> bool:
        return conn.execute(f"SELECT 1 FROM traces t WHERE project_id = :project_id AND "
                            f"trace_id = :trace_id AND {_VISIBLE}",
                            {"project_id": project_id, "trace_id": trace_id,
                             "now": self.clock.now()}).fetchone() is not None

    def trace_exists(self, project_id: str, trace_id: str) -> bool:
        with self.read() as conn:
            return self._visible_trace(conn, project_id, trace_id)

    def get_trace(self, project_id: str, trace_id: str) -> dict[str, Any] | None:
        """A trace with its spans (by start, then span id) and their totals, or None."""
        with self.read() as conn:
            trace = self._fetch_trace(conn, project_id, trace_id, self.clock.now())
            if trace is None:
                return None
            trace["spans"] = list(self._fetch_spans(conn, project_id, trace_id).values())
        figures = [span_figures(span) for span in trace["spans"]]
        trace["total_tokens"] = sum(int(f["tokens"]) for f in figures)
        trace["total_cost"] = finite(sum(f["cost_total"] for f in figures))
        return trace

    # -- writing: the one path ------------------------------------------------------------

    def _write_traces(self, conn: sqlite3.Connection, project_id: str,
                      traces: list[dict[str, Any]], now: int, *, merge: bool,
                      visible_at: int | None = None) -> list[str]:
        """Store traces (TraceCreate as loaded, with their "spans") of a project: merged into
        the stored trace of the same id by the upsert rules when `merge`, else inserted (a
        taken id is an IntegrityError).  A new trace is readable from `visible_at` (None: at
        once).  A new trace's `ingested_at` (microseconds), when given, is when it was written
        (the demo data's traces arrive as they end); else `now`.  Returns the trace ids."""
        trace_rows, updates, trace_ids = [], [], []
        for incoming in traces:
            trace = {c: incoming.get(c) for c in TRACE_COLUMNS}
            trace.update(trace_id=trace["trace_id"] or str(uuid.uuid4()), project_id=project_id,
                         status=trace["status"] or "COMPLETED", metadata=trace["metadata"] or {},
                         tags=list(trace["tags"] or []))
            old = self._fetch_trace(conn, project_id, trace["trace_id"]) if merge else None
            if old is not None:
                for column in TRACE_KEEP_IF_NULL:
                    if trace[column] is None:
                        trace[column] = old[column]
                trace["metadata"] = {**old["metadata"], **trace["metadata"]}
                trace["tags"] = _sorted_union(old["tags"], trace["tags"])
                updates.append(trace)
            else:
                trace_rows.append({**trace, "visible_at": visible_at,
                                   "ingested_at": incoming.get("ingested_at")})
            trace_ids.append(trace["trace_id"])
        self._put_traces(conn, trace_rows, now, insert=True)
        self._put_traces(conn, updates, now, insert=False)
        for trace_id, incoming in zip(trace_ids, traces):
            if incoming.get("spans"):
                self._write_spans(conn, project_id, trace_id, incoming["spans"], now, merge=merge)
        return trace_ids

    @staticmethod
    def _put_traces(conn: sqlite3.Connection, traces: list[dict[str, Any]], now: int,
                    insert: bool) -> None:
        if not traces:
            return
        rows = [{**{c: _json(t[c]) if c in TRACE_JSON else t[c] for c in TRACE_COLUMNS},
                 "now": t.get("ingested_at") or now, "visible_at": t.get("visible_at")} for t in traces]
        if insert:
            conn.executemany(
                f"INSERT INTO traces ({', '.join(TRACE_COLUMNS)}, created_at, updated_at, visible_at) "
                f"VALUES ({', '.join(':' + c for c in TRACE_COLUMNS)}, :now, :now, :visible_at)", rows)
        else:
            sets = ", ".join(f"{c} = :{c}" for c in TRACE_COLUMNS[2:])
            conn.executemany(f"UPDATE traces SET {sets}, updated_at = :now "
                             f"WHERE project_id = :project_id AND trace_id = :trace_id", rows)

    def _write_spans(self, conn: sqlite3.Connection, project_id: str, trace_id: str,
                     spans: list[dict[str, Any]], now: int, *, merge: bool) -> list[str]:
        """Store spans of one trace (SpanCreate as loaded), merged by the span upsert rules
        when `merge`.  Returns their ids, in the order given."""
        prepared = []
        for incoming in spans:
            span = {c: incoming.get(c) for c in SPAN_COLUMNS}
            span.update(span_id=span["span_id"] or str(uuid.uuid4()), trace_id=trace_id,
                        kind=span["kind"] or "OTHER", status=span["status"] or "UNSET",
                        metadata=span["metadata"] or {})
            if span["cost"] is not None:  # the real server's model holds floats
                span["cost"] = {k: float(v) for k, v in span["cost"].items()}
            prepared.append(span)
        stored = (self._fetch_spans(conn, project_id, trace_id, [s["span_id"] for s in prepared])
                  if merge else {})
        inserts, updates = [], []
        for span in prepared:
            old = stored.get(span["span_id"])
            if old is not None:
                for column in SPAN_KEEP_IF_NULL:
                    if span[column] is None:
                        span[column] = old[column]
                span["metadata"] = {**old["metadata"], **span["metadata"]}
                span["parent_span_id"] = old["parent_span_id"]
                updates.append(span)
            else:
                inserts.append(span)
            if merge:  # a span repeated in one body merges with its first self
                stored[span["span_id"]] = span
        self._put_spans(conn, project_id, inserts, now, insert=True)
        self._put_spans(conn, project_id, updates, now, insert=False)
        return [span["span_id"] for span in prepared]

    @staticmethod
    def _put_spans(conn: sqlite3.Connection, project_id: str, spans: list[dict[str, Any]],
                   now: int, insert: bool) -> None:
        if not spans:
            return
        columns = SPAN_COLUMNS + _SPAN_FIGURES
        rows = [{**{c: _json(s[c]) if c in SPAN_JSON else s[c] for c in SPAN_COLUMNS},
                 **span_figures(s), "project_id": project_id, "now": now} for s in spans]
        if insert:
            conn.executemany(
                f"INSERT INTO spans (project_id, {', '.join(columns)}, created_at, updated_at) "
                f"VALUES (:project_id, {', '.join(':' + c for c in columns)}, :now, :now)", rows)
        else:
            sets = ", ".join(f"{c} = :{c}" for c in columns[2:])
            conn.executemany(f"UPDATE spans SET {sets}, updated_at = :now WHERE project_id = :project_id "
                             f"AND trace_id = :trace_id AND span_id = :span_id", rows)

    def upsert_trace(self, project_id: str, incoming: dict[str, Any], delay_us: int = 0) -> str:
        """POST /traces: insert, or merge into the stored trace of the same id (BEHAVIOR.md's
        upsert rules), with its spans.  A new trace is readable `delay_us` after now."""
        with self.write(known=True) as conn:
            now = self.clock.now()
            (trace_id,) = self._write_traces(conn, project_id, [incoming], now, merge=True,
                                             visible_at=now + delay_us if delay_us > 0 else None)
        return trace_id

    def add_spans(self, project_id: str, trace_id: str,
                  spans: list[dict[str, Any]]) -> list[str] | None:
        """POST /traces/{trace_id}/spans: upsert spans; None if there is no such trace."""
        with self.write(known=True) as conn:
            if not self._visible_trace(conn, project_id, trace_id):
                return None
            return self._write_spans(conn, project_id, trace_id, spans, self.clock.now(), merge=True)

    def _insert_traces(self, conn: sqlite3.Connection, project_id: str,
                       traces: list[dict[str, Any]], now: int) -> None:
        """Fixtures and demo data: new traces with their spans (an id taken is an error)."""
        self._write_traces(conn, project_id, traces, now, merge=False)

    # -- PATCH ------------------------------------------------------------------------------

    @staticmethod
    def _patched(row: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """A PATCH of a trace or span: the given columns are set (null clears them; the
        schemas have already dropped the nulls of the never-null fields), metadata is
        shallow-merged, tags replace the stored ones as sent."""
        patched = {**row, **changes}
        if "metadata" in changes:
            patched["metadata"] = {**row["metadata"], **changes["metadata"]}
        if patched.get("cost") is not None:
            patched["cost"] = {k: float(v) for k, v in patched["cost"].items()}
        return patched

    def update_trace(self, project_id: str, trace_id: str, changes: dict[str, Any]) -> bool:
        """PATCH /traces/{trace_id} (see _patched).  False if there is no such trace."""
        with self.write(known=True) as conn:
            now = self.clock.now()
            trace = self._fetch_trace(conn, project_id, trace_id, now)
            if trace is None:
                return False
            self._put_traces(conn, [self._patched(trace, changes)], now, insert=False)
        return True

    def update_span(self, project_id: str, trace_id: str, span_id: str,
                    changes: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH /traces/{trace_id}/spans/{span_id} (see _patched).  None if there is no such
        span on a readable trace of the project."""
        with self.write(known=True) as conn:
            if not self._visible_trace(conn, project_id, trace_id):
                return None
            span = self._fetch_spans(conn, project_id, trace_id, [span_id]).get(span_id)
            if span is None:
                return None
            span = self._patched(span, changes)
            self._put_spans(conn, project_id, [span], self.clock.now(), insert=False)
        return _decode({**span, **{c: _json(span[c]) for c in SPAN_JSON}}, SPAN_JSON)

    # -- DELETE -----------------------------------------------------------------------------

    def delete_traces(self, project_id: str, trace_ids: list[str]) -> int:
        """Delete readable traces of the project, their spans and their scores; the number
        of traces deleted (unknown ids and repeats count nothing)."""
        wanted = list(dict.fromkeys(trace_ids))
        if not wanted:
            return 0
        with self.write(known=True) as conn:
            now = self.clock.now()
            found = [row[0] for row in conn.execute(
                f"SELECT trace_id FROM traces t WHERE project_id = :p AND {_VISIBLE} AND trace_id IN "
                f"({', '.join(f':id{i}' for i in range(len(wanted)))})",
                {"p": project_id, "now": now, **{f"id{i}": t for i, t in enumerate(wanted)}})]
            for trace_id in found:
                conn.execute("DELETE FROM spans WHERE project_id = ? AND trace_id = ?", (project_id, trace_id))
                conn.execute("DELETE FROM traces WHERE project_id = ? AND trace_id = ?", (project_id, trace_id))
                gone = conn.execute("DELETE FROM trace_scores WHERE project_id = ? AND trace_id = ?",
                                    (project_id, trace_id)).rowcount
                self._counted(project_id, -gone)
        return len(found)

    def delete_trace(self, project_id: str, trace_id: str) -> bool:
        """Delete a trace, its spans and its scores.  False if there is no such trace."""
        return self.delete_traces(project_id, [trace_id]) == 1

    def tag_traces(self, project_id: str, trace_ids: list[str], add: list[str],
                   remove: list[str]) -> int:
        """POST /traces/batch/tags: on each readable trace of the project listed, remove
        `remove`, then (if `add`) take the sorted distinct union with `add`.  Returns how
        many traces matched (changed or not)."""
        wanted = list(dict.fromkeys(trace_ids))
        if not add and not remove:
            return 0
        with self.write(known=True) as conn:
            now = self.clock.now()
            rows = conn.execute(
                f"SELECT trace_id, tags FROM traces t WHERE project_id = :p AND {_VISIBLE} AND trace_id IN "
                f"({', '.join(f':id{i}' for i in range(len(wanted)))})",
                {"p": project_id, "now": now, **{f"id{i}": t for i, t in enumerate(wanted)}}).fetchall()
            removed = set(remove)
            for trace_id, tags in rows:
                kept = [tag for tag in read_json(tags) if tag not in removed]
                if add:
                    kept = _sorted_union(kept, add)
                conn.execute("UPDATE traces SET tags = ?, updated_at = ? WHERE project_id = ? AND trace_id = ?",
                             (_json(kept), now, project_id, trace_id))
        return len(rows)

    # -- the list -------------------------------------------------------------------------

    def list_traces(self, project_id: str, filters: dict[str, Any], sort_by: str, sort_order: str,
                    limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """GET /traces: filtered, sorted, with span_count, total_tokens and total_cost.
        Raises UnknownFilter for a filter it does not know."""
        unknown = set(filters) - TRACE_FILTERS
        if unknown:
            raise UnknownFilter(f"the trace list has no filter {sorted(unknown)}")
        clauses = ["t.project_id = :project_id", _VISIBLE]
        params: dict[str, Any] = {"project_id": project_id, "now": self.clock.now()}
        for key in ("session_id", "status", "user_id"):
            if filters.get(key) is not None:
                clauses.append(f"t.{key} = :{key}")
                params[key] = filters[key]
        if filters.get("name"):  # ILIKE '%name%' with %, _ and \ taken literally
            clauses.append("instr(py_lower(t.name), py_lower(:name)) > 0")
            params["name"] = filters["name"]
        if filters.get("tags"):  # any of the given tags
            names = [f":tag{i}" for i in range(len(filters["tags"]))]
            clauses.append(f"EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value IN ({', '.join(names)}))")
            params.update({f"tag{i}": tag for i, tag in enumerate(filters["tags"])})
        if filters.get("started_after") is not None:
            clauses.append("t.started_at >= :started_after")
            params["started_after"] = filters["started_after"]
        if filters.get("started_before") is not None:
            clauses.append("t.started_at < :started_before")
            params["started_before"] = filters["started_before"]
        where = " AND ".join(clauses)
        direction = "DESC NULLS FIRST" if sort_order == "desc" else "ASC NULLS LAST"
        columns = ", ".join(f"t.{c}" for c in TRACE_COLUMNS if c != "project_id")
        with self.read() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM traces t WHERE {where}", params).fetchone()[0]
            if offset >= total:  # (also keeps an offset past SQLite's integers out of SQL)
                return [], total
            cur = conn.execute(
                f"SELECT {columns}, COUNT(s.seq) AS span_count,"
                f" COALESCE(exact_sum(s.tokens), 0) AS total_tokens,"
                f" COALESCE(SUM(s.cost_total), 0.0) AS total_cost"
                f" FROM traces t LEFT JOIN spans s"
                f" ON s.project_id = t.project_id AND s.trace_id = t.trace_id"
                f" WHERE {where} GROUP BY t.seq"
                f" ORDER BY {_TRACE_SORTS[sort_by]} {direction}, t.seq {sort_order.upper()}"
                f" LIMIT :limit OFFSET :offset", {**params, "limit": limit, "offset": offset})
            items = [_decode(_row(cur, r), ("tags",)) for r in cur.fetchall()]
        for item in items:
            item["total_tokens"] = int(item["total_tokens"])
            item["total_cost"] = finite(item["total_cost"])
        return items, total

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
                    if trace.get("trace_id") and (key in seen_traces or (project_id and conn.execute(
                            "SELECT 1 FROM traces WHERE project_id = ? AND trace_id = ?",
                            (project_id, trace["trace_id"])).fetchone())):
                        return f"Trace {trace['trace_id']} already exists."
                    seen_traces.add(key)
                    for span in trace.get("spans") or []:
                        span_key = (key, span.get("span_id"))
                        if span.get("span_id") and span_key in seen_spans:
                            return f"Span {span['span_id']} appears twice on trace {trace['trace_id']}."
                        seen_spans.add(span_key)
        return None
