"""The benchmarks' harness: the fake and its peers as real processes (`Server`, their
command lines), a small raw-socket HTTP/1.1 client (`Conn`), timing and percentiles, and the
result table.  bench.py and its parts (bench_judge.py, bench_sessions.py, bench_prism.py) are
built on it."""

from __future__ import annotations

import json
import math
import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent  # the checkout: app.py, pandaprobe_fake/
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SCORES = "/evaluations/trace-scores"
ANALYTICS = "/evaluations/analytics/trace-scores"
AUTH = {"X-API-Key": "bench-key", "X-Project-Name": "bench"}
METRICS = ("task_completion", "tool_correctness", "argument_correctness", "step_efficiency",
           "confidence", "plan_adherence", "plan_quality", "coherence", "loop_detection")
PATCH_BODY = {"value": "0.9", "reason": "<string>", "metadata": {}}  # the API reference's example

# What users compare the fake with (issue 6): the real server and Stoplight Prism.
REFERENCE = {
    "real": {"PATCH p50": "5.2 ms", "list(50) p50": "5.3 ms", "POST p50": "4.5 ms",
             "startup": "1.1-1.9 s", "RSS": "116 MiB", "8 clients": "-"},
    "prism": {"PATCH p50": "1.0-1.3 ms", "list(50) p50": "1.0-1.3 ms", "POST p50": "1.0-1.3 ms",
              "startup": "0.9 s", "RSS": "157 MB", "8 clients": "~2,000 req/s"},
}


# -- a keep-alive HTTP/1.1 client -------------------------------------------------------------


class HttpError(Exception):
    pass


class Conn:
    """One keep-alive connection; `request` returns (status, body bytes)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 60.0):
        host, _, port = url.removeprefix("http://").rstrip("/").rpartition(":")
        self.addr = (host.strip("[]"), int(port))
        self.timeout = timeout
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.fixed = f"Host: {host}:{port}\r\n" + self.fixed
        self.sock: socket.socket | None = None
        self.buf = b""

    def connect(self) -> None:
        self.close()
        self.sock = socket.create_connection(self.addr, timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        if self.sock is None:
            self.connect()
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self.fixed}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        self.sock.sendall(head.encode("latin-1") + b"\r\n" + payload)
        return self._response(method)

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            self.close()
            raise HttpError("connection closed by the server")
        self.buf += chunk

    def _response(self, method: str) -> tuple[int, bytes]:
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        head, self.buf = self.buf[:end], self.buf[end + 4:]
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            key = key.strip().lower()
            if key == b"content-length":
                length = int(value)
            elif key == b"transfer-encoding":
                raise HttpError("chunked responses are not supported by this client")
            elif key == b"connection" and value.strip().lower() == b"close":
                close = True
        if method == "HEAD" or status in (204, 304):
            length = 0
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        if close:
            self.close()
        return status, body


def timed(conn: Conn, method: str, path: str, body: Any = None) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    status, data = conn.request(method, path, body)
    return time.perf_counter() - started, status, data


def percentile(samples: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# -- server processes -------------------------------------------------------------------------


# Servers run as Python normally runs, writing and reusing its bytecode cache, even where the
# benchmark itself was started with PYTHONDONTWRITEBYTECODE (as some sandboxes set it): every
# start would otherwise compile every module from source again.
SERVER_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


class Server:
    """A server process started with `--port 0` (its first stdout line is its URL); `startup`
    is the time from launch to the first 200 from /health, `rss` its resident memory then."""

    def __init__(self, argv: list[str], log_path: Path):
        self.argv, self.log_path = argv, log_path
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.startup = math.nan
        self.rss = math.nan

    def start(self) -> "Server":
        self.log = open(self.log_path, "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log,
                                     env=SERVER_ENV)
        ready, _, _ = select.select([self.proc.stdout], [], [], 120)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"{' '.join(self.argv)} did not print its URL: {line!r}; "
                               f"log: {self.log_path.read_text(errors='replace')[-2000:]}")
        self.url = line
        conn = Conn(self.url)
        while True:
            try:
                status, _ = conn.request("GET", "/health")
                if status == 200:
                    break
            except (OSError, HttpError):
                conn.close()
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"{self.argv} never answered /health with 200")
            time.sleep(0.002)
        self.startup = time.perf_counter() - started
        conn.close()
        self.rss = rss_mb(self.proc.pid)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.proc.stdout.close()
        self.log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (10^6 bytes), from /proc."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return math.nan
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match.group(1)) * 1024 / 1e6 if match else math.nan


def fake_argv(db: str, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "app.py"), "--port", "0", "--db", db, *extra]


def floor_argv(bodies: Path | None = None) -> list[str]:
    argv = [sys.executable, str(BENCH / "bench_floor.py"), "--port", "0"]
    return argv + (["--bodies", str(bodies)] if bodies else [])


def fake_has_mock() -> bool:
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60).stdout
    return "--mock" in out


# -- results ----------------------------------------------------------------------------------


class Table:
    """Rows of (measure, fake, floor, ratio, target, met) printed as one aligned table."""

    HEAD = ("measure", "fake", "floor / ref", "ratio", "target", "met")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.results: dict[str, Any] = {}

    def section(self, title: str) -> None:
        self.rows.append(("## " + title,))

    def add(self, measure: str, fake: str, floor: str = "", ratio: str = "", target: str = "",
            met: bool | None = None) -> None:
        mark = "" if met is None else ("yes" if met else "NO")
        self.rows.append((measure, fake, floor, ratio, target, mark))

    def render(self) -> str:
        widths = [max(len(r[i]) if i < len(r) else 0 for r in [self.HEAD, *self.rows])
                  for i in range(len(self.HEAD))]
        widths[0] = max(widths[0], *(len(r[0]) - 3 + 4 for r in self.rows if len(r) == 1))
        def line(cells): return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
        out = [line(self.HEAD), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        for row in self.rows:
            out.append(line((f"**{row[0][3:]}**", *[""] * (len(widths) - 1)) if len(row) == 1 else row))
        return "\n".join(out)


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def p50_p95(samples: list[float]) -> str:
    return f"{percentile(samples, 50) * 1000:.2f} / {percentile(samples, 95) * 1000:.2f} ms"


DAY_US = 86_400_000_000


def measure(conn: Conn, path: str, budget: float, most: int) -> list[float]:
    """Repeat a GET until `most` samples or `budget` seconds (at least 5 samples)."""
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < most and (len(samples) < 5 or time.perf_counter() - started < budget):
        t, status, data = timed(conn, "GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {data[:300]!r}")
        samples.append(t)
    return samples
