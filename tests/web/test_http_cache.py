"""HTTP caching: validators from the page version, 304s, one render per burst, fresh after a write."""

import gzip
import socket
import threading
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from werkzeug.serving import make_server

from statuspage.bounded_cache import ENTRY_OVERHEAD, BoundedLRU
from statuspage.enums import ComponentStatus, Role
from statuspage.http_cache import MIN_COMPRESS
from statuspage.services.components import tree as components
from tests.conftest import ACTOR

PUBLIC_PATHS = ["/", "/history", "/history?month=2026-01"]


@pytest.fixture
def seeded(make_component, make_incident):
    api = make_component(name="API")
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="Outage")
    return api, incident


def paths(seeded):
    return [*PUBLIC_PATHS, f"/incidents/{seeded[1].id}"]


def test_public_responses_carry_validators_and_cache_control(client, seeded):
    for path in paths(seeded):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["ETag"].startswith('"v') and not response.headers[
            "ETag"
        ].startswith("W/")
        assert response.headers["Last-Modified"].endswith("GMT")
        control = response.headers["Cache-Control"]
        for part in ("public", "max-age=15", "stale-while-revalidate=30", "stale-if-error=86400"):
            assert part in control, (path, control)


@pytest.mark.config(CACHE_SECONDS=60)
def test_cache_seconds_is_configurable(client, seeded):
    assert "max-age=60" in client.get("/").headers["Cache-Control"]


def test_conditional_requests_get_304(client, seeded):
    for path in paths(seeded):
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", path
        modified = parsedate_to_datetime(first.headers["Last-Modified"])
        # HTML validators hold the current minute: a date two minutes on is current whatever
        # minute the second request lands in, and a day before never is.
        later = format_datetime(modified + timedelta(minutes=2), usegmt=True)
        since = client.get(path, headers={"If-Modified-Since": later})
        assert since.status_code == 304, path
        earlier = format_datetime(modified - timedelta(days=1), usegmt=True)
        assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
        other = client.get(path, headers={"If-None-Match": '"v0-m0"'})
        assert other.status_code == 200


def test_a_burst_of_identical_requests_renders_once(client, seeded, count_queries):
    with count_queries() as first:
        body = client.get("/").data
    with count_queries() as burst:
        for _ in range(5):
            assert client.get("/").data == body
    assert len(first) > 5
    assert len(burst) == 5  # one version read per request, nothing else


def test_a_write_is_visible_on_the_very_next_request(client, seeded):
    api, _ = seeded
    before = client.get("/")
    assert "Major outage" in before.text
    components.set_component_status(api, ComponentStatus.DEGRADED_PERFORMANCE, actor=ACTOR)
    after = client.get("/")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "Degraded performance" in after.text
    assert client.get("/", headers={"If-None-Match": before.headers["ETag"]}).status_code == 200


def test_internal_pages_are_private(client, login_as, seeded):
    login_as(Role.VIEWER)
    response = client.get("/internal")
    assert "private" in response.headers["Cache-Control"]
    assert "public" not in response.headers["Cache-Control"]


def test_public_pages_set_no_cookie(client, seeded):
    for path in paths(seeded):
        assert "Set-Cookie" not in client.get(path).headers, path


def test_readers_that_accept_gzip_get_the_body_compressed_once(client, seeded, count_queries):
    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gz"'
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
    with count_queries() as again:
        repeat = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert repeat.data == packed.data and len(again) == 1  # served as stored, the version read
    for etag in (plain.headers["ETag"], packed.headers["ETag"]):
        revalidated = client.get("/", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
        assert revalidated.status_code == 304 and revalidated.headers["ETag"] == etag


def test_gzip_is_left_out_when_refused_or_not_worth_it(client, seeded):
    refused = client.get("/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and b"<html" in refused.data
    small = client.get("/api/v2/status.json", headers={"Accept-Encoding": "gzip"})
    assert len(small.data) < MIN_COMPRESS and "Content-Encoding" not in small.headers
    assert small.get_json()["status"]["indicator"] == "critical"


def test_each_process_keeps_recent_entries_within_a_byte_budget():
    cost = 100 + 1 + ENTRY_OVERHEAD  # the value, the one-letter key, the entry itself
    hot = BoundedLRU(max_entries=10, max_bytes=2 * cost + 50)
    for name in "abc":
        hot.put(name, name * 100, 100)
    assert hot.get("a") is None  # the oldest went first
    assert hot.get("b") == "b" * 100  # b is now the most recently used
    hot.put("d", "d" * 100, 100)
    assert list(hot.entries) == ["b", "d"] and hot.size == 2 * cost
    assert not hot.put("huge", "x" * 5000) and "huge" not in hot.entries


def test_each_process_keeps_at_most_so_many_entries_however_small():
    hot = BoundedLRU(max_entries=3, max_bytes=10**9)
    for number in range(1000):
        hot.put(number, b"")
    assert list(hot.entries) == [997, 998, 999]


@pytest.mark.config(HOT_CACHE_MAX_ENTRIES=40, CACHE_THRESHOLD=30)
def test_made_up_query_strings_cannot_grow_the_caches(app, client, seeded):
    """10,000 requests, each with a query string of its own: an argument no view reads shares
    the entry of the URL without it, and distinct real pages stop at the bounds."""
    from statuspage.extensions import cache

    hot = app.wsgi_app.entries
    paths = ["/", "/api/v2/status.json", "/history.atom", "/history?page=1"]
    first = {path: client.get(path).data for path in paths}
    for number in range(10_000):
        path = paths[number % len(paths)]
        sep = "&" if "?" in path else "?"
        response = client.get(
            f"{path}{sep}x={number}&page={number}" if path == "/" else f"{path}{sep}x={number}"
        )
        assert response.status_code == 200
        if number < len(paths):
            assert response.data == first[path]
    # One entry per URL and page version (HTML pages also per minute): none for an `x`.
    assert {(key[0], key[1]) for key in hot.entries} == {
        ("/", ""),
        ("/api/v2/status.json", ""),
        ("/history.atom", ""),
        ("/history", "page=1"),
    }
    urls = {
        key.removeprefix("response:public:").rsplit(":", 1)[0] for key in cache.cache.store.entries
    }
    assert urls == {"/?", "/api/v2/status.json?", "/history.atom?", "/history?page=1"}
    for page in range(1, 101):  # real, distinct answers: the bound holds
        assert client.get(f"/api/v2/incidents.json?page={page}&x={page}").status_code == 200
    assert len(cache.cache.store) == 30 and len(hot) == 40
    assert cache.cache.store.size <= app.config["CACHE_MAX_BYTES"]


def test_the_query_arguments_a_view_reads_still_choose_its_answer(client, seeded):
    whole = client.get("/api/v2/incidents.json").get_json()["incidents"]
    assert len(whole) == 1
    assert client.get("/api/v2/incidents.json?page=2&x=1").get_json()["incidents"] == []
    assert client.get("/api/v2/incidents.json?x=1&page=1").get_json()["incidents"] == whole
    assert client.get("/api/v2/incidents.json?page=abc").status_code == 400


@pytest.fixture
def dispatched(app):
    """How many requests Flask itself dispatched (a replayed hit never reaches it)."""
    seen = []
    app.before_request(lambda: seen.append(1))
    return seen


@pytest.mark.parametrize("encoding", ["", "gzip, deflate"])
def test_anonymous_repeat_reads_are_replayed_before_flask(
    client, seeded, dispatched, count_queries, encoding
):
    headers = {"Accept-Encoding": encoding}
    for path in ["/", "/api/v2/summary.json", "/history.atom"]:
        first = client.get(path, headers=headers)
        before = len(dispatched)
        with count_queries() as queries:
            again = client.get(path, headers=headers)
        assert len(dispatched) == before, path  # answered without Flask
        assert len(queries) == 1  # the page version, nothing else
        assert (again.status, again.data) == (first.status, first.data)
        assert again.headers.to_wsgi_list() == first.headers.to_wsgi_list()


def test_a_replayed_page_never_outlives_a_write(client, seeded, dispatched):
    api, _ = seeded
    assert "Major outage" in client.get("/").text
    client.get("/")
    components.set_component_status(api, ComponentStatus.DEGRADED_PERFORMANCE, actor=ACTOR)
    before = len(dispatched)
    after = client.get("/")
    assert len(dispatched) == before + 1 and "Degraded performance" in after.text


@pytest.mark.parametrize(
    "headers",
    [
        {"cookie": "session"},
        {"Authorization": "Bearer sp_x"},
        {"If-None-Match": '"v0"'},
    ],
)
def test_personal_or_conditional_requests_always_reach_flask(client, seeded, dispatched, headers):
    client.get("/api/v2/summary.json")
    if "cookie" in headers:
        client.set_cookie(headers.pop("cookie"), "x")
    for _ in range(2):
        before = len(dispatched)
        response = client.get("/api/v2/summary.json", headers=headers)
        assert len(dispatched) == before + 1 and response.status_code == 200


def test_internal_and_error_answers_are_never_replayed(client, seeded, dispatched, login_as):
    for _ in range(2):
        before = len(dispatched)
        assert client.get("/incidents/aaaaaaaaaaaa").status_code == 404
        assert len(dispatched) == before + 1
    login_as(Role.VIEWER)
    client.get("/internal")
    client.delete_cookie("session")
    before = len(dispatched)
    assert client.get("/internal").status_code == 302  # to the sign-in page
    assert len(dispatched) == before + 1


@pytest.mark.parametrize(
    "accept_encoding,gzipped",
    [
        ("gzip", True),
        ("GZIP", True),
        ("gzip,deflate", True),
        ("deflate ,  gzip", True),
        ("gzip;q=0.5", True),
        ("gzip ; q=1", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*", True),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0, gzip", True),
        ("br;q=1, gzip;q=0.1", True),
        ("identity", False),
        ("br", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_as_http_means_it_by_flask_and_the_replay_alike(
    client, seeded, dispatched, accept_encoding, gzipped
):
    for warm in ("gzip", "identity"):  # the replay layer holds both representations
        client.get("/", headers={"Accept-Encoding": warm})
    plain = client.get("/", headers={"Accept-Encoding": "identity"}).data
    for attempt in range(2):
        response = client.get("/", headers={"Accept-Encoding": accept_encoding})
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == ("gzip" if gzipped else None), attempt
        assert (gzip.decompress(response.data) if gzipped else response.data) == plain
        assert response.headers["ETag"].endswith('-gz"') is gzipped
        assert "Accept-Encoding" in response.headers["Vary"]
    before = len(dispatched)
    client.get("/", headers={"Accept-Encoding": accept_encoding})
    assert len(dispatched) == before  # replayed, yet the same answer Flask gives


def _raw_get(port: int, path: str, header_lines: list[str]) -> tuple[bytes, bytes]:
    """One HTTP/1.0 request written byte for byte, as a client sends it; (head, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        lines = [f"GET {path} HTTP/1.0", "Host: 127.0.0.1", *header_lines, "", ""]
        conn.sendall("\r\n".join(lines).encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def test_a_header_without_a_space_after_the_colon_gets_gzip_over_real_http(app, seeded):
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for _ in range(2):  # rendered by Flask, then replayed
            head, body = _raw_get(server.server_port, "/", ["Accept-Encoding:gzip"])
            assert b"\r\nContent-Encoding: gzip" in head
            assert b"<html" in gzip.decompress(body)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
