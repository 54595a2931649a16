"""SLA clocks on crafted timelines, to the minute: each target's due time, warning, met time
and breach, a priority change midway, a reopen, and an internal incident."""

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.enums import (
    ClockState,
    Impact,
    IncidentStatus,
    Priority,
    SlaTarget,
    Urgency,
    Visibility,
)
from statuspage.models import Incident
from statuspage.services.notices import incidents as service
from statuspage.services.notices import maintenance
from statuspage.services.response import priority as priorities
from statuspage.services.response import roles
from statuspage.services.response.clocks import SlaClock, incident_clocks
from statuspage.services.response.policy import load_response_policy
from tests.conftest import ACTOR

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
T = SlaTarget
C = ClockState


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def clocks(incident: Incident, minutes: float) -> dict[SlaTarget, SlaClock]:
    return {c.target: c for c in incident_clocks(incident, load_response_policy(), at(minutes))}


@pytest.fixture
def p1(app) -> Incident:
    """Critical x high: P1 (acknowledge 5, first update 15, every 30, resolve 240 minutes)."""
    return service.open_incident(
        name="Checkout down",
        body="Investigating.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        actor=ACTOR,
        now=T0,
    )


def test_a_p1_acknowledgement_clock_runs_warns_and_breaches_on_the_minute(p1):
    assert p1.priority is Priority.P1
    assert clocks(p1, 3)[T.ACKNOWLEDGE].state is C.RUNNING
    # The warning comes 20 % of the 5 minutes before the due time: at 4 minutes.
    assert clocks(p1, 3.99)[T.ACKNOWLEDGE].state is C.RUNNING
    assert clocks(p1, 4)[T.ACKNOWLEDGE].state is C.DUE_SOON
    ack = clocks(p1, 4.99)[T.ACKNOWLEDGE]
    assert ack.due_at == at(5) and ack.warn_at == at(4)
    assert ack.left(at(4.5)) == timedelta(seconds=30)
    assert clocks(p1, 5)[T.ACKNOWLEDGE].state is C.BREACHED
    assert clocks(p1, 5)[T.ACKNOWLEDGE].left(at(7)) == timedelta(minutes=-2)


def test_acknowledging_stops_the_clock_met_or_late(p1, make_user):
    user = make_user()
    roles.acknowledge_incident(p1, user=user, actor=ACTOR, now=at(3))
    ack = clocks(p1, 60)[T.ACKNOWLEDGE]
    assert (ack.state, ack.met_at) == (C.MET, at(3))
    assert not ack.breached and ack.left(at(60)) is None
    # A second acknowledgement changes nothing.
    roles.acknowledge_incident(p1, user=make_user(), actor=ACTOR, now=at(4))
    assert p1.acknowledged_at == at(3) and p1.acknowledged_by_id == user.id


def test_a_late_acknowledgement_is_met_late_and_counts_as_breached(p1, make_user):
    roles.acknowledge_incident(p1, user=make_user(), actor=ACTOR, now=at(7))
    ack = clocks(p1, 8)[T.ACKNOWLEDGE]
    assert (ack.state, ack.met_at, ack.breached) == (C.MET_LATE, at(7), True)


def test_the_opening_public_update_meets_the_first_update_target(p1):
    first = clocks(p1, 1)[T.FIRST_UPDATE]
    assert (first.state, first.met_at, first.due_at) == (C.MET, T0, at(15))


def test_the_cadence_counts_from_the_last_public_update(p1):
    cadence = clocks(p1, 10)[T.UPDATE_CADENCE]
    assert (cadence.due_at, cadence.warn_at, cadence.state, cadence.key) == (
        at(30),
        at(24),
        C.RUNNING,
        "update_cadence:1",
    )
    assert clocks(p1, 24)[T.UPDATE_CADENCE].state is C.DUE_SOON
    assert clocks(p1, 31)[T.UPDATE_CADENCE].state is C.BREACHED
    service.post_update(
        p1, status=IncidentStatus.IDENTIFIED, body="Found it.", actor=ACTOR, now=at(35)
    )
    cadence = clocks(p1, 36)[T.UPDATE_CADENCE]
    assert (cadence.due_at, cadence.state, cadence.key) == (at(65), C.RUNNING, "update_cadence:2")


def test_an_internal_note_or_internal_words_do_not_feed_the_cadence(p1):
    service.post_update(
        p1,
        status=IncidentStatus.INVESTIGATING,
        body="Staff only.",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=at(20),
    )
    assert clocks(p1, 21)[T.UPDATE_CADENCE].due_at == at(30)


def test_resolving_meets_the_resolve_target_and_stops_every_clock(p1):
    service.resolve_incident(p1, body="Fixed.", actor=ACTOR, now=at(50))
    c = clocks(p1, 500)
    assert (c[T.RESOLVE].state, c[T.RESOLVE].met_at, c[T.RESOLVE].due_at) == (
        C.MET,
        at(50),
        at(240),
    )
    # Never acknowledged, and its due time (5) passed before the resolution: missed.
    assert c[T.ACKNOWLEDGE].state is C.MISSED and c[T.ACKNOWLEDGE].breached
    # The cadence was due at 30; resolving at 50 met it late.
    assert (c[T.UPDATE_CADENCE].state, c[T.UPDATE_CADENCE].met_at) == (C.MET_LATE, at(50))
    assert not any(clock.state.is_open for clock in c.values())


def test_resolving_before_a_due_time_leaves_that_target_not_applicable(app):
    incident = service.open_incident(
        name="Blip", body="Looking.", impact=Impact.NONE, urgency=Urgency.LOW, actor=ACTOR, now=T0
    )
    assert incident.priority is Priority.P4  # acknowledge within 240 minutes
    service.resolve_incident(incident, body="Gone.", actor=ACTOR, now=at(10))
    assert clocks(incident, 600)[T.ACKNOWLEDGE].state is C.NOT_APPLICABLE


def test_a_priority_change_midway_counts_the_new_targets_from_the_start(p1):
    # Critical x low is P2: acknowledge in 15 minutes, counted from 10:00, not from the change.
    priorities.set_urgency(p1, Urgency.LOW, actor=ACTOR, now=at(3))
    assert p1.priority is Priority.P2 and p1.computed_priority is Priority.P2
    ack = clocks(p1, 11)[T.ACKNOWLEDGE]
    assert (ack.due_at, ack.warn_at, ack.state) == (at(15), at(12), C.RUNNING)
    assert clocks(p1, 12)[T.ACKNOWLEDGE].state is C.DUE_SOON
    assert clocks(p1, 14)[T.RESOLVE].due_at == at(8 * 60)
    # An override to P1 brings the P1 targets back: 10:05 has passed, so it is breached.
    priorities.override_priority(
        p1, Priority.P1, reason="Largest customer is down", actor=ACTOR, now=at(14)
    )
    assert (p1.priority, p1.computed_priority) == (Priority.P1, Priority.P2)
    ack = clocks(p1, 14)[T.ACKNOWLEDGE]
    assert (ack.due_at, ack.state) == (at(5), C.BREACHED)


def test_a_reopened_incident_does_not_count_the_time_it_was_resolved(p1):
    service.resolve_incident(p1, body="Fixed.", actor=ACTOR, now=at(60))
    assert clocks(p1, 100)[T.RESOLVE].state is C.MET
    service.reopen_incident(p1, body="It is back.", actor=ACTOR, now=at(120))
    c = clocks(p1, 130)
    # 240 minutes of open time: 60 before, then from 120 on, so due at 120 + 180 = 300.
    assert (c[T.RESOLVE].due_at, c[T.RESOLVE].state, c[T.RESOLVE].met_at) == (
        at(300),
        C.RUNNING,
        None,
    )
    # The reopening update is public: the next one is due 30 minutes after it.
    assert (c[T.UPDATE_CADENCE].due_at, c[T.UPDATE_CADENCE].key) == (at(150), "update_cadence:3")
    # The first-update and acknowledgement clocks keep what happened before.
    assert c[T.FIRST_UPDATE].state is C.MET
    assert clocks(p1, 300)[T.RESOLVE].state is C.BREACHED
    service.resolve_incident(p1, body="Fixed again.", actor=ACTOR, now=at(290))
    resolve = clocks(p1, 400)[T.RESOLVE]
    assert (resolve.state, resolve.met_at, resolve.due_at) == (C.MET, at(290), at(300))


def test_public_update_targets_do_not_apply_to_an_internal_incident(app):
    incident = service.open_incident(
        name="Replica lag",
        body="Looking.",
        impact=Impact.MAJOR,
        urgency=Urgency.HIGH,
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=T0,
    )
    c = clocks(incident, 20)
    assert c[T.FIRST_UPDATE].state is C.NOT_APPLICABLE
    assert c[T.UPDATE_CADENCE].state is C.NOT_APPLICABLE
    assert c[T.ACKNOWLEDGE].state is C.BREACHED  # P1: 5 minutes


def test_maintenance_has_no_clocks(app, make_component):
    window = maintenance.schedule_maintenance(
        name="Upgrade",
        body="Planned.",
        scheduled_for=at(60),
        scheduled_until=at(120),
        components=[make_component()],
        actor=ACTOR,
        now=T0,
    )
    assert window.priority is None
    assert incident_clocks(window, load_response_policy(), at(90)) == []
