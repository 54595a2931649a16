"""Backfilling a historical incident (as Statuspage allows): the whole timeline replayed
through the ordinary services at the times it happened, in one transaction.

The incident opens at `started_at`, each update is posted at its `display_at`, the
acknowledgement is recorded at `acknowledged_at` and the resolution at `resolved_at`, each
call with its own `now=`, so the status history, the uptime day rows, the audit log and the
page's history read exactly as if they had been written live. Nothing is ever mailed: every
call passes `deliver_notifications=False`, and the replay checks that no notification event
was written before it commits.

The rules (each violation an InvalidInput naming the field, so the API answers 422):

- every time is in the past (at most now) and not before an affected component's start date
  (its creation, when it has none), in the page's time zone for the date;
- the updates run in non-decreasing `display_at`, from `started_at` on; only the last may be
  `resolved`;
- `acknowledged_at` lies from `started_at` to now, and no later than the resolution (an
  incident is acknowledged while it is live);
- `resolved_at`, when given, is at or after the last update: when the last update is not
  already `resolved`, a resolving update is posted then; when it is, `resolved_at` equals its
  `display_at`. Without either, the incident is still open once recorded.

An affected component whose status changed after `started_at` (another notice, a person,
automation) has later history the replay cannot simply append to (a change is never recorded
before the last one): for it, what the replay wrote is replaced by the claim merged into its
line (components/history.py: the worst of the old line and the claim over the incident's
span, the day rows rebuilt), and the updates' before/after statuses are read off the merged line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Urgency,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatusChange, Incident, NotificationEvent, User
from statuspage.services.components import history as status_history
from statuspage.services.errors import InvalidInput
from statuspage.services.notices.incidents import open_incident, post_update, resolve_incident
from statuspage.services.notices.timeline import ComponentChanges
from statuspage.services.response.policy import DEFAULT_URGENCY
from statuspage.services.response.roles import acknowledge_incident
from statuspage.services.site.settings import get_site_settings
from statuspage.services.unit import Actor, unit_of_work
from statuspage.visibility import audiences_of, home_audience

#: The body of the resolving update posted at `resolved_at` when the last update is not one.
RESOLVED_BODY = "This incident has been resolved."


@dataclass(frozen=True)
class PastUpdate:
    status: IncidentStatus
    body: str
    display_at: datetime


@dataclass(frozen=True)
class History:
    """What happened: when it started, the later updates, the acknowledgement, the end."""

    started_at: datetime
    updates: list[PastUpdate] = field(default_factory=list)
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


def _check_component_dates(components: ComponentChanges, moment: datetime, name: str) -> None:
    tz = get_site_settings().tz
    for component in components:
        first = component.start_date or component.created_at.astimezone(tz).date()
        if moment.astimezone(tz).date() < first:
            raise InvalidInput(
                f"{component.name} has no history before {first.isoformat()}.", field=name
            )


def _check_order(history: History, components: ComponentChanges, now: datetime) -> None:
    """The order rules of the module docstring: InvalidInput on the first one broken."""
    moments = [("started_at", history.started_at)]
    moments += [(f"updates[{i}].display_at", u.display_at) for i, u in enumerate(history.updates)]
    if history.acknowledged_at is not None:
        moments.append(("acknowledged_at", history.acknowledged_at))
    if history.resolved_at is not None:
        moments.append(("resolved_at", history.resolved_at))
    for name, moment in moments:
        if moment > now:
            raise InvalidInput("Must not be in the future.", field=name)
        _check_component_dates(components, moment, name)
    previous = ("started_at", history.started_at)
    for i, update in enumerate(history.updates):
        if update.display_at < previous[1]:
            raise InvalidInput(
                f"Must not be before {previous[0]}.", field=f"updates[{i}].display_at"
            )
        if update.status is IncidentStatus.RESOLVED and i != len(history.updates) - 1:
            raise InvalidInput("Only the last update may resolve.", field=f"updates[{i}].status")
        previous = (f"updates[{i}].display_at", update.display_at)
    last = history.updates[-1] if history.updates else None
    ends = _end(history)
    if history.resolved_at is not None:
        if history.resolved_at < previous[1]:
            raise InvalidInput(f"Must not be before {previous[0]}.", field="resolved_at")
        if last is not None and last.status is IncidentStatus.RESOLVED:
            if history.resolved_at != last.display_at:
                raise InvalidInput(
                    "Must equal the resolving update's display_at.", field="resolved_at"
                )
    if history.acknowledged_at is not None:
        if history.acknowledged_at < history.started_at:
            raise InvalidInput("Must not be before started_at.", field="acknowledged_at")
        if ends is not None and history.acknowledged_at > ends:
            raise InvalidInput("Must not be after the resolution.", field="acknowledged_at")


def _end(history: History) -> datetime | None:
    """When the incident was resolved, if it was."""
    last = history.updates[-1] if history.updates else None
    if last is not None and last.status is IncidentStatus.RESOLVED:
        return last.display_at
    return history.resolved_at


@dataclass(frozen=True)
class Before:
    """A component's statuses before the replay touched them."""

    statuses: dict[Audience, tuple[ComponentStatus, datetime]]
    updated_at: datetime


def _with_later_history(
    components: ComponentChanges, started_at: datetime
) -> dict[Component, Before]:
    """The affected components whose status changed after *started_at* (either audience)."""
    return {
        component: Before(
            {a: (component.status_for(a), component.status_since_for(a)) for a in Audience},
            component.updated_at,
        )
        for component in components
        if max(component.status_since_for(a) for a in Audience) > started_at
    }


def _merge_into_history(
    incident: Incident,
    later: dict[Component, Before],
    claims: ComponentChanges,
    actor: Actor,
) -> None:
    """For components with later history, replace what the replay wrote (clamped to their
    last change) by the claim merged into their line at its own times."""
    updates = {u.published_at: u for u in incident.updates if u.published_at is not None}
    for component, before in later.items():
        db.session.flush()
        for row in db.session.scalars(
            sa.select(ComponentStatusChange).where(
                ComponentStatusChange.component_id == component.id,
                ComponentStatusChange.notice_id == incident.id,
            )
        ):
            db.session.delete(row)
        for audience, (status, since) in before.statuses.items():
            component.set_status_for(audience, status, since)
        component.updated_at = before.updated_at
        claim = status_history.Claim(
            notice=incident,
            status=claims[component],
            start=incident.started_at,
            end=incident.resolved_at,
            updates=updates,
        )
        for audience in audiences_of(incident):
            status_history.merge_claim(component, audience, claim, actor=actor)
        home = home_audience(incident)
        for moment, update in updates.items():
            for change in update.changes:
                if change.component_id == component.id:
                    change.old_status, change.new_status = status_history.line_status(
                        component, home, moment
                    )


def _events_of(incident: Incident) -> int:
    db.session.flush()
    query = sa.select(sa.func.count()).where(NotificationEvent.notice_id == incident.id)
    return db.session.scalar(query) or 0


def backfill_incident(
    *,
    name: str,
    body: str,
    history: History,
    status: IncidentStatus = IncidentStatus.INVESTIGATING,
    impact: Impact = Impact.MINOR,
    components: ComponentChanges | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    urgency: Urgency = DEFAULT_URGENCY,
    commander: User | None = None,
    acknowledged_by: User | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Record an incident that already happened, replayed through the services at its times;
    nothing is mailed, and a refused rule writes nothing."""
    with unit_of_work("backfill_incident", actor=actor, now=now) as now:
        claims = dict(components or {})
        _check_order(history, claims, now)
        later = _with_later_history(claims, history.started_at)
        incident = open_incident(
            name=name,
            body=body,
            status=status,
            impact=impact,
            components=claims,
            visibility=visibility,
            deliver_notifications=False,
            started_at=history.started_at,
            urgency=urgency,
            commander=commander,
            actor=actor,
            now=history.started_at,
        )
        pending_ack = history.acknowledged_at
        for update in history.updates:
            if pending_ack is not None and pending_ack <= update.display_at:
                _acknowledge(incident, acknowledged_by, actor, pending_ack)
                pending_ack = None
            post_update(
                incident,
                status=update.status,
                body=update.body,
                deliver_notifications=False,
                actor=actor,
                now=update.display_at,
            )
        if pending_ack is not None and (
            history.resolved_at is None or pending_ack <= history.resolved_at
        ):
            _acknowledge(incident, acknowledged_by, actor, pending_ack)
            pending_ack = None
        if history.resolved_at is not None and not incident.is_resolved:
            resolve_incident(
                incident,
                body=RESOLVED_BODY,
                deliver_notifications=False,
                actor=actor,
                now=history.resolved_at,
            )
        _merge_into_history(incident, later, claims, actor)
        assert _events_of(incident) == 0, "a backfilled incident must never be mailed"
    return incident


def _acknowledge(incident: Incident, user: User | None, actor: Actor, at: datetime) -> None:
    who = user or (db.session.get(User, actor.user_id) if actor.user_id is not None else None)
    if who is None:
        raise InvalidInput(
            "Name who acknowledged it (the token's maker is gone).", field="acknowledged_at"
        )
    acknowledge_incident(incident, user=who, actor=actor, now=at)


def record_incident(
    *,
    name: str,
    body: str,
    history: History | None,
    status: IncidentStatus = IncidentStatus.INVESTIGATING,
    impact: Impact = Impact.MINOR,
    components: ComponentChanges | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    deliver_notifications: bool = True,
    urgency: Urgency = DEFAULT_URGENCY,
    commander: User | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Open a live incident, or with a *history* backfill one (the API's one POST); a
    backfill is never mailed, whatever *deliver_notifications* says."""
    if history is None:
        return open_incident(
            name=name,
            body=body,
            status=status,
            impact=impact,
            components=components,
            visibility=visibility,
            deliver_notifications=deliver_notifications,
            urgency=urgency,
            commander=commander,
            actor=actor,
            now=now,
        )
    return backfill_incident(
        name=name,
        body=body,
        history=history,
        status=status,
        impact=impact,
        components=components,
        visibility=visibility,
        urgency=urgency,
        commander=commander,
        actor=actor,
        now=now,
    )
