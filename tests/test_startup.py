"""Start-up, through a real `python app.py` process (issue 15): every failure is one line on
stderr and a non-zero exit, never a traceback; database files of other kinds are refused and
left byte for byte as they were; the fake's own files are marked with its application_id."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time

import pytest
import requests

from pandaprobe_fake.store import SCHEMA, Store
from pandaprobe_fake.stores.files import FAKE_APP_ID
from conftest import ROOT, SCORES, key_headers

pytestmark = pytest.mark.process  # starts the fake as a real process


def start(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def one_line_failure(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("args,words", [
    (["--port", "65536"], ["argument --port", "from 0 to 65535"]),
    (["--port", "-1"], ["argument --port", "from 0 to 65535"]),
    (["--threads", "0"], ["argument --threads", "1 or more"]),
    (["--max-body", "0"], ["argument --max-body", "1 or more"]),
    (["--host", ""], ["--host"]),
    (["--no-such-option"], ["unrecognized arguments"]),
])
def test_bad_options_are_one_line_and_status_2(args, words):
    one_line_failure(start("--db", ":memory:", *args), 2, "error:", *words)


def test_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_failure(start("--port", str(port), "--mock"), 1,  # (demo data logs nothing)
                         f"127.0.0.1:{port}", "already in use")


@pytest.mark.parametrize("host,words", [("nope.invalid", ["--host 'nope.invalid'"]),
                                        ("192.0.2.1", ["--host '192.0.2.1'", "not an address"]),
                                        ("999.1.1.1", ["--host '999.1.1.1'"])])
def test_bad_host(host, words):
    one_line_failure(start("--db", ":memory:", "--port", "0", "--host", host), 1, *words)


def test_db_in_a_missing_directory(tmp_path):
    path = tmp_path / "missing" / "x.db"
    one_line_failure(start("--db", str(path), "--port", "0"), 1, "does not exist")
    assert not path.parent.exists()


def test_db_that_is_a_directory(tmp_path):
    one_line_failure(start("--db", str(tmp_path), "--port", "0"), 1, "is a directory")


def test_a_file_that_is_not_sqlite_is_left_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"hello, not a database\n" * 10)
    before = digest(path)
    one_line_failure(start("--db", str(path), "--port", "0"), 1, "not a SQLite database")
    assert digest(path) == before and sorted(os.listdir(tmp_path)) == ["notes.db"]


def test_a_read_only_file_is_refused(tmp_path):
    path = tmp_path / "ro.db"
    Store(str(path)).close()
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    before = digest(path)
    one_line_failure(start("--db", str(path), "--port", "0"), 1, "read-only")
    assert digest(path) == before


def other_application(path, app_id: int = 0):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    conn.execute("INSERT INTO users (email) VALUES ('a@example.com')")
    if app_id:
        conn.execute(f"PRAGMA application_id = {app_id}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("app_id,word", [(0, "tables users"), (0x12345678, "application_id 0x12345678")])
def test_another_applications_sqlite_file_is_refused_byte_for_byte(tmp_path, app_id, word):
    path = tmp_path / "theirs.db"
    other_application(path, app_id)
    before = digest(path)
    one_line_failure(start("--db", str(path), "--port", "0"), 1, "another application", word)
    assert digest(path) == before and sorted(os.listdir(tmp_path)) == ["theirs.db"]


def test_a_file_with_the_fakes_tables_and_one_more_is_refused(tmp_path):
    path = tmp_path / "mixed.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA + "CREATE TABLE extra (x);")
    conn.close()
    before = digest(path)
    one_line_failure(start("--db", str(path), "--port", "0"), 1, "tables extra")
    assert digest(path) == before


def test_an_unmarked_file_of_the_fakes_own_tables_is_accepted_and_marked(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)  # as the fake wrote its files before the mark
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0
    conn.close()
    Store(str(path)).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == FAKE_APP_ID
    conn.close()
    Store(str(path)).close()  # and opens again, marked


def test_new_files_are_marked_and_reopen(tmp_path, live_server_factory):
    path = tmp_path / "new.db"
    server = live_server_factory("--db", str(path))
    assert requests.post(server.url + SCORES, headers=key_headers(), timeout=10, json={
        "trace_id": "11111111-1111-4111-8111-111111111111", "name": "a", "value": "1"}).status_code == 201
    server.stop()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == FAKE_APP_ID
    conn.close()
    again = live_server_factory("--db", str(path))
    assert requests.get(again.url + SCORES, headers=key_headers(), timeout=10).json()["total"] == 1


def test_mock_with_api_key_says_so_and_needs_the_key(live_server_factory):
    server = live_server_factory("--mock", "--seed", "1", "--scores", "5", "--api-key", "sk-1")
    assert requests.get(server.url + SCORES, timeout=10).status_code == 401
    assert requests.get(server.url + "/_fake/fixtures", timeout=10).status_code == 401
    assert requests.get(server.url + SCORES, headers={"X-API-Key": "sk-1"}, timeout=10).json()["total"] == 5
    deadline = time.monotonic() + 5
    while "mock mode with --api-key" not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "mock mode with --api-key: every request (and /_fake/) needs one of the 1 key(s)" in server.log_text()


def test_a_newline_in_a_path_forges_no_log_line(live_server_factory):
    server = live_server_factory("--db", ":memory:")
    forged = '127.0.0.1 "GET /forged HTTP/1.1" 200'
    requests.get(server.url + "/traces%0A" + forged.replace(" ", "%20"), timeout=10)
    response = requests.get(server.url + "/traces/x%0D%0AX-Evil:%201/", headers=key_headers(),
                            allow_redirects=False, timeout=10)
    assert response.status_code == 307 and "X-Evil" not in response.headers
    assert response.headers["Location"].endswith("/traces/x%0D%0AX-Evil:%201")
    requests.get(server.url + "/health", timeout=10)  # a line after them, to wait for the log
    deadline = time.monotonic() + 5
    while '"GET /health"' not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(line.startswith("127.0.0.1") for line in server.log_text().splitlines())
    assert "/traces\\x0a127.0.0.1" in server.log_text()


def test_a_rebinding_host_is_refused_over_http(live_server_factory):
    server = live_server_factory("--db", ":memory:")
    port = server.url.rsplit(":", 1)[1]
    assert requests.get(server.url + "/health", headers={"Host": f"evil.example:{port}"},
                        timeout=10).status_code == 400
    assert requests.get(server.url + "/health", headers={"Host": f"localhost:{port}"},
                        timeout=10).status_code == 200
