"""The demo data set of mock mode (`python app.py --mock`, `--demo-data`, `POST /_fake/reset
{"seed": true}`): one project of agent traces, grouped in sessions, and their scores,
spread over the 14 days before the fake's clock.

What it holds, for a total of exactly `scores` scores (default 2,000):
- traces of four agents, in sessions of 1-5 traces per user, more of them in the recent
  days and in working hours (of a day whose 17:00 is the moment of loading: the data is
  made in a fixed frame and moved to end then); about 6% end in ERROR;
- AUTOMATED scores from an hourly evaluation monitor, one per upstream metric (the nine
  of METRICS, NUMERIC in [0, 1], drifting upward over the two weeks and lower on failed
  traces) on most traces, with an `eval_run_id` per day; about 2.5% FAILED (no value, the
  judge's error as reason), and PENDING for traces the monitor has not finished (those of
  the last hour or so); each day's run is a run object too (COMPLETED, its counters right),
  listed by /evaluations/trace-runs;
- PROGRAMMATIC scores as the SDK sends them (`user_feedback` CATEGORICAL, `exact_match`
  BOOLEAN, `answer_relevance` NUMERIC) and human ANNOTATION scores (`thumbs_up` BOOLEAN,
  `quality` CATEGORICAL, and re-grades of `task_completion`), with an `author_user_id`.

With a seed, every id, value and offset from the moment of loading is the same on every
run (load at the same frozen clock reading, and the data set is byte for byte the same).

The traces themselves are generated in the API's `TraceCreate` shape (spans included) but
only when INCLUDE_TRACES is set, which waits for the store to hold traces.

Beside them: the monitor objects behind the automated scores (`hourly-quality`, a TRACE monitor
on `cron:0 * * * *`, and `daily-sessions`, a SESSION monitor run daily), and the session scores
of that daily monitor (and its SESSION run objects, one a day, linked by `monitor_id`):
`agent_reliability` and `agent_consistency` of every session that had ended by the last midnight, computed from its traces' confidence, coherence, loop_detection and
tool_correctness scores as upstream computes them (session_metrics.py).  They come from a
random stream of their own, so they change none of the scores above.
"""

from __future__ import annotations

import json
import random
from typing import Any

from pandaprobe_fake.clock import isoformat
import pandaprobe_fake.fake.session_metrics as session_metrics
from pandaprobe_fake.fake.session_metrics import SIGNALS

METRICS = ("task_completion", "tool_correctness", "argument_correctness", "step_efficiency",
           "confidence", "plan_adherence", "plan_quality", "coherence", "loop_detection")
# What the demo's trace monitor evaluates (loop_detection is a session signal, not a metric a
# monitor can name).
MONITOR_METRICS = tuple(m for m in METRICS if m != "loop_detection")
DEFAULT_SCORES = 2_000
DAYS = 14

# The demo data holds the traces (with their spans) that its scores point at.
INCLUDE_TRACES = True

SECOND = 1_000_000
VIRTUAL_NOW = 1_767_286_800 * SECOND  # 2026-01-01T17:00:00Z: the frame the data is made in
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Typical judge score of each metric; the loop detector gives 1.0 (no loop) or 0.0.
_BASE = {"task_completion": 0.72, "tool_correctness": 0.8, "argument_correctness": 0.84,
         "step_efficiency": 0.64, "confidence": 0.7, "plan_adherence": 0.75,
         "plan_quality": 0.69, "coherence": 0.86}
_REASONS = {
    "task_completion": ("The agent resolved the user's request and confirmed the outcome.",
                        "The agent stopped before the request was fully resolved."),
    "tool_correctness": ("Every tool called was the right one for the step.",
                         "A tool was called where a different one was needed."),
    "argument_correctness": ("Tool arguments match the user's intent and the schema.",
                             "At least one tool call had a wrong or missing argument."),
    "step_efficiency": ("The task took close to the minimum number of steps.",
                        "Several steps were redundant or repeated."),
    "confidence": ("The final answer is well supported by the retrieved evidence.",
                   "The answer hedges or rests on weak evidence."),
    "plan_adherence": ("The agent followed the plan it laid out.",
                       "The agent drifted from its own plan midway."),
    "plan_quality": ("The plan is complete and ordered sensibly.",
                     "The plan misses a step the task needed."),
    "coherence": ("The conversation reads as one consistent line of reasoning.",
                  "The answer contradicts an earlier step."),
    "loop_detection": ("No repeated action cycles were found.",
                       "The agent repeated the same tool call in a loop."),
}
_FAILURES = ("Evaluation failed: the judge model timed out after 60 s.",
             "Evaluation failed: the judge returned malformed JSON.",
             "Evaluation failed: provider rate limit (429) after 3 retries.")
_HOURLY_MODEL = "openai/gpt-4o-mini"  # the hourly monitor's judge: its runs and its scores' metadata say so
_JUDGE_METADATA = json.dumps({"judge_model": _HOURLY_MODEL, "monitor": "hourly-quality"},
                             separators=(",", ":"))
_AGENTS = {
    "support-agent": (("retriever", "search-kb"), ("llm", "draft-answer"),
                      ("tool", "lookup_order"), ("llm", "final-answer")),
    "research-agent": (("llm", "plan"), ("tool", "web_search"), ("tool", "web_search"),
                       ("retriever", "read-sources"), ("llm", "summarize")),
    "code-review-agent": (("tool", "fetch_diff"), ("llm", "review"), ("tool", "post_comment")),
    "travel-planner": (("llm", "understand-request"), ("tool", "search_flights"),
                       ("tool", "search_hotels"), ("llm", "itinerary")),
}
# A user's question per agent; its numbers come from one draw `n` (2..9998), each kept within
# what reads naturally (see _numbers).
_QUESTIONS = {
    "support-agent": ("Where is my order #{order}?", "How do I reset my password?",
                      "Can I change the delivery address of order #{order}?"),
    "research-agent": ("Summarise recent work on retrieval-augmented agents.",
                       "Compare three vector databases for {millions} million documents."),
    "code-review-agent": ("Review pull request #{pr}.", "Check PR #{pr} for security issues."),
    "travel-planner": ("Plan a {days}-day trip to Lisbon in May.",
                       "Find a flight to Tokyo and a hotel near Shibuya for {nights} nights."),
}
_ANSWERS = {
    "support-agent": "Here is what I found for you: {question}",
    "research-agent": "Summary of the sources on: {question}",
    "code-review-agent": "Review posted with 3 comments. ({question})",
    "travel-planner": "Itinerary ready: {question}",
}


def _numbers(n: int) -> dict[str, int]:
    """The numbers of a question, all from one draw n in 2..9998."""
    return {"order": 10_000 + n * 7, "pr": 100 + n % 900, "millions": 1 + n % 50,
            "days": 3 + n % 12, "nights": 1 + n % 14}
_MODELS = (("gpt-4o-mini", 0.15, 0.6), ("gpt-4.1", 2.0, 8.0), ("claude-sonnet-4", 3.0, 15.0),
           ("gemini-2.5-flash", 0.3, 2.5))
# Relative traffic by hour of day (UTC): quiet nights, busy working hours.
_HOURLY = (0.2, 0.15, 0.1, 0.1, 0.15, 0.25, 0.4, 0.6, 0.85, 1.0, 1.0, 0.95,
           0.9, 0.95, 1.0, 1.0, 0.95, 0.85, 0.7, 0.55, 0.45, 0.35, 0.3, 0.25)


_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_V4_SET = (0x8000 << 48) | (0x4000 << 64)


def _uuid(rng: random.Random) -> str:
    """A random (version 4) UUID from `rng`: str(uuid.UUID(int=n, version=4)), faster."""
    h = "%032x" % (rng.getrandbits(128) & _V4_CLEAR | _V4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _day_text(micros: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(micros / 1e6, datetime.timezone.utc).strftime("%Y-%m-%d")


def _fmt(value: float) -> str:
    return repr(round(min(1.0, max(0.0, value)), 2))


class _Generator:
    def __init__(self, project: str, scores: int, seed: int | None, now: int, with_traces: bool,
                 iso_times: bool = True):
        self.rng = random.Random(seed)
        # traces draw from their own stream, so turning them on changes no score
        self.trace_rng = random.Random(self.rng.getrandbits(64))
        # Everything is generated in a fixed frame that ends at VIRTUAL_NOW, then moved by
        # `shift` to end at `now`: the same seed gives the same data relative to `now`.
        self.shift = now - VIRTUAL_NOW
        self.now, self.start = VIRTUAL_NOW, VIRTUAL_NOW - DAYS * DAY
        self.target = scores
        self.with_traces = with_traces
        self.iso_times = iso_times
        self.project = {"id": _uuid(self.rng), "name": project,
                        "created_at": self.start - DAY + self.shift}
        self.run_ids = [_uuid(self.rng) for _ in range(DAYS + 2)]
        self.users = [f"user-{self.rng.getrandbits(24):06x}" for _ in range(60)]
        self.annotators = [f"usr_{self.rng.getrandbits(48):012x}" for _ in range(3)]
        self.scores: list[dict[str, Any]] = []
        self.traces: list[dict[str, Any]] = []
        self.sessions: dict[str, list[tuple[str, int, int]]] = {}  # id -> (trace, start, end)
        self.seeded = seed is not None

    # -- time ------------------------------------------------------------------------------

    def _moment(self) -> int:
        """A moment of the last 14 days, weighted by hour of day and growing traffic."""
        rng, span = self.rng, DAYS * DAY
        while True:
            offset = int(rng.random() * span)
            at = self.start + offset
            weight = _HOURLY[(at // HOUR) % 24] * (0.55 + 0.45 * offset / span)
            if rng.random() < weight:
                return at

    # -- the data set ----------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        rng = self.rng
        latest = True  # the first session is happening now, so some evaluations are pending
        while len(self.scores) < self.target:
            user = rng.choice(self.users)
            session = f"sess-{rng.getrandbits(40):010x}"
            at = self.now - int(rng.uniform(8, 15) * MINUTE) if latest else self._moment()
            latest = False
            for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 5))):
                agent = rng.choice(tuple(_AGENTS))
                duration = int(rng.uniform(1.5, 40.0) * SECOND)
                if at + duration >= self.now:
                    break
                self._trace(agent, session, user, at, duration)
                if len(self.scores) >= self.target:
                    break
                at += duration + int(rng.uniform(20, 300) * SECOND)
        scores = self.scores[:self.target]
        for score in scores:
            score["created_at"] += self.shift
            score["updated_at"] += self.shift
        scores.sort(key=lambda score: score["created_at"])  # oldest first, as they would arrive
        session_scores, monitors = self._sessions_and_monitors(scores)
        runs = self._runs(scores)
        for run in runs:  # the hourly monitor spawned the demo's trace runs
            run["monitor_id"] = monitors[0]["id"]
        runs += self._session_runs(session_scores, monitors[1])
        return {"project": self.project, "scores": scores, "traces": self.traces, "runs": runs,
                "session_scores": session_scores, "monitors": monitors}

    def _runs(self, scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The run objects behind the automated scores (one a day): COMPLETED, every target
        evaluated, failed_count = its FAILED scores (the store's run rows)."""
        runs: dict[str, dict[str, Any]] = {}
        for score in scores:
            run_id = score["eval_run_id"]
            if run_id is None:
                continue
            run = runs.get(run_id)
            if run is None:
                day = _day_text(score["created_at"])
                run = runs[run_id] = {
                    "id": run_id, "name": f"Hourly evaluation {day}", "status": "COMPLETED",
                    "metric_names": list(METRICS), "total_targets": 0, "evaluated_count": 0,
                    "failed_count": 0, "created_at": score["created_at"], "completed_at": 0,
                    "target_type": "TRACE", "filters": {}, "sampling_rate": 1.0,
                    "model": _HOURLY_MODEL, "monitor_id": None,
                    "error_message": None, "targets": [], "pairs": None, "seen": set()}
            if score["trace_id"] not in run["seen"]:
                run["seen"].add(score["trace_id"])
                run["targets"].append(score["trace_id"])
            run["failed_count"] += score["status"] == "FAILED"
            run["completed_at"] = max(run["completed_at"], score["updated_at"])
        out = []
        for run in runs.values():
            del run["seen"]
            run["total_targets"] = run["evaluated_count"] = len(run["targets"])
            run["running_at"] = run["due_at"] = run["created_at"]
            out.append(run)
        return out

    @staticmethod
    def _session_runs(session_scores: list[dict[str, Any]], monitor: dict[str, Any]) -> list[dict[str, Any]]:
        """The daily monitor's SESSION runs behind the session scores (one a day, at midnight):
        COMPLETED, its sessions as targets, named and configured as a monitor's run."""
        runs: dict[str, dict[str, Any]] = {}
        seen: set[tuple[str, str]] = set()
        for score in session_scores:  # oldest first
            run = runs.get(score["eval_run_id"])
            if run is None:
                created = (score["created_at"] // DAY) * DAY
                run = runs[score["eval_run_id"]] = {
                    "id": score["eval_run_id"], "name": f"[Monitor] {monitor['name']}",
                    "status": "COMPLETED", "metric_names": list(monitor["metric_names"]),
                    "total_targets": 0, "evaluated_count": 0, "failed_count": 0,
                    "created_at": created, "completed_at": created, "target_type": "SESSION",
                    "filters": dict(monitor["filters"]), "sampling_rate": 1.0,
                    "model": "vertex_ai/gemini-3.1-flash-lite", "monitor_id": monitor["id"],
                    "error_message": None, "targets": [], "pairs": None,
                    "running_at": created, "due_at": created}
            if (run["id"], score["session_id"]) not in seen:
                seen.add((run["id"], score["session_id"]))
                run["targets"].append(score["session_id"])
            run["completed_at"] = max(run["completed_at"], score["created_at"])
        for run in runs.values():
            run["total_targets"] = run["evaluated_count"] = len(run["targets"])
        return list(runs.values())

    # -- the monitors and the daily session scores -------------------------------------------

    def _sessions_and_monitors(self, scores: list[dict[str, Any]]) -> tuple[list, list]:
        rng = random.Random(self.rng.getrandbits(64) if self.seeded else None)
        now = self.now + self.shift
        midnight = (now // DAY) * DAY
        session_runs = {}
        signals: dict[str, dict[str, dict[str, float]]] = {}  # trace -> newest SUCCESS values
        for score in scores:  # oldest first: later ones win
            if score["name"] in SIGNALS and score["status"] == "SUCCESS" and score["value"] is not None:
                signals.setdefault(score["trace_id"], {})[score["name"]] = float(score["value"])
        session_scores = []
        for session_id, traces in self.sessions.items():
            ended = max(end for _, _, end in traces) + self.shift
            if ended >= midnight:
                continue  # the daily monitor has not seen it yet
            created = (ended // DAY + 1) * DAY + int(rng.uniform(5, 300) * SECOND)
            run_id = session_runs.setdefault(created // DAY, _uuid(rng))
            ordered = [(trace_id, signals.get(trace_id, {})) for trace_id, _, _ in sorted(traces, key=lambda t: t[1])]
            for metric in ("agent_reliability", "agent_consistency"):
                result = session_metrics.compute(metric, ordered)
                session_scores.append({
                    "id": _uuid(rng), "session_id": session_id, "name": metric, "data_type": "NUMERIC",
                    "value": result.value, "source": "AUTOMATED", "status": "SUCCESS",
                    "eval_run_id": run_id, "author_user_id": None, "reason": result.reason,
                    "metadata": result.metadata, "created_at": created, "updated_at": created})
        session_scores.sort(key=lambda score: score["created_at"])
        trace_runs = [score for score in scores if score["source"] == "AUTOMATED"]
        last_trace = trace_runs[-1] if trace_runs else None
        last_session = session_scores[-1] if session_scores else None
        created = self.start - DAY + self.shift
        monitors = [
            {"id": _uuid(rng), "name": "hourly-quality", "target_type": "TRACE",
             "metric_names": list(MONITOR_METRICS), "filters": {},
             "sampling_rate": 1.0, "model": _HOURLY_MODEL, "cadence": "cron:0 * * * *",
             "only_if_changed": True, "status": "ACTIVE",
             "last_run_at": (now // HOUR) * HOUR if last_trace else None,
             "last_run_id": last_trace["eval_run_id"] if last_trace else None,
             "next_run_at": (now // HOUR + 1) * HOUR, "created_at": created, "updated_at": created},
            {"id": _uuid(rng), "name": "daily-sessions", "target_type": "SESSION",
             "metric_names": ["agent_reliability", "agent_consistency"],
             "filters": {"min_trace_count": 1}, "sampling_rate": 1.0, "model": None,
             "cadence": "daily", "only_if_changed": True, "status": "ACTIVE",
             "last_run_at": midnight if last_session else None,
             "last_run_id": last_session["eval_run_id"] if last_session else None,
             "next_run_at": midnight + DAY, "created_at": created, "updated_at": created},
        ]
        return session_scores, monitors

    def _trace(self, agent: str, session: str, user: str, started: int, duration: int) -> None:
        rng = self.rng
        trace_id = _uuid(rng)
        failed = rng.random() < 0.06
        ended = started + duration
        quality = rng.betavariate(5, 2) - (0.3 if failed else 0.0)
        progress = (started - self.start) / (DAYS * DAY)
        environment = "production" if rng.random() < 0.85 else "staging"
        self.sessions.setdefault(session, []).append((trace_id, started, ended))
        if self.with_traces:
            self.traces.append(self._trace_body(trace_id, agent, session, user, started, ended,
                                                failed, environment))
        if rng.random() < 0.88:
            self._evaluate(trace_id, ended, quality, progress, failed, environment)
        if rng.random() < 0.12:
            self._programmatic(trace_id, ended, quality)
        if rng.random() < 0.05:
            self._annotate(trace_id, ended, quality)

    def _score(self, trace_id: str, name: str, value: str | None, data_type: str, source: str,
               created: int, *, status: str = "SUCCESS", updated: int | None = None,
               reason: str | None = None, metadata: str = "{}", eval_run_id: str | None = None,
               author: str | None = None, environment: str | None = None) -> None:
        self.scores.append({  # the store derives `num` from the value
            "id": _uuid(self.rng), "trace_id": trace_id, "name": name, "value": value,
            "status": status, "source": source, "data_type": data_type,
            "eval_run_id": eval_run_id, "author_user_id": author, "reason": reason,
            "environment": environment, "config_id": None, "metadata": metadata,
            "created_at": created, "updated_at": updated if updated is not None else created,
        })

    def _evaluate(self, trace_id: str, ended: int, quality: float, progress: float,
                  failed: bool, environment: str) -> None:
        """The hourly monitor: all nine metrics, created PENDING and completed by the judge."""
        rng = self.rng
        created = (ended // HOUR + 1) * HOUR + int(rng.uniform(5, 600) * SECOND)
        pending = created + 90 * SECOND >= self.now
        if created >= self.now:
            created = self.now - int(rng.uniform(1, 60) * SECOND)
        run_id = self.run_ids[min(DAYS + 1, max(0, (created - self.start) // DAY))]
        for metric in METRICS:
            if pending:
                self._score(trace_id, metric, None, "NUMERIC", "AUTOMATED", created,
                            status="PENDING", metadata=_JUDGE_METADATA, eval_run_id=run_id,
                            environment=environment)
                continue
            updated = created + int(rng.uniform(2, 40) * SECOND)
            if rng.random() < 0.025:
                self._score(trace_id, metric, None, "NUMERIC", "AUTOMATED", created,
                            status="FAILED", updated=updated, reason=rng.choice(_FAILURES),
                            metadata=_JUDGE_METADATA, eval_run_id=run_id, environment=environment)
                continue
            if metric == "loop_detection":
                value = 0.0 if rng.random() < (0.25 if failed else 0.05) else 1.0
            else:
                value = (_BASE[metric] + 0.14 * (progress - 0.5) + 0.35 * (quality - 0.7)
                         + rng.gauss(0.0, 0.07))
            text = _fmt(value)
            self._score(trace_id, metric, text, "NUMERIC", "AUTOMATED", created, updated=updated,
                        reason=_REASONS[metric][0 if float(text) >= 0.5 else 1],
                        metadata=_JUDGE_METADATA, eval_run_id=run_id, environment=environment)

    def _programmatic(self, trace_id: str, ended: int, quality: float) -> None:
        """What an application sends with `client.score(...)` right after the trace."""
        rng = self.rng
        at = ended + int(rng.uniform(0.2, 5) * SECOND)
        kind = rng.randrange(3)
        if at >= self.now:
            return
        if kind == 0:
            verdict = "helpful" if quality > 0.6 else rng.choice(("neutral", "not_helpful"))
            self._score(trace_id, "user_feedback", verdict, "CATEGORICAL", "PROGRAMMATIC", at,
                        metadata='{"channel":"widget"}')
        elif kind == 1:
            self._score(trace_id, "exact_match", "true" if quality > 0.65 else "false", "BOOLEAN",
                        "PROGRAMMATIC", at, metadata='{"suite":"regression"}')
        else:
            self._score(trace_id, "answer_relevance", _fmt(quality + rng.gauss(0, 0.1)), "NUMERIC",
                        "PROGRAMMATIC", at, reason="embedding similarity to the reference answer")

    def _annotate(self, trace_id: str, ended: int, quality: float) -> None:
        """A reviewer in the dashboard, some hours later."""
        rng = self.rng
        at = ended + int(rng.uniform(0.5, 30) * HOUR)
        author = rng.choice(self.annotators)
        kind = rng.randrange(3)
        if at >= self.now:  # not reviewed yet
            return
        if kind == 0:
            self._score(trace_id, "thumbs_up", "true" if quality > 0.55 else "false", "BOOLEAN",
                        "ANNOTATION", at, author=author)
        elif kind == 1:
            grade = "good" if quality > 0.75 else "acceptable" if quality > 0.5 else "poor"
            self._score(trace_id, "quality", grade, "CATEGORICAL", "ANNOTATION", at, author=author,
                        reason="spot check")
        else:
            self._score(trace_id, "task_completion", _fmt(quality), "NUMERIC", "ANNOTATION", at,
                        author=author, reason="re-graded by a reviewer")

    # -- traces (TraceCreate bodies) --------------------------------------------------------

    def _iso(self, at: int) -> str | int:
        """A time of a trace or span: ISO 8601 as in a TraceCreate body, or microseconds as
        the store takes them (when loading, which skips writing and reading them back)."""
        return isoformat(at + self.shift) if self.iso_times else at + self.shift

    def _trace_body(self, trace_id: str, agent: str, session: str, user: str, started: int,
                    ended: int, failed: bool, environment: str) -> dict[str, Any]:
        rng = self.trace_rng
        question = rng.choice(_QUESTIONS[agent]).format(**_numbers(rng.randrange(2, 9999)))
        root_id = _uuid(rng)
        spans = [{"span_id": root_id, "parent_span_id": None, "name": agent, "kind": "AGENT",
                  "status": "ERROR" if failed else "OK", "input": {"query": question},
                  "output": None if failed else {"answer": _ANSWERS[agent].format(question=question)},
                  "started_at": self._iso(started), "ended_at": self._iso(ended),
                  "error": "ToolError: upstream service unavailable" if failed else None,
                  "metadata": {}}]
        steps = _AGENTS[agent]
        slot = (ended - started) // (len(steps) + 1)
        at = started + slot // 2
        for index, (kind, name) in enumerate(steps):
            span_end = at + int(slot * rng.uniform(0.5, 0.95))
            broken = failed and index == len(steps) - 1
            span = {"span_id": _uuid(rng), "parent_span_id": root_id, "name": name,
                    "kind": kind.upper(), "status": "ERROR" if broken else "OK",
                    "input": {"step": name}, "output": None if broken else {"ok": True},
                    "started_at": self._iso(at), "ended_at": self._iso(span_end),
                    "error": "ToolError: upstream service unavailable" if broken else None,
                    "metadata": {}}
            if kind == "llm":
                model, price_in, price_out = rng.choice(_MODELS)
                prompt, completion = rng.randrange(200, 4000), rng.randrange(20, 800)
                cost_in, cost_out = prompt * price_in / 1e6, completion * price_out / 1e6
                span.update(model=model, token_usage={
                    "prompt_tokens": prompt, "completion_tokens": completion,
                    "total_tokens": prompt + completion},
                    cost={"input": cost_in, "output": cost_out, "total": cost_in + cost_out},
                    completion_start_time=self._iso(at + (span_end - at) // 3),
                    model_parameters={"temperature": 0.2})
            spans.append(span)
            at += slot
        body = {"trace_id": trace_id, "name": agent, "status": "ERROR" if failed else "COMPLETED",
                "input": {"query": question},
                "output": None if failed else {"answer": _ANSWERS[agent].format(question=question)},
                "metadata": {"agent_version": "1.4.2"}, "started_at": self._iso(started),
                "ended_at": self._iso(ended), "session_id": session, "user_id": user,
                "tags": [agent.split("-")[0], environment], "environment": environment,
                "release": "v1.4.2", "spans": spans}
        if not self.iso_times:  # loaded straight into the store: ingested as the trace ended
            body["ingested_at"] = ended + self.shift
        return body


def generate(project: str, *, now: int, scores: int = DEFAULT_SCORES, seed: int | None = None,
             with_traces: bool = INCLUDE_TRACES, iso_times: bool = True) -> dict[str, Any]:
    """The demo data set for the 14 days before `now` (microseconds): {"project": {"id",
    "name", "created_at"}, "scores": [store rows], "traces": [TraceCreate dicts]} (with their
    times in microseconds, as the store takes them, unless `iso_times`)."""
    return _Generator(project, scores, seed, now, with_traces, iso_times).run()


def load(store, project: str, *, scores: int = DEFAULT_SCORES, seed: int | None = None,
         now: int | None = None) -> dict[str, Any]:
    """Generate the demo data set for the 14 days before `now` (default: the store's clock)
    and load it; returns {"id", "name", "scores": n} of the project."""
    if now is None:
        now = store.clock.now()
    data = generate(project, now=now, scores=scores, seed=seed, iso_times=False)
    known = [p["id"] for p in store.projects() if p["name"] == project]
    if known:  # a file database that already has the project (but no scores in it)
        data["project"]["id"] = known[0]
    (loaded,) = store.load([{**data["project"], "scores": data["scores"], "traces": data["traces"],
                             "runs": data["runs"], "session_scores": data["session_scores"],
                             "monitors": data["monitors"]}])
    return loaded
