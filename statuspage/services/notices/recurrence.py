"""Recurring maintenance: an RFC 5545 RRULE in the page's time zone, materialised into concrete
windows ahead of time. Editing one occurrence detaches it: the rule and the others stay as
they are. Editing the rule rewrites the future occurrences that were not edited by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.rrule import rrule, rruleset, rrulestr
from sqlalchemy.exc import IntegrityError

from statuspage.enums import MaintenanceStatus, Visibility
from statuspage.extensions import db
from statuspage.limits import MAX_RULE
from statuspage.models import Component, Maintenance, MaintenanceRecurrence
from statuspage.services.errors import InvalidInput
from statuspage.services.inputs import clean_name, clean_text
from statuspage.services.notices import maintenance as maintenance_service
from statuspage.services.notices.timeline import clean_body
from statuspage.services.unit import Actor, unit_of_work

HORIZON = timedelta(days=60)
MAX_OCCURRENCES = 20
ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}


def parse_rule(text: str, first_start: datetime, timezone: str) -> rrule | rruleset:
    """The rule as dateutil sees it, anchored at the local *first_start*; InvalidInput if bad."""
    text = clean_text(text, field="rrule", max_length=MAX_RULE, required=True, label="A rule")
    if "DTSTART" in text.upper():
        raise InvalidInput("Set the first start in its own field, not in the rule.", field="rrule")
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts = dict(part.split("=", 1) for part in text.upper().split(";") if "=" in part)
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise InvalidInput("Use a daily, weekly, monthly or yearly rule.", field="rrule")
    try:
        return rrulestr(text, dtstart=first_start.replace(tzinfo=ZoneInfo(timezone)))
    except (ValueError, TypeError) as error:
        raise InvalidInput(f"Not a valid RRULE: {error}", field="rrule") from error


def occurrences(
    recurrence: MaintenanceRecurrence, *, after: datetime, until: datetime
) -> list[datetime]:
    """UTC starts of the rule's occurrences in [after, until), at most MAX_OCCURRENCES."""
    rule = parse_rule(recurrence.rrule, recurrence.first_start, recurrence.timezone)
    tz = ZoneInfo(recurrence.timezone)
    starts = []
    for local in rule.xafter(after.astimezone(tz), count=MAX_OCCURRENCES, inc=True):
        start = local.astimezone(UTC)
        if start >= until:
            break
        starts.append(start)
    return starts


class RecurrenceFields(TypedDict):
    """What a rule is made of, as create_recurrence and update_recurrence take it."""

    name: str
    body: str
    rule: str
    first_start: datetime
    timezone: str
    duration_minutes: int
    components: Sequence[Component]
    visibility: Visibility
    auto_start: bool
    auto_complete: bool
    remind_minutes: int | None
    start_message: str
    complete_message: str


def _fields(
    *,
    name: str,
    body: str,
    rule: str,
    first_start: datetime,
    timezone: str,
    duration_minutes: int,
    components: Sequence[Component],
    visibility: Visibility,
    auto_start: bool,
    auto_complete: bool,
    remind_minutes: int | None,
    start_message: str,
    complete_message: str,
) -> dict[str, Any]:
    if not 1 <= duration_minutes <= 31 * 24 * 60:
        raise InvalidInput("A window lasts 1 minute to 31 days.", field="duration_minutes")
    parse_rule(rule, first_start, timezone)
    return {
        "name": clean_name(name),
        "body": clean_body(body),
        "rrule": rule.strip().removeprefix("RRULE:"),
        "first_start": first_start.replace(tzinfo=None),
        "timezone": timezone,
        "duration_minutes": duration_minutes,
        "component_ids": ",".join(c.id for c in components),
        "visibility": Visibility(visibility),
        "auto_start": auto_start,
        "auto_complete": auto_complete,
        "remind_minutes": remind_minutes,
        "start_message": start_message or "",
        "complete_message": complete_message or "",
    }


def create_recurrence(
    *, actor: Actor, now: datetime | None = None, **fields: Unpack[RecurrenceFields]
) -> MaintenanceRecurrence:
    """Save a rule and materialise its first occurrences."""
    with unit_of_work("create_recurrence", actor=actor, now=now) as now:
        recurrence = MaintenanceRecurrence(**_fields(**fields))
        db.session.add(recurrence)
    materialise(recurrence, now=now, actor=actor)
    return recurrence


def update_recurrence(
    recurrence: MaintenanceRecurrence,
    *,
    actor: Actor,
    now: datetime | None = None,
    **fields: Unpack[RecurrenceFields],
) -> MaintenanceRecurrence:
    """Change the rule; future occurrences nobody edited by hand are rebuilt from it."""
    with unit_of_work("update_recurrence", actor=actor, now=now) as now:
        for key, value in _fields(**fields).items():
            setattr(recurrence, key, value)
        for occurrence in _future_generated(recurrence, now):
            db.session.delete(occurrence)
    materialise(recurrence, now=now, actor=actor)
    return recurrence


def end_recurrence(
    recurrence: MaintenanceRecurrence, *, body: str, actor: Actor, now: datetime | None = None
) -> int:
    """Stop the rule; its future occurrences are cancelled with *body*. Returns how many."""
    with unit_of_work("end_recurrence", actor=actor, now=now) as now:
        recurrence.active = False
    cancelled = 0
    for occurrence in _future_generated(recurrence, now, include_detached=True):
        maintenance_service.cancel_maintenance(occurrence, body=body, actor=actor, now=now)
        cancelled += 1
    return cancelled


def _future_generated(
    recurrence: MaintenanceRecurrence, now: datetime, *, include_detached: bool = False
) -> list[Maintenance]:
    query = sa.select(Maintenance).where(
        Maintenance.recurrence_id == recurrence.id,
        Maintenance.status_value == MaintenanceStatus.SCHEDULED.value,
        Maintenance.scheduled_for > now,
    )
    if not include_detached:
        query = query.where(Maintenance.detached.is_not(True))
    return list(db.session.scalars(query))


def materialise(recurrence: MaintenanceRecurrence, *, now: datetime, actor: Actor) -> int:
    """Create the occurrences due within the horizon that do not exist yet."""
    if not recurrence.active:
        return 0
    existing = set(
        db.session.scalars(
            sa.select(Maintenance.occurrence_start).where(
                Maintenance.recurrence_id == recurrence.id
            )
        )
    )
    ids = [i for i in recurrence.component_ids.split(",") if i]
    components = [
        c
        for c in db.session.scalars(sa.select(Component).where(Component.id.in_(ids)))
        if not c.is_archived
    ]
    created = 0
    duration = timedelta(minutes=recurrence.duration_minutes)
    for start in occurrences(recurrence, after=now, until=now + HORIZON):
        if start in existing:
            continue
        maintenance_service.schedule_maintenance(
            name=recurrence.name,
            body=recurrence.body,
            scheduled_for=start,
            scheduled_until=start + duration,
            components=components,
            visibility=recurrence.visibility,
            auto_start=recurrence.auto_start,
            auto_complete=recurrence.auto_complete,
            remind_minutes=recurrence.remind_minutes,
            start_message=recurrence.start_message,
            complete_message=recurrence.complete_message,
            recurrence=recurrence,
            occurrence_start=start,
            actor=actor,
            now=now,
        )
        created += 1
    return created


def materialise_all(*, now: datetime, actor: Actor) -> int:
    """Top up every active rule (the scheduler runs this on each tick)."""
    created = 0
    for recurrence in db.session.scalars(
        sa.select(MaintenanceRecurrence).where(MaintenanceRecurrence.active.is_(True))
    ).all():
        try:
            created += materialise(recurrence, now=now, actor=actor)
        except IntegrityError:  # another scheduler made the same occurrence first
            db.session.rollback()
    return created


def list_recurrences() -> list[MaintenanceRecurrence]:
    return list(
        db.session.scalars(
            sa.select(MaintenanceRecurrence).order_by(
                MaintenanceRecurrence.active.desc(), MaintenanceRecurrence.name
            )
        )
    )
