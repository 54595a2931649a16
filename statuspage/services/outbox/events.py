"""Notification events: recorded in the writer's transaction, fanned out to deliveries later."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from statuspage.database import count_rows, new_id, utcnow
from statuspage.enums import (
    Audience,
    Cadence,
    DeliveryKind,
    DeliveryState,
    SubscriberKind,
    SubscriberState,
)
from statuspage.extensions import db
from statuspage.models import (
    ChatChannel,
    Component,
    ComponentStatusChange,
    Delivery,
    IncidentUpdate,
    Maintenance,
    Notice,
    NotificationEvent,
    Postmortem,
    Subscriber,
)
from statuspage.models.subscriber import subscriber_component, subscriber_group
from statuspage.visibility import (
    component_visible,
    notice_visible,
    postmortem_visible,
    update_visible,
)

logger = logging.getLogger(__name__)

#: The key prefix of a postmortem's event (`NotificationEvent.topic`).
POSTMORTEM_TOPIC = "postmortem"
#: The key prefix of a component status change's event (webhooks and chat only).
COMPONENT_TOPIC = "component"

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
    """Queue the news of a just-published update: for everyone when the public may see it,
    else for staff only (internal chat channels); a quiet update is news for nobody."""
    notice = update.notice
    if not (update.deliver_notifications or update.kind.is_news_for_staff):
        return None
    public = update_visible(update, Audience.PUBLIC, with_notes=False)
    return _record(
        f"update:{update.id}",
        notice,
        update,
        audience=Audience.PUBLIC if public else Audience.INTERNAL,
    )


def record_component_event(
    change: ComponentStatusChange, *, update: IncidentUpdate | None
) -> NotificationEvent | None:
    """Queue the news of one component status change (Statuspage's component_update): a public
    change of a public component for everyone, an internal change for staff only."""
    if update is not None and not update.deliver_notifications:
        return None  # a quiet update (or a backfill) moves statuses without news
    component = change.component
    if change.audience is Audience.PUBLIC and not component_visible(component, Audience.PUBLIC):
        return None  # its internal change is the news, for staff
    now = db.session.info.get("now") or utcnow()
    # A component may move twice in one instant (a status by hand, then a claim): each
    # change is its own event, so the key takes a random part.
    event = NotificationEvent(
        key=f"{COMPONENT_TOPIC}:{component.id}:{new_id()}",
        notice_id=None,
        update_id=None,
        component_ids=[component.id],
        created_at=now,
        audience=change.audience,
        status_change=change,
    )
    db.session.add(event)
    return event


def record_reminder_event(maintenance: Maintenance) -> NotificationEvent | None:
    """Queue the reminder of an upcoming public window."""
    if not notice_visible(maintenance, Audience.PUBLIC):
        return None
    stamp = int(maintenance.scheduled_for.timestamp()) if maintenance.scheduled_for else 0
    return _record(f"reminder:{maintenance.id}:{stamp}", maintenance, None)


def record_postmortem_event(postmortem: Postmortem) -> NotificationEvent | None:
    """Queue the news of a just-published postmortem to the incident's subscribers (its
    components decide the scopes, like an update's)."""
    if not postmortem_visible(postmortem, Audience.PUBLIC):
        return None
    return _record(f"{POSTMORTEM_TOPIC}:{postmortem.id}", postmortem.notice, None)


def _record(
    key: str,
    notice: Notice,
    update: IncidentUpdate | None,
    *,
    audience: Audience = Audience.PUBLIC,
) -> NotificationEvent | None:
    if db.session.scalar(sa.select(NotificationEvent.id).where(NotificationEvent.key == key)):
        return None
    event = NotificationEvent(
        key=key,
        notice_id=notice.id,
        update_id=update.id if update is not None else None,
        component_ids=_public_component_ids(notice),
        created_at=db.session.info.get("now") or utcnow(),
        audience=audience,
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
    _expire_stale_events(now)
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
        count = 0
        if event.audience is Audience.PUBLIC:  # subscribers hear only what the public may
            count = _insert_ignoring_duplicates(_recipients(event, now), _DELIVERY_COLUMNS)
        count += _queue_chat(event, now)
        event.recipients = count
        db.session.commit()
        made += count
    return made


def _expire_stale_events(now: datetime) -> None:
    """News nobody fanned out in time (no scheduler ran): mailing it now would only flood
    inboxes with what is long over. Marked in one statement and logged in one line, so a
    backlog (a first start after seeding) is neither mailed nor a flood of logs."""
    max_age = timedelta(hours=float(current_app.config["MAIL_EVENT_MAX_AGE_HOURS"]))
    expired = (
        db.session.execute(
            sa.update(NotificationEvent)
            .where(
                NotificationEvent.fanned_out_at.is_(None),
                NotificationEvent.created_at < now - max_age,
            )
            .values(fanned_out_at=now, expired_at=now)
            .returning(NotificationEvent.key)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    if expired:
        more = f" and {len(expired) - 5} more" if len(expired) > 5 else ""
        logger.warning(
            "%d notification event(s) older than %s not mailed: %s%s",
            len(expired),
            max_age,
            ", ".join(sorted(expired)[:5]),
            more,
        )


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
    kinds = [kind for kind in SubscriberKind if event.topic in kind.topics]
    delivery_kind = sa.case(
        {kind.value: kind.notification.value for kind in SubscriberKind}, value=Subscriber.kind
    )
    return sa.select(
        Subscriber.id,
        sa.literal(event.id),
        delivery_kind,
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
        Subscriber.kind.in_([kind.value for kind in kinds]),
        in_scope,
    )


def _queue_chat(event: NotificationEvent, now: datetime) -> int:
    """One delivery per enabled chat channel that may hear the event (few channels: no SELECT
    into INSERT needed); the unique (channel, key) forbids a double."""
    channels = db.session.scalars(
        sa.select(ChatChannel).where(ChatChannel.enabled.is_(True)).order_by(ChatChannel.id)
    ).all()
    rows = [
        {
            "chat_channel_id": channel.id,
            "event_id": event.id,
            "kind": DeliveryKind.CHAT,
            "key": f"event:{event.id}",
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for channel in channels
        if channel.hears(event.audience, event.topic)
    ]
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(Delivery).values(rows).on_conflict_do_nothing()
    statement = statement.execution_options(preserve_rowcount=True)
    return count_rows(db.session.execute(statement)) or 0
