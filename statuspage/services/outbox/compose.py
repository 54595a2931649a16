"""Composing the outbox's mail from templates/email/: multipart text + HTML, inline CSS only,"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from flask import current_app, render_template

from statuspage.enums import Audience, DeliveryKind, MaintenanceStatus
from statuspage.extensions import db
from statuspage.mail import Outgoing, build_message
from statuspage.models import (
    Delivery,
    IncidentUpdate,
    Notice,
    NotificationEvent,
    Subscriber,
)
from statuspage.services.outbox.events import POSTMORTEM_TOPIC
from statuspage.services.site.settings import get_site_settings, host_of_base_url
from statuspage.services.subscribers.links import make_token
from statuspage.templating import format_datetime, format_duration, format_window, relative_time
from statuspage.visibility import component_visible, group_visible

MANAGE = "%%MANAGE_URL%%"


UNSUBSCRIBE = "%%UNSUBSCRIBE_URL%%"


TO = "%%TO%%"


STATUS_COLOURS = {
    "investigating": "#c9182b",
    "identified": "#c9182b",
    "monitoring": "#8a5a00",
    "resolved": "#1a7f37",
    "scheduled": "#0b62c4",
    "in_progress": "#0b62c4",
    "verifying": "#8a5a00",
    "completed": "#1a7f37",
    "cancelled": "#59636e",
}


def subscriber_links(
    subscriber: Subscriber, prefixes: dict[str, str] | None = None
) -> dict[str, str]:
    """The signed manage and one-click unsubscribe links of one subscriber."""
    prefixes = prefixes or link_prefixes()
    manage = make_token(subscriber, "manage")
    return {name: prefix + manage for name, prefix in prefixes.items()}


def link_prefixes() -> dict[str, str]:
    """The link addresses up to the token, built once per batch rather than per mail."""
    settings = get_site_settings()
    marker = "TOKEN"
    return {
        name: settings.url_for(endpoint, token=marker).removesuffix(marker)
        for name, endpoint in (
            ("manage_url", "public.manage_subscription"),
            ("unsubscribe_url", "public.unsubscribe"),
        )
    }


def scope_label(subscriber: Subscriber) -> str:
    if subscriber.everything:
        return "every component"
    names = [g.name for g in subscriber.groups if group_visible(g, Audience.PUBLIC)] + [
        c.full_name for c in subscriber.components if component_visible(c, Audience.PUBLIC)
    ]
    if names:
        return ", ".join(names)
    if subscriber.components or subscriber.groups:  # all turned internal or archived since
        return "the components you chose"
    return "every component"


def message_id(kind: str, ident: str, recipient: str | None, host: str) -> str:
    """Stable per (thing, subscriber): a resend after a crash carries the same id. *recipient*
    is the subscriber's public id, never a row id (which would count the subscribers)."""
    return f"<{kind}-{ident}.{recipient or 0}@{host}>"


def recipient_id(delivery: Delivery) -> str | None:
    """The subscriber's public id, for Message-IDs."""
    return delivery.subscriber.public_id if delivery.subscriber is not None else None


def key_ident(delivery: Delivery) -> str:
    """What makes this mail unique for its subscriber (its key's suffix): not a row id."""
    return delivery.key.split(":", 1)[-1].replace(".", "-")


class MessageComposer:
    """Renders each event once per batch and fills in each recipient's own links.

    When the server takes 8-bit bodies, a notification is flattened once per event with markers
    where each recipient's address, Message-ID and signed links go, and each recipient's copy is
    that template with the markers replaced: the fan-out cost per mail is a token and a few
    byte replacements. The markers are random per batch, so no text a user wrote can hit them.
    """

    #: SMTP allows lines up to 998 octets; a template with longer lines takes the slow path.
    MAX_LINE = 990

    def __init__(self, *, now: datetime, eight_bit: bool = False) -> None:

        self.now = now
        self.eight_bit = eight_bit
        self.settings = get_site_settings()
        self.host = host_of_base_url()
        self.sender = current_app.config["MAIL_DEFAULT_SENDER"]
        self._events: dict[int, dict[str, Any]] = {}
        self._templates: dict[int, bytes | None] = {}
        self._prefixes = link_prefixes()
        mark = secrets.token_hex(6)
        self.marks = {name: f"x{mark}{name}x" for name in ("to", "mid", "root", "manage", "unsub")}

    def _common(self) -> dict[str, Any]:
        return {
            "page_name": self.settings.page_name,
            "page_url": self.settings.base_url + "/",
            "manage_url": MANAGE,
            "unsubscribe_url": UNSUBSCRIBE,
            "to": TO,
        }

    def _list_headers(self, unsubscribe_url: str) -> dict[str, str]:
        return {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{self.settings.status_title} <status.{self.host}>",
        }

    def compose(self, delivery: Delivery) -> Outgoing:
        if delivery.kind is DeliveryKind.NOTIFICATION and self.eight_bit:
            merged = self._merge(delivery)
            if merged is not None:
                return merged
        handler = {
            DeliveryKind.NOTIFICATION: self._notification,
            DeliveryKind.CONFIRMATION: self._confirmation,
            DeliveryKind.MANAGE: self._manage,
            DeliveryKind.TEST: self._test,
            DeliveryKind.DIGEST: self._digest,
            DeliveryKind.ESCALATION: self._escalation,
            DeliveryKind.ACTION_OVERDUE: self._composed,
            DeliveryKind.REPORT_SPIKE: self._composed,
            DeliveryKind.REPORT_RESOLVED: self._composed,
            DeliveryKind.INTEGRATION_DRAFT: self._composed,
            DeliveryKind.WEBHOOK_DISABLED: self._composed,
        }[delivery.kind]
        subject, text, html, mid, headers = handler(delivery)
        subscriber = delivery.subscriber
        to = delivery.to_address or (subscriber.email if subscriber else "")
        links = subscriber_links(subscriber, self._prefixes) if subscriber is not None else {}
        if links:
            headers.update(self._list_headers(links["unsubscribe_url"]))

        def fill(body: str) -> str:
            body = body.replace(TO, to)
            if links:
                body = body.replace(MANAGE, links["manage_url"]).replace(
                    UNSUBSCRIBE, links["unsubscribe_url"]
                )
            return body

        return build_message(
            sender=self.sender,
            sender_name=self.settings.page_name,
            to=to,
            subject=subject,
            text=fill(text),
            html=fill(html) if html else None,
            message_id=mid,
            date=self.now,
            headers=headers,
        )

    def _merge(self, delivery: Delivery) -> Outgoing | None:
        """The recipient's copy of the event's template, or None when there is no template."""
        event = delivery.notification_event
        if event.id not in self._templates:
            self._templates[event.id] = self._template(event)
        template = self._templates[event.id]
        subscriber = delivery.subscriber
        if template is None or subscriber is None:
            return None
        cached = self._events[event.id]
        sid = recipient_id(delivery)
        root = message_id("notice", event.notice_id or "", sid, self.host)
        mid = (
            root
            if cached["is_first"]
            else message_id(cached["mid_kind"], cached["mid_ident"], sid, self.host)
        )
        links = subscriber_links(subscriber, self._prefixes)
        to = delivery.to_address or subscriber.email
        marks = self.marks
        data = (
            template.replace(marks["to"].encode(), to.encode())
            .replace(marks["mid"].encode(), mid.encode())
            .replace(marks["root"].encode(), root.encode())
            .replace(marks["manage"].encode(), links["manage_url"].encode())
            .replace(marks["unsub"].encode(), links["unsubscribe_url"].encode())
        )
        return Outgoing(self.sender, to, data, mid, eight_bit=True)

    def _template(self, event: NotificationEvent) -> bytes | None:
        if event.id not in self._events:
            self._events[event.id] = self._render_event(event)
        cached = self._events[event.id]
        marks = self.marks

        def fill(body: str) -> str:
            return (
                body.replace(TO, marks["to"])
                .replace(MANAGE, marks["manage"])
                .replace(UNSUBSCRIBE, marks["unsub"])
            )

        headers = self._list_headers(marks["unsub"])
        if not cached["is_first"]:
            headers.update({"In-Reply-To": marks["root"], "References": marks["root"]})
        outgoing = build_message(
            sender=self.sender,
            sender_name=self.settings.page_name,
            to=marks["to"],
            subject=cached["subject"],
            text=fill(cached["text"]),
            html=fill(cached["html"]),
            message_id=marks["mid"],
            date=self.now,
            headers=headers,
            eight_bit=True,
        )
        if max(len(line) for line in outgoing.data.split(b"\n")) > self.MAX_LINE:
            return None
        return outgoing.data

    def _render(self, name: str, **context: Any) -> tuple[str, str]:
        context = {**self._common(), **context}
        return render_template(f"email/{name}.txt", **context), render_template(
            f"email/{name}.html", **context
        )

    def _notification(self, delivery: Delivery) -> tuple[str, str, str, str, dict[str, str]]:
        event = delivery.notification_event
        if event.id not in self._events:
            self._events[event.id] = self._render_event(event)
        cached = self._events[event.id]
        sid = recipient_id(delivery)
        root = message_id("notice", event.notice_id or "", sid, self.host)
        if cached["is_first"]:
            return cached["subject"], cached["text"], cached["html"], root, {}
        mid = message_id(cached["mid_kind"], cached["mid_ident"], sid, self.host)
        return (
            cached["subject"],
            cached["text"],
            cached["html"],
            mid,
            {"In-Reply-To": root, "References": root},
        )

    def _render_event(self, event: NotificationEvent) -> dict[str, Any]:
        notice = db.session.get_one(Notice, event.notice_id)
        if event.topic == POSTMORTEM_TOPIC:
            return self._render_postmortem(event, notice)
        update = db.session.get(IncidentUpdate, event.update_id) if event.update_id else None
        reminder = update is None
        published = [u for u in notice.updates if u.published_at is not None and not u.is_note]
        is_first = update is not None and bool(published) and published[-1].id == update.id
        if update is None:  # a reminder
            status = "Reminder"
            value = MaintenanceStatus.SCHEDULED.value
        else:
            value = update.status_value
            status = notice.status_label_of(value)
        public = set(event.component_ids or [])
        if update is not None:  # the statuses this update recorded, as the timeline shows them
            components = [
                (c.component.full_name, c.new_status.label)
                for c in update.changes
                if c.component_id in public
            ]
        else:
            components = [
                (link.component.full_name, link.component.status.label)
                for link in notice.affected
                if link.component_id in public
            ]
        span = notice.window
        window = None
        if span is not None:
            window = f"{format_window(notice)} ({format_duration(span[1] - span[0])})"
        kind = notice.type
        path = notice.public_path
        text, html = self._render(
            "notification",
            notice=notice,
            update=update,
            kind=kind,
            status_label=status,
            update_time=format_datetime(update.display_at) if update else "",
            window=window,
            components=components,
            notice_url=self.settings.absolute_url(path),
            reminder=reminder,
            starts_in=relative_time(span[0], self.now) if reminder and span is not None else "",
            colour=STATUS_COLOURS.get(value, "#1f2328"),
            subject=notice.name,
        )
        return {
            "subject": f"[{self.settings.page_name}] {notice.name} — {status}",
            "text": text,
            "html": html,
            "is_first": is_first,
            "mid_kind": "update" if update else "reminder",
            "mid_ident": update.id if update else event.key.split(":", 1)[1].replace(":", "-"),
        }

    def _render_postmortem(self, event: NotificationEvent, notice: Notice) -> dict[str, Any]:
        """A published postmortem's mail, in the incident's thread."""
        postmortem = notice.postmortem
        if postmortem is None:  # removed with its incident since: the event went with it
            raise LookupError(f"event {event.key} has no postmortem")
        text, html = self._render(
            "postmortem",
            notice=notice,
            postmortem=postmortem,
            published_time=format_datetime(postmortem.published_at),
            notice_url=self.settings.absolute_url(notice.public_path),
            subject=notice.name,
        )
        return {
            "subject": f"[{self.settings.page_name}] {notice.name} — Postmortem",
            "text": text,
            "html": html,
            "is_first": False,
            "mid_kind": "postmortem",
            "mid_ident": postmortem.id,
        }

    def _subscriber_context(self, delivery: Delivery) -> dict[str, Any]:
        subscriber = delivery.addressee
        return {
            "cadence_label": subscriber.cadence.label.lower(),
            "scope_label": scope_label(subscriber),
            #: A webhook subscriber's endpoint: its mail is about that URL.
            "webhook": subscriber.endpoint_url,
        }

    def _confirmation(self, delivery: Delivery) -> tuple[str, str, str, str, dict[str, str]]:
        token = make_token(delivery.addressee, "confirm")
        confirm_url = self.settings.url_for("public.confirm_subscription", token=token)
        subject = f"[{self.settings.page_name}] Confirm your subscription"
        text, html = self._render(
            "confirm",
            confirm_url=confirm_url,
            subject=subject,
            **self._subscriber_context(delivery),
        )
        return (
            subject,
            text,
            html,
            message_id("confirm", key_ident(delivery), recipient_id(delivery), self.host),
            {},
        )

    def _manage(self, delivery: Delivery) -> tuple[str, str, str, str, dict[str, str]]:
        subject = f"[{self.settings.page_name}] Your subscription"
        text, html = self._render("manage", subject=subject, **self._subscriber_context(delivery))
        return (
            subject,
            text,
            html,
            message_id("manage", key_ident(delivery), recipient_id(delivery), self.host),
            {},
        )

    def _test(self, delivery: Delivery) -> tuple[str, str, str, str, dict[str, str]]:
        subject = f"[{self.settings.page_name}] Test message"
        config = current_app.config
        server = (
            f"{config['MAIL_BACKEND']} {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
            if config["MAIL_BACKEND"] == "smtp"
            else config["MAIL_BACKEND"]
        )
        text, html = self._render(
            "test",
            subject=subject,
            requested_by=delivery.text_body or "an admin",
            sent_time=format_datetime(self.now),
            server=server,
        )
        return subject, text, html, message_id("test", key_ident(delivery), None, self.host), {}

    def _digest(self, delivery: Delivery) -> tuple[str, str, str, str, dict[str, str]]:
        mid = message_id("digest", key_ident(delivery), recipient_id(delivery), self.host)
        return delivery.subject or "", delivery.text_body or "", delivery.html_body or "", mid, {}

    def _escalation(self, delivery: Delivery) -> tuple[str, str, str, str, dict[str, str]]:
        """Staff mail, composed when queued: no subscriber, so no list or unsubscribe headers.
        Each incident's escalations thread under one root."""
        _, incident_id, ident = delivery.key.split(":", 2)
        to = hashlib.sha256((delivery.to_address or "").encode()).hexdigest()[:12]
        mid = message_id("escalation", f"{incident_id}-{ident}".replace(":", "-"), to, self.host)
        root = message_id("escalations", incident_id, to, self.host)
        headers = {"In-Reply-To": root, "References": root, "Auto-Submitted": "auto-generated"}
        subject, text, html = delivery.subject or "", delivery.text_body or "", delivery.html_body
        return subject, text, html or "", mid, headers

    def _composed(self, delivery: Delivery) -> tuple[str, str, str, str, dict[str, str]]:
        """Mail composed when it was queued, to an address that is no subscriber (overdue
        action items, problem reports)."""
        mid = message_id(delivery.kind.value, key_ident(delivery), None, self.host)
        return delivery.subject or "", delivery.text_body or "", delivery.html_body or "", mid, {}
