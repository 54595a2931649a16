"""Sending the outbox: claim one due row just before sending it, mark it sent at once.

A row is claimed (state "sending", with a lease) only while its one message is on the wire, so
a sender killed at any moment leaves at most that message in doubt, and a slow relay can never
outlive a claim: the lease only has to be longer than one SMTP exchange (MAIL_TIMEOUT).
"""

from __future__ import annotations

import logging
import os
import random
import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from statuspage.database import count_rows, utcnow
from statuspage.enums import DeliveryKind, DeliveryState, SubscriberState
from statuspage.extensions import db
from statuspage.limits import MAX_ERROR_TEXT
from statuspage.mail import MailConnection, Mailer
from statuspage.models import AuditEntry, Delivery, Subscriber
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

#: Permanent failures in a row that mark a subscriber bouncing.
BOUNCE_LIMIT = 3
#: Seconds before the first retry; doubles each attempt up to MAIL_BACKOFF_CAP_SECONDS.
BACKOFF_BASE = 30


def claim_lease() -> timedelta:
    """How long a claim holds before another sender may take the row back (at-least-once)."""
    return timedelta(seconds=float(current_app.config["MAIL_CLAIM_LEASE_SECONDS"]))


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        """Rows this run has dealt with, whatever the outcome."""
        return self.sent + self.retried + self.failed + self.skipped


def release_stale_claims(now: datetime) -> int:
    """Rows a dead sender left "sending" go back to the queue (at-least-once)."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING, Delivery.claimed_at < now - claim_lease())
        .values(state=DeliveryState.PENDING, claimed_by=None, last_error="sender stopped mid-send")
    )
    db.session.commit()
    return count_rows(result) or 0


def claim_batch(*, now: datetime, worker: str, size: int) -> list[int]:
    """Take up to *size* due rows for this worker; a row is only ever claimed by one."""
    due = (
        sa.select(Delivery.id)
        .where(
            Delivery.state == DeliveryState.PENDING,
            Delivery.next_attempt_at <= now,
            Delivery.kind.in_(DeliveryKind.mailed()),
        )
        # Longest due first: a retried row never holds back mail queued after it.
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # Materialised once: as a plain IN (subquery) PostgreSQL may run the LIMIT again per row
    # and claim more rows than asked for.
    picked = due.cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
    statement = (
        sa.update(Delivery)
        .where(Delivery.id.in_(sa.select(picked.c.id)), Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.SENDING, claimed_by=worker, claimed_at=now)
        .returning(Delivery.id)
    )
    connection = _MARKS.get(id(db.session))
    if connection is None:
        ids = db.session.scalars(statement).all()
        db.session.commit()
    else:
        ids = connection.execute(statement).scalars().all()
        connection.commit()
    return sorted(ids)


def due_delivery_ids(
    now: datetime, size: int, kinds: tuple[DeliveryKind, ...] | None = None
) -> list[int]:
    """The next rows due of *kinds* (mail by default), longest waiting first: candidates only,
    each still claimed alone."""
    return list(
        db.session.scalars(
            sa.select(Delivery.id)
            .where(
                Delivery.state == DeliveryState.PENDING,
                Delivery.next_attempt_at <= now,
                Delivery.kind.in_(kinds or DeliveryKind.mailed()),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(size)
        )
    )


def _load_many(ids: list[int]) -> dict[int, Delivery]:
    """The candidates with what composing needs (the address and token version, not the scope),
    in one query."""
    rows = db.session.scalars(
        sa.select(Delivery)
        .where(Delivery.id.in_(ids))
        .options(
            sa.orm.joinedload(Delivery.subscriber).lazyload(Subscriber.components),
            sa.orm.joinedload(Delivery.subscriber).lazyload(Subscriber.groups),
            # Its event is one of a few, already in the session after the first row: no query.
        )
    ).unique()
    return {row.id: row for row in rows}


_CLAIM_ONE = (
    sa.update(Delivery)
    .where(
        Delivery.id == sa.bindparam("delivery_id"),
        Delivery.state == DeliveryState.PENDING,
        Delivery.next_attempt_at <= sa.bindparam("now"),
    )
    .values(
        state=DeliveryState.SENDING,
        claimed_by=sa.bindparam("worker"),
        claimed_at=sa.bindparam("now"),
    )
    .returning(Delivery.attempts)
)


def _claim_one(delivery: Delivery, *, now: datetime, worker: str) -> bool:
    """Claim one candidate by its key just before sending it (committing the previous row's
    "sent" mark with it); False when another worker took it first."""
    connection = _MARKS[id(db.session)]
    attempts = connection.execute(
        _CLAIM_ONE, {"delivery_id": delivery.id, "now": now, "worker": worker}
    ).scalar()
    connection.commit()
    if attempts is None:
        return False
    sa.orm.attributes.set_committed_value(delivery, "attempts", attempts)
    return True


def backoff_delay(attempts: int) -> timedelta:
    """The wait before retry number *attempts* (mail and the hooks sender share it)."""
    return _backoff(attempts)


def _backoff(attempts: int) -> timedelta:
    """Exponential with jitter, so a recovering server is not hit by every retry at once; capped,
    so mail goes out within minutes of the relay coming back, however long it was down."""
    cap = float(current_app.config["MAIL_BACKOFF_CAP_SECONDS"])
    seconds = min(BACKOFF_BASE * 2 ** min(max(0, attempts - 1), 30), cap)
    return timedelta(seconds=seconds * random.uniform(0.5, 1.0))  # noqa: S311 (not crypto)


_MARKS: dict[int, Any] = {}
#: Rows read ahead per query; each is still claimed on its own just before it is sent.
CANDIDATES = 200


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
        connection.commit()  # the last "sent" mark
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
    # Committed with the next claim, a moment later (or when the batch ends): one commit a mail.
    connection.execute(_SENT, params)


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
    """Retry within the window (an outage lasts as long as it lasts), then give up."""
    attempts = delivery.attempts + 1
    window = timedelta(hours=float(current_app.config["MAIL_RETRY_HOURS"]))
    if now - delivery.created_at >= window:
        _mark(
            delivery.id,
            state=DeliveryState.FAILED,
            attempts=attempts,
            last_error=error[:MAX_ERROR_TEXT],
        )
        report.failed += 1
    else:
        _mark(
            delivery.id,
            state=DeliveryState.PENDING,
            attempts=attempts,
            last_error=error[:MAX_ERROR_TEXT],
            next_attempt_at=now + _backoff(attempts),
            claimed_by=None,
        )
        report.retried += 1


def _fail_permanently(delivery: Delivery, error: str, report: DeliveryReport) -> None:
    _mark(
        delivery.id,
        state=DeliveryState.FAILED,
        attempts=delivery.attempts + 1,
        last_error=error[:MAX_ERROR_TEXT],
    )
    report.failed += 1
    if delivery.subscriber_id is not None and delivery.kind is not DeliveryKind.TEST:
        subscriber = db.session.get_one(Subscriber, delivery.subscriber_id)
        failures = subscriber.failures + 1
        values: dict[str, Any] = {"failures": failures, "last_error": error[:MAX_ERROR_TEXT]}
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


#: Kinds sent whatever the state of their subscriber: a confirmation goes to one still pending,
#: and test, escalation and overdue action item (staff) mail goes to an address with no
#: subscriber at all.
SENDABLE_TO_ANYONE = (
    DeliveryKind.CONFIRMATION,
    DeliveryKind.MANAGE,
    DeliveryKind.TEST,
    DeliveryKind.ESCALATION,
    DeliveryKind.ACTION_OVERDUE,
    DeliveryKind.REPORT_SPIKE,
    DeliveryKind.REPORT_RESOLVED,
    DeliveryKind.INTEGRATION_DRAFT,
    DeliveryKind.WEBHOOK_DISABLED,
)


def deliver_pending(
    mailer: Mailer,
    *,
    now: datetime | None = None,
    worker: str | None = None,
    batch: int | None = None,
) -> DeliveryReport:
    """Send up to *batch* due deliveries over one connection, each claimed only just before it
    is sent, so a crash or a slow relay leaves at most one message in doubt; safe with several
    workers."""

    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(mailer)}"
    size = batch or current_app.config["MAIL_BATCH_SIZE"]
    report = DeliveryReport()
    release_stale_claims(clock())
    if not _has_due(clock()):
        return report
    in_flight: Delivery | None = None
    try:
        with _marking(), mailer.connect() as connection:
            composer = MessageComposer(now=clock(), eight_bit=connection.eight_bit)
            while report.attempted < size:
                candidates = due_delivery_ids(clock(), min(size - report.attempted, CANDIDATES))
                if not candidates:
                    break
                loaded = _load_many(candidates)
                for delivery_id in candidates:
                    delivery = loaded.get(delivery_id)
                    if delivery is None or not _claim_one(delivery, now=clock(), worker=worker):
                        continue  # gone, or another worker's now
                    in_flight = delivery
                    _send_one(connection, composer, delivery, clock(), report)
                    in_flight = None
    except (smtplib.SMTPException, OSError) as error:
        # The connection is gone (refused, timed out, dropped): what was due waits, backed off.
        db.session.rollback()
        text = f"connection: {error!r}"
        report.errors.append(text)
        waiting = [] if in_flight is None else [in_flight.id]
        waiting += claim_batch(now=clock(), worker=worker, size=max(size - report.attempted, 1))
        for delivery in db.session.scalars(sa.select(Delivery).where(Delivery.id.in_(waiting))):
            _retry_or_fail(delivery, text, clock(), report)
    return report


def _has_due(now: datetime) -> bool:
    """Whether anything is due, so an idle tick opens no SMTP connection."""
    return (
        db.session.scalar(
            sa.select(Delivery.id)
            .where(
                Delivery.state == DeliveryState.PENDING,
                Delivery.next_attempt_at <= now,
                Delivery.kind.in_(DeliveryKind.mailed()),
            )
            .limit(1)
        )
        is not None
    )


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


def requeue_failed_deliveries(*, actor: Any, now: datetime | None = None) -> int:
    """Give every failed delivery a fresh retry window (the relay is back); returns how many."""
    with unit_of_work("requeue_failed_deliveries", actor=actor, now=now) as now:
        count = count_rows(
            db.session.execute(
                sa.update(Delivery)
                .where(Delivery.state == DeliveryState.FAILED)
                .values(
                    state=DeliveryState.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    claimed_by=None,
                    claimed_at=None,
                )
            )
        )
        db.session.add(
            AuditEntry(
                at=now,
                actor_id=actor.user_id,
                actor_label=actor.label,
                via=actor.via,
                ip=actor.ip,
                action="requeue_failed_deliveries",
                operation="updated",
                object_type="Delivery",
                object_id="failed",
                object_label=f"{count} failed deliveries",
                changes={"state": ["failed", "pending"], "count": [count, count]},
            )
        )
    return count
