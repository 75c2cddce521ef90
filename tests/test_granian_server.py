"""`--server granian` (granian_server.py) as a real process: `--port 0` prints the URL first,
SIGTERM and SIGINT stop it cleanly with the data kept, start-up errors stay one line, and the
in-process state (scores, journal, faults, clock) is one state under 8 concurrent clients."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest
import requests

from pandaprobe_fake.granian_server import available
from conftest import ROOT, SCORES, key_headers
from test_startup import one_line_failure, start

pytestmark = [pytest.mark.process,
              pytest.mark.skipif(not available(), reason="granian is not installed")]


def score(trace: str, name: str = "accuracy", value: str = "0.5") -> dict:
    return {"trace_id": trace, "name": name, "value": value}


def test_serves_on_port_0_and_keeps_one_state_under_8_clients(live_server_factory, fresh_uuid,
                                                              monkeypatch):
    monkeypatch.setenv("HTTP_X_FROM_THE_ENVIRONMENT", "1")  # read as a header if os.environ leaked
    server = live_server_factory("--server", "granian", "--db", ":memory:", "--threads", "2")
    assert requests.get(server.url + "/health", timeout=10).json()["status"] == "healthy"
    per_client, errors = 25, []

    def client() -> None:
        with requests.Session() as s:
            s.headers.update(key_headers("granian"))
            for _ in range(per_client):
                r = s.post(server.url + SCORES, json=score(fresh_uuid()), timeout=30)
                if r.status_code != 201:
                    errors.append(r.text)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    listed = requests.get(server.url + SCORES + "?limit=1", headers=key_headers("granian"), timeout=10)
    assert listed.json()["total"] == 8 * per_client
    journal = requests.get(server.url + "/_fake/requests?method=POST", timeout=10).json()
    assert journal["total"] == 8 * per_client
    assert "X-From-The-Environment" not in journal["items"][0]["headers"]
    assert journal["items"][0]["headers"]["X-Api-Key"] == "***"  # (a short key: all masked)
    # a fault added through one connection hits a request on another
    fault = {"method": "GET", "path": SCORES, "status": 503, "times": 1}
    assert requests.post(server.url + "/_fake/faults", json=fault, timeout=10).status_code == 201
    with requests.Session() as s:
        s.headers.update(key_headers("granian"))
        assert s.get(server.url + SCORES, timeout=10).status_code == 503
        assert s.get(server.url + SCORES, timeout=10).status_code == 200
    # the frozen clock is the one every request reads
    frozen = requests.post(server.url + "/_fake/clock", json={"freeze": "2030-01-02T03:04:05Z"},
                           timeout=10)
    assert frozen.status_code == 200, frozen.text
    made = requests.post(server.url + SCORES, json=score(fresh_uuid()), headers=key_headers("granian"),
                         timeout=10).json()
    assert made["created_at"].startswith("2030-01-02T03:04:05")
    assert "Traceback" not in server.log_text()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_cleanly_and_the_data_stays(tmp_path, signum, fresh_uuid):
    db = tmp_path / "g.db"
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--server", "granian", "--port", "0",
                             "--db", str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        trace = fresh_uuid()
        made = requests.post(url + SCORES, json=score(trace), headers=key_headers(), timeout=10)
        assert made.status_code == 201, made.text
        proc.send_signal(signum)
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    assert code == 0, stderr
    proc.stdout.close()
    proc.stderr.close()
    assert "Traceback" not in stderr and "panicked" not in stderr, stderr
    # the score is in the file: read back through the default server
    again = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", "0", "--db", str(db),
                              "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        url = again.stdout.readline().strip()
        latest = requests.get(f"{url}{SCORES}/{trace}", headers=key_headers(), timeout=10).json()
        assert [s["id"] for s in latest] == [made.json()["id"]]
    finally:
        again.terminate()
        again.wait(10)
        again.stdout.close()


def test_port_in_use_is_one_line():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_failure(start("--server", "granian", "--port", str(port), "--db", ":memory:"), 1,
                         f"127.0.0.1:{port}", "already in use")


@pytest.mark.parametrize("host,words", [("nope.invalid", ["--host 'nope.invalid'"]),
                                        ("192.0.2.1", ["--host '192.0.2.1'", "not an address"])])
def test_bad_host_is_one_line(host, words):
    one_line_failure(start("--server", "granian", "--db", ":memory:", "--port", "0", "--host", host),
                     1, *words)


def test_an_unknown_server_is_one_line_and_status_2():
    one_line_failure(start("--server", "gunicorn", "--db", ":memory:"), 2, "argument --server",
                     "invalid choice")


def test_answers_go_in_one_write_with_a_length_and_no_delay(live_server_factory):
    """Each answer is joined and sent whole (Content-Length, not chunked), on connections that
    inherit TCP_NODELAY from the listening socket (without it, keep-alive clients waited 40 ms
    for delayed ACKs)."""
    import socket
    import time

    from pandaprobe_fake.granian_server import bind

    with bind("127.0.0.1", 0) as sock:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    server = live_server_factory("--server", "granian", "--db", ":memory:", "--quiet")
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        took = []
        for _ in range(20):
            started = time.perf_counter()
            conn.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
            assert b"transfer-encoding" not in headers
            while len(body) < int(headers[b"content-length"]):
                body += conn.recv(65536)
            took.append(time.perf_counter() - started)
        assert sorted(took)[len(took) // 2] < 0.035, took
