"""Staff accounts: who may post updates and who may only read the internal page."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.database import StrEnumType, utcnow
from statuspage.enums import Role
from statuspage.extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __audited__ = True
    #: Never copied into the audit log.
    __audit_exclude__ = frozenset({"password_hash", "session_token", "feed_token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(default="")
    password_hash: Mapped[str]
    role: Mapped[Role] = mapped_column(StrEnumType(Role, 16), default=Role.VIEWER)
    active: Mapped[bool] = mapped_column(default=True)
    #: Flask-Login's alternative id: rotating it ends every session of this user.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), default=new_session_token, unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Hex SHA-256 of the personal feed token (internal feeds and JSON), None when there is none.
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: When the current feed token was made (shown on /account; audited, unlike the hash).
    feed_token_created_at: Mapped[datetime | None]

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def has_role(self, role: Role) -> bool:
        return self.active and self.role.rank >= role.rank

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
