"""The read side of the page: one builder per audience feeds the HTML pages, the JSON API,
the feeds and the mails, so they can never disagree about what a reader may see.

The banner follows Statuspage's roll-up of leaf component statuses (groups are ignored),
then one rule of ours: an open incident the reader can see always raises the banner to at
least the level its impact calls for (none or minor impact -> minor "Partially Degraded
Service", major -> major "Partial System Outage", critical -> critical "Major System
Outage"). The more severe of the two wins, so "All Systems Operational" is never shown while
an incident is open, even when every component is operational.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Indicator,
    MaintenanceStatus,
)
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    Notice,
    NoticeComponent,
    UpdateComponentChange,
)
from statuspage.services.components import uptime as uptime_service
from statuspage.services.site import SiteSettings, get_site_settings
from statuspage.services.visibility import (
    component_visible,
    group_visible,
    notice_visible,
    update_is_visible,
)

ALL_OPERATIONAL = "All Systems Operational"
#: Windows that never happened (yet) are not history.
HIDDEN_FROM_HISTORY = (MaintenanceStatus.SCHEDULED.value, MaintenanceStatus.CANCELLED.value)


class Overall(NamedTuple):
    indicator: Indicator
    description: str

    @property
    def css(self) -> str:
        return f"indicator-{self.indicator.value}"


def rollup(statuses: Sequence[ComponentStatus]) -> Overall:
    """Statuspage's blend of leaf component statuses into one indicator and description."""
    total = len(statuses)
    count = {status: 0 for status in ComponentStatus}
    for status in statuses:
        count[status] += 1
    if count[ComponentStatus.MAJOR_OUTAGE]:
        if count[ComponentStatus.MAJOR_OUTAGE] == total:
            return Overall(Indicator.CRITICAL, "Major System Outage")
        return Overall(Indicator.MAJOR, "Partial System Outage")
    if count[ComponentStatus.PARTIAL_OUTAGE]:
        if count[ComponentStatus.PARTIAL_OUTAGE] == total:
            return Overall(Indicator.MAJOR, "Partial System Outage")
        return Overall(Indicator.MINOR, "Minor Service Outage")
    if count[ComponentStatus.DEGRADED_PERFORMANCE]:
        if count[ComponentStatus.DEGRADED_PERFORMANCE] == total and total > 1:
            return Overall(Indicator.MINOR, "Degraded System Service")
        return Overall(Indicator.MINOR, "Partially Degraded Service")
    if count[ComponentStatus.UNDER_MAINTENANCE]:
        return Overall(Indicator.MAINTENANCE, "Service Under Maintenance")
    return Overall(Indicator.NONE, ALL_OPERATIONAL)


_IMPACT_FLOOR = {
    Impact.NONE: Overall(Indicator.MINOR, "Partially Degraded Service"),
    Impact.MINOR: Overall(Indicator.MINOR, "Partially Degraded Service"),
    Impact.MAJOR: Overall(Indicator.MAJOR, "Partial System Outage"),
    Impact.CRITICAL: Overall(Indicator.CRITICAL, "Major System Outage"),
}


def overall_status(statuses: Sequence[ComponentStatus], open_impacts: Iterable[Impact]) -> Overall:
    """The banner: the component roll-up, raised by open incidents (see module docstring)."""
    result = rollup(statuses)
    for impact in open_impacts:
        floor = _IMPACT_FLOOR[impact]
        if floor.indicator.severity > result.indicator.severity:
            result = floor
    return result


@dataclass
class UpdateView:
    update: IncidentUpdate
    changes: list[UpdateComponentChange]

    @property
    def status_label(self) -> str:
        return self.update.notice.status_label_of(self.update.status_value)


@dataclass
class NoticeView:
    notice: Notice
    updates: list[UpdateView]
    components: list[Component]
    audience: Audience = Audience.PUBLIC

    def status_of(self, component: Component) -> ComponentStatus:
        """An affected component's status as this view's reader sees it."""
        return component.status_for(self.audience)

    @property
    def latest(self) -> UpdateView | None:
        return self.updates[0] if self.updates else None

    @property
    def kind(self) -> str:
        return self.notice.type

    @property
    def status_label(self) -> str:
        return self.notice.status_label

    @property
    def is_open(self) -> bool:
        return self.notice.resolved_at is None

    def duration(self, now: datetime) -> timedelta:
        end = self.notice.resolved_at or now
        return max(timedelta(0), end - self.notice.started_at)


def status_label(notice: Notice, value: str) -> str:
    """Label of an incident or maintenance status value."""
    if isinstance(notice, Incident):
        return IncidentStatus(value).label
    return MaintenanceStatus(value).label


def build_notice_view(
    notice: Notice,
    audience: Audience,
    visible_ids: set[str] | None = None,
    *,
    with_notes: bool = True,
) -> NoticeView:
    """A notice with the updates and components *audience* may see, newest update first;
    internal notes only when *with_notes* (staff pages, not feeds or JSON)."""

    def shown(component: Component) -> bool:
        if visible_ids is not None:
            return component.id in visible_ids
        return component_visible(component, audience)

    updates = [
        UpdateView(update=u, changes=[c for c in u.changes if shown(c.component)])
        for u in notice.updates
        if update_is_visible(u, audience, with_notes=with_notes)
    ]
    components = [link.component for link in notice.affected if shown(link.component)]
    return NoticeView(notice=notice, updates=updates, components=components, audience=audience)


def build_update_view(update: IncidentUpdate, audience: Audience) -> UpdateView:
    """One update (published or not) with the component changes *audience* may see: what the
    management API answers after posting it."""
    changes = [c for c in update.changes if component_visible(c.component, audience)]
    return UpdateView(update=update, changes=changes)


def notice_options() -> list:
    """Eager loads for notices shown with their timelines: a fixed number of queries."""
    return [
        selectinload(Notice.updates).selectinload(IncidentUpdate.changes),
        selectinload(Notice.affected),
    ]


@dataclass
class ComponentView:
    component: Component
    uptime: uptime_service.Uptime | None = None
    audience: Audience = Audience.PUBLIC

    @property
    def status(self) -> ComponentStatus:
        return self.component.status_for(self.audience)

    @property
    def hidden(self) -> bool:
        """only_show_if_degraded: left off the page while operational."""
        return self.component.only_show_if_degraded and self.status is ComponentStatus.OPERATIONAL


@dataclass
class GroupView:
    group: ComponentGroup
    components: list[ComponentView]
    uptime: uptime_service.Uptime | None = None

    @property
    def status(self) -> ComponentStatus:
        """The worst status among the children this audience can see."""
        return ComponentStatus.worst(c.status for c in self.components)

    @property
    def shown_components(self) -> list[ComponentView]:
        return [c for c in self.components if not c.hidden]

    @property
    def hidden(self) -> bool:
        if not self.shown_components:
            return True
        return self.group.only_show_if_degraded and self.status is ComponentStatus.OPERATIONAL


@dataclass
class DayOfIncidents:
    day: date
    notices: list[NoticeView]


@dataclass
class StatusPage:
    audience: Audience
    now: datetime
    settings: SiteSettings
    overall: Overall
    items: list[GroupView | ComponentView]
    groups: list[ComponentGroup]
    components: list[Component]
    open_incidents: list[NoticeView]
    active_maintenance: list[NoticeView] = field(default_factory=list)
    upcoming_maintenance: list[NoticeView] = field(default_factory=list)
    past_days: list[DayOfIncidents] = field(default_factory=list)

    @property
    def components_in_page_order(self) -> list[Component]:
        """Every visible component as the page lists them: each group's children together."""
        ordered: list[Component] = []
        for item in self.items:
            if isinstance(item, GroupView):
                ordered.extend(view.component for view in item.components)
            else:
                ordered.append(item.component)
        return ordered

    @property
    def shown_items(self) -> list[GroupView | ComponentView]:
        return [item for item in self.items if not item.hidden]


def visible_tree(audience: Audience) -> tuple[list[ComponentGroup], list[Component]]:
    """The groups and leaf components *audience* may see, in page order (two queries)."""
    groups = db.session.scalars(
        sa.select(ComponentGroup).where(ComponentGroup.archived_at.is_(None))
    ).all()
    groups = sorted(
        (g for g in groups if group_visible(g, audience)), key=lambda g: (g.position, g.name)
    )
    group_ids = {g.id for g in groups}
    components = db.session.scalars(
        sa.select(Component).where(Component.archived_at.is_(None))
    ).all()
    leaves = [
        c
        for c in components
        if c.visibility in audience.visibilities and (c.group_id is None or c.group_id in group_ids)
    ]
    return groups, sorted(leaves, key=lambda c: (c.position, c.name))


def list_open_incidents(
    audience: Audience, visible_ids: set[str], *, with_notes: bool = True
) -> list[NoticeView]:
    incidents = db.session.scalars(
        sa.select(Incident)
        .where(notice_visible(audience), Incident.status_value != IncidentStatus.RESOLVED.value)
        .order_by(Incident.started_at.desc())
        .options(*notice_options())
    ).all()
    return [build_notice_view(i, audience, visible_ids, with_notes=with_notes) for i in incidents]


def _related_notices(
    audience: Audience, since: datetime, now: datetime, visible_ids: set[str]
) -> dict[tuple[str, date], list[str]]:
    """(component id, local day) -> names of the visible notices affecting it that day."""
    tz = get_site_settings().tz
    rows = db.session.execute(
        sa.select(Notice.name, Notice.started_at, Notice.resolved_at, NoticeComponent.component_id)
        .join(NoticeComponent, NoticeComponent.notice_id == Notice.id)
        .where(
            notice_visible(audience),
            Notice.started_at <= now,
            sa.or_(Notice.resolved_at.is_(None), Notice.resolved_at >= since),
        )
        .order_by(Notice.started_at)
    )
    related: dict[tuple[str, date], list[str]] = {}
    for name, started_at, resolved_at, component_id in rows:
        if component_id not in visible_ids:
            continue
        day = max(started_at, since).astimezone(tz).date()
        last = (resolved_at or now).astimezone(tz).date()
        while day <= last:
            names = related.setdefault((component_id, day), [])
            if name not in names:
                names.append(name)
            day += timedelta(days=1)
    return related


def build_items(
    groups: Sequence[ComponentGroup],
    components: Sequence[Component],
    uptimes: dict[str, uptime_service.Uptime] | None = None,
    *,
    audience: Audience,
) -> list[GroupView | ComponentView]:
    """Groups (with their children) and ungrouped components, in page order."""
    uptimes = uptimes or {}
    children: dict[str, list[ComponentView]] = {g.id: [] for g in groups}
    top: list[GroupView | ComponentView] = []
    for component in components:
        uptime = uptimes.get(component.id) if component.showcase else None
        view = ComponentView(component, uptime, audience)
        if component.group_id is None:
            top.append(view)
        else:
            children[component.group_id].append(view)
    for group in groups:
        members = children[group.id]
        group_uptime = None
        if uptimes and group.showcase:
            group_uptime = uptime_service.mean_uptime(
                uptimes[c.component.id] for c in members if c.component.id in uptimes
            )
        top.append(GroupView(group, members, group_uptime))

    def position(item: GroupView | ComponentView) -> tuple[int, str]:
        obj = item.group if isinstance(item, GroupView) else item.component
        return (obj.position, obj.name.lower())

    return sorted(top, key=position)


def list_active_maintenance(
    audience: Audience, visible_ids: set[str], *, with_notes: bool = True
) -> list[NoticeView]:
    windows = db.session.scalars(
        sa.select(Maintenance)
        .where(
            notice_visible(audience),
            Maintenance.status_value.in_(
                [MaintenanceStatus.IN_PROGRESS.value, MaintenanceStatus.VERIFYING.value]
            ),
        )
        .order_by(Maintenance.scheduled_for)
        .options(*notice_options())
    ).all()
    return [build_notice_view(m, audience, visible_ids, with_notes=with_notes) for m in windows]


def list_upcoming_maintenance(
    audience: Audience,
    visible_ids: set[str],
    *,
    now: datetime,
    days: int | None = None,
    with_notes: bool = True,
) -> list[NoticeView]:
    """Windows still to start, soonest first; within *days* when given."""
    query = (
        sa.select(Maintenance)
        .where(
            notice_visible(audience), Maintenance.status_value == MaintenanceStatus.SCHEDULED.value
        )
        .order_by(Maintenance.scheduled_for)
        .options(*notice_options())
    )
    if days is not None:
        query = query.where(Maintenance.scheduled_for <= now + timedelta(days=days))
    return [
        build_notice_view(m, audience, visible_ids, with_notes=with_notes)
        for m in db.session.scalars(query)
    ]


def build_status_page(
    audience: Audience,
    *,
    now: datetime,
    with_uptime: bool = True,
    with_history: bool = True,
    with_notes: bool = True,
) -> StatusPage:
    """Everything the status page shows for *audience*, in a fixed number of queries."""
    from flask import current_app

    config = current_app.config
    settings = get_site_settings()
    groups, components = visible_tree(audience)
    visible_ids = {c.id for c in components}
    open_incidents = list_open_incidents(audience, visible_ids, with_notes=with_notes)
    uptimes = None
    if with_uptime:
        days = config["UPTIME_DAYS"]
        since = uptime_service.local_midnight(
            now.astimezone(settings.tz).date() - timedelta(days=days - 1), settings.tz
        )
        related = _related_notices(audience, since, now, visible_ids)
        uptimes = uptime_service.build_uptime(
            [c for c in components if c.showcase or (c.group_id and _group_showcase(groups, c))],
            audience=audience,
            now=now,
            days=days,
            related=related,
        )
    page = StatusPage(
        audience=audience,
        now=now,
        settings=settings,
        overall=overall_status(
            [c.status_for(audience) for c in components],
            [v.notice.impact for v in open_incidents],
        ),
        items=build_items(groups, components, uptimes, audience=audience),
        groups=list(groups),
        components=list(components),
        open_incidents=open_incidents,
    )
    page.active_maintenance = list_active_maintenance(audience, visible_ids, with_notes=with_notes)
    page.upcoming_maintenance = list_upcoming_maintenance(
        audience,
        visible_ids,
        now=now,
        days=config["UPCOMING_MAINTENANCE_DAYS"],
        with_notes=with_notes,
    )
    if with_history:
        page.past_days = build_past_days(
            audience,
            now=now,
            days=config["HISTORY_DAYS_ON_PAGE"],
            visible_ids=visible_ids,
            with_notes=with_notes,
        )
    return page


def _group_showcase(groups: Sequence[ComponentGroup], component: Component) -> bool:
    return any(g.id == component.group_id and g.showcase for g in groups)


def build_past_days(
    audience: Audience,
    *,
    now: datetime,
    days: int,
    visible_ids: set[str],
    with_notes: bool = True,
) -> list[DayOfIncidents]:
    """Each of the last *days* local days, newest first, with the incidents and maintenance
    windows that started then."""
    tz = get_site_settings().tz
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    since = uptime_service.local_midnight(first, tz)
    notices = db.session.scalars(
        sa.select(Notice)
        .where(
            notice_visible(audience),
            Notice.started_at >= since,
            Notice.started_at <= now,
            Notice.status_value.not_in(HIDDEN_FROM_HISTORY),
        )
        .order_by(Notice.started_at.desc())
        .options(*notice_options())
    ).all()
    by_day: dict[date, list[NoticeView]] = {today - timedelta(days=i): [] for i in range(days)}
    for notice in notices:
        day = notice.started_at.astimezone(tz).date()
        if day in by_day:
            view = build_notice_view(notice, audience, visible_ids, with_notes=with_notes)
            by_day[day].append(view)
    return [DayOfIncidents(day=day, notices=views) for day, views in by_day.items()]


def list_notices(
    audience: Audience,
    kind: type[Notice],
    *,
    page: int = 1,
    per_page: int = 50,
    statuses: tuple[str, ...] | None = None,
    newest_first: bool = True,
    with_notes: bool = True,
) -> list[NoticeView]:
    """One page of incidents or maintenance windows as *audience* sees them."""
    _, components = visible_tree(audience)
    visible_ids = {c.id for c in components}
    order = kind.started_at.desc() if newest_first else kind.started_at
    if kind is Maintenance:
        column = Maintenance.scheduled_for
        order = column.desc() if newest_first else column
    query = sa.select(kind).where(notice_visible(audience)).order_by(order, kind.id)
    if statuses is not None:
        query = query.where(kind.status_value.in_(statuses))
    notices = db.session.scalars(
        query.offset((page - 1) * per_page).limit(per_page).options(*notice_options())
    ).all()
    return [build_notice_view(n, audience, visible_ids, with_notes=with_notes) for n in notices]


def count_notices(
    audience: Audience, kind: type[Notice], *, statuses: tuple[str, ...] | None = None
) -> int:
    """How many incidents or maintenance windows *audience* may see (for paginated lists)."""
    query = sa.select(sa.func.count()).select_from(kind).where(notice_visible(audience))
    if statuses is not None:
        query = query.where(kind.status_value.in_(statuses))
    return db.session.scalar(query) or 0
