"""Components, the things customers depend on, and the groups that hold them."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import Audience, ComponentStatus, StatusCause, Visibility
from statuspage.extensions import Model
from statuspage.limits import MAX_NAME
from statuspage.visibility import component_open_to, group_open_to

#: What responders need and the public never sees: who owns it, how to fix it, whom to call.
RUNBOOK_COLUMNS = frozenset({"owner_team", "runbook_urls", "escalation_contacts", "internal_notes"})


class RunbookColumns:
    """The response columns components and groups share (`RUNBOOK_COLUMNS`): staff only."""

    owner_team: Mapped[str | None] = mapped_column(sa.String(MAX_NAME))
    runbook_urls: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    escalation_contacts: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    internal_notes: Mapped[str | None] = mapped_column(sa.Text)


class ComponentGroup(RunbookColumns, Model):
    __tablename__ = "component_group"
    __audited__ = True
    #: What staff pages call it beside its name.
    kind_label: ClassVar[str] = "Group"

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    name: Mapped[str]
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: Order among the page's top-level items (groups and ungrouped components), from 1.
    position: Mapped[int] = mapped_column(default=1)
    visibility: Mapped[Visibility] = mapped_column(
        StrEnumType(Visibility, 16), default=Visibility.PUBLIC
    )
    showcase: Mapped[bool] = mapped_column(default=True)
    only_show_if_degraded: Mapped[bool] = mapped_column(default=False)
    start_date: Mapped[date | None]
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __internal_columns__ = RUNBOOK_COLUMNS

    components: Mapped[list[Component]] = relationship(
        back_populates="group", order_by="Component.position"
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def full_name(self) -> str:
        """Its name: a group heads the names of its components."""
        return self.name

    def faces_public(self) -> bool:
        """Whether a change to this group can show on a public page."""
        return group_open_to(self, Audience.PUBLIC)

    def __repr__(self) -> str:
        return f"<ComponentGroup {self.id} {self.name!r}>"


class Component(RunbookColumns, Model):
    __tablename__ = "component"
    __audited__ = True
    kind_label: ClassVar[str] = "Component"

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    group_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("component_group.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str]
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: Order within its group, or among top-level items when ungrouped, from 1.
    position: Mapped[int] = mapped_column(default=1)
    visibility: Mapped[Visibility] = mapped_column(
        StrEnumType(Visibility, 16), default=Visibility.PUBLIC
    )
    #: Show the 90-day uptime bars for this component.
    showcase: Mapped[bool] = mapped_column(default=True)
    only_show_if_degraded: Mapped[bool] = mapped_column(default=False)
    #: Show its checks' response times on the public page (opt-in; the checks stay staff only).
    show_response_times: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Uptime history starts here; days before it are not counted.
    start_date: Mapped[date | None]
    archived_at: Mapped[datetime | None]
    #: The public status: what public incidents, public maintenance, people and automation
    #: say. Internal notices never move it (see services/components/status.py).
    status: Mapped[ComponentStatus] = mapped_column(
        StrEnumType(ComponentStatus), default=ComponentStatus.OPERATIONAL
    )
    #: When the public status began: the open end of the public status history.
    status_since: Mapped[datetime] = mapped_column(default=utcnow)
    #: What staff see: the public status moved by internal incidents and maintenance too.
    internal_status: Mapped[ComponentStatus] = mapped_column(
        StrEnumType(ComponentStatus), default=ComponentStatus.OPERATIONAL
    )
    internal_status_since: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Other names monitoring knows it by (an integration's component label matches its id,
    #: its name or one of these, case-insensitively). Staff only.
    aliases: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    #: Optimistic lock: a status decided from a stale read is refused, not written twice.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    group: Mapped[ComponentGroup | None] = relationship(back_populates="components")

    __mapper_args__ = {"version_id_col": version}
    #: Columns only staff ever see: changing them alone is no public change.
    __internal_columns__ = (
        frozenset({"internal_status", "internal_status_since", "aliases"}) | RUNBOOK_COLUMNS
    )

    def faces_public(self) -> bool:
        """Whether a change to this component can show on a public page."""
        return component_open_to(self, Audience.PUBLIC)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def status_for(self, audience: Audience) -> ComponentStatus:
        """The status *audience* sees (internal notices move only the internal one)."""
        return self.status if audience is Audience.PUBLIC else self.internal_status

    def status_since_for(self, audience: Audience) -> datetime:
        return self.status_since if audience is Audience.PUBLIC else self.internal_status_since

    def set_status_for(self, audience: Audience, status: ComponentStatus, at: datetime) -> None:
        """Move one audience's status; only a public move is a public change (`updated_at`)."""
        if audience is Audience.PUBLIC:
            self.status, self.status_since, self.updated_at = status, at, at
        else:
            self.internal_status, self.internal_status_since = status, at

    @property
    def full_name(self) -> str:
        """ "Group - Child", the name Statuspage puts in affected_components."""
        return f"{self.group.name} - {self.name}" if self.group else self.name

    def __repr__(self) -> str:
        return f"<Component {self.id} {self.name!r} {self.status}>"


class ComponentStatusChange(Model):
    """One change of one of a component's two statuses (public, internal): the history uptime
    is computed from, per audience."""

    __tablename__ = "component_status_change"
    __table_args__ = (
        sa.Index(
            "ix_component_status_change_component_audience_at", "component_id", "audience", "at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[str] = mapped_column(sa.ForeignKey("component.id", ondelete="CASCADE"))
    #: Whose status moved: the public one (what everyone sees) or the internal one (staff).
    audience: Mapped[Audience] = mapped_column(StrEnumType(Audience, 16), default=Audience.PUBLIC)
    old_status: Mapped[ComponentStatus] = mapped_column(StrEnumType(ComponentStatus))
    new_status: Mapped[ComponentStatus] = mapped_column(StrEnumType(ComponentStatus))
    at: Mapped[datetime]
    cause: Mapped[StatusCause] = mapped_column(StrEnumType(StatusCause, 16))
    #: The incident or maintenance that caused it; kept as NULL if that is deleted.
    notice_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="SET NULL"), index=True
    )
    update_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("incident_update.id", ondelete="SET NULL")
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(default="")

    component: Mapped[Component] = relationship()


class ComponentDay(Model):
    """Seconds one component's status (public or internal) spent in each non-operational status
    on one day of the page's time zone. Maintained as statuses change, so the 90-day bars never
    replay the history."""

    __tablename__ = "component_day"

    component_id: Mapped[str] = mapped_column(
        sa.ForeignKey("component.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[Audience] = mapped_column(
        StrEnumType(Audience, 16), primary_key=True, default=Audience.PUBLIC
    )
    day: Mapped[date] = mapped_column(primary_key=True, index=True)
    degraded_seconds: Mapped[int] = mapped_column(default=0)
    partial_seconds: Mapped[int] = mapped_column(default=0)
    major_seconds: Mapped[int] = mapped_column(default=0)
    maintenance_seconds: Mapped[int] = mapped_column(default=0)
