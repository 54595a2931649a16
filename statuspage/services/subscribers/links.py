"""Signed, expiring links for subscribers: confirm, manage, unsubscribe. No login needed, and a"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from statuspage.enums import SubscriberState
from statuspage.extensions import db
from statuspage.models import Subscriber

CONFIRM_MAX_AGE = 7 * 24 * 3600


LINK_MAX_AGE = 400 * 24 * 3600  # manage/unsubscribe links in mail stay valid for over a year


class InvalidToken(Exception):
    """A link that opens nothing; `unsubscribed` when it was genuinely ours and its address
    already receives nothing (unsubscribed or removed), which a repeated one-click may learn."""

    def __init__(self, message: str, *, unsubscribed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.unsubscribed = unsubscribed


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="subscriber-link")


def make_token(subscriber: Subscriber, purpose: str) -> str:
    """A signed link payload naming the subscriber by its public id, never its row id."""
    return _serializer().dumps(
        {"s": subscriber.public_id, "p": purpose, "v": subscriber.token_version}
    )


def read_token(token: str, purpose: str) -> Subscriber:
    """The subscriber a link is for; InvalidToken when forged, expired, or superseded."""
    max_age = CONFIRM_MAX_AGE if purpose == "confirm" else LINK_MAX_AGE
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise InvalidToken("This link has expired. Subscribe again to get a new one.") from error
    except BadSignature as error:
        raise InvalidToken("This link is not valid. Check that it was copied whole.") from error
    allowed = {purpose, "manage"} if purpose == "unsubscribe" else {purpose}
    if not isinstance(data, dict) or data.get("p") not in allowed:
        raise InvalidToken("This link is not valid for this page.")
    subscriber = _find(data.get("s"))
    if subscriber is None or subscriber.token_version != data.get("v"):
        gone = subscriber is None or subscriber.state is SubscriberState.UNSUBSCRIBED
        raise InvalidToken("This link is no longer valid.", unsubscribed=gone)
    return subscriber


def _find(ident: object) -> Subscriber | None:
    """By public id; links mailed before public ids existed carry the row id (still signed)."""
    if isinstance(ident, str):
        return db.session.scalar(sa.select(Subscriber).where(Subscriber.public_id == ident))
    if isinstance(ident, int) and not isinstance(ident, bool):
        return db.session.get(Subscriber, ident)
    return None
