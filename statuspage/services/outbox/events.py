"""Notification events: recorded in the writer's transaction, fanned out to deliveries later."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from statuspage.database import count_rows, utcnow
from statuspage.enums import (
    Audience,
    Cadence,
    DeliveryKind,
    DeliveryState,
    SubscriberState,
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
from statuspage.visibility import component_visible, notice_visible, update_visible

logger = logging.getLogger(__name__)

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
        if component_visible(link.component, Audience.PUBLIC)
    ]


def record_update_event(update: IncidentUpdate) -> NotificationEvent | None:
    """Queue the notice of a just-published update, when subscribers should hear of it."""
    notice = update.notice
    if not update.deliver_notifications or not update_visible(
        update, Audience.PUBLIC, with_notes=False
    ):
        return None
    return _record(f"update:{update.id}", notice, update)


def record_reminder_event(maintenance: Maintenance) -> NotificationEvent | None:
    """Queue the reminder of an upcoming public window."""
    if not notice_visible(maintenance, Audience.PUBLIC):
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
    max_age = timedelta(hours=float(current_app.config["MAIL_EVENT_MAX_AGE_HOURS"]))
    made = 0
    expired: list[str] = []
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
        if event.created_at < now - max_age:
            # News nobody fanned out in time (no scheduler ran): mailing it now would only
            # flood inboxes with what is long over. Logged, and marked on the event.
            event.expired_at = now
            expired.append(event.key)
            db.session.commit()
            continue
        count = _insert_ignoring_duplicates(_recipients(event, now), _DELIVERY_COLUMNS)
        event.recipients = count
        db.session.commit()
        made += count
    if expired:  # one line a pass: a backlog (a first start after seeding) is no flood of logs
        more = f" and {len(expired) - 5} more" if len(expired) > 5 else ""
        logger.warning(
            "%d notification event(s) older than %s not mailed: %s%s",
            len(expired),
            max_age,
            ", ".join(expired[:5]),
            more,
        )
    return made


def _recipients(event: NotificationEvent, now: datetime) -> sa.Select:
    """Immediate subscribers confirmed by the time it happened whose scope meets the event's
    components: someone who subscribes today hears nothing of what was over before."""
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
        Subscriber.confirmed_at <= event.created_at,
        in_scope,
    )
