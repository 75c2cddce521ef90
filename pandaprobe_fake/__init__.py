"""pandaprobe-fake: a local stand-in for the hosted PandaProbe API (Flask, Marshmallow, SQLite).

    pandaprobe-fake [--port 8000] [--mock] ...        # or: python -m pandaprobe_fake
    from pandaprobe_fake.testing import FakeServer     # in-process, for test suites

The package's map: app.py (factory, command line), settings.py (every option), schemas.py and
fields.py (Marshmallow), store.py with stores/ (SQLite), web.py (HTTP plumbing), api/
(the upstream routes by resource), fake/ (the /_fake/ test-double features), ui/ (the /ui demo
page), openapi.py (/openapi.json, /docs), testing.py (FakeServer and the pytest plugin).
"""

__version__ = "0.7.0"
UPSTREAM_VERSION = "0.5.0"  # the upstream server version whose behaviour the fake follows

from pandaprobe_fake import lazyre as _lazyre  # noqa: E402  (before anything imports marshmallow)

_lazyre.import_marshmallow()
