"""What the admin's mail page shows: the relay's settings, the queue and recent events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from statuspage.database import utcnow
from statuspage.enums import DeliveryKind, DeliveryState
from statuspage.extensions import db
from statuspage.models import (
    Delivery,
    Notice,
    NotificationEvent,
)


@dataclass(frozen=True)
class EventSummary:
    """An event with what the dashboard says about it, read in two queries for all events."""

    event: NotificationEvent
    #: None when the notice was deleted since.
    notice_name: str | None
    notice_type: str | None
    sent: int

    @property
    def detail_endpoint(self) -> str | None:
        """Its notice's admin page (None once the notice is deleted)."""
        return Notice.kind_of(self.notice_type).detail_endpoint if self.notice_type else None

    def url_values(self) -> dict[str, str]:
        """The URL values of that page."""
        kind = Notice.kind_of(self.notice_type) if self.notice_type else None
        return {kind.id_arg: self.event.notice_id} if kind and self.event.notice_id else {}

    @property
    def is_reminder(self) -> bool:
        """Reminders are keyed "reminder:...": the page names them apart from updates."""
        return self.event.key.startswith("reminder:")


@dataclass(frozen=True)
class MailSettings:
    """The mail settings an admin may see: everything but the password."""

    backend: str
    server: str | None
    port: int | None
    security: str
    sender: str
    username: str | None


#: A retried email this late means the relay is failing, not one mailbox being busy.
RELAY_LATE = timedelta(minutes=10)


@dataclass(frozen=True)
class RelayTrouble:
    """Mail that should have gone out and has not: what the admin is told, and why."""

    late: timedelta
    waiting: int
    last_error: str | None


@dataclass(frozen=True)
class MailDashboard:
    """Everything the delivery dashboard shows, read before rendering."""

    by_state: dict[DeliveryState, int]
    failures: list[Delivery]
    oldest_pending_at: datetime | None
    oldest_pending_age: timedelta | None
    events: list[EventSummary]
    tests: list[Delivery]
    settings: MailSettings
    relay_trouble: RelayTrouble | None = None


def read_relay_trouble(*, now: datetime | None = None) -> RelayTrouble | None:
    """Whether the relay is failing: retried emails still pending RELAY_LATE after queueing."""
    now = now or utcnow()
    retried = sa.and_(
        Delivery.state == DeliveryState.PENDING,
        Delivery.attempts > 0,
        Delivery.kind.in_(DeliveryKind.mailed()),  # a failing webhook is no failing relay
    )
    oldest, waiting = db.session.execute(
        sa.select(sa.func.min(Delivery.created_at), sa.func.count()).where(retried)
    ).one()
    if oldest is None or now - oldest < RELAY_LATE:
        return None
    last_error = db.session.scalar(
        sa.select(Delivery.last_error).where(retried).order_by(Delivery.id.desc()).limit(1)
    )
    return RelayTrouble(late=now - oldest, waiting=waiting, last_error=last_error)


def read_mail_settings() -> MailSettings:
    """The mail settings in force, without the password."""
    config = current_app.config
    backend = str(config["MAIL_BACKEND"])
    smtp = backend == "smtp"
    if config.get("MAIL_USE_SSL"):
        security = "SSL/TLS from the start"
    elif config.get("MAIL_USE_TLS"):
        security = "STARTTLS"
    else:
        security = "None (plain SMTP)"
    return MailSettings(
        backend=backend,
        server=str(config["MAIL_SERVER"]) if smtp else None,
        port=int(config["MAIL_PORT"]) if smtp else None,
        security=security if smtp else "Not used",
        sender=str(config["MAIL_DEFAULT_SENDER"]),
        username=config.get("MAIL_USERNAME") or None,
    )


def build_mail_dashboard(
    *, now: datetime | None = None, failures: int = 20, events: int = 10, tests: int = 5
) -> MailDashboard:
    """The outbox at a glance: a few small queries, none per row."""
    now = now or utcnow()
    by_state = dict.fromkeys(DeliveryState, 0)
    for state, count in db.session.execute(
        sa.select(Delivery.state, sa.func.count()).group_by(Delivery.state)
    ):
        by_state[state] = count
    last_failures = db.session.scalars(
        sa.select(Delivery)
        .where(Delivery.state == DeliveryState.FAILED)
        .order_by(sa.func.coalesce(Delivery.claimed_at, Delivery.created_at).desc())
        .order_by(Delivery.id.desc())
        .limit(failures)
    ).all()
    oldest = db.session.scalar(
        sa.select(sa.func.min(Delivery.created_at)).where(Delivery.state == DeliveryState.PENDING)
    )
    return MailDashboard(
        by_state=by_state,
        failures=list(last_failures),
        oldest_pending_at=oldest,
        oldest_pending_age=max(now - oldest, timedelta(0)) if oldest else None,
        events=_list_recent_events(events),
        tests=list(
            db.session.scalars(
                sa.select(Delivery)
                .where(Delivery.kind == DeliveryKind.TEST)
                .order_by(Delivery.created_at.desc(), Delivery.id.desc())
                .limit(tests)
            )
        ),
        settings=read_mail_settings(),
        relay_trouble=read_relay_trouble(now=now),
    )


def _list_recent_events(limit: int) -> list[EventSummary]:
    """The latest events with their notice's name, recipients and how many were sent."""
    rows = db.session.execute(
        sa.select(NotificationEvent, Notice.name, Notice.type)
        .outerjoin(Notice, Notice.id == NotificationEvent.notice_id)
        .order_by(NotificationEvent.created_at.desc(), NotificationEvent.id.desc())
        .limit(limit)
    ).all()
    ids = [event.id for event, _, _ in rows]
    sent: dict[int | None, int] = {}
    if ids:
        counts = db.session.execute(
            sa.select(Delivery.event_id, sa.func.count())
            .where(Delivery.event_id.in_(ids), Delivery.state == DeliveryState.SENT)
            .group_by(Delivery.event_id)
        )
        sent = {event_id: count for event_id, count in counts}
    return [
        EventSummary(event, name, notice_type, sent.get(event.id, 0))
        for event, name, notice_type in rows
    ]
