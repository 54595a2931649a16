"""Incidents: open, post updates (now or at a set time), edit, resolve, reopen, delete.

Resolving releases every component the incident claimed: each one returns to the worst status
still claimed by another open incident or an active maintenance, and to operational when
nothing claims it (see components/status.py for the precedence order).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.enums import (
    ComponentStatus,
    Impact,
    IncidentRole,
    IncidentStatus,
    Urgency,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import Incident, IncidentUpdate, User
from statuspage.services.components.status import settle_component
from statuspage.services.errors import IncidentClosed, IncidentOpen, InvalidInput
from statuspage.services.inputs import clean_name
from statuspage.services.notices.timeline import (
    ComponentChanges,
    clean_body,
    post_entry,
    resettle_public,
)
from statuspage.services.response.policy import DEFAULT_URGENCY
from statuspage.services.response.priority import reprioritise, set_urgency
from statuspage.services.response.roles import assign_role
from statuspage.services.unit import Actor, unit_of_work
from statuspage.visibility import audiences_of


def open_incident(
    *,
    name: str,
    body: str,
    status: IncidentStatus = IncidentStatus.INVESTIGATING,
    impact: Impact = Impact.MINOR,
    components: ComponentChanges | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    deliver_notifications: bool = True,
    started_at: datetime | None = None,
    urgency: Urgency = DEFAULT_URGENCY,
    commander: User | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Open an incident with its first update and the statuses it gives its components; its
    priority comes from the matrix, and *commander* (if any) takes command at once."""
    with unit_of_work("open_incident", actor=actor, now=now) as now:
        status = IncidentStatus(status)
        if status is IncidentStatus.RESOLVED:
            raise InvalidInput("A new incident cannot start resolved.", field="status")
        if started_at is not None and started_at > now:
            raise InvalidInput("An incident cannot start in the future.", field="started_at")
        incident = Incident(
            name=clean_name(name),
            status_value=status.value,
            impact=Impact(impact),
            visibility=Visibility(visibility),
            started_at=started_at or now,
            created_at=now,
            created_by_id=actor.user_id,
            urgency=Urgency(urgency),
        )
        db.session.add(incident)
        reprioritise(incident, at=now, actor=actor)
        if commander is not None:
            assign_role(incident, IncidentRole.COMMANDER, commander, actor=actor)
        post_entry(
            incident,
            status=status.value,
            body=clean_body(body),
            components=components,
            deliver_notifications=deliver_notifications,
            at=now,
            now=now,
            actor=actor,
        )
    return incident


def post_update(
    incident: Incident,
    *,
    status: IncidentStatus,
    body: str,
    components: ComponentChanges | None = None,
    impact: Impact | None = None,
    visibility: Visibility | None = None,
    deliver_notifications: bool = True,
    publish_at: datetime | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Post an update; with a future *publish_at* it stays unpublished until then.

    Raises IncidentClosed on a resolved incident (reopen it first).
    """
    with unit_of_work("post_incident_update", actor=actor, now=now) as now:
        status = IncidentStatus(status)
        if incident.is_resolved:
            raise IncidentClosed("This incident is resolved; reopen it before posting updates.")
        if status is IncidentStatus.RESOLVED and any(
            s is not ComponentStatus.OPERATIONAL for s in (components or {}).values()
        ):
            raise InvalidInput(
                "Resolving returns components to operational; leave them out.",
                field="components",
            )
        return post_entry(
            incident,
            status=status.value,
            body=clean_body(body),
            components=components,
            visibility=visibility,
            deliver_notifications=deliver_notifications,
            impact=Impact(impact) if impact is not None else None,
            publish_at=publish_at,
            at=now,
            now=now,
            actor=actor,
        )


def resolve_incident(
    incident: Incident,
    *,
    body: str,
    deliver_notifications: bool = True,
    actor: Actor,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Post the resolving update: components settle to what other open notices claim."""
    return post_update(
        incident,
        status=IncidentStatus.RESOLVED,
        body=body,
        deliver_notifications=deliver_notifications,
        actor=actor,
        now=now,
    )


def reopen_incident(
    incident: Incident,
    *,
    body: str,
    status: IncidentStatus = IncidentStatus.INVESTIGATING,
    components: ComponentChanges | None = None,
    deliver_notifications: bool = True,
    actor: Actor,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Reopen a resolved incident with an update saying why. Raises IncidentOpen otherwise."""
    with unit_of_work("reopen_incident", actor=actor, now=now) as now:
        status = IncidentStatus(status)
        if not incident.is_resolved:
            raise IncidentOpen("This incident is not resolved.")
        if status is IncidentStatus.RESOLVED:
            raise InvalidInput("Choose an open status to reopen with.", field="status")
        return post_entry(
            incident,
            status=status.value,
            body=clean_body(body),
            components=components,
            deliver_notifications=deliver_notifications,
            at=now,
            now=now,
            actor=actor,
        )


def update_incident(
    incident: Incident,
    *,
    name: str,
    impact: Impact,
    visibility: Visibility,
    urgency: Urgency | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Edit the incident's own fields (a typo in the title, a re-assessed impact or urgency);
    the matrix priority follows."""
    with unit_of_work("update_incident", actor=actor, now=now) as now:
        incident.name = clean_name(name)
        incident.impact = Impact(impact)
        if urgency is not None:
            set_urgency(incident, urgency, actor=actor)
        reprioritise(incident, at=now, actor=actor)
        before = audiences_of(incident)
        incident.visibility = Visibility(visibility)
        if audiences_of(incident) != before:
            resettle_public(incident, at=now, actor=actor)
    return incident


def delete_incident(incident: Incident, *, actor: Actor, now: datetime | None = None) -> None:
    """Delete an incident and its timeline. Its components settle as if it had resolved;
    their status history rows stay (uptime is about what happened, not what was written)."""
    with unit_of_work("delete_incident", actor=actor, now=now) as now:
        components = incident.components
        was_open = not incident.is_resolved
        db.session.delete(incident)
        db.session.flush()
        if was_open:
            for component in components:
                settle_component(component, at=now, cause=Incident.status_cause, actor=actor)


def list_incidents(
    *,
    state: str | None = None,
    impact: Impact | None = None,
    search: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Any:
    """Incidents newest first, filtered for the admin list; a Flask-SQLAlchemy Pagination."""
    query = sa.select(Incident).order_by(Incident.started_at.desc(), Incident.id)
    if state == "open":
        query = query.where(Incident.status_value != IncidentStatus.RESOLVED.value)
    elif state == "resolved":
        query = query.where(Incident.status_value == IncidentStatus.RESOLVED.value)
    if impact is not None:
        query = query.where(Incident.impact == Impact(impact))
    if search:
        needle = search.strip().lower()
        in_updates = sa.exists().where(
            IncidentUpdate.notice_id == Incident.id,
            sa.func.lower(IncidentUpdate.body).contains(needle, autoescape=True),
        )
        query = query.where(
            sa.or_(sa.func.lower(Incident.name).contains(needle, autoescape=True), in_updates)
        )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
