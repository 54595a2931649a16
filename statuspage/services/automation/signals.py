"""Automation signals move component statuses: at once for staff, after damping for the public.

Every source of automation (an integration's alerts, a built-in check) speaks through here, so
one set of rules decides what monitoring may do to a component:

- **Firing** raises the internal status at once to the worst of the component's firing alerts
  (never lowering what a person or an incident set). The public status follows only once the
  alert has held for its `hold_minutes` (`apply_held_signals`, the scheduler's job).
- **Resolved** lowers the internal status at once, and the public one once the resolution has
  held as long, to what is left: the worst of the remaining alerts and the open notices'
  claims (`services/components/status.py`). It lowers a status only while automation still
  owns it, that is while its last change was automation's; once a person or an incident
  update changed it since, they decide and the resolve changes nothing.
- The same firing twice changes nothing; an alert that resolves and fires again within its hold
  never leaves the public page.

Each change is a `ComponentStatusChange` with cause `automation` and the source as its actor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from statuspage.enums import AlertState, Audience, ComponentStatus, StatusCause, Via
from statuspage.extensions import db
from statuspage.models import Alert, Component, ComponentStatusChange
from statuspage.services.components.status import claimed_status, record_status_change
from statuspage.services.errors import InvalidInput
from statuspage.services.unit import Actor, unit_of_work

#: The statuses a signal may ask for: maintenance is a plan, never an alert.
SIGNAL_STATUSES = (
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)


@dataclass(frozen=True)
class Signal:
    """What one source says about one component, in one alert (firing or resolved)."""

    source: str
    source_label: str
    fingerprint: str
    component: Component
    status: ComponentStatus
    summary: str | None = None
    labels: dict[str, Any] = field(default_factory=dict)
    hold_minutes: int = 2


@dataclass
class SignalOutcome:
    """What a signal did: the alert row, and whether it changed anything."""

    alert: Alert
    changed: bool


def source_actor(label: str) -> Actor:
    """The actor of automation's writes: the source by name, through the API channel."""
    return Actor(user_id=None, label=label, via=Via.API)


def fire_signal(signal: Signal, *, now: datetime | None = None) -> SignalOutcome:
    """Record a firing alert; a new one (or a new status) raises the internal status now."""
    if signal.status not in SIGNAL_STATUSES:
        raise InvalidInput(f"An alert cannot ask for {signal.status.value}.", field="status")
    actor = source_actor(signal.source_label)
    with unit_of_work("fire_signal", actor=actor, now=now) as now:
        alert = _find(signal.source, signal.fingerprint, signal.component.id)
        if alert is None:
            alert = Alert(
                source=signal.source,
                fingerprint=signal.fingerprint,
                component=signal.component,
                state=AlertState.FIRING,
                status=signal.status,
                started_at=now,
            )
            db.session.add(alert)
            changed = True
        else:
            changed = not alert.is_firing or alert.status is not signal.status
            if not alert.is_firing and alert.public_since is None:
                alert.started_at = now  # its earlier firing is over, publicly too
            alert.state, alert.status, alert.resolved_at = AlertState.FIRING, signal.status, None
        alert.source_label = signal.source_label
        alert.summary = signal.summary
        alert.labels = dict(signal.labels)
        alert.hold_minutes = signal.hold_minutes
        alert.last_seen_at = now
        if changed:
            db.session.flush()
            _raise(signal.component, Audience.INTERNAL, at=now, actor=actor)
            if signal.hold_minutes == 0:
                _show(alert, now)
    return SignalOutcome(alert, changed)


def resolve_signal(
    source: str,
    fingerprint: str,
    component: Component,
    *,
    source_label: str,
    now: datetime | None = None,
) -> SignalOutcome | None:
    """Mark an alert resolved; the internal status falls back now, the public one after the
    hold. None for an alert never seen firing (nothing to restore)."""
    actor = source_actor(source_label)
    with unit_of_work("resolve_signal", actor=actor, now=now) as now:
        alert = _find(source, fingerprint, component.id)
        if alert is None:
            return None
        alert.last_seen_at = now
        if not alert.is_firing:
            return SignalOutcome(alert, False)
        alert.state, alert.resolved_at = AlertState.RESOLVED, now
        db.session.flush()
        _lower(component, Audience.INTERNAL, at=now, actor=actor)
        if alert.hold_minutes == 0 or alert.public_since is None:
            _hide(alert, now)
    return SignalOutcome(alert, True)


@dataclass
class HeldReport:
    """What the damping pass did: alerts the public now sees, and ones it no longer sees."""

    shown: list[Alert] = field(default_factory=list)
    hidden: list[Alert] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.shown) + len(self.hidden)


def apply_held_signals(*, now: datetime) -> HeldReport:
    """The scheduler's pass: alerts whose firing or resolution has held for their damping
    minutes move the public status, each component in its own transaction."""
    report = HeldReport()
    due = db.session.scalars(
        sa.select(Alert)
        .where(
            sa.or_(
                sa.and_(Alert.state == AlertState.FIRING, Alert.public_since.is_(None)),
                sa.and_(Alert.state == AlertState.RESOLVED, Alert.public_since.is_not(None)),
            )
        )
        .order_by(Alert.id)
    ).all()
    for alert in due:
        if alert.is_firing and alert.started_at + _hold(alert) <= now:
            with unit_of_work("show_held_signal", actor=source_actor(alert.source_label), now=now):
                _show(alert, now)
            report.shown.append(alert)
        elif not alert.is_firing and alert.resolved_at and alert.resolved_at + _hold(alert) <= now:
            with unit_of_work("hide_held_signal", actor=source_actor(alert.source_label), now=now):
                _hide(alert, now)
            report.hidden.append(alert)
    return report


def firing_alerts(source: str) -> list[Alert]:
    """A source's alerts that fire now (its admin page, the incident policy's 'all resolved')."""
    return list(
        db.session.scalars(
            sa.select(Alert)
            .where(Alert.source == source, Alert.state == AlertState.FIRING)
            .order_by(Alert.started_at, Alert.id)
        )
    )


def automation_status(component: Component, audience: Audience) -> ComponentStatus:
    """The worst status *audience*'s counted alerts ask of *component*, else operational."""
    alerts = db.session.scalars(sa.select(Alert).where(Alert.component_id == component.id)).all()
    return ComponentStatus.worst(a.status for a in alerts if a.counts_for(audience))


def _find(source: str, fingerprint: str, component_id: str) -> Alert | None:
    return db.session.scalar(
        sa.select(Alert).where(
            Alert.source == source,
            Alert.fingerprint == fingerprint,
            Alert.component_id == component_id,
        )
    )


def _hold(alert: Alert) -> timedelta:
    return timedelta(minutes=alert.hold_minutes)


def _show(alert: Alert, now: datetime) -> None:
    alert.public_since = now
    db.session.flush()
    _raise(alert.component, Audience.PUBLIC, at=now, actor=source_actor(alert.source_label))


def _hide(alert: Alert, now: datetime) -> None:
    alert.public_since = None
    db.session.flush()
    _lower(alert.component, Audience.PUBLIC, at=now, actor=source_actor(alert.source_label))


def _raise(component: Component, audience: Audience, *, at: datetime, actor: Actor) -> None:
    """Make *audience*'s status at least as bad as its counted alerts; never lower it."""
    if component.is_archived:
        return
    current = component.status_for(audience)
    wanted = ComponentStatus.worst((current, automation_status(component, audience)))
    if wanted is not current:
        record_status_change(
            component, wanted, audience=audience, at=at, cause=StatusCause.AUTOMATION, actor=actor
        )


def _lower(component: Component, audience: Audience, *, at: datetime, actor: Actor) -> None:
    """Fall back to what remains (alerts and claims), only while automation owns the status."""
    if component.is_archived or not _owned_by_automation(component, audience):
        return
    remaining = ComponentStatus.worst(
        (automation_status(component, audience), claimed_status(component, audience))
    )
    if remaining.severity < component.status_for(audience).severity:
        record_status_change(
            component,
            remaining,
            audience=audience,
            at=at,
            cause=StatusCause.AUTOMATION,
            actor=actor,
        )


def _owned_by_automation(component: Component, audience: Audience) -> bool:
    """Whether automation made *audience*'s status what it is (no person or notice since)."""
    db.session.flush()
    last = db.session.scalar(
        sa.select(ComponentStatusChange.cause)
        .where(
            ComponentStatusChange.component_id == component.id,
            ComponentStatusChange.audience == audience,
        )
        .order_by(ComponentStatusChange.at.desc(), ComponentStatusChange.id.desc())
        .limit(1)
    )
    return last is StatusCause.AUTOMATION


def alerts_on(components: Iterable[Component]) -> dict[str, list[Alert]]:
    """Every alert about *components*, by component id, newest first (the admin's pages)."""
    ids = [c.id for c in components]
    rows = db.session.scalars(
        sa.select(Alert).where(Alert.component_id.in_(ids)).order_by(Alert.last_seen_at.desc())
    ).all()
    grouped: dict[str, list[Alert]] = {}
    for row in rows:
        grouped.setdefault(row.component_id, []).append(row)
    return grouped
