"""API tokens: what automation presents as `Authorization: Bearer sp_...` to the management API.

Only a SHA-256 hash of the secret is stored; the secret is shown once, when the token is made.
A short prefix of the secret is kept in clear so people can tell their tokens apart and so a
presented token finds its row without comparing hashes in SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import TokenScope
from statuspage.extensions import Model
from statuspage.limits import MAX_TOKEN_NAME

if TYPE_CHECKING:
    from statuspage.models.user import User


class ApiToken(Model):
    __tablename__ = "api_token"
    __audited__ = True
    #: Tokens are not on any page: writing one never invalidates cached pages.
    __affects_page__ = False
    #: The hash never goes into the audit log; last use is recorded without an audit entry.
    __audit_exclude__ = frozenset({"secret_hash", "last_used_at"})

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(MAX_TOKEN_NAME))
    #: The first characters of the secret ("sp_" and 8 more), for display and lookup.
    prefix: Mapped[str] = mapped_column(sa.String(16), index=True)
    #: Hex SHA-256 of the whole secret.
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(StrEnumType(TokenScope, 16))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    @property
    def effective_scope(self) -> TokenScope | None:
        """What the token may do now: its scope, capped by its maker's current role (None when
        the maker is gone or deactivated, or their role shares nothing with the scope), so a
        demotion narrows every token they made."""
        maker = self.created_by
        if maker is None or not maker.active:
            return None
        return self.scope.capped(maker.role.token_scope)

    def allows(self, needed: TokenScope) -> bool:
        """True when the token, as its maker's role now caps it, covers *needed*."""
        scope = self.effective_scope
        return scope is not None and scope.allows(needed)

    def state(self, now: datetime) -> str:
        """The state the admin list shows: active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired(now) else "active"

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r} {self.scope}>"
