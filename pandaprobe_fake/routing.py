"""Start-up: werkzeug compiles two URL *builders* (Python code generated through `ast`, for
`url_for`) for every route when the route is added: ~50 ms for the fake's 125 routes, most of
create_app, for builders only the demo page's few `url_for` calls ever use.  `LazyRule` makes
each builder the first time it is called; matching (the rule's regular expression) is
untouched.  create_app sets it as the app's `url_rule_class`."""

from __future__ import annotations

from typing import Any, Callable

from werkzeug.routing import Rule


class LazyRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_real = super()._compile_builder
        built: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            if not built:
                built.append(compile_real(append_unknown))
            return built[0](rule, *args, **kwargs)

        return build
