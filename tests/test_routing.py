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


def test_ensure_sync_is_flasks_answer_remembered(app):
    from flask import Flask

    def view():
        return "ok"

    class Unhashable:
        __hash__ = None

        def __call__(self):
            return "ok"

    async def coroutine_view():
        return "ok"

    plain = Flask(__name__)
    assert app.ensure_sync(view) is view is app.ensure_sync(view)
    assert view in app._synced
    callable_object = Unhashable()
    assert app.ensure_sync(callable_object) is plain.ensure_sync(callable_object) is callable_object
    for flask_app in (plain, app):  # an async view: Flask's own answer (or its own refusal)
        try:
            outcome = type(flask_app.ensure_sync(coroutine_view))
        except RuntimeError as err:
            outcome = str(err)
        if flask_app is plain:
            expected = outcome
    assert outcome == expected


def test_ensure_sync_keeps_a_bounded_memory(app):
    made = [lambda n=n: n for n in range(app.MAX_SYNCED + 100)]  # e.g. one callable a request
    for func in made:
        assert app.ensure_sync(func) is func
    assert len(app._synced) == app.MAX_SYNCED
    assert app.ensure_sync(made[-1])() == app.MAX_SYNCED + 99
