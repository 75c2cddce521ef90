"""The demo page's chart geometry (ui/charts.py): tick labels of a trend chart never overlap,
whatever the spacing of its points in time, and the first and last points keep theirs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pandaprobe_fake.ui import charts

START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def trend(offsets_hours, granularity="hour"):
    items = [{"bucket": (START + timedelta(hours=h)).isoformat(), "avg_score": 0.5, "count": 1}
             for h in offsets_hours]
    return charts.trend_chart(items, granularity)


def overlapping(ticks):
    return [(a["label"], b["label"]) for a, b in zip(ticks, ticks[1:])
            if b["x"] - a["x"] < (charts.label_width(a["label"]) + charts.label_width(b["label"])) / 2]


@pytest.mark.parametrize("offsets, granularity", [
    ([0, 1, 2, 3, 300], "hour"),                 # a bunch, then one far away (sparse)
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "hour"),  # evenly and densely spaced
    ([0, 200, 201, 202, 203], "hour"),           # one early, a bunch at the end
    ([0, 24, 48, 24 * 13], "day"),
    ([0, 1], "hour"),                            # two points an hour apart
    (list(range(0, 24 * 14, 24)), "day"),         # fourteen days
])
def test_trend_tick_labels_never_overlap(offsets, granularity):
    chart = trend(offsets, granularity)
    ticks = chart["x_ticks"]
    assert overlapping(ticks) == []
    assert ticks[0]["label"] == chart["points"][0]["label"]
    if len(chart["points"]) > 1 and charts._apart(chart["points"][0], chart["points"][-1]):
        assert ticks[-1]["label"] == chart["points"][-1]["label"]
    assert len(ticks) <= charts.MAX_X_LABELS


def test_a_sparse_trend_keeps_first_and_last_and_drops_the_crowded_middle():
    chart = trend([0, 1, 2, 3, 300])
    assert [t["label"] for t in chart["x_ticks"]] == ["03-01 00h", "03-13 12h"]


def test_labels_just_far_enough_apart_are_both_kept():
    width = charts.label_width("03-01 00h")
    a = {"x": 100.0, "label": "03-01 00h"}
    assert charts._apart(a, {"x": 100.0 + width + charts.LABEL_GAP, "label": "03-01 01h"})
    assert not charts._apart(a, {"x": 100.0 + width + charts.LABEL_GAP - 0.1, "label": "03-01 01h"})


def test_a_single_point_has_its_label():
    assert [t["label"] for t in trend([5])["x_ticks"]] == ["03-01 05h"]


def labels(offsets):
    return [t["label"] for t in trend(offsets)["x_ticks"]]


def test_a_label_is_as_wide_as_its_characters():
    """9 characters of 10 px text: 55.8 units.  Two such labels 50 units apart overlap; 64 apart
    (their width and the gap) do not."""
    assert charts.label_width("03-01 00h") == pytest.approx(55.8)
    a = {"x": 100.0, "label": "03-01 00h"}
    assert not charts._apart(a, {"x": 150.0, "label": "03-01 01h"})
    assert charts._apart(a, {"x": 164.0, "label": "03-01 01h"})


def test_exactly_the_gap_apart_is_apart():
    a = {"x": 0.0, "label": "03-01 00h"}
    exact = charts.label_width("03-01 00h") + charts.LABEL_GAP
    assert charts._apart(a, {"x": exact, "label": "03-01 01h"})
    assert not charts._apart(a, {"x": exact - 1e-9, "label": "03-01 01h"})


def test_a_middle_label_crowding_the_one_before_is_left_out():
    """0h, 60h, 85h, 300h: 85h crowds 60h (31 units) and goes; 60h keeps its label."""
    assert labels([0, 60, 85, 300]) == ["03-01 00h", "03-03 12h", "03-13 12h"]


def test_the_last_label_replaces_the_one_crowding_it():
    """The last point keeps its label: 299h, which 300h crowds, goes instead."""
    assert labels([0, 100, 200, 299, 300]) == ["03-01 00h", "03-05 04h", "03-09 08h", "03-13 12h"]


def test_points_at_the_same_time_get_one_label():
    assert labels([5, 5]) == ["03-01 05h"]
