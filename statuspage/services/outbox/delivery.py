"""Subscribing with double opt-in, managing, unsubscribing; nothing here ever sends mail."""

from __future__ import annotations

import logging
import random
import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from statuspage.database import count_rows, utcnow
from statuspage.enums import DeliveryKind, DeliveryState, SubscriberState
from statuspage.extensions import db
from statuspage.mail import MailConnection, Mailer
from statuspage.models import Delivery, Subscriber
from statuspage.services.accounts.users import normalize_email
from statuspage.services.outbox.compose import MessageComposer
from statuspage.services.unit import unit_of_work


def queue_mail(
    subscriber: Subscriber, kind: DeliveryKind, key: str, *, now: datetime, **content: Any
) -> Delivery | None:
    """Add an outbox row unless one with this key exists (the unique key forbids a double)."""
    if subscriber.id is not None:  # a subscriber not written yet has no mail yet
        exists = db.session.scalar(
            sa.select(Delivery.id).where(
                Delivery.subscriber_id == subscriber.id, Delivery.key == key
            )
        )
        if exists:
            return None
    delivery = Delivery(
        subscriber=subscriber,
        kind=kind,
        key=key,
        to_address=subscriber.email,
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        **content,
    )
    db.session.add(delivery)
    return delivery





logger = logging.getLogger(__name__)


LEASE = timedelta(minutes=5)


BOUNCE_LIMIT = 3


BACKOFF_BASE = 30  # seconds; doubles each attempt


BACKOFF_CAP = 6 * 3600




@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def release_stale_claims(now: datetime) -> int:
    """Rows a dead sender left "sending" go back to the queue (at-least-once)."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING, Delivery.claimed_at < now - LEASE)
        .values(state=DeliveryState.PENDING, claimed_by=None, last_error="sender stopped mid-send")
    )
    db.session.commit()
    return count_rows(result) or 0


def claim_batch(*, now: datetime, worker: str, size: int) -> list[int]:
    """Take up to *size* due rows for this worker; a row is only ever claimed by one."""
    due = (
        sa.select(Delivery.id)
        .where(Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.id)
        .limit(size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = db.session.scalars(
        sa.update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()), Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.SENDING, claimed_by=worker, claimed_at=now)
        .returning(Delivery.id)
    ).all()
    db.session.commit()
    return sorted(ids)


def _backoff(attempts: int) -> timedelta:
    """Exponential with jitter, so a recovering server is not hit by every retry at once."""
    seconds = min(BACKOFF_BASE * 2 ** max(0, attempts - 1), BACKOFF_CAP)
    return timedelta(seconds=seconds * random.uniform(0.5, 1.5))  # noqa: S311 (not crypto)


_MARKS: dict[int, Any] = {}


@contextmanager
def _marking() -> Iterator[None]:
    """One connection of its own for the batch's outcomes: committing them never expires the
    batch's loaded rows, and no connection is checked out per mail."""
    connection = db.engine.connect()
    _MARKS[id(db.session)] = connection
    try:
        yield
    finally:
        _MARKS.pop(id(db.session), None)
        connection.close()


_SENT = (
    sa.update(Delivery)
    .where(Delivery.id == sa.bindparam("delivery_id"))
    .values(
        state=DeliveryState.SENT,
        sent_at=sa.bindparam("sent_at"),
        attempts=sa.bindparam("attempts"),
        message_id=sa.bindparam("message_id"),
        last_error=None,
    )
)


def _mark_sent(delivery_id: int, *, attempts: int, message_id: str) -> None:
    """The hot path of a fan-out: one prepared statement, committed at once."""
    params = {
        "delivery_id": delivery_id,
        "sent_at": utcnow(),
        "attempts": attempts,
        "message_id": message_id,
    }
    connection = _MARKS.get(id(db.session))
    if connection is None:
        with db.engine.begin() as fresh:
            fresh.execute(_SENT, params)
        return
    connection.execute(_SENT, params)
    connection.commit()


def _mark(delivery_id: int, **values: Any) -> None:
    """Record one outcome in its own short transaction, at once (see the module docstring)."""
    connection = _MARKS.get(id(db.session))
    statement = sa.update(Delivery).where(Delivery.id == delivery_id).values(**values)
    if connection is None:
        with db.engine.begin() as fresh:
            fresh.execute(statement)
        return
    connection.execute(statement)
    connection.commit()


def _retry_or_fail(delivery: Delivery, error: str, now: datetime, report: DeliveryReport) -> None:
    attempts = delivery.attempts + 1
    if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _mark(delivery.id, state=DeliveryState.FAILED, attempts=attempts, last_error=error[:500])
        report.failed += 1
    else:
        _mark(
            delivery.id,
            state=DeliveryState.PENDING,
            attempts=attempts,
            last_error=error[:500],
            next_attempt_at=now + _backoff(attempts),
            claimed_by=None,
        )
        report.retried += 1


def _fail_permanently(delivery: Delivery, error: str, report: DeliveryReport) -> None:
    _mark(
        delivery.id,
        state=DeliveryState.FAILED,
        attempts=delivery.attempts + 1,
        last_error=error[:500],
    )
    report.failed += 1
    if delivery.subscriber_id is not None and delivery.kind is not DeliveryKind.TEST:
        subscriber = db.session.get_one(Subscriber, delivery.subscriber_id)
        failures = subscriber.failures + 1
        values: dict[str, Any] = {"failures": failures, "last_error": error[:500]}
        if failures >= BOUNCE_LIMIT and subscriber.state is SubscriberState.ACTIVE:
            values["state"] = SubscriberState.BOUNCING
        db.session.execute(
            sa.update(Subscriber).where(Subscriber.id == subscriber.id).values(**values)
        )
        db.session.commit()


def _smtp_code(error: Exception) -> tuple[int | None, str]:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(error.recipients.values()), (None, b""))
        return code, f"{code} {message!r}"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code, f"{error.smtp_code} {error.smtp_error!r}"
    return None, repr(error)


SENDABLE_TO_ANYONE = (DeliveryKind.CONFIRMATION, DeliveryKind.MANAGE, DeliveryKind.TEST)


def deliver_pending(
    mailer: Mailer,
    *,
    now: datetime | None = None,
    worker: str | None = None,
    batch: int | None = None,
) -> DeliveryReport:
    """Send one batch of due deliveries over one connection; safe with several workers."""

    now = now or utcnow()
    worker = worker or f"{socket.gethostname()}:{id(mailer)}"
    size = batch or current_app.config["MAIL_BATCH_SIZE"]
    report = DeliveryReport()
    release_stale_claims(now)
    ids = claim_batch(now=now, worker=worker, size=size)
    if not ids:
        return report
    deliveries = db.session.scalars(
        sa.select(Delivery)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
        .options(
            # A fan-out batch needs each subscriber's address and token version, not its scope.
            sa.orm.joinedload(Delivery.subscriber).lazyload(Subscriber.components),
            sa.orm.joinedload(Delivery.subscriber).lazyload(Subscriber.groups),
            sa.orm.joinedload(Delivery.event),
        )
    ).all()
    try:
        with _marking(), mailer.connect() as connection:
            composer = MessageComposer(now=now, eight_bit=connection.eight_bit)
            for delivery in deliveries:
                _send_one(connection, composer, delivery, now, report)
    except (smtplib.SMTPException, OSError) as error:
        # The connection is gone (refused, timed out, dropped): whatever is unsent waits.
        db.session.rollback()
        text = f"connection: {error!r}"
        report.errors.append(text)
        unsent = db.session.scalars(
            sa.select(Delivery).where(
                Delivery.id.in_(ids),
                Delivery.state == DeliveryState.SENDING,
                Delivery.claimed_by == worker,
            )
        ).all()
        for delivery in unsent:
            _retry_or_fail(delivery, text, now, report)
    return report


def _send_one(
    connection: MailConnection,
    composer: MessageComposer,
    delivery: Delivery,
    now: datetime,
    report: DeliveryReport,
) -> None:
    """Send one claimed row and record the outcome; connection errors propagate."""
    subscriber = delivery.subscriber
    if delivery.kind not in SENDABLE_TO_ANYONE and (
        subscriber is None or subscriber.state is not SubscriberState.ACTIVE
    ):
        _mark(delivery.id, state=DeliveryState.SKIPPED, last_error="not an active subscriber")
        report.skipped += 1
        return
    message = composer.compose(delivery)
    try:
        connection.send(message)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
        code, text = _smtp_code(error)
        report.errors.append(text)
        if code is not None and 500 <= code < 600:
            _fail_permanently(delivery, text, report)
        else:
            _retry_or_fail(delivery, text, now, report)
        return
    _mark_sent(delivery.id, attempts=delivery.attempts + 1, message_id=message.message_id)
    report.sent += 1


def queue_test_mail(
    to_address: str, *, requested_by: str, actor: Any, now: datetime | None = None
) -> Delivery:
    """A message to check the mail settings; it goes through the outbox like every mail."""

    with unit_of_work("queue_test_mail", actor=actor, now=now) as now:
        delivery = Delivery(
            subscriber_id=None,
            kind=DeliveryKind.TEST,
            key=f"test:{now.timestamp()}",
            to_address=normalize_email(to_address),
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            text_body=requested_by[:200],
        )
        db.session.add(delivery)
    return delivery
