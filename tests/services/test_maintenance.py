"""Maintenance transitions with explicit times, precedence with incidents, catch-up, DST."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from statuspage.enums import (
    ComponentStatus,
    IncidentStatus,
    MaintenanceStatus,
    StatusCause,
)
from statuspage.extensions import db
from statuspage.models import Maintenance
from statuspage.services.errors import InvalidInput, InvalidTransition
from statuspage.services.local_time import local_to_utc
from statuspage.services.notices import incidents
from statuspage.services.notices import maintenance as service
from statuspage.services.notices.due_work import run_due_work
from tests.conftest import ACTOR
from tests.helpers import public_changes

S = ComponentStatus
M = MaintenanceStatus


changes = public_changes


def fresh(maintenance):
    return db.session.get(Maintenance, maintenance.id, populate_existing=True)


def test_scheduling_touches_no_component(make_component, make_maintenance, now):
    db_component = make_component()
    maintenance = make_maintenance([db_component])
    assert maintenance.status is M.SCHEDULED and db_component.status is S.OPERATIONAL
    assert maintenance.started_at == maintenance.scheduled_for
    assert [link.status for link in maintenance.affected] == [S.UNDER_MAINTENANCE]
    assert changes(db_component) == []
    assert maintenance.updates[0].status_value == "scheduled"


@pytest.mark.parametrize(
    "hours,message",
    [((3, 2), "must end after it starts"), ((-5, -1), "already over"), ((1, 24 * 40), "31 days")],
)
def test_impossible_windows_are_refused(make_maintenance, now, hours, message):
    with pytest.raises(InvalidInput, match=message):
        make_maintenance(
            scheduled_for=now + timedelta(hours=hours[0]),
            scheduled_until=now + timedelta(hours=hours[1]),
        )


def test_the_scheduler_starts_and_completes_at_the_planned_times(
    make_component, make_maintenance, now
):
    api = make_component()
    maintenance = make_maintenance([api])
    start, end = maintenance.scheduled_for, maintenance.scheduled_until
    assert run_due_work(now=start - timedelta(seconds=1)).started == 0
    report = run_due_work(now=start + timedelta(seconds=5))
    assert report.started == 1
    maintenance = fresh(maintenance)
    assert maintenance.status is M.IN_PROGRESS and maintenance.started_at == start
    assert api.status is S.UNDER_MAINTENANCE and api.status_since == start
    [change] = changes(api)
    assert change.cause is StatusCause.MAINTENANCE and change.at == start
    assert change.notice_id == maintenance.id
    assert maintenance.updates[0].body == service.DEFAULT_START_MESSAGE
    assert run_due_work(now=end + timedelta(seconds=5)).completed == 1
    maintenance = fresh(maintenance)
    assert maintenance.status is M.COMPLETED and maintenance.resolved_at == end
    db.session.refresh(api)
    assert api.status is S.OPERATIONAL and changes(api)[-1].at == end
    assert [u.status_value for u in maintenance.updates] == [
        "completed",
        "in_progress",
        "scheduled",
    ]


def test_custom_transition_messages_are_used(make_maintenance, now):
    maintenance = make_maintenance(start_message="Work begins.", complete_message="All done.")
    run_due_work(now=maintenance.scheduled_until + timedelta(minutes=1))
    assert [u.body for u in fresh(maintenance).updates[:2]] == ["All done.", "Work begins."]


def test_auto_start_and_auto_complete_can_be_off(make_maintenance, now):
    manual = make_maintenance(auto_start=False)
    assert run_due_work(now=manual.scheduled_for + timedelta(minutes=1)).started == 0
    service.start_maintenance(manual, actor=ACTOR, now=manual.scheduled_for + timedelta(minutes=2))
    held = make_maintenance(auto_complete=False)
    run_due_work(now=held.scheduled_until + timedelta(hours=1))
    assert fresh(held).status is M.IN_PROGRESS  # waits for a person
    assert fresh(manual).status is M.COMPLETED  # started by hand, completed on time


def test_an_outage_is_not_hidden_behind_maintenance(
    make_component, make_maintenance, make_incident, now
):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    maintenance = make_maintenance([api])
    run_due_work(now=maintenance.scheduled_for)
    assert api.status is S.MAJOR_OUTAGE  # the fault wins
    incidents.resolve_incident(
        incident, body="Fixed", actor=ACTOR, now=maintenance.scheduled_for + timedelta(minutes=10)
    )
    assert api.status is S.UNDER_MAINTENANCE  # the maintenance shows once the fault is gone


def test_completing_maintenance_leaves_an_open_incident_in_place(
    make_component, make_maintenance, make_incident, now
):
    api = make_component()
    maintenance = make_maintenance([api])
    run_due_work(now=maintenance.scheduled_for)
    make_incident({api: S.PARTIAL_OUTAGE}, now=maintenance.scheduled_for + timedelta(minutes=5))
    assert api.status is S.PARTIAL_OUTAGE
    run_due_work(now=maintenance.scheduled_until)
    assert api.status is S.PARTIAL_OUTAGE
    db.session.refresh(api)
    assert api.status is S.PARTIAL_OUTAGE


def test_degraded_component_stays_degraded_during_maintenance(
    make_component, make_maintenance, make_incident, now
):
    api = make_component()
    make_incident({api: S.DEGRADED_PERFORMANCE}, now=now)
    maintenance = make_maintenance([api])
    run_due_work(now=maintenance.scheduled_until)
    assert api.status is S.DEGRADED_PERFORMANCE


def test_start_and_complete_early_by_hand(make_component, make_maintenance, now):
    api = make_component()
    maintenance = make_maintenance([api])
    early = now + timedelta(minutes=30)
    service.start_maintenance(maintenance, actor=ACTOR, now=early)
    assert maintenance.started_at == early and api.status is S.UNDER_MAINTENANCE
    service.post_maintenance_update(
        maintenance,
        status=M.VERIFYING,
        body="Checking.",
        actor=ACTOR,
        now=early + timedelta(minutes=5),
    )
    assert maintenance.status is M.VERIFYING and api.status is S.UNDER_MAINTENANCE
    service.complete_maintenance(
        maintenance, body="Done early.", actor=ACTOR, now=early + timedelta(minutes=20)
    )
    assert maintenance.status is M.COMPLETED and api.status is S.OPERATIONAL
    assert run_due_work(now=maintenance.scheduled_until + timedelta(minutes=1)).total == 0


def test_impossible_moves_are_refused(make_maintenance, now):
    maintenance = make_maintenance()
    with pytest.raises(InvalidTransition):
        service.complete_maintenance(maintenance, actor=ACTOR, now=now)
    with pytest.raises(InvalidTransition):
        service.post_maintenance_update(
            maintenance, status=M.VERIFYING, body="x", actor=ACTOR, now=now
        )
    service.cancel_maintenance(maintenance, body="Not needed.", actor=ACTOR, now=now)
    assert maintenance.status is M.CANCELLED and maintenance.cancelled_at == now
    with pytest.raises(InvalidTransition):
        service.start_maintenance(maintenance, actor=ACTOR, now=now)
    assert run_due_work(now=maintenance.scheduled_for + timedelta(minutes=1)).started == 0


def test_cancelling_an_active_window_releases_its_components(make_component, make_maintenance, now):
    api = make_component()
    maintenance = make_maintenance([api])
    run_due_work(now=maintenance.scheduled_for)
    service.cancel_maintenance(
        fresh(maintenance),
        body="Aborted; rolled back.",
        actor=ACTOR,
        now=maintenance.scheduled_for + timedelta(minutes=5),
    )
    assert api.status is S.OPERATIONAL


def test_reschedule_moves_the_window_with_a_message(make_maintenance, now):
    maintenance = make_maintenance(remind_minutes=30)
    run_due_work(now=maintenance.scheduled_for - timedelta(minutes=20))
    assert fresh(maintenance).reminded_at is not None
    later = now + timedelta(days=1)
    service.reschedule_maintenance(
        maintenance,
        scheduled_for=later,
        scheduled_until=later + timedelta(hours=1),
        body="Moved to tomorrow.",
        actor=ACTOR,
        now=now + timedelta(minutes=1),
    )
    maintenance = fresh(maintenance)
    assert maintenance.scheduled_for == later and maintenance.started_at == later
    assert maintenance.reminded_at is None and maintenance.sequence >= 1
    assert maintenance.updates[0].body == "Moved to tomorrow."
    assert run_due_work(now=now + timedelta(hours=3)).started == 0


def test_an_active_window_can_only_move_its_end(make_maintenance, now):
    maintenance = make_maintenance()
    run_due_work(now=maintenance.scheduled_for)
    maintenance = fresh(maintenance)
    with pytest.raises(InvalidInput):
        service.reschedule_maintenance(
            maintenance,
            scheduled_for=now,
            scheduled_until=now + timedelta(hours=9),
            body="x",
            actor=ACTOR,
            now=maintenance.scheduled_for,
        )
    service.reschedule_maintenance(
        maintenance,
        scheduled_for=maintenance.scheduled_for,
        scheduled_until=maintenance.scheduled_until + timedelta(hours=1),
        body="Extended by an hour.",
        actor=ACTOR,
        now=maintenance.scheduled_for,
    )
    assert run_due_work(now=maintenance.scheduled_until - timedelta(minutes=1)).completed == 0


def test_update_maintenance_changes_components_of_an_active_window(
    make_component, make_maintenance, now
):
    api, web = make_component(), make_component()
    maintenance = make_maintenance([api])
    run_due_work(now=maintenance.scheduled_for)
    service.update_maintenance(
        fresh(maintenance),
        name="Renamed",
        components=[web],
        visibility=maintenance.visibility,
        auto_start=True,
        auto_complete=True,
        remind_minutes=None,
        start_message="",
        complete_message="",
        actor=ACTOR,
        now=maintenance.scheduled_for + timedelta(minutes=1),
    )
    db.session.refresh(api)
    db.session.refresh(web)
    assert api.status is S.OPERATIONAL and web.status is S.UNDER_MAINTENANCE


@pytest.mark.config(TIMEZONE="Europe/Berlin")
def test_a_window_across_the_dst_change_in_berlin(app, make_component, make_maintenance, now):
    berlin = ZoneInfo("Europe/Berlin")
    # Clocks go back at 03:00 CEST on 25 Oct 2026: 01:00-05:00 local lasts five hours.
    start = local_to_utc(datetime(2026, 10, 25, 1, 0), berlin, field="scheduled_for")
    end = local_to_utc(datetime(2026, 10, 25, 5, 0), berlin, field="scheduled_until")
    assert start == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 4, 0, tzinfo=UTC)
    api = make_component(now=datetime(2026, 1, 1, tzinfo=UTC))
    maintenance = make_maintenance(
        [api], scheduled_for=start, scheduled_until=end, now=datetime(2026, 10, 20, tzinfo=UTC)
    )
    assert maintenance.duration == timedelta(hours=5)
    run_due_work(now=end + timedelta(minutes=1))
    assert [c.at for c in changes(api)] == [start, end]
    # The hour that happens twice means its first occurrence; the skipped hour is refused.
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), berlin, field="x") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    with pytest.raises(InvalidInput, match="does not exist"):
        local_to_utc(datetime(2026, 3, 29, 2, 30), berlin, field="scheduled_for")


def test_catch_up_applies_missed_work_at_the_true_times(make_component, make_maintenance, now):
    api = make_component()
    maintenance = make_maintenance([api], remind_minutes=60)
    # the scheduler was down for the whole window
    report = run_due_work(now=maintenance.scheduled_until + timedelta(hours=3))
    assert (report.started, report.completed, report.reminded, report.reminders_skipped) == (
        1,
        1,
        0,
        1,
    )
    maintenance = fresh(maintenance)
    assert maintenance.started_at == maintenance.scheduled_for
    assert maintenance.resolved_at == maintenance.scheduled_until
    assert [c.at for c in changes(api)] == [maintenance.scheduled_for, maintenance.scheduled_until]
    assert maintenance.reminder_skipped is True
    assert [u.display_at for u in maintenance.updates[:2]] == [
        maintenance.scheduled_until,
        maintenance.scheduled_for,
    ]


def test_a_reminder_in_time_is_sent_once(make_maintenance, now):
    maintenance = make_maintenance(remind_minutes=60)
    assert run_due_work(now=maintenance.scheduled_for - timedelta(minutes=61)).reminded == 0
    assert run_due_work(now=maintenance.scheduled_for - timedelta(minutes=59)).reminded == 1
    assert run_due_work(now=maintenance.scheduled_for - timedelta(minutes=58)).reminded == 0
    assert fresh(maintenance).reminder_skipped is False


def test_scheduled_update_applies_its_changes_at_its_own_time(make_component, make_incident, now):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    publish_at = now + timedelta(minutes=30)
    update = incidents.post_update(
        incident,
        status=IncidentStatus.MONITORING,
        body="Fix rolling out.",
        components={api: S.DEGRADED_PERFORMANCE},
        publish_at=publish_at,
        actor=ACTOR,
        now=now,
    )
    assert update.published_at is None and api.status is S.MAJOR_OUTAGE
    assert incident.status is IncidentStatus.INVESTIGATING
    assert run_due_work(now=publish_at - timedelta(seconds=1)).published == 0
    assert run_due_work(now=publish_at + timedelta(minutes=7)).published == 1
    db.session.refresh(api)
    assert api.status is S.DEGRADED_PERFORMANCE and api.status_since == publish_at
    db.session.refresh(update)
    assert update.published_at == publish_at and incident.status is IncidentStatus.MONITORING


def test_resolving_cancels_nothing_silently_a_late_update_stays_resolved(make_incident, now):
    incident = make_incident(now=now)
    incidents.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Later words.",
        publish_at=now + timedelta(hours=1),
        actor=ACTOR,
        now=now,
    )
    incidents.resolve_incident(
        incident, body="Fixed.", actor=ACTOR, now=now + timedelta(minutes=10)
    )
    run_due_work(now=now + timedelta(hours=2))
    db.session.refresh(incident)
    assert incident.is_resolved and incident.updates[0].body == "Later words."
    assert incident.updates[0].status_value == "resolved"


def test_closing_a_window_drops_its_pending_updates(make_maintenance, now):
    maintenance = make_maintenance()
    service.post_maintenance_update(
        maintenance,
        status=M.SCHEDULED,
        body="Reminder text",
        publish_at=now + timedelta(hours=1),
        actor=ACTOR,
        now=now,
    )
    service.cancel_maintenance(maintenance, body="Cancelled.", actor=ACTOR, now=now)
    assert all(u.published_at is not None for u in fresh(maintenance).updates)
