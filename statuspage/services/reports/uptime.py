"""Monthly uptime per component: the formula of the page's bars (components/uptime.py, never
a second one) over calendar months of the page's time zone, for the reports, the management
API and the public `/uptime` history."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from statuspage.enums import Audience
from statuspage.models import Component
from statuspage.services.components.uptime import PeriodUptime, build_period_uptime
from statuspage.services.page.builders import visible_tree
from statuspage.services.page.history import Month

#: Months the public uptime history shows, the current one last.
HISTORY_MONTHS = 12


def month_days(month: Month) -> tuple[date, date]:
    """The first and last local day of *month*."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.first_day, date(month.year, month.month, last)


def months_between(first_day: date, last_day: date) -> list[Month]:
    """Every calendar month that overlaps [first_day, last_day], oldest first."""
    month, last = Month(first_day.year, first_day.month), Month(last_day.year, last_day.month)
    months = []
    while month <= last:
        months.append(month)
        month = month.shift(1)
    return months


def last_months(now: datetime, count: int = HISTORY_MONTHS) -> list[Month]:
    """The *count* months up to the current one, oldest first."""
    current = Month.of(now)
    return [current.shift(-offset) for offset in range(count - 1, -1, -1)]


@dataclass
class ComponentMonths:
    component: Component
    months: list[PeriodUptime]


@dataclass
class MonthlyUptime:
    audience: Audience
    months: list[Month]
    rows: list[ComponentMonths]


def build_monthly_uptime(
    audience: Audience,
    months: list[Month],
    *,
    now: datetime,
    component_ids: tuple[str, ...] = (),
    period_end: datetime | None = None,
) -> MonthlyUptime:
    """Uptime and downtime of every component *audience* may see (or the chosen ones among
    them), per month, from one read of the day rows."""
    _, components = visible_tree(audience)
    if component_ids:
        components = [c for c in components if c.id in component_ids]
    figures = build_period_uptime(
        components,
        [month_days(m) for m in months],
        audience=audience,
        now=now,
        period_end=period_end,
    )
    rows = [ComponentMonths(c, figures[c.id]) for c in components]
    return MonthlyUptime(audience, months, rows)


def uptime_json(report: MonthlyUptime) -> list[dict[str, Any]]:
    """Each component's months as JSON: percent (floored to 4 decimals, as shown floored to 2),
    and the major, partial and weighted downtime minutes."""
    return [
        {
            "id": row.component.id,
            "name": row.component.name,
            "months": [
                {
                    "month": str(month),
                    "uptime_percent": _floor4(figure.percent),
                    "major_outage_minutes": round(figure.major_seconds / 60, 2),
                    "partial_outage_minutes": round(figure.partial_seconds / 60, 2),
                    "downtime_minutes": round(figure.downtime_seconds / 60, 2),
                }
                for month, figure in zip(report.months, row.months, strict=True)
            ],
        }
        for row in report.rows
    ]


def _floor4(percent: float | None) -> float | None:
    return None if percent is None else int(percent * 10_000) / 10_000
