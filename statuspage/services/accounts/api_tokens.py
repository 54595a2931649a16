"""API tokens and personal feed tokens: make, revoke, check. Only SHA-256 hashes are stored.

An API token (`sp_...`) authorises the management API and the internal feeds; it is made by an
admin, has a scope (read ⊆ write ⊆ admin) and always an expiry. A feed token (`spf_...`) belongs
to one user and only reads the internal feeds and JSON, so it can sit in a feed reader's URL.
Either secret is shown once, when it is made; a lost one is replaced, never recovered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.database import utcnow
from statuspage.enums import TokenScope
from statuspage.extensions import db
from statuspage.limits import MAX_TOKEN_NAME
from statuspage.models import ApiToken, User
from statuspage.services.errors import InvalidInput, InvalidTransition, ServiceError
from statuspage.services.inputs import clean_text
from statuspage.services.unit import Actor, unit_of_work

API_PREFIX = "sp_"
FEED_PREFIX = "spf_"
#: "sp_" and 8 characters of the secret: shown in lists, and the column a lookup starts from.
DISPLAY_PREFIX_LENGTH = len(API_PREFIX) + 8
#: The lifetimes the admin form offers, in days; any date up to MAX_LIFETIME ahead is allowed.
LIFETIME_DAYS = (30, 90, 365)
MAX_LIFETIME = timedelta(days=366)
#: Last use is written at most this often per token, so a busy script costs no write per call.
RECORD_USE_EVERY = timedelta(minutes=1)
#: Anything longer is not one of ours; refused before hashing.
MAX_SECRET_LENGTH = 200


class TokenRefused(ServiceError):
    """A missing, unknown, expired or revoked token: the caller answers 401."""

    status_code = 401


@dataclass(frozen=True)
class NewToken:
    """A token just made, with the only copy of its secret the page will ever show."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    """The stored form of a secret; 256 random bits need no salt or slow hash."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def create_token(
    *,
    name: str,
    scope: TokenScope | str,
    expires_at: datetime,
    actor: Actor,
    now: datetime | None = None,
) -> NewToken:
    """Make an API token for *actor*; the returned secret is not stored anywhere."""
    with unit_of_work("create_token", actor=actor, now=now) as now:
        name = clean_text(
            name, field="name", max_length=MAX_TOKEN_NAME, required=True, label="A name"
        )
        try:
            scope = TokenScope(scope)
        except ValueError as error:
            raise InvalidInput("Choose read, write, admin or metrics.", field="scope") from error
        maker = db.session.get(User, actor.user_id) if actor.user_id is not None else None
        if maker is None or not maker.active:
            raise InvalidInput("A token belongs to an active user.", field="user")
        if not maker.role.token_scope.allows(scope):
            raise InvalidInput(
                f"{maker.role.label}s can make tokens of scope "
                f"{maker.role.token_scope.value} at most.",
                field="scope",
            )
        if expires_at <= now:
            raise InvalidInput("Choose an expiry in the future.", field="expires_at")
        if expires_at > now + MAX_LIFETIME:
            raise InvalidInput("A token lasts at most a year.", field="expires_at")
        secret = _new_secret(API_PREFIX)
        token = ApiToken(
            name=name,
            prefix=secret[:DISPLAY_PREFIX_LENGTH],
            secret_hash=hash_secret(secret),
            scope=scope,
            expires_at=expires_at,
            created_by_id=actor.user_id,
            created_at=now,
        )
        db.session.add(token)
    return NewToken(token=token, secret=secret)


def revoke_token(token: ApiToken, *, actor: Actor, now: datetime | None = None) -> ApiToken:
    """Stop a token working at once; the row stays for the audit log and the list."""
    with unit_of_work("revoke_token", actor=actor, now=now) as now:
        if token.revoked_at is not None:
            raise InvalidTransition("This token is already revoked.")
        token.revoked_at = now
    return token


def list_tokens() -> list[ApiToken]:
    """Every token, newest first, with who made it (for the admin list)."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
            .options(selectinload(ApiToken.created_by))
        )
    )


def authenticate_token(secret: str | None, *, now: datetime | None = None) -> ApiToken:
    """The live API token *secret* belongs to, its use recorded; TokenRefused otherwise.

    A token works only while its maker is an active user, and never with more than the
    maker's current role allows (`ApiToken.effective_scope`): a demotion or a deactivation
    applies on the next request.
    """
    now = now or utcnow()
    if not secret:
        raise TokenRefused("Send an API token as 'Authorization: Bearer <token>'.")
    if not secret.startswith(API_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        raise TokenRefused("This is not a valid API token.")
    digest = hash_secret(secret)
    candidates = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.prefix == secret[:DISPLAY_PREFIX_LENGTH])
    ).all()
    token = next((c for c in candidates if hmac.compare_digest(c.secret_hash, digest)), None)
    if token is None:
        raise TokenRefused("This is not a valid API token.")
    if token.revoked_at is not None:
        raise TokenRefused("This API token has been revoked.")
    if token.is_expired(now):
        raise TokenRefused("This API token has expired.")
    if token.effective_scope is None:
        maker = token.created_by
        if maker is not None and maker.active:
            raise TokenRefused(
                f"The user who made this API token is no longer allowed {token.scope.value} tokens."
            )
        raise TokenRefused("The user who made this API token is deactivated or removed.")
    _record_use(token, now)
    return token


def _record_use(token: ApiToken, now: datetime) -> None:
    """Note when a token was last used: no audit entry and no page version bump (like the
    scheduler heartbeat), and at most once a minute per token."""
    last = token.last_used_at
    if last is not None and now - last < RECORD_USE_EVERY:
        return
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def rotate_feed_token(user: User, *, actor: Actor, now: datetime | None = None) -> str:
    """Give *user* a new feed token (the old one stops working); returns its only copy."""
    with unit_of_work("rotate_feed_token", actor=actor, now=now) as now:
        secret = _new_secret(FEED_PREFIX)
        user.feed_token_hash = hash_secret(secret)
        user.feed_token_created_at = now
    return secret


def revoke_feed_token(user: User, *, actor: Actor, now: datetime | None = None) -> None:
    """Remove *user*'s feed token; feed readers using it get 401 from now on."""
    with unit_of_work("revoke_feed_token", actor=actor, now=now):
        if user.feed_token_hash is None:
            raise InvalidTransition("You have no feed token.")
        user.feed_token_hash = None
        user.feed_token_created_at = None


def authenticate_feed_token(secret: str | None) -> User:
    """The active user whose feed token *secret* is; TokenRefused otherwise."""
    refused = TokenRefused("This feed token is not valid: it may have been replaced or revoked.")
    if not secret or not secret.startswith(FEED_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        raise refused
    digest = hash_secret(secret)
    user = db.session.scalar(sa.select(User).where(User.feed_token_hash == digest))
    if user is None or not hmac.compare_digest(user.feed_token_hash or "", digest):
        raise refused
    if not user.active:
        raise refused
    return user
