"""Incidents (and, by single-table inheritance, maintenance windows) with their update timelines.

Statuspage treats a maintenance as a kind of incident with a schedule; so do we. Both live in
the `notice` table and share one update table, so the page, the feeds and the mails read one
timeline shape; `select(Incident)` still only ever returns incidents.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    Priority,
    StatusCause,
    UpdateKind,
    Urgency,
    Visibility,
)
from statuspage.extensions import Model
from statuspage.limits import MAX_REASON, MAX_RULE
from statuspage.models.component import Component
from statuspage.visibility import link_open_to, notice_visible, update_open_to

if TYPE_CHECKING:
    from statuspage.models.response import IncidentResponder
    from statuspage.models.review import ActionItem, Postmortem
    from statuspage.models.user import User


@dataclass(frozen=True)
class ResponseRoles:
    """Who runs a notice: its commander, comms lead, responders and who acknowledged it."""

    commander: User | None = None
    comms_lead: User | None = None
    responders: tuple[User, ...] = ()
    acknowledged_by: User | None = None


#: A kind's status vocabulary (spelt here: inside Notice, `type` is the kind column).
StatusEnum: TypeAlias = type[IncidentStatus] | type[MaintenanceStatus]


class Notice(Model):
    __tablename__ = "notice"
    __audited__ = True
    __table_args__ = (sa.Index("ix_notice_type_started_at", "type", "started_at"),)

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str]
    #: IncidentStatus or MaintenanceStatus value; read it through `.status`.
    status_value: Mapped[str] = mapped_column("status", sa.String(32), index=True)
    impact: Mapped[Impact] = mapped_column(StrEnumType(Impact, 16), default=Impact.NONE)
    visibility: Mapped[Visibility] = mapped_column(
        StrEnumType(Visibility, 16), default=Visibility.PUBLIC
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    monitoring_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Optimistic lock: two writers (two schedulers, two editors) never both apply a change;
    #: the second one's UPDATE matches no row and is rolled back.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    # Incident response (incidents only; NULL on maintenance). Staff only, never public.
    urgency: Mapped[Urgency | None] = mapped_column(StrEnumType(Urgency, 16))
    #: What the page's matrix gives impact x urgency, kept beside any override.
    computed_priority: Mapped[Priority | None] = mapped_column(StrEnumType(Priority, 2))
    priority_override: Mapped[Priority | None] = mapped_column(StrEnumType(Priority, 2))
    priority_override_reason: Mapped[str | None] = mapped_column(sa.String(MAX_REASON))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    commander_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    comms_lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The problem (models/problem.py) this incident is one of; staff only, incidents only.
    problem_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("problem.id", ondelete="SET NULL"), index=True
    )

    affected: Mapped[list[NoticeComponent]] = relationship(
        back_populates="notice", cascade="all, delete-orphan"
    )
    updates: Mapped[list[IncidentUpdate]] = relationship(
        back_populates="notice",
        cascade="all, delete-orphan",
        order_by="(IncidentUpdate.display_at.desc(), IncidentUpdate.created_at.desc())",
    )
    # Post-incident review (models/review.py): incidents have them, windows never do.
    postmortem: Mapped[Postmortem | None] = relationship(
        back_populates="notice", cascade="all, delete-orphan", uselist=False
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="ActionItem.created_at"
    )

    __mapper_args__ = {
        "polymorphic_on": "type",
        "polymorphic_abstract": True,
        "version_id_col": version,
    }
    #: Columns only staff ever see: changing them alone is no public change.
    __internal_columns__ = frozenset(
        {
            "urgency",
            "computed_priority",
            "priority_override",
            "priority_override_reason",
            "acknowledged_at",
            "acknowledged_by_id",
            "commander_id",
            "comms_lead_id",
            "problem_id",
        }
    )
    #: Whether this kind is prioritised and run against SLA targets (incidents, not windows).
    is_prioritised: ClassVar[bool] = False

    @property
    def priority(self) -> Priority | None:
        """The priority in force: an editor's override, else the matrix's."""
        return self.priority_override or self.computed_priority

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    #: What the page calls this kind of notice.
    kind_label: ClassVar[str]
    #: The cause its component status changes are recorded with.
    status_cause: ClassVar[StatusCause]
    #: Its public page is /<path_segment>/<id>; its pages are the endpoints
    #: `public.<detail_endpoint>`, `public.internal_<detail_endpoint>` and
    #: `admin.<detail_endpoint>`, each taking the id as `<id_arg>`.
    path_segment: ClassVar[str]
    #: The kind in its feed entries' tag URIs (tag:host,2005:<tag_kind>/<id>), as Statuspage's.
    tag_kind: ClassVar[str]
    detail_endpoint: ClassVar[str]
    id_arg: ClassVar[str]

    @property
    def components(self) -> list[Component]:
        return [link.component for link in self.affected]

    @property
    def public_path(self) -> str:
        return f"/{self.path_segment}/{self.id}"

    def url_values(self) -> dict[str, Any]:
        """The URL values its detail endpoints take (as url_for takes them: Any)."""
        return {self.id_arg: self.id}

    @classmethod
    def kind_of(cls, type_: str) -> builtins.type[Notice]:
        """The subclass stored under a `type` value, for rows read without their object."""
        return cls.__mapper__.polymorphic_map[type_].class_

    #: IncidentStatus or MaintenanceStatus.
    status_enum: ClassVar[StatusEnum]

    def status_label_of(self, value: str) -> str:
        """The label of one of this kind's status values."""
        return self.status_enum(value).label

    @property
    def status_label(self) -> str:
        return self.status_label_of(self.status_value)

    def api_status(self, value: str) -> str:
        """A status value as Statuspage's JSON spells it."""
        return value

    @property
    def api_impact(self) -> str:
        return self.impact.value

    if TYPE_CHECKING:  # each kind defines how its status moves

        def move_status(self, value: str, at: datetime) -> bool:
            """Set the status and its lifecycle times as of *at*; True when this closes it."""

    def late_status(self, value: str) -> str:
        """The status a scheduled update may still set when it is published now."""
        return value

    @property
    def announced_at(self) -> datetime:
        """When readers first heard of it (a feed entry's published): an incident when it
        started; a window when it was announced, not at its (future) start."""
        return self.started_at

    @property
    def window(self) -> tuple[datetime, datetime] | None:
        """The planned (start, end), for notices that have one."""
        return None

    def api_kind_fields(self) -> dict[str, datetime | None]:
        """The fields Statuspage's JSON gives only this kind (times, or null)."""
        return {"reminder_intervals": None}

    def managed_fields(self) -> dict[str, bool | int | None]:
        """What the management API shows staff of this kind beyond Statuspage's fields."""
        return {}

    def response_roles(self) -> ResponseRoles:
        """Who runs it; nobody for a kind that has no incident response (a window)."""
        return ResponseRoles()

    @property
    def has_window(self) -> bool:
        """Whether it has a planned window to show (scheduled_for to scheduled_until)."""
        return self.window is not None

    def open_span(self, since: datetime, until: datetime) -> tuple[datetime, datetime]:
        """The part of [since, until) during which it was open (empty before it started)."""
        start = max(since, self.started_at)
        return start, min(until, self.resolved_at or until)

    @property
    def is_resolved(self) -> bool:
        """Resolved, or for a window completed or cancelled: its claims no longer count."""
        return self.resolved_at is not None

    @property
    def shows_in_history(self) -> bool:
        """Whether the history lists it (a window that never happened is no history)."""
        return True

    def claim_for(self, component: Component) -> ComponentStatus | None:
        """The status this notice currently gives *component*, None when it is not affected."""
        for link in self.affected:
            if link.component_id == component.id:
                return link.status
        return None

    @property
    def published_updates(self) -> list[IncidentUpdate]:
        return [u for u in self.updates if u.published_at is not None]

    def faces_public(self) -> bool:
        """Whether a change to this notice can show on a public page."""
        return notice_visible(self, Audience.PUBLIC)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.name!r} {self.status_value}>"


class Incident(Notice):
    __mapper_args__ = {"polymorphic_identity": "incident"}

    is_prioritised = True
    responders: Mapped[list[IncidentResponder]] = relationship(
        back_populates="incident",
        cascade="all, delete-orphan",
        order_by="IncidentResponder.assigned_at",
    )
    commander: Mapped[User | None] = relationship(foreign_keys="Notice.commander_id")
    comms_lead: Mapped[User | None] = relationship(foreign_keys="Notice.comms_lead_id")
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys="Notice.acknowledged_by_id")

    kind_label = "Incident"
    status_cause = StatusCause.INCIDENT
    path_segment = "incidents"
    tag_kind = "Incident"
    detail_endpoint = "incident_detail"
    id_arg = "incident_id"
    status_enum = IncidentStatus

    def move_status(self, value: str, at: datetime) -> bool:
        new = IncidentStatus(value)
        if new is IncidentStatus.MONITORING and self.status is not IncidentStatus.MONITORING:
            self.monitoring_at = at
        self.resolved_at = at if new is IncidentStatus.RESOLVED else None
        self.status = new
        return new is IncidentStatus.RESOLVED

    def late_status(self, value: str) -> str:
        """Once resolved, a late update only adds words to the resolution."""
        return IncidentStatus.RESOLVED.value if self.is_resolved else value

    def response_roles(self) -> ResponseRoles:
        return ResponseRoles(
            commander=self.commander,
            comms_lead=self.comms_lead,
            responders=tuple(link.user for link in self.responders),
            acknowledged_by=self.acknowledged_by,
        )

    @property
    def status(self) -> IncidentStatus:
        return IncidentStatus(self.status_value)

    @status.setter
    def status(self, value: IncidentStatus) -> None:
        self.status_value = IncidentStatus(value).value


class Maintenance(Notice):
    """A planned window. Its status moves scheduled -> in_progress -> verifying -> completed
    (or cancelled); while active it claims under_maintenance for its components."""

    __mapper_args__ = {"polymorphic_identity": "maintenance"}

    #: Every window has both; the columns are nullable only for the incidents in the table.
    scheduled_for: Mapped[datetime] = mapped_column(index=True, nullable=True)
    scheduled_until: Mapped[datetime] = mapped_column(nullable=True)
    auto_start: Mapped[bool | None]
    auto_complete: Mapped[bool | None]
    #: Minutes before the start to remind subscribers; None for no reminder.
    remind_minutes: Mapped[int | None]
    reminded_at: Mapped[datetime | None]
    #: The reminder came due after the window had started, so it was not sent.
    reminder_skipped: Mapped[bool | None]
    cancelled_at: Mapped[datetime | None]
    #: The timeline messages the automatic start and end post (editable per window).
    start_message: Mapped[str | None] = mapped_column(sa.Text)
    complete_message: Mapped[str | None] = mapped_column(sa.Text)
    #: Bumped on every change of the window, for iCalendar's SEQUENCE.
    sequence: Mapped[int | None]
    recurrence_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("maintenance_recurrence.id", ondelete="SET NULL"), index=True
    )
    #: The start the rule gave this occurrence, even after it is moved (its identity in the rule).
    occurrence_start: Mapped[datetime | None]
    #: Edited by hand: the rule no longer rewrites this occurrence.
    detached: Mapped[bool | None]

    recurrence: Mapped[MaintenanceRecurrence | None] = relationship(back_populates="occurrences")

    @property
    def status(self) -> MaintenanceStatus:
        return MaintenanceStatus(self.status_value)

    @status.setter
    def status(self, value: MaintenanceStatus) -> None:
        self.status_value = MaintenanceStatus(value).value

    kind_label = "Scheduled maintenance"
    status_cause = StatusCause.MAINTENANCE
    path_segment = "maintenance"
    tag_kind = "Maintenance"
    detail_endpoint = "maintenance_detail"
    id_arg = "maintenance_id"
    status_enum = MaintenanceStatus

    def api_status(self, value: str) -> str:
        return MaintenanceStatus(value).api_value

    @property
    def api_impact(self) -> str:
        return "maintenance"

    def next_statuses(self) -> set[MaintenanceStatus]:
        """The statuses an update may move this window to (none once it is over)."""
        return MaintenanceStatus.moves_from(self.status)

    def move_status(self, value: str, at: datetime) -> bool:
        new = MaintenanceStatus(value)
        if new is MaintenanceStatus.IN_PROGRESS and self.status is MaintenanceStatus.SCHEDULED:
            self.started_at = at
        self.resolved_at = at if new.is_closed else None
        if new is MaintenanceStatus.CANCELLED:
            self.cancelled_at = at
        self.status = new
        return new.is_closed

    def open_span(self, since: datetime, until: datetime) -> tuple[datetime, datetime]:
        """A window still scheduled has not been open at all."""
        if self.status is MaintenanceStatus.SCHEDULED:
            return until, until
        return super().open_span(since, until)

    def late_status(self, value: str) -> str:
        """Too late for its move (the window went on meanwhile): words only."""
        if MaintenanceStatus(value) in self.next_statuses():
            return value
        return self.status_value

    @property
    def is_closed(self) -> bool:
        return self.status.is_closed

    @property
    def shows_in_history(self) -> bool:
        return self.status not in (MaintenanceStatus.SCHEDULED, MaintenanceStatus.CANCELLED)

    @property
    def announced_at(self) -> datetime:
        return self.created_at

    @property
    def window(self) -> tuple[datetime, datetime] | None:
        if self.scheduled_for is None or self.scheduled_until is None:
            return None
        return self.scheduled_for, self.scheduled_until

    def managed_fields(self) -> dict[str, bool | int | None]:
        return {
            "auto_start": bool(self.auto_start),
            "auto_complete": bool(self.auto_complete),
            "remind_minutes": self.remind_minutes,
            # `status` keeps Statuspage's words (cancelled reads "completed"); staff must tell.
            "cancelled": self.status is MaintenanceStatus.CANCELLED,
        }

    def api_kind_fields(self) -> dict[str, datetime | None]:
        return {
            "monitoring_at": None,
            "scheduled_for": self.scheduled_for,
            "scheduled_until": self.scheduled_until,
        }

    @property
    def duration(self) -> timedelta:
        return self.scheduled_until - self.scheduled_for

    @property
    def remind_at(self) -> datetime | None:
        """When subscribers are reminded of the window; None when they are not."""
        if self.remind_minutes is None:
            return None
        return self.scheduled_for - timedelta(minutes=self.remind_minutes)


#: `Notice.announced_at` in SQL, to order feeds by what their entries say is published.
ANNOUNCED_AT = sa.case(
    (Notice.type == Maintenance.__mapper__.polymorphic_identity, Notice.created_at),
    else_=Notice.started_at,
)

# One window per occurrence of a rule, however many schedulers materialise it at once.
# (SQLAlchemy types __table__ as any FromClause; a declarative class's own is a Table.)
_notice_table = cast(sa.Table, Notice.__table__)
_notice_table.append_constraint(
    sa.UniqueConstraint(
        _notice_table.c.recurrence_id,
        _notice_table.c.occurrence_start,
        name="uq_notice_recurrence_occurrence",
    )
)


class MaintenanceRecurrence(Model):
    """A repeating window (an RFC 5545 RRULE in the page's time zone) that materialises
    concrete Maintenance occurrences ahead of time."""

    __tablename__ = "maintenance_recurrence"
    __audited__ = True

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    name: Mapped[str]
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: e.g. "FREQ=WEEKLY;BYDAY=SU" (DTSTART comes from `first_start` and `timezone`).
    rrule: Mapped[str] = mapped_column(sa.String(MAX_RULE))
    #: Local wall-clock start of the first occurrence, and the zone the rule repeats in.
    first_start: Mapped[datetime] = mapped_column(sa.DateTime)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    duration_minutes: Mapped[int]
    visibility: Mapped[Visibility] = mapped_column(
        StrEnumType(Visibility, 16), default=Visibility.PUBLIC
    )
    auto_start: Mapped[bool] = mapped_column(default=True)
    auto_complete: Mapped[bool] = mapped_column(default=True)
    remind_minutes: Mapped[int | None]
    start_message: Mapped[str] = mapped_column(sa.Text, default="")
    complete_message: Mapped[str] = mapped_column(sa.Text, default="")
    #: Comma-separated component ids.
    component_ids: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    occurrences: Mapped[list[Maintenance]] = relationship(back_populates="recurrence")

    def faces_public(self) -> bool:
        return notice_visible(self, Audience.PUBLIC)


class NoticeComponent(Model):
    """A component affected by a notice, with the status that notice currently claims for it.

    A component's own status is the worst claim of the open notices affecting it, which is
    how resolving one of two overlapping incidents leaves the other one's status in place.
    """

    __tablename__ = "notice_component"
    __audited__ = True

    notice_id: Mapped[str] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[str] = mapped_column(
        sa.ForeignKey("component.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[ComponentStatus] = mapped_column(StrEnumType(ComponentStatus))

    notice: Mapped[Notice] = relationship(back_populates="affected")
    component: Mapped[Component] = relationship(lazy="joined")

    def faces_public(self) -> bool:
        return link_open_to(self, Audience.PUBLIC)


class IncidentUpdate(Model):
    """One entry of a timeline. Unpublished (published_at NULL) until its publish time."""

    __tablename__ = "incident_update"
    __audited__ = True
    __table_args__ = (
        sa.Index("ix_incident_update_notice_display", "notice_id", "display_at"),
        sa.Index("ix_incident_update_pending", "published_at", "display_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    notice_id: Mapped[str] = mapped_column(sa.ForeignKey("notice.id", ondelete="CASCADE"))
    kind: Mapped[UpdateKind] = mapped_column(StrEnumType(UpdateKind, 16), default=UpdateKind.UPDATE)
    status_value: Mapped[str] = mapped_column("status", sa.String(32))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: Sanitized HTML of `body`, rendered once on write.
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    visibility: Mapped[Visibility] = mapped_column(
        StrEnumType(Visibility, 16), default=Visibility.PUBLIC
    )
    #: The time shown on the timeline; for a scheduled update, when it is to be published.
    display_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    deliver_notifications: Mapped[bool] = mapped_column(default=True)
    #: The impact this update sets on its notice when it is published, if it changes it.
    impact: Mapped[Impact | None] = mapped_column(StrEnumType(Impact, 16))

    notice: Mapped[Notice] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()
    changes: Mapped[list[UpdateComponentChange]] = relationship(
        back_populates="update", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_note(self) -> bool:
        return self.kind is UpdateKind.NOTE

    @property
    def edit_endpoint(self) -> str:
        """The admin page that edits it: text only once published, text and time before."""
        return "edit_update" if self.is_published else "edit_scheduled_update"

    def faces_public(self) -> bool:
        """Public updates of public notices are what the public reads; notes never are."""
        return update_open_to(self, Audience.PUBLIC)


class UpdateComponentChange(Model):
    """Each affected component's status before and after one update (Statuspage's
    affected_components). `old_status` is filled when the update is published."""

    __tablename__ = "update_component"

    update_id: Mapped[str] = mapped_column(
        sa.ForeignKey("incident_update.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[str] = mapped_column(
        sa.ForeignKey("component.id", ondelete="CASCADE"), primary_key=True
    )
    old_status: Mapped[ComponentStatus | None] = mapped_column(StrEnumType(ComponentStatus))
    new_status: Mapped[ComponentStatus] = mapped_column(StrEnumType(ComponentStatus))

    update: Mapped[IncidentUpdate] = relationship(back_populates="changes")
    component: Mapped[Component] = relationship(lazy="joined")
