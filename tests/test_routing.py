"""routing.LazyRule: the app's URL rules make their URL builders on first use, and build
exactly what werkzeug's own rules build (paths, converters, unknown arguments as a query)."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from pandaprobe_fake.app import create_app
from pandaprobe_fake.routing import LazyRule

RULES = ["/", "/evaluations/trace-scores/<score_id>", "/ui/runs/<run_id>", "/a/<int:n>/b/<path:rest>"]
CALLS = [("/", {}), ("/evaluations/trace-scores/<score_id>", {"score_id": "ab c/é"}),
         ("/ui/runs/<run_id>", {"run_id": "r1", "page": 2, "q": "x y"}),
         ("/a/<int:n>/b/<path:rest>", {"n": 7, "rest": "x/y z"})]


def test_lazy_rules_build_what_werkzeugs_build():
    plain = Map([Rule(r, endpoint=r) for r in RULES]).bind("localhost")
    lazy = Map([LazyRule(r, endpoint=r) for r in RULES]).bind("localhost")
    for endpoint, values in CALLS:
        assert lazy.build(endpoint, values) == plain.build(endpoint, values)
        assert lazy.build(endpoint, values, force_external=True) == plain.build(endpoint, values,
                                                                                 force_external=True)


def test_the_app_uses_them_and_url_for_works():
    from flask import url_for

    app = create_app(database=None)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "ui.run_page")
    assert isinstance(rule, LazyRule)
    with app.test_request_context():
        args = {a: "x" for a in rule.arguments}
        assert url_for("ui.run_page", **args, page=2).endswith("?page=2")
