"""schemabase.py: every schema of the fake is made by its cheaper metaclass, which finds the
very processors (same tags, names, order) marshmallow's own `resolve_hooks` finds."""

from __future__ import annotations

import marshmallow
from marshmallow import post_dump, post_load, pre_load, validates_schema
from marshmallow.schema import SchemaMeta as MarshmallowSchemaMeta

import pandaprobe_fake.app  # noqa: F401  (imports every schema module)
from pandaprobe_fake.schemabase import Schema, SchemaMeta

# the decorators' keyword for a collection processor: marshmallow 4's name, or 3's
PASS_COLLECTION = "pass_collection" if "pass_collection" in post_dump.__code__.co_varnames else "pass_many"


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def hooks(mapping) -> dict:
    """A class's hooks without empty tags (a defaultdict: loading looks tags up, adding them)."""
    return {tag: entries for tag, entries in mapping.items() if entries}


def fake_schemas():
    return [c for c in subclasses(marshmallow.Schema) if c.__module__.startswith("pandaprobe_fake")]


def test_every_schema_of_the_fake_uses_the_cheaper_metaclass():
    schemas = fake_schemas()
    assert len(schemas) > 100
    assert [c for c in schemas if type(c) is not SchemaMeta] == []


def test_its_hooks_are_marshmallows_for_every_schema_of_the_fake():
    schemas = fake_schemas()
    assert sum(1 for c in schemas if c._hooks) >= 10  # the check below compares real hooks
    for cls in schemas:
        assert hooks(cls._hooks) == hooks(MarshmallowSchemaMeta.resolve_hooks(cls)), cls


def test_overrides_inheritance_and_order_as_marshmallow():
    class Base(Schema):
        @pre_load
        def b_first(self, data, **kw):
            return {**data, "log": [*data.get("log", []), "b_first"]}

        @post_load
        def overridden(self, data, **kw):
            return {**data, "base": True}

        @validates_schema(skip_on_field_errors=False)
        def check(self, data, **kw):
            pass

    class Child(Base):
        def overridden(self, data, **kw):  # no longer a hook: the child's plain method wins
            return data

        @pre_load
        def a_second(self, data, **kw):
            return {**data, "log": [*data.get("log", []), "a_second"]}

        @post_dump(**{PASS_COLLECTION: True})
        def collection(self, data, many, **kw):
            return data

    for cls in (Base, Child):
        assert hooks(cls._hooks) == hooks(MarshmallowSchemaMeta.resolve_hooks(cls))
    assert [name for name, _, _ in Child._hooks["pre_load"]] == ["a_second", "b_first"]
    assert "post_load" not in Child._hooks or Child._hooks["post_load"] == []
    assert [(name, many) for name, many, _ in Child._hooks["post_dump"]] == [("collection", True)]


def test_a_schema_object_gets_the_copies_of_its_fields_that_copy_copy_makes():
    import copy

    from pandaprobe_fake.schemabase import DeclaredFields, _plain_copy

    for cls in fake_schemas():
        declared = cls._declared_fields
        assert isinstance(declared, DeclaredFields), cls
        copied = copy.deepcopy(declared)
        assert type(copied) is dict and list(copied) == list(declared)
        for name, field in declared.items():
            assert _plain_copy(type(field)), type(field)  # the fast path, for every field class
            expected = copy.copy(field)
            assert copied[name] is not field and type(copied[name]) is type(field)
            assert copied[name].__dict__ == expected.__dict__, (cls, name)
        instance = cls()
        assert all(instance.fields[n] is not declared[n] for n in instance.fields)


def test_a_field_class_that_copies_itself_another_way_is_copied_its_way():
    import copy

    from marshmallow import fields

    from pandaprobe_fake.schemabase import DeclaredFields

    class Counted(fields.String):
        copies = 0

        def __copy__(self):
            Counted.copies += 1
            new = fields.String.__new__(Counted)
            new.__dict__.update(self.__dict__)
            return new

    class WithCounted(Schema):
        name = Counted()

    assert isinstance(WithCounted._declared_fields, DeclaredFields)
    copy.deepcopy(WithCounted._declared_fields)
    assert Counted.copies == 1
    assert WithCounted().load({"name": "x"}) == {"name": "x"}


def test_hooks_under_multiple_inheritance_as_marshmallow():
    class Base(Schema):
        @post_load
        def shadowed(self, data, **kw):
            return data

        @pre_load
        def kept(self, data, **kw):
            return data

    class Mixin:
        def shadowed(self, data, **kw):  # first in the MRO: hides Base's hook
            return data

        @validates_schema
        def mixed_in(self, data, **kw):
            pass

    class Both(Mixin, Base):
        pass

    class Child(Both):  # one base made by SchemaMeta: derived from Both's hooks
        @post_load
        def own(self, data, **kw):
            return data

    for cls in (Both, Child):
        assert hooks(cls._hooks) == hooks(MarshmallowSchemaMeta.resolve_hooks(cls)), cls
    assert "post_load" not in Both._hooks or Both._hooks["post_load"] == []
    assert [n for n, _, _ in Child._hooks["post_load"]] == ["own"]
    assert [n for n, _, _ in Child._hooks["validates_schema"]] == ["mixed_in"]


def test_marshmallow_3_hook_configs_give_marshmallow_3_hooks():
    """marshmallow 3 (pyproject admits >=3.20) keys a processor's config by (tag, many) and
    lists the processors' names; resolve_hooks reads either shape."""

    def processor(self, data, **kw):
        return data

    processor.__marshmallow_hook__ = {("post_load", False): {"pass_original": False}}

    class Old(Schema):
        b = processor
        a = processor

    assert Old._hooks[("post_load", False)] == ["a", "b"]
