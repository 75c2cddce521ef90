"""The demo page's shared plumbing: its blueprint, the API called through the app
(`call_api`, marked internal), the project chooser, query-string and paging helpers, the
template filters, the CSRF token and the security headers.  The views are page.py (scores,
a trace, the key), runs.py, sessions.py and monitors.py; see ui/__init__.py."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, render_template, request, url_for
from werkzeug.test import Client

from pandaprobe_fake.web import INTERNAL

UI_TOKEN = "pandaprobe-fake-ui"  # the bearer token the page sends when it has no saved key
KEY_COOKIE = "pandaprobe_fake_key"
SCORES = "/evaluations/trace-scores"
ANALYTICS = "/evaluations/analytics/trace-scores"
FILTERS = ("name", "source", "status", "data_type", "trace_id", "eval_run_id", "date_from", "date_to")
PAGE_SIZES = ("20", "50", "100", "200")
DEFAULT_PAGE_SIZE = "20"
CHART_BUCKETS = "10"
CSRF_FIELD = "csrf_token"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

blueprint = Blueprint("ui", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/ui/static")


# -- the API, called through the app ----------------------------------------------------------


class Answer:
    """What an API route answered: its status and its JSON body."""

    def __init__(self, status: int, body: Any):
        self.status, self.body = status, body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("detail"), str):
            return self.body["detail"]
        return f"HTTP {self.status}"

    @property
    def messages(self) -> list[str]:
        """The messages of a validation error, as `field: message` (the API's own words)."""
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        return [f"{e['field']}: {e['message']}" if e.get("field") else e["message"]
                for e in errors or () if isinstance(e, dict)]


def page_token() -> str:
    """The bearer token the page uses: the key saved with POST /ui/key, else UI_TOKEN."""
    saved = request.cookies.get(KEY_COOKIE, "").strip()
    return saved if saved and saved.isascii() and saved.isprintable() else UI_TOKEN


def call_api(method: str, path: str, project_id: str,
             query: Iterable[tuple[str, str]] | None = None) -> Answer:
    """One read of the API's own route, dispatched through the app (no network), marked
    internal: the journal, faults and rate limit leave it alone (web.is_internal).  The page
    only reads this way; what it changes, the browser sends to the API itself (static/ui.js)."""
    app = current_app._get_current_object()
    headers = {"Authorization": f"Bearer {page_token()}", "X-Project-ID": project_id,
               "X-Request-ID": g.get("request_id", ""), "User-Agent": "pandaprobe-fake-ui"}
    with app.app_context():  # a context of its own, so the inner request's `g` is not this one's
        response = Client(app).open(path, method=method, query_string=urlencode(list(query or ())),
                                    headers=headers,
                                    environ_base={"REMOTE_ADDR": request.remote_addr or "127.0.0.1",
                                                  INTERNAL: True})
    return Answer(response.status_code, response.get_json(silent=True))


# -- helpers for the views -----------------------------------------------------------------------


def choose_project() -> tuple[list[dict[str, Any]], dict[str, Any] | None, str | None]:
    """(the projects the fake knows, the chosen one, a problem to show).  `?project=` takes
    an id or a name; without it, the project named `demo` or else the oldest."""
    projects = current_app.extensions["store"].projects()
    for project in projects:
        project["label"] = project["name"] or project["id"]
    wanted = request.args.get("project", "").strip()
    if not projects:
        return projects, None, None
    if not wanted:
        demo = [p for p in projects if p["name"] == "demo"]
        return projects, (demo or projects)[0], None
    for key in ("id", "name"):
        for project in projects:
            if project[key] == wanted:
                return projects, project, None
    return projects, None, f"The fake knows no project {wanted!r}. Choose one above."


def last(name: str, default: str = "") -> str:
    values = request.args.getlist(name)
    return values[-1] if values else default


def chosen(names: Iterable[str]) -> list[tuple[str, str]]:
    """The page's query parameters among `names` that have a value, in order, repeats kept
    (the API decides which of a repeated one counts, as it does for any client)."""
    names = set(names)
    return [(k, v) for k, v in request.args.items(multi=True) if k in names and v != ""]


def page_url(endpoint: str = "ui.scores_page", **changes: Any) -> str:
    """This page's URL with some parameters changed (None drops one)."""
    args = {k: v for k, v in request.args.items() if v != ""}
    if endpoint == request.endpoint:  # this very page: its path's values too (a session's id)
        args.update(request.view_args or {})
    args.setdefault("project", g.get("ui_project"))
    args.update(changes)
    return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})


@blueprint.app_template_filter("when")
def when(text: str | None) -> str:
    """An ISO timestamp of the API -> `2026-11-26 21:03:05` (UTC)."""
    if not text:
        return "—"
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


@blueprint.app_template_filter("score")
def score_number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@blueprint.app_template_filter("pretty")
def pretty(value: Any) -> str:
    """A JSON value of the API, indented for reading (the template escapes it)."""
    return json.dumps(value, indent=2, ensure_ascii=False)


@blueprint.app_template_filter("ms")
def duration(ms: float | None) -> str:
    """A duration in milliseconds, for reading: `514 ms`, `2.06 s`."""
    if ms is None:
        return "…"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def csrf_token() -> str:
    """The token the page's forms that change something carry: one random value per app,
    which a page of another origin cannot read."""
    token = current_app.extensions.get("ui_csrf")
    if token is None:
        token = current_app.extensions.setdefault("ui_csrf", secrets.token_urlsafe(32))
    return token


@blueprint.app_context_processor
def helpers() -> dict[str, Any]:
    return {"page_url": page_url, "ui_token": page_token, "csrf_token": csrf_token}


@blueprint.after_request
def security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def pages_of(listing: Answer, endpoint: str) -> dict[str, Any] | None:
    """The pager of a paginated answer ({items, total, limit, offset}), links to `endpoint`."""
    if not listing.ok:
        return None
    body = listing.body
    offset, size, total = body["offset"], body["limit"], body["total"]
    count = max((total + size - 1) // size, 1)
    return {"first": offset + 1, "last": offset + len(body["items"]), "total": total,
            "number": offset // size + 1, "count": count,
            # past the end, "newer" goes back to the last page there is
            "prev": (page_url(endpoint, offset=max(min(offset - size, (count - 1) * size), 0) or None)
                     if offset > 0 else None),
            "next": page_url(endpoint, offset=offset + size) if offset + size < total else None}


def list_page(template: str, api_path: str, filters: Iterable[str], context: dict[str, Any], *,
              limit: str = "20", extra: Callable[[str], dict[str, Any]] | None = None,
              finish: Callable[[dict[str, Any]], dict[str, Any]] | None = None):
    """A paginated list view (traces, runs, sessions, monitors): the project chooser, GET
    `api_path` with the chosen `filters`, limit and offset, its pager (linking to this view),
    `extra(project_id)`'s entries, rendered through `finish` when given."""
    projects, project, problem = choose_project()
    context = {"projects": projects, "project": project, "problem": problem, "page_sizes": PAGE_SIZES,
               **context}
    if project is not None:
        pid = g.ui_project = project["id"]
        size = last("limit", limit)
        listing = call_api("GET", api_path, pid, list(chosen(filters)) + [("limit", size)]
                           + chosen(("offset",)))
        context.update(listing=listing, pages=pages_of(listing, request.endpoint), limit=size,
                       **(extra(pid) if extra else {}))
    return render_template(template, **(finish(context) if finish else context))


# -- the views ------------------------------------------------------------------------------------
