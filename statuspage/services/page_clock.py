"""What a page's body may read of the clock, besides its data: one rule for the bodies and
their validators.

Times are absolute in every page (relative phrases come from static/js/local-time.js), so a
body depends on the clock only through what this module hands it:

- `Clock.NONE`: nothing (JSON, feeds, stylesheets): the page version alone.
- `Clock.DAY`: the page's local date (every HTML page: the history's current month, windows
  within so many days, the console's "today and tomorrow").
- `Clock.UPTIME`: the local date, and while some component the reader can see is not
  operational (the page is *live*), the last `uptime_minutes` boundary: the still-open
  interval of the uptime bars and percentages is counted up to it, never to the second.
- `Clock.CHART`: the local date and the last boundary of the response-time chart's step (its
  half hours): the chart ends at the last step that is over.
- `Clock.SLA` (staff pages with SLA clocks): how many of the open clocks' warn and due
  instants have passed: a clock's state ("Due soon", "Breached") changes only there.

Flags combine (`Clock.UPTIME | Clock.SLA` for /internal); any flag implies the day.

`http_cache` (Flask) and `cache_hits` (WSGI) both build validators with `clock_token`, from
the facts `PageClock` is made of, so an ETag changes exactly when the body can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Flag
from functools import lru_cache
from zoneinfo import ZoneInfo

#: The response-time chart's step: 24 hours in 48 points.
CHART_STEP = timedelta(minutes=30)


class Clock(Flag):
    """How much of the clock a cached answer depends on."""

    NONE = 0
    DAY = 1
    UPTIME = 2
    CHART = 4
    SLA = 8


@dataclass(frozen=True)
class ClockFacts:
    """What the rule needs besides the time: the same for every request at one page version
    (the time zone and whether some component is not operational are data)."""

    timezone: str
    live: bool
    uptime_minutes: int
    #: The warn and due instants of every open SLA clock (staff facts only), sorted.
    sla_moments: tuple[datetime, ...] = ()


def _floor(now: datetime, step: timedelta) -> datetime:
    seconds = int(step.total_seconds())
    stamp = int(now.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC)


@dataclass(frozen=True)
class PageClock:
    """The moments a body may show: its local day, and the instant open intervals count to."""

    day: date
    tz: ZoneInfo
    #: Some component the reader can see is not operational: uptime counts to `counted_to`.
    live: bool
    #: Open uptime intervals are counted up to here (the start of the day when not live).
    counted_to: datetime
    #: The response-time chart ends here (the last half hour that is over).
    chart_end: datetime
    #: Uptime periods end here: the end of today, so a page's percentage stays put all day
    #: (what is down so far today is counted, the rest of today as up).
    period_end: datetime

    @property
    def day_start(self) -> datetime:
        return _midnight(self.day, self.tz)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The aware UTC instant the local *day* starts."""
    return _midnight(day, tz)


def make_page_clock(now: datetime, facts: ClockFacts) -> PageClock:
    """The page clock at *now*: a function of the local date and the boundaries only."""
    return _page_clock(int(now.timestamp()) // 60, facts)


@lru_cache(maxsize=64)
def _page_clock(minute: int, facts: ClockFacts) -> PageClock:
    """The clock of a whole minute: every boundary (local midnight, the uptime and chart
    steps) falls on a minute, so every instant of one has the same clock; a cache hit asks
    for it on every request."""
    now = datetime.fromtimestamp(minute * 60, UTC)
    tz = ZoneInfo(facts.timezone)
    day = now.astimezone(tz).date()
    start = _midnight(day, tz)
    counted_to = start
    if facts.live:
        counted_to = max(start, _floor(now, timedelta(minutes=facts.uptime_minutes)))
    return PageClock(
        day=day,
        tz=tz,
        live=facts.live,
        counted_to=counted_to,
        chart_end=max(start, _floor(now, CHART_STEP)),
        period_end=_midnight(day + timedelta(days=1), tz),
    )


def clock_token(clock: Clock, now: datetime, facts: ClockFacts) -> tuple[str, datetime | None]:
    """(What a validator adds for *clock*, when that part last changed), or ("", None)."""
    if not clock:
        return "", None
    page = make_page_clock(now, facts)
    token, since = f"-d{page.day:%Y%m%d}", page.day_start
    if Clock.UPTIME in clock and facts.live:
        token, since = f"{token}-t{int(page.counted_to.timestamp()) // 60}", page.counted_to
    if Clock.CHART in clock:
        token, since = f"{token}-c{int(page.chart_end.timestamp()) // 60}", page.chart_end
    if Clock.SLA in clock and facts.sla_moments:
        passed = [moment for moment in facts.sla_moments if moment <= now]
        token += f"-s{len(passed)}"
        since = max(since, passed[-1]) if passed else since
    return token, since
