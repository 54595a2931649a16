"""The audit log: who changed what, through which channel, from where, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.database import StrEnumType, utcnow
from statuspage.enums import Via
from statuspage.extensions import Model


class AuditEntry(Model):
    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(default="")
    via: Mapped[Via] = mapped_column(StrEnumType(Via, 16))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    #: The service that made the change, e.g. "resolve_incident".
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: created | updated | deleted
    operation: Mapped[str] = mapped_column(sa.String(16))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    object_label: Mapped[str] = mapped_column(default="")
    #: {field: [before, after]} for the fields that changed.
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
