"""The routes about the server itself: `GET /` and `GET /health`."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from pandaprobe_fake import UPSTREAM_VERSION, schemas
from pandaprobe_fake.clock import isoformat
from pandaprobe_fake.web import endpoint, json_response, store

blueprint = Blueprint("meta", __name__)


@blueprint.get("/health")
@endpoint("health", responses={200: schemas.health}, scoped=False)
def health_check():
    problem = store().availability_problem()
    if problem:  # the database cannot keep writes: not healthy (writes answer 503 too)
        return json_response({"status": "unhealthy", "version": UPSTREAM_VERSION,
                              "environment": "fake", "detail": problem}, 503)
    return json_response(schemas.health.dump({
        "status": "healthy", "version": UPSTREAM_VERSION, "environment": "fake",
        "timestamp": isoformat(store().clock.now())}))


ROOT_ANSWER = {"type": "object", "additionalProperties": True}


@blueprint.get("/")
@endpoint(None, responses={200: ROOT_ANSWER}, scoped=False)
def root():
    """Root endpoint with basic API information.

    The real server's JSON to API clients; a browser (asking for HTML first) is sent on to
    the demo page, /ui."""
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return redirect(url_for("ui.scores_page"))
    return json_response({"name": "PandaProbe", "version": UPSTREAM_VERSION, "status": "healthy",
                          "docs": "/docs", "scalar": "/scalar"})
