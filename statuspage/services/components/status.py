"""Private helpers every writer uses to move a component's status; none of them commits.

A component has two statuses, one per audience. The **public** one is what everyone sees: it
moves only with public incidents and public maintenance, and with people and automation setting
it. The **internal** one is what staff see: the same, plus internal incidents and internal
maintenance. So an internal incident on a public component shows to staff only, and the public
page, its banner, /api/v2 and the uptime bars never show an outage nothing public explains.

The precedence rule lives here. For each audience, a component's status is the worst claim
among the open notices that audience can see that affect it, with the severity order
operational < under_maintenance < degraded_performance < partial_outage < major_outage. An
active maintenance claims under_maintenance, so it shows through an operational component but
never hides a fault: a component in major_outage stays in major_outage during a maintenance
window. A status set by hand (or by automation) sets both and stands until the next update of
an open notice that mentions that component, or until a notice affecting it closes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from statuspage.enums import (
    Audience,
    ComponentStatus,
    IncidentStatus,
    MaintenanceStatus,
    StatusCause,
)
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatusChange,
    IncidentUpdate,
    Notice,
    NoticeComponent,
)
from statuspage.services.components import uptime
from statuspage.services.outbox.events import record_component_event
from statuspage.services.unit import Actor
from statuspage.visibility import notice_visible_clause

#: Notice statuses whose component claims count towards a component's status.
OPEN_STATUSES = (
    IncidentStatus.INVESTIGATING.value,
    IncidentStatus.IDENTIFIED.value,
    IncidentStatus.MONITORING.value,
    MaintenanceStatus.IN_PROGRESS.value,
    MaintenanceStatus.VERIFYING.value,
)
#: Both statuses, public first: what a person or automation sets.
EVERY_AUDIENCE = (Audience.PUBLIC, Audience.INTERNAL)


def record_status_change(
    component: Component,
    new_status: ComponentStatus,
    *,
    audience: Audience,
    at: datetime,
    cause: StatusCause,
    actor: Actor,
    notice: Notice | None = None,
    update: IncidentUpdate | None = None,
) -> ComponentStatusChange | None:
    """Move *component*'s status for *audience* and write the history row; no-op when unchanged.

    A change dated before that status's last change (a scheduler catching up) is recorded at
    that last change instead, so each history stays a single ordered line.
    """
    old_status, since = component.status_for(audience), component.status_since_for(audience)
    if old_status is new_status:
        return None
    at = max(at, since)
    change = ComponentStatusChange(
        component=component,
        audience=audience,
        old_status=old_status,
        new_status=new_status,
        at=at,
        cause=cause,
        notice_id=notice.id if notice is not None else None,
        update_id=update.id if update is not None else None,
        actor_id=actor.user_id,
        actor_label=actor.label,
    )
    db.session.add(change)
    uptime.record_interval(component, audience, old_status, since, at)
    component.set_status_for(audience, new_status, at)
    record_component_event(change, update=update)
    return change


def set_status_everywhere(
    component: Component,
    new_status: ComponentStatus,
    *,
    at: datetime,
    cause: StatusCause,
    actor: Actor,
) -> list[ComponentStatusChange]:
    """A person or automation sets the status: both audiences see it."""
    changes = [
        record_status_change(
            component, new_status, audience=audience, at=at, cause=cause, actor=actor
        )
        for audience in EVERY_AUDIENCE
    ]
    return [change for change in changes if change is not None]


def claimed_status(component: Component, audience: Audience) -> ComponentStatus:
    """The worst claim on *component* of the open notices *audience* can see, else operational."""
    query = (
        sa.select(NoticeComponent.status)
        .join(Notice, Notice.id == NoticeComponent.notice_id)
        .where(NoticeComponent.component_id == component.id)
        .where(Notice.status_value.in_(OPEN_STATUSES), notice_visible_clause(audience, Notice))
    )
    db.session.flush()
    return ComponentStatus.worst(db.session.scalars(query).all())


def settle_component(
    component: Component,
    *,
    audiences: Iterable[Audience] = EVERY_AUDIENCE,
    at: datetime,
    cause: StatusCause,
    actor: Actor,
    notice: Notice | None = None,
    update: IncidentUpdate | None = None,
) -> None:
    """Give *component*, for each of *audiences*, the status its open claims call for now."""
    for audience in audiences:
        record_status_change(
            component,
            claimed_status(component, audience),
            audience=audience,
            at=at,
            cause=cause,
            actor=actor,
            notice=notice,
            update=update,
        )
