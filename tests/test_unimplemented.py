"""`GET /` as the real server answers it, and the 501 of every upstream operation the fake does
not serve (api/unimplemented.py): generated from the live document, gone where a real route
lands, kept out of /openapi.json."""

import uuid

import pytest
import requests
from flask import Blueprint

import contract
from pandaprobe_fake import openapi
from pandaprobe_fake.api import unimplemented
from pandaprobe_fake.app import create_app


def test_the_operation_table_is_the_live_documents():
    document = contract.load_upstream()
    listed = [(method.upper(), path, op.get("operationId"))
              for path, item in document["paths"].items()
              for method, op in item.items() if method in contract.METHODS]
    assert list(unimplemented.UPSTREAM_OPERATIONS) == listed and len(listed) == 95


@pytest.mark.parametrize("method, path, operation_id", [
    ("GET", "/me", "get_me_me_get"),
    ("POST", "/organizations", "create_organization_organizations_post"),
    ("DELETE", f"/organizations/{uuid.uuid4()}/api-keys/{uuid.uuid4()}",
     "delete_api_key_organizations__org_id__api_keys__key_id__delete"),
    ("POST", "/webhooks/stripe", "stripe_webhook_webhooks_stripe_post"),
    ("POST", "/cli/auth/codes", "issue_cli_code_cli_auth_codes_post"),
    ("GET", "/subscriptions/plans", "get_plans_subscriptions_plans_get"),
])
def test_an_unimplemented_operation_is_a_501_saying_so(client, method, path, operation_id):
    response = client.open(path, method=method)
    assert response.status_code == 501 and response.mimetype == "application/json"
    detail = response.get_json()["detail"]
    template = next(p for m, p, o in unimplemented.UPSTREAM_OPERATIONS if o == operation_id)
    assert detail.startswith(f"pandaprobe-fake does not implement {method} {template} ({operation_id}): ")
    assert list(response.get_json()) == ["detail"]


def test_every_operation_is_served_or_a_501(app):
    """Each upstream operation is either documented (implemented) or a 501, never both."""
    documented = set(contract.operations(app.test_client().get("/openapi.json").get_json())) | {"GET /"}
    endpoints = {(method, openapi.openapi_path(rule)): rule.endpoint for rule in app.url_map.iter_rules()
                 for method in rule.methods}
    for method, path, _ in unimplemented.UPSTREAM_OPERATIONS:
        is_501 = endpoints[(method, path)].startswith("unimplemented.")
        assert is_501 != (f"{method} {path}" in documented), (method, path)
    assert len(unimplemented.missing(app)) == 0
    assert 30 < len({e for e in endpoints.values() if e.startswith("unimplemented.")}) < 95


def test_501_routes_are_not_in_the_document(client):
    document = client.get("/openapi.json").get_json()
    assert "/me" not in document["paths"] and "/organizations" not in document["paths"]
    assert "/traces/analytics" in document["paths"]


def test_a_route_that_lands_removes_its_501(tmp_path, monkeypatch):
    from pandaprobe_fake import api

    landed = Blueprint("landed", __name__)

    @landed.get("/me")
    def get_me():
        return {"id": "me"}

    monkeypatch.setattr(api, "BLUEPRINTS", (*api.BLUEPRINTS, landed))
    app = create_app({"database": None})
    try:
        client = app.test_client()
        assert client.get("/me").get_json() == {"id": "me"}
        assert client.get("/me/invitations").status_code == 501  # the others stay 501
        assert ("GET", "/me", "get_me_me_get") not in unimplemented.missing(app)
    finally:
        app.extensions["store"].close()


def test_a_wrong_method_on_a_501_path_is_a_405(client):
    assert client.put("/me").status_code == 405


def test_root_answers_api_clients_with_the_real_servers_json(client):
    response = client.get("/")  # no credentials, no Accept
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"name": "PandaProbe", "version": "0.5.0", "status": "healthy",
                                   "docs": "/docs", "scalar": "/scalar"}
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 200
    assert client.get("/", headers={"X-API-Key": "k", "X-Project-Name": "p"}).status_code == 200
    browser = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 302 and browser.headers["Location"].endswith("/ui")


@pytest.mark.process
def test_root_and_a_501_through_a_real_process(live_server_factory):
    server = live_server_factory("--db", ":memory:", "--quiet")
    assert requests.get(server.url + "/", timeout=5).json()["name"] == "PandaProbe"
    response = requests.get(server.url + "/organizations", timeout=5)
    assert response.status_code == 501 and "list_my_organizations_organizations_get" in response.json()["detail"]


def test_the_501_says_why(client):
    hosted = client.get("/organizations").get_json()["detail"]
    assert hosted.endswith("belong to the hosted service; the fake scopes data by X-Project-Name "
                           "or X-Project-ID alone.")
    waiting = [p for m, p, _ in client.application.extensions["unimplemented"]
               if m == "GET" and not p.startswith(unimplemented.HOSTED)]
    for path in waiting:
        detail = client.get(path.replace("{", "").replace("}", "")).get_json()["detail"]
        assert detail.endswith("this version of the fake does not serve it yet.")
