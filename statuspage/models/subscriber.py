"""Subscribers, what they follow, and the outbox that mails them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import (
    Audience,
    Cadence,
    DeliveryKind,
    DeliveryState,
    SubscriberKind,
    SubscriberState,
)
from statuspage.extensions import Model, db
from statuspage.limits import MAX_EMAIL, MAX_ERROR_TEXT, MAX_URL

if TYPE_CHECKING:  # annotations only: the relationships name their classes as strings
    from statuspage.models.chat import ChatChannel
    from statuspage.models.component import Component, ComponentGroup, ComponentStatusChange

subscriber_component = sa.Table(
    "subscriber_component",
    db.metadata,
    sa.Column(
        "subscriber_id", sa.ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("component_id", sa.ForeignKey("component.id", ondelete="CASCADE"), primary_key=True),
)
subscriber_group = sa.Table(
    "subscriber_group",
    db.metadata,
    sa.Column(
        "subscriber_id", sa.ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "group_id", sa.ForeignKey("component_group.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Subscriber(Model):
    __tablename__ = "subscriber"
    __audited__ = True
    __affects_page__ = False
    __table_args__ = (
        sa.Index("ix_subscriber_due", "state", "cadence", "next_digest_at"),
        # One mail subscription per mailbox; a webhook's notice address may serve several.
        sa.Index(
            "ux_subscriber_mailbox",
            "email",
            unique=True,
            sqlite_where=sa.text("kind = 'email'"),
            postgresql_where=sa.text("kind = 'email'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What mails and links name the subscriber by: random, so they do not count subscribers.
    public_id: Mapped[str] = mapped_column(sa.String(12), unique=True, default=new_id)
    #: Mail or webhook (Statuspage's webhook subscriptions): what it hears and how.
    kind: Mapped[SubscriberKind] = mapped_column(
        StrEnumType(SubscriberKind, 16), default=SubscriberKind.EMAIL, server_default="email"
    )
    #: Lower-cased: one mail subscription per mailbox, whatever the caps. A webhook
    #: subscriber's is where its confirmation and the failure notice go.
    email: Mapped[str] = mapped_column(sa.String(MAX_EMAIL))
    #: A webhook subscriber's endpoint (http or https); None for mail.
    endpoint_url: Mapped[str | None] = mapped_column(sa.String(MAX_URL), unique=True)
    cadence: Mapped[Cadence] = mapped_column(StrEnumType(Cadence, 16), default=Cadence.IMMEDIATE)
    state: Mapped[SubscriberState] = mapped_column(
        StrEnumType(SubscriberState, 16), default=SubscriberState.PENDING
    )
    #: True: every public event; False: only events touching the chosen components or groups.
    everything: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    confirmation_sent_at: Mapped[datetime | None]
    #: Bumped to make every link sent so far stop working (after unsubscribing).
    token_version: Mapped[int] = mapped_column(default=1)
    next_digest_at: Mapped[datetime | None]
    last_digest_at: Mapped[datetime | None]
    #: Permanent delivery failures in a row; at BOUNCE_LIMIT the subscriber is bouncing.
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(MAX_ERROR_TEXT))

    components: Mapped[list[Component]] = relationship(
        "Component", secondary=subscriber_component, lazy="selectin"
    )
    groups: Mapped[list[ComponentGroup]] = relationship(
        "ComponentGroup", secondary=subscriber_group, lazy="selectin"
    )

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def endpoint(self) -> str:
        """Where a webhook subscriber's payloads go (only webhook subscribers have one)."""
        if self.endpoint_url is None:
            raise LookupError(f"subscriber {self.public_id} ({self.kind}) has no endpoint")
        return self.endpoint_url

    @property
    def address_label(self) -> str:
        """How staff lists name it: the mailbox, or the endpoint and its notice address."""
        if self.endpoint_url is None:
            return self.email
        return f"{self.endpoint_url} ({self.email})"

    def __repr__(self) -> str:
        return f"<Subscriber {self.kind} {self.email} {self.state} {self.cadence}>"


class NotificationEvent(Model):
    """Something subscribers hear about, written in the transaction that published it.

    The scheduler later expands it into one Delivery per immediate subscriber in scope.
    """

    __tablename__ = "notification_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What happened, unique: "update:<id>", "reminder:<maintenance id>",
    #: "postmortem:<postmortem id>".
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    notice_id: Mapped[str | None] = mapped_column(sa.ForeignKey("notice.id", ondelete="CASCADE"))
    update_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("incident_update.id", ondelete="CASCADE")
    )
    #: Affected component ids at the time (subscribers with a scope match on these).
    component_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fanned_out_at: Mapped[datetime | None] = mapped_column(index=True)
    recipients: Mapped[int] = mapped_column(default=0)
    #: Set instead of mailing it when it was older than MAIL_EVENT_MAX_AGE_HOURS at fan-out.
    expired_at: Mapped[datetime | None]
    #: Who may hear of it: the public (subscribers, public chat channels, staff) or staff only
    #: (internal chat channels), as statuspage/visibility.py decided when it was recorded.
    audience: Mapped[Audience] = mapped_column(
        StrEnumType(Audience, 16), default=Audience.PUBLIC, server_default="public"
    )
    #: A "component" event's status change (old and new status, when).
    status_change_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("component_status_change.id", ondelete="CASCADE")
    )

    status_change: Mapped[ComponentStatusChange | None] = relationship()

    @property
    def topic(self) -> str:
        """What kind of news it is: its key's prefix ("update", "reminder", "postmortem")."""
        return self.key.split(":", 1)[0]


class Delivery(Model):
    """One email to one address: the outbox row the sender claims, sends and marks."""

    __tablename__ = "delivery"
    __table_args__ = (
        # A retry, a second scheduler or a double click can never mail twice.
        sa.UniqueConstraint("subscriber_id", "key", name="uq_delivery_subscriber_key"),
        sa.UniqueConstraint("chat_channel_id", "key", name="uq_delivery_chat_channel_key"),
        sa.Index("ix_delivery_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notification_event.id", ondelete="CASCADE"), index=True
    )
    #: A chat message's channel (chat deliveries have no subscriber).
    chat_channel_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("chat_channel.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DeliveryKind] = mapped_column(StrEnumType(DeliveryKind, 16))
    key: Mapped[str] = mapped_column(sa.String(80))
    #: The address at the time it was queued (test mails have no subscriber).
    to_address: Mapped[str | None] = mapped_column(sa.String(MAX_EMAIL))
    state: Mapped[DeliveryState] = mapped_column(
        StrEnumType(DeliveryState, 16), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(sa.String(255))
    last_error: Mapped[str | None] = mapped_column(sa.String(MAX_ERROR_TEXT))
    #: Composed content, for mails composed when queued (digests).
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    text_body: Mapped[str | None] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subscriber: Mapped[Subscriber | None] = relationship()
    event: Mapped[NotificationEvent | None] = relationship()
    chat_channel: Mapped[ChatChannel | None] = relationship()

    @property
    def addressee(self) -> Subscriber:
        """The subscriber a subscriber's mail goes to (only test mails go to none)."""
        if self.subscriber is None:
            raise LookupError(f"delivery {self.id} ({self.kind}) is addressed to no subscriber")
        return self.subscriber

    @property
    def channel(self) -> ChatChannel:
        """The chat channel a chat message goes to."""
        if self.chat_channel is None:
            raise LookupError(f"delivery {self.id} ({self.kind}) is addressed to no chat channel")
        return self.chat_channel

    @property
    def notification_event(self) -> NotificationEvent:
        """The event a notification delivers (confirmations, digests and tests deliver none)."""
        if self.event is None:
            raise LookupError(f"delivery {self.id} ({self.kind}) delivers no event")
        return self.event
