"""The report's tables, one shape for the page and the CSV downloads, so both always say the
same; and its charts, drawn from the same figures."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup

from statuspage.enums import Priority, SlaTarget
from statuspage.services.reports.charts import Series, bar_chart
from statuspage.services.reports.incidents import Attainment, IncidentReport, Stats
from statuspage.services.reports.uptime import ComponentMonths, MonthlyUptime
from statuspage.spreadsheet import escape_formula

Cell = str | int | float | None


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]

    def to_csv(self) -> str:
        """The table as CSV, every cell through escape_formula (names come from users)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([escape_formula(h) for h in self.headers])
        for row in self.rows:
            writer.writerow([escape_formula(cell) for cell in row])
        return out.getvalue()


def hms(seconds: int | None) -> str:
    """ "1:02:03" (hours may pass 24); "—" for no figure."""
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _stats_row(label: str, stats: Stats) -> list[Cell]:
    return [
        label,
        stats.count,
        stats.mean,
        stats.median,
        stats.p90,
        hms(stats.mean),
        hms(stats.median),
        hms(stats.p90),
    ]


STATS_HEADERS = [
    "Count",
    "Mean (s)",
    "Median (s)",
    "p90 (s)",
    "Mean",
    "Median",
    "p90",
]


def build_tables(report: IncidentReport, uptime: MonthlyUptime) -> dict[str, Table]:
    """Every table of the report page, by the name its CSV download uses."""
    names = {row.component.id: row.component.full_name for row in report.components}
    tables = [
        Table(
            "summary",
            "Response times",
            ["Figure", *STATS_HEADERS],
            [
                _stats_row("Time to acknowledge (MTTA)", report.acknowledge),
                _stats_row("Time to resolve (MTTR)", report.resolve),
                _stats_row("Time to first public update", report.first_update),
            ],
        ),
        Table(
            "sla",
            "SLA attainment",
            ["Target", "Priority", *(a.label for a in Attainment), "Attained (%)"],
            [
                [target.label, priority.value, *tally.values(), _attained(tally)]
                for target in SlaTarget
                for priority, tally in report.sla[target].items()
            ],
        ),
        Table(
            "priority",
            "Incidents by priority",
            ["Priority", "Incidents"],
            [[p.value, n] for p, n in report.by_priority.items()],
        ),
        Table(
            "components",
            "Incidents and time between them, by component",
            ["Component", "Incidents", *(f"Between incidents: {h}" for h in STATS_HEADERS)],
            [
                [row.component.full_name, row.count, *_stats_row("", row.between)[1:]]
                for row in report.components
            ],
        ),
        Table(
            "periods",
            f"Incidents by {report.query.granularity.value}",
            [
                report.query.granularity.value.capitalize(),
                "Incidents",
                *(p.value for p in Priority),
                *names.values(),
            ],
            [
                [
                    b.label,
                    b.total,
                    *b.by_priority.values(),
                    *(b.by_component.get(i, 0) for i in names),
                ]
                for b in report.buckets
            ],
        ),
        Table(
            "problems",
            "Recurring problems",
            ["Problem", "Status", "Incidents", "First incident started", "Last incident started"],
            [
                [
                    p.title,
                    p.status.label,
                    p.incidents,
                    _utc(p.first_started_at),
                    _utc(p.last_started_at),
                ]
                for p in report.recurring_problems
            ],
        ),
        Table(
            "uptime",
            "Uptime by month",
            [
                "Component",
                "Month",
                "Uptime",
                "Major outage (min)",
                "Partial outage (min)",
                "Downtime (min)",
            ],
            [
                [
                    row.component.full_name,
                    str(month),
                    figure.percent_text,
                    round(figure.major_seconds / 60, 2),
                    round(figure.partial_seconds / 60, 2),
                    round(figure.downtime_seconds / 60, 2),
                ]
                for row in uptime.rows
                for month, figure in zip(uptime.months, row.months, strict=True)
            ],
        ),
    ]
    return {t.name: t for t in tables}


def _utc(moment: datetime) -> str:
    """ "2026-03-02 10:00 UTC": one zone for the page and the CSV, whoever reads it."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _attained(tally: dict[Attainment, int]) -> str:
    """Met over met and breached, one decimal; "—" when none was decided."""
    decided = tally[Attainment.MET] + tally[Attainment.BREACHED]
    return "—" if not decided else f"{100 * tally[Attainment.MET] / decided:.1f}"


def build_charts(report: IncidentReport, uptime: MonthlyUptime) -> dict[str, Markup]:
    """The SVG charts beside the tables: incidents over time by priority, and downtime."""
    labels = [b.label.removeprefix("Week of ") for b in report.buckets]
    over_time = bar_chart(
        chart_id="chart-periods",
        title=f"Incidents by {report.query.granularity.value} and priority",
        desc=", ".join(f"{b.label}: {b.total}" for b in report.buckets) or "No incidents.",
        labels=labels,
        series=[
            Series(p.value, [float(b.by_priority[p]) for b in report.buckets]) for p in Priority
        ],
        unit="incidents",
    )
    downtime = bar_chart(
        chart_id="chart-downtime",
        title="Downtime minutes by month, for the components most down",
        desc="; ".join(
            f"{row.component.full_name}: "
            + ", ".join(
                f"{month} {figure.downtime_seconds / 60:.1f} min"
                for month, figure in zip(uptime.months, row.months, strict=True)
            )
            for row in uptime.rows
        )
        or "No components.",
        labels=[m.first_day.strftime("%b %Y") for m in uptime.months],
        series=[
            Series(
                row.component.full_name,
                [round(f.downtime_seconds / 60, 1) for f in row.months],
            )
            for row in _most_down(uptime)
        ],
        unit="min",
    )
    return {"periods": over_time, "downtime": downtime}


#: Components the downtime chart draws (the most down); the table lists every one.
CHART_SERIES = 6


def _most_down(uptime: MonthlyUptime) -> list[ComponentMonths]:
    """The components with the most downtime over the months, those with any, at most six."""
    totals = [(sum(f.downtime_seconds for f in row.months), row) for row in uptime.rows]
    ranked = sorted((t for t in totals if t[0] > 0), key=lambda t: -t[0])
    return [row for _, row in ranked[:CHART_SERIES]]
