"""The server process under pressure (issue 15): errors waitress answers by itself come in the
API's JSON shape; a hundred slow clients do not keep a normal request waiting; the request
journal's bodies are bounded in memory."""

from __future__ import annotations

import pytest

import json
import socket
import time

import requests

from pandaprobe_fake.app import create_app
from pandaprobe_fake.fake.state import MAX_ENTRY_BODY, MAX_TOTAL_BODIES, Journal
from conftest import key_headers

pytestmark = pytest.mark.process  # starts the fake as a real process


def address(server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def raw_exchange(server, data: bytes) -> tuple[str, dict[str, str], bytes]:
    received = b""
    with socket.create_connection(address(server), timeout=10) as conn:
        try:
            conn.sendall(data)
        except (BrokenPipeError, ConnectionResetError):  # it answered before reading it all
            pass
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except ConnectionResetError:  # closed with our bytes unread: what came before counts
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, body


def test_the_servers_own_errors_are_json(live_server_factory):
    server = live_server_factory("--db", ":memory:", "--quiet")
    cases = [
        (b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 263_000 + b"\r\n\r\n",
         "431", "Request Header Fields Too Large"),
        (b"GARBAGE\r\n\r\n", "400", "Bad Request"),
        (b"POST /traces HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
         "400", "Bad Request"),
    ]
    for data, code, reason in cases:
        status, headers, body = raw_exchange(server, data)
        assert status.split(" ", 2)[1] == code, status
        assert headers["content-type"] == "application/json"
        detail = json.loads(body)["detail"]
        assert detail.startswith(reason) and set(json.loads(body)) == {"detail"}


def test_a_hundred_slow_clients_do_not_block_a_normal_request(live_server_factory):
    server = live_server_factory("--db", ":memory:", "--quiet")
    slow = []
    try:
        for _ in range(150):  # past waitress's default limit of 100 connections
            conn = socket.create_connection(address(server), timeout=10)
            conn.sendall(b"POST /traces HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n")
            slow.append(conn)
        time.sleep(0.3)
        for conn in slow[::10]:
            conn.sendall(b"X-Trickle: 1\r\n")
        started = time.monotonic()
        response = requests.get(server.url + "/health", timeout=10)
        assert response.status_code == 200
        assert time.monotonic() - started < 2.0
        assert requests.get(server.url + "/traces", headers=key_headers(), timeout=10).status_code == 200
    finally:
        for conn in slow:
            conn.close()


def test_journal_bodies_are_bounded():
    journal = Journal(1000)
    big = b"x" * MAX_ENTRY_BODY
    for index in range(150):
        journal.record({"method": "POST", "path": f"/p{index}", "body": big})
    assert journal.body_bytes <= MAX_TOTAL_BODIES
    entries = journal.entries()
    assert len(entries) == 150 and all(e["body_bytes"] == MAX_ENTRY_BODY for e in entries)
    kept = [e["path"] for e in journal._entries if e["body"] is not None]
    assert kept == [f"/p{i}" for i in range(150 - len(kept), 150)]  # the newest keep theirs
    assert len(kept) == MAX_TOTAL_BODIES // MAX_ENTRY_BODY
    journal.record({"method": "POST", "path": "/too-big", "body": big + b"x"})
    assert journal._entries[-1]["body"] is None and journal._entries[-1]["body_bytes"] == MAX_ENTRY_BODY + 1
    journal.clear()
    assert journal.body_bytes == 0


def test_journal_size_still_drops_the_oldest():
    journal = Journal(3)
    for index in range(5):
        journal.record({"method": "GET", "path": f"/{index}", "body": b"{}"})
    assert [e["path"] for e in journal.entries()] == ["/2", "/3", "/4"]
    assert journal.body_bytes == 6


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_150_requests_of_1_mib_do_not_grow_the_process_by_hundreds_of_mb(live_server_factory):
    server = live_server_factory("--db", ":memory:", "--quiet")
    body = b'{"pad": "' + b"x" * (MAX_ENTRY_BODY - 64) + b'"}'
    session = requests.Session()
    session.post(server.url + "/traces", data=body, headers=key_headers(), timeout=30)
    before = rss_kib(server.proc.pid)
    for _ in range(150):
        session.post(server.url + "/traces", data=body, headers=key_headers(), timeout=30)
    grown_mib = (rss_kib(server.proc.pid) - before) / 1024
    assert grown_mib < 80, grown_mib
    items = session.get(server.url + "/_fake/requests", timeout=30).json()["items"]
    assert len(items) == 151 and all(i["body_bytes"] == len(body) for i in items)
    kept = [i for i in items if i["body"] is not None]
    assert len(kept) == MAX_TOTAL_BODIES // len(body) and kept == items[-len(kept):]


def test_the_app_journal_reports_body_bytes(client):
    client.post("/traces", data=b"not json", headers=key_headers())
    (entry,) = client.get("/_fake/requests").get_json()["items"]
    assert entry["body_bytes"] == 8 and entry["body"] is None
    assert create_app(database=None).extensions["fake"].journal.max_total_bodies == MAX_TOTAL_BODIES
