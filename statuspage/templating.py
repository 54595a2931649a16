"""Jinja filters and globals: times in the page's zone (always labelled), durations, statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flask import Flask
from markupsafe import Markup, escape

from statuspage.enums import ComponentStatus, Impact, Indicator, Role
from statuspage.services.site.settings import get_site_settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from statuspage.services.components.uptime import DayBar, Uptime


def _tz() -> Any:
    return get_site_settings().tz


def local(value: datetime) -> datetime:
    return value.astimezone(_tz())


def zone_label(value: datetime) -> str:
    """ "UTC", "CET", or the offset when the zone has no abbreviation."""
    name = local(value).tzname() or ""
    return name if name and name[0] not in "+-" else f"UTC{name}"


def format_datetime(value: datetime | None, *, with_date: bool = True) -> str:
    """ "12 Nov 2026, 14:05 CET" in the page's time zone."""
    if value is None:
        return ""
    moment = local(value)
    name = moment.tzname() or ""
    zone = name if name and name[0] not in "+-" else f"UTC{name}"
    time_text = f"{moment:%H:%M} {zone}"
    if not with_date:
        return time_text
    return f"{moment.day} {moment:%b %Y}, {time_text}"


def format_window(notice: Any) -> str:
    """ "12 Nov 2026, 11:00 CET – 12 Nov 2026, 13:00 CET" for a maintenance window."""
    return f"{format_datetime(notice.scheduled_for)} – {format_datetime(notice.scheduled_until)}"


def format_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = local(value).date()
    return f"{value.day} {value:%b %Y}"


def format_day_heading(value: date) -> str:
    return f"{value:%A}, {value.day} {value:%B %Y}"


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def time_tag(value: datetime | None, *, with_date: bool = True) -> Markup:
    """<time> with a machine-readable UTC instant; the optional script re-renders it in the
    reader's zone and keeps this text as the tooltip."""
    if value is None:
        return Markup("")
    text = escape(format_datetime(value, with_date=with_date))
    kind = "datetime" if with_date else "time"
    return Markup(f'<time datetime="{iso(value)}" data-local="{kind}">{text}</time>')  # noqa: S704  # nosec B704 - escaped


def relative_tag(value: datetime | None, around: str = "(%)") -> Markup:
    """Where static/js/local-time.js writes "12 min ago" or "in 2 h" beside an absolute
    time (*around* it, `%` standing for the phrase), refreshed each minute: hidden and empty
    in the HTML, so the page's bytes never depend on the clock."""
    if value is None:
        return Markup("")
    if around == "(%)":
        return Markup('<span class="relative" data-relative="{}" hidden></span>').format(iso(value))
    return Markup(
        '<span class="relative" data-relative="{}" data-around="{}" hidden></span>'
    ).format(iso(value), around)


def elapsed_tag(value: datetime, fallback: str = "ongoing") -> Markup:
    """How long something still open has lasted ("2 h 15 min so far"), written by the script;
    *fallback* without it (the start is shown beside it)."""
    return Markup('<span data-elapsed="{}">{}</span>').format(iso(value), fallback)


def format_duration(value: timedelta) -> str:
    """ "2 h 15 min", "3 d 4 h", "under 1 min"."""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return "under 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def format_minutes(minutes: int) -> str:
    """A target's length: "30 min", "4 h", "3 d"."""
    return format_duration(timedelta(minutes=minutes))


def relative_time(value: datetime, now: datetime) -> str:
    """ "5 min ago", "in 2 h", "just now"."""
    delta = now - value
    if abs(delta) < timedelta(minutes=1):
        return "just now"
    text = format_duration(abs(delta))
    return f"{text} ago" if delta > timedelta(0) else f"in {text}"


def status_icon(status: ComponentStatus | Indicator | str, label: str | None = None) -> Markup:
    """An inline SVG icon (shape differs per status, so colour is never the only signal)."""
    return _status_icon(str(status), label)


@lru_cache(maxsize=256)
def _status_icon(status: str, label: str | None) -> Markup:
    """The same few icons, hundreds of times a page: each a reference to the page's sprite."""
    key = _ICON_FOR.get(status, "ok")
    svg = Markup('<svg class="icon" width="16" height="16" ')
    if label:
        svg += Markup('role="img"><title>{}</title>').format(label)
    else:
        svg += Markup('aria-hidden="true">')
    return svg + Markup('<use href="#icon-{}"/></svg>').format(key)


@lru_cache(maxsize=1)
def icon_sprite() -> Markup:
    """The status icons' shapes, written once per page and referenced by every icon."""
    symbols = Markup("").join(
        Markup('<symbol id="icon-{}" viewBox="0 0 16 16">').format(key)
        + paths
        + Markup("</symbol>")
        for key, paths in _ICON_PATHS.items()
    )
    return (
        Markup('<svg class="icon-sprite" width="0" height="0" aria-hidden="true">')
        + symbols
        + Markup("</svg>")
    )


_ICON_FOR = {
    "operational": "ok",
    "none": "ok",
    "degraded_performance": "minor",
    "minor": "minor",
    "partial_outage": "partial",
    "major": "partial",
    "major_outage": "major",
    "critical": "major",
    "under_maintenance": "maint",
    "maintenance": "maint",
}
_ICON_PATHS = {  # constant markup, never user input
    "ok": Markup('<circle cx="8" cy="8" r="7"/><path d="M4.5 8.2l2.3 2.3 4.7-4.8" class="glyph"/>'),
    "minor": Markup('<circle cx="8" cy="8" r="7"/><path d="M4.5 8h7" class="glyph"/>'),
    "partial": Markup('<path d="M8 1l7 13H1z"/><path d="M8 5.5v4M8 11.3v.9" class="glyph"/>'),
    "major": Markup('<rect x="1" y="1" width="14" height="14" rx="3"/>')
    + Markup('<path d="M5 5l6 6M11 5l-6 6" class="glyph"/>'),
    "maint": Markup('<circle cx="8" cy="8" r="7"/><path d="M5 5.5h6M8 5.5V11" class="glyph"/>'),
}


def uptime_bars(uptime: Uptime, name: str, notices: dict[str, int]) -> Markup:
    """One component's day bars: an SVG with a path per status (`Uptime.runs`), the legend,
    and the days with issues: in words by worst status, and each day's label as a compact
    code (`DayBar.code`; *notices* numbers the related notices' names for the page) that
    static/js/uptime-bars.js spells out as a list and as the bars' slider text. Written here
    rather than as a macro: a page has hundreds of them."""
    count = len(uptime.bars)
    who = escape(name)
    paths = "".join(f'<path class="{css}" d="{d}"/>' for css, d in uptime.runs)
    parts = [
        '<div class="uptime">'
        f'<svg class="bars" viewBox="0 0 {count} 1" preserveAspectRatio="none" role="img" '
        f'aria-label="Daily status of {who}, oldest first" '
        f'data-first="{uptime.bars[0].day.isoformat()}">{paths}</svg>'
        f'<p class="uptime-legend"><span>{count} days ago</span><span class="uptime-percent">'
        f"{escape(uptime.summary)}</span><span>Today</span></p>"
    ]
    issues, no_data, listed = uptime.issue_bars, uptime.no_data_bars, uptime.listed_bars
    if listed or no_data:
        many = len(issues)
        heading = f"{many} day{'s' if many != 1 else ''} with issues" if issues else "No issues"
        codes = ";".join(bar.code(index, notices) for index, bar in listed)
        parts.append(
            f'<details class="uptime-days" data-days="{codes}">'
            f'<summary>{heading}<span class="visually-hidden"> for {who} in the last '
            f"{count} days</span></summary><ul>"
        )
        if no_data:
            parts.append(
                f'<li data-n="{len(no_data)}">{format_date(no_data[0].day)} – '
                f"{format_date(no_data[-1].day)}: no data, not in service yet</li>"
            )
        for heading, days in _days_by_worst_status(bar for _, bar in listed):
            parts.append(f'<li class="by-status">{heading}: {", ".join(days)}</li>')
        parts.append("</ul></details>")
    parts.append("</div>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every value is escaped or generated


def _days_by_worst_status(bars: Iterable[DayBar]) -> list[tuple[str, list[str]]]:
    """ "Major outage: 3 Nov 2026, 5 Nov 2026": each listed day under its worst status, the
    worst first; quiet days with a related notice last."""
    by_status: dict[ComponentStatus, list[str]] = {}
    for bar in bars:
        if bar.status is not None:
            by_status.setdefault(bar.status, []).append(format_date(bar.day))
    ordered = sorted(by_status.items(), key=lambda kv: -kv[0].severity)
    return [
        (
            "No downtime, a related notice"
            if status is ComponentStatus.OPERATIONAL
            else status.label,
            days,
        )
        for status, days in ordered
    ]


def impact_label(impact: Impact | str) -> str:
    return Impact(impact).label


def notice_url(notice: Any, audience: Any = "public", *, external: bool = False) -> str:
    """The page of an incident or maintenance for this audience."""
    from flask import url_for

    prefix = "public.internal_" if str(audience) == "internal" else "public."
    path = url_for(prefix + notice.detail_endpoint, **notice.url_values())
    return get_site_settings().absolute_url(path) if external else path


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        local=local,
        datetime=format_datetime,
        date=format_date,
        day_heading=format_day_heading,
        iso=iso,
        time_tag=time_tag,
        relative=relative_tag,
        elapsed=elapsed_tag,
        duration=format_duration,
        minutes=format_minutes,
        impact_label=impact_label,
    )
    app.jinja_env.globals.update(
        status_icon=status_icon,
        icon_sprite=icon_sprite,
        uptime_bars=uptime_bars,
        relative_time=relative_time,
        notice_url=notice_url,
        ComponentStatus=ComponentStatus,
        Role=Role,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject_site() -> dict[str, Any]:
        return {"site": get_site_settings()}
