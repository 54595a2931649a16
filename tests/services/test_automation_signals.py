"""The rules automation follows, to the minute: staff see a firing alert at once, the public
only after its hold; a flap within the hold never reaches the public; a resolve restores only
what automation still owns; the claims of open notices still decide."""

from datetime import timedelta

import sqlalchemy as sa

from statuspage.enums import Audience, StatusCause
from statuspage.enums import ComponentStatus as S
from statuspage.extensions import db
from statuspage.models import Alert, Component, ComponentStatusChange
from statuspage.services.automation import signals
from statuspage.services.automation.signals import Signal
from statuspage.services.components import tree
from statuspage.services.notices import incidents
from tests.conftest import ACTOR

SOURCE = "integration:aaaaaaaaaaaa"


def signal(component, status=S.MAJOR_OUTAGE, fingerprint="fp-1", hold=2, source=SOURCE):
    return Signal(
        source=source,
        source_label="Prometheus (alertmanager)",
        fingerprint=fingerprint,
        component=component,
        status=status,
        summary="High error rate",
        labels={"alertname": "HighErrorRate"},
        hold_minutes=hold,
    )


def statuses(component):
    db.session.expire_all()
    fresh = db.session.get_one(Component, component.id)
    return fresh.status, fresh.internal_status


def resolve(component, at, fingerprint="fp-1", source=SOURCE):
    return signals.resolve_signal(
        source, fingerprint, component, source_label="Prometheus (alertmanager)", now=at
    )


def test_staff_see_a_firing_alert_at_once_and_the_public_once_it_has_held(make_component, now):
    api = make_component(name="API")
    outcome = signals.fire_signal(signal(api), now=now)
    assert outcome.changed
    assert statuses(api) == (S.OPERATIONAL, S.MAJOR_OUTAGE)
    # One minute and 59 seconds in, the public still sees nothing.
    report = signals.apply_held_signals(now=now + timedelta(minutes=1, seconds=59))
    assert report.total == 0 and statuses(api) == (S.OPERATIONAL, S.MAJOR_OUTAGE)
    report = signals.apply_held_signals(now=now + timedelta(minutes=2))
    assert [a.fingerprint for a in report.shown] == ["fp-1"]
    assert statuses(api) == (S.MAJOR_OUTAGE, S.MAJOR_OUTAGE)
    change = db.session.scalars(
        sa.select(ComponentStatusChange).where(
            ComponentStatusChange.component_id == api.id,
            ComponentStatusChange.audience == Audience.PUBLIC,
        )
    ).one()
    assert change.cause is StatusCause.AUTOMATION
    assert change.actor_label == "Prometheus (alertmanager)"
    assert change.at == now + timedelta(minutes=2)


def test_a_flap_shorter_than_the_hold_never_reaches_the_public(make_component, now):
    api = make_component(name="API")
    signals.fire_signal(signal(api), now=now)
    resolve(api, now + timedelta(minutes=1))
    assert statuses(api) == (S.OPERATIONAL, S.OPERATIONAL)
    assert signals.apply_held_signals(now=now + timedelta(minutes=5)).total == 0
    public_changes = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ComponentStatusChange)
        .where(
            ComponentStatusChange.component_id == api.id,
            ComponentStatusChange.audience == Audience.PUBLIC,
        )
    )
    assert public_changes == 0


def test_a_shown_alert_leaves_the_public_only_once_its_resolution_has_held(make_component, now):
    api = make_component(name="API")
    signals.fire_signal(signal(api), now=now)
    signals.apply_held_signals(now=now + timedelta(minutes=2))
    resolve(api, now + timedelta(minutes=10))
    assert statuses(api) == (S.MAJOR_OUTAGE, S.OPERATIONAL)
    # It fires again within the hold: the public page never blinks.
    signals.fire_signal(signal(api), now=now + timedelta(minutes=11))
    assert signals.apply_held_signals(now=now + timedelta(minutes=12, seconds=30)).total == 0
    assert statuses(api) == (S.MAJOR_OUTAGE, S.MAJOR_OUTAGE)
    resolve(api, now + timedelta(minutes=20))
    assert signals.apply_held_signals(now=now + timedelta(minutes=21, seconds=59)).total == 0
    report = signals.apply_held_signals(now=now + timedelta(minutes=22))
    assert len(report.hidden) == 1
    assert statuses(api) == (S.OPERATIONAL, S.OPERATIONAL)


def test_the_same_firing_twice_changes_nothing(make_component, now):
    api = make_component(name="API")
    assert signals.fire_signal(signal(api), now=now).changed
    again = signals.fire_signal(signal(api), now=now + timedelta(seconds=30))
    assert not again.changed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 1
    internal_changes = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ComponentStatusChange)
        .where(ComponentStatusChange.audience == Audience.INTERNAL)
    )
    assert internal_changes == 1
    # A resolve of an alert never seen changes nothing either.
    assert resolve(api, now, fingerprint="never-seen") is None


def test_the_worst_firing_alert_wins_and_the_rest_remains_after_a_resolve(make_component, now):
    api = make_component(name="API")
    signals.fire_signal(signal(api, S.PARTIAL_OUTAGE, "warn", hold=0), now=now)
    signals.fire_signal(signal(api, S.MAJOR_OUTAGE, "crit", hold=0), now=now)
    assert statuses(api) == (S.MAJOR_OUTAGE, S.MAJOR_OUTAGE)
    resolve(api, now + timedelta(minutes=1), fingerprint="crit")
    assert statuses(api) == (S.PARTIAL_OUTAGE, S.PARTIAL_OUTAGE)
    resolve(api, now + timedelta(minutes=2), fingerprint="warn")
    assert statuses(api) == (S.OPERATIONAL, S.OPERATIONAL)


def test_a_resolve_leaves_a_status_a_person_changed_since(make_component, now):
    api = make_component(name="API")
    signals.fire_signal(signal(api, hold=0), now=now)
    tree.set_component_status(api, S.PARTIAL_OUTAGE, actor=ACTOR, now=now + timedelta(minutes=1))
    resolve(api, now + timedelta(minutes=2))
    assert statuses(api) == (S.PARTIAL_OUTAGE, S.PARTIAL_OUTAGE)


def test_a_resolve_falls_back_to_what_an_open_incident_claims(make_component, make_incident, now):
    api = make_component(name="API")
    make_incident({api: S.DEGRADED_PERFORMANCE}, now=now)
    signals.fire_signal(signal(api, hold=0), now=now + timedelta(minutes=1))
    assert statuses(api) == (S.MAJOR_OUTAGE, S.MAJOR_OUTAGE)
    resolve(api, now + timedelta(minutes=2))
    assert statuses(api) == (S.DEGRADED_PERFORMANCE, S.DEGRADED_PERFORMANCE)


def test_a_firing_alert_never_lowers_what_an_incident_set(make_component, make_incident, now):
    api = make_component(name="API")
    incident = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    signals.fire_signal(signal(api, S.DEGRADED_PERFORMANCE, hold=0), now=now)
    assert statuses(api) == (S.MAJOR_OUTAGE, S.MAJOR_OUTAGE)
    resolve(api, now + timedelta(minutes=1))
    assert statuses(api) == (S.MAJOR_OUTAGE, S.MAJOR_OUTAGE)
    incidents.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=now + timedelta(hours=1))
    assert statuses(api) == (S.OPERATIONAL, S.OPERATIONAL)


def test_an_alert_cannot_ask_for_maintenance_or_operational(make_component, now):
    api = make_component(name="API")
    for status in (S.UNDER_MAINTENANCE, S.OPERATIONAL):
        try:
            signals.fire_signal(signal(api, status), now=now)
        except signals.InvalidInput as error:
            assert error.field == "status"
        else:
            raise AssertionError(f"{status} was accepted")
    assert statuses(api) == (S.OPERATIONAL, S.OPERATIONAL)
