"""Benchmark of mock mode and the fixture kit (issue 4's speed targets).

    python bench/bench_mock.py [--repeat 5] [--json]

Measures, on this machine:
- `python app.py --mock --port 0`: from process start to the first 200 from /health
  (target < 0.5 s), and the same with `--scores 100000`;
- `FakeServer()` + `.start()` in-process (target < 50 ms), and to its first /health answer;
- `POST /_fake/reset` with 10,000 scores present (target < 5 ms), in memory and, for
  comparison, on a file database;
- loading the default demo data set and `POST /_fake/reset {"seed": true}`.
Prints the median and the worst of the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent  # the checkout: app.py, pandaprobe_fake/
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def wait_for_health(url: str, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.perf_counter() > deadline:
            raise TimeoutError(url)
        time.sleep(0.002)


def process_start(*args: str) -> float:
    """Seconds from spawning `python app.py --port 0 ARGS` to a 200 from /health."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", "0", "--quiet", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = proc.stdout.readline().strip()
        wait_for_health(url, started + 60)
        return time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def fake_server_start() -> tuple[float, float]:
    """(seconds to construct and start a FakeServer, seconds to its first /health answer)."""
    from pandaprobe_fake.testing import FakeServer

    started = time.perf_counter()
    fake = FakeServer().start()
    ready = time.perf_counter() - started
    wait_for_health(fake.url, started + 10)
    answered = time.perf_counter() - started
    fake.stop()
    return ready, answered


def reset_with_scores(n: int, database: str | None) -> float:
    """Seconds of one POST /_fake/reset (through the app) with n scores present."""
    from pandaprobe_fake.app import create_app
    from pandaprobe_fake.fake import demo_data

    app = create_app({"database": database})
    store = app.extensions["store"]
    demo_data.load(store, "demo", scores=n, seed=1)
    assert store.count_scores() == n
    client = app.test_client()
    started = time.perf_counter()
    response = client.post("/_fake/reset")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and store.count_scores() == 0
    store.close()
    return elapsed


def seeded_reset() -> float:
    from pandaprobe_fake.app import create_app

    app = create_app({"database": None, "demo_data": True, "seed": 1})
    client = app.test_client()
    started = time.perf_counter()
    response = client.post("/_fake/reset", json={"seed": True})
    elapsed = time.perf_counter() - started
    assert response.get_json()["scores"] == 2000
    app.extensions["store"].close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    n = args.repeat

    from pandaprobe_fake import app  # noqa: F401  (imports are paid once, as in a test session)

    results: dict[str, list[float]] = {}
    results["--mock start to /health 200 (s)"] = [process_start("--mock") for _ in range(n)]
    results["--mock --scores 100000 start to /health 200 (s)"] = [
        process_start("--mock", "--scores", "100000") for _ in range(max(1, min(n, 3)))]
    starts = [fake_server_start() for _ in range(n * 4)]
    results["FakeServer() + start() (ms)"] = [s[0] * 1000 for s in starts]
    results["FakeServer() to first /health answer (ms)"] = [s[1] * 1000 for s in starts]
    results["POST /_fake/reset, 10,000 scores, in memory (ms)"] = [
        reset_with_scores(10_000, None) * 1000 for _ in range(n * 4)]
    with tempfile.TemporaryDirectory() as tmp:
        results["POST /_fake/reset, 10,000 scores, file database (ms)"] = [
            reset_with_scores(10_000, str(Path(tmp) / f"r{i}.db")) * 1000 for i in range(n)]
    results['POST /_fake/reset {"seed": true}, 2,000 demo scores (ms)'] = [
        seeded_reset() * 1000 for _ in range(n)]

    if args.json:
        print(json.dumps({k: {"median": statistics.median(v), "max": max(v), "runs": len(v)}
                          for k, v in results.items()}, indent=2))
        return
    width = max(map(len, results))
    print(f"{'measure':<{width}}  {'median':>9}  {'worst':>9}  runs")
    for name, values in results.items():
        print(f"{name:<{width}}  {statistics.median(values):>9.3f}  {max(values):>9.3f}  {len(values)}")


if __name__ == "__main__":
    main()
