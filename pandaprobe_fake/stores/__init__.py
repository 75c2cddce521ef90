"""The parts of the store (pandaprobe_fake/store.py composes them into `Store`): one mixin per
resource, each owning its tables and SQL, plus the cache of what is costly to read again."""
