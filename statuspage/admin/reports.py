"""Reports (/admin/reports): incident statistics, SLA attainment and monthly uptime over a
chosen period, as tables, SVG charts and CSV downloads. Read-only, so viewers may read them
too (`viewers_may_read`); every figure is computed from the history on each request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, render_template, request
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import bp, viewers_may_read
from statuspage.database import utcnow
from statuspage.enums import Audience, Priority
from statuspage.services.errors import InvalidInput
from statuspage.services.page.builders import visible_tree
from statuspage.services.reports.incidents import (
    Granularity,
    ReportQuery,
    build_incident_report,
    read_report_query,
)
from statuspage.services.reports.tables import build_charts, build_tables
from statuspage.services.reports.uptime import build_monthly_uptime, months_between
from statuspage.services.site.settings import get_site_settings


def _read_query(now: datetime) -> ReportQuery:
    """The form's query (blank fields are their defaults); InvalidInput naming the field."""
    args = request.args
    return read_report_query(
        args.get("from") or None,
        args.get("to") or None,
        component_ids=[i for i in args.getlist("component") if i],
        priority=args.get("priority") or None,
        granularity=args.get("by") or None,
        today=now.astimezone(get_site_settings().tz).date(),
    )


def _figures(query: ReportQuery, now: datetime) -> dict[str, Any]:
    """The report, its monthly uptime (the internal audience's, as /internal's bars), its
    tables and charts."""
    report = build_incident_report(query, now=now)
    months = months_between(query.first_day, query.last_day)
    uptime = build_monthly_uptime(
        Audience.INTERNAL, months, now=now, component_ids=query.component_ids
    )
    return {
        "report": report,
        "query": query,
        "tables": build_tables(report, uptime),
        "charts": build_charts(report, uptime),
    }


def _form_context() -> dict[str, Any]:
    return {
        "components": visible_tree(Audience.INTERNAL)[1],
        "priorities": list(Priority),
        "granularities": list(Granularity),
        "args": request.args,
    }


@bp.get("/reports")
@viewers_may_read
def reports() -> tuple[str, int]:
    now = utcnow()
    try:
        query = _read_query(now)
    except InvalidInput as error:
        return render_template("admin/reports/index.html", error=error, **_form_context()), 422
    figures = _figures(query, now)
    return render_template("admin/reports/index.html", **figures, **_form_context()), 200


@bp.get("/reports/report.csv")
@viewers_may_read
def report_csv() -> Response:
    """One table of the report (?table=summary, sla, priority, components, periods, problems,
    uptime)."""
    now = utcnow()
    try:
        query = _read_query(now)
    except InvalidInput as error:
        abort(400, f"{error.field}: {error.message}")
    name = request.args.get("table") or "summary"
    table = _figures(query, now)["tables"].get(name)
    if table is None:
        abort(404)
    filename = f"report-{name}-{query.first_day}-{query.last_day}.csv"
    return Response(
        table.to_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
