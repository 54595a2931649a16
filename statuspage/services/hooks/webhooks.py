"""Webhook subscribers: signing up, signing bodies, and Statuspage's webhook payloads.

A webhook subscriber is a `Subscriber` of kind webhook: the same double opt-in (the
confirmation goes to its notice address), scopes, manage and unsubscribe links as a mailbox.
Each payload is Statuspage's (docs/integrations.md), its incident built from the public
audience's view exactly as /api/v2 serializes it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from statuspage.api.serialize import api_time as format_api_time
from statuspage.api.serialize import component_json, incident_json
from statuspage.enums import Audience, Cadence, SubscriberKind
from statuspage.extensions import db
from statuspage.models import Notice, NotificationEvent, Subscriber
from statuspage.services.accounts.users import normalize_email
from statuspage.services.hooks.endpoints import check_endpoint
from statuspage.services.outbox.compose import subscriber_links
from statuspage.services.outbox.events import COMPONENT_TOPIC
from statuspage.services.page.history import get_notice_view
from statuspage.services.page.rollup import Overall
from statuspage.services.site.settings import SiteSettings
from statuspage.services.subscribers.signup import read_scope, start_subscription, welcome_back
from statuspage.services.unit import Actor, unit_of_work
from statuspage.visibility import component_visible

Json = dict[str, Any]

#: Where a receiver reads how to verify a payload (served from the page itself).
DOCUMENTATION_PATH = "/api#webhooks"
SIGNATURE_HEADER = "X-Statuspage-Signature"
EVENT_HEADER = "X-Statuspage-Event-Id"


def signing_secret(subscriber: Subscriber) -> str:
    """The subscriber's HMAC key, derived (never stored): from the page's secret key, its
    public id and link version, so unsubscribing and subscribing again gives a new one."""
    message = f"webhook-signing:{subscriber.public_id}:{subscriber.token_version}".encode()
    key = str(current_app.config["SECRET_KEY"]).encode()
    return "whsec_" + hmac.new(key, message, hashlib.sha256).hexdigest()[:48]


def sign_body(body: bytes, secret: str) -> str:
    """The signature header's value: HMAC-SHA256 of the raw body, hex, as `sha256=<hex>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_ident(event: NotificationEvent) -> str:
    """The idempotency id a receiver sees: the same on every retry of one event, never a row
    id (update ids are public; a component change is its component and a random id)."""
    return event.key.replace(":", "-")


def subscribe_webhook(
    *,
    endpoint: str,
    email: str,
    component_ids: Sequence[str] = (),
    group_ids: Sequence[str] = (),
    actor: Actor,
    now: datetime | None = None,
) -> Subscriber:
    """Record a webhook subscription (pending; its notice address confirms it): the public
    form, the admin and the management API all come here."""
    with unit_of_work("subscribe_webhook", actor=actor, now=now) as now:
        endpoint = check_endpoint(endpoint, field="endpoint")
        email = normalize_email(email)
        components, groups = read_scope(component_ids, group_ids)
        subscriber = db.session.scalar(
            sa.select(Subscriber).where(Subscriber.endpoint_url == endpoint)
        )
        welcomed = welcome_back(subscriber, now=now)
        if welcomed is not None:
            return welcomed
        subscriber = start_subscription(
            subscriber,
            email=email,
            cadence=Cadence.IMMEDIATE,
            components=components,
            groups=groups,
            now=now,
            endpoint_url=endpoint,
        )
    return subscriber


def _meta(subscriber: Subscriber, settings: SiteSettings, now: datetime) -> Json:
    return {
        "unsubscribe": subscriber_links(subscriber)["unsubscribe_url"],
        "documentation": settings.absolute_url(DOCUMENTATION_PATH),
        "generated_at": format_api_time(now, settings),
    }


def _page(settings: SiteSettings, overall: Overall) -> Json:
    return {
        "id": settings.page_id,
        "status_indicator": overall.indicator.value,
        "status_description": overall.description,
    }


def event_body(event: NotificationEvent, *, settings: SiteSettings) -> Json | None:
    """The part of the payload every subscriber of one event shares (`incident`, or
    `component_update` and `component`), as the public sees it now; None when the public may
    no longer see it (the incident turned internal, the component too)."""
    if event.topic == COMPONENT_TOPIC:
        change = event.status_change
        if change is None or not component_visible(change.component, Audience.PUBLIC):
            return None
        component = change.component
        return {
            "component_update": {
                "created_at": format_api_time(change.at, settings),
                "new_status": change.new_status.value,
                "old_status": change.old_status.value,
                "id": event_ident(event),
                "component_id": component.id,
                "component_type": "Component",
                "state": "sn_created",
            },
            "component": component_json(component, settings),
        }
    if event.notice_id is None or event.update_id is None:
        return None
    view = get_notice_view(event.notice_id, Audience.PUBLIC, Notice, with_notes=False)
    if view is None or event.update_id not in {u.update.id for u in view.updates}:
        return None
    return {"incident": incident_json(view, settings)}


def webhook_payload(
    subscriber: Subscriber,
    body: Json,
    *,
    settings: SiteSettings,
    overall: Overall,
    now: datetime,
) -> Json | None:
    """Statuspage's payload for one subscriber: its own `meta` (unsubscribe link), the page's
    status, then the event's *body*; None for a subscriber that is no webhook."""
    if subscriber.kind is not SubscriberKind.WEBHOOK:
        return None
    return {"meta": _meta(subscriber, settings, now), "page": _page(settings, overall), **body}
