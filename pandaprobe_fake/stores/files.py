"""Which database files the fake may open, checked before SQLite writes a byte to them.

The fake's files carry its mark in the SQLite header (`PRAGMA application_id`, FAKE_APP_ID).
`check_file` refuses (DatabaseFileError, one sentence naming the file) a --db in a missing
directory, a directory, a file that is not SQLite, a read-only file, and a SQLite file of
another application -- one marked with another id, or unmarked with tables that are not the
fake's -- reading only its header and (opened `immutable`, which locks and creates nothing)
its table names, so a refused file is left byte for byte as it was.  An unmarked file that
holds only the fake's own tables (one written before the mark existed) is accepted, and
marked when the store has opened it (`mark`).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote

FAKE_APP_ID = 0x50504B46  # "PPKF"
SQLITE_MAGIC = b"SQLite format 3\x00"
CORE_TABLES = frozenset(("projects", "trace_scores"))  # every version of the fake has these
_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)", re.IGNORECASE)


class DatabaseFileError(Exception):
    """A database file the fake will not open; the message says which and why."""


def tables_of(schema: str) -> frozenset[str]:
    """The table names a schema script creates."""
    return frozenset(_TABLE.findall(schema))


def check_file(path: str, schema: str, max_version: int) -> None:
    """Raise DatabaseFileError unless `path` may be opened (and created) as the fake's
    database with `schema` (every table it creates), at schema version `max_version` or
    below (`PRAGMA user_version`, see migrations.py)."""
    file = Path(path)
    parent = file.parent if str(file.parent) else Path(".")
    if not file.exists():
        if not parent.is_dir():
            raise DatabaseFileError(f"--db {path}: the directory {str(parent)!r} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise DatabaseFileError(f"--db {path}: the directory {str(parent)!r} is not writable")
        return
    if file.is_dir():
        raise DatabaseFileError(f"--db {path}: is a directory, not a database file")
    mode = file.stat().st_mode
    if not os.access(file, os.R_OK | os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise DatabaseFileError(f"--db {path}: the file is read-only (the fake writes to its database)")
    with open(file, "rb") as handle:
        header = handle.read(100)
    if not header:
        return  # an empty file: SQLite makes a new database in it
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise DatabaseFileError(f"--db {path}: not a SQLite database file")
    app_id = int.from_bytes(header[68:72], "big")
    version = int.from_bytes(header[60:64], "big")
    if app_id == FAKE_APP_ID:
        if version > max_version:
            raise DatabaseFileError(f"--db {path}: written by a newer pandaprobe-fake (schema "
                                    f"version {version}; this one knows up to {max_version}); "
                                    f"left untouched")
        return
    if app_id:
        raise DatabaseFileError(f"--db {path}: a SQLite database of another application "
                                f"(application_id {app_id:#010x}); left untouched")
    tables = _table_names(path)
    ours = tables_of(schema)
    if tables and not (tables <= ours and CORE_TABLES <= tables):
        shown = ", ".join(sorted(tables - ours) or sorted(tables))
        raise DatabaseFileError(f"--db {path}: a SQLite database of another application "
                                f"(tables {shown}); left untouched")


def _table_names(path: str) -> frozenset[str]:
    uri = "file:" + quote(os.path.abspath(path)) + "?immutable=1"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                " AND name NOT LIKE 'sqlite_%'").fetchall()
    except sqlite3.DatabaseError as err:
        raise DatabaseFileError(f"--db {path}: not a readable SQLite database ({err})") from None
    return frozenset(name for (name,) in rows)


def mark(conn: sqlite3.Connection) -> None:
    """Mark an open database as the fake's (a no-op when it already is)."""
    if conn.execute("PRAGMA application_id").fetchone()[0] != FAKE_APP_ID:
        conn.execute(f"PRAGMA application_id = {FAKE_APP_ID}")


def identity(path: str) -> tuple[int, int]:
    """The file as opened (device and inode): a file put in its place is another one."""
    info = os.stat(path)
    return info.st_dev, info.st_ino


def still_usable(path: str, opened: tuple[int, int]) -> str | None:
    """Why the database file opened as `opened` can no longer keep writes, or None."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return f"the database file {path} was deleted while the fake ran; restart it"
    except OSError as err:
        return f"the database file {path} cannot be reached ({err.strerror})"
    if (info.st_dev, info.st_ino) != opened:
        return f"the database file {path} was replaced while the fake ran; restart it"
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        return f"the database file {path} was made read-only while the fake ran"
    return None
