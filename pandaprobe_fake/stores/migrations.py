"""The database's schema version (SQLite's `PRAGMA user_version`) and the ordered migrations
that bring a file written by an earlier fake up to this one's, in place.

Version 0 is a file of pandaprobe-fake 0.7.0 and before (no version written): the base schema
(store.SCHEMA, all `CREATE ... IF NOT EXISTS`) is the schema of that version plus any tables
added since by new mixins, so running it first creates what is missing.  Then each migration
newer than the file's version runs in its own transaction, which also writes its version.
A file of a newer fake (a version above SCHEMA_VERSION) is refused, untouched.

Add a migration by appending (version, step) to MIGRATIONS -- SQL text, or a function of the
connection for what SQL cannot say conditionally (a column added to a table an older file
holds, which the base schema already creates with a new file); never edit one released.
"""

from __future__ import annotations

import sqlite3

from typing import Callable

from pandaprobe_fake.stores.files import DatabaseFileError


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _trace_columns(conn: sqlite3.Connection) -> None:
    """2: when a trace becomes readable (--ingest-delay), and the token counts of a span."""
    if "visible_at" not in _columns(conn, "traces"):
        conn.execute("ALTER TABLE traces ADD COLUMN visible_at INTEGER")
    have = _columns(conn, "spans")
    for column in ("prompt_tokens", "completion_tokens"):
        if column not in have:
            conn.execute(f"ALTER TABLE spans ADD COLUMN {column} NOT NULL DEFAULT 0")


MIGRATIONS: list[tuple[int, str | Callable[[sqlite3.Connection], None]]] = [
    # 1: the change counter other processes' writes are noticed by (store.Store._fresh_cache)
    (1, """
CREATE TABLE IF NOT EXISTS store_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT OR IGNORE INTO store_changes (id, n) VALUES (1, 0);
"""),
    (2, _trace_columns),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
# the tables of the SQL migrations count as the fake's own
MIGRATIONS_SQL = "".join(step for _, step in MIGRATIONS if isinstance(step, str))


def version_of(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def check_version(version: int, path: str) -> None:
    if version > SCHEMA_VERSION:
        raise DatabaseFileError(f"--db {path}: written by a newer pandaprobe-fake (schema version "
                                f"{version}; this one knows up to {SCHEMA_VERSION}); left untouched")


def upgrade(conn: sqlite3.Connection, base_schema: str, path: str = ":memory:") -> int:
    """Bring an open database (autocommit connection) to SCHEMA_VERSION; returns the version
    it had."""
    found = version_of(conn)
    check_version(found, path)
    conn.executescript(base_schema)
    for version, sql in MIGRATIONS:
        if version <= found:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if callable(sql):
                sql(conn)
            else:
                for statement in filter(str.strip, sql.split(";")):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return found
