"""Scheduled maintenance: schedule, reschedule, edit, start, verify, complete, cancel.

A window moves scheduled -> in_progress -> verifying -> completed, or is cancelled
(`Maintenance.next_statuses`). While it is in progress or verifying it claims under_maintenance
for its components; see components/status.py for how that combines with incidents (a fault is
never hidden).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.enums import ComponentStatus, MaintenanceStatus, Visibility
from statuspage.extensions import db
from statuspage.limits import MAX_DESCRIPTION
from statuspage.models import (
    Component,
    IncidentUpdate,
    Maintenance,
    MaintenanceRecurrence,
    NoticeComponent,
)
from statuspage.services.components.status import settle_component
from statuspage.services.errors import InvalidInput, InvalidTransition
from statuspage.services.inputs import clean_name, clean_text
from statuspage.services.notices.timeline import (
    check_publish_at,
    clean_body,
    drop_pending_updates,
    post_entry,
    refuse_archived,
    resettle_public,
)
from statuspage.services.outbox.events import record_reminder_event
from statuspage.services.unit import Actor, unit_of_work
from statuspage.visibility import audiences_of

S = MaintenanceStatus

DEFAULT_START_MESSAGE = (
    "Scheduled maintenance is now in progress. We will post an update when it is done."
)
DEFAULT_COMPLETE_MESSAGE = "Scheduled maintenance has been completed. Thank you for your patience."
MAX_WINDOW = timedelta(days=31)


def _check_window(scheduled_for: datetime, scheduled_until: datetime, now: datetime) -> None:
    if scheduled_until <= scheduled_for:
        raise InvalidInput("The window must end after it starts.", field="scheduled_until")
    if scheduled_until - scheduled_for > MAX_WINDOW:
        raise InvalidInput("A window lasts at most 31 days.", field="scheduled_until")
    if scheduled_until <= now:
        raise InvalidInput("This window is already over.", field="scheduled_until")


def _check_remind(remind_minutes: int | None) -> int | None:
    if remind_minutes is not None and not 1 <= remind_minutes <= 7 * 24 * 60:
        raise InvalidInput("A reminder comes 1 minute to 7 days before.", field="remind_minutes")
    return remind_minutes


def _clean_message(text: str | None, default: str, field: str) -> str:
    return clean_text(text, field=field, max_length=MAX_DESCRIPTION, required=False) or default


def schedule_maintenance(
    *,
    name: str,
    body: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: Sequence[Component] = (),
    visibility: Visibility = Visibility.PUBLIC,
    auto_start: bool = True,
    auto_complete: bool = True,
    remind_minutes: int | None = 60,
    start_message: str | None = None,
    complete_message: str | None = None,
    deliver_notifications: bool = True,
    recurrence: MaintenanceRecurrence | None = None,
    occurrence_start: datetime | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Maintenance:
    """Announce a window; the scheduler starts and completes it (unless auto_* are off)."""
    with unit_of_work("schedule_maintenance", actor=actor, now=now) as now:
        _check_window(scheduled_for, scheduled_until, now)
        refuse_archived(components)
        maintenance = Maintenance(
            name=clean_name(name),
            status_value=S.SCHEDULED.value,
            visibility=Visibility(visibility),
            started_at=scheduled_for,
            created_at=now,
            created_by_id=actor.user_id,
            scheduled_for=scheduled_for,
            scheduled_until=scheduled_until,
            auto_start=auto_start,
            auto_complete=auto_complete,
            remind_minutes=_check_remind(remind_minutes),
            start_message=_clean_message(start_message, DEFAULT_START_MESSAGE, "start_message"),
            complete_message=_clean_message(
                complete_message, DEFAULT_COMPLETE_MESSAGE, "complete_message"
            ),
            sequence=0,
            recurrence=recurrence,
            occurrence_start=occurrence_start,
            detached=False,
        )
        db.session.add(maintenance)
        post_entry(
            maintenance,
            status=S.SCHEDULED.value,
            body=clean_body(body),
            components={c: ComponentStatus.UNDER_MAINTENANCE for c in components},
            deliver_notifications=deliver_notifications,
            at=now,
            now=now,
            actor=actor,
        )
    return maintenance


def _transition(
    maintenance: Maintenance,
    status: MaintenanceStatus,
    *,
    body: str,
    at: datetime,
    now: datetime,
    actor: Actor,
    deliver_notifications: bool = True,
    visibility: Visibility | None = None,
    publish_at: datetime | None = None,
) -> IncidentUpdate:
    """Add the timeline entry for *status*; components follow when the window opens or closes."""
    current = maintenance.status
    if current.is_closed:
        raise InvalidTransition("This maintenance is already over.")
    if status not in maintenance.next_statuses():
        raise InvalidTransition(f"A maintenance cannot go from {current.label} to {status.label}.")
    opening = status is S.IN_PROGRESS and current is S.SCHEDULED
    components = {c: ComponentStatus.UNDER_MAINTENANCE for c in maintenance.components}
    waits = check_publish_at(publish_at, now)
    if status.is_closed and not waits:
        drop_pending_updates(maintenance)
    update = post_entry(
        maintenance,
        status=status.value,
        body=clean_body(body),
        components=components if opening else {},
        visibility=visibility,
        deliver_notifications=deliver_notifications,
        publish_at=publish_at,
        at=at,
        now=now,
        actor=actor,
    )
    if not waits:
        maintenance.sequence = (maintenance.sequence or 0) + 1
    return update


def start_maintenance(
    maintenance: Maintenance,
    *,
    body: str | None = None,
    at: datetime | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Start now (by hand) or at *at* (the scheduler, with the planned time)."""
    with unit_of_work("start_maintenance", actor=actor, now=now) as now:
        return _transition(
            maintenance,
            S.IN_PROGRESS,
            body=body or maintenance.start_message or DEFAULT_START_MESSAGE,
            at=at or now,
            now=now,
            actor=actor,
        )


def complete_maintenance(
    maintenance: Maintenance,
    *,
    body: str | None = None,
    at: datetime | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Complete an active window; its components return to what is still claimed."""
    with unit_of_work("complete_maintenance", actor=actor, now=now) as now:
        if maintenance.status is S.SCHEDULED:
            raise InvalidTransition("This maintenance has not started; cancel it instead.")
        return _transition(
            maintenance,
            S.COMPLETED,
            body=body or maintenance.complete_message or DEFAULT_COMPLETE_MESSAGE,
            at=at or now,
            now=now,
            actor=actor,
        )


def cancel_maintenance(
    maintenance: Maintenance, *, body: str, actor: Actor, now: datetime | None = None
) -> IncidentUpdate:
    """Cancel with a message; an active window releases its components."""
    with unit_of_work("cancel_maintenance", actor=actor, now=now) as now:
        return _transition(maintenance, S.CANCELLED, body=body, at=now, now=now, actor=actor)


def post_maintenance_update(
    maintenance: Maintenance,
    *,
    status: MaintenanceStatus,
    body: str,
    deliver_notifications: bool = True,
    visibility: Visibility | None = None,
    publish_at: datetime | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> IncidentUpdate:
    """A timeline update, now or at *publish_at*; raises InvalidTransition for a wrong move."""
    with unit_of_work("post_maintenance_update", actor=actor, now=now) as now:
        return _transition(
            maintenance,
            MaintenanceStatus(status),
            body=body,
            at=now,
            now=now,
            actor=actor,
            deliver_notifications=deliver_notifications,
            visibility=visibility,
            publish_at=publish_at,
        )


def reschedule_maintenance(
    maintenance: Maintenance,
    *,
    scheduled_for: datetime,
    scheduled_until: datetime,
    body: str,
    deliver_notifications: bool = True,
    actor: Actor,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Move a window with a message; an active window may only change its end."""
    with unit_of_work("reschedule_maintenance", actor=actor, now=now) as now:
        if maintenance.is_closed:
            raise InvalidTransition("This maintenance is already over.")
        if maintenance.status is not S.SCHEDULED and scheduled_for != maintenance.scheduled_for:
            raise InvalidInput(
                "This maintenance has started; only its end can move.", field="scheduled_for"
            )
        _check_window(scheduled_for, scheduled_until, now)
        maintenance.scheduled_for = scheduled_for
        maintenance.scheduled_until = scheduled_until
        if maintenance.status is S.SCHEDULED:
            maintenance.started_at = scheduled_for
            maintenance.reminded_at = None
        maintenance.detached = maintenance.recurrence_id is not None
        update = post_entry(
            maintenance,
            status=maintenance.status_value,
            body=clean_body(body),
            deliver_notifications=deliver_notifications,
            at=now,
            now=now,
            actor=actor,
        )
        maintenance.sequence = (maintenance.sequence or 0) + 1
    return update


def update_maintenance(
    maintenance: Maintenance,
    *,
    name: str,
    components: Sequence[Component],
    visibility: Visibility,
    auto_start: bool,
    auto_complete: bool,
    remind_minutes: int | None,
    start_message: str | None,
    complete_message: str | None,
    actor: Actor,
    now: datetime | None = None,
) -> Maintenance:
    """Edit a window's details (not its times: reschedule for that, with a message)."""
    with unit_of_work("update_maintenance", actor=actor, now=now) as now:
        if maintenance.is_closed:
            raise InvalidTransition("This maintenance is already over.")
        maintenance.name = clean_name(name)
        before = audiences_of(maintenance)
        maintenance.visibility = Visibility(visibility)
        maintenance.auto_start = auto_start
        maintenance.auto_complete = auto_complete
        maintenance.remind_minutes = _check_remind(remind_minutes)
        maintenance.start_message = _clean_message(
            start_message, DEFAULT_START_MESSAGE, "start_message"
        )
        maintenance.complete_message = _clean_message(
            complete_message, DEFAULT_COMPLETE_MESSAGE, "complete_message"
        )
        wanted = {c.id: c for c in components}
        active = maintenance.status.is_active
        released = [
            link.component for link in maintenance.affected if link.component_id not in wanted
        ]
        for link in [link for link in maintenance.affected if link.component_id not in wanted]:
            maintenance.affected.remove(link)
            db.session.delete(link)
        have = {link.component_id for link in maintenance.affected}
        refuse_archived(components)
        for component in components:
            if component.id not in have:
                maintenance.affected.append(
                    NoticeComponent(component=component, status=ComponentStatus.UNDER_MAINTENANCE)
                )
        db.session.flush()
        if active:
            for component in [*released, *(wanted[i] for i in wanted if i not in have)]:
                settle_component(
                    component,
                    at=now,
                    cause=Maintenance.status_cause,
                    actor=actor,
                    notice=maintenance,
                )
            if audiences_of(maintenance) != before:
                resettle_public(maintenance, at=now, actor=actor)
        maintenance.detached = maintenance.recurrence_id is not None
        maintenance.sequence = (maintenance.sequence or 0) + 1
    return maintenance


def list_maintenance(*, state: str | None = None, page: int = 1, per_page: int = 25) -> object:
    """Windows for the admin list: upcoming first by start, then past ones newest first."""
    query = sa.select(Maintenance)
    if state == "upcoming":
        query = query.where(Maintenance.status_value == S.SCHEDULED.value).order_by(
            Maintenance.scheduled_for
        )
    elif state == "active":
        query = query.where(
            Maintenance.status_value.in_([S.IN_PROGRESS.value, S.VERIFYING.value])
        ).order_by(Maintenance.scheduled_for)
    elif state == "past":
        query = query.where(
            Maintenance.status_value.in_([S.COMPLETED.value, S.CANCELLED.value])
        ).order_by(Maintenance.scheduled_for.desc())
    else:
        query = query.order_by(Maintenance.scheduled_for.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def mark_reminded(
    maintenance: Maintenance, *, stale: bool, actor: Actor, now: datetime | None = None
) -> None:
    """Record the reminder (claiming it: a second scheduler's attempt fails on the row version).

    A stale reminder (the window already started) is recorded as skipped and never sent.
    """
    with unit_of_work("remind_maintenance", actor=actor, now=now) as now:
        maintenance.reminded_at = now
        maintenance.reminder_skipped = stale
        if not stale:
            record_reminder_event(maintenance)
