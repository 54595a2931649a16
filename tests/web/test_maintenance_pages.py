"""Maintenance and scheduled updates through the admin forms and on the public pages."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, IncidentStatus
from statuspage.extensions import db
from statuspage.models import IncidentUpdate, Maintenance, MaintenanceRecurrence
from statuspage.services.notices import incidents
from statuspage.services.notices.due_work import run_due_work
from tests.conftest import ACTOR


def only_maintenance():
    return db.session.scalars(sa.select(Maintenance)).one()


def local(moment, fmt="%Y-%m-%dT%H:%M"):
    return moment.strftime(fmt)


@pytest.mark.config(TIMEZONE="Europe/Berlin")
def test_schedule_from_the_form_in_the_page_time_zone(client, editor, make_component):
    api = make_component(name="API")
    start = (utcnow() + timedelta(days=3)).replace(hour=22, minute=0, second=0, microsecond=0)
    response = client.form(
        "/admin/maintenance/new",
        {
            "name": "Database upgrade",
            "body": "Upgrading **PostgreSQL**.",
            "visibility": "public",
            "scheduled_for": local(start),
            "scheduled_until": local(start + timedelta(hours=2)),
            "components": [api.id],
            "remind": "60",
            "auto_start": "y",
            "auto_complete": "y",
            "start_message": "Go.",
            "complete_message": "Done.",
            "deliver_notifications": "y",
        },
    )
    assert response.status_code == 302
    maintenance = only_maintenance()
    berlin_offset = (
        start.replace(tzinfo=UTC)
        .astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
        .utcoffset()
    )
    assert maintenance.scheduled_for == start.replace(tzinfo=UTC) - berlin_offset
    assert [c.id for c in maintenance.components] == [api.id]
    assert maintenance.remind_minutes == 60 and maintenance.start_message == "Go."
    page = client.get(response.headers["Location"]).text
    assert "Database upgrade" in page and "CET" in page or "CEST" in page


@pytest.mark.config(TIMEZONE="Europe/Berlin")
def test_a_time_the_clocks_skip_is_a_field_error(client, editor):
    response = client.form(
        "/admin/maintenance/new",
        {
            "name": "x",
            "body": "y",
            "visibility": "public",
            "remind": "",
            "scheduled_for": "2027-03-28T02:30",
            "scheduled_until": "2027-03-28T04:00",
        },
    )
    assert response.status_code == 422 and "does not exist in Europe/Berlin" in response.text


@pytest.mark.parametrize(
    "data,message",
    [
        ({"scheduled_for": "", "scheduled_until": ""}, "This field is required."),
        ({"scheduled_for": "tomorrow"}, "Not a valid datetime value."),
        ({"remind": "7"}, "Not a valid choice."),
        ({"scheduled_until": "2000-01-01T00:00"}, "must end after it starts"),
    ],
)
def test_invalid_maintenance_forms(client, editor, data, message):
    start = utcnow() + timedelta(days=1)
    form = {
        "name": "x",
        "body": "y",
        "visibility": "public",
        "remind": "",
        "scheduled_for": local(start),
        "scheduled_until": local(start + timedelta(hours=1)),
        **data,
    }
    response = client.form("/admin/maintenance/new", form)
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 0


def test_start_verify_complete_by_hand(client, editor, make_component, make_maintenance):
    api = make_component()
    maintenance = make_maintenance(
        [api],
        scheduled_for=utcnow() + timedelta(hours=1),
        scheduled_until=utcnow() + timedelta(hours=2),
        now=utcnow(),
    )
    url = f"/admin/maintenance/{maintenance.id}"
    assert client.form(f"{url}/start").status_code == 302
    assert only_maintenance().status_value == "in_progress"
    assert db.session.get(type(api), api.id).status is ComponentStatus.UNDER_MAINTENANCE
    response = client.form(
        f"{url}/updates", {"status": "verifying", "body": "Checking the replicas."}
    )
    assert response.status_code == 302 and only_maintenance().status_value == "verifying"
    bad = client.form(f"{url}/updates", {"status": "scheduled", "body": "back?"})
    assert bad.status_code == 422 and "Not a valid choice." in bad.text
    assert client.form(f"{url}/complete").status_code == 302
    assert only_maintenance().status_value == "completed"
    assert db.session.get(type(api), api.id).status is ComponentStatus.OPERATIONAL
    assert "This maintenance is completed" in client.get(url).text


def test_cancel_and_reschedule_from_the_page(client, editor, make_maintenance):
    maintenance = make_maintenance(
        scheduled_for=utcnow() + timedelta(hours=1),
        scheduled_until=utcnow() + timedelta(hours=2),
        now=utcnow(),
    )
    url = f"/admin/maintenance/{maintenance.id}"
    later = utcnow() + timedelta(days=2)
    response = client.form(
        f"{url}/reschedule",
        {
            "scheduled_for": local(later),
            "scheduled_until": local(later + timedelta(hours=3)),
            "body": "Moved by two days.",
        },
    )
    assert response.status_code == 302
    assert only_maintenance().scheduled_until - only_maintenance().scheduled_for == timedelta(
        hours=3
    )
    assert client.form(f"{url}/cancel", {"body": ""}).status_code == 422
    assert client.form(f"{url}/cancel", {"body": "Not needed after all."}).status_code == 302
    assert only_maintenance().status_value == "cancelled"
    assert client.form(f"{url}/start").status_code == 409


def test_edit_details_keeps_the_window(client, editor, make_component, make_maintenance):
    api, web = make_component(), make_component()
    maintenance = make_maintenance([api])
    page = client.get(f"/admin/maintenance/{maintenance.id}/edit").text
    assert f'value="{api.id}" id="component-{api.id}" checked' in page
    response = client.form(
        f"/admin/maintenance/{maintenance.id}/edit",
        {"name": "Renamed", "visibility": "public", "remind": "", "components": [web.id]},
    )
    assert response.status_code == 302
    assert [c.id for c in only_maintenance().components] == [web.id]
    assert only_maintenance().remind_minutes is None


def test_scheduled_update_is_invisible_until_published(
    client, editor, make_component, make_incident
):
    api = make_component(name="API")
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="Outage", now=utcnow())
    publish_at = utcnow() + timedelta(hours=1)
    response = client.form(
        f"/admin/incidents/{incident.id}/updates",
        {
            "status": "monitoring",
            "body": "Secret future words.",
            "visibility": "public",
            "publish_at": local(publish_at),
            f"affects_{api.id}": "y",
            f"status_{api.id}": "operational",
        },
    )
    assert response.status_code == 302
    update = db.session.scalars(
        sa.select(IncidentUpdate).where(IncidentUpdate.published_at.is_(None))
    ).one()
    for url in ("/", f"/incidents/{incident.id}", "/history"):
        assert "Secret future words." not in client.get(url).text, url
    assert db.session.get(type(api), api.id).status is ComponentStatus.MAJOR_OUTAGE
    dashboard = client.get("/admin/").text
    assert "Scheduled updates" in dashboard and f"/admin/updates/{update.id}/scheduled" in dashboard
    assert "Scheduled" in client.get(f"/admin/incidents/{incident.id}").text
    run_due_work(now=publish_at.replace(second=59))
    assert "Secret future words." in client.get(f"/incidents/{incident.id}").text
    assert db.session.get(type(api), api.id).status is ComponentStatus.OPERATIONAL


def test_edit_and_withdraw_a_scheduled_update(client, editor, make_incident):
    incident = make_incident(now=utcnow())
    update = incidents.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Draft",
        publish_at=utcnow() + timedelta(hours=2),
        actor=ACTOR,
    )
    update_id = update.id
    page = client.get(f"/admin/incidents/{incident.id}").text
    assert f"/admin/updates/{update_id}/scheduled" in page
    old_link = client.get(f"/admin/updates/{update_id}/edit")
    assert old_link.status_code == 307
    assert old_link.headers["Location"].endswith(f"/admin/updates/{update_id}/scheduled")
    form = client.get(f"/admin/updates/{update_id}/scheduled").text
    assert 'name="publish_at"' in form
    later = utcnow() + timedelta(hours=5)
    response = client.form(
        f"/admin/updates/{update_id}/scheduled",
        {"body": "Better draft", "publish_at": local(later)},
    )
    assert response.status_code == 302
    assert db.session.get(IncidentUpdate, update_id).body == "Better draft"
    past = client.form(
        f"/admin/updates/{update_id}/scheduled", {"body": "x", "publish_at": "2001-01-01T00:00"}
    )
    assert past.status_code == 422 and "in the future" in past.text
    assert client.form(f"/admin/updates/{update_id}/cancel").status_code == 302
    assert db.session.get(IncidentUpdate, update_id) is None


def test_public_page_lists_active_first_then_the_next_fortnight(
    client, make_component, make_maintenance
):
    api = make_component(name="API")
    now = utcnow()
    make_maintenance(
        name="Far away",
        scheduled_for=now + timedelta(days=20),
        scheduled_until=now + timedelta(days=20, hours=1),
        now=now,
    )
    make_maintenance(
        name="Next week",
        scheduled_for=now + timedelta(days=7),
        scheduled_until=now + timedelta(days=7, hours=1, minutes=30),
        now=now,
    )
    active = make_maintenance(
        [api],
        name="Right now",
        scheduled_for=now + timedelta(seconds=1),
        scheduled_until=now + timedelta(hours=2),
        now=now,
    )
    run_due_work(now=now + timedelta(seconds=2))
    page = client.get("/").text
    section = page[page.index('id="maintenance-title"') : page.index('id="components-title"')]
    assert section.index("Right now") < section.index("Next week")
    assert "Far away" not in section and "1 h 30 min" in section and "In progress" in section
    assert "Service Under Maintenance" in page
    detail = client.get(f"/maintenance/{active.id}").text
    assert "Planned window" in detail and "Scheduled maintenance" in detail


def test_completed_maintenance_appears_in_history(client, make_maintenance):
    start = datetime(2026, 10, 5, 22, 0, tzinfo=UTC)
    maintenance = make_maintenance(
        name="October patching",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        now=start - timedelta(days=1),
    )
    run_due_work(now=start + timedelta(hours=2))
    page = client.get("/history?month=2026-10").text
    assert "October patching" in page and "Completed" in page
    assert f'href="/maintenance/{maintenance.id}"' in page


def test_unknown_or_internal_maintenance_is_a_404(client, make_maintenance):
    from statuspage.enums import Visibility

    hidden = make_maintenance(visibility=Visibility.INTERNAL)
    assert client.get(f"/maintenance/{hidden.id}").status_code == 404
    assert client.get("/maintenance/aaaaaaaaaaaa").status_code == 404


def test_recurring_window_from_the_admin(client, editor, make_component):
    api = make_component()
    first = utcnow() + timedelta(days=1)
    response = client.form(
        "/admin/maintenance/recurring/new",
        {
            "name": "Weekly patching",
            "body": "Routine.",
            "first_start": local(first),
            "duration_minutes": "45",
            "repeat": "monthly_weekday",
            "visibility": "public",
            "remind": "",
            "components": [api.id],
        },
    )
    assert response.status_code == 302
    rule = db.session.scalars(sa.select(MaintenanceRecurrence)).one()
    assert re.fullmatch(r"FREQ=MONTHLY;BYDAY=\d(MO|TU|WE|TH|FR|SA|SU)", rule.rrule)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) >= 2
    bad = client.form(
        "/admin/maintenance/recurring/new",
        {
            "name": "x",
            "body": "y",
            "first_start": local(first),
            "duration_minutes": "45",
            "repeat": "custom",
            "rrule": "FREQ=SECONDLY",
            "visibility": "public",
            "remind": "",
        },
    )
    assert bad.status_code == 422 and "daily, weekly, monthly" in bad.text
    edit_page = client.get(f"/admin/maintenance/recurring/{rule.id}")
    assert edit_page.status_code == 200 and "Weekly patching" in edit_page.text
    edited = client.form(
        f"/admin/maintenance/recurring/{rule.id}",
        {
            "name": "Monthly patching",
            "body": "Routine.",
            "first_start": local(first),
            "duration_minutes": "45",
            "repeat": "custom",
            "rrule": "",
            "visibility": "public",
            "remind": "",
            "components": [api.id],
        },
    )
    assert edited.status_code == 422 and "Write the rule, or choose a preset." in edited.text
    response = client.form(f"/admin/maintenance/recurring/{rule.id}/end", {"body": "Stopping."})
    assert response.status_code == 302
    assert {m.status_value for m in db.session.scalars(sa.select(Maintenance))} == {"cancelled"}
