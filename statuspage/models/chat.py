"""Chat channels (incoming webhooks of Slack, Teams, Discord, Mattermost) and their formats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import Audience, ChatKind
from statuspage.extensions import Model
from statuspage.limits import MAX_NAME, MAX_URL
from statuspage.visibility import news_reaches

Json = dict[str, Any]

#: Colours by tone: how bad the news is.
TONES = {"good": "#2fa44f", "info": "#3c7fd9", "warning": "#e8a317", "danger": "#d64541"}
#: What the services allow in one message part (Discord's embed description allows 4096).
MAX_TEXT = 3500
MAX_TITLE = 250


def _clip(text: str, limit: int) -> str:
    """A visible cut ("…") where a chat service would refuse the whole message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class ChatMessage:
    """What one chat message says, before a kind formats it."""

    title: str
    text: str
    url: str
    tone: str = "info"
    facts: list[tuple[str, str]] = field(default_factory=list)
    footer: str = ""
    at: datetime | None = None

    @property
    def colour(self) -> str:
        return TONES.get(self.tone, TONES["info"])

    @property
    def summary(self) -> str:
        """The one line notifications and previews show."""
        return _clip(self.title, MAX_TITLE)


def _markdown_facts(message: ChatMessage) -> str:
    return "\n".join(f"*{name}:* {value}" for name, value in message.facts)


def _slack(message: ChatMessage) -> Json:
    """Block Kit, with `text` as the notification fallback."""
    blocks: list[Json] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*<{message.url}|{_clip(message.title, MAX_TITLE)}>*\n"
                + _clip(message.text, MAX_TEXT),
            },
        }
    ]
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{name}*\n{value}"}
                    for name, value in message.facts[:10]
                ],
            }
        )
    if message.footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": message.footer}]})
    return {"text": message.summary, "blocks": blocks}


def _mattermost(message: ChatMessage) -> Json:
    """Mattermost's Slack-compatible attachments, which it renders in full."""
    attachment: Json = {
        "fallback": message.summary,
        "color": message.colour,
        "title": _clip(message.title, MAX_TITLE),
        "title_link": message.url,
        "text": _clip(message.text, MAX_TEXT),
        "fields": [{"title": name, "value": value, "short": True} for name, value in message.facts],
        "footer": message.footer,
    }
    return {"text": message.summary, "attachments": [attachment]}


def _teams(message: ChatMessage) -> Json:
    """An Office 365 connector MessageCard (what Teams' incoming webhooks take)."""
    text = _clip(message.text, MAX_TEXT)
    if message.facts:
        text += "\n\n" + _markdown_facts(message)
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": message.summary,
        "themeColor": message.colour.lstrip("#"),
        "title": _clip(message.title, MAX_TITLE),
        "sections": [
            {
                "text": text,
                "facts": [{"name": name, "value": value} for name, value in message.facts],
            }
        ],
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": "View on the status page",
                "targets": [{"os": "default", "uri": message.url}],
            }
        ],
    }


def _discord(message: ChatMessage) -> Json:
    """`content` plus one embed; Discord wants the colour as an integer."""
    embed: Json = {
        "title": _clip(message.title, MAX_TITLE),
        "url": message.url,
        "description": _clip(message.text, MAX_TEXT),
        "color": int(message.colour.lstrip("#"), 16),
        "fields": [
            {"name": name, "value": value, "inline": True} for name, value in message.facts[:25]
        ],
    }
    if message.footer:
        embed["footer"] = {"text": message.footer}
    if message.at is not None:
        embed["timestamp"] = message.at.isoformat()
    return {"content": message.summary, "embeds": [embed], "allowed_mentions": {"parse": []}}


FORMATS: dict[ChatKind, Callable[[ChatMessage], Json]] = {
    ChatKind.SLACK: _slack,
    ChatKind.MATTERMOST: _mattermost,
    ChatKind.TEAMS: _teams,
    ChatKind.DISCORD: _discord,
}


class ChatChannel(Model):
    """An admin-configured incoming webhook; its audience decides what it may hear."""

    __tablename__ = "chat_channel"
    __audited__ = True
    __affects_page__ = False
    #: The URL is the channel's secret: never in the audit log.
    __audit_exclude__ = frozenset({"webhook_url", "last_error"})

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    kind: Mapped[ChatKind] = mapped_column(StrEnumType(ChatKind, 16))
    #: Public: only what the public page shows; internal: also internal incidents and notes.
    audience: Mapped[Audience] = mapped_column(StrEnumType(Audience, 16), default=Audience.PUBLIC)
    #: A secret (whoever has it may post to the channel): shown only as `url_hint` once saved.
    webhook_url: Mapped[str] = mapped_column(sa.String(MAX_URL))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def url_hint(self) -> str:
        """Enough of the URL to tell channels apart, never enough to post to one."""
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.hostname or ''}/…{self.webhook_url[-4:]}"

    def hears(self, news: Audience, topic: str) -> bool:
        """Whether an event (for *news*'s audience, of *topic*) becomes a message here: every
        update this channel's audience may see; of a component's two statuses, the one its
        audience sees (a change by hand moves both: one message, not two)."""
        if topic == "update":
            return news_reaches(news, self.audience)
        return topic == "component" and news is self.audience

    def format(self, message: ChatMessage) -> Json:
        """The JSON body this channel's service expects."""
        return FORMATS[self.kind](message)

    def __repr__(self) -> str:
        return f"<ChatChannel {self.name} {self.kind} {self.audience}>"
