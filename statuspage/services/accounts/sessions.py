"""Signed-in sessions as rows on the server: the cookie carries a random secret, the database
its SHA-256, so signing out ends a session wherever its cookie was copied."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from statuspage.database import utcnow
from statuspage.extensions import db
from statuspage.models import User, UserSession
from statuspage.services.inputs import strip_controls
from statuspage.services.unit import Actor, unit_of_work


def _hash_session_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


#: Last use of a session is written at most this often (no write per request).
SESSION_SEEN_EVERY = timedelta(minutes=1)


def sign_in(
    user: User,
    *,
    remember: bool = False,
    user_agent: str = "",
    actor: Actor,
    now: datetime | None = None,
) -> str:
    """Record the sign-in and open a session row; returns its secret, for the cookie only.

    A session lasts PERMANENT_SESSION_LIFETIME, or REMEMBER_COOKIE_DURATION with "remember me".
    """
    config = current_app.config
    with unit_of_work("login", actor=actor, now=now) as now:
        user.last_login_at = now
        db.session.execute(
            sa.delete(UserSession).where(
                UserSession.user_id == user.id, UserSession.expires_at <= now
            )
        )
        lifetime = (
            config["REMEMBER_COOKIE_DURATION"] if remember else config["PERMANENT_SESSION_LIFETIME"]
        )
        if not isinstance(lifetime, timedelta):
            lifetime = timedelta(seconds=int(lifetime))
        secret = secrets.token_urlsafe(32)
        db.session.add(
            UserSession(
                user_id=user.id,
                secret_hash=_hash_session_secret(secret),
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
                ip=actor.ip,
                user_agent=strip_controls(user_agent or "")[:200],
            )
        )
    user.attach_session(secret)
    return secret


def load_session_user(secret: str | None, *, now: datetime | None = None) -> User | None:
    """The active user of a live session (what the cookie's secret opens), else None."""
    if not secret or len(secret) > 200:
        return None
    now = now or utcnow()
    row = db.session.scalar(
        sa.select(UserSession).where(UserSession.secret_hash == _hash_session_secret(secret))
    )
    if row is None or row.expires_at <= now or not row.user.active:
        return None
    if now - row.last_seen_at >= SESSION_SEEN_EVERY:
        db.session.execute(
            sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
        )
        db.session.commit()  # bookkeeping: not audited, no page change
    user = row.user
    user.attach_session(secret)
    return user


def sign_out(secret: str | None) -> None:
    """End one session on the server: its cookie, wherever copied, opens nothing any more."""
    if secret:
        db.session.execute(
            sa.delete(UserSession).where(UserSession.secret_hash == _hash_session_secret(secret))
        )
        db.session.commit()


def end_sessions(user: User, *, keep: str | None = None) -> None:
    """Delete the user's sessions (but *keep*'s), inside the caller's transaction."""
    query = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.secret_hash != _hash_session_secret(keep))
    db.session.execute(query)
