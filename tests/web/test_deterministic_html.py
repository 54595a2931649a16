"""The same data renders the same bytes: every public page (and every staff page under
/internal) at two moments of one day gives identical bodies, ETags and Last-Modified; a write
changes them, so does the page's local midnight, and while a component is not operational the
pages showing uptime move only at the uptime boundary (docs/architecture.md, "Deterministic
pages").

The clock is set through `statuspage.database.set_clock`, the one clock the app reads; each
snapshot empties the body cache and sends a cookie (so the WSGI replay layer stays out), so
every answer is rendered afresh at the moment under test.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from lxml import html

from statuspage.database import set_clock
from statuspage.enums import ComponentStatus, Impact, Role, Urgency
from statuspage.extensions import cache, db
from statuspage.models import Component, Incident
from statuspage.services.components import tree as components
from statuspage.services.notices import incidents
from tests.conftest import ACTOR
from tests.web.test_permissions import url_for_route

S = ComponentStatus
#: Outside the reader's pages: staff tools, sign-in, the management API.
STAFF_ONLY = ("/admin", "/api/manage", "/login", "/logout", "/account")
#: The signed CSRF token of a form carries its own time: per reader, never in a shared cache.
CSRF = re.compile(rb'(name="csrf_token" type="hidden" value=")[^"]+"')


class Clock:
    """What `utcnow` returns while a test runs."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(app) -> Iterator[Clock]:
    frozen = Clock()
    set_clock(frozen)
    yield frozen
    set_clock(None)


def reader_urls(app, objects, *, internal: bool = False) -> list[str]:
    """Every GET URL of the public blueprint and the JSON API, with real objects in its
    variables: the public ones, or the staff pages under /internal."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.rule.startswith(STAFF_ONLY) or rule.rule.startswith("/internal") != internal:
            continue
        if internal and not rule.endpoint.startswith("public."):
            continue  # the token-read feeds and JSON: not pages
        urls.append(url_for_route(app, rule.endpoint, objects))
    return sorted(set(urls))


def snapshot(client, urls: list[str]) -> dict[str, tuple]:
    """(status, ETag, Last-Modified, body) of every URL, rendered now."""
    cache.clear()
    seen = {}
    for url in urls:
        with client.get(url, headers={"Cookie": "fresh=1"}) as response:
            body = CSRF.sub(rb'\1"', response.get_data())
            seen[url] = (
                response.status_code,
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
                body,
            )
    return seen


def is_html(entry: tuple) -> bool:
    return entry[3].lstrip().lower().startswith(b"<!doctype html")


def changed(before: dict, after: dict, part: int) -> set[str]:
    return {url for url in before if before[url][part] != after[url][part]}


def resolve(objects: dict, at: datetime) -> None:
    incident = db.session.get(Incident, objects["incident_id"])
    incidents.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=at)


#: The last 24 hours of response times end at the last half hour that is over (`Clock.CHART`).
CHART_PAGES = {"/response-times"}


def test_every_page_renders_the_same_bytes_all_day(app, client, clock, route_objects):
    """A quiet page (every component operational) at 13:05 and 23:59 of one day: identical
    answers everywhere, and no relative phrase in any HTML."""
    resolve(route_objects, clock.at)
    urls = reader_urls(app, route_objects)
    urls.append("/no-such-page")  # the error page too
    clock.at = datetime(2026, 11, 12, 13, 5, tzinfo=UTC)
    before = snapshot(client, urls)
    clock.at = datetime(2026, 11, 12, 23, 59, 30, tzinfo=UTC)
    after = snapshot(client, urls)
    assert changed(before, after, 1) == CHART_PAGES and changed(before, after, 3) <= CHART_PAGES
    assert {url: before[url] for url in urls if url not in CHART_PAGES} == {
        url: after[url] for url in urls if url not in CHART_PAGES
    }
    pages = [url for url in urls if is_html(before[url])]
    assert len(pages) >= 10, pages
    assert before["/no-such-page"][0] == 404
    for url in pages:
        text = before[url][3].decode()
        assert not re.search(r"\d+ (min|h|d) ago|\bin \d+ (min|h|d)\b|just now|so far", text), url
    assert before["/"][1].startswith('"v') and "-d20261112" in before["/"][1]


def test_the_staff_pages_render_the_same_bytes_all_day(app, client, clock, login_as, route_objects):
    resolve(route_objects, clock.at)
    login_as(Role.VIEWER)
    urls = reader_urls(app, route_objects, internal=True)
    assert "/internal" in urls and len(urls) >= 4, urls
    clock.at = datetime(2026, 11, 12, 13, 5, tzinfo=UTC)
    before = snapshot(client, urls)
    clock.at = datetime(2026, 11, 12, 22, 40, tzinfo=UTC)
    assert snapshot(client, urls) == before
    pages = [url for url in urls if not url.endswith((".atom", ".rss"))]  # token readers
    assert all(before[url][0] == 200 and is_html(before[url]) for url in pages), pages


def test_a_write_changes_the_answers_at_once(app, client, clock, route_objects):
    resolve(route_objects, clock.at)
    urls = reader_urls(app, route_objects)
    clock.at = datetime(2026, 11, 12, 13, 5, tzinfo=UTC)
    before = snapshot(client, urls)
    clock.at = datetime(2026, 11, 12, 13, 6, tzinfo=UTC)
    component = db.session.get(Component, route_objects["component_id"])
    components.set_component_status(component, S.DEGRADED_PERFORMANCE, actor=ACTOR)
    after = snapshot(client, urls)
    ok = {url for url in urls if before[url][0] == 200 and (before[url][1] or "").startswith('"v')}
    assert changed(before, after, 1) >= ok  # every ETag: the page version moved
    assert {"/", "/api/v2/summary.json", "/api/v2/components.json"} <= changed(before, after, 3)
    assert "Degraded performance" in after["/"][3].decode()


@pytest.mark.config(TIMEZONE="America/New_York")
def test_the_pages_change_at_the_local_midnight(app, client, clock, route_objects):
    """New York's midnight is 05:00 UTC in November: the 90 days move on, the history's
    current day with them; the JSON, which shows no day, keeps its ETag."""
    resolve(route_objects, clock.at)
    urls = reader_urls(app, route_objects)
    clock.at = datetime(2026, 11, 13, 4, 50, tzinfo=UTC)  # 23:50 on the 12th there
    evening = snapshot(client, urls)
    clock.at = datetime(2026, 11, 13, 4, 59, tzinfo=UTC)
    late = snapshot(client, urls)
    assert {u: late[u] for u in urls if u not in CHART_PAGES} == {
        u: evening[u] for u in urls if u not in CHART_PAGES
    }
    clock.at = datetime(2026, 11, 13, 5, 10, tzinfo=UTC)  # 00:10 on the 13th
    morning = snapshot(client, urls)
    dated = {url for url in urls if "-d" in (evening[url][1] or "")}
    assert changed(evening, morning, 1) == dated
    assert {"/", "/history", "/uptime", "/uptime.json"} <= dated
    assert all("-d" not in (evening[url][1] or "") for url in urls if url.startswith("/api/"))
    assert "/" in changed(evening, morning, 3)
    assert "-d20261112" in evening["/"][1] and "-d20261113" in morning["/"][1]
    assert evening["/api/v2/summary.json"] == morning["/api/v2/summary.json"]
    tree = html.fromstring(morning["/"][3])
    assert tree.xpath('//svg[@class="bars"]/@data-first')[0] == "2026-08-16"  # 13 Nov, 90th day


def today_code(page: bytes) -> str:
    """The compact label (`DayBar.code`) of the last (today's) bar of the first uptime row."""
    tree = html.fromstring(page)
    codes = tree.xpath('(//div[@class="uptime"])[1]//details/@data-days')[0].split(";")
    (today,) = [code for code in codes if re.match(r"89\D", code)]
    return today


@pytest.mark.config(UPTIME_LIVE_MINUTES=15)
def test_during_an_outage_uptime_moves_at_its_boundary_only(app, client, clock, route_objects):
    """The route objects' incident holds a major outage since 12:00: the uptime pages count
    it to the last quarter hour (and say so in their ETag), every other page keeps the day."""
    urls = reader_urls(app, route_objects)
    clock.at = datetime(2026, 11, 12, 13, 1, tzinfo=UTC)
    first = snapshot(client, urls)
    clock.at = datetime(2026, 11, 12, 13, 14, tzinfo=UTC)
    assert snapshot(client, urls) == first  # one quarter hour: [13:00, 13:15), one half hour
    clock.at = datetime(2026, 11, 12, 13, 16, tzinfo=UTC)
    later = snapshot(client, urls)
    uptime_pages = {"/", "/uptime", "/uptime.json"}
    assert changed(first, later, 1) == changed(first, later, 3) == uptime_pages
    assert re.fullmatch(r"89m60r\d+", today_code(first["/"][3]))  # 1 h, and a related notice
    assert re.fullmatch(r"89m75r\d+", today_code(later["/"][3]))
    assert re.search(r"-t\d+", first["/"][1]) and "-t" not in first["/history"][1]
    assert first["/"][2] == "Thu, 12 Nov 2026 13:00:00 GMT"  # the boundary counted to
    # Resolved at 13:20, the exact interval is in the day rows: the day alone again.
    clock.at = datetime(2026, 11, 12, 13, 20, tzinfo=UTC)
    resolve(route_objects, clock.at)
    calm = snapshot(client, urls)
    assert "-t" not in calm["/"][1]
    assert re.fullmatch(r"89m80r\d+", today_code(calm["/"][3]))
    clock.at = datetime(2026, 11, 12, 21, 0, tzinfo=UTC)
    evening = snapshot(client, urls)
    assert {u: evening[u] for u in urls if u not in CHART_PAGES} == {
        u: calm[u] for u in urls if u not in CHART_PAGES
    }


def test_an_outage_colours_today_before_its_first_quarter_hour(app, client, clock, make_component):
    api = make_component(name="API")
    clock.at = datetime(2026, 11, 12, 13, 7, tzinfo=UTC)
    components.set_component_status(api, S.MAJOR_OUTAGE, actor=ACTOR)
    clock.at = datetime(2026, 11, 12, 13, 9, tzinfo=UTC)
    page = client.get("/").data
    tree = html.fromstring(page)
    (outage,) = tree.xpath('//svg[@class="bars"]/path[@class="m"]/@d')
    assert outage == "M89 .5h1"  # today, the 90th day
    assert today_code(page) == "89m0"  # spelled "12 Nov 2026 — major outage under 1 min"
    (worst,) = tree.xpath('//div[@class="uptime"]//li[@class="by-status"]')
    assert worst.text_content() == "Major outage: 12 Nov 2026"


def test_the_staff_incident_page_changes_at_its_sla_instants_only(
    app, client, clock, login_as, make_component
):
    """A P1 opened at 12:00 is due to be acknowledged at 12:05: its page is the same at 12:01
    and 12:02, and changes when a clock's warn or due instant passes (its state changes)."""
    api = make_component(name="API")
    incident = incidents.open_incident(
        components={api: S.MAJOR_OUTAGE},
        name="Checkout down",
        body="Looking.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        actor=ACTOR,
        now=clock.at,
    )
    login_as(Role.VIEWER)
    url = f"/internal/incidents/{incident.id}"
    moments = sorted(
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        for value in re.findall(r'data-(?:due|warn)="([^"]+)"', client.get(url).text)
    )
    first = next(m for m in moments if m > clock.at)
    clock.at = first - timedelta(seconds=50)
    before = snapshot(client, [url])[url]
    clock.at = first - timedelta(seconds=5)
    assert snapshot(client, [url])[url] == before
    clock.at = first + timedelta(seconds=5)
    after = snapshot(client, [url])[url]
    assert after[1] != before[1] and after[3] != before[3]
    assert re.search(r"-s\d+", after[1])
    assert b"min left" not in after[3] and b" ago" not in after[3]


def test_the_response_times_chart_moves_by_the_half_hour(app, client, clock, route_objects):
    resolve(route_objects, clock.at)
    clock.at = datetime(2026, 11, 12, 13, 31, tzinfo=UTC)
    first = snapshot(client, ["/response-times"])
    clock.at = datetime(2026, 11, 12, 13, 59, tzinfo=UTC)
    assert snapshot(client, ["/response-times"]) == first
    clock.at = datetime(2026, 11, 12, 14, 1, tzinfo=UTC)
    later = snapshot(client, ["/response-times"])
    assert later["/response-times"][1] != first["/response-times"][1]
    assert first["/response-times"][2] == "Thu, 12 Nov 2026 13:30:00 GMT"


def test_the_replay_layer_keeps_the_same_validators(
    app, client, clock, route_objects, count_queries
):
    """`cache_hits` replays an answer only while Flask would send the same ETag: within the
    day the replay, after midnight a fresh render with the next day's ETag."""
    resolve(route_objects, clock.at)
    clock.at = datetime(2026, 11, 12, 13, 5, tzinfo=UTC)
    rendered = client.get("/")
    clock.at = datetime(2026, 11, 12, 20, 0, tzinfo=UTC)
    with count_queries() as statements:
        replayed = client.get("/")
    assert len(statements) == 1  # the page state: replayed before Flask
    assert replayed.headers["ETag"] == rendered.headers["ETag"]
    assert replayed.data == rendered.data
    clock.at = datetime(2026, 11, 13, 0, 1, tzinfo=UTC)
    tomorrow = client.get("/")
    assert tomorrow.headers["ETag"] != rendered.headers["ETag"]
    assert "-d20261113" in tomorrow.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": rendered.headers["ETag"]})
    assert again.status_code == 200
