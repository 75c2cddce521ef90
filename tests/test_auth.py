"""Authentication and project scope, as BEHAVIOR.md's table has it."""

import uuid

import pytest

from pandaprobe_fake.app import create_app
from conftest import SCORES, ANALYTICS, Api, key_headers

MISSING = ("Missing credentials. Provide Authorization: Bearer <token> (with X-Project-ID) "
           "or X-API-Key header.")
SCOPE = "Project scope required. Provide X-Project-ID (Bearer) or X-Project-Name (API key)."
BAD_NAME = ("X-Project-Name must start and end with a letter or digit and contain only letters, "
            "digits, spaces, hyphens, underscores, dots, or apostrophes.")

DATA_ROUTES = [
    ("post", SCORES), ("get", SCORES), ("get", f"{SCORES}/{uuid.uuid4()}"),
    ("patch", f"{SCORES}/{uuid.uuid4()}"), ("delete", f"{SCORES}/{uuid.uuid4()}"),
    ("get", f"{ANALYTICS}/summary"), ("get", f"{ANALYTICS}/trend?metric_name=x"),
    ("get", f"{ANALYTICS}/distribution?metric_name=x"),
]


@pytest.mark.parametrize("method,path", DATA_ROUTES)
@pytest.mark.parametrize("headers", [{}, {"X-Project-Name": "demo"},
                                     {"X-Project-ID": str(uuid.uuid4())},
                                     {"Authorization": "Basic abc", "X-Project-Name": "demo"},
                                     {"Authorization": "Bearer ", "X-Project-ID": str(uuid.uuid4())},
                                     {"X-API-Key": "", "X-Project-Name": "demo"}])
def test_no_credentials_is_401_on_every_data_route(client, method, path, headers):
    response = getattr(client, method)(path, headers=headers, data=b"not json",
                                       content_type="application/json")
    assert response.status_code == 401
    assert response.get_json() == {"detail": MISSING}


MALFORMED = [
    ("post", SCORES), ("get", f"{SCORES}?limit=0&source=x"), ("get", f"{SCORES}/not-a-uuid"),
    ("patch", f"{SCORES}/not-a-uuid"), ("delete", f"{SCORES}/not-a-uuid"),
    ("get", f"{ANALYTICS}/summary?date_from=x"), ("get", f"{ANALYTICS}/trend"),
    ("get", f"{ANALYTICS}/distribution?buckets=0"),
]


@pytest.mark.parametrize("method,path", MALFORMED)
def test_credentials_are_checked_before_validation(client, method, path):
    # malformed path, query and body would each be a 422 validation error -- scope comes first
    no_scope = getattr(client, method)(path, headers={"X-API-Key": "k"}, data=b"{bad",
                                       content_type="application/json")
    assert no_scope.status_code == 422
    assert no_scope.get_json() == {"detail": SCOPE}
    no_key = getattr(client, method)(path, headers={"X-Project-Name": "demo"}, data=b"{bad",
                                     content_type="application/json")
    assert no_key.status_code == 401
    assert no_key.get_json() == {"detail": MISSING}


@pytest.mark.parametrize("headers", [
    {"X-API-Key": "k"},
    {"X-API-Key": "k", "X-Project-Name": ""},
    {"X-API-Key": "k", "X-Project-Name": "   "},
    {"X-API-Key": "k", "X-Project-ID": str(uuid.uuid4())},  # an API key wants a name
    {"Authorization": "Bearer t"},
    {"Authorization": "Bearer t", "X-Project-Name": "demo"},  # a bearer token wants an id
])
def test_credentials_without_project_scope_is_422(client, headers):
    response = client.get(SCORES, headers=headers)
    assert response.status_code == 422
    assert response.get_json() == {"detail": SCOPE}


def test_project_id_must_be_a_uuid(client):
    response = client.get(SCORES, headers={"Authorization": "Bearer t", "X-Project-ID": "nope"})
    assert response.status_code == 422
    assert response.get_json() == {"detail": "X-Project-ID must be a valid UUID."}


@pytest.mark.parametrize("name", ["-demo", "demo-", "de/mo", "de*mo", "'x", "x.", "é"])
def test_project_name_characters(client, name):
    response = client.get(SCORES, headers={"X-API-Key": "k", "X-Project-Name": name.encode().decode("latin-1")})
    assert response.status_code == 422
    assert response.get_json() == {"detail": BAD_NAME}


def test_project_name_length(client):
    assert client.get(SCORES, headers=key_headers("a" * 255)).status_code == 200
    response = client.get(SCORES, headers=key_headers("a" * 256))
    assert response.status_code == 422
    assert response.get_json() == {"detail": "X-Project-Name must be at most 255 characters."}


@pytest.mark.parametrize("name", ["a", "My Project", "proj_1.v2", "O'Brien 2", "A-B"])
def test_good_project_names(client, name):
    assert client.get(SCORES, headers=key_headers(name)).status_code == 200


def test_same_name_same_project_trimmed_and_case_sensitive(client):
    a = Api(client, key_headers("Team")).score()
    b = Api(client, key_headers("  Team  ")).score()
    c = Api(client, key_headers("team")).score()
    assert a["project_id"] == b["project_id"]
    assert c["project_id"] != a["project_id"]
    uuid.UUID(a["project_id"])


def test_bearer_project_id_is_the_project(client):
    project_id = str(uuid.uuid4())
    bearer = Api(client, {"Authorization": "Bearer tok", "X-Project-ID": project_id.upper()})
    score = bearer.score()
    assert score["project_id"] == project_id
    listed = bearer.get(SCORES).get_json()
    assert [s["id"] for s in listed["items"]] == [score["id"]]


def test_api_key_wins_over_bearer(client):
    by_name = Api(client, key_headers("keyed")).score()
    both = Api(client, {**key_headers("keyed"), "Authorization": "Bearer t",
                        "X-Project-ID": str(uuid.uuid4())})
    assert both.score()["project_id"] == by_name["project_id"]


def test_projects_are_isolated(api, other_api):
    mine = api.score(name="m")
    assert other_api.get(SCORES).get_json()["total"] == 0
    assert other_api.get(f"{SCORES}/{mine['trace_id']}").get_json() == []
    assert other_api.get(f"{ANALYTICS}/summary").get_json() == []
    assert other_api.get(f"{ANALYTICS}/trend?metric_name=m").get_json() == []
    assert other_api.get(f"{ANALYTICS}/distribution?metric_name=m").get_json() == []
    patched = other_api.patch(f"{SCORES}/{mine['id']}", json={"value": "0.9"})
    assert patched.status_code == 404
    assert patched.get_json() == {"detail": f"Trace score {mine['id']} not found."}
    assert other_api.delete(f"{SCORES}/{mine['id']}").status_code == 404
    # and nothing changed
    again = api.get(SCORES).get_json()["items"]
    assert again == [mine]


def test_any_key_is_accepted_without_configured_keys(client):
    assert Api(client, key_headers("demo", key="anything-at-all")).get(SCORES).status_code == 200


@pytest.fixture
def keyed_client(tmp_path):
    app = create_app({"database": str(tmp_path / "k.db"), "api_keys": ["sk-one", "sk-two"]})
    yield app.test_client()
    app.extensions["store"].close()


def test_configured_keys_are_enforced(keyed_client):
    assert keyed_client.get(SCORES, headers=key_headers(key="sk-one")).status_code == 200
    assert keyed_client.get(SCORES, headers=key_headers(key="sk-two")).status_code == 200
    response = keyed_client.get(SCORES, headers=key_headers(key="sk-three"))
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid or revoked API key."}
    # nothing is created by a refused request
    created = keyed_client.post(SCORES, headers=key_headers(key="bad"), json={
        "trace_id": str(uuid.uuid4()), "name": "n", "value": "0.1"})
    assert created.status_code == 401
    assert keyed_client.get(SCORES, headers=key_headers(key="sk-one")).get_json()["total"] == 0


def test_configured_keys_gate_bearer_tokens(keyed_client):
    project = {"X-Project-ID": str(uuid.uuid4())}
    assert keyed_client.get(SCORES, headers={"Authorization": "Bearer sk-one", **project}).status_code == 200
    response = keyed_client.get(SCORES, headers={"Authorization": "Bearer other", **project})
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid or expired token."}


def test_health_is_public(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"status", "version", "environment", "timestamp"}
    assert body["status"] == "healthy"


def test_project_id_texts_are_read_as_uuid_reads_them_remembered_or_not():
    import uuid as uuid_module

    from pandaprobe_fake.web import _remembered_uuid, canonical_uuid

    u = uuid_module.UUID("06c6222f-9315-418b-aa5b-e5040ea53077")
    texts = [str(u), str(u).upper(), f"urn:uuid:{u}", f"{{{u}}}", u.hex, "-".join(u.hex),
             f"urn:uuid:{u}0", " " + str(u), "x", "", "urn:uuid:" + "-" * 36, f"urn:uuid:{u}"[:-1]]
    for text in texts:
        try:
            expected = str(uuid_module.UUID(text))
        except ValueError:
            expected = None
        for _ in range(2):  # the second time from memory when remembered
            assert canonical_uuid(text) == expected, text
    assert len(f"urn:uuid:{u}") == 45 and len("-".join(u.hex)) > 45
    _remembered_uuid.cache_clear()
    canonical_uuid(f"urn:uuid:{u}")
    canonical_uuid("-".join(u.hex))
    assert _remembered_uuid.cache_info().currsize == 1  # only the text of at most 45 characters
