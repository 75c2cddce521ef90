"""SQLite storage for the fake: tables, queries, transactions.

Stdlib `sqlite3` and parameterised SQL only.  The store knows nothing of Flask or
of HTTP: it takes and returns plain dicts, with times as integer microseconds since
the epoch (see clock.py).

A file database gets one connection per thread (WAL mode, so readers never wait
for the writer).  An in-memory database is private to its connection, so it gets
exactly one, shared by every thread behind a lock.

Here: connections and transactions, projects, trace scores and their analytics, and the
whole state (reset, dump, load).  Mixins of Store: traces and spans (stores/traces.py,
stores/trace_analytics.py), evaluation runs (stores/runs.py), sessions (stores/sessions.py),
session scores (stores/session_scores.py), monitors (stores/monitors.py).
Which files may be opened: stores/files.py; schema versions: stores/migrations.py.  Every
write of a file database bumps `store_changes.n`, so that a process notices another's writes
and drops its caches; a file deleted, replaced or made read-only while the fake runs makes
writes raise StoreUnavailable (answered 503) instead of going to a file that is gone.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import urllib.parse
import uuid
from typing import Any, Iterable, Iterator

from pandaprobe_fake.clock import Clock
from pandaprobe_fake.stores import UnknownFilter, files, migrations
from pandaprobe_fake.stores.scores import (SCORE_COLUMNS, SELECT_SCORE_ROWS, SELECT_SCORES, ScoreRow, numeric_value,
                                          score_of)
from pandaprobe_fake.stores.cache import COUNT, MISSING, PROJECT, StoreCache
from pandaprobe_fake.stores.runs import RUN_SCHEMA, RunStore
from pandaprobe_fake.stores.monitors import MONITOR_SCHEMA, MonitorStore
from pandaprobe_fake.stores.session_scores import SESSION_SCORE_SCHEMA, SessionScoreStore
from pandaprobe_fake.stores.session_scores import _SELECT as _SESSION_SCORE_SELECT
from pandaprobe_fake.stores.sessions import SESSION_SCHEMA, SessionStore
from pandaprobe_fake.stores.traces import SPAN_COLUMNS, SPAN_JSON, TRACE_COLUMNS, TRACE_JSON, TRACE_SCHEMA, TraceStore
from pandaprobe_fake.stores.trace_analytics import TraceAnalyticsStore
from pandaprobe_fake.stores.traces import _json, register_functions
from pandaprobe_fake.stores.traces import row_dict as _row

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
""" + TRACE_SCHEMA + RUN_SCHEMA + SESSION_SCHEMA + SESSION_SCORE_SCHEMA + MONITOR_SCHEMA

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


class StoreUnavailable(Exception):
    """The database cannot keep writes (its file was deleted, replaced or made read-only while
    the fake ran): answered 503, so that no write is acknowledged and then lost."""


class Store(TraceStore, TraceAnalyticsStore, RunStore, SessionStore, SessionScoreStore, MonitorStore):
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
        else:  # before SQLite touches it (DatabaseFileError)
            files.check_file(self.path, SCHEMA + migrations.MIGRATIONS_SQL, migrations.SCHEMA_VERSION)
        self._changes_lock = threading.Lock()
        self._changes_seen: int | None = None  # store_changes.n as this process last knew it
        # Bumped after every write transaction that may change what is due (all but writes of
        # scores or projects alone), and when the store learns that another process wrote or
        # is told to forget (clear_caches): what is due can be remembered until it moves
        # (`remembered_due`: stores/runs.py's `next_due`, stores/monitors.py's
        # `next_monitor_due`, asked before every request).
        self.due_version = 0
        self._due_lock = threading.Lock()
        self._due_memory: dict[str, tuple[int, int | None]] = {}  # remembered_due: name -> (version, due)
        try:
            with self._connection() as conn:
                migrations.upgrade(conn, SCHEMA, self.path or ":memory:")
                files.mark(conn)
                if self.path is not None:
                    self._identity = files.identity(self.path)
                    self._changes_seen = conn.execute("SELECT n FROM store_changes").fetchone()[0]
        except sqlite3.Error as err:  # e.g. a read-only directory, a full disk, a locked file
            self.close()
            raise files.DatabaseFileError(f"--db {self.path}: cannot be opened ({err})") from None

    # -- connections and transactions ------------------------------------------------

    def _open(self, path: str) -> sqlite3.Connection:
        if path != ":memory:" and self._changes_seen is not None:  # the file exists: open, never create
            path = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=rw"
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                               timeout=30.0, uri=path.startswith("file:"))
        conn.execute("PRAGMA busy_timeout = 30000")
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.create_function("py_lower", 1, lambda t: t.lower() if isinstance(t, str) else t,
                             deterministic=True)
        register_functions(conn)
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
            if self._changes_seen is not None:  # opened before: never make a new file in its place
                self.check_available()
            conn = self._local.conn = self._open(self.path)
        yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self, known: bool = False, schedule: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), committed or rolled back.

        The store's caches (stores/cache.py) are dropped after it, unless the caller says it is
        `known`: it only adds, edits or removes scores (or adds a project) and reports every
        change in a project's number of scores with `_counted` inside the block.  `schedule`:
        whether it may change what is due (runs, monitors: see `due_version`); a write of
        scores or projects alone says False."""
        self.check_available()
        with self._connection() as conn:
            self._local.counts = counts = {}
            self._cache.write_began(known)
            committed, before = False, None
            try:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    if self.path is not None:  # count the write, for other processes to see
                        before = conn.execute("UPDATE store_changes SET n = n + 1 RETURNING n").fetchone()[0] - 1
                except sqlite3.OperationalError as err:
                    raise self._unavailable(err) from None
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                try:
                    conn.execute("COMMIT")
                except sqlite3.OperationalError as err:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise self._unavailable(err) from None
                committed = True
            finally:
                self._cache.write_ended(known, committed, counts)
                if schedule:
                    self._due_may_have_moved()
            if before is not None:
                self._saw_changes(before, before + 1)

    # -- other processes and the file itself ----------------------------------------------

    def _saw_changes(self, expected: int, now: int) -> None:
        """The change counter read `now`, where this process expected `expected`: another
        process wrote in between, so what the cache remembers may be wrong."""
        with self._changes_lock:
            if self._changes_seen != expected:
                self.clear_caches()
            self._changes_seen = now

    def _fresh_cache(self, conn: sqlite3.Connection) -> None:
        """Before trusting the cache: drop it if another process has written since."""
        if self.path is None:
            return
        now = conn.execute("SELECT n FROM store_changes").fetchone()[0]
        if now != self._changes_seen:
            self._saw_changes(-1, now)

    def _cached(self, kind: str, key: Any) -> tuple[Any, Any]:
        with self.read() as conn:
            self._fresh_cache(conn)
        return self._cache.get(kind, key)

    def availability_problem(self) -> str | None:
        """Why the database file cannot keep writes any more (deleted, replaced, made
        read-only while the fake runs), or None."""
        if self.path is None:
            return None
        return files.still_usable(self.path, self._identity)

    def check_available(self) -> None:
        problem = self.availability_problem()
        if problem:
            raise StoreUnavailable(problem)

    def _unavailable(self, err: sqlite3.Error) -> "StoreUnavailable":
        return StoreUnavailable(self.availability_problem()
                                or f"the database file {self.path} cannot be written ({err})")

    def _counted(self, project_id: str, change: int) -> None:
        """Inside a known write: the project now holds `change` more scores."""
        counts = self._local.counts
        counts[project_id] = counts.get(project_id, 0) + change

    def clear_caches(self) -> None:
        """Forget what the store remembers between requests (project ids by name, score
        counts).  Writes through `write()` keep it right by themselves; call this after
        changing the database any other way."""
        self._cache.clear()
        self._due_may_have_moved()

    def notice_other_writes(self) -> None:
        """Learn whether another process wrote to the file since this one last looked (its
        change counter: one read of one row), dropping what is remembered if so and moving
        `due_version` on.  Called before what is due is asked (trace_runs.advance_runs): that
        comes before anything else in a request that would learn of it, so without this the
        first answer after another process's write (a run it made, a monitor it made due)
        came from stale memory."""
        if self.path is not None:
            with self.read() as conn:
                self._fresh_cache(conn)

    def remembered_due(self, name: str, sql: str) -> int | None:
        """The answer of `sql` (one value: the earliest time something is due), remembered
        under `name` until `due_version` moves."""
        version = self.due_version  # read before the query: a write during it makes this stale at once
        seen, due = self._due_memory.get(name, (-1, None))
        if seen == version:
            return due
        with self.read() as conn:
            due = conn.execute(sql).fetchone()[0]
        self._due_memory[name] = (version, due)
        return due

    def _due_may_have_moved(self) -> None:
        """After a write (its COMMIT) or a change learnt of: `due_version` moves on, one at a time."""
        with self._due_lock:
            self.due_version += 1

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
        project_id, token = self._cached(PROJECT, name)
        if project_id is MISSING:
            with self.read() as conn:
                row = conn.execute("SELECT id FROM projects WHERE name = ?", (name,)).fetchone()
            if row:
                project_id = row[0]
            else:
                with self.write(known=True, schedule=False) as conn:
                    conn.execute("INSERT OR IGNORE INTO projects (id, name, created_at) VALUES (?, ?, ?)",
                                 (str(uuid.uuid4()), name, self.clock.now()))
                    project_id = conn.execute("SELECT id FROM projects WHERE name = ?",
                                              (name,)).fetchone()[0]
            self._cache.put(PROJECT, name, project_id, token)
        return project_id

    def remember_project_id(self, project_id: str) -> None:
        """Record a project known only by id (the Bearer + X-Project-ID way in)."""
        known, token = self._cached(PROJECT, ("id", project_id))
        if known is not MISSING:
            return
        with self.read() as conn:
            row = conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone()
        if not row:
            with self.write(known=True, schedule=False) as conn:
                conn.execute("INSERT OR IGNORE INTO projects (id, name, created_at) VALUES (?, NULL, ?)",
                             (project_id, self.clock.now()))
        self._cache.put(PROJECT, ("id", project_id), True, token)

    def projects(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            cur = conn.execute("SELECT id, name, created_at FROM projects ORDER BY created_at, id")
            return [_row(cur, r) for r in cur.fetchall()]

    # -- trace scores -----------------------------------------------------------------------

    def create_score(self, project_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Insert one score.  `fields` holds trace_id, name, value, data_type, source, reason
        and metadata (a dict); the rest is filled in here, the derived columns (`num`, the
        metadata's JSON text) by `_insert_scores`.  The time is read
        inside the write transaction, so timestamps follow the order of the writes."""
        with self.write(known=True, schedule=False) as conn:
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
        """Bulk insert of complete score dicts (every column of SCORE_COLUMNS but the derived
        `num`; metadata a dict or its JSON text)."""
        with self.write() as conn:
            return self._insert_scores(conn, scores)

    @staticmethod
    def _insert_scores(conn: sqlite3.Connection, scores: Iterable[dict[str, Any]]) -> int:
        sql = (f"INSERT INTO trace_scores ({', '.join(SCORE_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(SCORE_COLUMNS))})")

        def rows():
            for score in scores:
                score["num"] = numeric_value(score["data_type"], score["value"])
                if not isinstance(score["metadata"], str):
                    score["metadata"] = _json(score["metadata"])
                yield [score[c] for c in SCORE_COLUMNS]

        cur = conn.executemany(sql, rows())
        return cur.rowcount

    def get_score(self, project_id: str, score_id: str) -> dict[str, Any] | None:
        with self.read() as conn:
            cur = conn.execute(f"{SELECT_SCORES} WHERE id = ? AND project_id = ?", (score_id, project_id))
            row = cur.fetchone()
            return score_of(row) if row else None

    def update_score(self, project_id: str, score_id: str, changes: dict[str, Any],
                     data_types: tuple[str, ...] | None = None) -> dict[str, Any] | None:
        """Apply `changes` (columns -> values; metadata a dict) and stamp updated_at; None if
        no such score.  A new value sets the derived `num` by the score's data type.
        `data_types`: change the score only if its data type is one of these (those whose
        rule the new value meets), else raise WrongDataType with its type and change nothing --
        one UPDATE ... RETURNING in the common case, no SELECT before it."""
        with self.write(known=True, schedule=False) as conn:
            changes = {**changes, "updated_at": self.clock.now()}
            if "metadata" in changes and not isinstance(changes["metadata"], str):
                changes["metadata"] = _json(changes["metadata"])
            assignments = [f"{column} = ?" for column in changes]
            if "value" in changes:
                changes["num"] = numeric_value("NUMERIC", changes["value"])
                assignments.append("num = CASE data_type WHEN 'NUMERIC' THEN ? END")
            assignments = ", ".join(assignments)
            where, params = "id = ? AND project_id = ?", [score_id, project_id]
            if data_types is not None:
                where += f" AND data_type IN ({', '.join('?' * len(data_types))})" if data_types \
                    else " AND 0"
                params += data_types
            cur = conn.execute(
                f"UPDATE trace_scores SET {assignments} WHERE {where} "
                f"RETURNING {', '.join(SCORE_COLUMNS)}",
                (*changes.values(), *params))
            row = cur.fetchone()
            if row is None and data_types is not None:
                found = conn.execute("SELECT data_type FROM trace_scores WHERE id = ? AND project_id = ?",
                                     (score_id, project_id)).fetchone()
                if found is not None:
                    raise WrongDataType(found[0])  # rolled back: nothing changed
            return score_of(row) if row else None

    def delete_score(self, project_id: str, score_id: str) -> bool:
        with self.write(known=True, schedule=False) as conn:
            cur = conn.execute("DELETE FROM trace_scores WHERE id = ? AND project_id = ?",
                               (score_id, project_id))
            if cur.rowcount > 0:
                self._counted(project_id, -1)
            return cur.rowcount > 0

    @staticmethod
    def _where(project_id: str, filters: dict[str, Any],
               unindexed: tuple[str, ...] = ()) -> tuple[str, list[Any]]:
        """The WHERE clause of the list filters.  A column in `unindexed` is written `+column`,
        which keeps SQLite from reaching for an index on it (the answer is the same).  A filter
        the store does not know is an UnknownFilter, never silently ignored."""
        unknown = sorted(set(filters) - _LIST_FILTERS.keys())
        if unknown:
            raise UnknownFilter(f"the score list has no filter {', '.join(unknown)}")
        clauses, params = ["project_id = ?"], [project_id]
        for key, (column, operator) in _LIST_FILTERS.items():
            if filters.get(key) is not None:
                clauses.append(f"{'+' if column in unindexed else ''}{column} {operator} ?")
                params.append(filters[key])
        return " AND ".join(clauses), params

    def list_scores(self, project_id: str, filters: dict[str, Any], limit: int,
                    offset: int) -> tuple[list[ScoreRow], int]:
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
                total, token = self._cached(COUNT, project_id)
                if total is MISSING:
                    total = conn.execute(f"SELECT COUNT(*) FROM trace_scores WHERE {where}",
                                         params).fetchone()[0]
                    self._cache.put(COUNT, project_id, total, token)
            else:
                total = conn.execute(f"SELECT COUNT(*) FROM trace_scores WHERE {where}",
                                     params).fetchone()[0]
            items: list[ScoreRow] = []
            if offset < total:
                cur = conn.execute(
                    f"{SELECT_SCORE_ROWS} WHERE {page_where} ORDER BY {order} LIMIT ? OFFSET ?",
                    (*page_params, limit, offset))
                items = list(map(ScoreRow, cur.fetchall()))
        return items, total

    def latest_scores_for_trace(self, project_id: str, trace_id: str) -> list[ScoreRow]:
        """The newest score of each metric name of one trace, ordered by name: one seek in
        ix_scores_project_trace per metric, however many times each was scored."""
        with self.read() as conn:
            rows = conn.execute(
                f"{SELECT_SCORE_ROWS} WHERE seq IN ("
                f"SELECT (SELECT seq FROM trace_scores"
                f" WHERE project_id = :project_id AND trace_id = :trace_id AND name = names.name"
                f" ORDER BY created_at DESC, seq DESC LIMIT 1)"
                f" FROM (SELECT DISTINCT name FROM trace_scores"
                f" WHERE project_id = :project_id AND trace_id = :trace_id) AS names)"
                f" ORDER BY name", {"project_id": project_id, "trace_id": trace_id}).fetchall()
        return list(map(ScoreRow, rows))

    # -- analytics ------------------------------------------------------------------------

    @staticmethod
    def _range(date_from: int | None, date_to: int | None) -> str:
        """SQL for the date range, on the named parameters :date_from and :date_to."""
        return ((" AND created_at >= :date_from" if date_from is not None else "")
                + (" AND created_at < :date_to" if date_to is not None else ""))

    def score_summary(self, project_id: str, date_from: int | None,
                      date_to: int | None, table: str = "trace_scores") -> list[dict[str, Any]]:
        """Per metric name: counts by status, and avg/min/max/median over the numbers of the
        NUMERIC, SUCCESS scores (PostgreSQL percentile_cont(0.5) for the median).  `table`:
        trace_scores or session_scores (the same columns)."""
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
                f" FROM {table} WHERE project_id = :project_id{rng}"
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
                        f"SELECT num FROM {table} WHERE project_id = :project_id"
                        f" AND name = :name AND {ok}{rng} ORDER BY num LIMIT 2 OFFSET :skip",
                        {**params, "name": name, "skip": (n - 1) // 2}).fetchall()
                    lo = middle[0][0]
                    hi = middle[1][0] if n % 2 == 0 else lo
                    item["median_score"] = lo + 0.5 * (hi - lo) if n % 2 == 0 else lo
        return list(items.values())

    def score_trend(self, project_id: str, metric_name: str, date_from: int | None,
                    date_to: int | None, granularity: str,
                    table: str = "trace_scores") -> list[dict[str, Any]]:
        params = {"project_id": project_id, "name": metric_name, "date_from": date_from,
                  "date_to": date_to}
        with self.read() as conn:
            cur = conn.execute(
                f"SELECT {_BUCKET_SQL[granularity]} AS bucket, AVG(num) AS avg_score, COUNT(*) AS count"
                f" FROM {table} WHERE project_id = :project_id AND name = :name"
                f" AND data_type = 'NUMERIC' AND status = 'SUCCESS' AND num IS NOT NULL"
                f"{self._range(date_from, date_to)}"
                f" GROUP BY bucket ORDER BY bucket", params)
            return [dict(_row(cur, r), metric_name=metric_name) for r in cur.fetchall()]

    def score_distribution(self, project_id: str, metric_name: str, date_from: int | None,
                           date_to: int | None, buckets: int,
                           table: str = "trace_scores") -> list[dict[str, Any]]:
        """PostgreSQL width_bucket(num, 0.0, 1.0, buckets): [0,1) in 1..n, 1.0 and above
        in n + 1, below 0 in 0.  Only non-empty buckets."""
        params = {"project_id": project_id, "name": metric_name, "date_from": date_from,
                  "date_to": date_to, "n": buckets}
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT CASE WHEN num < 0.0 THEN 0 WHEN num >= 1.0 THEN :n + 1"
                f" ELSE CAST(:n * num AS INTEGER) + 1 END AS bucket, COUNT(*)"
                f" FROM {table} WHERE project_id = :project_id AND name = :name"
                f" AND data_type = 'NUMERIC' AND status = 'SUCCESS' AND num IS NOT NULL"
                f"{self._range(date_from, date_to)}"
                f" GROUP BY bucket ORDER BY bucket", params).fetchall()
        return [{"bucket": k, "bucket_min": round(max(0.0, (k - 1) / buckets), 4),
                 "bucket_max": round(min(1.0, k / buckets), 4), "count": count}
                for k, count in rows]

    # -- the whole state: reset, dump, bulk load (the /_fake/ control API and demo data) ------

    # Every table, children first.
    _TABLES = ("eval_runs", "trace_scores", "session_scores", "monitors", "spans", "traces", "projects")

    def reset(self) -> None:
        """Empty every table.  An in-memory database is swapped for a fresh one (well under
        a millisecond, where DELETE takes 5 ms per 10,000 scores); a file database is
        emptied table by table.  Either way the store's caches are forgotten (the control
        API's reset relies on it)."""
        if self._shared is not None:
            with self._shared_lock:
                fresh = self._open(":memory:")
                migrations.upgrade(fresh, SCHEMA)
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
        trace with its spans), its evaluation runs, session scores and monitors, as plain dicts:
        [{"id", "name", "scores", "traces", "runs", "session_scores", "monitors"}]."""
        with self.read() as conn:
            cur = conn.execute("SELECT id, name FROM projects ORDER BY created_at, id")
            projects = {row[0]: {"id": row[0], "name": row[1], "scores": [], "traces": [], "runs": [],
                                 "session_scores": [], "monitors": []} for row in cur}

            def project_of(project_id: str) -> dict[str, Any]:
                return projects.setdefault(project_id, {"id": project_id, "name": None,
                                                        "scores": [], "traces": [], "runs": [],
                                                        "session_scores": [], "monitors": []})

            cur = conn.execute(f"{SELECT_SCORES} ORDER BY created_at, seq")
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
                               f"ORDER BY started_at, span_id")
            for row in cur.fetchall():
                span = self._decode(_row(cur, row), SPAN_JSON)
                traces[(span.pop("project_id"), span["trace_id"])]["spans"].append(span)
            for run in self.dump_runs(conn):
                project_of(run["project_id"])["runs"].append(run)
            cur = conn.execute(f"{_SESSION_SCORE_SELECT} ORDER BY created_at, seq")
            for row in cur.fetchall():
                score = _row(cur, row)
                project_of(score["project_id"])["session_scores"].append(score)
        for monitor in self.dump_monitors():
            project_of(monitor["project_id"])["monitors"].append(monitor)
        return list(projects.values())

    def load(self, projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Load projects and their scores in one transaction: all of it or nothing.

        Each project is {"id": uuid or None, "name": name or None, "scores": [...],
        "traces": [...] (optional), "created_at": micros (optional)}; a project is found by
        id, else by name, and created when new.  Each score holds every column of
        SCORE_COLUMNS but `project_id`, which comes from its project.  Each trace is a
        TraceCreate as loaded (times in microseconds, JSON as objects) with its "spans".
        Each run (optional "runs") holds every column of RUN_COLUMNS but `project_id`.
        Returns [{"id", "name", "scores": n, "traces": n, "runs": n}].
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
                    runs = [{**run, "project_id": project_id} for run in project.get("runs") or []]
                    self._insert_runs(conn, runs)
                    session_scores = [{**score, "project_id": project_id}
                                      for score in project.get("session_scores") or []]
                    self._insert_session_scores(conn, session_scores, now)
                    monitors = [{**monitor, "project_id": project_id}
                                for monitor in project.get("monitors") or []]
                    self._insert_monitors(conn, monitors)
                    loaded.append({"id": project_id, "name": name, "scores": len(rows),
                                   "traces": len(traces), "runs": len(runs),
                                   "session_scores": len(session_scores), "monitors": len(monitors)})
        except sqlite3.IntegrityError:
            taken = self._first_taken_score_id(
                [s["id"] for p in projects for s in p["scores"]])
            if taken is not None:
                raise Conflict(f"Trace score {taken} already exists.") from None
            taken = self._first_taken_id("session_scores", [
                s["id"] for p in projects for s in p.get("session_scores") or [] if s.get("id")])
            if taken is not None:
                raise Conflict(f"Session score {taken} already exists.") from None
            taken = self._first_taken_id("monitors", [
                m["id"] for p in projects for m in p.get("monitors") or [] if m.get("id")])
            if taken is not None:
                raise Conflict(f"Eval monitor {taken} already exists.") from None
            taken = self._first_taken_trace(projects)
            if taken is None:
                taken = self._first_taken_run_id([r["id"] for p in projects for r in p.get("runs") or []])
                if taken is not None:
                    raise Conflict(f"Eval run {taken} already exists.") from None
                raise
            raise Conflict(taken) from None
        return loaded

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
        return self._first_taken_id("trace_scores", ids)

    def _first_taken_id(self, table: str, ids: list[str]) -> str | None:
        """The first of `ids` already in `table`, or repeated in `ids`."""
        if len(set(ids)) < len(ids):
            seen: set[str] = set()
            for one in ids:
                if one in seen:
                    return one
                seen.add(one)
        with self.read() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                taken = {row[0] for row in conn.execute(
                    f"SELECT id FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})", chunk)}
                for one in chunk:  # the first in the document's order
                    if one in taken:
                        return one
        return None


class WrongDataType(Exception):
    """update_score: the score's data type (args[0]) is not one the new value fits."""

    @property
    def data_type(self) -> str:
        return self.args[0]


class Conflict(Exception):
    """A fixture names an id or a name that is already taken (409)."""
