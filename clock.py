"""The one clock every timestamp the fake writes comes from.

Time is an integer count of microseconds since the Unix epoch (UTC): that is what
the store keeps, sorts and filters on.  The real clock only moves forward: each
reading is later than the one before (by a microsecond if the wall clock has not
moved, or has stepped back), so a timestamp written after another is always newer.
The clock can be frozen and moved on by hand, which the test controls use.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_datetime(us: int) -> datetime:
    """Microseconds since the epoch -> aware UTC datetime (exact, no float)."""
    return EPOCH + timedelta(microseconds=us)


def to_micros(dt: datetime) -> int:
    """Aware datetime (naive is read as UTC) -> microseconds since the epoch."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def isoformat(us: int | None) -> str | None:
    """As the real server writes a timestamp: `datetime.isoformat()` of an aware UTC value."""
    return None if us is None else to_datetime(us).isoformat()


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._frozen: int | None = None

    def now(self) -> int:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            self._last = max(time.time_ns() // 1000, self._last + 1)
            return self._last

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self, us: int) -> None:
        with self._lock:
            self._frozen = us

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is None:
                raise ValueError("the clock is not frozen")
            self._frozen += round(seconds * 1_000_000)

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None
