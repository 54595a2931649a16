"""The Atom and RSS history feeds, read back the way feed readers and validators read them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree, html

from statuspage import ical
from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, IncidentStatus
from statuspage.extensions import cache
from statuspage.feeds import feed_title
from statuspage.services.notices import incidents, maintenance
from statuspage.services.site.settings import SiteSettings
from tests.conftest import ACTOR
from tests.seed_feeds import BASE_URL, SECRETS, RichPage, announced, seed_rich_page

pytestmark = pytest.mark.config(BASE_URL=BASE_URL)

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ["/history.atom", "/history.rss"]
RFC_822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} (\+0000|GMT)$"
)
RFC_3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ENTRY_ID = re.compile(r"^tag:status\.example\.com,2005:(Incident|Maintenance)/[a-z0-9]{12}$")


@pytest.fixture
def now() -> datetime:
    """The real clock: the views read it (which windows are recent, what is scheduled)."""
    return utcnow().replace(microsecond=0)


@pytest.fixture
def page(app, now) -> RichPage:
    return seed_rich_page(now)


def fetch(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return response, parsed


def entry_id_of(notice):
    kind = "Maintenance" if notice.type == "maintenance" else "Incident"
    return f"tag:status.example.com,2005:{kind}/{notice.id}"


def strongs(content):
    return re.findall(r"<strong>(.*?)</strong>", content)


def labels(content):
    """The status label of each update: the <strong> after its time stamp."""
    return re.findall(r"<p><small>.*?</small><br><strong>(.*?)</strong>", content)


def raw_contents(response):
    """Title -> the entry's HTML as served (feedparser sanitizes it: no data-var, <br />)."""
    root = etree.fromstring(response.data)
    if root.tag == f"{ATOM}feed":
        return {
            e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}content")
            for e in root.findall(f"{ATOM}entry")
        }
    return {i.findtext("title"): i.findtext("description") for i in root.iter("item")}


def test_atom_parses_with_every_field_on_every_entry(client, page):
    response, feed = fetch(client, "/history.atom")
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert feed.version == "atom10"
    assert feed.feed.title == "Status - Incident History"
    assert feed.feed.id == "tag:status.example.com,2005:/history"
    assert len(feed.entries) == 8
    for entry in feed.entries:
        for field in ("id", "title", "link", "published", "updated"):
            assert entry.get(field), (entry.get("title"), field)
        assert ENTRY_ID.match(entry.id)
        assert entry.content[0].type == "text/html"
        assert [link.rel for link in entry.links] == ["alternate"]


def test_rss_parses_with_every_field_on_every_entry(client, page):
    response, feed = fetch(client, "/history.rss")
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert feed.version == "rss20"
    assert feed.feed.title == "Status - Incident History"
    assert len(feed.entries) == 8
    for entry in feed.entries:
        for field in ("id", "link", "published", "description", "title"):
            assert entry.get(field), (entry.get("title"), field)
        assert entry.guidislink is False
        assert ENTRY_ID.match(entry.id)


@pytest.mark.parametrize("path", FEEDS)
def test_entries_are_newest_first_with_permalinks(client, page, path):
    _, feed = fetch(client, path)
    expected = page.public_notices_newest_first()
    assert [e.id for e in feed.entries] == [entry_id_of(n) for n in expected]
    assert [e.title for e in feed.entries] == [n.name for n in expected]
    published = [datetime(*e.published_parsed[:6], tzinfo=UTC) for e in feed.entries]
    assert published == sorted(published, reverse=True)
    assert published == [announced(n) for n in expected]
    for entry, notice in zip(feed.entries, expected, strict=True):
        kind = "maintenance" if notice.type == "maintenance" else "incidents"
        assert entry.link == f"{BASE_URL}/{kind}/{notice.id}"


@pytest.mark.parametrize("path", FEEDS)
def test_first_strong_is_the_current_status_and_repeats_say_update(client, page, path):
    response, feed = fetch(client, path)
    contents = raw_contents(response)
    first = {title: labels(content)[0] for title, content in contents.items()}
    assert first == {
        "Database engine upgrade": "Scheduled",
        "Network upgrade": "Cancelled",
        "Login failures": "Update",  # its latest update kept the status
        "Cache cluster resize": "In progress",
        "Database latency": "Identified",
        "Elevated API errors": "Resolved",
        "Load balancer upgrade": "Completed",
        "Storage migration": "Completed",
    }
    parsed = [e.content[0].value if "content" in e else e.summary for e in feed.entries]
    windows = {
        page.future_window.name,
        page.cancelled_window.name,
        page.active_window.name,
        page.done_window.name,
        page.old_window.name,
    }
    for entry, text in zip(feed.entries, parsed, strict=True):
        strong = strongs(text)
        if entry.title in windows:  # Statuspage's first line of a window: when it is
            assert strong[0].startswith("THIS IS A SCHEDULED EVENT "), strong
            strong = strong[1:]
        assert strong[0] == first[entry.title]  # through feedparser too
    assert labels(contents["Elevated API errors"]) == [
        "Resolved",
        "Monitoring",
        "Update",
        "Identified",
        "Investigating",
    ]


def test_content_uses_statuspage_markup_with_the_update_html(client, page):
    contents = raw_contents(fetch(client, "/history.atom")[0])
    content = contents["Elevated API errors"]
    paragraphs = re.findall(r"<p>(.*?)</p>", content)
    assert len(paragraphs) == 5 and content == "".join(f"<p>{p}</p>" for p in paragraphs)
    assert re.fullmatch(
        r"<small>[A-Z][a-z]{2} <var data-var='date'>\d{1,2}</var>, "
        r"<var data-var='time'>\d{2}:\d{2}</var> UTC</small><br><strong>Investigating</strong> - "
        r"We are investigating <strong>errors</strong> on the API\.",
        paragraphs[-1],
    )
    assert "Rolling back.<br><br>About 10 minutes &amp; counting." in content
    assert "- a full disk<br>- on one replica" in contents["Database latency"]  # a list: its text


@pytest.mark.config(TIMEZONE="America/New_York")
@pytest.mark.parametrize("path", FEEDS)
def test_times_in_content_are_in_the_page_time_zone(client, page, path):
    content = raw_contents(fetch(client, path)[0])["Elevated API errors"]
    first_update = page.api_errors.updates[-1].display_at.astimezone(ZoneInfo("America/New_York"))
    expected = (
        f"<small>{first_update:%b} <var data-var='date'>{first_update.day}</var>, "
        f"<var data-var='time'>{first_update:%H:%M}</var> {first_update.tzname()}</small>"
    )
    assert first_update.tzname() in ("EST", "EDT")
    assert content.endswith(
        f"<p>{expected}<br><strong>Investigating</strong> - We are investigating "
        "<strong>errors</strong> on the API.</p>"
    )


def test_atom_dates_are_rfc_3339_and_match_the_data(client, page):
    response, _ = fetch(client, "/history.atom")
    root = etree.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    for entry, notice in zip(entries, page.public_notices_newest_first(), strict=True):
        published = entry.findtext(f"{ATOM}published")
        updated = entry.findtext(f"{ATOM}updated")
        assert RFC_3339.match(published) and RFC_3339.match(updated)
        assert datetime.fromisoformat(published) == announced(notice)
        latest = next(
            u
            for u in notice.updates
            if u.published_at and u.kind.value == "update" and u.visibility.value == "public"
        )
        assert datetime.fromisoformat(updated) == latest.display_at
    feed_updated = datetime.fromisoformat(root.findtext(f"{ATOM}updated"))
    assert feed_updated == max(
        datetime.fromisoformat(e.findtext(f"{ATOM}updated")) for e in entries
    )


def test_rss_dates_are_rfc_822(client, page):
    response, _ = fetch(client, "/history.rss")
    channel = etree.fromstring(response.data).find("channel")
    items = channel.findall("item")
    for item, notice in zip(items, page.public_notices_newest_first(), strict=True):
        pub_date = item.findtext("pubDate")
        assert RFC_822.match(pub_date), pub_date
        assert parsedate_to_datetime(pub_date) == announced(notice)
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false" and guid.text == entry_id_of(notice)
    assert RFC_822.match(channel.findtext("lastBuildDate"))


def test_validator_rules_for_atom(client, page):
    response, _ = fetch(client, "/history.atom")
    root = etree.fromstring(response.data)
    links = {link.get("rel"): link for link in root.findall(f"{ATOM}link")}
    assert links["self"].get("href") == f"{BASE_URL}/history.atom"
    assert links["self"].get("type") == "application/atom+xml"
    assert links["alternate"].get("href") == f"{BASE_URL}/"
    assert root.findtext(f"{ATOM}author/{ATOM}name")
    assert root.findtext(f"{ATOM}generator")
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert len(set(ids)) == len(ids)


def test_validator_rules_for_rss(client, page):
    response, feed = fetch(client, "/history.rss")
    root = etree.fromstring(response.data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("link") == f"{BASE_URL}/"  # the page, never the feed
    self_link = channel.find(f"{ATOM}link")
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == f"{BASE_URL}/history.rss"
    assert self_link.get("type") == "application/rss+xml"
    assert channel.findtext("description")
    for item in channel.findall("item"):
        assert item.findtext("guid") and item.findtext("link").startswith(f"{BASE_URL}/")
    assert feed.feed.link == f"{BASE_URL}/"


def test_ids_are_stable_across_renders_and_writes(client, page, now):
    first = fetch(client, "/history.atom")[0]
    cache.clear()
    again = fetch(client, "/history.atom")[0]
    assert again.data == first.data  # nothing in a feed depends on the clock
    incidents.post_update(
        page.db_latency,
        status=IncidentStatus.IDENTIFIED,
        body="Replica rebuilt.",
        actor=ACTOR,
        now=now + timedelta(seconds=1),
    )
    after, feed = fetch(client, "/history.atom")
    assert after.headers["ETag"] != first.headers["ETag"]
    before_ids = [e.id for e in feedparser.parse(first.data).entries]
    assert [e.id for e in feed.entries] == before_ids
    assert strongs(raw_contents(after)["Database latency"])[0] == "Update"
    latency = next(e for e in feed.entries if e.title == "Database latency")
    assert datetime(*latency.updated_parsed[:6], tzinfo=UTC) == now + timedelta(seconds=1)
    assert datetime(*feed.feed.updated_parsed[:6], tzinfo=UTC) == now + timedelta(seconds=1)


@pytest.mark.parametrize(
    "path",
    [
        "/history.atom",
        "/history.rss",
        "/components/{api}/history.atom",
        "/components/{api}/history.rss",
        "/components/{database}/history.atom",
        "/components/{database}/history.rss",
    ],
)
def test_nothing_internal_or_unpublished_reaches_a_feed(client, page, path):
    response, _ = fetch(client, path.format(api=page.api.id, database=page.database.id))
    text = response.data.decode()
    for secret in SECRETS:
        assert secret not in text, (path, secret)
    for notice in (page.internal_incident, page.internal_window):
        assert notice.id not in text


def test_component_feeds_hold_only_that_components_notices(client, page):
    for component, expected in [
        (page.api, [page.active_window, page.api_errors, page.done_window]),
        (
            page.database,
            [page.future_window, page.cancelled_window, page.db_latency, page.old_window],
        ),
    ]:
        expected = sorted(expected, key=announced, reverse=True)
        for fmt in ("atom", "rss"):
            path = f"/components/{component.id}/history.{fmt}"
            response, feed = fetch(client, path)
            assert [e.id for e in feed.entries] == [entry_id_of(n) for n in expected], path
            assert feed.feed.title == f"Status - {component.full_name} History"
            assert feed.feed.link == f"{BASE_URL}/history?component={component.id}"
            self_links = [link.href for link in feed.feed.links if link.rel == "self"]
            assert self_links == [f"{BASE_URL}{path}"]
    atom = fetch(client, f"/components/{page.api.id}/history.atom")[1]
    assert atom.feed.id == f"tag:status.example.com,2005:/components/{page.api.id}/history"


def test_component_feeds_404_for_unknown_or_hidden_components(client, page):
    from statuspage.services.components import tree as components

    archived = components.create_component(name="Old", actor=ACTOR)
    components.archive_component(archived, actor=ACTOR)
    for component_id in (page.hidden.id, archived.id, "zzzzzzzzzzzz", "nope"):
        for fmt in ("atom", "rss", "json"):
            assert client.get(f"/components/{component_id}/history.{fmt}").status_code == 404
    assert client.get("/history.xml").status_code == 404


@pytest.mark.config(FEED_ITEMS=3)
def test_feed_items_limits_the_entries(client, page):
    _, feed = fetch(client, "/history.rss")
    assert [e.title for e in feed.entries] == [
        n.name for n in page.public_notices_newest_first()[:3]
    ]


def test_a_recurring_rule_announces_only_its_next_window(client, now):
    from statuspage.enums import Visibility
    from statuspage.services.notices import recurrence

    rule = recurrence.create_recurrence(
        name="Daily patching",
        body="Patching.",
        rule="FREQ=DAILY",
        first_start=now + timedelta(days=1),
        timezone="UTC",
        duration_minutes=30,
        components=[],
        visibility=Visibility.PUBLIC,
        auto_start=True,
        auto_complete=True,
        remind_minutes=None,
        start_message="",
        complete_message="",
        actor=ACTOR,
        now=now,
    )
    assert len(rule.occurrences) > 10
    _, feed = fetch(client, "/history.atom")
    first = min(rule.occurrences, key=lambda m: m.scheduled_for)
    assert [e.id for e in feed.entries] == [entry_id_of(first)]


def test_an_empty_feed_is_still_valid(client):
    for path in FEEDS:
        _, feed = fetch(client, path)
        assert feed.entries == [] and feed.feed.updated_parsed


def test_queries_do_not_grow_with_the_number_of_entries(client, page, count_queries, make_incident):
    with count_queries() as before:
        fetch(client, "/history.atom")
    for n in range(5):
        incident = make_incident(name=f"More {n}")
        incidents.resolve_incident(incident, body="Done.", actor=ACTOR)
    cache.clear()
    with count_queries() as after:
        _, feed = fetch(client, "/history.atom")
    assert len(feed.entries) == 13
    assert len(after) == len(before)


@pytest.mark.parametrize("path", FEEDS + ["/components/{api}/history.atom"])
def test_feeds_are_cached_and_answer_304(client, page, path):
    path = path.format(api=page.api.id)
    response = client.get(path)
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"v\d+"', etag)  # not time sensitive: no minute in the validator
    assert response.headers["Last-Modified"].endswith("GMT")
    control = response.headers["Cache-Control"]
    assert "public" in control and "max-age=" in control
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def autodiscovery(text):
    tree = html.fromstring(text)
    return {
        link.get("type"): link.get("href") for link in tree.xpath("//head/link[@rel='alternate']")
    }


def test_autodiscovery_on_public_pages(client, page):
    paths = [
        "/",
        f"/incidents/{page.api_errors.id}",
        f"/maintenance/{page.future_window.id}",
        "/history",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        links = autodiscovery(response.text)
        assert links["application/atom+xml"] == "/history.atom", path
        assert links["application/rss+xml"] == "/history.rss", path
        header = html.fromstring(response.text).xpath("//header[@class='site-header']//a/@href")
        assert {"/history.atom", "/history.rss", "/maintenance.ics"} <= set(header), path
        for href in links.values():
            assert client.get(href).status_code == 200


def test_component_history_advertises_the_component_feeds(client, page):
    response = client.get(f"/history?component={page.api.id}")
    tree = html.fromstring(response.text)
    hrefs = tree.xpath("//head/link[@rel='alternate']/@href")
    assert f"/components/{page.api.id}/history.atom" in hrefs
    assert f"/components/{page.api.id}/history.rss" in hrefs
    assert f"/components/{page.api.id}/history.atom" in tree.xpath("//main//a/@href")


def test_internal_pages_do_not_advertise_public_feeds(client, page, login_as):
    from statuspage.enums import Role

    login_as(Role.VIEWER)
    assert autodiscovery(client.get("/internal").text) == {}


def test_an_upcoming_window_is_published_when_announced_not_at_its_start(
    client, now, make_component, make_incident
):
    api = make_component(name="API")
    announced_at = now - timedelta(hours=2)
    # Ten in the morning: a window that crosses midnight is written with both dates.
    start = (now + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    window = maintenance.schedule_maintenance(
        name="Kernel upgrade",
        body="Rebooting.",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        actor=ACTOR,
        now=announced_at,
    )
    incident = make_incident({api: ComponentStatus.DEGRADED_PERFORMANCE}, name="Slow API")
    for path in FEEDS:
        response, feed = fetch(client, path)
        assert [e.title for e in feed.entries] == [incident.name, window.name], path
        entry = feed.entries[1]
        assert datetime(*entry.published_parsed[:6], tzinfo=UTC) == announced_at
        content = raw_contents(response)[window.name]
        assert content.startswith(
            f"<p><strong>THIS IS A SCHEDULED EVENT {start:%b} <var data-var='date'>{start.day}"
            f"</var>, <var data-var='time'>{start:%H:%M}</var> - <var data-var='time'>"
            f"{start + timedelta(hours=2):%H:%M}</var> UTC</strong></p>"
        ), content


def test_atom_puts_the_alternate_link_before_self_as_statuspage_does(client, page):
    response, feed = fetch(client, "/history.atom")
    rels = [link.get("rel") for link in etree.fromstring(response.data).findall(f"{ATOM}link")]
    assert rels == ["alternate", "self"]
    assert [link.rel for link in feed.feed.links] == ["alternate", "self"]
    assert feed.feed.link == f"{BASE_URL}/"


@pytest.mark.parametrize(
    "page_name,title",
    [
        ("Status", "Status"),
        ("Acme", "Acme Status"),
        ("Acme status", "Acme status"),
        ("Statusfy", "Statusfy Status"),
    ],
)
def test_the_page_title_never_doubles_status(page_name, title):
    settings = SiteSettings(page_name=page_name, page_id="p", base_url=BASE_URL, timezone="UTC")
    assert feed_title(settings) == f"{title} - Incident History"
    assert ical.calendar_name(settings) == f"{title} - Scheduled Maintenance"


def test_the_default_page_name_reads_status_once_in_feeds_and_pages(client):
    _, feed = fetch(client, "/history.atom")
    assert feed.feed.title == "Status - Incident History"
    tree = html.fromstring(client.get("/").data)
    titles = tree.xpath("//head/link[@rel='alternate']/@title")
    assert titles and not any("Status Status" in t for t in titles)
