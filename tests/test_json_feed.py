"""JSON Feed 1.1 at /history.json and per component: the Atom feed's items (ids, titles,
links, HTML, dates), checked against the 1.1 specification's fields, discoverable from the
pages."""

from __future__ import annotations

from datetime import datetime

import feedparser
import pytest
from lxml import html

from statuspage.database import utcnow
from tests.seed_feeds import BASE_URL, SECRETS, RichPage, seed_rich_page
from tests.test_feeds import raw_contents

pytestmark = pytest.mark.config(BASE_URL=BASE_URL)

VERSION = "https://jsonfeed.org/version/1.1"


@pytest.fixture
def page(app) -> RichPage:
    return seed_rich_page(utcnow().replace(microsecond=0))


#: https://www.jsonfeed.org/version/1.1/: the top-level and item fields, with their types.
FEED_FIELDS = {
    "version": str,
    "title": str,
    "home_page_url": str,
    "feed_url": str,
    "description": str,
    "authors": list,
    "language": str,
    "items": list,
}
ITEM_FIELDS = {
    "id": str,
    "url": str,
    "title": str,
    "content_html": str,
    "date_published": str,
    "date_modified": str,
}


def read(client, path: str) -> dict:
    """The feed, checked field by field against the specification (required ones present,
    every field of the right type, nothing it does not define)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers["Content-Type"] == "application/feed+json; charset=utf-8"
    data = response.get_json(force=True)
    assert set(data) <= set(FEED_FIELDS) and {"version", "title", "items"} <= set(data)
    assert all(isinstance(data[k], FEED_FIELDS[k]) for k in data)
    assert data["version"] == VERSION
    for item in data["items"]:
        assert set(item) <= set(ITEM_FIELDS) and "id" in item and "content_html" in item
        assert all(isinstance(item[k], ITEM_FIELDS[k]) for k in item)
        for key in ("date_published", "date_modified"):
            assert datetime.fromisoformat(item[key]).utcoffset() is not None  # RFC 3339
    for author in data["authors"]:
        assert set(author) <= {"name", "url", "avatar"}
    return data


def same_items_as_atom(client, json_path: str, atom_path: str) -> dict:
    data = read(client, json_path)
    atom_response = client.get(atom_path)
    atom = feedparser.parse(atom_response.data)
    contents = raw_contents(atom_response)
    assert data["title"] == atom.feed.title
    assert data["home_page_url"] == atom.feed.link
    assert data["feed_url"] == f"{BASE_URL}{json_path}"
    assert [i["id"] for i in data["items"]] == [e.id for e in atom.entries]
    for item, entry in zip(data["items"], atom.entries, strict=True):
        assert (item["title"], item["url"]) == (entry.title, entry.link)
        assert item["content_html"] == contents[entry.title]
        published = datetime.fromisoformat(item["date_published"])
        assert published == datetime.fromisoformat(entry.published)
        assert datetime.fromisoformat(item["date_modified"]) == datetime.fromisoformat(
            entry.updated
        )
    return data


def test_the_json_feed_has_the_atom_feeds_items(client, page):
    data = same_items_as_atom(client, "/history.json", "/history.atom")
    assert len(data["items"]) == len(page.public_notices_newest_first()) > 3
    assert data["authors"][0]["url"] == f"{BASE_URL}/"
    assert data["language"] == "en"


def test_component_json_feeds_hold_that_components_items(client, page):
    for component in (page.api, page.database):
        base = f"/components/{component.id}/history"
        same_items_as_atom(client, f"{base}.json", f"{base}.atom")
    assert client.get(f"/components/{page.hidden.id}/history.json").status_code == 404


def test_nothing_internal_reaches_a_json_feed(client, page):
    for path in ("/history.json", f"/components/{page.api.id}/history.json"):
        text = client.get(path).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, (path, secret)
        for notice in (page.internal_incident, page.internal_window):
            assert notice.id not in text


@pytest.mark.config(FEED_ITEMS=3)
def test_the_feed_item_limit_applies(client, page):
    data = read(client, "/history.json")
    assert [i["title"] for i in data["items"]] == [
        n.name for n in page.public_notices_newest_first()[:3]
    ]


def test_pages_name_their_json_feeds(client, page):
    for path, feed in [
        ("/", "/history.json"),
        ("/history", "/history.json"),
        (f"/history?component={page.api.id}", f"/components/{page.api.id}/history.json"),
    ]:
        tree = html.fromstring(client.get(path).data)
        links = tree.xpath('//link[@rel="alternate"][@type="application/feed+json"]/@href')
        assert feed in links, (path, links)
