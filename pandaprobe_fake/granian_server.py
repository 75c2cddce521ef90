"""The other HTTP server the command line can run the app on (`--server granian`): granian's
Rust HTTP/1.1 front end calling the WSGI app in this one process, on `threads` Python threads.

One process, so every piece of in-process state (request journal, faults, clock, judge, rate
limit, caches) stays as correct as under waitress.  The fake binds the listening socket
itself (so `--port 0`, the URL line and the start-up error messages are the same as under
waitress) and hands its descriptor to one granian worker run in this process -- granian's own
launcher would bind in worker processes or threads and not say which port it got.  SIGTERM and
SIGINT stop it cleanly (`run` returns; the caller closes the store).

The worker is granian's internal API (granian._granian), which changes between its minor
versions: the package allows granian 2.8.x only (pyproject's `granian` extra).  Requests
granian refuses before the app sees them (a malformed request line, for one) get granian's
own answer, an empty body, not the API's JSON error shape: that is why waitress
stays the default (see docs/performance.md).
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from typing import Any

BACKLOG = 1024


def available() -> bool:
    try:
        import granian._granian  # noqa: F401
    except ImportError:
        return False
    return True


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port) -- OSError (socket.gaierror for a bad name)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family in (socket.AF_INET, socket.AF_INET6):  # inherited by accepted connections
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def wsgi_callback(app: Any) -> Any:
    """granian.wsgi._callback_wrapper without its copy of os.environ in every request's
    environ (an HTTP_PROXY variable of the process would read as a `Proxy` request header)."""
    import sys

    from granian.wsgi import Response

    base = {"GATEWAY_INTERFACE": "CGI/1.1", "SCRIPT_NAME": "", "SERVER_SOFTWARE": "Granian",
            "wsgi.errors": sys.stderr, "wsgi.input_terminated": True, "wsgi.multiprocess": False,
            "wsgi.multithread": True, "wsgi.run_once": False, "wsgi.version": (1, 0)}

    def run(proto: Any, scope: dict[str, Any]) -> int:
        response = Response()
        body = app(base | scope, response)
        try:  # every answer of the fake is in memory: sent in one write, not chunk by chunk
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        proto.response_bytes(response.status, response.headers, data)
        return response.status

    return run


class GranianServer:
    """Same surface as waitress's server where app.main uses it: `effective_listen`,
    `effective_port`, `run()` (returns on SIGTERM/SIGINT or `close()`)."""

    def __init__(self, app: Any, *, host: str, port: int, threads: int):
        self.app, self.threads = app, threads
        self.sock = bind(host, port)
        bound = self.sock.getsockname()
        self.effective_port = bound[1]
        self.effective_listen = [(bound[0], bound[1])]
        self._stopped = threading.Event()
        self._signal: Any = None

    def run(self) -> None:
        from granian._futures import _new_cbscheduler
        from granian._granian import SocketHolder, WorkerSignal, WSGIWorker
        from granian._loops import loops

        logging.getLogger("_granian").setLevel(logging.WARNING)  # its worker start/stop lines
        self._signal = WorkerSignal()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        loop = loops.get("auto")
        holder = SocketHolder(self.sock.detach(), False, BACKLOG)  # granian owns (and closes) it
        ssl = (False, None, None, None, "tls1.3", None, [], False)  # no TLS
        worker = WSGIWorker(
            1, (None, holder), None,  # worker id, socket (spec, holder), no IPC
            1, 512,  # Rust runtime threads, its blocking I/O threads (granian's defaults)
            self.threads, 30, BACKLOG,  # Python threads running the app, idle timeout, backpressure
            "1", None, None, None,  # HTTP/1.1 only, default HTTP/1 and /2 settings, no static files
            *ssl, (None, None))  # no metrics
        scheduler = _new_cbscheduler(loop, wsgi_callback(self.app), impl_asyncio=False)
        try:
            worker.serve_str(scheduler, loop, self._signal)
            self._stopped.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._signal is not None:
            self._signal.set()
        self._stopped.set()
