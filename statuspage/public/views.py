"""The public status page, and the internal page staff read with the same templates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from flask import abort, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from statuspage.enums import Audience, Role
from statuspage.http_cache import cached_response, request_clock, request_now
from statuspage.models import Incident, Maintenance, Notice
from statuspage.params import id_arg, int_arg, month_arg
from statuspage.public.blueprint import bp
from statuspage.security import role_required
from statuspage.services.checks.results import build_public_charts
from statuspage.services.components.runbooks import (
    RunbookView,
    runbooks_for,
    runbooks_for_open_incidents,
)
from statuspage.services.page.builders import build_status_page, visible_tree
from statuspage.services.page.history import Month, build_history, get_notice_view
from statuspage.services.page_clock import Clock
from statuspage.services.reports.charts import response_time_chart
from statuspage.services.reports.uptime import (
    MonthlyUptime,
    build_monthly_uptime,
    last_months,
    uptime_json,
)
from statuspage.services.response.console import (
    Console,
    build_console,
    build_internal_timeline,
    build_response_view,
)
from statuspage.services.site import configure as settings_service
from statuspage.services.site.settings import get_site_settings


def _index(
    audience: Audience,
    console: Console | None = None,
    runbook_views: list[RunbookView] | None = None,
) -> str:
    clock = request_clock(audience)
    page = build_status_page(audience, now=request_now(), clock=clock)
    return render_template(
        "public/index.html", page=page, console=console, runbook_views=runbook_views
    )


@bp.get("/")
@cached_response(clock=Clock.UPTIME)
def index() -> str:
    return _index(Audience.PUBLIC)


@bp.get("/internal")
@role_required(Role.VIEWER)
@cached_response(audience=Audience.INTERNAL, personal=True, clock=Clock.UPTIME | Clock.SLA)
def internal_index() -> str:
    console = build_console(current_user, request_now(), day=request_clock(Audience.INTERNAL).day)
    return _index(Audience.INTERNAL, console, runbooks_for_open_incidents())


def _notice(
    notice_id: str, audience: Audience, kind: type[Notice], *, response_panel: bool = False
) -> str:
    view = get_notice_view(notice_id, audience, kind)
    if view is None:
        abort(404)
    staff: dict[str, Any] = {}
    if response_panel:  # staff reading an incident: how it is being run
        incident = cast(Incident, view.notice)
        staff = {
            "response": build_response_view(incident, request_now()),
            "timeline": build_internal_timeline(incident),
            "runbook_views": runbooks_for(incident.components),
        }
    return render_template("public/incident.html", view=view, audience=audience, **staff)


@bp.get("/incidents/<id:incident_id>")
@cached_response()
def incident_detail(incident_id: str) -> str:
    return _notice(incident_id, Audience.PUBLIC, Incident)


@bp.get("/internal/incidents/<id:incident_id>")
@role_required(Role.VIEWER)
@cached_response(audience=Audience.INTERNAL, clock=Clock.DAY | Clock.SLA)
def internal_incident_detail(incident_id: str) -> str:
    return _notice(incident_id, Audience.INTERNAL, Incident, response_panel=True)


@bp.get("/maintenance/<id:maintenance_id>")
@cached_response()
def maintenance_detail(maintenance_id: str) -> str:
    return _notice(maintenance_id, Audience.PUBLIC, Maintenance)


@bp.get("/internal/maintenance/<id:maintenance_id>")
@role_required(Role.VIEWER)
@cached_response(audience=Audience.INTERNAL)
def internal_maintenance_detail(maintenance_id: str) -> str:
    return _notice(maintenance_id, Audience.INTERNAL, Maintenance)


#: The query arguments `_history` reads, the only ones in the history pages' cache keys.
HISTORY_ARGS = ("month", "page", "component")


def _history_link(audience: Audience, *, by_path: bool) -> Callable[..., str]:
    """How a history page links to its months and pages: in the form it was asked in, so the
    published site (path form, static files carry no query string) links to its own files."""

    def link(month: Month, page: int = 1, component: str | None = None) -> str:
        if by_path and audience is Audience.PUBLIC:
            return url_for("public.history_archive", month=month, page=page, component_id=component)
        endpoint = "public.internal_history" if audience is Audience.INTERNAL else "public.history"
        return url_for(
            endpoint, month=str(month), page=page if page > 1 else None, component=component
        )

    return link


def _history(
    audience: Audience,
    month: Month | None,
    page: int,
    component_id: str | None,
    *,
    by_path: bool,
) -> tuple[str, int]:
    current = Month.of(request_clock(audience).day_start)
    history = build_history(
        audience,
        month=month or current,
        page=page,
        per_page=current_app.config["HISTORY_PAGE_SIZE"],
        component_id=component_id,
    )
    if history is None or (by_path and history.page != page):
        abort(404)
    return render_template(
        "public/history.html",
        history=history,
        current=current,
        audience=audience,
        history_link=_history_link(audience, by_path=by_path),
    ), 200


def _history_query(audience: Audience) -> tuple[str, int]:
    """The history as the query string names it; a bare `/history` links by path."""
    current = Month.of(request_clock(audience).day_start)
    month, page = month_arg("month", current), int_arg("page", 1)
    component_id = id_arg("component")
    by_path = not any(request.args.get(name) for name in HISTORY_ARGS)
    return _history(audience, month, page, component_id, by_path=by_path)


@bp.get("/history")
@cached_response(query_args=HISTORY_ARGS)
def history() -> tuple[str, int]:
    return _history_query(Audience.PUBLIC)


@bp.get("/history/<month:month>/", defaults={"page": 1, "component_id": None})
@bp.get("/history/<month:month>/page/<int:page>/", defaults={"component_id": None})
@bp.get("/components/<id:component_id>/history/", defaults={"month": None, "page": 1})
@bp.get("/components/<id:component_id>/history/<month:month>/", defaults={"page": 1})
@bp.get("/components/<id:component_id>/history/<month:month>/page/<int:page>/")
@cached_response()
def history_archive(month: Month | None, page: int, component_id: str | None) -> tuple[str, int]:
    """The history in path form, which the published site is made of (docs/deployment.md);
    a page past the last is a 404 here, not the last page again."""
    return _history(Audience.PUBLIC, month, page, component_id, by_path=True)


@bp.get("/internal/history")
@role_required(Role.VIEWER)
@cached_response(audience=Audience.INTERNAL, query_args=HISTORY_ARGS)
def internal_history() -> tuple[str, int]:
    return _history_query(Audience.INTERNAL)


def _monthly_uptime() -> MonthlyUptime:
    """The last 12 months, the current one counted as the page clock says."""
    clock = request_clock(Audience.PUBLIC)
    months = last_months(clock.day_start)
    return build_monthly_uptime(
        Audience.PUBLIC, months, now=clock.counted_to, period_end=clock.period_end
    )


@bp.get("/uptime")
@cached_response(clock=Clock.UPTIME)
def uptime_history() -> str:
    """Monthly uptime of every public component over the last 12 months."""
    return render_template("public/uptime.html", report=_monthly_uptime())


@bp.get("/uptime.json")
@cached_response(clock=Clock.UPTIME)
def uptime_history_json() -> Response:
    """The same figures as JSON."""
    report = _monthly_uptime()
    body = {"months": [str(m) for m in report.months], "components": uptime_json(report)}
    return Response(json.dumps(body, separators=(",", ":")), content_type="application/json")


@bp.get("/response-times")
@cached_response(clock=Clock.CHART)
def response_times() -> str:
    """The last day of response times of each public component that opted in (its checks'
    mean: no check's name or target), up to the last half hour that is over."""
    end = request_clock(Audience.PUBLIC).chart_end
    tz = get_site_settings().tz
    charts = [
        (component, response_time_chart(chart, chart_id=f"rt-{component.id}", tz=tz))
        for component, chart in build_public_charts(visible_tree(Audience.PUBLIC)[1], now=end)
    ]
    return render_template("public/response_times.html", charts=charts)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness for load balancers; touches nothing."""
    return Response("ok\n", content_type="text/plain")


@bp.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("img/favicon-none.svg")


@bp.get("/brand.css")
@cached_response(clock=Clock.NONE)
def brand_css() -> Response:
    """The brand colour as CSS variables: a stylesheet, since the CSP forbids inline styles."""
    colour = get_site_settings().brand_colour
    body = f":root {{ --link: {colour}; --brand: {colour}; }}\n" if colour else ""
    return Response(body, content_type="text/css; charset=utf-8")


@bp.get("/logo")
@cached_response(clock=Clock.NONE)
def logo() -> Response:
    asset = settings_service.get_logo()
    if asset is None:
        abort(404)
    return Response(asset.data, content_type=asset.content_type)
