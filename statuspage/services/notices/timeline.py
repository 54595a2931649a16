"""A notice's timeline, shared by incidents and maintenance: write an entry, publish it (now or
at its time), correct or withdraw it, add internal notes.

`post_entry` is the one way an update is written. Publishing one (`apply_update`) moves its
notice's status through the notice's own lifecycle (`Notice.move_status`), sets the claims its
component changes carry, and settles those components for each audience that can see the
notice (see components/status.py for the precedence and the two statuses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.enums import Audience, ComponentStatus, Impact, UpdateKind, Visibility
from statuspage.extensions import db
from statuspage.limits import MAX_BODY
from statuspage.markdown import render_markdown
from statuspage.models import (
    Component,
    IncidentUpdate,
    Notice,
    NoticeComponent,
    UpdateComponentChange,
)
from statuspage.services.components.status import settle_component
from statuspage.services.errors import InvalidInput
from statuspage.services.inputs import clean_text
from statuspage.services.outbox.events import record_update_event
from statuspage.services.response.priority import reprioritise
from statuspage.services.unit import Actor, unit_of_work
from statuspage.visibility import audiences_of, home_audience, update_fits_notice, words_for_staff

ComponentChanges = Mapping[Component, ComponentStatus]

#: A "publish at" this close behind now (a form filled a minute ago) means now.
PUBLISH_AT_SLACK = timedelta(minutes=2)
#: How far ahead an update may be scheduled.
PUBLISH_AT_HORIZON = timedelta(days=366)


def clean_body(body: str | None, *, required: bool = True) -> str:
    return clean_text(body, field="body", max_length=MAX_BODY, required=required, label="A message")


def refuse_archived(components: Iterable[Component]) -> None:
    """A notice affects live components only."""
    for component in components:
        if component.is_archived:
            raise InvalidInput(f"{component.name} is archived.", field="components")


def update_visibility(notice: Notice, visibility: Visibility | None) -> Visibility:
    """An update's audience: its notice's by default, and never wider than its notice's."""
    chosen = Visibility(visibility or notice.visibility)
    if not update_fits_notice(notice, chosen):
        raise InvalidInput(
            "This notice is internal, so its updates are too; make the notice public first.",
            field="visibility",
        )
    return chosen


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
    if not words_for_staff(notice, visibility):
        return components
    moved = [c for c, wanted in components.items() if notice.claim_for(c) is not wanted]
    if status != notice.status_value or moved or impact not in (None, notice.impact):
        raise InvalidInput(
            "An internal update cannot change the status, impact or components of a public "
            "notice: post it publicly, or keep them as they are.",
            field="visibility",
        )
    return {}


def check_publish_at(publish_at: datetime | None, now: datetime) -> bool:
    """Whether an entry with this publish time waits for it; refuses a time long gone (it would
    publish silently now) or too far ahead."""
    if publish_at is None:
        return False
    if publish_at > now + PUBLISH_AT_HORIZON:
        raise InvalidInput("Schedule at most a year ahead.", field="publish_at")
    if publish_at < now - PUBLISH_AT_SLACK:
        raise InvalidInput(
            "That publish time has passed. Choose a time in the future, or leave it empty to "
            "publish now.",
            field="publish_at",
        )
    return publish_at > now


def post_entry(
    notice: Notice,
    *,
    status: str,
    body: str,
    components: ComponentChanges | None = None,
    kind: UpdateKind = UpdateKind.UPDATE,
    visibility: Visibility | None = None,
    deliver_notifications: bool = True,
    impact: Impact | None = None,
    publish_at: datetime | None = None,
    at: datetime,
    now: datetime,
    actor: Actor,
) -> IncidentUpdate:
    """Write one timeline entry and, unless it waits for *publish_at*, publish it as of *at*.

    Runs inside the caller's unit of work. A note is internal, never mailed, and moves nothing.
    """
    components = dict(components or {})
    refuse_archived(components)
    chosen = (
        Visibility.INTERNAL if kind is UpdateKind.NOTE else update_visibility(notice, visibility)
    )
    if kind is UpdateKind.UPDATE:
        components = dict(
            check_internal_words(
                notice, visibility=chosen, status=status, components=components, impact=impact
            )
        )
    waits = check_publish_at(publish_at, now)
    update = IncidentUpdate(
        notice=notice,
        kind=kind,
        status_value=status,
        body=body,
        body_html=render_markdown(body),
        visibility=chosen,
        display_at=publish_at if waits and publish_at is not None else at,
        created_at=now,
        author_id=actor.user_id,
        deliver_notifications=deliver_notifications and kind is UpdateKind.UPDATE,
        impact=impact,
    )
    for component, wanted in components.items():
        update.changes.append(UpdateComponentChange(component=component, new_status=wanted))
    db.session.add(update)
    db.session.flush()
    if not waits:
        apply_update(update, at=at, actor=actor)
    return update


def _set_claim(notice: Notice, component: Component, status: ComponentStatus) -> None:
    for link in notice.affected:
        if link.component_id == component.id:
            link.status = status
            return
    notice.affected.append(NoticeComponent(component=component, status=status))


def update_moves_state(update: IncidentUpdate) -> bool:
    """Whether publishing *update* moves its notice: notes and internal words on a public
    notice do not."""
    if update.kind is UpdateKind.NOTE:
        return False
    return not words_for_staff(update.notice, update.visibility)


def apply_update(update: IncidentUpdate, *, at: datetime, actor: Actor) -> None:
    """Publish *update*: move its notice's status and its components' statuses, as of *at*.

    The statuses moved are those of the audiences that can see the notice: an internal notice
    moves only what staff see.
    """
    notice = update.notice
    update.published_at = at
    if not update_moves_state(update):
        record_update_event(update)  # staff's news (internal chat channels) all the same
        return
    if update.impact is not None:
        notice.impact = update.impact
        reprioritise(notice, at=at, actor=actor)
    closing = notice.move_status(update.status_value, at)
    audiences = audiences_of(notice)
    track = home_audience(notice)
    intended = {change.component_id for change in update.changes}
    for change in update.changes:
        _set_claim(notice, change.component, change.new_status)
    if closing:
        for link in notice.affected:
            link.status = ComponentStatus.OPERATIONAL
    db.session.flush()
    recorded = {change.component_id: change for change in update.changes}
    for link in notice.affected:
        component = link.component
        record = recorded.get(component.id)
        if record is None:
            record = UpdateComponentChange(
                component=component, new_status=component.status_for(track)
            )
            update.changes.append(record)
        record.old_status = component.status_for(track)
        # Components this update does not mention keep a status set by hand meanwhile.
        if component.id in intended or closing:
            settle_component(
                component,
                audiences=audiences,
                at=at,
                cause=notice.status_cause,
                actor=actor,
                notice=notice,
                update=update,
            )
        record.new_status = component.status_for(track)
    notice.updated_at = at
    db.session.flush()
    record_update_event(update)


def resettle_public(notice: Notice, *, at: datetime, actor: Actor) -> None:
    """After a notice turns public or internal, its open claims join or leave the public
    statuses of its components."""
    db.session.flush()
    for component in notice.components:
        settle_component(
            component,
            audiences=(Audience.PUBLIC,),
            at=at,
            cause=notice.status_cause,
            actor=actor,
            notice=notice,
        )


def add_note(
    notice: Notice, *, body: str, actor: Actor, now: datetime | None = None
) -> IncidentUpdate:
    """An internal note on the timeline: never published, never mailed."""
    with unit_of_work("add_note", actor=actor, now=now) as now:
        return post_entry(
            notice,
            status=notice.status_value,
            body=clean_body(body),
            kind=UpdateKind.NOTE,
            at=now,
            now=now,
            actor=actor,
        )


def edit_update(
    update: IncidentUpdate, *, body: str, actor: Actor, now: datetime | None = None
) -> IncidentUpdate:
    """Correct an update's text; its time and status changes stay as they were."""
    with unit_of_work("edit_update", actor=actor, now=now) as now:
        update.body = clean_body(body)
        update.body_html = render_markdown(update.body)
        if update.faces_public():  # a corrected note is no public change
            update.notice.updated_at = now
    return update


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


def drop_pending_updates(notice: Notice) -> int:
    """Scheduled updates of a closing window would reopen it: they are withdrawn with it."""
    pending = [u for u in notice.updates if u.published_at is None]
    for update in pending:
        notice.updates.remove(update)
        db.session.delete(update)
    return len(pending)


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
