"""Project isolation: every route, from every other project, with guessed ids -- the
victim's data is never visible and never changed."""

import uuid

import pytest

from conftest import ANALYTICS, SCORES, Api, key_headers

SECRETS = ("victim-secret-reason", "victim-secret-trace", "victim-secret-span", "victim_metric")


@pytest.fixture
def victim(client):
    api = Api(client, key_headers("victim"))
    trace_id, span_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert api.post("/traces", json={"trace_id": trace_id, "name": "victim-secret-trace",
                                     "started_at": "2026-01-01T00:00:00Z",
                                     "spans": [{"span_id": span_id, "name": "victim-secret-span",
                                                "started_at": "2026-01-01T00:00:01Z"}]}).status_code == 202
    score = api.score(trace_id=trace_id, name="victim_metric", value="0.7", reason="victim-secret-reason")
    return {"api": api, "trace_id": trace_id, "span_id": span_id, "score": score}


def snapshot(api, trace_id):
    return (api.get(f"{SCORES}?limit=200").get_data(), api.get(f"/traces/{trace_id}").get_data(),
            api.get(f"{ANALYTICS}/summary").get_data())


def requests_for(v):
    score_id, trace_id, span_id = v["score"]["id"], v["trace_id"], v["span_id"]
    span = [{"span_id": span_id, "name": "hijack", "started_at": "2026-01-01"}]
    return [
        ("get", SCORES, None), ("get", f"{SCORES}?trace_id={trace_id}", None),
        ("get", f"{SCORES}?name=victim_metric", None), ("get", f"{SCORES}/{trace_id}", None),
        ("patch", f"{SCORES}/{score_id}", {"value": "0.1", "reason": "hijacked"}),
        ("delete", f"{SCORES}/{score_id}", None),
        ("post", SCORES, {"trace_id": trace_id, "name": "attacker_metric", "value": "0.0"}),
        ("get", f"{ANALYTICS}/summary", None), ("get", f"{ANALYTICS}/trend?metric_name=victim_metric", None),
        ("get", f"{ANALYTICS}/distribution?metric_name=victim_metric", None),
        ("get", "/traces", None), ("get", "/traces?name=victim", None), ("get", f"/traces/{trace_id}", None),
        ("patch", f"/traces/{trace_id}", {"name": "hijacked"}),
        ("post", f"/traces/{trace_id}/spans", span),
        ("patch", f"/traces/{trace_id}/spans/{span_id}", {"name": "hijacked"}),
        ("delete", f"/traces/{trace_id}", None),
        ("post", "/traces", {"trace_id": trace_id, "name": "hijack", "started_at": "2026-01-01", "spans": span}),
    ]


def attackers(v):
    score_id, trace_id, span_id = v["score"]["id"], v["trace_id"], v["span_id"]
    bearer = lambda project_id: {"Authorization": "Bearer guess", "X-Project-ID": project_id}  # noqa: E731
    return {
        "other project by name": key_headers("attacker"),
        "victim name in other case": key_headers("VICTIM"),
        "other project by id": bearer(str(uuid.uuid4())),
        "score id as project id": bearer(score_id),
        "trace id as project id": bearer(trace_id),
        "span id as project id": bearer(span_id),
        "nil uuid as project id": bearer(str(uuid.UUID(int=0))),
    }


def test_isolation_matrix(client, victim):
    before = snapshot(victim["api"], victim["trace_id"])
    tried = 0
    for who, headers in attackers(victim).items():
        reads = [r for r in requests_for(victim) if r[0] == "get"]
        writes = [r for r in requests_for(victim) if r[0] != "get"]
        # reads, before this caller has written anything: nothing at all
        for method, path, body in reads:
            response = client.get(path, headers=headers)
            tried += 1
            data = response.get_json()
            if response.status_code == 200:
                assert (data["items"] if isinstance(data, dict) and "items" in data else data) == [], (who, path)
            else:
                assert response.status_code == 404, (who, path, response.status_code)
        # writes: a 404 for the victim's objects, or a new object of the caller's own
        for method, path, body in writes:
            response = getattr(client, method)(path, headers=headers, json=body)
            tried += 1
            assert response.status_code in (201, 202, 404), (who, method, path, response.status_code)
        # reads again: the caller may see what it wrote, never the victim's
        for method, path, body in reads:
            text = client.get(path, headers=headers).get_data(as_text=True)
            tried += 1
            for secret in SECRETS:
                assert secret not in text, (who, path, secret)
    assert tried == 7 * (18 + 10)
    assert snapshot(victim["api"], victim["trace_id"]) == before


def test_victim_still_sees_everything(victim):
    api = victim["api"]
    assert api.get(SCORES).get_json()["items"] == [victim["score"]]
    trace = api.get(f"/traces/{victim['trace_id']}").get_json()
    assert trace["name"] == "victim-secret-trace" and trace["spans"][0]["name"] == "victim-secret-span"
