"""POSTing the outbox's webhook and chat rows: claim one, send it, record the outcome at once.

Like the mail sender, each row is claimed (a conditional UPDATE: only one worker wins) just
before its POST and marked as soon as the answer comes, so two workers never send one row and a
worker killed mid-POST leaves only that row "sending" until its lease runs out (at-least-once;
receivers deduplicate by the event id header). 2xx is sent; a timeout, a refused connection,
408, 429 and 5xx retry with backoff for MAIL_RETRY_HOURS; any other answer fails at once.
WEBHOOK_FAILURE_LIMIT failures in a row disable a webhook subscriber, with one notice mail.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app

if TYPE_CHECKING:
    import httpx

from statuspage.database import count_rows, utcnow
from statuspage.enums import Audience, DeliveryKind, DeliveryState, SubscriberState
from statuspage.extensions import db
from statuspage.limits import MAX_ERROR_TEXT
from statuspage.models import AuditEntry, ChatChannel, Delivery, NotificationEvent, Subscriber
from statuspage.services.errors import InvalidInput
from statuspage.services.hooks.chat import build_test_message, chat_message
from statuspage.services.hooks.endpoints import check_endpoint
from statuspage.services.hooks.webhooks import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    event_body,
    event_ident,
    sign_body,
    signing_secret,
    webhook_payload,
)
from statuspage.services.outbox.compose import MANAGE
from statuspage.services.outbox.delivery import (
    DeliveryReport,
    backoff_delay,
    due_delivery_ids,
    queue_mail,
    release_stale_claims,
)
from statuspage.services.page.builders import build_status_page
from statuspage.services.page.rollup import Overall
from statuspage.services.site.settings import SiteSettings, get_site_settings
from statuspage.services.unit import SCHEDULER, unit_of_work

Json = dict[str, Any]
USER_AGENT = "statuspage-hooks/1"


class Outcome(Exception):
    """How one POST ended when it did not succeed: `retry` or not."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.message = message[:MAX_ERROR_TEXT]
        self.retry = retry


def _claim(delivery_id: int, *, now: datetime, worker: str) -> bool:
    """Take one due row; False when another worker took it first."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.state == DeliveryState.PENDING,
            Delivery.next_attempt_at <= now,
        )
        .values(state=DeliveryState.SENDING, claimed_by=worker, claimed_at=now)
    )
    db.session.commit()
    return count_rows(result) == 1


def _mark(delivery_id: int, **values: Any) -> None:
    db.session.execute(sa.update(Delivery).where(Delivery.id == delivery_id).values(**values))
    db.session.commit()


class _Batch:
    """What every row of one pass shares: the settings, the public banner, the clock."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.settings: SiteSettings = get_site_settings()
        self._overall: Overall | None = None
        self._bodies: dict[int, Json | None] = {}

    def body(self, event: NotificationEvent) -> Json | None:
        """An event's shared payload, built once per pass however many subscribers hear it."""
        if event.id not in self._bodies:
            self._bodies[event.id] = event_body(event, settings=self.settings)
        return self._bodies[event.id]

    @property
    def overall(self) -> Overall:
        """The public page's status, read once per pass and only if a webhook needs it."""
        if self._overall is None:
            page = build_status_page(
                Audience.PUBLIC, now=self.clock(), with_uptime=False, with_history=False
            )
            self._overall = page.overall
        return self._overall


def _request(delivery: Delivery, batch: _Batch) -> tuple[str, bytes, dict[str, str]] | None:
    """The URL, body and headers of one row; None when it is no longer to be sent."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if delivery.kind is DeliveryKind.WEBHOOK:
        subscriber = delivery.addressee
        if subscriber.state is not SubscriberState.ACTIVE:
            return None
        event = delivery.notification_event
        shared = batch.body(event)
        if shared is None:
            return None
        payload = webhook_payload(
            subscriber,
            shared,
            settings=batch.settings,
            overall=batch.overall,
            now=batch.clock(),
        )
        if payload is None:
            return None
        body = _encode(payload)
        headers[SIGNATURE_HEADER] = sign_body(body, signing_secret(subscriber))
        headers[EVENT_HEADER] = event_ident(event)
        return subscriber.endpoint, body, headers
    channel = delivery.channel
    if not channel.enabled and delivery.kind is DeliveryKind.CHAT:
        return None
    if delivery.kind is DeliveryKind.CHAT_TEST:
        message = build_test_message(delivery, batch.settings)
    else:
        found = chat_message(channel, delivery.notification_event, batch.settings)
        if found is None:
            return None
        message = found
    return channel.webhook_url, _encode(channel.format(message)), headers


def _encode(payload: Json) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> None:
    """One POST; raises Outcome unless the receiver answered 2xx. The body of the answer is
    never read (a receiver could send gigabytes)."""
    import httpx  # imported when used: a web worker never needs it (bench/read_side.py, RSS)

    try:
        check_endpoint(url)
    except InvalidInput as error:
        raise Outcome(error.message, retry=False) from error
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            code = response.status_code
    except httpx.TimeoutException as error:
        raise Outcome(f"timed out: {error!r}", retry=True) from error
    except httpx.HTTPError as error:
        raise Outcome(f"connection: {error!r}", retry=True) from error
    if 200 <= code < 300:
        return
    raise Outcome(f"HTTP {code}", retry=code in (408, 429) or code >= 500)


def deliver_hooks(
    *,
    now: datetime | None = None,
    worker: str | None = None,
    batch: int | None = None,
    transport: httpx.BaseTransport | None = None,
) -> DeliveryReport:
    """POST up to *batch* due webhook and chat rows, each claimed just before it is sent; safe
    with several workers."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    worker = worker or f"{socket.gethostname()}:{os.getpid()}:hooks"
    size = batch or int(current_app.config["HOOKS_BATCH_SIZE"])
    report = DeliveryReport()
    release_stale_claims(clock())
    candidates = due_delivery_ids(clock(), size, DeliveryKind.posted())
    if not candidates:
        return report
    shared = _Batch(clock)
    timeout = float(current_app.config["WEBHOOK_TIMEOUT"])
    import httpx  # imported when used: a web worker never needs it (bench/read_side.py, RSS)

    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
        for delivery_id in candidates:
            if not _claim(delivery_id, now=clock(), worker=worker):
                continue  # another worker's now
            delivery = db.session.get_one(Delivery, delivery_id)
            _send_one(client, delivery, shared, report)
    return report


def _send_one(
    client: httpx.Client, delivery: Delivery, batch: _Batch, report: DeliveryReport
) -> None:
    request = _request(delivery, batch)
    if request is None:
        _mark(delivery.id, state=DeliveryState.SKIPPED, last_error="no longer to be sent")
        report.skipped += 1
        return
    url, body, headers = request
    attempts = delivery.attempts + 1
    try:
        _post(client, url, body, headers)
    except Outcome as outcome:
        report.errors.append(outcome.message)
        _record_failure(delivery, outcome, attempts, batch, report)
        return
    ident = headers.get(EVENT_HEADER) or delivery.key
    _mark(
        delivery.id,
        state=DeliveryState.SENT,
        sent_at=utcnow(),
        attempts=attempts,
        message_id=ident[:255],
        last_error=None,
    )
    report.sent += 1
    if delivery.subscriber_id is not None:  # failures count in a row: a success ends the run
        db.session.execute(
            sa.update(Subscriber)
            .where(Subscriber.id == delivery.subscriber_id, Subscriber.failures > 0)
            .values(failures=0, last_error=None)
        )
        db.session.commit()


def _record_failure(
    delivery: Delivery, outcome: Outcome, attempts: int, batch: _Batch, report: DeliveryReport
) -> None:
    now = batch.clock()
    window = timedelta(hours=float(current_app.config["MAIL_RETRY_HOURS"]))
    if outcome.retry and now - delivery.created_at < window:
        _mark(
            delivery.id,
            state=DeliveryState.PENDING,
            attempts=attempts,
            last_error=outcome.message,
            next_attempt_at=now + backoff_delay(attempts),
            claimed_by=None,
        )
        report.retried += 1
        return
    _mark(delivery.id, state=DeliveryState.FAILED, attempts=attempts, last_error=outcome.message)
    report.failed += 1
    if delivery.chat_channel_id is not None:
        db.session.execute(
            sa.update(ChatChannel)
            .where(ChatChannel.id == delivery.chat_channel_id)
            .values(last_error=outcome.message)
        )
        db.session.commit()
    if delivery.subscriber_id is not None:
        _count_subscriber_failure(delivery.subscriber_id, outcome.message, batch)


def _count_subscriber_failure(subscriber_id: int, error: str, batch: _Batch) -> None:
    """One more permanent failure in a row; at the limit the subscriber is disabled."""
    db.session.execute(
        sa.update(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .values(failures=Subscriber.failures + 1, last_error=error)
    )
    db.session.commit()
    subscriber = db.session.get_one(Subscriber, subscriber_id)
    if subscriber.failures >= int(current_app.config["WEBHOOK_FAILURE_LIMIT"]):
        disable_webhook_subscriber(subscriber, settings=batch.settings, now=batch.clock())


def disable_webhook_subscriber(
    subscriber: Subscriber, *, settings: SiteSettings, now: datetime
) -> bool:
    """Stop POSTing to an endpoint that keeps failing and tell its notice address once (the
    state moves from active once, so only one notice is queued); False when already stopped."""
    with unit_of_work("disable_webhook_subscriber", actor=SCHEDULER, now=now) as now:
        moved = count_rows(
            db.session.execute(
                sa.update(Subscriber)
                .where(Subscriber.id == subscriber.id, Subscriber.state == SubscriberState.ACTIVE)
                .values(state=SubscriberState.BOUNCING)
            )
        )
        if moved != 1:
            return False
        db.session.refresh(subscriber)
        db.session.add(
            AuditEntry(
                at=now,
                actor_id=None,
                actor_label=SCHEDULER.label,
                via=SCHEDULER.via,
                ip=None,
                action="disable_webhook_subscriber",
                operation="updated",
                object_type="Subscriber",
                object_id=str(subscriber.id),
                object_label=subscriber.email,
                changes={
                    "state": [SubscriberState.ACTIVE.value, SubscriberState.BOUNCING.value],
                    "failures": [subscriber.failures, subscriber.failures],
                },
            )
        )
        text = (
            f"{settings.status_title} stopped sending webhook notifications to\n"
            f"{subscriber.endpoint}\nafter {subscriber.failures} failed deliveries in a row.\n\n"
            f"The last answer was: {subscriber.last_error or 'none'}\n\n"
            f"Once the endpoint works again, resume the subscription here:\n{MANAGE}\n"
        )
        queue_mail(
            subscriber,
            DeliveryKind.WEBHOOK_DISABLED,
            f"webhook-disabled:{int(now.timestamp())}",
            now=now,
            subject=f"[{settings.page_name}] Webhook notifications stopped",
            text_body=text,
        )
    return True
