"""Recurring maintenance: RRULE occurrences materialised ahead, one occurrence edited alone."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import Visibility
from statuspage.extensions import db
from statuspage.models import Maintenance
from statuspage.services.errors import InvalidInput
from statuspage.services.notices import maintenance as maintenance_service
from statuspage.services.notices import recurrence as service
from statuspage.services.notices.due_work import run_due_work
from tests.conftest import ACTOR

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def rule_fields(**overrides):
    fields = dict(
        name="Weekly database patching",
        body="Routine patching of database hosts.",
        rule="FREQ=WEEKLY;BYDAY=SU",
        first_start=datetime(2026, 10, 4, 2, 0),
        timezone="Europe/Berlin",
        duration_minutes=90,
        components=[],
        visibility=Visibility.PUBLIC,
        auto_start=True,
        auto_complete=True,
        remind_minutes=60,
        start_message="",
        complete_message="",
    )
    fields.update(overrides)
    return fields


def occurrences_of(recurrence):
    return db.session.scalars(
        sa.select(Maintenance)
        .where(Maintenance.recurrence_id == recurrence.id)
        .order_by(Maintenance.occurrence_start)
    ).all()


def test_a_weekly_rule_materialises_the_next_windows_in_local_time(app, make_component):
    api = make_component(now=NOW - timedelta(days=30))
    recurrence = service.create_recurrence(actor=ACTOR, now=NOW, **rule_fields(components=[api]))
    windows = occurrences_of(recurrence)
    assert len(windows) == 9  # Sundays within 60 days
    # 02:00 Berlin is 00:00 UTC in summer time and 01:00 UTC after 25 Oct
    assert windows[0].scheduled_for == datetime(2026, 10, 4, 0, 0, tzinfo=UTC)
    assert windows[4].scheduled_for == datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    assert all(w.duration == timedelta(minutes=90) for w in windows)
    assert [c.id for c in windows[0].components] == [api.id]
    assert service.materialise(recurrence, now=NOW, actor=ACTOR) == 0  # nothing twice


def test_the_scheduler_tops_up_the_horizon(app):
    recurrence = service.create_recurrence(actor=ACTOR, now=NOW, **rule_fields())
    before = len(occurrences_of(recurrence))
    report = run_due_work(now=NOW + timedelta(days=14))
    assert report.materialised == 2 and len(occurrences_of(recurrence)) == before + 2


def test_editing_one_occurrence_leaves_the_rule_and_the_others_alone(app):
    recurrence = service.create_recurrence(actor=ACTOR, now=NOW, **rule_fields())
    first, second, *_ = occurrences_of(recurrence)
    moved_to = second.scheduled_for + timedelta(hours=3)
    maintenance_service.reschedule_maintenance(
        second,
        scheduled_for=moved_to,
        scheduled_until=moved_to + timedelta(hours=1),
        body="Moved three hours later this week.",
        actor=ACTOR,
        now=NOW,
    )
    service.update_recurrence(recurrence, actor=ACTOR, now=NOW, **rule_fields(duration_minutes=30))
    windows = occurrences_of(recurrence)
    edited = next(w for w in windows if w.id == second.id)
    assert edited.scheduled_for == moved_to and edited.duration == timedelta(hours=1)
    others = [w for w in windows if w.id != second.id]
    assert others and all(w.duration == timedelta(minutes=30) for w in others)
    assert len(windows) == 9 and first.id not in {w.id for w in windows}  # rebuilt


def test_ending_a_rule_cancels_its_future_windows(app):
    recurrence = service.create_recurrence(actor=ACTOR, now=NOW, **rule_fields())
    assert service.end_recurrence(recurrence, body="No longer needed.", actor=ACTOR, now=NOW) == 9
    assert {w.status_value for w in occurrences_of(recurrence)} == {"cancelled"}
    assert run_due_work(now=NOW + timedelta(days=30)).materialised == 0


@pytest.mark.parametrize(
    "rule,message",
    [
        ("FREQ=HOURLY", "daily, weekly, monthly"),
        ("FREQ=WEEKLY;BYDAY=XX", "Not a valid RRULE"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=WEEKLY", "own field"),
        ("", "required"),
    ],
)
def test_bad_rules_are_refused(app, rule, message):
    with pytest.raises(InvalidInput, match=message):
        service.create_recurrence(actor=ACTOR, now=NOW, **rule_fields(rule=rule))


def test_a_monthly_rule(app):
    recurrence = service.create_recurrence(
        actor=ACTOR,
        now=NOW,
        **rule_fields(
            rule="FREQ=MONTHLY;BYDAY=1TU", timezone="UTC", first_start=datetime(2026, 10, 6, 22, 0)
        ),
    )
    assert [w.scheduled_for.date().isoformat() for w in occurrences_of(recurrence)] == [
        "2026-10-06",
        "2026-11-03",
    ]
