"""The Statuspage public API v2 at the host root: /api/v2/*.json, exactly Statuspage's shapes.

Every widget, exporter and aggregator built for Statuspage reads these. Public data only, CORS
open, 50 items a page with ?page=N (per_page tolerated), an empty 404 for unknown /api/v2 paths.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from statuspage.api import serialize
from statuspage.database import utcnow
from statuspage.enums import Audience, IncidentStatus, MaintenanceStatus
from statuspage.http_cache import cached_response
from statuspage.models import Incident, Maintenance
from statuspage.params import int_arg
from statuspage.security import token_reader_required
from statuspage.services.page import builders as status_service
from statuspage.services.page.history import get_notice_view
from statuspage.services.page_clock import Clock
from statuspage.services.site.page_state import get_page_state
from statuspage.services.site.settings import get_site_settings

bp = Blueprint("api", __name__)
PUBLIC = Audience.PUBLIC
OPEN_INCIDENT = tuple(s.value for s in IncidentStatus if s is not IncidentStatus.RESOLVED)
M = MaintenanceStatus
OPENAPI = Path(__file__).with_name("openapi.json")


@bp.after_app_request
def allow_any_origin(response: Response) -> Response:
    """Widgets fetch the public API cross-origin from customers' own sites; the token-authorised
    internal JSON and management API are for servers and scripts, not other sites' pages."""
    if request.path.startswith(("/internal/", "/api/manage/")):
        return response
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers.setdefault("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
    return response


def _json(data: dict[str, Any]) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json; charset=utf-8",
    )


def _page(audience: Audience = PUBLIC) -> dict[str, Any]:
    _, changed_at = get_page_state(audience)
    return serialize.page_json(get_site_settings(), changed_at)


#: The query arguments of the paged lists (`_paging`), the only ones in their cache keys.
PAGING_ARGS = ("page", "per_page")


def _paging() -> tuple[int, int]:
    """?page=N (1-based) and a tolerated ?per_page (1-100, default 50); an empty one is a 400,
    as the OpenAPI description says they are integers."""
    return (
        int_arg("page", 1, 1, 100_000, blank_ok=False),
        int_arg("per_page", 50, 1, 100, blank_ok=False),
    )


def _incidents(statuses: tuple[str, ...] | None) -> list[dict[str, Any]]:
    page, per_page = _paging()
    views = status_service.list_notices(
        PUBLIC, Incident, page=page, per_page=per_page, statuses=statuses
    )
    settings = get_site_settings()
    return [serialize.incident_json(v, settings) for v in views]


def _maintenances(statuses: tuple[str, ...] | None, *, newest_first: bool) -> list[dict[str, Any]]:
    page, per_page = _paging()
    views = status_service.list_notices(
        PUBLIC,
        Maintenance,
        page=page,
        per_page=per_page,
        statuses=statuses,
        newest_first=newest_first,
    )
    settings = get_site_settings()
    return [serialize.incident_json(v, settings) for v in views]


def _summary(audience: Audience) -> Response:
    """summary.json for *audience*; internal notes are never in it."""
    page = status_service.build_status_page(
        audience, now=utcnow(), with_uptime=False, with_history=False, with_notes=False
    )
    settings = get_site_settings()
    upcoming = status_service.list_upcoming_maintenance(
        audience, {c.id for c in page.components}, now=utcnow(), with_notes=False
    )
    maintenances = [*page.active_maintenance, *upcoming]
    return _json(
        {
            "page": _page(audience),
            "components": serialize.components_json(
                page.groups, page.components, settings, audience=audience
            ),
            "incidents": [serialize.incident_json(v, settings) for v in page.open_incidents],
            "scheduled_maintenances": [serialize.incident_json(v, settings) for v in maintenances],
            "status": serialize.status_json(page.overall),
        }
    )


@bp.get("/api/v2/summary.json")
@cached_response(clock=Clock.NONE)
def summary() -> Response:
    return _summary(PUBLIC)


@bp.get("/internal/api/v2/summary.json")
@token_reader_required(as_json=True)
@cached_response(audience=Audience.INTERNAL, clock=Clock.NONE, ignore_args=("token",))
def internal_summary() -> Response:
    """The summary with internal components, incidents and maintenance, for staff scripts and
    dashboards: a feed token in ?token= or an API token as Bearer."""
    return _summary(Audience.INTERNAL)


@bp.get("/api/v2/status.json")
@cached_response(clock=Clock.NONE)
def status() -> Response:
    page = status_service.build_status_page(
        PUBLIC, now=utcnow(), with_uptime=False, with_history=False
    )
    return _json({"page": _page(), "status": serialize.status_json(page.overall)})


@bp.get("/api/v2/components.json")
@cached_response(clock=Clock.NONE)
def components() -> Response:
    groups, leaves = status_service.visible_tree(PUBLIC)
    return _json(
        {
            "page": _page(),
            "components": serialize.components_json(groups, leaves, get_site_settings()),
        }
    )


@bp.get("/api/v2/incidents.json")
@cached_response(clock=Clock.NONE, query_args=PAGING_ARGS)
def incidents() -> Response:
    return _json({"page": _page(), "incidents": _incidents(None)})


@bp.get("/api/v2/incidents/unresolved.json")
@cached_response(clock=Clock.NONE, query_args=PAGING_ARGS)
def unresolved_incidents() -> Response:
    return _json({"page": _page(), "incidents": _incidents(OPEN_INCIDENT)})


@bp.get("/api/v2/scheduled-maintenances.json")
@cached_response(clock=Clock.NONE, query_args=PAGING_ARGS)
def scheduled_maintenances() -> Response:
    return _json(
        {"page": _page(), "scheduled_maintenances": _maintenances(None, newest_first=True)}
    )


@bp.get("/api/v2/scheduled-maintenances/upcoming.json")
@cached_response(clock=Clock.NONE, query_args=PAGING_ARGS)
def upcoming_maintenances() -> Response:
    windows = _maintenances((M.SCHEDULED.value,), newest_first=False)
    return _json({"page": _page(), "scheduled_maintenances": windows})


@bp.get("/api/v2/scheduled-maintenances/active.json")
@cached_response(clock=Clock.NONE, query_args=PAGING_ARGS)
def active_maintenances() -> Response:
    windows = _maintenances((M.IN_PROGRESS.value, M.VERIFYING.value), newest_first=False)
    return _json({"page": _page(), "scheduled_maintenances": windows})


@bp.get("/incidents/<id:incident_id>.json")
@cached_response(clock=Clock.NONE)
def incident(incident_id: str) -> Response:
    view = get_notice_view(incident_id, PUBLIC, Incident)
    if view is None:
        abort(404)
    return _json({"page": _page(), "incident": serialize.incident_json(view, get_site_settings())})


@bp.get("/api/v2/openapi.json")
@cached_response(clock=Clock.NONE)
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (and the management API)."""
    spec = json.loads(OPENAPI.read_text())
    spec["servers"] = [{"url": get_site_settings().base_url}]
    return _json(spec)


@bp.get("/api")
@cached_response(clock=Clock.NONE)
def documentation() -> str:
    return render_template(
        "public/api.html",
        base_url=get_site_settings().base_url,
        page_size=current_app.config.get("API_PAGE_SIZE", 50),
    )
