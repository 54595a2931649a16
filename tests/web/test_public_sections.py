"""The public page's sections, the incident page and the history, through the client."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from lxml import html

from statuspage.enums import ComponentStatus, Impact, IncidentStatus, Visibility
from statuspage.services.notices import incidents, timeline
from tests.conftest import ACTOR

S = ComponentStatus


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def incident_between(make_incident, components, start, end, name, **kw):
    incident = make_incident(components, name=name, now=start, **kw)
    incidents.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body=f"{name}: cause found.",
        actor=ACTOR,
        now=start + (end - start) / 2,
    )
    incidents.resolve_incident(incident, body=f"{name}: fixed.", actor=ACTOR, now=end)
    return incident


def test_past_incidents_list_each_of_the_last_seven_days(client, make_component, make_incident):
    api = make_component(name="API")
    now = datetime.now(UTC)
    incident_between(
        make_incident,
        {api: S.MAJOR_OUTAGE},
        now - timedelta(days=2, hours=1),
        now - timedelta(days=2),
        "Two days ago",
    )
    incident_between(
        make_incident,
        {api: S.MAJOR_OUTAGE},
        now - timedelta(days=9, hours=1),
        now - timedelta(days=9),
        "Too old for the page",
    )
    page = html.fromstring(client.get("/").text)
    (past,) = page.xpath('//section[@aria-labelledby="past-title"]')
    days = past.xpath('./section[@class="day"]')
    assert len(days) == 7
    assert [d.text_content().count("No incidents reported.") for d in days].count(1) == 6
    text = past.text_content()
    assert "Two days ago" in text and "Too old for the page" not in text
    assert "Two days ago: cause found." in text and "Two days ago: fixed." in text
    assert {"Resolved", "Identified"} <= {s.text_content() for s in past.iter("strong")}


@pytest.mark.config(TIMEZONE="Asia/Tokyo")
def test_every_time_states_its_zone(client, make_component, make_incident):
    make_incident({make_component(): S.MAJOR_OUTAGE}, name="Tokyo")
    page = client.get("/").text
    times = re.findall(r"<time datetime=\"[^\"]+Z\" data-local=\"\w+\">([^<]+)</time>", page)
    assert times and all(t.endswith("JST") for t in times), times
    assert "Times are shown in Asia/Tokyo" in page


def test_uptime_bars_carry_labels_and_the_percentage(client, make_component, now):
    make_component(name="API", start_date=date(2026, 1, 1))
    make_component(name="No bars", showcase=False)
    text = client.get("/").text
    page = html.fromstring(text)

    def row(name):
        (found,) = page.xpath(f'//li[@class="component"][.//span[@class="name"]="{name}"]')
        return found

    (bars,) = row("API").xpath('.//svg[@class="bars"]')
    assert bars.get("viewbox", bars.get("viewBox")) == "0 0 90 1"
    assert "uptime" in row("API").text_content()
    # Ninety quiet days are one segment of one path, not ninety elements.
    assert [(p.get("class"), p.get("d")) for p in bars.xpath("./path")] == [("o", "M0 .5h90")]
    today = date.fromisoformat(bars.get("data-first")) + timedelta(days=89)
    assert abs(today - datetime.now(UTC).date()) <= timedelta(days=1)  # the site's zone's today
    assert bars.get("aria-label") == "Daily status of API, oldest first"
    assert row("No bars").xpath('.//svg[@class="bars"]') == []
    assert "How uptime is computed" in text


def test_groups_are_collapsible_and_open_when_degraded(
    client, make_group, make_component, make_incident
):
    calm = make_group(name="Calm group")
    make_component(group=calm)
    busy = make_group(name="Busy group", description="Things that break")
    broken = make_component(group=busy, description="Shown on demand")
    make_incident({broken: S.PARTIAL_OUTAGE})
    page = client.get("/").text
    assert re.search(r"<details>\s*<summary>\s*<span class=\"name\">Calm group", page)
    assert re.search(r"<details open>\s*<summary>\s*<span class=\"name\">Busy group", page)
    assert '<details class="about">' in page and "Shown on demand" in page


def test_incident_page_shows_the_whole_story(client, make_component, make_incident):
    api = make_component(name="API")
    start, end = utc("2026-11-10T09:00"), utc("2026-11-10T11:15")
    incident = incident_between(
        make_incident, {api: S.MAJOR_OUTAGE}, start, end, "Outage", impact=Impact.CRITICAL
    )
    page = client.get(f"/incidents/{incident.id}").text
    assert '<h1 id="incident-title">Outage</h1>' in page
    statuses = re.findall(r'<strong class="update-status">(\w+)</strong>', page)
    assert statuses == ["Resolved", "Identified", "Investigating"]  # newest first
    assert "10 Nov 2026, 09:00 UTC" in page and "10 Nov 2026, 11:15 UTC" in page
    assert "2 h 15 min" in page and " ago" not in page  # the script writes "3 d ago"
    assert '<span class="relative" data-relative="2026-11-10T09:00:00Z" hidden></span>' in page
    assert f"http://127.0.0.1:5000/incidents/{incident.id}" in page  # permalink
    (affected,) = html.fromstring(page).xpath('//ul[@class="affected-components"]/li')
    assert affected.xpath('./span[@class="name"]')[0].text_content() == "API"
    assert "Major outage" in affected.text_content() and "Operational" in affected.text_content()


def test_internal_updates_and_notes_stay_off_the_public_incident_page(client, make_incident):
    incident = make_incident(name="Mixed")
    timeline.add_note(incident, body="Secret note", actor=ACTOR)
    incidents.post_update(
        incident,
        status=IncidentStatus.INVESTIGATING,
        body="Staff only update",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
    )
    page = client.get(f"/incidents/{incident.id}").text
    assert "Secret note" not in page and "Staff only update" not in page


def test_history_by_month_with_navigation_pagination_and_component_filter(
    client, make_component, make_incident
):
    api, web = make_component(name="API"), make_component(name="Web")
    for day in range(1, 26):
        start = utc(f"2026-10-{day:02d}T08:00")
        target = api if day % 2 else web
        incident_between(
            make_incident,
            {target: S.DEGRADED_PERFORMANCE},
            start,
            start + timedelta(hours=1),
            f"October {day}",
        )
    page = client.get("/history?month=2026-10").text
    assert "October 2026" in page and "25 entries in October 2026" in page
    assert "Page 1 of 2" in page and "October 25" in page and "October 1<" not in page
    second = client.get("/history?month=2026-10&page=2").text
    assert "October 1<" in second or "October 1</a>" in second
    assert 'href="/history?month=2026-09"' in page and 'href="/history?month=2026-11"' in page
    quiet = client.get("/history?month=2026-09").text
    assert "No incidents or maintenance in September 2026." in quiet
    filtered = client.get(f"/history?month=2026-10&component={web.id}").text
    assert "12 entries in October 2026" in filtered and "October 2<" in filtered.replace(
        "</a>", "<"
    )
    assert "History" in filtered and "Show all components" in filtered


def test_history_defaults_to_the_current_month(client):
    page = client.get("/history").text
    assert datetime.now(UTC).strftime("%B %Y") in page
