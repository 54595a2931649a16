"""Private helpers every writer uses to move a component's status; none of them commits.

The precedence rule lives here. A component's status is the worst claim among the open
notices that affect it, with the severity order operational < under_maintenance <
degraded_performance < partial_outage < major_outage. An active maintenance claims
under_maintenance, so it shows through an operational component but never hides a fault: a
component in major_outage stays in major_outage during a maintenance window.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from statuspage.enums import (
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
from statuspage.services.unit import Actor

#: Notice statuses whose component claims count towards a component's status.
OPEN_STATUSES = (
    IncidentStatus.INVESTIGATING.value,
    IncidentStatus.IDENTIFIED.value,
    IncidentStatus.MONITORING.value,
    MaintenanceStatus.IN_PROGRESS.value,
    MaintenanceStatus.VERIFYING.value,
)


def record_status_change(
    component: Component,
    new_status: ComponentStatus,
    *,
    at: datetime,
    cause: StatusCause,
    actor: Actor,
    notice: Notice | None = None,
    update: IncidentUpdate | None = None,
) -> ComponentStatusChange | None:
    """Move *component* to *new_status* and write the history row; no-op when unchanged.

    A change dated before the component's last change (a scheduler catching up) is recorded
    at that last change instead, so the history stays a single ordered line.
    """
    if component.status is new_status:
        return None
    at = max(at, component.status_since)
    change = ComponentStatusChange(
        component=component,
        old_status=component.status,
        new_status=new_status,
        at=at,
        cause=cause,
        notice_id=notice.id if notice is not None else None,
        update_id=update.id if update is not None else None,
        actor_id=actor.user_id,
        actor_label=actor.label,
    )
    db.session.add(change)
    from statuspage.services import uptime

    uptime.record_interval(component, component.status, component.status_since, at)
    component.status = new_status
    component.status_since = at
    component.updated_at = at
    return change


def claimed_status(component: Component, *, excluding: Notice | None = None) -> ComponentStatus:
    """The status the open notices claim for *component*: the worst claim, else operational."""
    query = (
        sa.select(NoticeComponent.status)
        .join(Notice, Notice.id == NoticeComponent.notice_id)
        .where(NoticeComponent.component_id == component.id)
        .where(Notice.status_value.in_(OPEN_STATUSES))
    )
    if excluding is not None:
        query = query.where(Notice.id != excluding.id)
    db.session.flush()
    return ComponentStatus.worst(db.session.scalars(query).all())


def settle_component(
    component: Component,
    *,
    at: datetime,
    cause: StatusCause,
    actor: Actor,
    notice: Notice | None = None,
    update: IncidentUpdate | None = None,
) -> ComponentStatusChange | None:
    """Give *component* the status its open claims call for now."""
    return record_status_change(
        component,
        claimed_status(component),
        at=at,
        cause=cause,
        actor=actor,
        notice=notice,
        update=update,
    )
