"""pandaprobe-fake: a local stand-in for the hosted PandaProbe API.

The app factory and the command line:

    pandaprobe-fake [--host 127.0.0.1] [--port 8000] [--db ./pandaprobe-fake.db] [--api-key KEY ...]
    pandaprobe-fake --mock [--project demo] [--seed N] [--scores N]   # in memory, with demo data

(also `python -m pandaprobe_fake` and, from a checkout, `python app.py`; `--help` lists every
option, each of which can also come from a PANDAPROBE_FAKE_* environment variable.)
"""

from __future__ import annotations

import gc

_collecting = gc.isenabled()
gc.disable()  # while the modules below load (most of start-up, see main); then as it was
try:
    import errno
    import logging
    import socket
    import sqlite3
    import sys
    import time
    from typing import Any, Mapping, NoReturn, Sequence

    from flask import Flask

    from pandaprobe_fake import UPSTREAM_VERSION, __version__, api, fake, openapi, ui, web
    from pandaprobe_fake.jsonio import FastJSONProvider
    from pandaprobe_fake.routing import LazyRule
    from pandaprobe_fake.settings import Settings, parse_command_line, settings_of
    from pandaprobe_fake.store import Store
    from pandaprobe_fake.stores.files import DatabaseFileError
finally:
    if _collecting:  # what the imports made joins the oldest generation (not one pass over it now)
        gc.freeze()
        gc.unfreeze()
        gc.enable()

log = logging.getLogger("pandaprobe_fake")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class App(Flask):
    """Flask, answering `ensure_sync` from memory: Flask asks it of every view and request hook
    on every call (`inspect.iscoroutinefunction`, six times a request); the fake's are all
    plain functions, and a function's kind does not change."""

    MAX_SYNCED = 1024  # the fake's views and hooks are a few hundred

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        try:
            return self._synced[func]
        except KeyError:
            synced = super().ensure_sync(func)
            if len(self._synced) < self.MAX_SYNCED:  # a callable made per request is not kept
                self._synced[func] = synced
            return synced
        except TypeError:  # not hashable
            return super().ensure_sync(func)


def create_app(settings: Settings | Mapping[str, Any] | None = None, **changes: Any) -> Flask:
    """Build the app from a Settings (or a dict of its fields, or keyword changes to the
    defaults): `create_app(database=None, api_keys=["k"])`."""
    settings = settings_of(settings, **changes)
    app = App(__name__, static_folder=None)
    app.url_rule_class = LazyRule  # URL builders made on first use (routing.py)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.json = FastJSONProvider(app)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.json.compact = True
    app.url_map.merge_slashes = False
    app.extensions["settings"] = settings
    app.extensions["store"] = settings.store or Store(settings.database)

    web.install(app)  # request id, log line, and every error as JSON
    api.register(app)  # the upstream API's routes
    fake.install(app)  # the /_fake/ control API, journal, faults, rate limit, demo data
    app.register_blueprint(ui.blueprint)  # the demo page: /ui, on the routes above
    openapi.register(app, title="PandaProbe API (pandaprobe-fake)", version=UPSTREAM_VERSION,
                     description="pandaprobe-fake: a local stand-in for the hosted PandaProbe API.")
    return app


def main(argv: Sequence[str] | None = None, prog: str = "pandaprobe-fake") -> None:
    """Run the fake.  A start-up failure (a bad option, a database file it will not open, an
    address it cannot bind) is one line on stderr and exit status 2 (options) or 1 (the rest),
    never a traceback.

    Python's cyclic garbage collector is paused while the fake starts (also while this module's
    imports load, and from before the package's own in app.py and __main__.py): start-up allocates
    ~75,000 long-lived objects and no garbage worth a pass, and the ~100 passes it would run
    cost ~10 ms, a tenth of the start.  What start-up made is then frozen (`gc.freeze`: later
    passes skip it) and the collector is on again before the first request is served, or
    when start-up fails."""
    gc.disable()
    try:
        app, server = start(argv, prog)
        gc.freeze()
    finally:
        gc.enable()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["store"].close()


def start(argv: Sequence[str] | None, prog: str) -> tuple[Flask, Any]:
    """main's start-up: the options, the app, the listening server, logging, the first lines."""
    from pandaprobe_fake import serve

    settings = parse_command_line(argv, prog)  # argparse: one line, status 2
    try:
        app = create_app(settings)
    except DatabaseFileError as err:
        fail(prog, str(err))
    except sqlite3.Error as err:  # anything SQLite itself refuses past the file checks
        fail(prog, f"cannot open the database {settings.database}: {err}")
    try:
        server = serve.create_server(app, host=settings.host, port=settings.port,
                                     threads=settings.threads, server=settings.server)
    except (OSError, ValueError) as err:
        app.extensions["store"].close()
        fail(prog, bind_error(settings, err))
    # Logging starts once the fake is up: a failed start prints nothing but its one line.
    handler = logging.StreamHandler(sys.stderr)
    formatter = LogFormatter(LOG_FORMAT)
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.WARNING if settings.quiet else logging.INFO, handlers=[handler])
    if logging.getLogger().handlers == [handler] and not log.handlers and not log.filters:
        app.extensions["log_line"] = LogLine(handler, formatter)  # the line logging would write
    # The format names no caller, thread or process: do not look them up for every line.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    listen = getattr(server, "effective_listen", None)
    bound_host, port = listen[0][:2] if listen else (settings.host, server.effective_port)
    host = bound_host if ":" not in bound_host else f"[{bound_host}]"
    url = f"http://{host}:{port}"
    print(url, flush=True)  # the first line is the URL (tests and scripts read it)
    print(f"pandaprobe-fake {__version__}: demo page {url}/ui, API docs {url}/docs"
          + (", in memory with demo data (mock mode)" if settings.mock else
             f", database {settings.database or ':memory:'}"), file=sys.stderr, flush=True)
    if settings.mock and settings.api_keys:
        print(f"pandaprobe-fake: mock mode with --api-key: every request (and /_fake/) needs one "
              f"of the {len(settings.api_keys)} key(s); a request without a project header goes "
              f"to project {settings.project!r}", file=sys.stderr, flush=True)
    elif settings.api_keys:
        print(f"pandaprobe-fake: --api-key: every request (and /_fake/) needs one of the "
              f"{len(settings.api_keys)} key(s)", file=sys.stderr, flush=True)
    return app, server


class LogFormatter(logging.Formatter):
    """logging's default time stamp ("2026-01-02 03:04:05,678"), its date and time part
    written once a second instead of once a line."""

    _second, _text = None, ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self.stamp(record.created, record.msecs)

    def stamp(self, created: float, msecs: float) -> str:
        second = int(created)
        if second != self._second:
            self._text = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(second))
            self._second = second
        return f"{self._text},{int(msecs):03d}"


class LogLine:
    """The request log line (web.py), written straight to the stream of the handler main()
    set up, in one write under the handler's lock: the very line logging would write at
    INFO ("<stamp> INFO pandaprobe_fake: <line>"), without building a LogRecord and passing
    it through the logger and handler chain (about a tenth of a request's own time).  A
    stream that cannot be written (stderr closed) loses the line; the request is answered."""

    def __init__(self, handler: logging.StreamHandler, formatter: LogFormatter):
        self.handler, self.formatter = handler, formatter

    def __call__(self, line: str) -> None:
        created = time.time()
        msecs = int((created - int(created)) * 1000) + 0.0  # as logging.LogRecord computes it
        text = f"{self.formatter.stamp(created, msecs)} INFO {log.name}: {line}{self.handler.terminator}"
        with self.handler.lock:
            try:
                self.handler.stream.write(text)
                self.handler.stream.flush()
            except (OSError, ValueError):
                pass


def bind_error(settings: Settings, err: Exception) -> str:
    where = f"{settings.host}:{settings.port}"
    if isinstance(err, socket.gaierror) or isinstance(err, ValueError):
        return f"--host {settings.host!r}: not an address this machine can listen on ({err})"
    if err.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is already in use (choose another with --port, or 0)"
    if err.errno == errno.EADDRNOTAVAIL:
        return f"--host {settings.host!r}: not an address of this machine ({err.strerror})"
    if err.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied (ports below 1024 need privileges)"
    return f"cannot listen on {where}: {err.strerror or err}"


def fail(prog: str, message: str) -> NoReturn:
    """End the command on a failure past the options: one line, status 1."""
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


if __name__ == "__main__":
    main()
