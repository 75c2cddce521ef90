"""The `/evaluations/...` routes, a module per resource:

    trace_scores.py   /evaluations/trace-scores, /evaluations/analytics/trace-scores/...
"""
