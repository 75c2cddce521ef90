"""The base class of every Marshmallow schema of the fake: marshmallow's `Schema`, made cheaper
to define and to instantiate (start-up: the fake defines ~110 schema classes and makes ~90
schema objects at import).  Nothing else changes: loading, dumping and the class registry are
marshmallow's own.

- On each new class, marshmallow's metaclass looks for the processors (`@validates_schema`,
  `@post_load`, ...) by walking `dir(cls)` and, for each of its ~100 names, the MRO's
  `__dict__`s through `try/except KeyError` (~6 ms in all).  `SchemaMeta.resolve_hooks` here
  finds the same hooks, in the same order (by name, as `dir` sorts): a class with one base made
  here from that base's hooks (as they were when the base was made: a processor set on a class
  afterwards is not seen by its subclasses) and its own `__dict__`, any other in one pass over
  the MRO's `__dict__`s.
- Each new schema object copies its class's fields (`copy.deepcopy(cls._declared_fields)`,
  each field by `copy.copy`, through `__reduce_ex__`).  The class's fields are kept in a
  `DeclaredFields` dict whose deep copy makes the same shallow copy of each field directly:
  a new object of the field's class with the same `__dict__` (any field class that copies
  itself another way goes through `copy.deepcopy` as before).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import marshmallow
from marshmallow.fields import Field
from marshmallow.schema import SchemaMeta as _MarshmallowSchemaMeta


def _plain_copy(cls: type) -> bool:
    """Whether copy.copy of a `cls` object is a new object with the same __dict__ (marshmallow's
    Field.__deepcopy__ is copy.copy) and nothing else."""
    return (cls.__deepcopy__ is Field.__deepcopy__ and not hasattr(cls, "__copy__")
            and not hasattr(cls, "__setstate__") and cls.__reduce_ex__ is object.__reduce_ex__
            and cls.__reduce__ is object.__reduce__ and cls.__getstate__ is object.__getstate__
            and not any(vars(c).get("__slots__") for c in cls.__mro__))  # (typing.Generic: empty)


_PLAIN: dict[type, bool] = {}


class DeclaredFields(dict):
    """A schema class's fields, by name; deep-copied (by each new schema object) as above."""

    def __deepcopy__(self, memo: dict) -> dict[str, Field]:
        fields = {}
        for name, field in self.items():
            cls = type(field)
            plain = _PLAIN.get(cls)
            if plain is None:
                plain = _PLAIN[cls] = _plain_copy(cls)
            if plain:
                fields[name] = new = cls.__new__(cls)
                new.__dict__.update(field.__dict__)
            else:
                fields[name] = copy.deepcopy(field, memo)
        return fields


class SchemaMeta(_MarshmallowSchemaMeta):
    @classmethod
    def get_declared_fields(mcs, klass, cls_fields, inherited_fields, dict_cls=dict):  # noqa: N804
        return DeclaredFields(super().get_declared_fields(klass, cls_fields, inherited_fields, dict_cls))

    def resolve_hooks(cls) -> dict[Any, list]:
        base = cls.__bases__[0] if len(cls.__bases__) == 1 else None
        if base in _VISIBLE:  # one base, made here: its hooks, less what this class redefines
            visible = {name: config for name, config in _VISIBLE[base].items() if name not in cls.__dict__}
            for name, attr in cls.__dict__.items():
                config = getattr(attr, "__marshmallow_hook__", None)
                if config is not None:
                    visible[name] = config
        else:  # the first class of the MRO to define a name is the one getattr sees
            visible, seen = {}, set()
            for parent in cls.__mro__:
                for name, attr in parent.__dict__.items():
                    if name not in seen:
                        seen.add(name)
                        config = getattr(attr, "__marshmallow_hook__", None)
                        if config is not None:
                            visible[name] = config
        _VISIBLE[cls] = visible
        hooks: dict[Any, list] = defaultdict(list)
        for name in sorted(visible):
            for tag, entries in visible[name].items():
                if isinstance(tag, tuple):  # marshmallow 3: {(tag, many): kwargs}, hooks[key] = [names]
                    hooks[tag].append(name)
                else:  # marshmallow 4: {tag: [(many, kwargs), ...]}
                    hooks[tag].extend((name, many, kwargs) for many, kwargs in entries)
        return hooks


# per class made by SchemaMeta: its processors (name -> __marshmallow_hook__), as getattr sees them
_VISIBLE: dict[type, dict[str, Any]] = {}


class Schema(marshmallow.Schema, metaclass=SchemaMeta):
    """marshmallow.Schema, with the cheaper metaclass above."""
