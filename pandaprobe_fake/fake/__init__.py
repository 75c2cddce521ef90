"""The test-double features, fenced under `/_fake/` and kept apart from the upstream routes:

    state.py      the journal, faults, rate limit and demo-data settings of one app (FakeState)
    hooks.py      the request hooks that fault, rate-limit and journal the upstream routes
    routes.py     the /_fake/ control API (reset, fixtures, requests, faults, clock)
    judge.py      the simulated judge of evaluation runs; judge_control.py, its /_fake/judge routes
    schemas.py    the control API's Marshmallow schemas (the fixture document among them)
    demo_data.py  the demo data set of mock mode and --demo-data

`install(app)` wires them into an app made by `create_app`.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from pandaprobe_fake.fake import hooks, judge_control, routes  # noqa: F401 (judge_control: routes)
from pandaprobe_fake.fake.state import CONTROL_PREFIX, FakeState

__all__ = ["CONTROL_PREFIX", "install"]
log = logging.getLogger("pandaprobe_fake")


def install(app: Flask) -> None:
    settings = app.extensions["settings"]
    fake = app.extensions["fake"] = FakeState(settings, app.extensions["store"])
    if settings.demo_data:
        known = [p["id"] for p in fake.store.projects() if p["name"] == fake.project]
        if known and fake.store.count_scores(known[0]):
            log.warning("demo data not loaded: project %r already holds scores", fake.project)
        else:
            started = time.perf_counter()
            loaded = fake.load_demo()
            log.info("demo data: %d scores in project %r (%.0f ms)", loaded["scores"],
                     loaded["name"], (time.perf_counter() - started) * 1000)
    if fake.control:
        app.register_blueprint(routes.blueprint)
    if fake.control or fake.rate_limit is not None:
        app.before_request(hooks.before)
        app.after_request(hooks.after)
