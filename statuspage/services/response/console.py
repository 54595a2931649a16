"""What staff read while running incidents: each incident's response panel (priority, roles,
clocks), its internal timeline, and the console above /internal. Read-only, staff only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.enums import (
    Audience,
    ClockState,
    IncidentStatus,
    MaintenanceStatus,
    SlaTarget,
    StatusCause,
)
from statuspage.extensions import db
from statuspage.markdown import render_markdown
from statuspage.models import (
    ActionItem,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    Maintenance,
    ResponseEvent,
    User,
)
from statuspage.services.page_clock import local_midnight
from statuspage.services.response.clocks import SlaClock, incident_clocks, public_updates
from statuspage.services.response.policy import ResponsePolicy, get_response_policy
from statuspage.services.site.settings import get_site_settings
from statuspage.visibility import sees


@dataclass(frozen=True)
class ResponseView:
    incident: Incident
    clocks: list[SlaClock]
    last_public_update_at: datetime | None
    now: datetime

    @property
    def clock_of(self) -> dict[SlaTarget, SlaClock]:
        return {clock.target: clock for clock in self.clocks}

    @property
    def update_overdue(self) -> bool:
        """The next public update (or the first) is past due."""
        return any(c.target.needs_public and c.state is ClockState.BREACHED for c in self.clocks)

    @property
    def breached(self) -> bool:
        return any(c.state is ClockState.BREACHED for c in self.clocks)

    @property
    def last_public_update_age(self) -> timedelta | None:
        if self.last_public_update_at is None:
            return None
        return self.now - self.last_public_update_at

    @property
    def people(self) -> list[User]:
        """Everyone with a role on it, for "assigned to me"."""
        found = [self.incident.commander, self.incident.comms_lead]
        found += [link.user for link in self.incident.responders]
        return [user for user in found if user is not None]

    def sort_key(self) -> tuple[int, datetime]:
        priority = self.incident.priority
        return (priority.rank if priority else 9, self.incident.started_at)


def build_response_view(
    incident: Incident, now: datetime, policy: ResponsePolicy | None = None
) -> ResponseView:
    published = public_updates(incident)
    return ResponseView(
        incident=incident,
        clocks=incident_clocks(incident, policy or get_response_policy(), now),
        last_public_update_at=published[-1] if published else None,
        now=now,
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the internal timeline, whatever it came from."""

    at: datetime
    kind: str  # update | note | priority | urgency | role | acknowledged | sla_* | component
    title: str
    html: str = ""
    actor: str = ""
    update: IncidentUpdate | None = None
    tags: list[str] = field(default_factory=list)


def build_internal_timeline(incident: Incident) -> list[TimelineEntry]:
    """Public updates, internal words and notes, response events and component changes of the
    incident, newest first (what staff need to reconstruct it afterwards)."""
    entries: list[TimelineEntry] = []
    for update in incident.updates:
        tags = []
        if not update.is_note and not sees(Audience.PUBLIC, update.visibility):
            tags.append("Internal")
        if not update.is_published:
            tags.append("Scheduled")
        entries.append(
            TimelineEntry(
                at=update.published_at or update.display_at,
                kind="note" if update.is_note else "update",
                title="Internal note"
                if update.is_note
                else incident.status_label_of(update.status_value),
                html=update.body_html,
                actor=update.author.display_name if update.author else "",
                update=update,
                tags=tags,
            )
        )
    events = db.session.scalars(
        sa.select(ResponseEvent)
        .where(ResponseEvent.notice_id == incident.id)
        .order_by(ResponseEvent.id)
    )
    for event in events:
        entries.append(
            TimelineEntry(
                at=event.at,
                kind=event.kind.value,
                title=event.kind.label,
                html=str(render_markdown(event.summary)),
                actor=event.actor_label,
            )
        )
    changes = db.session.scalars(
        sa.select(ComponentStatusChange).where(
            ComponentStatusChange.notice_id == incident.id,
            ComponentStatusChange.audience == Audience.INTERNAL,
        )
    )
    for change in changes:
        entries.append(
            TimelineEntry(
                at=change.at,
                kind="component",
                title="Component",
                html=str(
                    render_markdown(
                        f"{change.component.full_name}: {change.old_status.label} → "
                        f"{change.new_status.label}"
                    )
                ),
                actor=change.actor_label,
            )
        )
    # Newest first; at one instant, what was written later (and a consequence of an update,
    # such as its component changes) above it.
    kind_order = {"update": 0, "note": 1}
    ranked = sorted(
        enumerate(entries), key=lambda pair: (pair[1].at, kind_order.get(pair[1].kind, 2), pair[0])
    )
    return [entry for _, entry in reversed(ranked)]


@dataclass(frozen=True)
class Console:
    incidents: list[ResponseView]
    mine: list[ResponseView]
    maintenance_soon: list[Maintenance]
    automation: list[ComponentStatusChange]
    now: datetime
    #: Action items past their due day (the page zone's) and still open or in progress.
    overdue_actions: list[ActionItem] = field(default_factory=list)


#: The console lists maintenance starting today and tomorrow, automation since yesterday.
MAINTENANCE_DAYS = timedelta(days=2)
AUTOMATION_DAYS = timedelta(days=1)
AUTOMATION_SHOWN = 10


def open_incidents() -> list[Incident]:
    return list(
        db.session.scalars(
            sa.select(Incident)
            .where(Incident.status_value != IncidentStatus.RESOLVED.value)
            .options(
                selectinload(Incident.updates),
                selectinload(Incident.responders),
                selectinload(Incident.commander),
                selectinload(Incident.comms_lead),
            )
        )
    )


def build_open_responses(now: datetime) -> list[ResponseView]:
    """Every open incident's response, most urgent first (then the oldest)."""
    policy = get_response_policy()
    return sorted(
        (build_response_view(incident, now, policy) for incident in open_incidents()),
        key=ResponseView.sort_key,
    )


def open_sla_moments() -> tuple[datetime, ...]:
    """Every warn and due instant of the open incidents' counting clocks, sorted: the only
    moments a clock's state changes without a write (the staff pages' validators count them;
    which clocks count does not depend on the time asked at)."""
    policy = get_response_policy()
    moments = {
        moment
        for incident in open_incidents()
        for clock in incident_clocks(incident, policy, incident.started_at)
        if clock.state.is_open
        for moment in (clock.warn_at, clock.due_at)
        if moment is not None
    }
    return tuple(sorted(moments))


def build_console(user: User, now: datetime, *, day: date | None = None) -> Console:
    """The staff console: open incidents by priority with their clocks, what is assigned to
    *user*, maintenance still to start today and tomorrow, and automation since yesterday
    (local days of *day*, the day of *now* when not given: the lists change at midnight)."""
    tz = get_site_settings().tz
    day = day or now.astimezone(tz).date()
    views = build_open_responses(now)
    mine = [view for view in views if user.id in {person.id for person in view.people}]
    soon = list(
        db.session.scalars(
            sa.select(Maintenance)
            .where(
                Maintenance.status_value == MaintenanceStatus.SCHEDULED.value,
                Maintenance.scheduled_for >= local_midnight(day, tz),
                Maintenance.scheduled_for < local_midnight(day + MAINTENANCE_DAYS, tz),
            )
            .order_by(Maintenance.scheduled_for)
        )
    )
    automation = list(
        db.session.scalars(
            sa.select(ComponentStatusChange)
            .where(
                ComponentStatusChange.cause == StatusCause.AUTOMATION,
                ComponentStatusChange.audience == Audience.INTERNAL,
                ComponentStatusChange.at >= local_midnight(day - AUTOMATION_DAYS, tz),
            )
            .order_by(ComponentStatusChange.at.desc())
            .limit(AUTOMATION_SHOWN)
        )
    )
    overdue = list(
        db.session.scalars(
            sa.select(ActionItem)
            .where(ActionItem.overdue_clause(day))
            .order_by(ActionItem.due_on, ActionItem.id)
            .options(selectinload(ActionItem.notice))
        )
    )
    return Console(
        incidents=views,
        mine=mine,
        maintenance_soon=soon,
        automation=automation,
        now=now,
        overdue_actions=overdue,
    )
