"""clock.isoformat writes exactly what datetime.isoformat() writes for an aware UTC time."""

import random

import pytest

from clock import isoformat, to_datetime, to_micros
from datetime import datetime, timezone

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
