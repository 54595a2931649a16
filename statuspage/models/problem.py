"""Problem management (ITIL) and customers' problem reports. Staff only: a problem, a report and
a spike alert are never shown on a public path, feed, API answer or subscriber mail."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import ProblemStatus, ReportState
from statuspage.extensions import Model
from statuspage.limits import MAX_EMAIL, MAX_NAME
from statuspage.models.component import Component
from statuspage.models.notice import Incident, Notice

problem_component = sa.Table(
    "problem_component",
    Model.metadata,
    sa.Column(
        "problem_id",
        sa.String(12),
        sa.ForeignKey("problem.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "component_id",
        sa.String(12),
        sa.ForeignKey("component.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Problem(Model):
    """The underlying cause of one or more incidents: what is known of it, how to work around
    it, and the incidents it caused (each incident belongs to at most one problem)."""

    __tablename__ = "problem"
    __audited__ = True

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    status: Mapped[ProblemStatus] = mapped_column(
        StrEnumType(ProblemStatus, 16), default=ProblemStatus.INVESTIGATING, index=True
    )
    root_cause: Mapped[str] = mapped_column(sa.Text, default="")
    #: Markdown, and its sanitised HTML rendered once on write.
    workaround: Mapped[str] = mapped_column(sa.Text, default="")
    workaround_html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    components: Mapped[list[Component]] = relationship(
        secondary=problem_component, order_by="Component.position"
    )
    incidents: Mapped[list[Incident]] = relationship(
        primaryjoin=lambda: Problem.id == sa.orm.foreign(Notice.problem_id),
        order_by=lambda: Notice.started_at.desc(),
        viewonly=True,
    )

    @property
    def name(self) -> str:
        """The audit log's label for it."""
        return self.title

    def faces_public(self) -> bool:
        return False


class ProblemReport(Model):
    """A customer's "something is wrong" from the public form, waiting in the triage queue.

    The address is personal data: staff see it in the queue, the audit log never does."""

    __tablename__ = "problem_report"
    __audited__ = True
    __audit_exclude__ = frozenset({"email"})
    __table_args__ = (sa.Index("ix_problem_report_component_at", "component_id", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    component_id: Mapped[str] = mapped_column(sa.ForeignKey("component.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(sa.Text)
    email: Mapped[str | None] = mapped_column(sa.String(MAX_EMAIL))
    state: Mapped[ReportState] = mapped_column(
        StrEnumType(ReportState, 16), default=ReportState.NEW, index=True
    )
    incident_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    triaged_at: Mapped[datetime | None]
    triaged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: When the reporter was mailed that the linked incident is resolved (claimed once).
    notified_at: Mapped[datetime | None]

    component: Mapped[Component] = relationship(lazy="joined")
    incident: Mapped[Incident | None] = relationship(
        primaryjoin=lambda: ProblemReport.incident_id == Notice.id, viewonly=True
    )

    def faces_public(self) -> bool:
        return False


class ReportSpike(Model):
    """One alert for one spike of reports on one component: the unique (component, window
    start) is what makes it once only, however many workers notice the spike together."""

    __tablename__ = "report_spike"
    __table_args__ = (
        sa.UniqueConstraint("component_id", "window_start", name="uq_report_spike_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[str] = mapped_column(sa.ForeignKey("component.id", ondelete="CASCADE"))
    #: The first report of the spike's window.
    window_start: Mapped[datetime]
    reports: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The staff addresses it was queued to.
    recipients: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    component: Mapped[Component] = relationship(lazy="joined")
