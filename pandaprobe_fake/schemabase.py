"""The base class of every Marshmallow schema of the fake: marshmallow's `Schema`, made cheaper
to define (start-up).  On each new schema class, marshmallow's metaclass looks for the
processors (`@validates_schema`, `@post_load`, ...) by walking `dir(cls)` and, for each of its
~100 names, the MRO's `__dict__`s through `try/except KeyError`: ~6 ms for the fake's ~110
schema classes, a twentieth of its start-up.  `SchemaMeta.resolve_hooks` here finds the same
hooks, in the same order (by name, as `dir` sorts), from one pass over the MRO's `__dict__`s.
Nothing else changes: loading, dumping and the class registry are marshmallow's own."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import marshmallow
from marshmallow.schema import SchemaMeta as _MarshmallowSchemaMeta


class SchemaMeta(_MarshmallowSchemaMeta):
    def resolve_hooks(cls) -> dict[str, list[tuple[str, bool, dict]]]:
        seen: set[str] = set()
        found: list[tuple[str, Any]] = []
        for parent in cls.__mro__:  # the first class to define a name is the one getattr sees
            for name, attr in parent.__dict__.items():
                if name not in seen:
                    seen.add(name)
                    config = getattr(attr, "__marshmallow_hook__", None)
                    if config is not None:
                        found.append((name, config))
        hooks: dict[str, list[tuple[str, bool, dict]]] = defaultdict(list)
        for name, config in sorted(found, key=lambda pair: pair[0]):
            for tag, entries in config.items():
                hooks[tag].extend((name, many, kwargs) for many, kwargs in entries)
        return hooks


class Schema(marshmallow.Schema, metaclass=SchemaMeta):
    """marshmallow.Schema, with the cheaper metaclass above."""
