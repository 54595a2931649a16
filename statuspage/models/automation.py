"""Automation signals: what monitoring says about a component, before and after damping.

An `Alert` is one signal from one source (an integration's alert by its fingerprint, or a
built-in check) about one component. Staff see a firing alert at once (the internal status);
the public sees it only once it has held for its source's damping minutes, and stops seeing it
only once its resolution has held as long, so a flapping alert never flaps the public page.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, utcnow
from statuspage.enums import AlertState, Audience, ComponentStatus
from statuspage.extensions import Model
from statuspage.limits import MAX_ALERT_SUMMARY, MAX_FINGERPRINT, MAX_NAME

if TYPE_CHECKING:
    from statuspage.models.component import Component
    from statuspage.models.notice import Notice


class Alert(Model):
    __tablename__ = "alert"
    __table_args__ = (
        # The same firing twice finds its row: deduplicated by source and fingerprint.
        sa.UniqueConstraint("source", "fingerprint", "component_id", name="uq_alert_source_key"),
        sa.Index("ix_alert_component_state", "component_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who says it: "integration:<id>" or "check:<id>".
    source: Mapped[str] = mapped_column(sa.String(40), index=True)
    #: The source's name when it spoke, for the status history's actor and the admin.
    source_label: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    fingerprint: Mapped[str] = mapped_column(sa.String(MAX_FINGERPRINT))
    component_id: Mapped[str] = mapped_column(sa.ForeignKey("component.id", ondelete="CASCADE"))
    #: The status it asks for while firing.
    status: Mapped[ComponentStatus] = mapped_column(StrEnumType(ComponentStatus))
    state: Mapped[AlertState] = mapped_column(StrEnumType(AlertState, 16))
    summary: Mapped[str | None] = mapped_column(sa.String(MAX_ALERT_SUMMARY))
    labels: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Minutes a change must hold before the public sees it (the source's flap damping).
    hold_minutes: Mapped[int] = mapped_column(default=2)
    #: When it began firing (kept while it flaps back within its hold).
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    #: Set while the public status counts it: from its hold after firing until its hold after
    #: resolving.
    public_since: Mapped[datetime | None]
    #: The incident a source's incident policy opened for it.
    notice_id: Mapped[str | None] = mapped_column(sa.ForeignKey("notice.id", ondelete="SET NULL"))

    component: Mapped[Component] = relationship()
    notice: Mapped[Notice | None] = relationship()

    @property
    def is_firing(self) -> bool:
        return self.state is AlertState.FIRING

    def counts_for(self, audience: Audience) -> bool:
        """Whether *audience*'s status takes this alert into account now."""
        if audience is Audience.PUBLIC:
            return self.public_since is not None
        return self.is_firing

    def __repr__(self) -> str:
        return f"<Alert {self.source} {self.fingerprint!r} {self.state} {self.status}>"
