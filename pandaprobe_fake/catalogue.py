"""The evaluation catalogue of the real server (backend 0.5.0), as data: its trace metrics
(and their judge stages), its session metrics, its judge providers, and how it resolves a run's
judge model.  No Flask here: the metric routes (metrics.py), the run routes and the simulated
judge (fake/judge.py) all read it.  Session metrics live here too, so the session routes add
nothing but their routes.
"""

from __future__ import annotations

DEFAULT_MODEL = "vertex_ai/gemini-3.1-flash-lite"
DEFAULT_THRESHOLD = 0.5

# name -> description; listed sorted by name (category "trace").
TRACE_METRICS: dict[str, str] = {
    "argument_correctness": "Evaluates whether tool call arguments were correctly specified for the task.",
    "coherence": "Evaluates whether the agent's output logically follows from its input.",
    "confidence": "Evaluates whether the agent acted decisively and appropriately.",
    "plan_adherence": "Evaluates how closely the agent followed its declared plan during execution.",
    "plan_quality": "Evaluates the intrinsic quality, completeness, and optimality of the agent's plan.",
    "step_efficiency": "Evaluates how efficiently the agent executed the task with minimal unnecessary steps.",
    "task_completion": "Evaluates whether the agent accomplished the user's stated objective.",
    "tool_correctness": "Evaluates whether the agent selected appropriate tools for the task.",
}

# A session signal only: never listed, refused by the template and the runs like an unknown name.
SIGNAL_ONLY = {"loop_detection": "Detects if the agent is stuck repeating itself across traces."}

SESSION_METRICS: dict[str, str] = {
    "agent_consistency": ("Evaluates overall stability across a session. Penalizes any trace that "
                          "deviates from smooth operation using weighted RMS."),
    "agent_reliability": ("Evaluates worst-case failure risk across a session. Focuses on the most "
                          "problematic traces using max-compose + top-k tail risk."),
}

# The judge's stages of each trace metric, in order (coherence compares embeddings: none).
STAGES: dict[str, tuple[str, ...]] = {
    "argument_correctness": ("extract", "verdicts", "reason"),
    "coherence": (),
    "confidence": ("evaluate",),
    "plan_adherence": ("extract_plan", "score"),
    "plan_quality": ("score",),
    "step_efficiency": ("extract_task", "score"),
    "task_completion": ("extract", "score"),
    "tool_correctness": ("extract", "score"),
}

# key, name, description, the environment variable(s) it needs -- in the server's order.
PROVIDERS: tuple[tuple[str, str, str, str], ...] = (
    ("openai", "OpenAI", "OpenAI GPT models (gpt-4o, gpt-4o-mini, etc.)", "OPENAI_API_KEY"),
    ("anthropic", "Anthropic", "Anthropic Claude models (claude-3.5-sonnet, etc.)", "ANTHROPIC_API_KEY"),
    ("google_genai", "Google GenAI", "Google Gemini via AI Studio API key", "GEMINI_API_KEY"),
    ("vertex_ai", "Vertex AI", "Google Vertex AI (Gemini, Claude, etc.)", "GOOGLE_CLOUD_PROJECT"),
)
_PROVIDER_OF_PREFIX = {"openai/": "openai", "anthropic/": "anthropic", "gemini/": "google_genai",
                       "vertex_ai/": "vertex_ai"}
_PREFIX_OF_MODEL = (("gpt-", "openai/"), ("o1-", "openai/"), ("o3-", "openai/"),
                    ("claude-", "anthropic/"), ("gemini-", "gemini/"))


def resolve_model(model: str | None) -> str:
    """A run's judge model as the server resolves it (BEHAVIOR.md, the run object)."""
    if model is None:
        return DEFAULT_MODEL
    if any(model.startswith(prefix) for prefix in _PROVIDER_OF_PREFIX):
        return model
    for start, prefix in _PREFIX_OF_MODEL:
        if model.startswith(start):
            return prefix + model
    return model


def provider_of(model: str) -> tuple[str, str, str, str] | None:
    """The provider entry of a resolved model string, or None for a model of no known provider."""
    for prefix, key in _PROVIDER_OF_PREFIX.items():
        if model.startswith(prefix):
            return next(p for p in PROVIDERS if p[0] == key)
    return None


def not_configured(provider: tuple[str, str, str, str]) -> str:
    return (f"Provider '{provider[1]}' is not configured. "
            f"Missing environment variable(s): {provider[3]}")


def providers(available: bool) -> list[dict]:
    return [{"key": key, "name": name, "description": description, "available": available,
             "message": (f"Provider '{name}' is available." if available
                         else not_configured((key, name, description, env)))}
            for key, name, description, env in PROVIDERS]


def trace_metric_list() -> list[dict]:
    return [{"name": name, "description": text, "category": "trace"}
            for name, text in sorted(TRACE_METRICS.items())]


def session_metric_list() -> list[dict]:
    return [{"name": name, "description": text, "category": "session"}
            for name, text in sorted(SESSION_METRICS.items())]


def unknown_trace_metrics(names: list[str]) -> list[str]:
    """The names that are not trace metrics, in request order (loop_detection among them)."""
    return [name for name in names if name not in TRACE_METRICS]


_STAGE_TEXT = {
    "extract": "Read the trace below and extract what {subject} needs: the user's request, the "
               "agent's steps and its final output.",
    "verdicts": "For each tool call extracted, give a verdict (yes/no) on whether its arguments "
                "fit the task.",
    "reason": "Summarise the verdicts in one sentence explaining the score.",
    "evaluate": "Judge whether the agent acted decisively and appropriately; answer a score in "
                "[0, 1] and a one-sentence reason.",
    "extract_plan": "Extract the plan the agent declared before acting, step by step.",
    "extract_task": "Extract the task the user asked the agent to do.",
    "score": "Score {subject} from 0 to 1 and give a one-sentence reason.",
}
_SAMPLE = ('\n\nTrace (sample data):\n{"input": {"query": "Book a table for two tonight"}, '
           '"output": {"answer": "Booked at 19:30 at Trattoria Roma."}, "spans": '
           '[{"name": "search_restaurants", "kind": "TOOL", "status": "OK"}, '
           '{"name": "book_table", "kind": "TOOL", "status": "OK"}]}')


def prompt_preview(metric: str) -> list[dict[str, str]]:
    """The fake's judge prompts of a trace metric, one per stage of the real server's judge
    (the texts are the fake's own: its simulated judge reads the trace, not these)."""
    subject = metric.replace("_", " ")
    return [{"stage": stage,
             "prompt": ("[pandaprobe-fake simulated judge: " + metric + ", stage " + stage + "] "
                        + _STAGE_TEXT[stage].format(subject=subject) + _SAMPLE)}
            for stage in STAGES[metric]]


def template(metric: str) -> dict:
    return {
        "metric": {"name": metric, "description": TRACE_METRICS[metric], "category": "trace",
                   "default_threshold": DEFAULT_THRESHOLD, "prompt_preview": prompt_preview(metric)},
        "filters": {key: None for key in ("date_from", "date_to", "status", "session_id",
                                          "user_id", "tags", "name")},
        "sampling_rate": 1.0,
        "model": DEFAULT_MODEL,
    }
