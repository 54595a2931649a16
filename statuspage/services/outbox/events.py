"""Notification events: recorded in the writer's transaction, fanned out to deliveries later."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from statuspage.database import count_rows, utcnow
from statuspage.enums import (
    Cadence,
    DeliveryKind,
    DeliveryState,
    SubscriberState,
    UpdateKind,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import (
    Component,
    Delivery,
    IncidentUpdate,
    Maintenance,
    Notice,
    NotificationEvent,
    Subscriber,
)
from statuspage.models.subscriber import subscriber_component, subscriber_group

_DELIVERY_COLUMNS = [
    "subscriber_id",
    "event_id",
    "kind",
    "key",
    "to_address",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
]


def _public_component_ids(notice: Notice) -> list[str]:
    return [
        link.component_id
        for link in notice.affected
        if link.component.visibility is Visibility.PUBLIC
        and (link.component.group is None or link.component.group.visibility is Visibility.PUBLIC)
    ]


def record_update_event(update: IncidentUpdate) -> NotificationEvent | None:
    """Queue the notice of a just-published update, when subscribers should hear of it."""
    notice = update.notice
    if (
        not update.deliver_notifications
        or update.kind is not UpdateKind.UPDATE
        or update.visibility is not Visibility.PUBLIC
        or notice.visibility is not Visibility.PUBLIC
    ):
        return None
    return _record(f"update:{update.id}", notice, update)


def record_reminder_event(maintenance: Maintenance) -> NotificationEvent | None:
    """Queue the reminder of an upcoming public window."""
    if maintenance.visibility is not Visibility.PUBLIC:
        return None
    stamp = int(maintenance.scheduled_for.timestamp()) if maintenance.scheduled_for else 0
    return _record(f"reminder:{maintenance.id}:{stamp}", maintenance, None)


def _record(key: str, notice: Notice, update: IncidentUpdate | None) -> NotificationEvent | None:
    if db.session.scalar(sa.select(NotificationEvent.id).where(NotificationEvent.key == key)):
        return None
    event = NotificationEvent(
        key=key,
        notice_id=notice.id,
        update_id=update.id if update is not None else None,
        component_ids=_public_component_ids(notice),
        created_at=db.session.info.get("now") or utcnow(),
    )
    db.session.add(event)
    return event


def _insert_ignoring_duplicates(select: sa.Select, columns: list[str]) -> int:
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(Delivery).from_select(columns, select).on_conflict_do_nothing()
    # SQLAlchemy reports an INSERT's rowcount only when asked (psycopg would give -1).
    statement = statement.execution_options(preserve_rowcount=True)
    return count_rows(db.session.execute(statement)) or 0


def fan_out_events(*, now: datetime | None = None, limit: int = 20) -> int:
    """Expand new events into deliveries, one transaction per event; returns deliveries made."""
    now = now or utcnow()
    made = 0
    pending = db.session.scalars(
        sa.select(NotificationEvent.id)
        .where(NotificationEvent.fanned_out_at.is_(None))
        .order_by(NotificationEvent.id)
        .limit(limit)
    ).all()
    for event_id in pending:
        claimed = db.session.execute(
            sa.update(NotificationEvent)
            .where(NotificationEvent.id == event_id, NotificationEvent.fanned_out_at.is_(None))
            .values(fanned_out_at=now)
        )
        if count_rows(claimed) != 1:
            db.session.rollback()
            continue
        event = db.session.get_one(NotificationEvent, event_id)
        count = _insert_ignoring_duplicates(_recipients(event, now), _DELIVERY_COLUMNS)
        event.recipients = count
        db.session.commit()
        made += count
    return made


def _recipients(event: NotificationEvent, now: datetime) -> sa.Select:
    """Confirmed immediate subscribers whose scope meets the event's components."""
    ids = list(event.component_ids or [])
    in_scope: sa.ColumnElement[bool] = Subscriber.everything.is_(True)
    if ids:
        by_component = sa.exists().where(
            subscriber_component.c.subscriber_id == Subscriber.id,
            subscriber_component.c.component_id.in_(ids),
        )
        by_group = sa.exists().where(
            subscriber_group.c.subscriber_id == Subscriber.id,
            subscriber_group.c.group_id == Component.group_id,
            Component.id.in_(ids),
        )
        in_scope = sa.or_(in_scope, by_component, by_group)
    return sa.select(
        Subscriber.id,
        sa.literal(event.id),
        sa.literal(DeliveryKind.NOTIFICATION.value),
        sa.literal(f"event:{event.id}"),
        Subscriber.email,
        sa.literal(DeliveryState.PENDING.value),
        sa.literal(0),
        sa.literal(now, type_=Delivery.__table__.c.next_attempt_at.type),
        sa.literal(now, type_=Delivery.__table__.c.created_at.type),
    ).where(
        Subscriber.state == SubscriberState.ACTIVE.value,
        Subscriber.cadence == Cadence.IMMEDIATE.value,
        in_scope,
    )
