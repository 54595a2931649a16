"""Uptime: per-day aggregates kept as statuses change, and the 90-day bars read from them.

Uptime over a period = 100 % - (major-outage minutes + 0.3 x partial-outage minutes) /
minutes in the period. Degraded performance and maintenance do not count as downtime. The
period starts at the later of the window's first day and the component's start_date (or its
creation day when it has none) and ends now; days before it are not drawn as bars. A group's
uptime is the mean of its children's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from statuspage.enums import Audience, ComponentStatus
from statuspage.extensions import db
from statuspage.models import Component, ComponentDay, ComponentStatusChange
from statuspage.services.site.settings import get_site_settings

PARTIAL_OUTAGE_WEIGHT = 0.3

#: The bars' class of each status, also its letter in a day's compact code (`DayBar.code`).
_BAR_CLASS = {
    ComponentStatus.DEGRADED_PERFORMANCE: "d",
    ComponentStatus.PARTIAL_OUTAGE: "p",
    ComponentStatus.MAJOR_OUTAGE: "m",
    ComponentStatus.UNDER_MAINTENANCE: "u",
}

#: Where ComponentDay keeps each status's seconds (operational is not counted).
DAY_COLUMNS = {
    ComponentStatus.DEGRADED_PERFORMANCE: "degraded_seconds",
    ComponentStatus.PARTIAL_OUTAGE: "partial_seconds",
    ComponentStatus.MAJOR_OUTAGE: "major_seconds",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance_seconds",
}


def _tz() -> ZoneInfo:
    return get_site_settings().tz


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The aware UTC instant a local day starts (23 or 25 hours apart across DST changes)."""
    from datetime import UTC

    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def split_by_day(start: datetime, end: datetime, tz: ZoneInfo) -> Iterable[tuple[date, int]]:
    """(local day, seconds) pieces of [start, end)."""
    day = start.astimezone(tz).date()
    cursor = start
    while cursor < end:
        next_midnight = local_midnight(day + timedelta(days=1), tz)
        piece_end = min(end, next_midnight)
        seconds = int((piece_end - cursor).total_seconds())
        if seconds > 0:
            yield day, seconds
        cursor = piece_end
        day += timedelta(days=1)


def record_interval(
    component: Component,
    audience: Audience,
    status: ComponentStatus,
    start: datetime,
    end: datetime,
) -> None:
    """Add the time *component*'s status for *audience* spent in *status* over [start, end) to
    its day rows."""
    column = DAY_COLUMNS.get(status)
    if column is None or end <= start or component.id is None:
        return
    for day, seconds in split_by_day(start, end, _tz()):
        row = db.session.get(ComponentDay, (component.id, audience, day))
        if row is None:
            row = ComponentDay(
                component_id=component.id,
                audience=audience,
                day=day,
                degraded_seconds=0,
                partial_seconds=0,
                major_seconds=0,
                maintenance_seconds=0,
            )
            db.session.add(row)
        setattr(row, column, getattr(row, column) + seconds)


def rebuild_uptime() -> int:
    """Recompute every day row from the status history (after a time-zone change)."""
    db.session.execute(sa.delete(ComponentDay))
    count = 0
    for component in db.session.scalars(sa.select(Component)):
        for audience in Audience:
            changes = db.session.scalars(
                sa.select(ComponentStatusChange)
                .where(
                    ComponentStatusChange.component_id == component.id,
                    ComponentStatusChange.audience == audience,
                )
                .order_by(ComponentStatusChange.at, ComponentStatusChange.id)
            ).all()
            for previous, change in zip(changes, changes[1:], strict=False):
                record_interval(component, audience, previous.new_status, previous.at, change.at)
                count += 1
        db.session.flush()
    db.session.commit()
    return count


@dataclass(frozen=True)
class DayBar:
    """One day of one component's bars; frozen, as quiet days share one bar per day."""

    day: date
    #: None for a day outside the component's history (before its start date).
    status: ComponentStatus | None
    minutes: dict[ComponentStatus, int] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)
    #: One-letter class (bars are many; operational needs none): set once, read 90 times a row.
    css: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        css = "n" if self.status is None else _BAR_CLASS.get(self.status, "")
        object.__setattr__(self, "css", css)

    @property
    def label(self) -> str:
        """ "12 Nov 2026 — partial outage 42 min, major outage 3 min — related: X"."""
        text = _day_text(self.day)
        if self.status is None:
            return f"{text} — no data"
        parts = [
            f"{status.label.lower()} {_minutes(minutes)}"
            for status, minutes in sorted(self.minutes.items(), key=lambda kv: kv[0].severity)
        ]
        text += " — " + (", ".join(parts) if parts else "no downtime")
        if self.related:
            text += " — related: " + ", ".join(self.related)
        return text

    def code(self, index: int, notices: dict[str, int]) -> str:
        """The label in a few bytes, "12d114m132r3,7": day index, minutes per status (letters
        of `_BAR_CLASS`, in the label's order) and related notices by their number in
        *notices* (which grows as names first appear); static/js/uptime-bars.js spells it."""
        text = str(index) + "".join(
            f"{_BAR_CLASS[status]}{minutes}"
            for status, minutes in sorted(self.minutes.items(), key=lambda kv: kv[0].severity)
            if status in _BAR_CLASS
        )
        if self.related:
            text += "r" + ",".join(str(notices.setdefault(n, len(notices))) for n in self.related)
        return text


@lru_cache(maxsize=1024)
def _day_text(day: date) -> str:
    """ "12 Nov 2026": the same for every component's bar of that day (there are thousands)."""
    return f"{day.day} {day:%b %Y}"


def _minutes(minutes: int) -> str:
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@dataclass
class Uptime:
    bars: list[DayBar]
    percent: float | None

    @cached_property
    def issue_bars(self) -> list[DayBar]:
        """The days with downtime or degradation, listed under the bars."""
        return [bar for bar in self.bars if bar.status is not None and bar.css]

    @cached_property
    def no_data_bars(self) -> list[DayBar]:
        return [bar for bar in self.bars if bar.status is None]

    @cached_property
    def listed_bars(self) -> list[tuple[int, DayBar]]:
        """(index, bar) of the days told in words under the bars: those with issues, and quiet
        days with a related notice (the only days whose label says more than the colour)."""
        return [
            (index, bar)
            for index, bar in enumerate(self.bars)
            if bar.status is not None and (bar.css or bar.related)
        ]

    @cached_property
    def runs(self) -> list[tuple[str, str]]:
        """(class, SVG path) per bar class, "o" for operational: a run of days in one class
        is one segment, so 90 days cost a few dozen bytes instead of an element each."""
        paths: dict[str, list[str]] = {}
        start = 0
        for css, days in groupby([bar.css or "o" for bar in self.bars]):  # C-speed runs
            length = sum(1 for _ in days)
            paths.setdefault(css, []).append(f"M{start} .5h{length}")
            start += length
        return [(css, "".join(parts)) for css, parts in paths.items()]

    @property
    def summary(self) -> str:
        """ "99.95 % uptime", or a plain statement when there is no history yet."""
        return "No uptime data yet" if self.percent is None else f"{self.percent_text} uptime"

    @property
    def percent_text(self) -> str:
        return format_percent(self.percent)


def _floor(value: float, digits: int) -> float:
    """Round down, so 99.999 % never shows as 100.00 %."""
    factor = 10**digits
    return int(value * factor) / factor


def _day_seconds(
    components: Sequence[Component],
    audience: Audience,
    first_day: date,
    last_day: date,
    now: datetime,
    tz: ZoneInfo,
) -> dict[tuple[str, date], dict[ComponentStatus, int]]:
    """Seconds per (component, local day) and status over [first_day, last_day], from the day
    rows plus each component's still-open interval (not yet in the rows), up to *now*."""
    seconds: dict[tuple[str, date], dict[ComponentStatus, int]] = defaultdict(dict)
    ids = [c.id for c in components]
    if ids:
        rows = db.session.execute(  # plain rows: hundreds of components make thousands
            sa.select(
                ComponentDay.component_id,
                ComponentDay.day,
                ComponentDay.degraded_seconds,
                ComponentDay.partial_seconds,
                ComponentDay.major_seconds,
                ComponentDay.maintenance_seconds,
            ).where(
                ComponentDay.component_id.in_(ids),
                ComponentDay.audience == audience,
                ComponentDay.day >= first_day,
                ComponentDay.day <= last_day,
            )
        )
        for component_id, day, degraded, partial, major, maintenance in rows:
            bucket = seconds[(component_id, day)]
            for status, value in (
                (ComponentStatus.DEGRADED_PERFORMANCE, degraded),
                (ComponentStatus.PARTIAL_OUTAGE, partial),
                (ComponentStatus.MAJOR_OUTAGE, major),
                (ComponentStatus.UNDER_MAINTENANCE, maintenance),
            ):
                if value:
                    bucket[status] = bucket.get(status, 0) + value
    window_start = local_midnight(first_day, tz)
    window_end = min(now, local_midnight(last_day + timedelta(days=1), tz))
    for component in components:
        current = component.status_for(audience)
        if current in DAY_COLUMNS:  # the open interval, not yet in the day rows
            start = max(component.status_since_for(audience), window_start)
            for day, secs in split_by_day(start, window_end, tz):
                bucket = seconds[(component.id, day)]
                bucket[current] = bucket.get(current, 0) + secs
            if window_end <= start and start < local_midnight(last_day + timedelta(days=1), tz):
                # Begun after the clock the page counts to: none of it counted yet, but the
                # day it began in shows it.
                seconds[(component.id, start.astimezone(tz).date())].setdefault(current, 0)
    return seconds


def counted_from(component: Component, first_day: date, tz: ZoneInfo) -> date:
    """The first day a period counts for *component*: the later of the period's first day and
    the component's start date (or creation day)."""
    start_day = component.start_date or component.created_at.astimezone(tz).date()
    return max(first_day, start_day)


def weighted_down_seconds(spent: dict[ComponentStatus, int]) -> float:
    """The downtime the formula subtracts: major outage in full, partial outage at 0.3."""
    return spent.get(ComponentStatus.MAJOR_OUTAGE, 0) + PARTIAL_OUTAGE_WEIGHT * spent.get(
        ComponentStatus.PARTIAL_OUTAGE, 0
    )


def uptime_percent(down_seconds: float, period_seconds: float) -> float | None:
    """100 % - downtime / period (never below 0); None for a period with no time in it."""
    if period_seconds <= 0:
        return None
    return max(0.0, 100.0 * (1 - down_seconds / period_seconds))


def format_percent(percent: float | None) -> str:
    """ "99.95 %", rounded down so 99.999 % never shows as 100.00 %; "No data" for None."""
    if percent is None:
        return "No data"
    return f"{_floor(percent, 2):.2f} %"


def build_uptime(
    components: Sequence[Component],
    *,
    audience: Audience = Audience.PUBLIC,
    now: datetime,
    days: int,
    related: dict[tuple[str, date], list[str]] | None = None,
    period_end: datetime | None = None,
) -> dict[str, Uptime]:
    """90-day bars and uptime % of *audience*'s statuses for each component, from its day rows
    and current status: open intervals counted up to *now*, the period running to
    *period_end* (now when not given; the page's clock gives the end of today)."""
    tz = _tz()
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    seconds = _day_seconds(components, audience, first_day, today, now, tz)
    window = _BarWindow(first_day, days)
    busy: dict[str, dict[date, dict[ComponentStatus, int]]] = defaultdict(dict)
    for (component_id, day), spent in seconds.items():
        busy[component_id][day] = spent
    notes: dict[str, dict[date, list[str]]] = defaultdict(dict)
    for (component_id, day), names in (related or {}).items():
        notes[component_id][day] = names
    return {
        component.id: _uptime_for(
            component,
            window,
            busy.get(component.id, {}),
            notes.get(component.id, {}),
            period_end or now,
            tz,
        )
        for component in components
    }


class _BarWindow:
    """The days of the bars, with the bars every component shares: quiet days and days
    before service are the same for all (only a component's busy days are its own)."""

    def __init__(self, first_day: date, days: int) -> None:
        self.first_day = first_day
        self.days = [first_day + timedelta(days=i) for i in range(days)]
        self.today = self.days[-1]
        self.quiet = [_quiet_bar(day) for day in self.days]
        self.no_data = [_no_data_bar(day) for day in self.days]


@lru_cache(maxsize=4096)
def _quiet_bar(day: date) -> DayBar:
    return DayBar(day=day, status=ComponentStatus.OPERATIONAL)


@lru_cache(maxsize=4096)
def _no_data_bar(day: date) -> DayBar:
    return DayBar(day=day, status=None)


def _uptime_for(
    component: Component,
    window: _BarWindow,
    busy: dict[date, dict[ComponentStatus, int]],
    notes: dict[date, list[str]],
    period_end: datetime,
    tz: ZoneInfo,
) -> Uptime:
    """One component's bars: the shared quiet bars, with its own busy days (time out of
    operational, or a related notice) put in; Python work in the busy days, not in 90."""
    start = counted_from(component, window.first_day, tz)
    if start > window.today:
        return Uptime(bars=list(window.no_data), percent=None)
    before = (start - window.first_day).days
    bars = window.no_data[:before] + window.quiet[before:]
    down_seconds = 0.0
    for day in sorted(busy.keys() | notes.keys()):
        if day < start or day > window.today:
            continue
        spent = busy.get(day, {})
        bars[(day - window.first_day).days] = DayBar(
            day=day,
            status=ComponentStatus.worst(spent),
            minutes={s: round(v / 60) for s, v in spent.items()},
            related=notes.get(day, []),
        )
        down_seconds += weighted_down_seconds(spent)
    period = (period_end - local_midnight(start, tz)).total_seconds()
    return Uptime(bars=bars, percent=uptime_percent(down_seconds, period))


@dataclass(frozen=True)
class PeriodUptime:
    """One component's uptime over one period (a month of the reports and `/uptime`)."""

    first_day: date
    last_day: date
    #: None when the period holds none of the component's history (before its start, or future).
    percent: float | None
    major_seconds: int = 0
    partial_seconds: int = 0
    period_seconds: int = 0

    @property
    def downtime_seconds(self) -> float:
        """What the percentage subtracts: major outage plus 0.3 x partial outage."""
        return weighted_down_seconds(
            {
                ComponentStatus.MAJOR_OUTAGE: self.major_seconds,
                ComponentStatus.PARTIAL_OUTAGE: self.partial_seconds,
            }
        )

    @property
    def percent_text(self) -> str:
        return format_percent(self.percent)

    @property
    def css(self) -> str:
        """The bars' classes by level: none, at least 99.9 % (operational), 99 % (degraded),
        95 % (partial), below (major)."""
        if self.percent is None:
            return "n"
        for floor, css in ((99.9, "o"), (99.0, "d"), (95.0, "p")):
            if self.percent >= floor:
                return css
        return "m"


def build_period_uptime(
    components: Sequence[Component],
    periods: Sequence[tuple[date, date]],
    *,
    audience: Audience,
    now: datetime,
    period_end: datetime | None = None,
) -> dict[str, list[PeriodUptime]]:
    """Uptime of each component over each (first day, last day) period, with the formula of
    the bars, from one read of the day rows; a period still running ends at *period_end*
    (now when not given), its open intervals counted up to *now*."""
    tz = _tz()
    result: dict[str, list[PeriodUptime]] = {c.id: [] for c in components}
    if not periods:
        return result
    seconds = _day_seconds(
        components, audience, min(p[0] for p in periods), max(p[1] for p in periods), now, tz
    )
    for component in components:
        for first_day, last_day in periods:
            start = counted_from(component, first_day, tz)
            end = min(period_end or now, local_midnight(last_day + timedelta(days=1), tz))
            period = int((end - local_midnight(start, tz)).total_seconds())
            if start > last_day or period <= 0:
                result[component.id].append(PeriodUptime(first_day, last_day, None))
                continue
            major = partial = 0
            day = start
            while day <= last_day:
                spent = seconds.get((component.id, day), {})
                major += spent.get(ComponentStatus.MAJOR_OUTAGE, 0)
                partial += spent.get(ComponentStatus.PARTIAL_OUTAGE, 0)
                day += timedelta(days=1)
            down = weighted_down_seconds(
                {ComponentStatus.MAJOR_OUTAGE: major, ComponentStatus.PARTIAL_OUTAGE: partial}
            )
            result[component.id].append(
                PeriodUptime(
                    first_day, last_day, uptime_percent(down, period), major, partial, period
                )
            )
    return result


def mean_uptime(children: Iterable[Uptime], *, with_bars: bool = True) -> Uptime | None:
    """A group's bars (each day's worst child; left out unless *with_bars*, as the page
    shows a group's percentage only) and uptime (the children's mean)."""
    children = [c for c in children if c.bars]
    if not children:
        return None
    if not with_bars:
        return Uptime(bars=[], percent=_mean_percent(children))
    bars = []
    for day_bars in zip(*(c.bars for c in children), strict=True):
        known = [b for b in day_bars if b.status is not None]
        if not known:
            bars.append(DayBar(day=day_bars[0].day, status=None))
            continue
        minutes: dict[ComponentStatus, int] = {}
        related: list[str] = []
        for bar in known:
            for status, value in bar.minutes.items():
                minutes[status] = max(minutes.get(status, 0), value)
            related.extend(name for name in bar.related if name not in related)
        bars.append(
            DayBar(
                day=day_bars[0].day,
                status=ComponentStatus.worst(b.status for b in known),
                minutes=minutes,
                related=related,
            )
        )
    return Uptime(bars=bars, percent=_mean_percent(children))


def _mean_percent(children: Sequence[Uptime]) -> float | None:
    percents = [c.percent for c in children if c.percent is not None]
    return sum(percents) / len(percents) if percents else None


def rebuild_component_uptime(
    component: Component, audience: Audience, changes: Sequence[ComponentStatusChange]
) -> None:
    """Recompute one component's day rows for one audience from its *changes* (oldest first),
    inside the caller's transaction (a history rewritten in the middle)."""
    old = db.session.scalars(
        sa.select(ComponentDay).where(
            ComponentDay.component_id == component.id, ComponentDay.audience == audience
        )
    )
    for row in old:
        db.session.delete(row)
    db.session.flush()
    for previous, change in zip(changes, changes[1:], strict=False):
        record_interval(component, audience, previous.new_status, previous.at, change.at)
    db.session.flush()
