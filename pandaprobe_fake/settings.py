"""Every option of the fake, with its default: one `Settings` object, built by the command
line (`pandaprobe-fake ...`, `python app.py ...`, `python -m pandaprobe_fake ...`), by the
environment (`PANDAPROBE_FAKE_<OPTION>`, e.g. `PANDAPROBE_FAKE_PORT=9000`), and by the fixture
kit (`FakeServer(...)`) alike.  `create_app(settings)` reads nothing else.

On the command line an option given beats its environment variable, which beats the default.
A flag's variable is true for 1/true/yes/on and false for 0/false/no/off; `--api-key`'s
variable may hold several keys separated by commas.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

DEFAULT_DB = "./pandaprobe-fake.db"
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_JOURNAL_SIZE = 1000
DEFAULT_PROJECT = "demo"
# Worker threads: one can run Python while the other waits on SQLite (which lets go of the
# GIL); more threads only fight over the GIL.  Measured on 2 cores (bench/bench.py): 8 clients
# got more req/s with 2 threads than with 4 or 8 in most runs, for less CPU a request, and a
# summary polled meanwhile on 100k scores answered in ~57 ms instead of 80-160 ms.  1 thread
# would queue every request behind a slow one (the mix fell to 200 req/s behind such polling).
DEFAULT_THREADS = 2
ENV_PREFIX = "PANDAPROBE_FAKE_"
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Settings:
    """The fake's options.  `database` None is an in-memory database; `demo_data` loads the
    demo data set at start (the command line sets it for --mock too); `mock` lets requests
    without credentials or project header in, as `project`."""

    host: str = "127.0.0.1"
    port: int = 8000
    database: str | None = DEFAULT_DB
    api_keys: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()  # Host names served besides loopback and --host ("*": any)
    max_body: int = DEFAULT_MAX_BODY
    strict_traces: bool = False
    threads: int = DEFAULT_THREADS
    quiet: bool = False
    mock: bool = False
    demo_data: bool = False
    project: str = DEFAULT_PROJECT
    seed: int | None = None
    scores: int | None = None
    journal_size: int = DEFAULT_JOURNAL_SIZE
    rate_limit: str | None = None
    control: bool = True
    store: Any = field(default=None, compare=False, repr=False)  # a ready Store (tests, bench)

    @property
    def mock_project(self) -> str | None:
        """In mock mode, the project of requests without credentials or project header."""
        return self.project if self.mock else None

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


def settings_of(given: Settings | Mapping[str, Any] | None = None, **changes: Any) -> Settings:
    """A Settings from a Settings, a dict of its fields, or nothing (the defaults)."""
    base = given if isinstance(given, Settings) else Settings(**dict(given or {}))
    if changes:
        base = base.replace(**changes)
    if not isinstance(base.api_keys, tuple):
        base = base.replace(api_keys=tuple(base.api_keys or ()))
    if not isinstance(base.allowed_hosts, tuple):
        base = base.replace(allowed_hosts=tuple(base.allowed_hosts or ()))
    return base


# -- the command line and the environment -----------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with each option's environment variable as its default, and its errors as
    one line on stderr (status 2) instead of the usage text and the error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def add(self, group, *flags: str, env: str, **kwargs: Any) -> None:
        raw = os.environ.get(ENV_PREFIX + env)
        if raw is not None:
            kwargs["default"] = self._from_env(env, raw, kwargs)
        kwargs["help"] = (kwargs.get("help") or "") + f" [env {ENV_PREFIX}{env}]"
        group.add_argument(*flags, **kwargs)

    def _from_env(self, env: str, raw: str, kwargs: dict) -> Any:
        action = kwargs.get("action")
        if action in ("store_true", "store_false"):
            word = raw.strip().lower()
            if word not in TRUE + FALSE:
                self.error(f"{ENV_PREFIX}{env}={raw!r}: write 1/true/yes/on or 0/false/no/off")
            on = word in TRUE
            return on if action == "store_true" else not on
        if action == "append":
            return [key.strip() for key in raw.split(",") if key.strip()]
        convert = kwargs.get("type", str)
        try:
            return convert(raw)
        except ValueError:
            self.error(f"{ENV_PREFIX}{env}={raw!r}: not a valid value")



def build_parser(prog: str = "pandaprobe-fake") -> _Parser:
    parser = _Parser(prog=prog, description="pandaprobe-fake: a local stand-in for the hosted "
                                            "PandaProbe API.")
    from pandaprobe_fake import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    g = parser.add_argument_group("server")
    parser.add(g, "--host", env="HOST", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add(g, "--port", env="PORT", type=int, default=8000,
               help="port to listen on (default 8000; 0 picks a free one)")
    parser.add(g, "--db", env="DB", default=None,
               help=f"SQLite database file (default {DEFAULT_DB}; ':memory:' for none)")
    parser.add(g, "--api-key", env="API_KEY", action="append", default=[], metavar="KEY",
               help="accept only this API key / bearer token (repeatable; default: any non-empty key)")
    parser.add(g, "--allow-host", env="ALLOW_HOST", action="append", default=[], metavar="NAME",
               help="also serve requests whose Host is NAME (repeatable; '*' for any), e.g. a "
                    "docker-compose service name; default: loopback names, IP addresses and --host")
    parser.add(g, "--max-body", env="MAX_BODY", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES",
               help=f"largest request body accepted (default {DEFAULT_MAX_BODY}; larger is 413)")
    parser.add(g, "--strict-traces", env="STRICT_TRACES", action="store_true",
               help="a score for a trace the fake does not hold is a 404 "
                    "(default: accepted, as the SDK may send a score before its trace)")
    parser.add(g, "--threads", env="THREADS", type=int, default=DEFAULT_THREADS,
               help=f"worker threads (default {DEFAULT_THREADS})")
    parser.add(g, "--quiet", env="QUIET", action="store_true", help="do not log each request")
    m = parser.add_argument_group("mock mode and test controls (see docs/testing.md)")
    parser.add(m, "--mock", env="MOCK", action="store_true",
               help="in-memory database filled with demo data; a request without credentials "
                    "or project header is served as --project")
    parser.add(m, "--demo-data", env="DEMO_DATA", action="store_true",
               help="load the demo data set into --db at start (unless its project has scores)")
    parser.add(m, "--project", env="PROJECT", metavar="NAME",
               help=f"project of the demo data and of mock mode (default {DEFAULT_PROJECT})")
    parser.add(m, "--seed", env="SEED", type=int, metavar="N",
               help="make the demo data (ids, values, times before the clock) the same on every start")
    parser.add(m, "--scores", env="SCORES", type=int, metavar="N",
               help="number of demo scores (default 2000)")
    parser.add(m, "--journal-size", env="JOURNAL_SIZE", type=int, default=DEFAULT_JOURNAL_SIZE,
               metavar="N", help="requests kept in the /_fake/requests journal (default %(default)s; 0: none)")
    parser.add(m, "--rate-limit", env="RATE_LIMIT", metavar="SPEC",
               help="emulate the hosted per-caller rate limit, e.g. 200/minute (default off)")
    parser.add(m, "--no-control", env="NO_CONTROL", action="store_true",
               help="no /_fake/ control routes (and no journal or faults)")
    return parser


def parse_command_line(argv: Sequence[str] | None = None, prog: str = "pandaprobe-fake") -> Settings:
    """The Settings of a command line (and the PANDAPROBE_FAKE_* environment).  A bad
    option or combination exits with argparse's one-line message and status 2."""
    from pandaprobe_fake.fake.state import RateLimit
    from pandaprobe_fake.schemas import BAD_PROJECT_NAME, PROJECT_NAME

    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.mock and args.db is not None:
        parser.error("--mock keeps everything in memory: leave out --db (or use --db FILE --demo-data)")
    if not (args.mock or args.demo_data) and any(
            v is not None for v in (args.project, args.seed, args.scores)):
        parser.error("--project, --seed and --scores go with --mock or --demo-data")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port}: a port is 0 to 65535 (0 picks a free one)")
    if args.threads < 1:
        parser.error(f"--threads {args.threads}: give 1 or more")
    if args.max_body < 1:
        parser.error(f"--max-body {args.max_body}: give 1 or more bytes")
    if not args.host.strip():
        parser.error("--host: give an address to bind, e.g. 127.0.0.1")
    if args.scores is not None and args.scores < 0:
        parser.error("--scores must be 0 or more")
    if args.journal_size < 0:
        parser.error("--journal-size must be 0 or more")
    if args.rate_limit is not None:
        try:
            RateLimit(args.rate_limit)
        except ValueError:
            parser.error(f"--rate-limit {args.rate_limit!r}: write it as COUNT/PERIOD, e.g. 200/minute")
    if args.project is not None and not PROJECT_NAME.fullmatch(args.project):
        parser.error("--project: " + BAD_PROJECT_NAME.replace("X-Project-Name", "a project name"))
    database = None if args.mock or args.db == ":memory:" else (args.db or DEFAULT_DB)
    return Settings(host=args.host, port=args.port, database=database, api_keys=tuple(args.api_key),
                    allowed_hosts=tuple(args.allow_host),
                    max_body=args.max_body, strict_traces=args.strict_traces, threads=args.threads,
                    quiet=args.quiet, mock=args.mock, demo_data=args.mock or args.demo_data,
                    project=args.project or DEFAULT_PROJECT, seed=args.seed, scores=args.scores,
                    journal_size=args.journal_size, rate_limit=args.rate_limit,
                    control=not args.no_control)
