"""SQLite storage for the fake: tables, queries, transactions.

Stdlib `sqlite3` and parameterised SQL only.  The store knows nothing of Flask or
of HTTP: it takes and returns plain dicts, with times as integer microseconds since
the epoch (see clock.py).

A file database gets one connection per thread (WAL mode, so readers never wait
for the writer).  An in-memory database is private to its connection, so it gets
exactly one, shared by every thread behind a lock.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import uuid
from typing import Any, Iterable, Iterator

import orjson

from clock import Clock
from storecache import COUNT, MISSING, PROJECT, StoreCache

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id          TEXT PRIMARY KEY,
    name        TEXT UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS trace_scores (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    project_id      TEXT NOT NULL,
    trace_id        TEXT NOT NULL,
    name            TEXT NOT NULL,
    value           TEXT,
    num             REAL,
    status          TEXT NOT NULL,
    source          TEXT NOT NULL,
    data_type       TEXT NOT NULL,
    eval_run_id     TEXT,
    author_user_id  TEXT,
    reason          TEXT,
    environment     TEXT,
    config_id       TEXT,
    metadata        TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- newest-first listing of a project, and the count behind `total`
CREATE INDEX IF NOT EXISTS ix_scores_project_created
    ON trace_scores (project_id, created_at, seq);
-- latest score per metric of one trace, and the trace_id filter
CREATE INDEX IF NOT EXISTS ix_scores_project_trace
    ON trace_scores (project_id, trace_id, name, created_at);
-- the name filter, newest first
CREATE INDEX IF NOT EXISTS ix_scores_project_name
    ON trace_scores (project_id, name, created_at);
-- the status filter, newest first
CREATE INDEX IF NOT EXISTS ix_scores_project_status
    ON trace_scores (project_id, status, created_at);
-- the analytics routes, read from the index alone: summary scans it in metric order, trend and
-- distribution take the NUMERIC/SUCCESS range of one metric, the median walks it by `num`
CREATE INDEX IF NOT EXISTS ix_scores_analytics
    ON trace_scores (project_id, name, status, data_type, num, created_at);

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

# Columns of a score as the store hands it out (the response keys, plus `num`).
SCORE_COLUMNS = (
    "id", "trace_id", "name", "value", "status", "source", "created_at", "project_id",
    "data_type", "eval_run_id", "author_user_id", "reason", "environment", "config_id",
    "metadata", "updated_at", "num",
)
_SELECT = "SELECT " + ", ".join(SCORE_COLUMNS) + " FROM trace_scores"

# Filters of the list route: name -> (column, operator) of a condition on one parameter.
_LIST_FILTERS = {
    "trace_id": ("trace_id", "="),
    "name": ("name", "="),
    "source": ("source", "="),
    "status": ("status", "="),
    "data_type": ("data_type", "="),
    "eval_run_id": ("eval_run_id", "="),
    "environment": ("environment", "="),
    "date_from": ("created_at", ">="),
    "date_to": ("created_at", "<"),
}

_DAY = 86_400_000_000
_BUCKET_SQL = {
    "hour": "(created_at - (((created_at % 3600000000) + 3600000000) % 3600000000))",
    "day": f"(created_at - (((created_at % {_DAY}) + {_DAY}) % {_DAY}))",
    # ISO week: back to Monday 00:00 UTC (1970-01-01, day 0, was a Thursday)
    "week": f"((((created_at - (((created_at % {_DAY}) + {_DAY}) % {_DAY})) / {_DAY}) - "
            f"((((created_at - (((created_at % {_DAY}) + {_DAY}) % {_DAY})) / {_DAY}) % 7 + 10) % 7)) * {_DAY})",
}


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


def _row(cur: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    return dict(zip((d[0] for d in cur.description), row))


def _score(row: tuple) -> dict[str, Any]:
    """A row of SCORE_COLUMNS as a score dict."""
    return dict(zip(SCORE_COLUMNS, row))


class Store:
    def __init__(self, path: str | None = None, clock: Clock | None = None) -> None:
        """`path` is a file name, or None (or ':memory:') for an in-memory database."""
        self.clock = clock or Clock()
        self.path = None if path in (None, ":memory:") else path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        self._cache = StoreCache()
        if self.path is None:
            self._shared = self._open(":memory:")
        with self._connection() as conn:
            conn.executescript(SCHEMA)

    # -- connections and transactions ------------------------------------------------

    def _open(self, path: str) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                               timeout=30.0)
        conn.execute("PRAGMA busy_timeout = 30000")
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.create_function("py_lower", 1, lambda t: t.lower() if isinstance(t, str) else t,
                             deterministic=True)
        with self._all_lock:
            self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._shared is not None:
            with self._shared_lock:
                yield self._shared
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open(self.path)
        yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self, known: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), committed or rolled back.

        The store's caches (storecache.py) are dropped after it, unless the caller says it is
        `known`: it only adds, edits or removes scores (or adds a project) and reports every
        change in a project's number of scores with `_counted` inside the block."""
        with self._connection() as conn:
            self._local.counts = counts = {}
            self._cache.write_began(known)
            committed = False
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                committed = True
            finally:
                self._cache.write_ended(known, committed, counts)

    def _counted(self, project_id: str, change: int) -> None:
        """Inside a known write: the project now holds `change` more scores."""
        counts = self._local.counts
        counts[project_id] = counts.get(project_id, 0) + change

    def clear_caches(self) -> None:
        """Forget what the store remembers between requests (project ids by name, score
        counts).  Writes through `write()` keep it right by themselves; call this after
        changing the database any other way."""
        self._cache.clear()

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
        self._cache.clear()

    # -- projects -----------------------------------------------------------------------

    def project_id_for_name(self, name: str) -> str:
        """The id of the project of that name, created on first use (remembered)."""
        project_id, token = self._cache.get(PROJECT, name)
        if project_id is MISSING:
            with self.read() as conn:
                row = conn.execute("SELECT id FROM projects WHERE name = ?", (name,)).fetchone()
            if row:
                project_id = row[0]
            else:
                with self.write(known=True) as conn:
                    conn.execute("INSERT OR IGNORE INTO projects (id, name, created_at) VALUES (?, ?, ?)",
                                 (str(uuid.uuid4()), name, self.clock.now()))
                    project_id = conn.execute("SELECT id FROM projects WHERE name = ?",
                                              (name,)).fetchone()[0]
            self._cache.put(PROJECT, name, project_id, token)
        return project_id

    def remember_project_id(self, project_id: str) -> None:
        """Record a project known only by id (the Bearer + X-Project-ID way in)."""
        known, token = self._cache.get(PROJECT, ("id", project_id))
        if known is not MISSING:
            return
        with self.read() as conn:
            row = conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone()
        if not row:
            with self.write(known=True) as conn:
                conn.execute("INSERT OR IGNORE INTO projects (id, name, created_at) VALUES (?, NULL, ?)",
                             (project_id, self.clock.now()))
        self._cache.put(PROJECT, ("id", project_id), True, token)

    def projects(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            cur = conn.execute("SELECT id, name, created_at FROM projects ORDER BY created_at, id")
            return [_row(cur, r) for r in cur.fetchall()]

    # -- trace scores -----------------------------------------------------------------------

    def create_score(self, project_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Insert one score.  `fields` holds trace_id, name, value, num, data_type, source,
        reason and metadata (JSON text); the rest is filled in here.  The time is read
        inside the write transaction, so timestamps follow the order of the writes."""
        with self.write(known=True) as conn:
            now = self.clock.now()
            score = {
                "id": str(uuid.uuid4()), "project_id": project_id, "status": "SUCCESS",
                "eval_run_id": None, "author_user_id": None, "environment": None, "config_id": None,
                "created_at": now, "updated_at": now, **fields,
            }
            self._insert_scores(conn, [score])
            self._counted(project_id, 1)
        return {k: score[k] for k in SCORE_COLUMNS}

    def insert_scores(self, scores: Iterable[dict[str, Any]]) -> int:
        """Bulk insert of complete score dicts (every column of SCORE_COLUMNS)."""
        with self.write() as conn:
            return self._insert_scores(conn, scores)

    @staticmethod
    def _insert_scores(conn: sqlite3.Connection, scores: Iterable[dict[str, Any]]) -> int:
        sql = (f"INSERT INTO trace_scores ({', '.join(SCORE_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(SCORE_COLUMNS))})")
        cur = conn.executemany(sql, ([s[c] for c in SCORE_COLUMNS] for s in scores))
        return cur.rowcount

    def get_score(self, project_id: str, score_id: str) -> dict[str, Any] | None:
        with self.read() as conn:
            cur = conn.execute(f"{_SELECT} WHERE id = ? AND project_id = ?", (score_id, project_id))
            row = cur.fetchone()
            return _score(row) if row else None

    def update_score(self, project_id: str, score_id: str,
                     changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply `changes` (columns -> values) and stamp updated_at; None if no such score."""
        with self.write(known=True) as conn:
            changes = {**changes, "updated_at": self.clock.now()}
            assignments = ", ".join(f"{column} = ?" for column in changes)
            cur = conn.execute(
                f"UPDATE trace_scores SET {assignments} WHERE id = ? AND project_id = ? "
                f"RETURNING {', '.join(SCORE_COLUMNS)}",
                (*changes.values(), score_id, project_id))
            row = cur.fetchone()
            return _score(row) if row else None

    def delete_score(self, project_id: str, score_id: str) -> bool:
        with self.write(known=True) as conn:
            cur = conn.execute("DELETE FROM trace_scores WHERE id = ? AND project_id = ?",
                               (score_id, project_id))
            if cur.rowcount > 0:
                self._counted(project_id, -1)
            return cur.rowcount > 0

    @staticmethod
    def _where(project_id: str, filters: dict[str, Any],
               unindexed: tuple[str, ...] = ()) -> tuple[str, list[Any]]:
        """The WHERE clause of the list filters.  A column in `unindexed` is written `+column`,
        which keeps SQLite from reaching for an index on it (the answer is the same)."""
        clauses, params = ["project_id = ?"], [project_id]
        for key, (column, operator) in _LIST_FILTERS.items():
            if filters.get(key) is not None:
                clauses.append(f"{'+' if column in unindexed else ''}{column} {operator} ?")
                params.append(filters[key])
        return " AND ".join(clauses), params

    def list_scores(self, project_id: str, filters: dict[str, Any], limit: int,
                    offset: int) -> tuple[list[dict[str, Any]], int]:
        where, params = self._where(project_id, filters)
        # The page is read newest first through the index that fits the filters best, which
        # SQLite cannot tell without statistics:
        order, unindexed = "created_at DESC, seq DESC", ()
        if filters.get("trace_id") is not None:
            # a trace has a handful of scores: find them by ix_scores_project_trace and sort
            # them, rather than walk the whole project newest-first looking for them
            order = "+created_at DESC, seq DESC"
        elif filters.get("name") is not None:
            # walk the metric newest first (ix_scores_project_name), not every score of a status
            unindexed = ("status",)
        page_where, page_params = self._where(project_id, filters, unindexed)
        with self.read() as conn:
            if len(params) == 1:  # no filter: the project's count, remembered across requests
                total, token = self._cache.get(COUNT, project_id)
                if total is MISSING:
                    total = conn.execute(f"SELECT COUNT(*) FROM trace_scores WHERE {where}",
                                         params).fetchone()[0]
                    self._cache.put(COUNT, project_id, total, token)
            else:
                total = conn.execute(f"SELECT COUNT(*) FROM trace_scores WHERE {where}",
                                     params).fetchone()[0]
            items: list[dict[str, Any]] = []
            if offset < total:
                cur = conn.execute(
                    f"{_SELECT} WHERE {page_where} ORDER BY {order} LIMIT ? OFFSET ?",
                    (*page_params, limit, offset))
                items = [_score(r) for r in cur.fetchall()]
        return items, total

    def latest_scores_for_trace(self, project_id: str, trace_id: str) -> list[dict[str, Any]]:
        """The newest score of each metric name of one trace, ordered by name: one seek in
        ix_scores_project_trace per metric, however many times each was scored."""
        with self.read() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE seq IN ("
                f"SELECT (SELECT seq FROM trace_scores"
                f" WHERE project_id = :project_id AND trace_id = :trace_id AND name = names.name"
                f" ORDER BY created_at DESC, seq DESC LIMIT 1)"
                f" FROM (SELECT DISTINCT name FROM trace_scores"
                f" WHERE project_id = :project_id AND trace_id = :trace_id) AS names)"
                f" ORDER BY name", {"project_id": project_id, "trace_id": trace_id}).fetchall()
        return [_score(r) for r in rows]

    # -- analytics ------------------------------------------------------------------------

    @staticmethod
    def _range(date_from: int | None, date_to: int | None) -> str:
        """SQL for the date range, on the named parameters :date_from and :date_to."""
        return ((" AND created_at >= :date_from" if date_from is not None else "")
                + (" AND created_at < :date_to" if date_to is not None else ""))

    def score_summary(self, project_id: str, date_from: int | None,
                      date_to: int | None) -> list[dict[str, Any]]:
        """Per metric name: counts by status, and avg/min/max/median over the numbers of the
        NUMERIC, SUCCESS scores (PostgreSQL percentile_cont(0.5) for the median)."""
        rng = self._range(date_from, date_to)
        params = {"project_id": project_id, "date_from": date_from, "date_to": date_to}
        ok = "data_type = 'NUMERIC' AND status = 'SUCCESS' AND num IS NOT NULL"
        items: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = {}
        with self.read() as conn:
            # One pass over ix_scores_analytics, grouped as the index is ordered (name, status,
            # data_type): plain aggregates per group, added up per metric here -- half the time
            # of conditional aggregates per metric.  Each group's values are summed in the
            # same (index) order as before, so the averages are the same to the last bit.
            groups = conn.execute(
                f"SELECT name, status, data_type, COUNT(*), AVG(num), MIN(num), MAX(num),"
                f" COUNT(num), MAX(created_at)"
                f" FROM trace_scores WHERE project_id = :project_id{rng}"
                f" GROUP BY name, status, data_type ORDER BY name, status, data_type",
                params).fetchall()
            for name, status, data_type, count, avg, low, high, numbers, latest in groups:
                item = items.get(name)
                if item is None:
                    item = items[name] = {
                        "metric_name": name, "success_count": 0, "failed_count": 0,
                        "avg_score": None, "min_score": None, "max_score": None,
                        "latest_score_at": latest, "median_score": None}
                    counts[name] = 0
                item["latest_score_at"] = max(item["latest_score_at"], latest)
                if status == "SUCCESS":
                    item["success_count"] += count
                    if data_type == "NUMERIC" and numbers:
                        item.update(avg_score=avg, min_score=low, max_score=high)
                        counts[name] = numbers
                elif status == "FAILED":
                    item["failed_count"] += count
            for name, item in items.items():
                n = counts[name]
                if n:
                    middle = conn.execute(
                        f"SELECT num FROM trace_scores WHERE project_id = :project_id"
                        f" AND name = :name AND {ok}{rng} ORDER BY num LIMIT 2 OFFSET :skip",
                        {**params, "name": name, "skip": (n - 1) // 2}).fetchall()
                    lo = middle[0][0]
                    hi = middle[1][0] if n % 2 == 0 else lo
                    item["median_score"] = lo + 0.5 * (hi - lo) if n % 2 == 0 else lo
        return list(items.values())

    def score_trend(self, project_id: str, metric_name: str, date_from: int | None,
                    date_to: int | None, granularity: str) -> list[dict[str, Any]]:
        params = {"project_id": project_id, "name": metric_name, "date_from": date_from,
                  "date_to": date_to}
        with self.read() as conn:
            cur = conn.execute(
                f"SELECT {_BUCKET_SQL[granularity]} AS bucket, AVG(num) AS avg_score, COUNT(*) AS count"
                f" FROM trace_scores WHERE project_id = :project_id AND name = :name"
                f" AND data_type = 'NUMERIC' AND status = 'SUCCESS' AND num IS NOT NULL"
                f"{self._range(date_from, date_to)}"
                f" GROUP BY bucket ORDER BY bucket", params)
            return [dict(_row(cur, r), metric_name=metric_name) for r in cur.fetchall()]

    def score_distribution(self, project_id: str, metric_name: str, date_from: int | None,
                           date_to: int | None, buckets: int) -> list[dict[str, Any]]:
        """PostgreSQL width_bucket(num, 0.0, 1.0, buckets): [0,1) in 1..n, 1.0 and above
        in n + 1, below 0 in 0.  Only non-empty buckets."""
        params = {"project_id": project_id, "name": metric_name, "date_from": date_from,
                  "date_to": date_to, "n": buckets}
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT CASE WHEN num < 0.0 THEN 0 WHEN num >= 1.0 THEN :n + 1"
                f" ELSE CAST(:n * num AS INTEGER) + 1 END AS bucket, COUNT(*)"
                f" FROM trace_scores WHERE project_id = :project_id AND name = :name"
                f" AND data_type = 'NUMERIC' AND status = 'SUCCESS' AND num IS NOT NULL"
                f"{self._range(date_from, date_to)}"
                f" GROUP BY bucket ORDER BY bucket", params).fetchall()
        return [{"bucket": k, "bucket_min": round(max(0.0, (k - 1) / buckets), 4),
                 "bucket_max": round(min(1.0, k / buckets), 4), "count": count}
                for k, count in rows]

    # -- traces and spans -------------------------------------------------------------------

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
        """A trace with its spans (by start time), or None."""
        with self.read() as conn:
            trace = self._fetch_trace(conn, project_id, trace_id)
            if trace is None:
                return None
            cur = conn.execute(f"SELECT {', '.join(SPAN_COLUMNS)} FROM spans WHERE project_id = ? "
                               f"AND trace_id = ? ORDER BY started_at, seq", (project_id, trace_id))
            trace["spans"] = [self._decode(_row(cur, r), SPAN_JSON) for r in cur.fetchall()]
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

    # -- the whole state: reset, dump, bulk load (the /_fake/ control API and demo data) ------

    # Every table, children first.
    _TABLES = ("trace_scores", "spans", "traces", "projects")

    def reset(self) -> None:
        """Empty every table.  An in-memory database is swapped for a fresh one (well under
        a millisecond, where DELETE takes 5 ms per 10,000 scores); a file database is
        emptied table by table.  Either way the store's caches are forgotten (the control
        API's reset relies on it)."""
        if self._shared is not None:
            with self._shared_lock:
                fresh = self._open(":memory:")
                fresh.executescript(SCHEMA)
                old, self._shared = self._shared, fresh
                with self._all_lock:
                    self._all.remove(old)
                old.close()
                self.clear_caches()
            return
        with self.write() as conn:
            for table in self._TABLES:
                conn.execute(f"DELETE FROM {table}")

    def count_scores(self, project_id: str | None = None) -> int:
        with self.read() as conn:
            if project_id is None:
                return conn.execute("SELECT COUNT(*) FROM trace_scores").fetchone()[0]
            return conn.execute("SELECT COUNT(*) FROM trace_scores WHERE project_id = ?",
                                (project_id,)).fetchone()[0]

    def dump(self) -> list[dict[str, Any]]:
        """Every project (oldest first) with its scores and its traces (oldest first, each
        trace with its spans), as plain dicts: [{"id", "name", "scores", "traces"}]."""
        with self.read() as conn:
            cur = conn.execute("SELECT id, name FROM projects ORDER BY created_at, id")
            projects = {row[0]: {"id": row[0], "name": row[1], "scores": [], "traces": []} for row in cur}

            def project_of(project_id: str) -> dict[str, Any]:
                return projects.setdefault(project_id, {"id": project_id, "name": None,
                                                        "scores": [], "traces": []})

            cur = conn.execute(f"{_SELECT} ORDER BY created_at, seq")
            for row in cur.fetchall():
                score = _row(cur, row)
                project_of(score["project_id"])["scores"].append(score)
            traces: dict[tuple[str, str], dict[str, Any]] = {}
            cur = conn.execute(f"SELECT {', '.join(TRACE_COLUMNS)} FROM traces ORDER BY seq")
            for row in cur.fetchall():
                trace = self._decode(_row(cur, row), TRACE_JSON)
                trace["spans"] = []
                traces[(trace["project_id"], trace["trace_id"])] = trace
                project_of(trace["project_id"])["traces"].append(trace)
            cur = conn.execute(f"SELECT project_id, {', '.join(SPAN_COLUMNS)} FROM spans "
                               f"ORDER BY started_at, seq")
            for row in cur.fetchall():
                span = self._decode(_row(cur, row), SPAN_JSON)
                traces[(span.pop("project_id"), span["trace_id"])]["spans"].append(span)
        return list(projects.values())

    def load(self, projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Load projects and their scores in one transaction: all of it or nothing.

        Each project is {"id": uuid or None, "name": name or None, "scores": [...],
        "traces": [...] (optional), "created_at": micros (optional)}; a project is found by
        id, else by name, and created when new.  Each score holds every column of
        SCORE_COLUMNS but `project_id`, which comes from its project.  Each trace is a
        TraceCreate as loaded (times in microseconds, JSON as objects) with its "spans".
        Returns [{"id", "name", "scores": n, "traces": n}].
        Raises Conflict for an id or name that is already taken."""
        loaded = []
        try:
            with self.write() as conn:
                now = self.clock.now()
                for project in projects:
                    project_id, name = self._claim_project(conn, project)
                    rows = [{**score, "project_id": project_id} for score in project["scores"]]
                    self._insert_scores(conn, rows)
                    traces = project.get("traces") or []
                    self._insert_traces(conn, project_id, traces, now)
                    loaded.append({"id": project_id, "name": name, "scores": len(rows),
                                   "traces": len(traces)})
        except sqlite3.IntegrityError:
            taken = self._first_taken_score_id(
                [s["id"] for p in projects for s in p["scores"]])
            if taken is not None:
                raise Conflict(f"Trace score {taken} already exists.") from None
            taken = self._first_taken_trace(projects)
            if taken is None:
                raise
            raise Conflict(taken) from None
        return loaded

    def _insert_traces(self, conn: sqlite3.Connection, project_id: str,
                       traces: list[dict[str, Any]], now: int) -> None:
        """Bulk insert of new traces with their spans (no merging: an id taken is an error)."""
        trace_rows, span_rows = [], []
        for incoming in traces:
            trace = {c: incoming.get(c) for c in TRACE_COLUMNS}
            trace.update(trace_id=trace["trace_id"] or str(uuid.uuid4()), project_id=project_id,
                         metadata=trace["metadata"] or {}, tags=trace["tags"] or [])
            trace_rows.append({**{c: _json(trace[c]) if c in TRACE_JSON else trace[c]
                                  for c in TRACE_COLUMNS}, "now": now})
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

    def _claim_project(self, conn: sqlite3.Connection, project: dict[str, Any]) -> tuple[str, str | None]:
        """The id (and name) of a fixture's project, inserted when new; Conflict when its id
        and name name two different projects."""
        wanted_id, name = project.get("id"), project.get("name")
        by_id = by_name = None
        if wanted_id is not None:
            by_id = conn.execute("SELECT id, name FROM projects WHERE id = ?", (wanted_id,)).fetchone()
        if name is not None:
            by_name = conn.execute("SELECT id, name FROM projects WHERE name = ?", (name,)).fetchone()
        if by_name is not None and wanted_id is not None and by_name[0] != wanted_id:
            raise Conflict(f"Project {name!r} already exists with id {by_name[0]}.")
        if by_id is not None:
            if name is not None and by_id[1] is not None and by_id[1] != name:
                raise Conflict(f"Project {wanted_id} already exists with the name {by_id[1]!r}.")
            if name is not None and by_id[1] is None:
                conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, wanted_id))
            return wanted_id, name if name is not None else by_id[1]
        if by_name is not None:
            return by_name[0], name
        project_id = wanted_id or str(uuid.uuid4())
        conn.execute("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)",
                     (project_id, name, project.get("created_at") or self.clock.now()))
        return project_id, name

    def _first_taken_score_id(self, ids: list[str]) -> str | None:
        with self.read() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                row = conn.execute(
                    f"SELECT id FROM trace_scores WHERE id IN ({', '.join('?' * len(chunk))}) LIMIT 1",
                    chunk).fetchone()
                if row:
                    return row[0]
        return None


class Conflict(Exception):
    """A fixture names an id or a name that is already taken (409)."""
