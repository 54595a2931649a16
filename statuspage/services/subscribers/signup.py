"""Subscribing with double opt-in, managing, unsubscribing; nothing here ever sends mail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from statuspage.enums import (
    Audience,
    Cadence,
    DeliveryKind,
    DeliveryState,
    SubscriberKind,
    SubscriberState,
)
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, ComponentGroup, Delivery, Subscriber
from statuspage.services.accounts.users import normalize_email
from statuspage.services.errors import InvalidInput
from statuspage.services.inputs import strip_controls
from statuspage.services.outbox.delivery import queue_mail
from statuspage.services.site.settings import get_site_settings
from statuspage.services.subscribers.digests import next_digest_time
from statuspage.services.unit import Actor, unit_of_work
from statuspage.visibility import component_visible, group_visible

#: Another confirmation (or "already subscribed" mail) to one address at most this often.
RESEND_AFTER = timedelta(minutes=10)


UNCONFIRMED_LIFETIME = timedelta(days=7)


def read_scope(
    component_ids: Sequence[str], group_ids: Sequence[str]
) -> tuple[list[Component], list[ComponentGroup]]:
    """The public, live components and groups chosen; InvalidInput for anything else."""
    limit = current_app.config["SUBSCRIBE_MAX_COMPONENTS"]
    if len(set(component_ids)) + len(set(group_ids)) > limit:
        raise InvalidInput(f"Choose at most {limit} components and groups.", field="components")
    components = list(
        db.session.scalars(sa.select(Component).where(Component.id.in_(set(component_ids))))
    )
    groups = list(
        db.session.scalars(sa.select(ComponentGroup).where(ComponentGroup.id.in_(set(group_ids))))
    )
    public = [c for c in components if component_visible(c, Audience.PUBLIC)]
    public_groups = [g for g in groups if group_visible(g, Audience.PUBLIC)]
    if len(public) != len(set(component_ids)) or len(public_groups) != len(set(group_ids)):
        raise InvalidInput("One of the chosen components does not exist.", field="components")
    return public, public_groups


def _queue_confirmation(subscriber: Subscriber, now: datetime) -> None:
    if subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < RESEND_AFTER:
        return
    queue_mail(subscriber, DeliveryKind.CONFIRMATION, f"confirm:{int(now.timestamp())}", now=now)
    subscriber.confirmation_sent_at = now


def subscribe(
    *,
    email: str,
    cadence: Cadence = Cadence.IMMEDIATE,
    component_ids: Sequence[str] = (),
    group_ids: Sequence[str] = (),
    actor: Actor,
    now: datetime | None = None,
) -> Subscriber:
    """Record a subscription request and queue the right mail; the caller shows one answer."""
    with unit_of_work("subscribe", actor=actor, now=now) as now:
        email = normalize_email(email)
        cadence = Cadence(cadence)
        components, groups = read_scope(component_ids, group_ids)
        subscriber = db.session.scalar(
            sa.select(Subscriber).where(
                Subscriber.kind == SubscriberKind.EMAIL, Subscriber.email == email
            )
        )
        welcomed = welcome_back(subscriber, now=now)
        if welcomed is not None:
            return welcomed
        subscriber = start_subscription(
            subscriber, email=email, cadence=cadence, components=components, groups=groups, now=now
        )
    return subscriber


def welcome_back(subscriber: Subscriber | None, *, now: datetime) -> Subscriber | None:
    """An address (or endpoint) already subscribed gets a "manage your subscription" mail, at
    most every RESEND_AFTER, and nothing changes on a stranger's word; it is returned then,
    None when it is to be (re)started."""
    if subscriber is None or subscriber.state not in (
        SubscriberState.ACTIVE,
        SubscriberState.PAUSED,
        SubscriberState.BOUNCING,
    ):
        return None
    last = db.session.scalar(
        sa.select(sa.func.max(Delivery.created_at)).where(
            Delivery.subscriber_id == subscriber.id, Delivery.kind == DeliveryKind.MANAGE
        )
    )
    if last is None or now - last >= RESEND_AFTER:
        queue_mail(subscriber, DeliveryKind.MANAGE, f"manage:{int(now.timestamp())}", now=now)
    return subscriber


def start_subscription(
    subscriber: Subscriber | None,
    *,
    email: str,
    cadence: Cadence,
    components: Sequence[Component] = (),
    groups: Sequence[ComponentGroup] = (),
    now: datetime,
    endpoint_url: str | None = None,
) -> Subscriber:
    """Make a new (None) or returning address (or webhook *endpoint_url*) pending and queue its
    confirmation mail."""
    # Shared by the public form and the admin import, inside the caller's unit of work. The
    # import adds thousands at once, so nothing here flushes or queries for a new address.
    if subscriber is None:
        kind = SubscriberKind.EMAIL if endpoint_url is None else SubscriberKind.WEBHOOK
        subscriber = Subscriber(
            email=email, created_at=now, token_version=1, kind=kind, endpoint_url=endpoint_url
        )
        db.session.add(subscriber)
    elif subscriber.state is SubscriberState.UNSUBSCRIBED:
        subscriber.token_version += 1
        subscriber.confirmation_sent_at = None
        subscriber.created_at = now
    subscriber.email = email
    subscriber.state = SubscriberState.PENDING
    subscriber.cadence = cadence
    subscriber.everything = not (components or groups)
    subscriber.components = list(components)
    subscriber.groups = list(groups)
    _queue_confirmation(subscriber, now)
    return subscriber


def confirm_subscription(
    subscriber: Subscriber, *, actor: Actor, now: datetime | None = None
) -> Subscriber:
    """The mailbox owner clicked the link: start sending (a second click changes nothing)."""
    with unit_of_work("confirm_subscription", actor=actor, now=now) as now:
        if subscriber.state is SubscriberState.PENDING:
            subscriber.state = SubscriberState.ACTIVE
            subscriber.confirmed_at = now
            subscriber.last_digest_at = now
            _schedule_digest(subscriber, now)
    return subscriber


def _schedule_digest(subscriber: Subscriber, now: datetime) -> None:
    settings = get_site_settings()
    subscriber.next_digest_at = next_digest_time(
        subscriber.cadence, now, tz=settings.tz, hour=int(current_app.config["DIGEST_HOUR"])
    )


def update_subscription(
    subscriber: Subscriber,
    *,
    cadence: Cadence,
    component_ids: Sequence[str],
    group_ids: Sequence[str],
    paused: bool,
    actor: Actor,
    now: datetime | None = None,
) -> Subscriber:
    """Change what and how often; pausing stops mail without losing the preferences."""
    with unit_of_work("update_subscription", actor=actor, now=now) as now:
        if subscriber.state in (SubscriberState.UNSUBSCRIBED, SubscriberState.PENDING):
            raise InvalidInput("Confirm the subscription first.", field="cadence")
        components, groups = read_scope(component_ids, group_ids)
        cadence = Cadence(cadence) if subscriber.kind.has_cadence else Cadence.IMMEDIATE
        if cadence is not subscriber.cadence:
            subscriber.cadence = cadence
            subscriber.last_digest_at = now
            _schedule_digest(subscriber, now)
        subscriber.everything = not (components or groups)
        subscriber.components = components
        subscriber.groups = groups
        if paused and subscriber.state is SubscriberState.ACTIVE:
            subscriber.state = SubscriberState.PAUSED
        elif not paused and subscriber.state in (SubscriberState.PAUSED, SubscriberState.BOUNCING):
            subscriber.state = SubscriberState.ACTIVE
            subscriber.failures = 0
            subscriber.last_digest_at = now
            _schedule_digest(subscriber, now)
    return subscriber


def unsubscribe(subscriber: Subscriber, *, actor: Actor, now: datetime | None = None) -> None:
    """Stop every mail now, including queued ones; every link sent so far stops working."""
    with unit_of_work("unsubscribe", actor=actor, now=now):
        if subscriber.state is SubscriberState.UNSUBSCRIBED:
            return
        subscriber.state = SubscriberState.UNSUBSCRIBED
        subscriber.token_version += 1
        subscriber.next_digest_at = None
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.subscriber_id == subscriber.id, Delivery.state == DeliveryState.PENDING)
            .values(state=DeliveryState.SKIPPED, last_error="unsubscribed")
        )


def resend_confirmation(
    subscriber: Subscriber, *, actor: Actor, now: datetime | None = None
) -> bool:
    """Queue another confirmation (admins); False when it is not pending or was just sent."""
    with unit_of_work("resend_confirmation", actor=actor, now=now) as now:
        if subscriber.state is not SubscriberState.PENDING:
            return False
        before = subscriber.confirmation_sent_at
        _queue_confirmation(subscriber, now)
        return subscriber.confirmation_sent_at != before


def remove_subscriber(subscriber: Subscriber, *, actor: Actor, now: datetime | None = None) -> None:
    """Delete the subscriber and its delivery log, and erase the address from the audit log
    (admins; for erasure requests): the log keeps that it happened, not who it was."""

    with unit_of_work("remove_subscriber", actor=actor, now=now):
        ident = str(subscriber.id)
        db.session.delete(subscriber)
        db.session.flush()
        entries = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.object_type == "Subscriber", AuditEntry.object_id == ident
            )
        )
        for entry in entries:
            entry.object_label = "[erased]"
            entry.changes = {
                key: ["[erased]" if value else value for value in pair]
                if key in ("email", "endpoint_url")
                else pair
                for key, pair in entry.changes.items()
            }


def purge_unconfirmed(*, actor: Actor, now: datetime) -> int:
    """Forget addresses nobody confirmed within a week."""
    with unit_of_work("purge_unconfirmed", actor=actor, now=now):
        stale = db.session.scalars(
            sa.select(Subscriber).where(
                Subscriber.state == SubscriberState.PENDING,
                sa.func.coalesce(Subscriber.confirmation_sent_at, Subscriber.created_at)
                < now - UNCONFIRMED_LIFETIME,
            )
        ).all()
        for subscriber in stale:
            db.session.delete(subscriber)
        return len(stale)


def list_subscribers(*, page: int = 1, per_page: int = 50) -> tuple[list[Subscriber], int]:
    """One page of every subscriber, newest first, and how many there are in all."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) or 0
    rows = db.session.scalars(
        sa.select(Subscriber)
        .order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def clean_email_for_search(text: str) -> str:
    return strip_controls(text or "").strip().lower()[:254]
