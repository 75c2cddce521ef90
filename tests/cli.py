"""Running the official PandaProbe CLI (Go) in tests: its path comes from the env var
PANDAPROBE_CLI (CI builds it and sets it).  Without it a test is skipped with the reason --
unless CI=true, where a missing CLI is a failure.  `Cli.run(...)` calls it against a server
with the API key, project and endpoint in its environment (PANDAPROBE_*), a private HOME (no
config file of the machine's), and JSON output; it returns the exit code and parsed output."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def cli_path() -> str:
    """The CLI binary, or skip (fail in CI) with the reason."""
    path = os.environ.get("PANDAPROBE_CLI")
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not path:
        reason = "PANDAPROBE_CLI is not set: build the official CLI and point it at the binary"
        if in_ci:
            pytest.fail(reason + " (CI=true: the CLI tests must run)")
        pytest.skip(reason)
    if not os.access(path, os.X_OK):
        message = f"PANDAPROBE_CLI={path} is not an executable file"
        if in_ci:
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Cli:
    binary: str
    endpoint: str
    project: str
    home: Path
    api_key: str = "sk-cli"

    def run(self, *args: str, timeout: float = 60) -> CliResult:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.home),
               "PANDAPROBE_ENDPOINT": self.endpoint, "PANDAPROBE_API_KEY": self.api_key,
               "PANDAPROBE_PROJECT_NAME": self.project}
        done = subprocess.run([self.binary, *args, "--format", "json"], capture_output=True,
                              text=True, env=env, timeout=timeout, cwd=self.home)
        return CliResult(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Any:
        """Run it, assert success, return its JSON output."""
        result = self.run(*args)
        assert result.code == 0, (args, result.code, result.stdout, result.stderr)
        return result.json


@pytest.fixture
def cli_factory(tmp_path):
    binary = cli_path()

    def make(endpoint: str, project: str) -> Cli:
        home = tmp_path / f"cli-home-{project}"
        home.mkdir(exist_ok=True)
        return Cli(binary, endpoint, project, home)

    return make
