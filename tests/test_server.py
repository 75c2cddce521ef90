"""`python app.py` as a real process, over real HTTP."""

import json
import re
import socket
import uuid
from urllib.parse import urlparse

import pytest

from conftest import SCORES, ANALYTICS, key_headers

pytestmark = pytest.mark.process


def test_port_zero_prints_url_and_serves(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "a.db"))
    url = urlparse(server.url)
    assert url.hostname == "127.0.0.1" and url.port > 0
    response = server.session().get(f"{server.url}/health", headers={"X-Request-ID": "abc"})
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"
    assert response.headers["X-Request-ID"] == "abc"


def test_seed_flow_and_restart_keeps_data(live_server_factory, tmp_path):
    db = str(tmp_path / "persist.db")
    server = live_server_factory("--db", db)
    http = server.session(key_headers("persisted"))
    trace = str(uuid.uuid4())
    created = http.post(f"{server.url}{SCORES}", json={"trace_id": trace, "name": "accuracy",
                                                       "value": "0.4", "source": "AUTOMATED"})
    assert created.status_code == 201
    score = created.json()
    patched = http.patch(f"{server.url}{SCORES}/{score['id']}",
                         json={"value": "0.9", "reason": "<string>", "metadata": {}})
    assert patched.status_code == 200
    assert (patched.json()["value"], patched.json()["source"]) == ("0.9", "ANNOTATION")
    server.stop()

    again = live_server_factory("--db", db)
    http = again.session(key_headers("persisted"))
    listed = http.get(f"{again.url}{SCORES}").json()
    assert listed["total"] == 1
    assert listed["items"][0] == patched.json()
    # the same name is the same project after a restart
    other = http.post(f"{again.url}{SCORES}", json={"trace_id": trace, "name": "x", "value": "1"})
    assert other.json()["project_id"] == score["project_id"]


def test_api_key_option(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "k.db"), "--api-key", "sk-a", "--api-key", "sk-b")
    http = server.session()
    assert http.get(f"{server.url}{SCORES}", headers=key_headers(key="sk-b")).status_code == 200
    refused = http.get(f"{server.url}{SCORES}", headers=key_headers(key="nope"))
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Invalid or revoked API key."}


def test_malformed_requests_over_http_never_500(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "m.db"))
    http = server.session(key_headers())
    cases = [
        ("POST", SCORES, b"{bad", {"Content-Type": "application/json"}),
        ("POST", SCORES, b"[1,2]", {"Content-Type": "application/json"}),
        ("POST", SCORES, b'{"a":1}', {"Content-Type": "text/plain"}),
        ("POST", SCORES, b"\xff\xfe\x00", {"Content-Type": "application/json"}),
        ("PATCH", f"{SCORES}/x", b"", {}),
        ("DELETE", SCORES, b"", {}),
        ("GET", f"{SCORES}?limit=%00&offset=%ff", b"", {}),
        ("GET", f"{ANALYTICS}/trend", b"", {}),
        ("GET", "/nothing/here", b"", {}),
        ("OPTIONS", SCORES, b"", {}),
    ]
    for method, path, body, headers in cases:
        response = http.request(method, f"{server.url}{path}", data=body, headers=headers)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        assert response.headers["Content-Type"] == "application/json"
        assert "detail" in response.json()
    assert http.get(f"{server.url}/health").status_code == 200
    assert http.get(f"{server.url}{SCORES}").json()["total"] == 0


def test_raw_socket_garbage_does_not_kill_the_server(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "g.db"))
    url = urlparse(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(b"\x00\x01garbage\r\n\r\n")
        sock.recv(1024)
    assert server.session().get(f"{server.url}/health").status_code == 200


def test_one_log_line_per_request(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "l.db"))
    http = server.session(key_headers())
    http.get(f"{server.url}{SCORES}?limit=3")
    http.get(f"{server.url}/nope")
    server.stop()
    log = server.log_text()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.search(rf'^{stamp} INFO pandaprobe_fake: 127\.0\.0\.1 "GET /evaluations/trace-scores\?limit=3" 200 '
                     r'\d+\.\dms$', log, re.M), log
    assert re.search(rf'^{stamp} INFO pandaprobe_fake: 127\.0\.0\.1 "GET /nope" 404 \d+\.\dms$', log, re.M), log
    assert "Traceback" not in log


def test_unicode_over_the_wire(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "u.db"))
    http = server.session(key_headers())
    body = json.dumps({"trace_id": str(uuid.uuid4()), "name": "名前 🐼", "value": "x",
                       "data_type": "CATEGORICAL"}).encode()
    created = http.post(f"{server.url}{SCORES}", data=body, headers={"Content-Type": "application/json"})
    assert created.status_code == 201
    assert "名前 🐼".encode() in created.content  # not \u-escaped, like the real server
    assert http.get(f"{server.url}{SCORES}?name=名前 🐼").json()["total"] == 1


@pytest.mark.parametrize("server_name", ["waitress", "granian"])
def test_the_journal_keeps_each_body_as_received_over_the_wire(live_server_factory, tmp_path, server_name):
    """A request without a body, with one, and with a chunked one (waitress turns it into a
    Content-Length, granian keeps the Transfer-Encoding): the journal shows each as sent."""
    from pandaprobe_fake.granian_server import available

    if server_name == "granian" and not available():
        pytest.skip("granian is not installed")
    server = live_server_factory("--db", str(tmp_path / "j.db"), "--server", server_name, "--quiet")
    http = server.session(key_headers())
    body = {"trace_id": str(uuid.uuid4()), "name": "chunked", "value": "0.5"}
    assert http.get(f"{server.url}{SCORES}?limit=1").status_code == 200
    assert http.post(f"{server.url}{SCORES}", json={**body, "name": "plain"}).status_code == 201
    chunks = iter([json.dumps(body)[:10].encode(), json.dumps(body)[10:].encode()])
    sent = http.post(f"{server.url}{SCORES}", data=chunks, headers={"Content-Type": "application/json"})
    assert sent.status_code == 201, sent.text
    entries = server.session().get(f"{server.url}/_fake/requests").json()["items"]
    assert [(e["method"], e["body"]) for e in entries] == [
        ("GET", None), ("POST", {**body, "name": "plain"}), ("POST", body)]
