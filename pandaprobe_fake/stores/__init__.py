"""The parts of the store (pandaprobe_fake/store.py composes them into `Store`): one mixin per
resource, each owning its tables and SQL, plus the cache of what is costly to read again."""


class UnknownFilter(ValueError):
    """A list filter a store does not know (a caller's bug, not a user's input): raised, never
    silently ignored."""
