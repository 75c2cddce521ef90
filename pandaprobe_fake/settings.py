"""Every option of the fake, with its default: one `Settings` object, built by the command
line (`pandaprobe-fake ...`, `python app.py ...`, `python -m pandaprobe_fake ...`), by the
environment (`PANDAPROBE_FAKE_<OPTION>`, e.g. `PANDAPROBE_FAKE_PORT=9000`), and by the fixture
kit (`FakeServer(...)`) alike.  `create_app(settings)` reads nothing else.

On the command line an option given beats its environment variable, which beats the default.
A flag's variable is true for 1/true/yes/on and false for 0/false/no/off; `--api-key`'s
variable may hold several keys separated by commas (keys on the command line replace them).
A bad value, given either way, ends the command with one line naming the option or the
variable, and status 2 (argparse's way): the option types below check the values.
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
DEFAULT_JUDGE_DELAY = 0.5  # seconds on the fake's clock from a run's creation to its end
JUDGE_MODES = ("simulated", "unconfigured")
SERVERS = ("waitress", "granian")  # serve.py; granian needs the `granian` extra
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
    server: str = "waitress"
    quiet: bool = False
    mock: bool = False
    demo_data: bool = False
    project: str = DEFAULT_PROJECT
    seed: int | None = None
    scores: int | None = None
    journal_size: int = DEFAULT_JOURNAL_SIZE
    rate_limit: str | None = None
    ingest_delay: int = 0  # ms on the fake's clock before a posted trace is readable
    control: bool = True
    judge: str = "simulated"
    judge_delay: float = DEFAULT_JUDGE_DELAY
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


def whole(low: int | None = None, high: int | None = None):
    """An argparse type: a whole number (from `low`) (to `high`)."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {low} or more" if high is None
                                             else f"must be from {low} to {high}")
        return value
    return convert


def seconds(low: float, high: float):
    """An argparse type: a finite number of seconds from `low` to `high`."""
    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not low <= value <= high:  # NaN fails this too
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g} seconds")
        return value
    return convert


def rate_limit(text: str) -> str:
    """An argparse type: a rate limit the `limits` package reads, e.g. 200/minute."""
    from pandaprobe_fake.fake.ratelimit import RateLimit

    try:
        RateLimit(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write 'upstream' or COUNT/PERIOD, "
                                         f"e.g. 200/minute") from None
    return text


def project_name(text: str) -> str:
    """An argparse type: a project name the API accepts in X-Project-Name."""
    from pandaprobe_fake.fields import BAD_PROJECT_NAME, PROJECT_NAME

    if not PROJECT_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(BAD_PROJECT_NAME.replace("X-Project-Name", "a project name"))
    return text


class _Parser(argparse.ArgumentParser):
    """argparse, with each option's environment variable as its default (`env_names` maps
    each option's dest to its variable), and its errors as one line on stderr (status 2)
    instead of the usage text and the error."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.env_names: dict[str, str] = {}
        self._env_lists: dict[str, list[str]] = {}  # a repeatable option's list from its variable

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def add(self, group, *flags: str, env: str, **kwargs: Any) -> None:
        raw = os.environ.get(ENV_PREFIX + env)
        value = None if raw is None else self._from_env(env, raw, kwargs)
        if raw is not None and kwargs.get("action") != "append":
            kwargs["default"] = value
        kwargs["help"] = (kwargs.get("help") or "") + f" [env {ENV_PREFIX}{env}]"
        action = group.add_argument(*flags, **kwargs)
        self.env_names[action.dest] = ENV_PREFIX + env
        if raw is not None and kwargs.get("action") == "append":
            self._env_lists[action.dest] = value  # argparse would add the command line's to it

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        for dest, values in self._env_lists.items():
            if not getattr(namespace, dest):  # not given on the command line: the variable's
                setattr(namespace, dest, values)
        return namespace, extras

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
        except (ValueError, argparse.ArgumentTypeError) as error:
            self.error(f"{ENV_PREFIX}{env}={raw!r}: {error}")


def build_parser(prog: str = "pandaprobe-fake") -> _Parser:
    parser = _Parser(prog=prog, description="pandaprobe-fake: a local stand-in for the hosted "
                                            "PandaProbe API.")
    from pandaprobe_fake import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    g = parser.add_argument_group("server")
    parser.add(g, "--host", env="HOST", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add(g, "--port", env="PORT", type=whole(0, 65535), default=8000,
               help="port to listen on (default 8000; 0 picks a free one)")
    parser.add(g, "--db", env="DB", default=None,
               help=f"SQLite database file (default {DEFAULT_DB}; ':memory:' for none)")
    parser.add(g, "--api-key", env="API_KEY", action="append", default=[], metavar="KEY",
               help="accept only this API key / bearer token (repeatable; default: any non-empty key)")
    parser.add(g, "--allow-host", env="ALLOW_HOST", action="append", default=[], metavar="NAME",
               help="also serve requests whose Host is NAME (repeatable; '*' for any), e.g. a "
                    "docker-compose service name; default: loopback names, IP addresses and --host")
    parser.add(g, "--max-body", env="MAX_BODY", type=whole(1), default=DEFAULT_MAX_BODY, metavar="BYTES",
               help=f"largest request body accepted (default {DEFAULT_MAX_BODY}; larger is 413)")
    parser.add(g, "--strict-traces", env="STRICT_TRACES", action="store_true",
               help="a score for a trace the fake does not hold is a 404 "
                    "(default: accepted, as the SDK may send a score before its trace)")
    parser.add(g, "--threads", env="THREADS", type=whole(1), default=DEFAULT_THREADS,
               help=f"worker threads (default {DEFAULT_THREADS})")
    parser.add(g, "--server", env="SERVER", choices=SERVERS, default="waitress",
               help="HTTP server: waitress (default) or granian (faster; `pip install "
                    "pandaprobe-fake[granian]`; see docs/performance.md)")
    parser.add(g, "--quiet", env="QUIET", action="store_true", help="do not log each request")
    m = parser.add_argument_group("mock mode and test controls (see docs/testing.md)")
    parser.add(m, "--mock", env="MOCK", action="store_true",
               help="in-memory database filled with demo data; a request without credentials "
                    "or project header is served as --project")
    parser.add(m, "--demo-data", env="DEMO_DATA", action="store_true",
               help="load the demo data set into --db at start (unless its project has scores)")
    parser.add(m, "--project", env="PROJECT", type=project_name, metavar="NAME",
               help=f"project of the demo data and of mock mode (default {DEFAULT_PROJECT})")
    parser.add(m, "--seed", env="SEED", type=whole(), metavar="N",
               help="make the demo data (ids, values, times before the clock) the same on every start")
    parser.add(m, "--scores", env="SCORES", type=whole(0), metavar="N",
               help="number of demo scores (default 2000)")
    parser.add(m, "--journal-size", env="JOURNAL_SIZE", type=whole(0), default=DEFAULT_JOURNAL_SIZE,
               metavar="N", help="requests kept in the /_fake/requests journal (default %(default)s; 0: none)")
    parser.add(m, "--rate-limit", env="RATE_LIMIT", type=rate_limit, metavar="SPEC",
               help="emulate the hosted per-caller rate limit: 'upstream' for the real server's "
                    "per-route limits, or one limit for every route, e.g. 200/minute (default off)")
    parser.add(m, "--ingest-delay", env="INGEST_DELAY", type=whole(0), default=0, metavar="MS",
               help="a posted trace is readable only MS milliseconds (on the fake's clock) after "
                    "its POST, as behind the real server's worker queue (default 0: at once)")
    parser.add(m, "--no-control", env="NO_CONTROL", action="store_true",
               help="no /_fake/ control routes (and no journal or faults)")
    j = parser.add_argument_group("evaluation runs (see docs/evaluations.md)")
    parser.add(j, "--judge", env="JUDGE", choices=JUDGE_MODES, default="simulated",
               help="simulated: a deterministic local judge scores every run (default); "
                    "unconfigured: answer as the real server without model credentials")
    parser.add(j, "--judge-delay", env="JUDGE_DELAY", type=seconds(0, 86_400), default=DEFAULT_JUDGE_DELAY,
               metavar="SECONDS", help="how long a run takes on the fake's clock "
                                       f"(default {DEFAULT_JUDGE_DELAY}; 0: done before the next request)")
    return parser


def parse_command_line(argv: Sequence[str] | None = None, prog: str = "pandaprobe-fake") -> Settings:
    """The Settings of a command line (and the PANDAPROBE_FAKE_* environment).  A bad
    option or combination exits with argparse's one-line message and status 2."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.mock and args.db is not None:
        parser.error("--mock keeps everything in memory: leave out --db (or use --db FILE --demo-data)")
    if not (args.mock or args.demo_data) and any(
            v is not None for v in (args.project, args.seed, args.scores)):
        parser.error("--project, --seed and --scores go with --mock or --demo-data")
    if not args.host.strip():
        parser.error("--host: give an address to bind, e.g. 127.0.0.1")
    if args.server == "granian":
        from pandaprobe_fake.granian_server import available

        if not available():
            parser.error("--server granian: granian is not installed "
                         "(pip install 'pandaprobe-fake[granian]')")
    database = None if args.mock or args.db == ":memory:" else (args.db or DEFAULT_DB)
    return Settings(host=args.host, port=args.port, database=database, api_keys=tuple(args.api_key),
                    allowed_hosts=tuple(args.allow_host),
                    max_body=args.max_body, strict_traces=args.strict_traces, threads=args.threads,
                    server=args.server, quiet=args.quiet, mock=args.mock, demo_data=args.mock or args.demo_data,
                    project=args.project or DEFAULT_PROJECT, seed=args.seed, scores=args.scores,
                    journal_size=args.journal_size, rate_limit=args.rate_limit,
                    ingest_delay=args.ingest_delay, control=not args.no_control, judge=args.judge,
                    judge_delay=args.judge_delay)
