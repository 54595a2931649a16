"""The maintenance calendar (RFC 5545), built with the icalendar library.

Like the feeds, it takes windows the read services already filtered for one audience and never
queries; every value comes from the data, so one page version always renders the same bytes.
A calendar app matches events by UID and keeps the one with the highest SEQUENCE, so a moved
window moves in the reader's calendar and a cancelled one (STATUS:CANCELLED) disappears.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from icalendar import Event

from statuspage.enums import Audience, MaintenanceStatus
from statuspage.feeds import tag_host
from statuspage.markdown import render_plain
from statuspage.models import Maintenance
from statuspage.services.page.view_models import NoticeView
from statuspage.services.site.settings import SiteSettings
from statuspage.templating import notice_url

CONTENT_TYPE = "text/calendar; charset=utf-8"
#: How often subscribed calendar apps should fetch again (RFC 7986, and Outlook's name for it).
REFRESH = timedelta(hours=1)


def calendar_name(settings: SiteSettings) -> str:
    """The name calendar apps show for the subscription."""
    return f"{settings.status_title} - Scheduled Maintenance"


def _utc(moment: datetime) -> datetime:
    """iCalendar wants whole seconds; UTC ("Z") needs no VTIMEZONE block."""
    return moment.astimezone(UTC).replace(microsecond=0)


def describe_window(view: NoticeView, url: str) -> str:
    """Plain text of the announcement (the first visible update) and the permalink."""
    first = view.updates[-1].update if view.updates else None
    text = render_plain(first.body) if first is not None else ""
    return f"{text}\n\n{url}" if text else url


def build_event(view: NoticeView, *, audience: Audience, host: str) -> Event:
    """One VEVENT for one window, its UID stable for the window's whole life."""
    window = cast(Maintenance, view.notice)  # the calendar reads maintenance views only
    assert window.scheduled_for is not None and window.scheduled_until is not None
    url = notice_url(window, audience, external=True)
    cancelled = window.status is MaintenanceStatus.CANCELLED
    from icalendar import (
        Event,  # imported when used: a web worker never needs it (bench/read_side.py, RSS)
    )

    event = Event()
    event.add("uid", f"{window.id}@{host}")
    # DTSTAMP: when the event last changed for its readers, never the time of the request.
    event.add("dtstamp", _utc(window.updated_at))
    event.add("last-modified", _utc(window.updated_at))
    event.add("sequence", window.sequence or 0)
    event.add("dtstart", _utc(window.scheduled_for))
    event.add("dtend", _utc(window.scheduled_until))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", window.name)
    event.add("description", describe_window(view, url))
    event.add("url", url)
    return event


def build_calendar(
    windows: Sequence[NoticeView], *, audience: Audience, settings: SiteSettings
) -> bytes:
    """The whole calendar for *windows* (already filtered for *audience*)."""
    host = tag_host(settings)
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", f"-//{settings.page_name}//Status page maintenance//EN")
    calendar.add("calscale", "GREGORIAN")
    # No METHOD: a subscribed calendar is not an iTIP message, and METHOD:PUBLISH without an
    # ORGANIZER fails libical's iTIP check (RFC 5546 requires one for PUBLISH).
    calendar.add("x-wr-calname", calendar_name(settings))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for view in windows:
        calendar.add_component(build_event(view, audience=audience, host=host))
    return calendar.to_ical()
