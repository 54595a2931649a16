"""Incidents: open, post updates (now or at a set time), edit, resolve, reopen, delete.

Resolving releases every component the incident claimed: each one returns to the worst status
still claimed by another open incident or an active maintenance, and to operational when
nothing claims it (see component_status.py for the precedence order).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    StatusCause,
    UpdateKind,
    Visibility,
)
from statuspage.extensions import db
from statuspage.markdown import render_markdown
from statuspage.models import (
    Component,
    Incident,
    IncidentUpdate,
    Notice,
    NoticeComponent,
    UpdateComponentChange,
)
from statuspage.services.component_status import settle_component
from statuspage.services.errors import IncidentClosed, IncidentOpen, InvalidInput
from statuspage.services.inputs import clean_name, clean_text
from statuspage.services.unit import Actor, unit_of_work
from statuspage.services.visibility import audiences_of, home_audience

ComponentChanges = Mapping[Component, ComponentStatus]

MAX_BODY = 20_000
#: A "publish at" this close behind now (a form filled a minute ago) means now.
PUBLISH_AT_SLACK = timedelta(minutes=2)


def update_visibility(notice: Notice, visibility: Visibility | None) -> Visibility:
    """An update's audience: its notice's by default, and never wider than its notice's."""
    chosen = Visibility(visibility or notice.visibility)
    if notice.visibility is Visibility.INTERNAL and chosen is Visibility.PUBLIC:
        raise InvalidInput(
            "This notice is internal, so its updates are too; make the notice public first.",
            field="visibility",
        )
    return chosen


def clean_body(body: str | None, *, required: bool = True) -> str:
    return clean_text(body, field="body", max_length=MAX_BODY, required=required, label="A message")


def _check_components(components: ComponentChanges) -> None:
    for component in components:
        if component.is_archived:
            raise InvalidInput(f"{component.name} is archived.", field="components")


def new_update(
    notice: Notice,
    *,
    status: str,
    body: str,
    components: ComponentChanges,
    kind: UpdateKind,
    visibility: Visibility,
    deliver_notifications: bool,
    impact: Impact | None,
    display_at: datetime,
    now: datetime,
    actor: Actor,
) -> IncidentUpdate:
    """An unpublished update carrying the component statuses it will claim."""
    update = IncidentUpdate(
        notice=notice,
        kind=kind,
        status_value=status,
        body=body,
        body_html=render_markdown(body),
        visibility=visibility,
        display_at=display_at,
        created_at=now,
        updated_at=now,
        author_id=actor.user_id,
        deliver_notifications=deliver_notifications and kind is UpdateKind.UPDATE,
        impact=impact,
    )
    for component, status_ in components.items():
        update.changes.append(UpdateComponentChange(component=component, new_status=status_))
    db.session.add(update)
    return update


def _set_claim(notice: Notice, component: Component, status: ComponentStatus) -> None:
    for link in notice.affected:
        if link.component_id == component.id:
            link.status = status
            return
    notice.affected.append(NoticeComponent(component=component, status=status))


def apply_update(update: IncidentUpdate, *, at: datetime, actor: Actor) -> None:
    """Publish *update*: move its notice's status and its components' statuses, as of *at*.

    The statuses moved are those of the audiences that can see the notice: an internal
    incident moves only what staff see. Internal words on a public notice move nothing (the
    services refuse a status, impact or component change on one).
    """
    from statuspage.services.notifications import record_update_event

    notice = update.notice
    update.published_at = at
    if update.kind is UpdateKind.NOTE or not update_moves_state(update):
        return
    if update.impact is not None:
        notice.impact = update.impact
    closing = _move_notice_status(notice, update.status_value, at)
    cause = StatusCause.INCIDENT if isinstance(notice, Incident) else StatusCause.MAINTENANCE
    audiences = audiences_of(notice)
    track = home_audience(notice)
    intended = {change.component_id: change.new_status for change in update.changes}
    for change in update.changes:
        _set_claim(notice, change.component, change.new_status)
    if closing:
        for link in notice.affected:
            link.status = ComponentStatus.OPERATIONAL
    db.session.flush()
    recorded = {change.component_id: change for change in update.changes}
    for link in notice.affected:
        component = link.component
        change = recorded.get(component.id)
        if change is None:
            change = UpdateComponentChange(
                component=component, new_status=component.status_for(track)
            )
            update.changes.append(change)
        change.old_status = component.status_for(track)
        # Components this update does not mention keep a status set by hand meanwhile.
        if component.id in intended or closing:
            settle_component(
                component,
                audiences=audiences,
                at=at,
                cause=cause,
                actor=actor,
                notice=notice,
                update=update,
            )
        change.new_status = component.status_for(track)
    notice.updated_at = at
    db.session.flush()
    record_update_event(update)


def update_moves_state(update: IncidentUpdate) -> bool:
    """Whether publishing *update* moves its notice: internal words on a public notice do not."""
    return not (
        update.visibility is Visibility.INTERNAL and update.notice.visibility is Visibility.PUBLIC
    )


def check_internal_words(
    notice: Notice,
    *,
    visibility: Visibility,
    status: str,
    components: ComponentChanges,
    impact: Impact | None,
) -> ComponentChanges:
    """The component changes an update may carry. An internal update of a public notice is
    words for staff: it may not change what the public sees (the notice's status, impact or
    claims), so it carries none; repeating the current ones is fine."""
    if visibility is Visibility.PUBLIC or notice.visibility is Visibility.INTERNAL:
        return components
    moved = [c for c, wanted in components.items() if notice.claim_for(c) is not wanted]
    if status != notice.status_value or moved or impact not in (None, notice.impact):
        raise InvalidInput(
            "An internal update cannot change the status, impact or components of a public "
            "notice: post it publicly, or keep them as they are.",
            field="visibility",
        )
    return {}


def _move_notice_status(notice: Notice, status: str, at: datetime) -> bool:
    """Set the notice's status and lifecycle times; True when this closes it."""
    if isinstance(notice, Incident):
        new = IncidentStatus(status)
        if new is IncidentStatus.MONITORING and notice.status is not IncidentStatus.MONITORING:
            notice.monitoring_at = at
        notice.resolved_at = at if new is IncidentStatus.RESOLVED else None
        notice.status = new
        return new is IncidentStatus.RESOLVED
    from statuspage.services.maintenance import move_maintenance_status

    return move_maintenance_status(notice, status, at)  # type: ignore[arg-type]


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
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Open an incident with its first update and the statuses it gives its components."""
    components = components or {}
    with unit_of_work("open_incident", actor=actor, now=now) as now:
        status = IncidentStatus(status)
        if status is IncidentStatus.RESOLVED:
            raise InvalidInput("A new incident cannot start resolved.", field="status")
        if started_at is not None and started_at > now:
            raise InvalidInput("An incident cannot start in the future.", field="started_at")
        _check_components(components)
        incident = Incident(
            name=clean_name(name),
            status_value=status.value,
            impact=Impact(impact),
            visibility=Visibility(visibility),
            started_at=started_at or now,
            created_at=now,
            updated_at=now,
            created_by_id=actor.user_id,
        )
        db.session.add(incident)
        update = new_update(
            incident,
            status=status.value,
            body=clean_body(body),
            components=components,
            kind=UpdateKind.UPDATE,
            visibility=incident.visibility,
            deliver_notifications=deliver_notifications,
            impact=None,
            display_at=now,
            now=now,
            actor=actor,
        )
        db.session.flush()
        apply_update(update, at=now, actor=actor)
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
        components = components or {}
        _check_components(components)
        if status is IncidentStatus.RESOLVED and any(
            s is not ComponentStatus.OPERATIONAL for s in components.values()
        ):
            raise InvalidInput(
                "Resolving returns components to operational; leave them out.",
                field="components",
            )
        if publish_at is not None and publish_at > now + timedelta(days=366):
            raise InvalidInput("Schedule at most a year ahead.", field="publish_at")
        if publish_at is not None and publish_at < now - PUBLISH_AT_SLACK:
            raise InvalidInput(
                "That publish time has passed. Choose a time in the future, or leave it empty "
                "to publish now.",
                field="publish_at",
            )
        scheduled = publish_at is not None and publish_at > now
        visibility = update_visibility(incident, visibility)
        impact = Impact(impact) if impact is not None else None
        components = check_internal_words(
            incident,
            visibility=visibility,
            status=status.value,
            components=components,
            impact=impact,
        )
        update = new_update(
            incident,
            status=status.value,
            body=clean_body(body),
            components=components,
            kind=UpdateKind.UPDATE,
            visibility=visibility,
            deliver_notifications=deliver_notifications,
            impact=impact,
            display_at=publish_at if scheduled else now,  # type: ignore[arg-type]
            now=now,
            actor=actor,
        )
        db.session.flush()
        if not scheduled:
            apply_update(update, at=now, actor=actor)
    return update


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
        components = components or {}
        _check_components(components)
        update = new_update(
            incident,
            status=status.value,
            body=clean_body(body),
            components=components,
            kind=UpdateKind.UPDATE,
            visibility=incident.visibility,
            deliver_notifications=deliver_notifications,
            impact=None,
            display_at=now,
            now=now,
            actor=actor,
        )
        db.session.flush()
        apply_update(update, at=now, actor=actor)
    return update


def add_note(
    notice: Notice, *, body: str, actor: Actor, now: datetime | None = None
) -> IncidentUpdate:
    """An internal note on the timeline: never published, never mailed."""
    with unit_of_work("add_note", actor=actor, now=now) as now:
        update = new_update(
            notice,
            status=notice.status_value,
            body=clean_body(body),
            components={},
            kind=UpdateKind.NOTE,
            visibility=Visibility.INTERNAL,
            deliver_notifications=False,
            impact=None,
            display_at=now,
            now=now,
            actor=actor,
        )
        db.session.flush()
        apply_update(update, at=now, actor=actor)
    return update


def update_incident(
    incident: Incident,
    *,
    name: str,
    impact: Impact,
    visibility: Visibility,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Edit the incident's own fields (a typo in the title, a re-assessed impact)."""
    with unit_of_work("update_incident", actor=actor, now=now) as now:
        incident.name = clean_name(name)
        incident.impact = Impact(impact)
        flipped = incident.visibility is not Visibility(visibility)
        incident.visibility = Visibility(visibility)
        incident.updated_at = now
        if flipped:
            resettle_public(incident, at=now, actor=actor)
    return incident


def resettle_public(notice: Notice, *, at: datetime, actor: Actor) -> None:
    """After a notice turns public or internal, its open claims join or leave the public
    statuses of its components."""
    db.session.flush()
    cause = StatusCause.INCIDENT if isinstance(notice, Incident) else StatusCause.MAINTENANCE
    for component in notice.components:
        settle_component(
            component, audiences=(Audience.PUBLIC,), at=at, cause=cause, actor=actor, notice=notice
        )


def edit_update(
    update: IncidentUpdate, *, body: str, actor: Actor, now: datetime | None = None
) -> IncidentUpdate:
    """Correct an update's text; its time and status changes stay as they were."""
    with unit_of_work("edit_update", actor=actor, now=now) as now:
        update.body = clean_body(body)
        update.body_html = render_markdown(update.body)
        update.updated_at = now
        if update.faces_public():  # a corrected note is no public change
            update.notice.updated_at = now
    return update


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
                settle_component(component, at=now, cause=StatusCause.INCIDENT, actor=actor)


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


def edit_scheduled_update(
    update: IncidentUpdate,
    *,
    body: str,
    publish_at: datetime,
    actor: Actor,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Change a not-yet-published update's text or publish time."""
    with unit_of_work("edit_scheduled_update", actor=actor, now=now) as now:
        if update.published_at is not None:
            raise InvalidInput("This update is already published.", field="publish_at")
        if publish_at <= now:
            raise InvalidInput("Choose a time in the future.", field="publish_at")
        update.body = clean_body(body)
        update.body_html = render_markdown(update.body)
        update.display_at = publish_at
        update.updated_at = now
    return update


def cancel_scheduled_update(
    update: IncidentUpdate, *, actor: Actor, now: datetime | None = None
) -> None:
    """Withdraw an update before it is published (it never appears anywhere)."""
    with unit_of_work("cancel_scheduled_update", actor=actor, now=now):
        if update.published_at is not None:
            raise InvalidInput("This update is already published; edit its text instead.")
        update.notice.updates.remove(update)
        db.session.delete(update)


def list_pending_updates(*, limit: int = 100) -> list[IncidentUpdate]:
    """Scheduled updates not yet published, soonest first (for the dashboard)."""
    return list(
        db.session.scalars(
            sa.select(IncidentUpdate)
            .where(IncidentUpdate.published_at.is_(None))
            .order_by(IncidentUpdate.display_at)
            .limit(limit)
        )
    )
