"""The command line: every option also from its PANDAPROBE_FAKE_* variable (and a bad value
of either a one-line error, status 2), the three ways to start the fake (`pandaprobe-fake`,
`python -m pandaprobe_fake`, `python app.py` from a checkout) with the same options and
version, and what the fake says when it starts or cannot."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import pandaprobe_fake
from conftest import ROOT
from pandaprobe_fake.settings import DEFAULT_DB, build_parser, parse_command_line

ENV = "PANDAPROBE_FAKE_"

# Every option's variable: (the variables set, the Settings fields they give).
FROM_ENV = {
    "HOST": ({"HOST": "0.0.0.0"}, {"host": "0.0.0.0"}),
    "PORT": ({"PORT": "9123"}, {"port": 9123}),
    "DB": ({"DB": "/tmp/elsewhere.db"}, {"database": "/tmp/elsewhere.db"}),
    "API_KEY": ({"API_KEY": "sk-a, sk-b,"}, {"api_keys": ("sk-a", "sk-b")}),
    "MAX_BODY": ({"MAX_BODY": "2048"}, {"max_body": 2048}),
    "STRICT_TRACES": ({"STRICT_TRACES": "yes"}, {"strict_traces": True}),
    "THREADS": ({"THREADS": "3"}, {"threads": 3}),
    "SERVER": ({"SERVER": "granian"}, {"server": "granian"}),
    "QUIET": ({"QUIET": "On"}, {"quiet": True}),
    "MOCK": ({"MOCK": "1"}, {"mock": True, "demo_data": True, "database": None}),
    "DEMO_DATA": ({"DEMO_DATA": "true"}, {"demo_data": True, "mock": False, "database": DEFAULT_DB}),
    "PROJECT": ({"PROJECT": "shop", "MOCK": "1"}, {"project": "shop", "mock": True}),
    "SEED": ({"SEED": "-7", "MOCK": "1"}, {"seed": -7}),
    "SCORES": ({"SCORES": "40", "DEMO_DATA": "1"}, {"scores": 40, "demo_data": True}),
    "JOURNAL_SIZE": ({"JOURNAL_SIZE": "0"}, {"journal_size": 0}),
    "RATE_LIMIT": ({"RATE_LIMIT": "5/second"}, {"rate_limit": "5/second"}),
    "NO_CONTROL": ({"NO_CONTROL": "1"}, {"control": False}),
    "ALLOW_HOST": ({"ALLOW_HOST": "fake, ci-runner"}, {"allowed_hosts": ("fake", "ci-runner")}),
    "JUDGE": ({"JUDGE": "unconfigured"}, {"judge": "unconfigured"}),
    "INGEST_DELAY": ({"INGEST_DELAY": "250"}, {"ingest_delay": 250}),
    "JUDGE_DELAY": ({"JUDGE_DELAY": "2.5"}, {"judge_delay": 2.5}),
}

# Bad values: (the variables set, the one line the fake ends with).
BAD_ENV = [
    ({"PORT": "http"}, "PANDAPROBE_FAKE_PORT='http': 'http' is not a whole number"),
    ({"PORT": ""}, "PANDAPROBE_FAKE_PORT='': '' is not a whole number"),
    ({"PORT": "65536"}, "PANDAPROBE_FAKE_PORT='65536': must be from 0 to 65535"),
    ({"PORT": "-1"}, "PANDAPROBE_FAKE_PORT='-1': must be from 0 to 65535"),
    ({"MAX_BODY": "0"}, "PANDAPROBE_FAKE_MAX_BODY='0': must be 1 or more"),
    ({"THREADS": "0"}, "PANDAPROBE_FAKE_THREADS='0': must be 1 or more"),
    ({"THREADS": "2.5"}, "PANDAPROBE_FAKE_THREADS='2.5': '2.5' is not a whole number"),
    ({"SEED": "one", "MOCK": "1"}, "PANDAPROBE_FAKE_SEED='one': 'one' is not a whole number"),
    ({"SCORES": "-1", "MOCK": "1"}, "PANDAPROBE_FAKE_SCORES='-1': must be 0 or more"),
    ({"JOURNAL_SIZE": "-1"}, "PANDAPROBE_FAKE_JOURNAL_SIZE='-1': must be 0 or more"),
    ({"RATE_LIMIT": "lots"}, "PANDAPROBE_FAKE_RATE_LIMIT='lots': 'lots': write 'upstream' or COUNT/PERIOD"),
    ({"PROJECT": "a/b", "MOCK": "1"}, "PANDAPROBE_FAKE_PROJECT='a/b': a project name must start"),
    ({"QUIET": "maybe"}, "PANDAPROBE_FAKE_QUIET='maybe': write 1/true/yes/on or 0/false/no/off"),
    ({"MOCK": "2"}, "PANDAPROBE_FAKE_MOCK='2': write 1/true/yes/on or 0/false/no/off"),
    ({"JUDGE_DELAY": "-0.001"}, "PANDAPROBE_FAKE_JUDGE_DELAY='-0.001': must be from 0 to 86400 seconds"),
    ({"JUDGE_DELAY": "86400.001"}, "PANDAPROBE_FAKE_JUDGE_DELAY='86400.001': must be from 0 to 86400 seconds"),
    ({"JUDGE_DELAY": "nan"}, "PANDAPROBE_FAKE_JUDGE_DELAY='nan': must be from 0 to 86400 seconds"),
    ({"INGEST_DELAY": "-1"}, "PANDAPROBE_FAKE_INGEST_DELAY='-1': must be 0 or more"),
    ({"JUDGE_DELAY": "soon"}, "PANDAPROBE_FAKE_JUDGE_DELAY='soon': 'soon' is not a number of seconds"),
    ({"MOCK": "1", "DB": "x.db"}, "--mock keeps everything in memory"),
    ({"SEED": "1"}, "--project, --seed and --scores go with --mock or --demo-data"),
]

# The largest and smallest values the variables accept.
EDGES = [
    ({"PORT": "65535"}, {"port": 65535}),
    ({"PORT": "0"}, {"port": 0}),
    ({"MAX_BODY": "1"}, {"max_body": 1}),
    ({"THREADS": "1"}, {"threads": 1}),
    ({"SCORES": "0", "MOCK": "1"}, {"scores": 0}),
    ({"JUDGE_DELAY": "0"}, {"judge_delay": 0.0}),
    ({"RATE_LIMIT": "upstream"}, {"rate_limit": "upstream"}),
    ({"INGEST_DELAY": "0"}, {"ingest_delay": 0}),
    ({"JUDGE_DELAY": "86400"}, {"judge_delay": 86400.0}),
    ({"QUIET": "off", "MOCK": "no", "NO_CONTROL": "0", "STRICT_TRACES": ""},
     {"quiet": False, "mock": False, "control": True, "strict_traces": False}),
]


@pytest.fixture
def environ(monkeypatch):
    """Set PANDAPROBE_FAKE_* variables for one test, none of the caller's left over."""
    for name in list(os.environ):
        if name.startswith(ENV):
            monkeypatch.delenv(name)

    def put(variables: dict[str, str]) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(ENV + name, value)
    return put


def test_the_table_names_every_option():
    names = set(build_parser().env_names.values())
    assert names == {ENV + name for name in FROM_ENV}
    assert len(names) == len(build_parser().env_names)  # one variable an option


@pytest.mark.parametrize("variables, fields", FROM_ENV.values(), ids=list(FROM_ENV))
def test_every_option_from_its_environment_variable(environ, variables, fields):
    default = parse_command_line([])
    environ(variables)
    settings = parse_command_line([])
    assert {name: getattr(settings, name) for name in fields} == fields
    assert any(getattr(default, name) != value for name, value in fields.items())


@pytest.mark.parametrize("variables, fields", EDGES, ids=lambda v: ",".join(v) if isinstance(v, dict) else "")
def test_the_edges_of_what_the_variables_accept(environ, variables, fields):
    environ(variables)
    settings = parse_command_line([])
    assert {name: getattr(settings, name) for name in fields} == fields


@pytest.mark.parametrize("variables, message", BAD_ENV, ids=[m.split(":")[0] for _, m in BAD_ENV])
def test_a_bad_value_in_a_variable_is_a_one_line_error(environ, variables, message, capsys):
    environ(variables)
    with pytest.raises(SystemExit) as exit_info:
        parse_command_line([])
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("pandaprobe-fake: error: ") and message in last, last


@pytest.mark.parametrize("argv, message", [
    (["--port", "65536"], "argument --port: must be from 0 to 65535"),
    (["--port", "-1"], "argument --port: must be from 0 to 65535"),
    (["--threads", "0"], "argument --threads: must be 1 or more"),
    (["--max-body", "0"], "argument --max-body: must be 1 or more"),
    (["--port", "eighty"], "argument --port: 'eighty' is not a whole number"),
])
def test_bounds_on_the_command_line(environ, argv, message, capsys):
    with pytest.raises(SystemExit):
        parse_command_line(argv)
    assert message in capsys.readouterr().err


def test_the_command_line_beats_the_variable(environ):
    environ({"PORT": "9000", "API_KEY": "sk-env,sk-env2", "HOST": "0.0.0.0", "JOURNAL_SIZE": "5"})
    settings = parse_command_line(["--port", "9001", "--api-key", "sk-cli"])
    assert (settings.port, settings.api_keys) == (9001, ("sk-cli",))  # the keys replaced, not added
    assert (settings.host, settings.journal_size) == ("0.0.0.0", 5)


def test_help_names_each_options_variable(environ, capsys):
    with pytest.raises(SystemExit):
        parse_command_line(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for variable in build_parser().env_names.values():
        assert f"[env {variable}]" in text


# -- the three commands, as processes ----------------------------------------------------------------

BIN = Path(sys.executable).parent
COMMANDS = {
    "pandaprobe-fake": [str(BIN / "pandaprobe-fake")],
    "python -m pandaprobe_fake": [sys.executable, "-m", "pandaprobe_fake"],
    "python app.py": [sys.executable, str(ROOT / "app.py")],
}


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without its PANDAPROBE_FAKE_* variables, plus these."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ENV)}
    return {**clean, **{ENV + name: value for name, value in variables.items()}}


def run(command: list[str], *args: str, cwd: Path = ROOT,
        timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=environment())


@pytest.mark.process
@pytest.mark.parametrize("name", COMMANDS)
def test_version(name):
    result = run(COMMANDS[name], "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{name} {pandaprobe_fake.__version__}"


@pytest.mark.process
def test_the_three_commands_have_exactly_the_same_options():
    helps = {}
    for name, command in COMMANDS.items():
        result = run(command, "--help")
        assert result.returncode == 0, result.stderr
        usage, options = result.stdout.split("\noptions:\n")
        assert usage.startswith(f"usage: {name} [-h] [--version]"), usage
        helps[name] = options  # every option, its help and its variable, word for word
    assert helps["pandaprobe-fake"] == helps["python -m pandaprobe_fake"] == helps["python app.py"]
    for flag in ("--port", "--db", "--api-key", "--mock", "--rate-limit", "--no-control", "--version"):
        assert flag in helps["python app.py"]


@pytest.mark.process
@pytest.mark.parametrize("name", COMMANDS)
def test_start_up_names_the_demo_page_and_the_docs(name, tmp_path):
    """Each command starts the fake configured by variables alone (port 0, an API key, mock
    mode), prints the URL first on stdout, and names the demo page and the docs on stderr."""
    env = environment(PORT="0", API_KEY="sk-only", MOCK="1", SCORES="30", QUIET="1")
    proc = subprocess.Popen(COMMANDS[name], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0"), url
        started = proc.stderr.readline().strip()
        assert started == (f"pandaprobe-fake {pandaprobe_fake.__version__}: demo page {url}/ui, "
                           f"API docs {url}/docs, in memory with demo data (mock mode)")
        assert requests.get(url + "/docs", timeout=5).status_code == 200
        assert requests.get(url + "/ui", timeout=5).status_code == 200
        scores = url + "/evaluations/trace-scores"
        assert requests.get(scores, headers={"X-API-Key": "sk-other"}, timeout=5).status_code == 401
        answer = requests.get(scores, headers={"X-API-Key": "sk-only"}, timeout=5)
        assert answer.status_code == 200 and answer.json()["total"] == 30
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert not (tmp_path / "pandaprobe-fake.db").exists()  # mock mode wrote no file


@pytest.mark.process
def test_a_taken_port_is_a_one_line_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run(COMMANDS["pandaprobe-fake"], "--db", ":memory:", "--port", port, timeout=20)
    assert result.returncode == 1 and result.stdout == ""  # 2 is for a bad option
    assert result.stderr.strip().splitlines()[-1] == (
        f"pandaprobe-fake: error: cannot listen on 127.0.0.1:{port}: the port is already in use "
        f"(choose another with --port, or 0)")
    assert "Traceback" not in result.stderr


@pytest.mark.process
@pytest.mark.parametrize("where", ["missing/folder/x.db", "."])
def test_a_database_that_cannot_be_opened_is_a_one_line_error(tmp_path, where):
    (tmp_path / "not-a-database.db").write_text("hello")
    for database in (str(tmp_path / where), str(tmp_path / "not-a-database.db")):
        result = run(COMMANDS["pandaprobe-fake"], "--db", database, "--port", "0", timeout=20)
        assert result.returncode == 1 and result.stdout == "", result.stderr  # 2: a bad option
        assert result.stderr.strip().splitlines()[-1].startswith(
            f"pandaprobe-fake: error: --db {database}")
        assert "Traceback" not in result.stderr
