"""Running an incident: its responders, the staff-side timeline, SLA escalations sent, and the
canned responses editors start from. Staff only: nothing here is ever shown to the public."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import (
    ComponentStatus,
    EscalationLevel,
    Impact,
    IncidentStatus,
    ResponseEventKind,
    TemplateKind,
)
from statuspage.extensions import Model
from statuspage.limits import MAX_NAME
from statuspage.models.component import Component
from statuspage.models.notice import Incident
from statuspage.models.user import User


class IncidentResponder(Model):
    """A staff user responding to an incident (the commander and comms lead are columns)."""

    __tablename__ = "incident_responder"
    __audited__ = True

    notice_id: Mapped[str] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="responders")
    user: Mapped[User] = relationship(lazy="joined")

    def faces_public(self) -> bool:
        return False


class ResponseEvent(Model):
    """One staff-side entry of an incident's timeline: a priority or role change, an
    acknowledgement, an SLA warning or breach. The summary is written once, when it happens."""

    __tablename__ = "response_event"
    __audited__ = True
    __table_args__ = (sa.Index("ix_response_event_notice_at", "notice_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[str] = mapped_column(sa.ForeignKey("notice.id", ondelete="CASCADE"))
    kind: Mapped[ResponseEventKind] = mapped_column(StrEnumType(ResponseEventKind, 16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(255), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    #: The machine-readable change: {"from": ..., "to": ..., "role": ..., "target": ...}.
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    def faces_public(self) -> bool:
        return False


class SlaEscalation(Model):
    """An escalation sent for one target of one incident at one level: the unique key is what
    makes it once only, across restarts and schedulers."""

    __tablename__ = "sla_escalation"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "target", "level", name="uq_sla_escalation_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[str] = mapped_column(sa.ForeignKey("notice.id", ondelete="CASCADE"))
    #: The SlaTarget value; the cadence's carries its slot ("update_cadence:3"), one per gap.
    target: Mapped[str] = mapped_column(sa.String(40))
    level: Mapped[EscalationLevel] = mapped_column(StrEnumType(EscalationLevel, 16))
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The addresses it was queued to.
    recipients: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


response_template_component = sa.Table(
    "response_template_component",
    Model.metadata,
    sa.Column(
        "template_id",
        sa.String(12),
        sa.ForeignKey("response_template.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "component_id",
        sa.String(12),
        sa.ForeignKey("component.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class ResponseTemplate(Model):
    """A canned response: the title and Markdown body (Jinja placeholders, rendered in the
    sandbox) an editor starts a new incident or an update from."""

    __tablename__ = "response_template"
    __audited__ = True

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    kind: Mapped[TemplateKind] = mapped_column(StrEnumType(TemplateKind, 16))
    #: The IncidentStatus value it posts.
    status: Mapped[str] = mapped_column(sa.String(32))
    impact: Mapped[Impact | None] = mapped_column(StrEnumType(Impact, 16))
    title: Mapped[str] = mapped_column(sa.String(MAX_NAME), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    components: Mapped[list[Component]] = relationship(
        secondary=response_template_component, order_by="Component.position"
    )

    def faces_public(self) -> bool:
        return False

    @property
    def incident_status(self) -> IncidentStatus:
        return IncidentStatus(self.status)

    @property
    def component_status(self) -> ComponentStatus | None:
        """The status its components are set to: operational when it resolves, otherwise the
        one its impact suggests (None leaves each component's select as it is)."""
        if self.incident_status is IncidentStatus.RESOLVED:
            return ComponentStatus.OPERATIONAL
        return _IMPACT_COMPONENT_STATUS.get(self.impact) if self.impact else None


_IMPACT_COMPONENT_STATUS = {
    Impact.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
    Impact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    Impact.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}
