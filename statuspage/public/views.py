"""The public status page, and the internal page staff read with the same templates."""

from __future__ import annotations

from flask import abort, current_app, render_template
from werkzeug.wrappers import Response

from statuspage.database import utcnow
from statuspage.enums import Audience, Role
from statuspage.http_cache import cached_response
from statuspage.models import Incident, Maintenance, Notice
from statuspage.params import id_arg, int_arg, month_arg
from statuspage.public.blueprint import bp
from statuspage.security import role_required
from statuspage.services.page.builders import build_status_page
from statuspage.services.page.history import Month, build_history, get_notice_view
from statuspage.services.site import configure as settings_service
from statuspage.services.site.settings import get_site_settings


def _index(audience: Audience) -> str:
    now = utcnow()
    page = build_status_page(audience, now=now)
    return render_template("public/index.html", page=page, now=now)


@bp.get("/")
@cached_response()
def index() -> str:
    return _index(Audience.PUBLIC)


@bp.get("/internal")
@role_required(Role.VIEWER)
@cached_response(audience=Audience.INTERNAL)
def internal_index() -> str:
    return _index(Audience.INTERNAL)


def _notice(notice_id: str, audience: Audience, kind: type[Notice]) -> str:
    view = get_notice_view(notice_id, audience, kind)
    if view is None:
        abort(404)
    return render_template("public/incident.html", view=view, now=utcnow(), audience=audience)


@bp.get("/incidents/<id:incident_id>")
@cached_response()
def incident_detail(incident_id: str) -> str:
    return _notice(incident_id, Audience.PUBLIC, Incident)


@bp.get("/internal/incidents/<id:incident_id>")
@role_required(Role.VIEWER)
@cached_response(audience=Audience.INTERNAL)
def internal_incident_detail(incident_id: str) -> str:
    return _notice(incident_id, Audience.INTERNAL, Incident)


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


def _history(audience: Audience) -> tuple[str, int]:
    now = utcnow()
    current = Month.of(now)
    history = build_history(
        audience,
        month=month_arg("month", current),
        page=int_arg("page", 1),
        per_page=current_app.config["HISTORY_PAGE_SIZE"],
        component_id=id_arg("component"),
    )
    if history is None:
        abort(404)
    return render_template(
        "public/history.html",
        history=history,
        now=now,
        current=current,
        audience=audience,
    ), 200


@bp.get("/history")
@cached_response(query_args=HISTORY_ARGS)
def history() -> tuple[str, int]:
    return _history(Audience.PUBLIC)


@bp.get("/internal/history")
@role_required(Role.VIEWER)
@cached_response(audience=Audience.INTERNAL, query_args=HISTORY_ARGS)
def internal_history() -> tuple[str, int]:
    return _history(Audience.INTERNAL)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness for load balancers; touches nothing."""
    return Response("ok\n", content_type="text/plain")


@bp.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("img/favicon-none.svg")


@bp.get("/brand.css")
@cached_response(time_sensitive=False)
def brand_css() -> Response:
    """The brand colour as CSS variables: a stylesheet, since the CSP forbids inline styles."""
    colour = get_site_settings().brand_colour
    body = f":root {{ --link: {colour}; --brand: {colour}; }}\n" if colour else ""
    return Response(body, content_type="text/css; charset=utf-8")


@bp.get("/logo")
@cached_response(time_sensitive=False)
def logo() -> Response:
    asset = settings_service.get_logo()
    if asset is None:
        abort(404)
    return Response(asset.data, content_type=asset.content_type)
