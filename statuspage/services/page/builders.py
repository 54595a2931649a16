"""The read side of the page: one builder per audience feeds the HTML pages, the JSON API,
the feeds and the mails, so they can never disagree about what a reader may see; each runs a
fixed number of queries however long the history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.enums import Audience, ComponentStatus, IncidentStatus, MaintenanceStatus
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    Notice,
    NoticeComponent,
)
from statuspage.services.components import uptime as uptime_service
from statuspage.services.page.rollup import overall_status
from statuspage.services.page.view_models import (
    DayOfIncidents,
    NoticeView,
    StatusPage,
    build_brief_notice_view,
    build_items,
    build_notice_view,
)
from statuspage.services.page_clock import ClockFacts, PageClock
from statuspage.services.response.console import open_sla_moments
from statuspage.services.site.page_state import get_page_state
from statuspage.services.site.settings import get_site_settings
from statuspage.visibility import component_visible, group_visible, notice_visible_clause, sees

#: The column itself: `Maintenance.scheduled_for` in a query would limit it to maintenance rows.
SCHEDULED_FOR = Maintenance.__table__.c.scheduled_for

#: Windows that never happened (yet) are not history.
HIDDEN_FROM_HISTORY = (MaintenanceStatus.SCHEDULED.value, MaintenanceStatus.CANCELLED.value)


def notice_options() -> list:
    """Eager loads for notices shown with their timelines: a fixed number of queries."""
    return [
        selectinload(Notice.updates).selectinload(IncidentUpdate.changes),
        selectinload(Notice.affected),
        selectinload(Notice.postmortem),
    ]


def visible_tree(audience: Audience) -> tuple[list[ComponentGroup], list[Component]]:
    """The groups and leaf components *audience* may see, in page order (two queries)."""
    # Every group, archived ones too, so each component's group is already in the session.
    every_group = db.session.scalars(sa.select(ComponentGroup)).all()
    groups = sorted(
        (g for g in every_group if group_visible(g, audience)), key=lambda g: (g.position, g.name)
    )
    components = db.session.scalars(
        sa.select(Component).where(Component.archived_at.is_(None))
    ).all()
    leaves = [c for c in components if component_visible(c, audience)]
    return groups, sorted(leaves, key=lambda c: (c.position, c.name))


def read_clock_facts(audience: Audience, *, with_sla: bool = False) -> ClockFacts:
    """The time zone, whether some component *audience* can see is not operational (its
    uptime then grows with the clock) and, *with_sla*, the warn and due instants of the open
    SLA clocks: data, so read at most once per page version and process, like the settings."""
    from flask import current_app

    version, _ = get_page_state(audience)
    memo = current_app.extensions.setdefault("clock_facts", {})
    key = (audience, version, with_sla)
    facts = memo.get(key)
    if facts is None:
        live = _any_not_operational(audience)
        minutes = current_app.config["UPTIME_LIVE_MINUTES"]
        moments = open_sla_moments() if with_sla else ()
        facts = ClockFacts(get_site_settings().timezone, live, minutes, moments)
        if len(memo) >= 8:
            memo.clear()
        memo[key] = facts
    return facts


def _any_not_operational(audience: Audience) -> bool:
    """Whether some component *audience* can see is not operational (one query: the few such
    components, with their group's visibility)."""
    status = Component.status if audience is Audience.PUBLIC else Component.internal_status
    rows = db.session.execute(
        sa.select(Component.visibility, ComponentGroup.visibility, ComponentGroup.archived_at)
        .outerjoin(ComponentGroup, ComponentGroup.id == Component.group_id)
        .where(Component.archived_at.is_(None), status != ComponentStatus.OPERATIONAL)
    )
    return any(
        sees(audience, own) and (group is None or (archived is None and sees(audience, group)))
        for own, group, archived in rows
    )


def _open_incident_clause() -> sa.ColumnElement[bool]:
    return sa.and_(
        Notice.type == Incident.__mapper__.polymorphic_identity,
        Notice.status_value != IncidentStatus.RESOLVED.value,
    )


def _active_maintenance_clause() -> sa.ColumnElement[bool]:
    return sa.and_(
        Notice.type == Maintenance.__mapper__.polymorphic_identity,
        Notice.status_value.in_(
            [MaintenanceStatus.IN_PROGRESS.value, MaintenanceStatus.VERIFYING.value]
        ),
    )


def _upcoming_maintenance_clause(
    now: datetime, days: int | None, *, by_day: bool
) -> sa.ColumnElement[bool]:
    """Windows still to start; within *days* when given (*by_day*: starting by the end of
    the local day *days* days after the day of *now*, so the list changes at midnight, not by
    the minute)."""
    clause = sa.and_(
        Notice.type == Maintenance.__mapper__.polymorphic_identity,
        Notice.status_value == MaintenanceStatus.SCHEDULED.value,
    )
    if days is not None and by_day:
        tz = get_site_settings().tz
        last = now.astimezone(tz).date() + timedelta(days=days + 1)
        clause = sa.and_(clause, SCHEDULED_FOR < uptime_service.local_midnight(last, tz))
    elif days is not None:
        clause = sa.and_(clause, SCHEDULED_FOR <= now + timedelta(days=days))
    return clause


def _past_clause(since: datetime, now: datetime) -> sa.ColumnElement[bool]:
    """Notices that started in [since, now] and happened (a window that never did is not
    history)."""
    return sa.and_(
        Notice.started_at >= since,
        Notice.started_at <= now,
        Notice.status_value.not_in(HIDDEN_FROM_HISTORY),
    )


def list_upcoming_maintenance(
    audience: Audience,
    visible_ids: set[str],
    *,
    now: datetime,
    days: int | None = None,
    with_notes: bool = True,
    by_day: bool = False,
) -> list[NoticeView]:
    """Windows still to start, soonest first (see `_upcoming_maintenance_clause`)."""
    query = (
        sa.select(Maintenance)
        .where(
            notice_visible_clause(audience, Maintenance),
            _upcoming_maintenance_clause(now, days, by_day=by_day),
        )
        .order_by(Maintenance.scheduled_for)
        .options(*notice_options())
    )
    return [
        build_notice_view(m, audience, visible_ids, with_notes=with_notes)
        for m in db.session.scalars(query)
    ]


@dataclass
class PageNotices:
    """The notices of the status page, read together: one query and its eager loads, not
    one set per section."""

    open_incidents: list[Notice] = field(default_factory=list)
    active_maintenance: list[Notice] = field(default_factory=list)
    upcoming_maintenance: list[Notice] = field(default_factory=list)
    #: Newest first, started in the window of past days.
    past: list[Notice] = field(default_factory=list)


def load_page_notices(
    audience: Audience,
    *,
    upcoming: sa.ColumnElement[bool],
    past: sa.ColumnElement[bool] | None,
) -> PageNotices:
    """Every notice a section of the page shows: the current ones in one query, each row
    labelled by the database with the sections it belongs to (so the sections' rules are
    written once, in SQL), with their timelines; the past days' in another, with their
    updates only (the page lists their names and update texts)."""
    sections = {
        "open_incidents": _open_incident_clause(),
        "active_maintenance": _active_maintenance_clause(),
        "upcoming_maintenance": upcoming,
    }
    labels = [sa.case((clause, True), else_=False).label(name) for name, clause in sections.items()]
    rows = db.session.execute(
        sa.select(Notice, *labels)
        .where(notice_visible_clause(audience, Notice), sa.or_(*sections.values()))
        .order_by(Notice.started_at.desc(), Notice.id)
        .options(*notice_options())
    ).all()
    found = PageNotices()
    for row in rows:
        for name in sections:
            if getattr(row, name):
                getattr(found, name).append(row[0])
    for windows in (found.active_maintenance, found.upcoming_maintenance):
        windows.sort(key=lambda m: cast(Maintenance, m).scheduled_for or m.started_at)
    if past is not None:
        found.past = list(
            db.session.scalars(
                sa.select(Notice)
                .where(notice_visible_clause(audience, Notice), past)
                .order_by(Notice.started_at.desc(), Notice.id)
                .options(selectinload(Notice.updates))
            )
        )
    return found


def _related_notices(
    audience: Audience, since: datetime, now: datetime, visible_ids: set[str]
) -> dict[tuple[str, date], list[str]]:
    """(component id, local day) -> names of the visible notices affecting it that day, up to
    the day of *now*; windows that did not happen (yet) are not related to any day."""
    tz = get_site_settings().tz
    rows = db.session.execute(
        sa.select(Notice.name, Notice.started_at, Notice.resolved_at, NoticeComponent.component_id)
        .join(NoticeComponent, NoticeComponent.notice_id == Notice.id)
        .where(
            notice_visible_clause(audience, Notice),
            Notice.started_at <= now,
            Notice.status_value.not_in(HIDDEN_FROM_HISTORY),
            sa.or_(Notice.resolved_at.is_(None), Notice.resolved_at >= since),
        )
        .order_by(Notice.started_at)
    )
    related: dict[tuple[str, date], list[str]] = {}
    for name, started_at, resolved_at, component_id in rows:
        if component_id not in visible_ids:
            continue
        day = max(started_at, since).astimezone(tz).date()
        last = min(resolved_at or now, now).astimezone(tz).date()
        while day <= last:
            names = related.setdefault((component_id, day), [])
            if name not in names:
                names.append(name)
            day += timedelta(days=1)
    return related


def build_status_page(
    audience: Audience,
    *,
    now: datetime,
    with_uptime: bool = True,
    with_history: bool = True,
    with_notes: bool = True,
    clock: PageClock | None = None,
) -> StatusPage:
    """Everything the status page shows for *audience*, in a fixed number of queries.

    With the page's *clock* (the HTML pages), what is shown depends on its day and, for the
    uptime of a live page, on the instant it counts to, never on *now* itself."""
    from flask import current_app

    config = current_app.config
    settings = get_site_settings()
    counted_to, period_end = (clock.counted_to, clock.period_end) if clock else (now, now)
    groups, components = visible_tree(audience)
    visible_ids = {c.id for c in components}
    history_now = clock.period_end if clock else now
    today = clock.day if clock else history_now.astimezone(settings.tz).date()
    history_days = config["HISTORY_DAYS_ON_PAGE"]
    notices = load_page_notices(
        audience,
        upcoming=_upcoming_maintenance_clause(
            counted_to, config["UPCOMING_MAINTENANCE_DAYS"], by_day=clock is not None
        ),
        past=_past_clause(_first_past_midnight(today, history_days), history_now)
        if with_history
        else None,
    )

    def views(found: list[Notice]) -> list[NoticeView]:
        return [build_notice_view(n, audience, visible_ids, with_notes=with_notes) for n in found]

    open_incidents = views(notices.open_incidents)
    uptimes = None
    if with_uptime:
        days = config["UPTIME_DAYS"]
        since = uptime_service.local_midnight(
            counted_to.astimezone(settings.tz).date() - timedelta(days=days - 1), settings.tz
        )
        related = _related_notices(audience, since, history_now, visible_ids)
        uptimes = uptime_service.build_uptime(
            [c for c in components if c.showcase or (c.group_id and _group_showcase(groups, c))],
            audience=audience,
            now=counted_to,
            days=days,
            related=related,
            period_end=period_end,
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
    version, changed_at = get_page_state(audience)
    page.updated_at = changed_at if version > 1 else None
    page.active_maintenance = views(notices.active_maintenance)
    page.upcoming_maintenance = views(notices.upcoming_maintenance)
    if with_history:
        briefs = [build_brief_notice_view(n, audience, with_notes=with_notes) for n in notices.past]
        page.past_days = group_past_days(briefs, today=today, days=history_days)
    return page


def _group_showcase(groups: Sequence[ComponentGroup], component: Component) -> bool:
    return any(g.id == component.group_id and g.showcase for g in groups)


def _first_past_midnight(today: date, days: int) -> datetime:
    tz = get_site_settings().tz
    return uptime_service.local_midnight(today - timedelta(days=days - 1), tz)


def group_past_days(notices: list[NoticeView], *, today: date, days: int) -> list[DayOfIncidents]:
    """Each of the last *days* local days up to *today*, newest first, with the *notices*
    (newest first) that started then."""
    tz = get_site_settings().tz
    by_day: dict[date, list[NoticeView]] = {today - timedelta(days=i): [] for i in range(days)}
    for view in notices:
        day = view.notice.started_at.astimezone(tz).date()
        if day in by_day:
            by_day[day].append(view)
    return [DayOfIncidents(day=day, notices=found) for day, found in by_day.items()]


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
    query = sa.select(kind).where(notice_visible_clause(audience, kind)).order_by(order, kind.id)
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
    query = (
        sa.select(sa.func.count()).select_from(kind).where(notice_visible_clause(audience, kind))
    )
    if statuses is not None:
        query = query.where(kind.status_value.in_(statuses))
    return db.session.scalar(query) or 0
