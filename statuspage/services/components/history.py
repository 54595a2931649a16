"""Inserting a claim into the middle of a component's status history (a backfilled incident
whose component has changed since): the status line over the claim's span is re-derived as
the worst of what it was and the claim, and the day rows are rebuilt from the merged line.

Runs inside the caller's unit of work. The precedence rule (components/status.py) makes a
component's status the worst open claim, so one more claim over [start, end) makes it the worst
of the old line and that claim there, and leaves it alone elsewhere. (A status set by hand
during the span is treated the same way: the claim shows through it until the span ends.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from statuspage.enums import Audience, ComponentStatus
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatusChange, IncidentUpdate, Notice
from statuspage.services.components import uptime
from statuspage.services.unit import Actor


@dataclass(frozen=True)
class Claim:
    """A notice's claim on a component over [start, end) (end None: still open)."""

    notice: Notice
    status: ComponentStatus
    start: datetime
    end: datetime | None
    #: The notice's updates by publish time: what a change at that time is recorded with.
    updates: dict[datetime, IncidentUpdate]


def history_of(component: Component, audience: Audience) -> list[ComponentStatusChange]:
    """The component's changes for *audience*, oldest first."""
    db.session.flush()
    return list(
        db.session.scalars(
            sa.select(ComponentStatusChange)
            .where(
                ComponentStatusChange.component_id == component.id,
                ComponentStatusChange.audience == audience,
            )
            .order_by(ComponentStatusChange.at, ComponentStatusChange.id)
        )
    )


def status_at(changes: list[ComponentStatusChange], moment: datetime) -> ComponentStatus:
    """The status after every change at or before *moment* (operational before the first)."""
    status = changes[0].old_status if changes else ComponentStatus.OPERATIONAL
    for change in changes:
        if change.at > moment:
            break
        status = change.new_status
    return status


def status_before(changes: list[ComponentStatusChange], moment: datetime) -> ComponentStatus:
    status = changes[0].old_status if changes else ComponentStatus.OPERATIONAL
    for change in changes:
        if change.at >= moment:
            break
        status = change.new_status
    return status


def merge_claim(component: Component, audience: Audience, claim: Claim, *, actor: Actor) -> None:
    """Rewrite *component*'s *audience* history over the claim's span as if the claim had been
    there all along, then its status (when the claim is still open) and its day rows."""
    changes = history_of(component, audience)

    def inside(moment: datetime) -> bool:
        return moment >= claim.start and (claim.end is None or moment < claim.end)

    affected = [
        c for c in changes if c.at >= claim.start and (claim.end is None or c.at <= claim.end)
    ]
    moments = sorted(
        {claim.start, *(c.at for c in affected)} | ({claim.end} if claim.end else set())
    )
    previous = status_before(changes, claim.start)
    rows: list[ComponentStatusChange] = []
    for moment in moments:
        was = status_at(changes, moment)
        new = ComponentStatus.worst([was, claim.status]) if inside(moment) else was
        if new is previous:
            continue
        own = [c for c in affected if c.at == moment]
        if own:  # the change that happened then keeps its cause and author
            source = own[-1]
            row = ComponentStatusChange(
                component=component,
                audience=audience,
                old_status=previous,
                new_status=new,
                at=moment,
                cause=source.cause,
                notice_id=source.notice_id,
                update_id=source.update_id,
                actor_id=source.actor_id,
                actor_label=source.actor_label,
            )
        else:
            update = claim.updates.get(moment)
            row = ComponentStatusChange(
                component=component,
                audience=audience,
                old_status=previous,
                new_status=new,
                at=moment,
                cause=claim.notice.status_cause,
                notice_id=claim.notice.id,
                update_id=update.id if update is not None else None,
                actor_id=actor.user_id,
                actor_label=actor.label,
            )
        rows.append(row)
        previous = new
    for change in affected:
        db.session.delete(change)
    db.session.flush()
    db.session.add_all(rows)
    merged = history_of(component, audience)
    if merged:
        last = merged[-1]
        if (last.new_status, last.at) != (
            component.status_for(audience),
            component.status_since_for(audience),
        ):
            updated = component.updated_at
            component.set_status_for(audience, last.new_status, last.at)
            component.updated_at = max(updated, last.at)
    uptime.rebuild_component_uptime(component, audience, merged)


def line_status(
    component: Component, audience: Audience, moment: datetime
) -> tuple[ComponentStatus, ComponentStatus]:
    """(just before, just after) *moment* on the component's current history."""
    changes = history_of(component, audience)
    return status_before(changes, moment), status_at(changes, moment)
