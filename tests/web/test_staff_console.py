"""The staff console above /internal: open incidents by priority with their clocks, commander,
last public update age and overdue flags; assigned to me; maintenance of today and tomorrow;
recent automation; the merged internal timeline. Viewers read it all but act on nothing."""

import re
from datetime import timedelta

from statuspage.database import utcnow
from statuspage.enums import (
    ComponentStatus,
    Impact,
    IncidentRole,
    IncidentStatus,
    Role,
    StatusCause,
    Urgency,
    Via,
    Visibility,
)
from statuspage.services.components import tree
from statuspage.services.notices import incidents, maintenance, timeline
from statuspage.services.response import priority, roles
from statuspage.services.unit import Actor
from statuspage.templating import iso
from tests.conftest import ACTOR


def console_of(page: str) -> str:
    return re.search(r'<section class="console".*?</section>\s*</section>', page, re.S).group(0)


def test_open_incidents_are_sorted_by_priority_with_their_clocks(client, login_as, make_user):
    viewer = login_as(Role.VIEWER)
    now = utcnow()
    minor = incidents.open_incident(
        name="Minor blip",
        body="b",
        impact=Impact.MINOR,
        urgency=Urgency.LOW,
        actor=ACTOR,
        now=now - timedelta(minutes=30),
    )
    big = incidents.open_incident(
        name="Checkout down",
        body="b",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        actor=ACTOR,
        now=now - timedelta(minutes=40),
    )
    commander = make_user(Role.EDITOR, name="Casey Commander")
    roles.assign_role(big, IncidentRole.COMMANDER, commander, actor=ACTOR)
    roles.assign_role(minor, IncidentRole.RESPONDER, viewer, actor=ACTOR)
    page = client.get("/internal").text
    console = console_of(page)
    assert console.index("Checkout down") < console.index("Minor blip")  # P1 before P4
    item = re.search(
        r'<li class="console-incident[^"]*" id="console-' + big.id + r'".*?</li>\s*(?=<li|</ul>)',
        console,
        re.S,
    ).group(0)
    assert "console-breached" in item  # P1: acknowledge within 5 minutes, 40 minutes ago
    assert "Not acknowledged" in item and "Casey Commander" in item
    # Opened 40 minutes ago with a public update then: the 30-minute cadence is overdue.
    # The page says when, the script how long ago (the HTML never depends on the minute).
    opened = iso(big.started_at)
    assert "Update overdue" in item and " ago" not in item
    assert f'Last public update: <time datetime="{opened}"' in item
    assert f'<span class="relative" data-relative="{opened}" hidden></span>' in item
    for label in ("Acknowledge", "First public update", "Next public update", "Resolve"):
        assert label in item
    # Acknowledge was due 5 minutes in: overdue since then (sla-clocks.js says by how much).
    due = iso(big.started_at + timedelta(minutes=5))
    assert f'overdue since <time datetime="{due}"' in item and "overdue by" not in item
    # Assigned to me: the viewer responds to the minor one only.
    mine = re.search(r'id="console-mine-title".*?</section>', console, re.S).group(0)
    assert "Minor blip" in mine and "Checkout down" not in mine
    # A viewer reads; the incident links go to the internal page, not the admin.
    assert f"/internal/incidents/{big.id}" in console and "/admin/incidents/" not in console
    assert "<form" not in console


def test_editors_get_links_to_run_the_incident(client, login_as):
    login_as(Role.EDITOR)
    incident = incidents.open_incident(name="Errors", body="b", actor=ACTOR)
    console = console_of(client.get("/internal").text)
    assert f"/admin/incidents/{incident.id}" in console


def test_maintenance_in_the_next_day_and_recent_automation(client, login_as, make_component):
    login_as(Role.VIEWER)
    now = utcnow()
    api = make_component(name="API")
    soon = maintenance.schedule_maintenance(
        name="DB upgrade",
        body="b",
        scheduled_for=now + timedelta(hours=3),
        scheduled_until=now + timedelta(hours=4),
        components=[api],
        actor=ACTOR,
        now=now,
    )
    maintenance.schedule_maintenance(
        name="Far away",
        body="b",
        scheduled_for=now + timedelta(days=3),
        scheduled_until=now + timedelta(days=3, hours=1),
        components=[api],
        actor=ACTOR,
        now=now,
    )
    robot = Actor(user_id=None, label="monitor", via=Via.API)
    tree.set_component_status(
        api, ComponentStatus.MAJOR_OUTAGE, cause=StatusCause.AUTOMATION, actor=robot
    )
    console = console_of(client.get("/internal").text)
    maint = re.search(r'id="console-maint-title".*?</section>', console, re.S).group(0)
    assert "DB upgrade" in maint and "Far away" not in maint and soon.id in maint
    auto = re.search(r'id="console-auto-title".*?</section>', console, re.S).group(0)
    assert "API operational → major outage" in auto and "monitor" in auto


def test_assigned_to_me_is_per_user_though_the_page_is_cached(client, login_as, make_user):
    first = login_as(Role.VIEWER)
    incident = incidents.open_incident(name="Mine", body="b", actor=ACTOR)
    roles.assign_role(incident, IncidentRole.RESPONDER, first, actor=ACTOR)
    page = client.get("/internal")
    assert "Nothing is assigned to you." not in console_of(page.text)
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(Role.VIEWER)
    again = client.get("/internal", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 200
    assert "Nothing is assigned to you." in console_of(again.text)


def test_the_internal_timeline_merges_everything_in_time_order(client, login_as, make_component):
    login_as(Role.VIEWER)
    now = utcnow() - timedelta(hours=1)
    api = make_component(name="API")
    incident = incidents.open_incident(
        name="Errors",
        body="Opening words.",
        components={api: ComponentStatus.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=now,
    )
    timeline.add_note(
        incident, body="A note for staff.", actor=ACTOR, now=now + timedelta(minutes=1)
    )
    priority.set_urgency(incident, Urgency.HIGH, actor=ACTOR, now=now + timedelta(minutes=2))
    roles.acknowledge_incident(
        incident, user=make_user_like(), actor=ACTOR, now=now + timedelta(minutes=3)
    )
    incidents.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Found it.",
        visibility=Visibility.PUBLIC,
        components={api: ComponentStatus.DEGRADED_PERFORMANCE},
        actor=ACTOR,
        now=now + timedelta(minutes=4),
    )
    page = client.get(f"/internal/incidents/{incident.id}").text
    section = re.search(r'id="internal-timeline-title".*?</ol>', page, re.S).group(0)
    order = [
        "API: Partial outage → Degraded performance",
        "Found it.",
        "Acknowledged by",
        "Priority P3 → P2",
        "Urgency medium → high",
        "A note for staff.",
        "API: Operational → Partial outage",
        "Opening words.",
    ]
    positions = [section.index(text) for text in order]
    assert positions == sorted(positions)
    assert "SLA targets for P2" in page


def make_user_like():
    from statuspage.services.accounts import users
    from tests.conftest import PASSWORD

    return users.create_user(
        email="acker@example.com", password=PASSWORD, role=Role.EDITOR, actor=ACTOR
    )


def test_the_admin_dashboard_shows_each_open_incident_with_its_clocks(client, login_as):
    login_as(Role.EDITOR)
    now = utcnow()
    incidents.open_incident(
        name="Slow", body="b", impact=Impact.MINOR, urgency=Urgency.LOW, actor=ACTOR, now=now
    )
    incidents.open_incident(
        name="Down",
        body="b",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        actor=ACTOR,
        now=now - timedelta(minutes=6),
    )
    page = client.get("/admin/").text
    section = re.search(r'id="open-title".*?</section>', page, re.S).group(0)
    assert section.index("Down") < section.index("Slow")
    assert section.count('<table class="sla-clocks"') == 2
    assert "overdue by 1 min" in section and "js/sla-clocks.js" in page


def test_the_console_reads_a_bounded_number_of_queries(client, login_as, make_user, count_queries):
    """Ten open incidents with people on them cost the console what two do."""
    login_as(Role.VIEWER)

    def open_some(count: int) -> None:
        for n in range(count):
            incident = incidents.open_incident(name=f"I{n}", body="b", actor=ACTOR)
            roles.set_roles(
                incident,
                commander=make_user(),
                comms_lead=make_user(),
                responders=[make_user()],
                actor=ACTOR,
            )
            roles.acknowledge_incident(incident, user=make_user(), actor=ACTOR)

    open_some(2)
    with count_queries() as small:  # the first render after a write: nothing cached
        assert client.get("/internal").status_code == 200
    open_some(8)
    with count_queries() as large:
        assert client.get("/internal").status_code == 200
    assert len(large) == len(small), large
