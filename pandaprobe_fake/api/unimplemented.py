"""A 501 for every operation of the real server's API that the fake does not serve.

The real server's live OpenAPI document (upstream/pandaprobe-openapi.json) lists 95
operations: organizations, projects, API keys, members, invitations, `/me`, subscriptions,
webhooks and CLI auth are the hosted service's own business, and a few more wait for their
turn.  Rather than a bare 404, which reads as a wrong URL, each of them answers

    501 {"detail": "pandaprobe-fake does not implement <METHOD> <path> (<operationId>): ..."}

`register(app)` runs after every other route is declared and adds a 501 route only for the
operations the app does not already route (same method, same path), so landing a real route
removes its 501 by itself.  The 501 routes are kept out of /openapi.json (`undocumented`).
UPSTREAM_OPERATIONS is the document's list of operations (tests/test_unimplemented.py holds
it equal to the document).
"""

from __future__ import annotations

import re

from flask import Flask

from pandaprobe_fake import openapi
from pandaprobe_fake.web import ApiError

# (method, path, operationId) of every operation of the live document, in its order.
UPSTREAM_OPERATIONS: tuple[tuple[str, str, str | None], ...] = (
    ("GET", "/health", "health_check_health_get"),
    ("GET", "/me", "get_me_me_get"),
    ("GET", "/me/invitations", "list_my_invitations_me_invitations_get"),
    ("POST", "/me/invitations/{invitation_id}/accept", "accept_invitation_me_invitations__invitation_id__accept_post"),
    ("POST", "/me/invitations/{invitation_id}/decline", "decline_invitation_me_invitations__invitation_id__decline_post"),
    ("GET", "/organizations", "list_my_organizations_organizations_get"),
    ("POST", "/organizations", "create_organization_organizations_post"),
    ("GET", "/organizations/{org_id}", "get_organization_organizations__org_id__get"),
    ("PATCH", "/organizations/{org_id}", "update_organization_organizations__org_id__patch"),
    ("DELETE", "/organizations/{org_id}", "delete_organization_organizations__org_id__delete"),
    ("GET", "/organizations/{org_id}/members", "list_members_organizations__org_id__members_get"),
    ("PATCH", "/organizations/{org_id}/members/{user_id}", "update_member_role_organizations__org_id__members__user_id__patch"),
    ("DELETE", "/organizations/{org_id}/members/{user_id}", "remove_member_organizations__org_id__members__user_id__delete"),
    ("POST", "/organizations/{org_id}/invitations", "create_invitation_organizations__org_id__invitations_post"),
    ("GET", "/organizations/{org_id}/invitations", "list_invitations_organizations__org_id__invitations_get"),
    ("DELETE", "/organizations/{org_id}/invitations/{invitation_id}", "revoke_invitation_organizations__org_id__invitations__invitation_id__delete"),
    ("GET", "/subscriptions/plans", "get_plans_subscriptions_plans_get"),
    ("GET", "/organizations/{org_id}/subscriptions", "get_subscription_organizations__org_id__subscriptions_get"),
    ("GET", "/organizations/{org_id}/subscriptions/usage", "get_usage_organizations__org_id__subscriptions_usage_get"),
    ("GET", "/organizations/{org_id}/subscriptions/billing", "get_billing_organizations__org_id__subscriptions_billing_get"),
    ("GET", "/organizations/{org_id}/subscriptions/invoices", "get_invoices_organizations__org_id__subscriptions_invoices_get"),
    ("POST", "/organizations/{org_id}/subscriptions/checkout", "create_checkout_organizations__org_id__subscriptions_checkout_post"),
    ("POST", "/organizations/{org_id}/subscriptions/portal", "create_portal_organizations__org_id__subscriptions_portal_post"),
    ("POST", "/organizations/{org_id}/projects", "create_project_organizations__org_id__projects_post"),
    ("GET", "/organizations/{org_id}/projects", "list_projects_organizations__org_id__projects_get"),
    ("GET", "/organizations/{org_id}/projects/{project_id}", "get_project_organizations__org_id__projects__project_id__get"),
    ("PATCH", "/organizations/{org_id}/projects/{project_id}", "update_project_organizations__org_id__projects__project_id__patch"),
    ("DELETE", "/organizations/{org_id}/projects/{project_id}", "delete_project_organizations__org_id__projects__project_id__delete"),
    ("POST", "/organizations/{org_id}/api-keys", "create_api_key_organizations__org_id__api_keys_post"),
    ("GET", "/organizations/{org_id}/api-keys", "list_org_api_keys_organizations__org_id__api_keys_get"),
    ("GET", "/organizations/{org_id}/api-keys/{key_id}", "get_api_key_organizations__org_id__api_keys__key_id__get"),
    ("DELETE", "/organizations/{org_id}/api-keys/{key_id}", "delete_api_key_organizations__org_id__api_keys__key_id__delete"),
    ("POST", "/organizations/{org_id}/api-keys/{key_id}/rotate", "rotate_api_key_organizations__org_id__api_keys__key_id__rotate_post"),
    ("POST", "/cli/auth/codes", "issue_cli_code_cli_auth_codes_post"),
    ("POST", "/cli/auth/exchange", "exchange_cli_code_cli_auth_exchange_post"),
    ("POST", "/traces", "ingest_trace_traces_post"),
    ("GET", "/traces", "list_traces_traces_get"),
    ("GET", "/traces/analytics", "get_analytics_traces_analytics_get"),
    ("GET", "/traces/users", "list_trace_users_traces_users_get"),
    ("POST", "/traces/batch/delete", "batch_delete_traces_batch_delete_post"),
    ("POST", "/traces/batch/tags", "batch_tags_traces_batch_tags_post"),
    ("PATCH", "/traces/{trace_id}", "update_trace_traces__trace_id__patch"),
    ("GET", "/traces/{trace_id}", "get_trace_traces__trace_id__get"),
    ("DELETE", "/traces/{trace_id}", "delete_trace_traces__trace_id__delete"),
    ("POST", "/traces/{trace_id}/spans", "add_spans_traces__trace_id__spans_post"),
    ("PATCH", "/traces/{trace_id}/spans/{span_id}", "update_span_traces__trace_id__spans__span_id__patch"),
    ("GET", "/sessions", "list_sessions_sessions_get"),
    ("GET", "/sessions/analytics", "get_session_analytics_sessions_analytics_get"),
    ("GET", "/sessions/{session_id}", "get_session_sessions__session_id__get"),
    ("DELETE", "/sessions/{session_id}", "delete_session_sessions__session_id__delete"),
    ("GET", "/evaluations/providers", "get_available_providers_evaluations_providers_get"),
    ("GET", "/evaluations/trace-metrics", "get_available_metrics_evaluations_trace_metrics_get"),
    ("GET", "/evaluations/trace-runs/template", "get_eval_run_template_evaluations_trace_runs_template_get"),
    ("POST", "/evaluations/trace-runs", "create_eval_run_evaluations_trace_runs_post"),
    ("GET", "/evaluations/trace-runs", "list_eval_runs_evaluations_trace_runs_get"),
    ("POST", "/evaluations/trace-runs/batch", "create_batch_eval_run_evaluations_trace_runs_batch_post"),
    ("GET", "/evaluations/trace-runs/{run_id}", "get_eval_run_evaluations_trace_runs__run_id__get"),
    ("DELETE", "/evaluations/trace-runs/{run_id}", "delete_eval_run_evaluations_trace_runs__run_id__delete"),
    ("POST", "/evaluations/trace-runs/{run_id}/retry", "retry_failed_eval_run_evaluations_trace_runs__run_id__retry_post"),
    ("GET", "/evaluations/trace-runs/{run_id}/scores", "get_scores_for_run_evaluations_trace_runs__run_id__scores_get"),
    ("POST", "/evaluations/trace-scores", "create_trace_score_evaluations_trace_scores_post"),
    ("GET", "/evaluations/trace-scores", "list_trace_scores_evaluations_trace_scores_get"),
    ("GET", "/evaluations/trace-scores/{trace_id}", "get_scores_for_trace_evaluations_trace_scores__trace_id__get"),
    ("PATCH", "/evaluations/trace-scores/{score_id}", "update_trace_score_evaluations_trace_scores__score_id__patch"),
    ("DELETE", "/evaluations/trace-scores/{score_id}", "delete_trace_score_evaluations_trace_scores__score_id__delete"),
    ("GET", "/evaluations/analytics/trace-scores/summary", "get_trace_score_analytics_summary_evaluations_analytics_trace_scores_summary_get"),
    ("GET", "/evaluations/analytics/trace-scores/trend", "get_trace_score_analytics_trend_evaluations_analytics_trace_scores_trend_get"),
    ("GET", "/evaluations/analytics/trace-scores/distribution", "get_trace_score_analytics_distribution_evaluations_analytics_trace_scores_distribution_get"),
    ("GET", "/evaluations/session-metrics", "get_available_session_metrics_evaluations_session_metrics_get"),
    ("POST", "/evaluations/session-runs", "create_session_eval_run_evaluations_session_runs_post"),
    ("GET", "/evaluations/session-runs", "list_session_eval_runs_evaluations_session_runs_get"),
    ("POST", "/evaluations/session-runs/batch", "create_batch_session_eval_run_evaluations_session_runs_batch_post"),
    ("GET", "/evaluations/session-runs/{run_id}", "get_session_eval_run_evaluations_session_runs__run_id__get"),
    ("DELETE", "/evaluations/session-runs/{run_id}", "delete_session_eval_run_evaluations_session_runs__run_id__delete"),
    ("POST", "/evaluations/session-runs/{run_id}/retry", "retry_failed_session_eval_run_evaluations_session_runs__run_id__retry_post"),
    ("GET", "/evaluations/session-runs/{run_id}/scores", "get_session_scores_for_run_evaluations_session_runs__run_id__scores_get"),
    ("GET", "/evaluations/session-scores", "list_session_scores_evaluations_session_scores_get"),
    ("GET", "/evaluations/session-scores/{session_id}", "get_scores_for_session_evaluations_session_scores__session_id__get"),
    ("DELETE", "/evaluations/session-scores/{score_id}", "delete_session_score_evaluations_session_scores__score_id__delete"),
    ("GET", "/evaluations/analytics/session-scores/summary", "get_session_score_analytics_summary_evaluations_analytics_session_scores_summary_get"),
    ("GET", "/evaluations/analytics/session-scores/trend", "get_session_score_analytics_trend_evaluations_analytics_session_scores_trend_get"),
    ("GET", "/evaluations/analytics/session-scores/distribution", "get_session_score_analytics_distribution_evaluations_analytics_session_scores_distribution_get"),
    ("GET", "/evaluations/analytics/session-scores/history/{session_id}", "get_session_score_history_evaluations_analytics_session_scores_history__session_id__get"),
    ("GET", "/evaluations/analytics/session-scores/comparison", "get_session_score_comparison_evaluations_analytics_session_scores_comparison_get"),
    ("POST", "/evaluations/monitors", "create_monitor_evaluations_monitors_post"),
    ("GET", "/evaluations/monitors", "list_monitors_evaluations_monitors_get"),
    ("GET", "/evaluations/monitors/{monitor_id}", "get_monitor_evaluations_monitors__monitor_id__get"),
    ("PATCH", "/evaluations/monitors/{monitor_id}", "update_monitor_evaluations_monitors__monitor_id__patch"),
    ("DELETE", "/evaluations/monitors/{monitor_id}", "delete_monitor_evaluations_monitors__monitor_id__delete"),
    ("POST", "/evaluations/monitors/{monitor_id}/pause", "pause_monitor_evaluations_monitors__monitor_id__pause_post"),
    ("POST", "/evaluations/monitors/{monitor_id}/resume", "resume_monitor_evaluations_monitors__monitor_id__resume_post"),
    ("POST", "/evaluations/monitors/{monitor_id}/trigger", "trigger_monitor_evaluations_monitors__monitor_id__trigger_post"),
    ("GET", "/evaluations/monitors/{monitor_id}/runs", "list_monitor_runs_evaluations_monitors__monitor_id__runs_get"),
    ("POST", "/webhooks/stripe", "stripe_webhook_webhooks_stripe_post"),
    ("GET", "/", "root__get"),
)

# Paths of the hosted service's own business: the fake has no users, organizations or
# billing, and scopes data by the project headers alone.
HOSTED = ("/me", "/organizations", "/subscriptions", "/cli/", "/webhooks/")


def why(path: str) -> str:
    if path.startswith(HOSTED):
        return ("accounts, organizations, projects, API keys, billing and CLI login belong to the "
                "hosted service; the fake scopes data by X-Project-Name or X-Project-ID alone")
    return "this version of the fake does not serve it yet"


def routed(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route the app serves."""
    return {(method, openapi.openapi_path(rule)) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def missing(app: Flask) -> list[tuple[str, str, str | None]]:
    """The upstream operations the app does not route."""
    served = routed(app)
    return [op for op in UPSTREAM_OPERATIONS if (op[0], op[1]) not in served]


def _view(method: str, path: str, operation_id: str | None):
    detail = f"pandaprobe-fake does not implement {method} {path} ({operation_id}): {why(path)}."

    @openapi.undocumented("an upstream operation the fake does not implement (a 501)")
    def not_implemented(**_values):
        raise ApiError(501, detail)

    return not_implemented


def register(app: Flask) -> list[tuple[str, str, str | None]]:
    """Add the 501 routes; returns the operations they stand for (also kept in
    app.extensions["unimplemented"])."""
    added = missing(app)
    for method, path, operation_id in added:
        rule = re.sub(r"\{([^{}]+)\}", r"<\1>", path)
        app.add_url_rule(rule, endpoint=f"unimplemented.{operation_id or method + path}",
                         view_func=_view(method, path, operation_id), methods=[method])
    app.extensions["unimplemented"] = added
    return added
