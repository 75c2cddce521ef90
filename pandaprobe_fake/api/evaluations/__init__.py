"""The `/evaluations/...` routes, a module per resource:

    trace_scores.py   /evaluations/trace-scores, /evaluations/analytics/trace-scores/...
    session_scores.py /evaluations/session-metrics, /evaluations/session-scores,
                      /evaluations/analytics/session-scores/... (schemas: session_score_schemas.py)
    monitors.py       /evaluations/monitors/... (schemas: monitor_schemas.py; cadences: cadence.py)
"""
