"""Stoplight Prism, the peer users compare the fake with (issue 16), for bench.py: Prism
mocking the upstream document (upstream/pandaprobe-openapi.json) in its two modes, plain and
`-m` (it forks its HTTP server from the CLI process), measured in the same run as the fake.

Optional: installed with `npm ci --prefix bench/prism` (package.json and its lock file are
here; node_modules is not kept in git), or named by PANDAPROBE_BENCH_PRISM=/path/to/prism.
Without node or Prism, `find_prism()` says why and bench.py prints that note instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DOCUMENT = BENCH.parent / "upstream" / "pandaprobe-openapi.json"
MODES = {"prism": [], "prism -m": ["-m"]}


def find_prism() -> tuple[str | None, str]:
    """(the prism command, "") or (None, why not)."""
    if shutil.which("node") is None:
        return None, "node is not installed: Prism skipped"
    for candidate in (os.environ.get("PANDAPROBE_BENCH_PRISM"),
                      str(BENCH / "prism" / "node_modules" / ".bin" / "prism")):
        if candidate and Path(candidate).exists():
            return candidate, ""
    return None, "Prism is not installed (npm ci --prefix bench/prism): Prism skipped"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrismServer:
    """`prism mock` on a free port; `startup` is launch to its first answer."""

    def __init__(self, prism: str, flags: list[str], log_path: Path):
        self.argv = [prism, "mock", str(DOCUMENT), "-h", "127.0.0.1", "-p", str(free_port()),
                     "-v", "error", *flags]  # no log line a request, as the fake's --quiet
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{self.argv[self.argv.index('-p') + 1]}"
        self.startup = float("nan")

    def __enter__(self) -> "PrismServer":
        from harness import Conn, HttpError, rss_mb

        self.log = open(self.log_path, "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=self.log, start_new_session=True)
        conn = Conn(self.url, {"X-API-Key": "bench-key", "X-Project-Name": "bench"})
        while True:
            try:
                conn.request("GET", "/health")
                break
            except (OSError, HttpError):
                conn.close()
            if self.proc.poll() is not None or time.perf_counter() - started > 60:
                self.__exit__()
                raise RuntimeError(f"prism did not start: {self.log_path.read_text(errors='replace')[-1000:]}")
            time.sleep(0.01)
        self.startup = time.perf_counter() - started
        conn.close()
        self.rss = rss_mb(self.proc.pid)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)  # -m forks: stop the whole group
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()
