"""The `/evaluations/...` routes, a module per resource:

    trace_scores.py   /evaluations/trace-scores, /evaluations/analytics/trace-scores/...
    metrics.py        /evaluations/trace-metrics, /evaluations/providers, .../trace-runs/template
    trace_runs.py     /evaluations/trace-runs/... (schemas: run_schemas.py)
    session_scores.py /evaluations/session-metrics, /evaluations/session-scores,
                      /evaluations/analytics/session-scores/... (schemas: session_score_schemas.py)
    session_runs.py   /evaluations/session-runs/... (schemas: session_run_schemas.py)
    monitors.py       /evaluations/monitors/... (schemas: monitor_schemas.py; cadences: cadence.py;
                      firing on the clock: scheduler.py)
    run_common.py     what the run routes and the scheduler share (creating a run, sampling, 404s)
"""
