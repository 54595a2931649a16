"""Staff accounts: who may post updates and who may only read the internal page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, utcnow
from statuspage.enums import Role
from statuspage.extensions import Model
from statuspage.limits import MAX_EMAIL


class User(UserMixin, Model):
    __tablename__ = "user"
    __audited__ = True
    #: Never copied into the audit log.
    __audit_exclude__ = frozenset({"password_hash", "feed_token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(MAX_EMAIL), unique=True)
    name: Mapped[str] = mapped_column(default="")
    password_hash: Mapped[str]
    role: Mapped[Role] = mapped_column(StrEnumType(Role, 16), default=Role.VIEWER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Hex SHA-256 of the personal feed token (internal feeds and JSON), None when there is none.
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: When the current feed token was made (shown on /account; audited, unlike the hash).
    feed_token_created_at: Mapped[datetime | None]

    def attach_session(self, secret: str) -> None:
        """Remember which signed-in session (a UserSession secret) this object was loaded for."""
        self._session_secret = secret

    @property
    def session_secret(self) -> str | None:
        return getattr(self, "_session_secret", None)

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the session's secret, never the user's id."""
        if self.session_secret is None:
            raise RuntimeError("sign in through sessions.sign_in, which opens a session row")
        return self.session_secret

    @property
    def is_active(self) -> bool:
        return self.active

    def faces_public(self) -> bool:
        """Staff accounts are on no public page."""
        return False

    def has_role(self, role: Role) -> bool:
        return self.active and self.role.rank >= role.rank

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(Model):
    """One signed-in browser: the cookie holds a random secret, the database only its hash.

    Signing out deletes the row, so a copied cookie stops working at once; a password change
    or a deactivation deletes the user's other rows. Bookkeeping, not audited.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: Hex SHA-256 of the secret in the cookie.
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User] = relationship()
