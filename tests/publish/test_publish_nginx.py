"""The outage test: the demo site published, served by a real nginx with the generated config,
then the app and its database gone; readers, feed readers and Statuspage clients still get
the whole page, as the app served it."""

from __future__ import annotations

import gzip
import re

import feedparser
import jsonschema
import pytest
import requests
import sqlalchemy as sa
from statuspage_prometheus_exporter.service_checker import check_service_status

from statuspage.extensions import db
from statuspage.services.site import configure
from tests.api.schemas import ENDPOINTS
from tests.conftest import ACTOR
from tests.publish.conftest import publish
from tests.publish.nginx_server import nginx_available, serve

pytestmark = pytest.mark.skipif(not nginx_available(), reason="nginx-light is not installed")


@pytest.fixture
def outage(app, client, demo_page, published, tmp_path):
    """What the app served, then nginx serving the published folder with the app gone."""
    before = {
        path: client.get(path)
        for path in [
            "/",
            f"/incidents/{demo_page.open_incident_id}",
            "/api/v2/summary.json",
            "/history.atom",
            "/history.json",
            "/badge.svg",
            "/badge.json",
            "/history",
            f"/history?month={demo_page.past_month}",
        ]
    }
    queries: list[str] = []

    def record(*args: object) -> None:
        queries.append(str(args[2]))

    db.session.remove()
    db.engine.dispose()  # the pool closed: the app holds no connection any more
    sa.event.listen(db.engine, "before_cursor_execute", record)
    with serve(published, tmp_path / "nginx") as url:
        yield url, before
    sa.event.remove(db.engine, "before_cursor_execute", record)
    assert queries == [], "something queried the database during the outage"


def test_the_page_survives_the_outage(outage, demo_page, published, monkeypatch, tmp_path):
    url, before = outage
    home = requests.get(url + "/", timeout=5)
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    assert home.content == (published / "index.html").read_bytes()
    assert home.content == before["/"].data  # the same data renders the same bytes
    incident_path = f"/incidents/{demo_page.open_incident_id}"
    incident = requests.get(url + incident_path, timeout=5)
    assert incident.status_code == 200
    assert incident.content == before[incident_path].data

    summary = requests.get(url + "/api/v2/summary.json", timeout=5)
    assert summary.headers["Content-Type"].startswith("application/json")
    assert summary.headers["Access-Control-Allow-Origin"] == "*"
    assert summary.content == before["/api/v2/summary.json"].data
    jsonschema.validate(summary.json(), ENDPOINTS["/api/v2/summary.json"])
    monkeypatch.chdir(tmp_path)  # the client library keeps its cache in ./cache
    seen = check_service_status("demo", {"url": url + "/api/v2/summary.json"})
    expected = before["/api/v2/summary.json"].get_json()
    assert seen["success"] is True and seen["details"]
    assert [c["name"] for c in seen["component_metadata"]] == [
        c["name"] for c in expected["components"]
    ]
    assert {i["id"] for i in seen["incident_metadata"]} == {i["id"] for i in expected["incidents"]}
    assert demo_page.open_incident_id in {i["id"] for i in seen["incident_metadata"]}

    feed = requests.get(url + "/history.atom", timeout=5)
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    parsed, was = feedparser.parse(feed.content), feedparser.parse(before["/history.atom"].data)
    assert not parsed.bozo and len(parsed.entries) == len(was.entries) > 0
    assert [(e.id, e.title, e.summary) for e in parsed.entries] == [
        (e.id, e.title, e.summary) for e in was.entries
    ]
    json_feed = requests.get(url + "/history.json", timeout=5)
    assert json_feed.headers["Content-Type"] == "application/feed+json; charset=utf-8"
    assert json_feed.headers["Access-Control-Allow-Origin"] == "*"
    assert json_feed.content == before["/history.json"].data
    assert [i["id"] for i in json_feed.json()["items"]] == [e.id for e in parsed.entries]
    badge = requests.get(url + "/badge.svg", timeout=5)
    assert badge.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert badge.content == before["/badge.svg"].data
    endpoint = requests.get(url + "/badge.json", timeout=5)
    assert endpoint.json() == before["/badge.json"].get_json()
    assert endpoint.headers["Access-Control-Allow-Origin"] == "*"


def test_nginx_serves_gzip_cors_and_the_404_page(outage, published):
    url, _ = outage
    for path, name in [("/", "index.html"), ("/api/v2/summary.json", "api/v2/summary.json")]:
        raw = requests.get(url + path, headers={"Accept-Encoding": "gzip"}, timeout=5, stream=True)
        assert (
            raw.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in raw.headers["Vary"]
        )
        assert gzip.decompress(raw.raw.read()) == (published / name).read_bytes()
    plain = requests.get(url + "/", headers={"Accept-Encoding": "identity"}, timeout=5)
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == "public, max-age=60"
    assert (
        requests.get(url + "/api/v2/components.json", timeout=5).headers[
            "Access-Control-Allow-Origin"
        ]
        == "*"
    )
    assert "Access-Control-Allow-Origin" not in plain.headers
    missing = requests.get(url + "/incidents/zzzzzzzzzzzz", timeout=5)
    assert missing.status_code == 404
    assert missing.content == (published / "404.html").read_bytes()
    for query in ("month=1999-01", "month=abc", "page=x"):
        assert requests.get(url + f"/history?{query}", timeout=5).status_code == 404, query
    css = requests.get(url + "/static/css/statuspage.css", timeout=5)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")


def test_history_links_resolve_on_nginx_by_path_and_by_query_string(outage, demo_page, published):
    url, before = outage
    history = requests.get(url + "/history", timeout=5)
    assert history.status_code == 200
    links = set(re.findall(r'href="(/history/[0-9]{4}-[0-9]{2}/)"', history.text))
    assert links, "the current month links to the previous one"
    for link in links:
        assert requests.get(url + link, timeout=5).status_code == 200, link
    month = demo_page.past_month
    by_query = requests.get(url + f"/history?month={month}", timeout=5)
    by_path = requests.get(url + f"/history/{month}/", timeout=5)
    assert by_query.status_code == by_path.status_code == 200
    assert by_query.content == (published / f"history/{month}/index.html").read_bytes()
    assert by_path.content == by_query.content
    was = before[f"/history?month={month}"].text
    assert re.findall(r"<h3>.*?</h3>", by_path.text) == re.findall(r"<h3>.*?</h3>", was)


def test_the_logo_is_published_with_its_type(app, tmp_path):
    """A page with an uploaded logo links `/logo?v=<stamp>`: nginx serves it as an image."""
    logo = b"GIF89a" + b"\x00" * 20
    configure.set_logo(logo, actor=ACTOR)
    target = tmp_path / "site"
    publish(app, target)
    assert (target / "logo.gif").read_bytes() == logo and not (target / "logo.html").exists()
    with serve(target, tmp_path / "nginx") as url:
        home = requests.get(url + "/", timeout=5)
        [src] = re.findall(r'<img src="(/logo\?v=[0-9]+)"', home.text)
        image = requests.get(url + src, timeout=5)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/gif"
    assert image.content == logo
