"""The demo page's pictures, as plain geometry that the templates draw.

`trend_chart` and `histogram` turn the JSON of the analytics routes (trend, distribution)
into SVG coordinates, `history_chart` a session's scores over time (history route); `timeline` lays a trace's spans out as an indented timeline
(parent/child by parent_span_id, bars placed by start and end time).  Pure functions of
the API's JSON: no Flask, no store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

WIDTH, HEIGHT = 440, 210
LEFT, RIGHT, TOP, BOTTOM = 44, 24, 14, 42
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 6
# Tick labels are 10 px text (ui.css): about 6.2 units a character, kept 8 units apart.
LABEL_CHAR_W, LABEL_GAP = 6.2, 8.0
MAX_INDENT = 24  # a timeline row is indented by its depth up to this; deeper rows show the depth

_LABEL_FORMATS = {"hour": "%m-%d %Hh", "day": "%m-%d", "week": "wk %m-%d", "score": "%m-%d %H:%M"}


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _y(fraction: float) -> float:
    """The y coordinate of a fraction (0 at the bottom of the plot, 1 at the top)."""
    return round(TOP + (1 - min(max(fraction, 0.0), 1.0)) * PLOT_H, 1)


def _spread(count: int, most: int) -> list[int]:
    """At most `most` indices out of range(count), evenly spread, first and last included."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


def label_width(label: str) -> float:
    return len(label) * LABEL_CHAR_W


def _apart(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two centred tick labels leave LABEL_GAP between them."""
    return abs(b["x"] - a["x"]) >= (label_width(a["label"]) + label_width(b["label"])) / 2 + LABEL_GAP


def x_ticks(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tick labels for points placed in time: at most MAX_X_LABELS, evenly chosen, the first
    and the last included, and none overlapping another (points bunched together in time --
    a sparse trend -- get one label for the bunch)."""
    chosen = [{"x": points[i]["x"], "label": points[i]["label"]}
              for i in _spread(len(points), MAX_X_LABELS)]
    kept: list[dict[str, Any]] = []
    for tick in chosen:
        if not kept or _apart(kept[-1], tick):
            kept.append(tick)
        elif tick is chosen[-1] and len(kept) > 1 and _apart(kept[-2], tick):
            kept[-1] = tick  # the last point keeps its label; the one crowding it goes
    return kept


def frame(y_label: str, x_label: str, y_ticks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP, "right": LEFT + PLOT_W,
            "bottom": TOP + PLOT_H, "y_label": y_label, "x_label": x_label, "y_ticks": y_ticks,
            "x_label_y": HEIGHT - 4, "y_label_x": 12, "y_label_y": TOP + PLOT_H / 2}


def trend_chart(items: list[dict[str, Any]], granularity: str) -> dict[str, Any]:
    """The trend route's items -> a line over time of the average score (y from 0 to 1),
    one point per bucket, x in proportion to the bucket's time."""
    chart = frame("avg score", f"bucket ({granularity}, UTC)",
                  [{"y": _y(v), "label": f"{v:g}"} for v in (0.0, 0.25, 0.5, 0.75, 1.0)])
    times = [_time(item["bucket"]).timestamp() for item in items]
    first, last = (min(times), max(times)) if times else (0.0, 0.0)
    points = []
    for item, moment in zip(items, times):
        share = (moment - first) / (last - first) if last > first else 0.5
        points.append({"x": round(LEFT + share * PLOT_W, 1), "y": _y(item["avg_score"]),
                       "avg": item["avg_score"], "count": item["count"], "bucket": item["bucket"],
                       "label": _time(item["bucket"]).strftime(_LABEL_FORMATS.get(granularity, "%m-%d"))})
    chart["points"] = points
    chart["line"] = " ".join(f"{p['x']},{p['y']}" for p in points)
    chart["x_ticks"] = x_ticks(points)
    return chart


def history_chart(items: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    """The session-score history route's items (oldest first) -> a line over time of one
    metric's scores, one point per score with a value (a FAILED score has none)."""
    points = [{"bucket": item["created_at"], "avg_score": item["score"], "count": 1,
               "run": item["eval_run_id"]}
              for item in items if item["metric_name"] == metric and item["score"] is not None]
    chart = trend_chart(points, "score")
    chart["x_label"], chart["y_label"] = "scored at (UTC)", "score"
    for point, source in zip(chart["points"], points):
        point["run"] = source["run"]
    return chart


def histogram(items: list[dict[str, Any]], buckets: int) -> dict[str, Any]:
    """The distribution route's items -> one bar per non-empty bucket.  Slots 1..n cover
    [0, 1) in equal steps; a value of exactly 1.0 (bucket n + 1) gets a slot of its own."""
    slots = list(range(1, buckets + 1))
    extra = sorted({item["bucket"] for item in items} - set(slots))
    slots = [k for k in extra if k < 1] + slots + [k for k in extra if k > buckets]
    slot_w = PLOT_W / len(slots)
    tallest = max((item["count"] for item in items), default=0)
    top_count = max(tallest, 1)
    ticks = sorted({0, top_count // 2, top_count}) if top_count > 1 else [0, 1]
    chart = frame("count", "score", [{"y": _y(v / top_count), "label": str(v)} for v in ticks])
    bars = []
    for item in items:
        index = slots.index(item["bucket"])
        height = item["count"] / top_count * PLOT_H
        bars.append({"x": round(LEFT + index * slot_w + 1, 1), "width": round(max(slot_w - 2, 1), 1),
                     "y": round(TOP + PLOT_H - height, 1), "height": round(height, 1),
                     "count": item["count"], "text_x": round(LEFT + (index + 0.5) * slot_w, 1),
                     "range": (f"= {item['bucket_min']:g}" if item["bucket_min"] == item["bucket_max"]
                               else f"[{item['bucket_min']:g}, {item['bucket_max']:g})")})
    chart["bars"] = bars
    # Labels at the edges of the regular slots (0 .. 1), thinned out when there are many.
    first = slots.index(1)
    edges = _spread(buckets + 1, MAX_X_LABELS + 5)
    chart["x_ticks"] = [{"x": round(LEFT + (first + k) * slot_w, 1), "label": f"{k / buckets:g}"}
                        for k in edges]
    if buckets + 1 in slots:
        chart["x_ticks"].append({"x": round(LEFT + (slots.index(buckets + 1) + 0.5) * slot_w, 1),
                                 "label": "=1"})
    return chart


def timeline(trace: dict[str, Any] | None, spans: list[dict[str, Any]]) -> dict[str, Any]:
    """A trace (GET /traces/{id}) and its spans -> rows in tree order (each span under its
    parent, siblings by start time), each with its depth and its bar as percentages of the
    whole time range (`indent`: the depth, at most MAX_INDENT).  A span whose parent is not
    on the trace is drawn as a root."""
    moments = [_time(s["started_at"]) for s in spans] + [_time(s["ended_at"]) for s in spans]
    if trace:
        moments += [_time(trace["started_at"]), _time(trace["ended_at"])]
    moments = [m.timestamp() for m in moments if m is not None]
    start = min(moments, default=0.0)
    end = max(moments, default=0.0)
    total = end - start if end > start else 1.0

    def bar(started: str, ended: str | None) -> dict[str, Any]:
        begin = _time(started).timestamp()
        finish = _time(ended).timestamp() if ended else end
        return {"left": round((begin - start) / total * 100, 2),
                "width": round(max((finish - begin) / total * 100, 0.4), 2), "open": ended is None}

    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for span in sorted(spans, key=lambda s: _time(s["started_at"])):
        parent = span["parent_span_id"] if span["parent_span_id"] in ids else None
        children.setdefault(parent, []).append(span)

    rows: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(roots: list[dict[str, Any]]) -> None:
        """Depth first, in order, with a stack of our own: a tree a thousand levels deep
        must not run out of Python's."""
        stack = [(span, 0) for span in reversed(roots)]
        while stack:
            span, depth = stack.pop()
            if span["span_id"] in seen:
                continue
            seen.add(span["span_id"])
            rows.append({"span": span, "depth": depth, "indent": min(depth, MAX_INDENT),
                         "bar": bar(span["started_at"], span["ended_at"])})
            stack.extend((child, depth + 1) for child in reversed(children.get(span["span_id"], [])))

    walk(children.get(None, []))
    for span in spans:  # spans caught in a parent cycle: shown as roots, not lost
        if span["span_id"] not in seen:
            walk([span])
    trace_bar = bar(trace["started_at"], trace["ended_at"]) if trace else None
    return {"rows": rows, "trace_bar": trace_bar, "duration_ms": round((end - start) * 1000, 1)}
