"""The trace figures behind `GET /traces/analytics` and `GET /traces/users`: a mixin of
store.Store over the tables of stores/traces.py (readable traces only, see its `visible_at`).

The rows of the window are read with SQL and bucketed here, with the real server's arithmetic:
buckets are `date_trunc` in UTC (ISO weeks start on Monday), the average latency is exact
(PostgreSQL's numeric), the percentiles are `percentile_cont` over float seconds, then x 1000.
"""

from __future__ import annotations

from typing import Any

from pandaprobe_fake.stores.traces import _VISIBLE, finite

_HOUR = 3_600_000_000
_DAY = 24 * _HOUR
TOP_MODELS = 10


def bucket_of(us: int, granularity: str) -> int:
    """The start of the UTC hour, day or ISO week (Monday) holding `us`."""
    if granularity == "hour":
        return us - us % _HOUR
    day = us - us % _DAY
    if granularity == "day":
        return day
    return day - ((day // _DAY + 3) % 7) * _DAY  # 1970-01-01 was a Thursday (weekday 3)


def percentile_cont(ordered: list[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont over sorted values: linear interpolation in floats."""
    position = fraction * (len(ordered) - 1)
    low = int(position)
    if low == position or low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


class TraceAnalyticsStore:
    """Trace analytics and users of store.Store."""

    def _window_rows(self, sql: str, project_id: str, after: int, before: int) -> list[tuple]:
        with self.read() as conn:
            return conn.execute(sql, {"project_id": project_id, "after": after, "before": before,
                                      "now": self.clock.now()}).fetchall()

    def trace_analytics(self, project_id: str, metric: str, granularity: str, after: int,
                        before: int) -> list[dict[str, Any]]:
        """GET /traces/analytics: bucket items of `metric` in [after, before)."""
        if metric in ("volume", "errors", "latency"):
            return self._trace_buckets(project_id, granularity, after, before)
        spans = self._window_rows(
            f"SELECT s.started_at, s.model, s.prompt_tokens, s.completion_tokens, s.cost_total"
            f" FROM spans s JOIN traces t ON t.project_id = s.project_id AND t.trace_id = s.trace_id"
            f" WHERE s.project_id = :project_id AND {_VISIBLE}"
            f" AND s.started_at >= :after AND s.started_at < :before", project_id, after, before)
        if metric == "models":
            return self._top_models(spans)
        buckets: dict[int, dict[str, Any]] = {}
        for started, _model, prompt, completion, cost in spans:
            item = buckets.setdefault(bucket_of(started, granularity), {
                "total_tokens": 0, "prompt_tokens": 0, "completion_tokens": 0, "total_cost": 0.0})
            item["prompt_tokens"] += int(prompt)
            item["completion_tokens"] += int(completion)
            item["total_tokens"] += int(prompt) + int(completion)
            item["total_cost"] += cost
        return [{"bucket": key, **item, "total_cost": finite(item["total_cost"])}
                for key, item in sorted(buckets.items())]

    def _trace_buckets(self, project_id: str, granularity: str, after: int,
                       before: int) -> list[dict[str, Any]]:
        rows = self._window_rows(
            f"SELECT started_at, ended_at, status FROM traces t WHERE project_id = :project_id"
            f" AND {_VISIBLE} AND started_at >= :after AND started_at < :before",
            project_id, after, before)
        buckets: dict[int, list] = {}
        for started, ended, status in rows:
            counts = buckets.setdefault(bucket_of(started, granularity), [0, 0, []])
            counts[0] += 1
            counts[1] += status == "ERROR"
            if ended is not None:
                counts[2].append(ended - started)
        items = []
        for key, (traces, errors, latencies) in sorted(buckets.items()):
            item = {"bucket": key, "trace_count": traces, "error_count": errors,
                    "avg_latency_ms": None, "p50_latency_ms": None, "p90_latency_ms": None,
                    "p99_latency_ms": None}
            if latencies:
                seconds = sorted(us / 1_000_000 for us in latencies)
                # int / int: Python rounds the exact quotient once (as float(Fraction(...)) did)
                item["avg_latency_ms"] = sum(latencies) / (len(latencies) * 1000)
                for name, fraction in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
                    item[f"{name}_latency_ms"] = percentile_cont(seconds, fraction) * 1000
            items.append(item)
        return items

    @staticmethod
    def _top_models(spans: list[tuple]) -> list[dict[str, Any]]:
        models: dict[str, dict[str, Any]] = {}
        for _started, model, prompt, completion, cost in spans:
            if model is None:
                continue
            item = models.setdefault(model, {"model": model, "call_count": 0, "total_tokens": 0,
                                             "total_cost": 0.0})
            item["call_count"] += 1
            item["total_tokens"] += int(prompt) + int(completion)
            item["total_cost"] += cost
        ranked = sorted(models.values(), key=lambda m: (-m["call_count"], m["model"]))[:TOP_MODELS]
        return [{**item, "total_cost": finite(item["total_cost"])} for item in ranked]

    def trace_users(self, project_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """GET /traces/users: per user_id, its traces' count, first and last start, errors;
        the most recently seen first."""
        where = f"project_id = :project_id AND user_id IS NOT NULL AND {_VISIBLE}"
        params = {"project_id": project_id, "now": self.clock.now(), "limit": limit, "offset": offset}
        with self.read() as conn:
            total = conn.execute(f"SELECT COUNT(DISTINCT user_id) FROM traces t WHERE {where}",
                                 params).fetchone()[0]
            if offset >= total:
                return [], total
            cur = conn.execute(
                f"SELECT user_id, COUNT(*), MIN(started_at), MAX(started_at),"
                f" SUM(status = 'ERROR') FROM traces t WHERE {where} GROUP BY user_id"
                f" ORDER BY MAX(started_at) DESC, user_id LIMIT :limit OFFSET :offset", params)
            items = [dict(zip(("user_id", "trace_count", "first_seen", "last_seen", "error_count"), row))
                     for row in cur.fetchall()]
        return items, total
