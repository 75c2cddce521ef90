"""Schemathesis against `python app.py` as a real process, with valid credentials:

1. against the fake's own document (/openapi.json): no 5xx, every status code, content type
   and body as documented;
2. against upstream's document (upstream/pandaprobe-openapi.json, cut to the operations the
   fake implements, error responses as the running server sends them -- contract.py), plus a
   check that the fake accepts every request that document allows, unless the real server
   refuses it too or breaks on it (contract.REJECTIONS).

The fake's test-only /_fake/ routes (tag `fake`: reset, faults, clock...) are left out: fuzzing
them would reset the data or inject the faults they exist for.

Bounded for CI (FUZZ_MAX_EXAMPLES per operation, default 50, fixed FUZZ_SEED; ~20 s for both).  A long run:
    FUZZ_MAX_EXAMPLES=2000 FUZZ_SEED=$RANDOM python -m pytest -q -s tests/test_fuzz.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import contract

pytestmark = [pytest.mark.fuzz, pytest.mark.process]

TESTS = Path(__file__).resolve().parent
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))
SEED = os.environ.get("FUZZ_SEED", "20261126")
CREDENTIALS = ("X-API-Key: fuzz-key", "X-Project-Name: fuzz")
MINIMUM_CASES = 100  # a floor that proves the run was not empty (CI's runs make ~700 each)
LOG_LINE = re.compile(r'"(\w+) [^"]*" (\d{3}) [\d.]+ms$', re.M)


# No stateful phase: its inferred links fill a path parameter from a list that came back empty
# with "" (e.g. `GET /sessions` -> `DELETE /sessions/`), which is no request to that operation
# at all (see fuzz_hooks.py); the coverage and fuzzing phases keep path parameters non-empty.
PHASES = "examples,coverage,fuzzing"
HOOKS = {"SCHEMATHESIS_HOOKS": "fuzz_hooks",
         "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}


def schemathesis(location: str, *args: str, workdir: Path, checks: tuple[str, ...] = CHECKS,
                 env: dict | None = None) -> tuple[str, int, int]:
    """Run the schemathesis CLI in `workdir` (where it keeps its cache); the output, and how
    many cases it generated and passed."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", location,
               "--checks", ",".join(checks), "--max-examples", str(MAX_EXAMPLES), "--seed", SEED,
               "--workers", "1", "--generation-database", "none", "--no-color",
               "--generation-with-security-parameters", "false", "--warnings", "off",
               *[part for header in CREDENTIALS for part in ("-H", header)], *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800,
                            env={**os.environ, **HOOKS, **(env or {})}, cwd=workdir)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert counts, output[-4000:]
    generated, passed = int(counts[1]), int(counts[2])
    print(f"\nschemathesis {location.rsplit('/', 1)[-1]}: {generated} generated, {passed} passed "
          f"(max-examples {MAX_EXAMPLES}, seed {SEED})")
    return output, generated, passed


def statuses(log: str) -> Counter:
    return Counter((method, int(status)) for method, status in LOG_LINE.findall(log))


@pytest.fixture
def fuzz_server(live_server_factory, tmp_path):
    return live_server_factory("--db", str(tmp_path / "fuzz.db"))


def assert_really_exercised(log: str) -> None:
    """Every request carried valid credentials, and the API did its work, not only refusals."""
    seen = statuses(log)
    print("answers: " + ", ".join(f"{m} {s}: {n}" for (m, s), n in sorted(seen.items())))
    assert not [key for key in seen if key[1] == 401], seen
    assert not [key for key in seen if key[1] >= 500], seen
    for expected in (("GET", 200), ("POST", 201), ("PATCH", 200), ("DELETE", 204)):
        assert seen[expected] > 0, (expected, seen)


def test_the_fake_answers_as_its_own_document_says(fuzz_server, tmp_path):
    _, generated, passed = schemathesis(f"{fuzz_server.url}/openapi.json", "--exclude-tag",
                                        contract.FAKE_TAG, "--phases", PHASES, workdir=tmp_path)
    assert generated == passed >= MINIMUM_CASES
    assert_really_exercised(fuzz_server.log_text())


def test_the_fake_accepts_and_answers_what_upstreams_document_allows(fuzz_server, tmp_path):
    fake = json.loads(fuzz_server.session().get(f"{fuzz_server.url}/openapi.json").text)
    document = tmp_path / "upstream-as-served.json"
    document.write_text(json.dumps(contract.upstream_as_served(fake, contract.load_upstream())))
    hooks = {"SCHEMATHESIS_HOOKS": "upstream_checks"}  # which imports fuzz_hooks too
    _, generated, passed = schemathesis(
        str(document), "--url", fuzz_server.url, "--phases", PHASES,
        workdir=tmp_path, checks=(*CHECKS, "accepts_what_upstream_accepts"), env=hooks)
    assert generated == passed >= MINIMUM_CASES
    assert_really_exercised(fuzz_server.log_text())
