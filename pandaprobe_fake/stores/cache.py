"""What the store remembers between requests: answers read from the database that are
costly to read again (a project's id by name, how many scores a project holds), kept
exactly right across writes.

Every write transaction of the store tells this cache when it begins and when it ends.
A write that says exactly what it changed (`known=True`: it only adds, edits or removes
scores, and reports how many per project) keeps the cache and adjusts the counts; any other
write (a bulk load, a reset, a cascade from a deleted trace...) drops everything.

A value read from the database is put back only if nothing could have changed it while it
was being read: `get` hands out a token, and `put` keeps the value only if no write that
could change it was in flight or finished since.  Project ids are only changed by the
"other" kind of write; counts by any write.
"""

from __future__ import annotations

import threading
from typing import Any, Hashable

MISSING = object()

# Kinds of entries: how a write can make them wrong.
COUNT = "count"      # changed by any write (a known write adjusts it)
PROJECT = "project"  # changed only by an unknown write (known writes never remove a project)


class StoreCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, Hashable], Any] = {}
        self._generation = {COUNT: 0, PROJECT: 0}
        self._in_flight = {COUNT: 0, PROJECT: 0}

    def get(self, kind: str, key: Hashable) -> tuple[Any, Any]:
        """(the value or MISSING, a token for `put`)."""
        with self._lock:
            token = None if self._in_flight[kind] else self._generation[kind]
            return self._values.get((kind, key), MISSING), token

    def put(self, kind: str, key: Hashable, value: Any, token: Any) -> None:
        """Keep a value read from the database after `get` gave `token`, unless a write that
        could change it has been in flight since."""
        with self._lock:
            if token is not None and token == self._generation[kind] and not self._in_flight[kind]:
                self._values[(kind, key)] = value

    def write_began(self, known: bool) -> None:
        with self._lock:
            for kind in (COUNT,) if known else (COUNT, PROJECT):
                self._in_flight[kind] += 1
                self._generation[kind] += 1

    def write_ended(self, known: bool, committed: bool, counts: dict[Hashable, int]) -> None:
        """After COMMIT (or ROLLBACK).  `counts`: project -> change in its number of scores,
        for a known write."""
        with self._lock:
            for kind in (COUNT,) if known else (COUNT, PROJECT):
                self._in_flight[kind] -= 1
                self._generation[kind] += 1
            if not committed:
                return
            if not known:
                self._values.clear()
                return
            for project, change in counts.items():
                key = (COUNT, project)
                if key in self._values:
                    self._values[key] += change

    def clear(self) -> None:
        """Forget everything (for whoever changes the database behind the store's back)."""
        with self._lock:
            self._values.clear()
            for kind in self._generation:
                self._generation[kind] += 1
