"""Server-rendered SVG bar charts: readable without JavaScript, each with a <title> and a
<desc> saying what it shows (the page puts the same figures in a table beside it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from statuspage.services.checks.results import ResponseTimeChart

WIDTH = 640
HEIGHT = 240
LEFT = 44
BOTTOM = 40
TOP = 12
#: Fill colours, dark enough for text contrast beside them.
PALETTE = ("#b3261e", "#c4590a", "#8a6d00", "#4a6378", "#2e7d32", "#6a1b9a")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def bar_chart(
    *, chart_id: str, title: str, desc: str, labels: list[str], series: list[Series], unit: str
) -> Markup:
    """Stacked vertical bars, one per label, one colour per series, with a legend."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = max([*totals, 1.0])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bar_w = max(2.0, slot * 0.7)
    every = max(1, len(labels) // 12)  # at most about 12 axis labels
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 20 * len(series)}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" '
        'stroke="#555" stroke-width="1"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" font-size="11">'
        f"{escape(_number(top))}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for index, label in enumerate(labels):
        x = LEFT + index * slot + (slot - bar_w) / 2
        y: float = TOP + plot_h
        for number, serie in enumerate(series):
            value = serie.values[index]
            if value <= 0:
                continue
            height = plot_h * value / top
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'fill="{PALETTE[number % len(PALETTE)]}"><title>'
                f"{escape(label)}: {escape(serie.name)} {escape(_number(value))} {escape(unit)}"
                "</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle" '
                f'font-size="10">{escape(label[:12])}</text>'
            )
    for number, serie in enumerate(series):
        y = HEIGHT + 20 * number
        parts.append(
            f'<rect x="{LEFT}" y="{y - 2}" width="12" height="12" '
            f'fill="{PALETTE[number % len(PALETTE)]}"/>'
            f'<text x="{LEFT + 18}" y="{y + 8}" font-size="11">{escape(serie.name)}</text>'
        )
    # Every value interpolated above went through escape().
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: list[str],
    series: list[tuple[str, list[float | None]]],
    unit: str,
) -> Markup:
    """Lines over evenly spaced points, one colour per series, gaps where a value is None
    (each point also a dot with its value as a tooltip), with a legend."""
    values = [v for _, line in series for v in line if v is not None]
    top = max([*values, 1.0])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    count = max(1, max((len(line) for _, line in series), default=1))
    slot = plot_w / count
    every = max(1, count // 8)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 20 * len(series)}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" '
        'stroke="#555" stroke-width="1"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" font-size="11">'
        f"{escape(_number(round(top)))} {escape(unit)}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for index, label in enumerate(labels[:count]):
        if index % every == 0:
            parts.append(
                f'<text x="{LEFT + index * slot + slot / 2:.1f}" y="{TOP + plot_h + 14}" '
                f'text-anchor="middle" font-size="10">{escape(label[:12])}</text>'
            )
    for number, (name, line) in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for index, value in enumerate(line):
            if value is None:
                runs.append([])
                continue
            x, y = LEFT + index * slot + slot / 2, TOP + plot_h - plot_h * value / top
            runs[-1].append(f"{x:.1f},{y:.1f}")
            label = labels[index] if index < len(labels) else ""
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}"><title>'
                f"{escape(label)}: {escape(name)} {escape(_number(round(value, 1)))} "
                f"{escape(unit)}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
    for number, (name, _) in enumerate(series):
        y = HEIGHT + 20 * number
        parts.append(
            f'<rect x="{LEFT}" y="{y - 2}" width="12" height="12" '
            f'fill="{PALETTE[number % len(PALETTE)]}"/>'
            f'<text x="{LEFT + 18}" y="{y + 8}" font-size="11">{escape(name)}</text>'
        )
    # Every value interpolated above went through escape() or is a number we formatted.
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704


def response_time_chart(chart: ResponseTimeChart, *, chart_id: str, tz: ZoneInfo) -> Markup:
    """The last day of response times as lines, the times in the page's zone (named)."""
    labels = [start.astimezone(tz).strftime("%H:%M") for start in chart.starts]
    zone = chart.starts[0].astimezone(tz).tzname() if chart.starts else "UTC"
    return line_chart(
        chart_id=chart_id,
        title="Response times over the last 24 hours",
        desc=(
            f"Mean response time in milliseconds of each {int(chart.step.total_seconds() // 60)}"
            f" minutes of successful checks; times in {zone}."
        ),
        labels=labels,
        series=[(s.name, s.values) for s in chart.series],
        unit="ms",
    )
