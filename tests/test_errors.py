"""Error shapes: malformed bodies, unknown routes, wrong methods, the request id."""

import uuid

import pytest

from pandaprobe_fake.app import create_app
from conftest import SCORES, ANALYTICS, key_headers

NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"


def one_error(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert body["detail"] == "Validation error"
    assert len(body["errors"]) == 1
    return body["errors"][0]


@pytest.mark.parametrize("data,content_type,expected", [
    (b"", "application/json", {"field": "", "message": "Field required"}),
    (b"", "text/plain", {"field": "", "message": "Field required"}),
    (b"", None, {"field": "", "message": "Field required"}),
    (b"null", "application/json", {"field": "", "message": "Field required"}),
    (b"not json{", "application/json", {"field": "0", "message": "JSON decode error"}),
    (b"{bad", "application/json", {"field": "1", "message": "JSON decode error"}),
    (b'{"a": 1,}', "application/json", {"field": "8", "message": "JSON decode error"}),
    (b"[]", "application/json", {"field": "", "message": NOT_AN_OBJECT}),
    (b'[{"name": "x"}]', "application/json", {"field": "", "message": NOT_AN_OBJECT}),
    (b'"text"', "application/json", {"field": "", "message": NOT_AN_OBJECT}),
    (b"42", "application/json", {"field": "", "message": NOT_AN_OBJECT}),
    (b"true", "application/json", {"field": "", "message": NOT_AN_OBJECT}),
    (b'{"name": "x"}', "text/plain", {"field": "", "message": NOT_AN_OBJECT}),
    (b'{"name": "x"}', None, {"field": "", "message": NOT_AN_OBJECT}),
    (b'{"name": "x"}', "application/x-www-form-urlencoded", {"field": "", "message": NOT_AN_OBJECT}),
])
@pytest.mark.parametrize("method", ["post", "patch"])
def test_body_shapes(api, method, data, content_type, expected):
    path = SCORES if method == "post" else f"{SCORES}/{uuid.uuid4()}"
    headers = {"Content-Type": content_type} if content_type else {}
    response = getattr(api, method)(path, data=data, headers=headers)
    assert one_error(response) == expected
    assert api.get(SCORES).get_json()["total"] == 0


def test_json_content_type_variants_are_read(api):
    body = b'{"trace_id": "%s", "name": "n", "value": "0.1"}' % str(uuid.uuid4()).encode()
    for content_type in ("application/json; charset=utf-8", "application/vnd.api+json", "APPLICATION/JSON"):
        assert api.post(SCORES, data=body, headers={"Content-Type": content_type}).status_code == 201


def test_body_not_in_a_json_encoding_is_400(api):
    response = api.post(SCORES, data=b'{"name": "\xff\xfe\xfa"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json() == {"detail": "There was an error parsing the body"}


def test_path_and_body_errors_come_together(api):
    response = api.patch(f"{SCORES}/abcd", json={"value": 3, "metadata": "x"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "path -> score_id", "message": "Input should be a valid UUID, invalid length: expected length 32 for simple format, found 4"},
        {"field": "value", "message": "Input should be a valid string"},
        {"field": "metadata", "message": "Input should be a valid dictionary"}]


def test_malformed_json_is_reported_alone(api):
    response = api.patch(f"{SCORES}/nope", data=b"{bad", content_type="application/json")
    assert one_error(response) == {"field": "1", "message": "JSON decode error"}


def test_unknown_route_is_json_404(client):
    for path in ("/nope", "/evaluations", f"{SCORES}/a/b", "/evaluations/analytics/trace-scores/other"):
        response = client.get(path, headers=key_headers())
        assert response.status_code == 404
        assert response.content_type == "application/json"
        assert response.get_json() == {"detail": "Not Found"}


@pytest.mark.parametrize("method,path,allowed", [
    ("put", SCORES, "GET, POST"),
    ("delete", SCORES, "GET, POST"),
    ("post", f"{SCORES}/{uuid.uuid4()}", "DELETE, GET, PATCH"),
    ("put", f"{SCORES}/{uuid.uuid4()}", "DELETE, GET, PATCH"),
    ("post", f"{ANALYTICS}/summary", "GET"),
    ("post", "/health", "GET"),
    ("head", SCORES, "GET, POST"),
    ("options", SCORES, "GET, POST"),
    ("head", "/health", "GET"),
])
def test_wrong_method_is_json_405(api, method, path, allowed):
    response = getattr(api, method)(path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    if method != "head":
        assert response.get_json() == {"detail": "Method Not Allowed"}


def test_trailing_slash_redirects_like_the_real_server(api):
    response = api.get(f"{SCORES}/?limit=5")
    assert response.status_code == 307
    assert response.headers["Location"].endswith(f"{SCORES}?limit=5")
    assert api.get(f"{SCORES}/", follow_redirects=True).status_code == 200


def test_request_id_is_echoed_or_made(client):
    response = client.get("/health", headers={"X-Request-ID": "my-id-123"})
    assert response.headers["X-Request-ID"] == "my-id-123"
    made = client.get("/health").headers["X-Request-ID"]
    uuid.UUID(made)
    assert made != client.get("/health").headers["X-Request-ID"]
    for response in (client.get("/nope"), client.get(SCORES), client.put(SCORES),
                     client.get(SCORES, headers={"X-API-Key": "k"})):
        uuid.UUID(response.headers["X-Request-ID"])


def test_body_over_the_limit_is_413(tmp_path):
    app = create_app({"database": str(tmp_path / "b.db"), "max_body": 1000})
    client = app.test_client()
    body = {"trace_id": str(uuid.uuid4()), "name": "n", "value": "0.1", "reason": "r" * 2000}
    response = client.post(SCORES, json=body, headers=key_headers())
    assert response.status_code == 413
    assert response.get_json() == {"detail": "Request body too large (limit 1000 bytes)."}
    assert client.get(SCORES, headers=key_headers()).get_json()["total"] == 0
    app.extensions["store"].close()


def test_internal_error_is_a_generic_json_500(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret /path/to/file SELECT * FROM trace_scores")

    monkeypatch.setattr(app.extensions["store"], "list_scores", broken)
    response = client.get(SCORES, headers=key_headers())
    assert response.status_code == 500
    assert response.get_json() == {"detail": "Internal Server Error"}
    assert "secret" not in response.get_data(as_text=True)


def test_deeply_nested_body_does_not_crash(api):
    deep = b'{"metadata": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001
    response = api.post(SCORES, data=deep, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"detail": "There was an error parsing the body"}
