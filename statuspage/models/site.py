"""Page-wide state: the version every write bumps, and the scheduler's heartbeat."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.database import utcnow
from statuspage.extensions import Model


class PageState(Model):
    """A single row. `version` grows on every write that can change what a *public* reader
    sees, `internal_version` on every write that can change what staff see (every public
    change too); each with the time of that audience's last change."""

    __tablename__ = "page_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=1)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    internal_version: Mapped[int] = mapped_column(sa.BigInteger, default=1, server_default="1")
    internal_changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchedulerHeartbeat(Model):
    """One row per scheduler process name; the admin dashboard warns when it goes quiet."""

    __tablename__ = "scheduler_heartbeat"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    host: Mapped[str] = mapped_column(default="")
    pid: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Setting(Model):
    """A page setting changed in the admin; config.py holds the defaults."""

    __tablename__ = "setting"
    __audited__ = True

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: A JSON scalar; None is stored as JSON's null, so the column itself is never NULL.
    value: Mapped[str | bool | None] = mapped_column(sa.JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SiteAsset(Model):
    """An uploaded file served by the page itself (the logo): nothing is loaded from elsewhere."""

    __tablename__ = "site_asset"
    __audited__ = True
    __audit_exclude__ = frozenset({"data"})

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginThrottle(Model):
    """Failed sign-ins per address, for the temporary lockout (unknown addresses too)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
