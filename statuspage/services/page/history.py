"""The read side of the history: one incident's page, incidents month by month, the feeds and
the maintenance calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from statuspage.enums import Audience, MaintenanceStatus
from statuspage.extensions import db
from statuspage.models import Component, Incident, Maintenance, Notice, NoticeComponent
from statuspage.models.notice import ANNOUNCED_AT
from statuspage.services.components.uptime import local_midnight
from statuspage.services.page.builders import notice_options, visible_tree
from statuspage.services.page.view_models import NoticeView, build_notice_view
from statuspage.services.site.page_state import get_page_state
from statuspage.services.site.settings import get_site_settings
from statuspage.visibility import notice_visible_clause


def _affects_component(component_id: str) -> sa.ColumnElement[bool]:
    """Notices that list *component_id* among their affected components."""
    return sa.exists().where(
        NoticeComponent.notice_id == Notice.id, NoticeComponent.component_id == component_id
    )


def get_notice_view(
    notice_id: str, audience: Audience, kind: type[Notice] = Incident, *, with_notes: bool = True
) -> NoticeView | None:
    """One incident (or maintenance) as *audience* sees it; None when it may not see it."""
    notice = db.session.scalars(
        sa.select(kind)
        .where(kind.id == notice_id, notice_visible_clause(audience, kind))
        .options(*notice_options())
    ).first()
    if notice is None:
        return None
    _, components = visible_tree(audience)
    return build_notice_view(notice, audience, {c.id for c in components}, with_notes=with_notes)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        local = moment.astimezone(get_site_settings().tz)
        return cls(local.year, local.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.first_day:%B %Y}"


@dataclass
class HistoryPage:
    month: Month
    notices: list[NoticeView]
    page: int
    pages: int
    total: int
    component: Component | None


def _listed(audience: Audience, kinds: tuple[type[Notice], ...]) -> list[sa.ColumnElement[bool]]:
    """What the history lists: notices of *kinds* *audience* may see, not those still to come."""
    types = [kind.__mapper__.polymorphic_identity for kind in kinds]
    return [
        notice_visible_clause(audience, Notice),
        Notice.type.in_(types),
        Notice.status_value != MaintenanceStatus.SCHEDULED.value,
    ]


def count_history(
    audience: Audience, *, kinds: tuple[type[Notice], ...] = (Incident, Maintenance)
) -> dict[tuple[Month, str | None], int]:
    """How many entries each month of the history lists, in all (component None) and per
    component *audience* can see: the pages a published copy of the history is made of."""
    tz = get_site_settings().tz
    _, components = visible_tree(audience)
    visible_ids = {c.id for c in components}
    rows = db.session.execute(
        sa.select(Notice.id, Notice.started_at).where(*_listed(audience, kinds))
    ).all()
    starts: dict[str, datetime] = {notice_id: started for notice_id, started in rows}
    counts: dict[tuple[Month, str | None], int] = {}
    months = {nid: Month.of(started.astimezone(tz)) for nid, started in starts.items()}
    for month in months.values():
        counts[(month, None)] = counts.get((month, None), 0) + 1
    links = db.session.execute(
        sa.select(NoticeComponent.notice_id, NoticeComponent.component_id)
    ).all()
    for notice_id, component_id in links:
        if notice_id in months and component_id in visible_ids:
            key = (months[notice_id], component_id)
            counts[key] = counts.get(key, 0) + 1
    return counts


def build_history(
    audience: Audience,
    *,
    month: Month,
    page: int = 1,
    per_page: int = 20,
    component_id: str | None = None,
    kinds: tuple[type[Notice], ...] = (Incident, Maintenance),
) -> HistoryPage | None:
    """The incidents and maintenance windows (not those still to come) that started in *month*
    (page time zone), newest first, one page of them.

    None when *component_id* names no component this audience can see.
    """
    tz = get_site_settings().tz
    start = local_midnight(month.first_day, tz)
    end = local_midnight(month.shift(1).first_day, tz)
    _, components = visible_tree(audience)
    visible_ids = {c.id for c in components}
    component = None
    query = sa.select(Notice).where(
        *_listed(audience, kinds), Notice.started_at >= start, Notice.started_at < end
    )
    if component_id is not None:
        component = next((c for c in components if c.id == component_id), None)
        if component is None:
            return None
        query = query.where(_affects_component(component_id))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    notices = db.session.scalars(
        query.order_by(Notice.started_at.desc(), Notice.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(*notice_options())
    ).all()
    return HistoryPage(
        month=month,
        notices=[build_notice_view(n, audience, visible_ids) for n in notices],
        page=page,
        pages=pages,
        total=total,
        component=component,
    )


@dataclass
class NoticeFeed:
    """What a feed shows: notices newest first, the component it follows (if any), and when
    the page last changed (the feed's date when it has no entries)."""

    notices: list[NoticeView]
    component: Component | None
    changed_at: datetime


def _later_occurrence(audience: Audience) -> sa.ColumnElement[bool]:
    """A scheduled window of a recurring rule that has an earlier one still to come: a feed
    announces only a rule's next occurrence, or a daily rule would fill it (the calendar
    holds them all)."""
    earlier = aliased(Maintenance, name="earlier")
    # The outer row through plain columns: Maintenance.x would restrict the outer query to
    # maintenance rows (single-table inheritance adds its type filter).
    row = Notice.__table__.c
    scheduled = MaintenanceStatus.SCHEDULED.value
    return sa.and_(
        row.status == scheduled,
        row.recurrence_id.is_not(None),
        sa.exists().where(
            notice_visible_clause(audience, earlier),
            earlier.recurrence_id == row.recurrence_id,
            earlier.status_value == scheduled,
            sa.or_(
                earlier.scheduled_for < row.scheduled_for,
                sa.and_(earlier.scheduled_for == row.scheduled_for, earlier.id < row.id),
            ),
        ),
    )


def build_notice_feed(
    audience: Audience, *, limit: int, component_id: str | None = None, with_notes: bool = False
) -> NoticeFeed | None:
    """The latest incidents and maintenance windows *audience* may see, newest first by when
    they were announced (an incident's start, a window's creation, as the entries' published).

    Windows still scheduled are included: a feed is where subscribers read announcements (of a
    recurring rule, only its next window). None when *component_id* names no component this
    audience can see. Internal notes stay out unless *with_notes*: a feed leaves the building.
    """
    _, components = visible_tree(audience)
    visible_ids = {c.id for c in components}
    query = sa.select(Notice).where(
        notice_visible_clause(audience, Notice), sa.not_(_later_occurrence(audience))
    )
    component = None
    if component_id is not None:
        component = next((c for c in components if c.id == component_id), None)
        if component is None:
            return None
        query = query.where(_affects_component(component_id))
    notices = db.session.scalars(
        query.order_by(ANNOUNCED_AT.desc(), Notice.id).limit(limit).options(*notice_options())
    ).all()
    return NoticeFeed(
        notices=[
            build_notice_view(n, audience, visible_ids, with_notes=with_notes) for n in notices
        ],
        component=component,
        changed_at=get_page_state(audience)[1],
    )


def list_calendar_windows(
    audience: Audience, *, now: datetime, recent_days: int = 30
) -> list[NoticeView]:
    """Maintenance windows a calendar should hold, by start: every open one, and those completed
    or cancelled in the last *recent_days* (a cancelled one must stay for apps to remove it)."""
    _, components = visible_tree(audience)
    since = now - timedelta(days=recent_days)
    windows = db.session.scalars(
        sa.select(Maintenance)
        .where(
            notice_visible_clause(audience, Maintenance),
            sa.or_(Maintenance.resolved_at.is_(None), Maintenance.resolved_at >= since),
        )
        .order_by(Maintenance.scheduled_for, Maintenance.id)
        .options(*notice_options())
    ).all()
    visible_ids = {c.id for c in components}
    return [build_notice_view(w, audience, visible_ids) for w in windows]
