"""The bad-input catalogue: every case is a 4xx with the API's error body, stores nothing,
changes nothing, and leaves the server healthy -- through the Flask test client and over
real HTTP against `python app.py`."""

from __future__ import annotations

import json
import uuid

import pytest

from conftest import ANALYTICS, SCORES, key_headers

JSON = {"Content-Type": "application/json"}
TRACE = str(uuid.uuid4())


def score_body(**fields):
    return json.dumps({"trace_id": str(uuid.uuid4()), "name": "n", "value": "0.5", **fields}).encode()


def nested(levels: int) -> bytes:
    return b'{"trace_id": "%s", "name": "n", "value": "0.5", "metadata": ' % str(uuid.uuid4()).encode() + \
        b'{"a": ' * levels + b"1" + b"}" * levels + b"}"


# (case id, method, path, body bytes, headers, expected status)
# {score} and {trace} stand for a stored score id and a stored trace id of the project.
CASES = [
    ("malformed json", "POST", SCORES, b"{bad", JSON, 422),
    ("malformed json at 0", "POST", SCORES, b"not json{", JSON, 422),
    ("trailing garbage", "POST", SCORES, score_body() + b" x", JSON, 422),
    ("empty body", "POST", SCORES, b"", JSON, 422),
    ("json null", "POST", SCORES, b"null", JSON, 422),
    ("json array", "POST", SCORES, b'[{"name": "n"}]', JSON, 422),
    ("json string", "POST", SCORES, b'"score"', JSON, 422),
    ("json number", "POST", SCORES, b"0.5", JSON, 422),
    ("json true", "POST", SCORES, b"true", JSON, 422),
    ("text/plain", "POST", SCORES, score_body(), {"Content-Type": "text/plain"}, 422),
    ("no content type", "POST", SCORES, score_body(), {}, 422),
    ("form encoded", "POST", SCORES, b"name=n&value=0.5", {"Content-Type": "application/x-www-form-urlencoded"}, 422),
    ("multipart", "POST", SCORES, b"--x\r\n\r\n--x--", {"Content-Type": "multipart/form-data; boundary=x"}, 422),
    ("not utf-8", "POST", SCORES, b'{"name": "\xff\xfe"}', JSON, 400),
    ("body over the limit", "POST", SCORES, score_body(reason="r" * (1024 * 1024 + 10)), JSON, 413),
    ("1000-level metadata", "POST", SCORES, nested(1000), JSON, 400),
    ("300-level metadata", "POST", SCORES, nested(300), JSON, 422),
    ("5000-digit number", "POST", SCORES, b'{"metadata": {"x": ' + b"9" * 5000 + b"}}", JSON, 400),
    ("NUL in name", "POST", SCORES, score_body(name="a\x00b"), JSON, 422),
    ("NUL in metadata key", "POST", SCORES, score_body(metadata={"\x00": 1}), JSON, 422),
    ("lone surrogate", "POST", SCORES, b'{"trace_id": "%s", "name": "\\udc00", "value": "0.5"}' % TRACE.encode(), JSON, 422),
    ("NaN in metadata", "POST", SCORES, b'{"trace_id": "%s", "name": "n", "value": "0.5", "metadata": {"x": NaN}}' % TRACE.encode(), JSON, 422),
    ("Infinity in metadata", "POST", SCORES, b'{"trace_id": "%s", "name": "n", "value": "0.5", "metadata": {"x": -Infinity}}' % TRACE.encode(), JSON, 422),
    ("name over 255", "POST", SCORES, score_body(name="n" * 256), JSON, 422),
    ("value over 255", "POST", SCORES, score_body(value="0" * 256), JSON, 422),
    ("value a number", "POST", SCORES, score_body(value=0.5), JSON, 422),
    ("value out of range", "POST", SCORES, score_body(value="1.5"), JSON, 422),
    ("enum lower case", "POST", SCORES, score_body(data_type="numeric"), JSON, 422),
    ("trace id not a uuid", "POST", SCORES, score_body(trace_id="1; DROP TABLE trace_scores"), JSON, 422),
    ("metadata a list", "POST", SCORES, score_body(metadata=[1]), JSON, 422),
    ("patch malformed", "PATCH", SCORES + "/{score}", b"{", JSON, 422),
    ("patch array", "PATCH", SCORES + "/{score}", b"[]", JSON, 422),
    ("patch empty", "PATCH", SCORES + "/{score}", b"", JSON, 422),
    ("patch value out of range", "PATCH", SCORES + "/{score}", b'{"value": "9", "reason": "x"}', JSON, 422),
    ("patch NUL reason", "PATCH", SCORES + "/{score}", b'{"reason": "a\\u0000"}', JSON, 422),
    ("patch bad id", "PATCH", SCORES + "/1%20OR%201=1", b"{}", JSON, 422),
    ("delete bad id", "DELETE", SCORES + "/'%3B--", b"", {}, 422),
    ("get bad trace id", "GET", SCORES + "/not-a-uuid", b"", {}, 422),
    ("limit not a number", "GET", SCORES + "?limit=abc", b"", {}, 422),
    ("limit out of range", "GET", SCORES + "?limit=1000", b"", {}, 422),
    ("repeated limit, last bad", "GET", SCORES + "?limit=10&limit=0", b"", {}, 422),
    ("injection in enum filter", "GET", SCORES + "?status=SUCCESS'%20OR%20'1'='1", b"", {}, 422),
    ("injection in date filter", "GET", SCORES + "?date_from=2026-01-01'%3B%20DELETE%20FROM%20trace_scores%3B--", b"", {}, 422),
    ("injection in uuid filter", "GET", SCORES + "?trace_id=x'%20OR%201=1--", b"", {}, 422),
    ("trend without metric", "GET", ANALYTICS + "/trend", b"", {}, 422),
    ("trend bad granularity", "GET", ANALYTICS + "/trend?metric_name=m&granularity=DAY", b"", {}, 422),
    ("distribution buckets 0", "GET", ANALYTICS + "/distribution?metric_name=m&buckets=0", b"", {}, 422),
    ("summary bad date", "GET", ANALYTICS + "/summary?date_to=2026-02-30", b"", {}, 422),
    ("trace malformed", "POST", "/traces", b'{"name": ', JSON, 422),
    ("trace no started_at", "POST", "/traces", b'{"name": "t"}', JSON, 422),
    ("trace name over 512", "POST", "/traces", json.dumps({"name": "t" * 513, "started_at": "2026-01-01"}).encode(), JSON, 422),
    ("trace 501 spans", "POST", "/traces", json.dumps({"name": "t", "started_at": "2026-01-01", "spans": [{"name": "s", "started_at": "2026-01-01"}] * 501}).encode(), JSON, 422),
    ("trace NUL input", "POST", "/traces", b'{"name": "t", "started_at": "2026-01-01", "input": "\\u0000"}', JSON, 422),
    ("spans empty list", "POST", "/traces/{trace}/spans", b"[]", JSON, 422),
    ("spans an object", "POST", "/traces/{trace}/spans", b'{"name": "s"}', JSON, 422),
    ("trace patch name empty", "PATCH", "/traces/{trace}", b'{"name": ""}', JSON, 422),
    ("trace list bad sort", "GET", "/traces?sort_by=latency;DROP", b"", {}, 422),
    ("span patch bad kind", "PATCH", "/traces/{trace}/spans/" + str(uuid.uuid4()), b'{"kind": "llm"}', JSON, 422),
    ("unknown route", "GET", "/evaluations/nothing", b"", {}, 404),
    ("unknown nested route", "GET", SCORES + "/a/b/c", b"", {}, 404),
    ("wrong method", "PUT", SCORES, b"{}", JSON, 405),
    ("wrong method on item", "POST", SCORES + "/{score}", b"{}", JSON, 405),
    ("HEAD", "HEAD", SCORES, b"", {}, 405),
    ("OPTIONS", "OPTIONS", SCORES + "/{score}", b"", {}, 405),
    ("no credentials", "POST", SCORES, score_body(), {**JSON, "X-API-Key": ""}, 401),
    ("bad project name", "POST", SCORES, score_body(), {**JSON, "X-Project-Name": "-x-"}, 422),
    ("project name too long", "GET", SCORES, b"", {"X-Project-Name": "p" * 256}, 422),
    ("project id not a uuid", "GET", SCORES, b"", {"X-API-Key": "", "Authorization": "Bearer t", "X-Project-ID": "1 OR 1=1"}, 422),
]


def check_error_body(status: int, body: bytes, headers) -> None:
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert isinstance(payload["detail"], str) and payload["detail"]
    if payload["detail"] == "Validation error":
        assert status == 422
        assert payload["errors"] and all(set(e) == {"field", "message"} for e in payload["errors"])
    else:
        assert set(payload) == {"detail"}
    text = body.decode()
    for leak in ("Traceback", "sqlite", "SELECT", "File \"", "/work", ".py"):
        assert leak not in text


def state(call) -> tuple:
    """Everything the project holds, as the API shows it."""
    scores = call("GET", f"{SCORES}?limit=200", b"", {})[2]
    traces = call("GET", "/traces?limit=200", b"", {})[2]
    full = [call("GET", f"/traces/{t['trace_id']}", b"", {})[2] for t in json.loads(traces)["items"]]
    return scores, traces, full


def run_catalogue(call, cases):
    status, _, body = call("POST", SCORES, score_body(), JSON)
    score_id = json.loads(body)["id"]
    status, _, body = call("POST", "/traces", json.dumps({"trace_id": TRACE, "name": "t", "started_at": "2026-01-01",
                                                          "spans": [{"name": "s", "started_at": "2026-01-01"}]}).encode(), JSON)
    assert status == 202
    before = state(call)
    for case_id, method, path, data, headers, expected in cases:
        status, response_headers, body = call(method, path.format(score=score_id, trace=TRACE), data, headers)
        assert status == expected, (case_id, status, body[:300])
        if method != "HEAD":
            check_error_body(status, body, response_headers)
        assert state(call) == before, case_id
        health_status, _, _ = call("GET", "/health", b"", {})
        assert health_status == 200, case_id


def test_catalogue_is_big_enough():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_through_the_test_client(client, case):
    def call(method, path, data, headers):
        response = client.open(path, method=method, data=data, headers={**key_headers(), **headers})
        return response.status_code, response.headers, response.get_data()

    run_catalogue(call, [case])


@pytest.mark.process
def test_bad_input_over_http(live_server_factory, tmp_path):
    server = live_server_factory("--db", str(tmp_path / "bad.db"))
    http = server.session()

    def call(method, path, data, headers):
        merged = {**key_headers(), **headers}
        response = http.request(method, server.url + path, data=data, headers=merged)
        return response.status_code, response.headers, response.content

    run_catalogue(call, CASES)


FILTERS = ["trace_id", "name", "source", "status", "data_type", "eval_run_id", "environment",
           "date_from", "date_to", "limit", "offset"]
INJECTIONS = ["' OR '1'='1", "1; DROP TABLE trace_scores; --", "\" OR \"\"=\"", "%' --", "x') UNION SELECT * FROM projects --"]


@pytest.mark.parametrize("injection", INJECTIONS)
def test_injection_in_every_filter_finds_nothing_and_changes_nothing(api, other_api, injection):
    mine = api.score(name="secret", value="0.1")
    other_api.score(name="theirs", value="0.2")
    for name in FILTERS:
        response = api.get(SCORES, query_string={name: injection})
        if response.status_code == 200:  # free-text filters: matched literally, so nothing
            assert response.get_json()["items"] == [], name
        else:
            assert response.status_code == 422, name
            assert response.get_json()["errors"][0]["field"] == f"query -> {name}"
    for name in ("name", "session_id", "user_id", "tags"):
        response = api.get("/traces", query_string={name: injection})
        assert response.status_code == 200 and response.get_json()["items"] == []
    for route in ("trend", "distribution"):
        assert api.get(f"{ANALYTICS}/{route}", query_string={"metric_name": injection}).get_json() == []
    assert api.get(SCORES).get_json()["items"] == [mine]
    assert other_api.get(SCORES).get_json()["total"] == 1
