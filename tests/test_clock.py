"""The one clock: strictly increasing readings, freezing, and clock.isoformat writing exactly
what datetime.isoformat() writes for an aware UTC time."""

import random
import threading
from datetime import datetime, timezone

import pytest

from pandaprobe_fake.clock import Clock, isoformat, to_datetime, to_micros

FIRST = to_micros(datetime(1, 1, 1, tzinfo=timezone.utc))
LAST = to_micros(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc))


@pytest.mark.parametrize("us", [0, 1, -1, 999_999, 1_000_000, -1_000_000, 86_399_999_999,
                                1_764_190_000_123_456, 1_764_190_000_000_000, FIRST, LAST])
def test_edges(us):
    assert isoformat(us) == to_datetime(us).isoformat()


def test_a_spread_of_times_with_and_without_a_fraction():
    rng = random.Random(2026)
    for _ in range(5000):
        us = rng.randrange(FIRST, LAST + 1)
        for value in (us, us - us % 1_000_000):
            assert isoformat(value) == to_datetime(value).isoformat()


def test_none_is_none():
    assert isoformat(None) is None


def test_readings_strictly_increase_even_across_threads():
    clock = Clock()
    readings: list[int] = []
    lock = threading.Lock()

    def read():
        mine = [clock.now() for _ in range(2000)]
        assert mine == sorted(mine) and len(set(mine)) == len(mine)
        with lock:
            readings.extend(mine)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(readings)) == len(readings) == 8000


def test_freeze_advance_unfreeze():
    clock = Clock()
    clock.freeze(to_micros(datetime(2026, 1, 1, tzinfo=timezone.utc)))
    assert clock.frozen
    assert isoformat(clock.now()) == isoformat(clock.now()) == "2026-01-01T00:00:00+00:00"
    clock.advance(90.5)
    assert isoformat(clock.now()) == "2026-01-01T00:01:30.500000+00:00"
    clock.unfreeze()
    assert not clock.frozen
    assert clock.now() > to_micros(datetime(2026, 11, 1, tzinfo=timezone.utc))


def test_isoformat_like_the_real_server():
    assert isoformat(0) == "1970-01-01T00:00:00+00:00"
    assert isoformat(1_774_778_402_450_000) == "2026-03-29T10:00:02.450000+00:00"
    assert isoformat(None) is None
    assert to_micros(datetime(2026, 3, 29, 12, 0, 2, 450000)) == 1_774_785_602_450_000  # naive is UTC
