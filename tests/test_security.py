"""Security defaults: loopback binding, --api-key on every data route, no internals leaked."""

import logging
import uuid

import pytest

from pandaprobe_fake.app import create_app
from pandaprobe_fake.settings import parse_command_line as parse_args
from conftest import ANALYTICS, SCORES, key_headers

DATA_ROUTES = [
    ("post", SCORES), ("get", SCORES), ("get", f"{SCORES}/{uuid.uuid4()}"),
    ("patch", f"{SCORES}/{uuid.uuid4()}"), ("delete", f"{SCORES}/{uuid.uuid4()}"),
    ("get", f"{ANALYTICS}/summary"), ("get", f"{ANALYTICS}/trend?metric_name=m"),
    ("get", f"{ANALYTICS}/distribution?metric_name=m"),
    ("post", "/traces"), ("get", "/traces"), ("get", f"/traces/{uuid.uuid4()}"),
    ("patch", f"/traces/{uuid.uuid4()}"), ("delete", f"/traces/{uuid.uuid4()}"),
    ("post", f"/traces/{uuid.uuid4()}/spans"), ("patch", f"/traces/{uuid.uuid4()}/spans/{uuid.uuid4()}"),
]


def test_binds_loopback_by_default():
    args = parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8000)
    assert parse_args(["--host", "0.0.0.0"]).host == "0.0.0.0"


@pytest.fixture
def keyed(tmp_path):
    app = create_app({"database": str(tmp_path / "keyed.db"), "api_keys": ["right"]})
    yield app.test_client()
    app.extensions["store"].close()


@pytest.mark.parametrize("method,path", DATA_ROUTES)
def test_every_data_route_checks_the_key(keyed, method, path):
    wrong = getattr(keyed, method)(path, headers=key_headers(key="wrong"), json={})
    assert wrong.status_code == 401
    assert wrong.get_json() == {"detail": "Invalid or revoked API key."}
    bearer = getattr(keyed, method)(path, headers={"Authorization": "Bearer wrong",
                                                   "X-Project-ID": str(uuid.uuid4())}, json={})
    assert bearer.status_code == 401
    right = getattr(keyed, method)(path, headers=key_headers(key="right"), json={})
    assert right.status_code != 401


def test_health_needs_no_key(keyed):
    assert keyed.get("/health").status_code == 200


def test_internal_error_is_generic_and_logged(app, client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom at /secret/path.py: SELECT * FROM trace_scores")

    monkeypatch.setattr(app.extensions["store"], "get_trace", broken)
    with caplog.at_level(logging.ERROR, logger="pandaprobe_fake"):
        response = client.get(f"/traces/{uuid.uuid4()}", headers=key_headers())
    assert response.status_code == 500
    assert response.content_type == "application/json"
    assert response.get_json() == {"detail": "Internal Server Error"}
    body = response.get_data(as_text=True)
    for leak in ("boom", "secret", "SELECT", "Traceback", ".py"):
        assert leak not in body
    assert "X-Request-ID" in response.headers
    (record,) = [r for r in caplog.records if r.name == "pandaprobe_fake" and r.levelno == logging.ERROR]
    assert "internal error on GET /traces/" in record.getMessage()
    assert record.exc_info is not None  # the stack trace goes to the log, not to the client
