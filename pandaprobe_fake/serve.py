"""The HTTP server the command line runs the app on: waitress, set up so that

- the errors waitress answers by itself, before the app sees a request (headers too large, a
  malformed request line, a bad chunked body ...), come back in the API's JSON error shape
  `{"detail": "<reason>: <why>"}` with their status, instead of waitress's plain text;
- slow clients cannot lock others out: waitress stops accepting at `connection_limit` open
  connections (100 by default, so a hundred clients trickling bytes blocked everyone); the fake
  allows CONNECTION_LIMIT (or the open-file limit, less a margin), and waitress reads each
  request whole in its event loop before a worker thread takes it, so trickling clients hold
  no thread.
"""

from __future__ import annotations

import json
from typing import Any

import waitress
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

CONNECTION_LIMIT = 1000
FD_MARGIN = 64  # file descriptors kept for the database, logs and the listening sockets


class JsonErrorTask(ErrorTask):
    """waitress's own error responses, in the API's error shape."""

    def execute(self):
        error = self.request.error
        detail = f"{error.reason}: {error.body}" if error.body else error.reason
        body = json.dumps({"detail": detail}, separators=(",", ":")).encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def connection_limit() -> int:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return CONNECTION_LIMIT
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(min(CONNECTION_LIMIT, soft - FD_MARGIN), 100)


def create_server(app: Any, *, host: str, port: int, threads: int, server: str = "waitress") -> Any:
    """The server (`server`: waitress, or granian: granian_server.py) for `app`, listening
    (OSError/ValueError if it cannot)."""
    if server == "granian":
        from pandaprobe_fake.granian_server import GranianServer

        return GranianServer(app, host=host, port=port, threads=threads)
    server = waitress.create_server(app, host=host, port=port, threads=threads,
                                    ident="pandaprobe-fake", connection_limit=connection_limit())
    for listener in [server, *getattr(server, "map", {}).values()]:
        if hasattr(listener, "channel_class"):
            listener.channel_class = JsonErrorChannel
    return server
