"""Hostile input, in-process (issue 15): each class of value refused at its root with a 4xx in
the API's shapes, both sides of each boundary, nothing stored that breaks a later read."""

from __future__ import annotations

import json
import logging
import re
import uuid

import pytest

from pandaprobe_fake.app import create_app
from pandaprobe_fake.clock import MAX_MICROS, MIN_MICROS, isoformat
from pandaprobe_fake.fields import MAX_INT_DIGITS
from pandaprobe_fake.testing import FakeServer
from conftest import ANALYTICS, SCORES, key_headers

JSON = {"Content-Type": "application/json"}


def raw_post(client, path, text, headers=None):
    return client.post(path, data=text.encode("utf-8", "surrogatepass"),
                       headers={**key_headers(), **JSON, **(headers or {})})


def errors(response) -> list[dict[str, str]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    return response.get_json()["errors"]


# -- integers and dates as text -----------------------------------------------------------------


@pytest.mark.parametrize("path,name", [
    (SCORES + "?limit={}", "limit"), (SCORES + "?offset={}", "offset"),
    ("/traces?limit={}", "limit"), ("/traces?offset={}", "offset"),
    (ANALYTICS + "/distribution?metric_name=m&buckets={}", "buckets"),
])
def test_integer_texts_past_pydantics_size_are_refused(api, path, name):
    too_long = errors(api.get(path.format("1" * (MAX_INT_DIGITS + 1))))
    assert too_long == [{"field": f"query -> {name}",
                         "message": "Unable to parse input string as an integer, exceeded maximum size"}]
    # leading zeros and underscores do not count; at the limit it is a number (a bound may refuse it)
    longest = api.get(path.format("0" * 10 + "1" * MAX_INT_DIGITS))
    assert longest.status_code in (200, 422)
    if longest.status_code == 422:
        assert "less than or equal" in longest.get_json()["errors"][0]["message"]


def test_the_longest_offset_is_a_page_past_the_end(api):
    offset = "9" * MAX_INT_DIGITS
    response = api.get(f"{SCORES}?offset={offset}")
    assert response.status_code == 200
    assert response.get_json()["items"] == [] and str(response.get_json()["offset"]) == offset


@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_long_digit_dates_are_refused(api, name):
    for digits in ("9" * 20, "9" * 5000):
        (error,) = errors(api.get(f"{SCORES}?{name}={digits}"))
        assert error["field"] == f"query -> {name}"
        assert error["message"].startswith("Input should be a valid datetime or date")


def test_body_datetimes_as_long_text_and_huge_numbers(client):
    for value in ('"' + "9" * 5000 + '"', "1" + "0" * 30, "1e308", "-1" + "0" * 30):
        response = raw_post(client, "/traces", '{"name": "t", "started_at": %s}' % value)
        assert response.status_code == 422, value
        assert response.get_json()["errors"][0]["field"] == "started_at"
    # past Python's JSON integer size: the body cannot be parsed at all (as upstream: 400)
    response = raw_post(client, "/traces", '{"name": "t", "started_at": %s}' % ("9" * 5000))
    assert response.status_code == 400
    assert response.get_json() == {"detail": "There was an error parsing the body"}


# -- instants outside years 1 to 9999 ---------------------------------------------------------------

EDGES = [("0001-01-01T00:00:00+00:00", True), ("0001-01-01T00:00:00+00:01", False),
         ("0001-01-01T00:59:00+01:00", False), ("0001-01-01T01:00:00+01:00", True),
         ("9999-12-31T23:59:59.999999Z", True), ("9999-12-31T23:59:59-00:01", False),
         ("9999-12-31T22:59:59-01:00", True)]


@pytest.mark.parametrize("text,accepted", EDGES)
def test_instants_outside_years_1_to_9999_are_refused_everywhere(api, text, accepted):
    trace = api.post("/traces", json={"name": "t", "started_at": text})
    listing = api.get(SCORES, query_string={"date_from": text})
    if accepted:
        assert trace.status_code == 202 and listing.status_code == 200
    else:
        for response, field in ((trace, "started_at"), (listing, "query -> date_from")):
            (error,) = errors(response)
            assert error["field"] == field
            assert error["message"].endswith("outside years 1 to 9999 in UTC once its offset is applied")
    # whatever was accepted, every read of the project still answers
    assert api.get("/traces").status_code == 200
    assert api.get(f"/traces/{trace.get_json()['trace_id']}").status_code == 200 if accepted else True


def test_stored_instants_out_of_range_are_read_clamped(app, api):
    score = api.score()
    store = app.extensions["store"]
    with store.write() as conn:
        conn.execute("UPDATE trace_scores SET created_at = ?, updated_at = ?",
                     (MIN_MICROS - 10**12, MAX_MICROS + 10**12))
    store.clear_caches()
    (item,) = api.get(SCORES).get_json()["items"]
    assert item["id"] == score["id"]
    assert item["created_at"] == "0001-01-01T00:00:00+00:00"
    assert item["updated_at"] == "9999-12-31T23:59:59.999999+00:00"
    assert isoformat(MAX_MICROS) == "9999-12-31T23:59:59.999999+00:00"


# -- lone surrogates ---------------------------------------------------------------------------------


def test_lone_surrogate_in_an_id_is_a_422(client):
    (error,) = errors(raw_post(client, SCORES, '{"trace_id": "\\ud800", "name": "a", "value": "1"}'))
    assert error == {"field": "trace_id", "message": "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `\ud800` at 1"}
    response = client.get("/traces/%ED%A0%80", headers=key_headers())
    assert response.status_code == 422


def test_lone_surrogate_key_in_an_error_field_is_written_escaped(client):
    body = '{"name": "t", "started_at": "2026-01-01T00:00:00Z", "spans": [{"name": "s", ' \
           '"started_at": "2026-01-01T00:00:00Z", "cost": {"\\ud800": 1}}]}'
    response = raw_post(client, "/traces", body)
    assert response.status_code == 422
    text = response.get_data()  # valid UTF-8, the surrogate as its JSON escape
    assert b"\\ud800" in text
    assert json.loads(text)["errors"][0]["field"] == "spans -> 0 -> cost -> \ud800"
    control = client.post("/_fake/faults", data=b'{"status": 500, "\\ud800": 1}')
    assert control.status_code == 422
    assert control.get_json()["errors"] == [{"field": "\ud800", "message": "Extra inputs are not permitted"}]


def test_a_journaled_body_with_a_lone_surrogate_reads_back(client):
    raw_post(client, "/traces", '{"name": "\\ud800", "started_at": "2026-01-01T00:00:00Z"}')
    response = client.get("/_fake/requests")
    assert response.status_code == 200
    (entry,) = response.get_json()["items"]
    assert entry["body"]["name"] == "\ud800"


@pytest.mark.parametrize("body", ['"\\ud800"', '{"\\ud800": 1}', '["a", "\\udfff"]'])
def test_fault_bodies_that_cannot_be_sent_are_refused_when_made(client, body):
    response = client.post("/_fake/faults", data=('{"status": 503, "body": %s}' % body).encode())
    (error,) = errors(response)
    assert error["field"] == "body" and "surrogate" in error["message"]
    assert client.get("/_fake/faults").get_json()["total"] == 0


# -- headers, paths and the log ---------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"X-A": "\u0100"}, {"X A": "v"}, {"X-A": "a\tb\x7f"},
                                     {"Content-Length": "5"}, {"Transfer-Encoding": "chunked"},
                                     {"Connection": "close"}, {"": "v"}, {"X-\u00e9": "v"}])
def test_fault_headers_that_cannot_be_sent_are_refused_when_made(client, headers):
    (error,) = errors(client.post("/_fake/faults", json={"status": 503, "headers": headers}))
    assert error["field"] == "headers" and "is not a valid HTTP header" in error["message"]
    assert client.get("/_fake/faults").get_json()["total"] == 0


def test_fault_headers_that_can_be_sent_are_sent(client):
    headers = {"Retry-After": "3", "X-Latin": "caf\u00e9\tok", "X-Odd_Name!": ""}
    assert client.post("/_fake/faults", json={"status": 503, "headers": headers}).status_code == 201
    response = client.get(SCORES, headers=key_headers())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3" and response.headers["X-Latin"] == "caf\u00e9\tok"


def test_a_newline_in_a_path_stays_encoded_in_location(client):
    response = client.get("/traces/abc%0D%0ASet-Cookie:%20x=1/", headers=key_headers())
    assert response.status_code == 307
    assert response.headers["Location"] == "/traces/abc%0D%0ASet-Cookie:%20x=1"
    assert "Set-Cookie" not in response.headers
    assert client.get(response.headers["Location"], headers=key_headers()).status_code == 422


def test_a_newline_in_a_path_cannot_forge_a_log_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="pandaprobe_fake"):
        client.get("/traces%0A127.0.0.1%20%22GET%20/forged%22%20200", headers=key_headers())
    (line,) = [r.getMessage() for r in caplog.records if "forged" in r.getMessage()]
    assert "\n" not in line and "/traces\\x0a127.0.0.1" in line


# -- deep structures -----------------------------------------------------------------------------------


def test_a_span_tree_a_thousand_levels_deep_renders(api, client):
    trace_id = str(uuid.uuid4())
    ids = [str(uuid.uuid4()) for _ in range(1000)]
    spans = [{"span_id": ids[i], "parent_span_id": ids[i - 1] if i else None, "name": f"s{i}",
              "started_at": f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"} for i in range(1000)]
    first = api.post("/traces", json={"trace_id": trace_id, "name": "deep",
                                      "started_at": "2026-01-01T00:00:00Z", "spans": spans[:500]})
    assert first.status_code == 202
    assert api.post(f"/traces/{trace_id}/spans", json=spans[500:]).status_code == 201
    page = client.get(f"/ui/traces/{trace_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('class="tl-row span-row"') == 1000
    depths = [int(d) for d in re.findall(r'data-depth="(\d+)"', text)]
    assert depths == list(range(1000))  # each under its parent, in tree order


# -- the clock controls -------------------------------------------------------------------------------


def test_the_clock_refuses_out_of_range_and_stays_as_it_was(client):
    def clock():
        return client.get("/_fake/clock").get_json()

    refused = client.post("/_fake/clock", json={"freeze": "9999-12-31T23:59:59-01:00"})
    assert refused.status_code == 422 and clock()["frozen"] is False
    assert client.post("/_fake/clock", json={"freeze": "9999-12-31T23:59:59Z"}).status_code == 200
    for seconds in (1, 1e300, 10**30):
        response = client.post("/_fake/clock", json={"advance_seconds": seconds})
        assert errors(response) == [{"field": "advance_seconds",
                                     "message": "Value error, the clock would pass year 9999 (UTC)"}]
        assert clock() == {"now": "9999-12-31T23:59:59+00:00", "frozen": True}
    # the largest step that stays in range is taken
    assert client.post("/_fake/clock", json={"advance_seconds": 0.999999}).get_json()["now"] == \
        "9999-12-31T23:59:59.999999+00:00"
    both = client.post("/_fake/clock", json={"freeze": "2026-01-01T00:00:00Z", "advance_seconds": 1e12})
    assert both.status_code == 422 and clock()["now"] == "9999-12-31T23:59:59.999999+00:00"
    assert client.get(SCORES, headers=key_headers()).status_code == 200


# -- the control API under --api-key ---------------------------------------------------------------------


@pytest.fixture
def keyed(tmp_path):
    app = create_app({"database": str(tmp_path / "keyed.db"), "api_keys": ["sk-1", "sk-2"]})
    yield app.test_client()
    app.extensions["store"].close()


@pytest.mark.parametrize("method,path", [("get", "/_fake/fixtures"), ("post", "/_fake/reset"),
                                         ("get", "/_fake/requests"), ("post", "/_fake/clock"),
                                         ("delete", "/_fake/faults")])
def test_with_api_keys_the_control_api_needs_one(keyed, method, path):
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}):
        response = getattr(keyed, method)(path, headers=headers, json={})
        assert response.status_code == 401
        assert "/_fake/ control API needs one of its keys" in response.get_json()["detail"]
    for headers in ({"X-API-Key": "sk-1"}, {"Authorization": "Bearer sk-2"}):
        assert getattr(keyed, method)(path, headers=headers, json={}).status_code != 401


def test_without_api_keys_the_control_api_is_open(client):
    assert client.get("/_fake/fixtures").status_code == 200


def test_the_fixture_kit_knows_the_key():
    with FakeServer(api_keys=("sk-kit",)) as fake:
        fake.reset()
        assert fake.requests() == []
        fake.fault(503, path="/health")


# -- browser guards: DNS rebinding, cross-site requests -------------------------------------------------


@pytest.mark.parametrize("host,ok", [
    ("localhost", True), ("localhost:8000", True), ("127.0.0.1:8000", True), ("[::1]:8000", True),
    ("app.localhost:8000", True), ("10.1.2.3:8000", True), ("LOCALHOST.:8000", True),
    ("evil.example:8000", False), ("evil.example", False), ("localhost.evil.example", False),
    ("127.0.0.1.nip.io:8000", False),
])
def test_only_the_hosts_the_fake_serves_are_answered(client, host, ok):
    for path in ("/health", "/_fake/fixtures", SCORES):
        response = client.get(path, headers={**key_headers(), "Host": host})
        if ok:
            assert response.status_code == 200, (host, path)
        else:
            assert response.status_code == 400
            assert "not an address this fake serves" in response.get_json()["detail"]


def test_the_allowed_hosts_remembered_are_bounded_and_a_refused_one_stays_refused(app, client):
    from pandaprobe_fake.web import KNOWN_HOSTS
    for i in range(KNOWN_HOSTS + 10):  # IP addresses are allowed: each a new Host value
        assert client.get("/health", headers={"Host": f"10.0.{i // 256}.{i % 256}"}).status_code == 200
        seen = app.extensions["allowed_hosts_seen"]
        assert 1 <= len(seen) <= KNOWN_HOSTS
        for _ in range(2):
            assert client.get("/health", headers={"Host": "evil.example"}).status_code == 400
        assert "evil.example" not in seen
    assert len(seen) == (KNOWN_HOSTS + 10) % KNOWN_HOSTS


def test_allow_host_and_the_host_option(tmp_path):
    app = create_app(database=None, host="0.0.0.0", allowed_hosts=("fake",))
    client = app.test_client()
    assert client.get("/health", headers={"Host": "fake:8000"}).status_code == 200
    assert client.get("/health", headers={"Host": "other:8000"}).status_code == 400
    named = create_app(database=None, host="my-box").test_client()
    assert named.get("/health", headers={"Host": "my-box:8000"}).status_code == 200
    anything = create_app(database=None, allowed_hosts=("*",)).test_client()
    assert anything.get("/health", headers={"Host": "whatever.example"}).status_code == 200


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": "http://localhost:3000"},
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://evil.example"},
])
def test_cross_site_requests_cannot_change_state(client, api, headers):
    api.score()
    for method, path in (("post", "/_fake/reset"), ("post", SCORES), ("delete", "/_fake/requests"),
                         ("post", "/ui/key")):
        response = getattr(client, method)(path, headers={**key_headers(), **headers}, json={})
        assert response.status_code == 403, (method, path)
        assert response.get_json()["detail"].startswith("Cross-site request refused")
    assert api.get(SCORES).get_json()["total"] == 1
    assert client.get(SCORES, headers={**key_headers(), **headers}).status_code == 200  # reads pass


def test_a_read_whose_method_arrives_in_lower_case_is_a_read(client, api):
    """granian hands the request line's method to the app as sent ("get"), where waitress
    refuses it and the test client writes "GET"; werkzeug and the routes read it as GET, and so
    does the cross-site guard (found in review: it read the raw environ value, refusing a
    cross-site `get` with a 403 that a `GET` does not get)."""
    api.score()
    for method in ("get", "Get", "head", "options"):
        response = client.get(SCORES, headers={**key_headers(), "Sec-Fetch-Site": "cross-site"},
                              environ_overrides={"REQUEST_METHOD": method})
        assert response.status_code != 403, method
    response = client.get(SCORES, headers={**key_headers(), "Sec-Fetch-Site": "cross-site"},
                          environ_overrides={"REQUEST_METHOD": "get"})
    assert response.status_code == 200 and response.get_json()["total"] == 1
    refused = client.post(SCORES, headers={**key_headers(), "Sec-Fetch-Site": "cross-site"}, json={},
                          environ_overrides={"REQUEST_METHOD": "post"})
    assert refused.status_code == 403


def test_same_origin_and_non_browser_requests_change_state(client, api):
    for headers in ({}, {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"},
                    {"Sec-Fetch-Site": "none"}):
        assert client.post("/_fake/reset", headers=headers, json={}).status_code == 200


# -- the demo page: CSRF and framing ---------------------------------------------------------------------


def test_the_key_form_needs_the_pages_csrf_token(client):
    page = client.get("/ui").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is None  # no key form without --api-key; the token is the app's all the same
    for data in ({"key": "sk"}, {"key": "sk", "csrf_token": "forged"}, {"key": "sk", "csrf_token": ""}):
        response = client.post("/ui/key", data=data)
        assert response.status_code == 403
        assert "CSRF token" in response.get_json()["detail"]
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", ["/ui", f"/ui/traces/{uuid.uuid4()}", "/ui/static/ui.js"])
def test_the_page_may_not_be_framed(client, path):
    response = client.get(path)
    assert response.status_code in (200, 304)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
