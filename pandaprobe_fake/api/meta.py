"""The routes about the server itself: `GET /health`."""

from __future__ import annotations

from flask import Blueprint

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
