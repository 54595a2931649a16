"""The maintenance calendar, parsed back with the icalendar library as a calendar app would."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus
from statuspage.extensions import cache
from statuspage.services.notices import maintenance
from tests.conftest import ACTOR
from tests.seed_feeds import BASE_URL, SECRETS, RichPage, seed_rich_page

pytestmark = pytest.mark.config(BASE_URL=BASE_URL)
PATH = "/maintenance.ics"


@pytest.fixture
def now() -> datetime:
    """The real clock: the calendar keeps windows closed in the last 30 days of it."""
    return utcnow().replace(microsecond=0)


@pytest.fixture
def page(app, now) -> RichPage:
    return seed_rich_page(now)


def fetch(client):
    response = client.get(PATH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response, Calendar.from_ical(response.data)


def events(calendar):
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(window):
    return f"{window.id}@status.example.com"


def test_calendar_holds_upcoming_and_recent_public_windows(client, page):
    response, calendar = fetch(client)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Status - Scheduled Maintenance"
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")
    expected = [page.done_window, page.active_window, page.cancelled_window, page.future_window]
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [uid(w) for w in expected]
    assert uid(page.old_window) not in events(calendar)  # completed 40 days ago


def test_events_carry_the_window_in_utc(client, page):
    response, calendar = fetch(client)
    found = events(calendar)
    for window in (page.done_window, page.active_window, page.cancelled_window, page.future_window):
        event = found[uid(window)]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
        assert (start, end) == (window.scheduled_for, window.scheduled_until)
        assert event.decoded("DTSTAMP") == window.updated_at
        assert event.decoded("LAST-MODIFIED") == window.updated_at
        assert int(event["SEQUENCE"]) == window.sequence
        assert str(event["SUMMARY"]) == window.name
        url = f"{BASE_URL}/maintenance/{window.id}"
        assert str(event["URL"]) == url
        assert str(event["DESCRIPTION"]) == f"{window.name}: expect short interruptions.\n\n{url}"
    text = response.data.decode()
    assert re.search(rf"DTSTART:{page.future_window.scheduled_for:%Y%m%dT%H%M%S}Z\r\n", text)
    assert "TZID" not in text


def test_status_is_confirmed_or_cancelled(client, page):
    found = events(fetch(client)[1])
    assert str(found[uid(page.cancelled_window)]["STATUS"]) == "CANCELLED"
    for window in (page.done_window, page.active_window, page.future_window):
        assert str(found[uid(window)]["STATUS"]) == "CONFIRMED"


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence(client, page, now):
    before = events(fetch(client)[1])[uid(page.future_window)]
    start = now + timedelta(days=4)
    maintenance.reschedule_maintenance(
        page.future_window,
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=3),
        body="Moved a day later.",
        actor=ACTOR,
        now=now + timedelta(seconds=5),
    )
    after = events(fetch(client)[1])[uid(page.future_window)]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART") == start
    assert after.decoded("DTEND") == start + timedelta(hours=3)
    assert after.decoded("DTSTAMP") == now + timedelta(seconds=5)
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")


def test_a_cancelled_window_stays_with_status_cancelled(client, page, now):
    maintenance.cancel_maintenance(
        page.future_window, body="Not needed.", actor=ACTOR, now=now + timedelta(seconds=5)
    )
    event = events(fetch(client)[1])[uid(page.future_window)]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) >= 1


def test_uids_are_stable_and_output_deterministic(client, page):
    first = fetch(client)[0]
    cache.clear()
    second = fetch(client)[0]
    assert second.data == first.data


def test_nothing_internal_or_unpublished_reaches_the_calendar(client, page):
    text = fetch(client)[0].data.decode()
    unfolded = text.replace("\r\n ", "")
    for secret in SECRETS:
        assert secret not in unfolded, secret
    assert page.internal_window.id not in unfolded


def test_calendar_is_cached_and_answers_304(client, page):
    response = client.get(PATH)
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"v\d+"', etag)
    assert response.headers["Last-Modified"].endswith("GMT")
    assert "public" in response.headers["Cache-Control"]
    again = client.get(PATH, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_the_page_links_the_calendar(client, page):
    text = client.get("/").text
    assert 'href="/maintenance.ics"' in text
    maintenance_section = text.split('id="maintenance-title"', 1)[1].split("</section>", 1)[0]
    assert 'href="/maintenance.ics"' in maintenance_section


def test_an_empty_calendar_is_valid(client):
    _, calendar = fetch(client)
    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"


def test_recent_means_closed_in_the_last_30_days(client, make_maintenance, now):
    def closed(days_ago):
        start = now - timedelta(days=days_ago, hours=2)
        window = make_maintenance(
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=2),
            now=start - timedelta(days=1),
        )
        maintenance.start_maintenance(window, at=start, actor=ACTOR, now=start)
        end = now - timedelta(days=days_ago)
        maintenance.complete_maintenance(window, at=end, actor=ACTOR, now=end)
        return window

    recent, old = closed(29), closed(31)
    found = events(fetch(client)[1])
    assert uid(recent) in found and uid(old) not in found


def test_the_calendar_is_no_itip_message(client, page):
    """METHOD:PUBLISH needs an ORGANIZER in every event (RFC 5546), which libical checks."""
    response, calendar = fetch(client)
    assert "METHOD" not in calendar
    assert b"METHOD:" not in response.data
    for event in calendar.walk("VEVENT"):
        assert "ORGANIZER" not in event


def test_dtstamp_is_the_last_change_of_the_window_not_the_request_time(
    client, page, make_component, make_incident
):
    _, calendar = fetch(client)
    before = {u: e.decoded("DTSTAMP") for u, e in events(calendar).items()}
    assert before[uid(page.future_window)] == page.future_window.updated_at
    make_incident({make_component(name="Other"): ComponentStatus.MAJOR_OUTAGE})  # a later write
    cache.clear()
    _, calendar = fetch(client)
    after = {u: e.decoded("DTSTAMP") for u, e in events(calendar).items()}
    assert after == before
