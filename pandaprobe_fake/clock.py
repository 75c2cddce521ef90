"""The one clock every timestamp the fake writes comes from.

Time is an integer count of microseconds since the Unix epoch (UTC): that is what
the store keeps, sorts and filters on.  The real clock only moves forward: each
reading is later than the one before (by a microsecond if the wall clock has not
moved, or has stepped back), so a timestamp written after another is always newer.
The clock can be frozen and moved on by hand, which the test controls use.
"""

from __future__ import annotations

import functools
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


_DAY_US = 86_400_000_000
# The instants the fake can write: years 1 to 9999 in UTC (Python's datetime).  Input naming
# others is refused (fields.parse_datetime, the clock controls); a stored value outside them
# (a database edited by hand) is written as the nearest end of the range, never a failure.
MIN_MICROS = to_micros(datetime(1, 1, 1, tzinfo=timezone.utc))
MAX_MICROS = to_micros(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc))


def in_range(us: int) -> bool:
    return MIN_MICROS <= us <= MAX_MICROS


@functools.lru_cache(maxsize=4096)
def _date_part(day: int) -> str:
    """'YYYY-MM-DDT' of a day counted from the epoch."""
    return (EPOCH + timedelta(days=day)).date().isoformat() + "T"


def isoformat(us: int | None) -> str | None:
    """As the real server writes a timestamp: `datetime.isoformat()` of an aware UTC value
    (the fraction left out when it is 0).  Written by hand around a cached date, since a page
    of scores writes a hundred of them: the same text as `to_datetime(us).isoformat()`."""
    if us is None:
        return None
    us = min(max(us, MIN_MICROS), MAX_MICROS)
    day, rest = divmod(us, _DAY_US)
    seconds, micros = divmod(rest, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if micros:
        return "%s%02d:%02d:%02d.%06d+00:00" % (_date_part(day), hours, minutes, seconds, micros)
    return "%s%02d:%02d:%02d+00:00" % (_date_part(day), hours, minutes, seconds)


class OutOfRange(ValueError):
    """An instant the clock cannot show."""


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
        if not in_range(us):
            raise OutOfRange("the clock cannot show an instant outside years 1 to 9999 (UTC)")
        with self._lock:
            self._frozen = us

    def advance(self, seconds: float) -> None:
        """Move a frozen clock on; refused (the clock unchanged) past year 9999."""
        with self._lock:
            if self._frozen is None:
                raise ValueError("the clock is not frozen")
            moved = self._frozen + round(seconds * 1_000_000)
            if not in_range(moved):
                raise OutOfRange("advancing the clock by that much would take it past year 9999 (UTC)")
            self._frozen = moved

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None
