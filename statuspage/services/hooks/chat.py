"""Chat channels: admin-configured incoming webhooks, and the message each event becomes.

A public channel hears only what the public page shows; an internal one also internal
incidents, internal updates and notes, and internal components. Both questions go to
statuspage/visibility.py, when the event is fanned out (`ChatChannel.hears`) and again when the
message is composed (the incident may have turned internal since).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from statuspage.enums import Audience, ChatKind, DeliveryKind, DeliveryState
from statuspage.extensions import db
from statuspage.limits import MAX_NAME
from statuspage.models import ChatChannel, ChatMessage, Delivery, IncidentUpdate, NotificationEvent
from statuspage.services.errors import InvalidInput, NotFound
from statuspage.services.hooks.endpoints import check_endpoint
from statuspage.services.outbox.events import COMPONENT_TOPIC
from statuspage.services.site.settings import SiteSettings
from statuspage.services.unit import Actor, unit_of_work
from statuspage.visibility import component_visible, update_visible

#: Update statuses that close the matter: good news.
GOOD_STATUSES = ("resolved", "completed")
TONE_BY_SEVERITY = {0: "info", 1: "warning", 2: "danger", 3: "danger"}


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the channel a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"The name is longer than {MAX_NAME} characters.", field="name")
    return name


def list_chat_channels() -> list[ChatChannel]:
    return list(db.session.scalars(sa.select(ChatChannel).order_by(ChatChannel.name)))


def get_chat_channel(channel_id: str) -> ChatChannel:
    channel = db.session.get(ChatChannel, channel_id)
    if channel is None:
        raise NotFound("No such chat channel.")
    return channel


def create_chat_channel(
    *,
    name: str,
    kind: ChatKind,
    audience: Audience,
    webhook_url: str,
    actor: Actor,
    now: datetime | None = None,
) -> ChatChannel:
    """Add a channel; its URL is kept (it must be POSTed to) but never shown again in full."""
    with unit_of_work("create_chat_channel", actor=actor, now=now) as now:
        channel = ChatChannel(
            name=_clean_name(name),
            kind=ChatKind(kind),
            audience=Audience(audience),
            webhook_url=check_endpoint(webhook_url, field="webhook_url"),
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        db.session.add(channel)
    return channel


def update_chat_channel(
    channel: ChatChannel,
    *,
    name: str,
    audience: Audience,
    enabled: bool,
    webhook_url: str = "",
    actor: Actor,
    now: datetime | None = None,
) -> ChatChannel:
    """Rename, move to another audience, pause; a new URL replaces the old (blank keeps it)."""
    with unit_of_work("update_chat_channel", actor=actor, now=now) as now:
        channel.name = _clean_name(name)
        channel.audience = Audience(audience)
        channel.enabled = bool(enabled)
        if (webhook_url or "").strip():
            channel.webhook_url = check_endpoint(webhook_url, field="webhook_url")
        channel.updated_at = now
    return channel


def delete_chat_channel(channel: ChatChannel, *, actor: Actor, now: datetime | None = None) -> None:
    """Remove the channel and its queued messages."""
    with unit_of_work("delete_chat_channel", actor=actor, now=now):
        db.session.delete(channel)


def queue_chat_test(
    channel: ChatChannel, *, requested_by: str, actor: Actor, now: datetime | None = None
) -> Delivery:
    """A test message through the outbox, like every message (the next hooks pass sends it)."""
    with unit_of_work("queue_chat_test", actor=actor, now=now) as now:
        delivery = Delivery(
            chat_channel=channel,
            kind=DeliveryKind.CHAT_TEST,
            key=f"test:{now.timestamp()}",
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            text_body=requested_by[:200],
        )
        db.session.add(delivery)
    return delivery


def build_test_message(delivery: Delivery, settings: SiteSettings) -> ChatMessage:
    return ChatMessage(
        title=f"{settings.page_name}: test message",
        text=f"Chat notifications from {settings.status_title} reach this channel "
        f"(sent by {delivery.text_body or 'an admin'}).",
        url=settings.absolute_url("/"),
        tone="info",
        footer=settings.status_title,
        at=delivery.created_at,
    )


def chat_message(
    channel: ChatChannel, event: NotificationEvent, settings: SiteSettings
) -> ChatMessage | None:
    """What *event* says in *channel*, or None when its audience may not (or no longer) see it."""
    audience = channel.audience
    if not channel.hears(event.audience, event.topic):
        return None
    if event.topic == COMPONENT_TOPIC:
        change = event.status_change
        if change is None or not component_visible(change.component, audience):
            return None
        component = change.component
        return ChatMessage(
            title=f"{component.full_name}: {change.new_status.label}",
            text=f"{component.full_name} changed from {change.old_status.label} to "
            f"{change.new_status.label}.",
            url=settings.absolute_url(_prefix(audience) + "/"),
            tone="good" if change.new_status.severity == 0 else _tone(change.new_status.severity),
            facts=[("Status", change.new_status.label), ("Was", change.old_status.label)],
            footer=settings.status_title,
            at=change.at,
        )
    update = db.session.get(IncidentUpdate, event.update_id) if event.update_id else None
    if update is None or not update_visible(update, audience, with_notes=True):
        return None
    notice = update.notice
    facts = [("Status", notice.status_label_of(update.status_value))]
    facts.append(("Impact", notice.impact.label))
    names = [
        link.component.full_name
        for link in notice.affected
        if component_visible(link.component, audience)
    ]
    if names:
        facts.append(("Components", ", ".join(names)))
    if audience is Audience.INTERNAL:
        facts.append(("Visible to", f"{notice.visibility.label} / {update.visibility.label}"))
        facts.append(("Entry", update.kind.value))
    status = update.status_value
    return ChatMessage(
        title=f"{notice.kind_label}: {notice.name} — {notice.status_label_of(status)}",
        text=update.body or notice.status_label_of(status),
        url=settings.absolute_url(_prefix(audience) + notice.public_path),
        tone="good" if status in GOOD_STATUSES else _tone(notice.impact.severity),
        facts=facts,
        footer=settings.status_title,
        at=update.display_at,
    )


def _prefix(audience: Audience) -> str:
    """Staff links open the internal page, which shows what an internal channel heard."""
    return "/internal" if audience is Audience.INTERNAL else ""


def _tone(severity: int) -> str:
    return TONE_BY_SEVERITY.get(severity, "danger")
