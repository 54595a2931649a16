"""The management API at /api/manage/v1: incidents, updates, components and groups and their
statuses, maintenance and subscribers, for scripts and monitoring.

Authorised only by an API token in `Authorization: Bearer` (never a cookie, so exempt from
CSRF), checked before any view runs: 401 without a live token, 403 when its scope is too
narrow (read for GET, write for changes, admin for subscribers). JSON in and out; every write is
one service call with the token as the actor, so the audit log says "token <name>" via api.
Internal items are included: this is a staff API. Internal notes are not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request, url_for

from statuspage.api import serialize
from statuspage.api.validation import (
    VISIBLE,
    Fields,
    InvalidFields,
    MalformedBody,
    check_query,
    read_json_object,
    read_paging,
)
from statuspage.database import utcnow
from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    StatusCause,
    TokenScope,
    Via,
    Visibility,
)
from statuspage.error_pages import json_error
from statuspage.extensions import db
from statuspage.limits import MAX_BODY, MAX_DESCRIPTION, MAX_NAME
from statuspage.models import Component, ComponentGroup, Incident, Maintenance, Notice
from statuspage.security import bearer_challenge, bearer_token
from statuspage.services.accounts import api_tokens
from statuspage.services.components import tree as component_service
from statuspage.services.errors import NotFound, ServiceError
from statuspage.services.notices import incidents as incident_service
from statuspage.services.notices import maintenance as maintenance_service
from statuspage.services.page import builders as status_service
from statuspage.services.page.history import get_notice_view
from statuspage.services.page.view_models import build_update_view
from statuspage.services.site.settings import get_site_settings
from statuspage.services.subscribers import signup as subscriber_service
from statuspage.services.unit import Actor

bp = Blueprint("manage", __name__, url_prefix="/api/manage/v1")

F = TypeVar("F", bound=Callable[..., Any])
AUDIENCE = Audience.INTERNAL
#: Components one request may name.
MAX_COMPONENTS = 200
OPEN_STATUSES = [s for s in IncidentStatus if s is not IncidentStatus.RESOLVED]
#: Endpoints that take ?page= and ?per_page=; the others take no query at all.
PAGED = {"manage.list_incidents", "manage.list_maintenance", "manage.list_subscribers"}
#: What a group takes; a component takes these and Statuspage's other component fields.
GROUP_FIELDS = frozenset({"name", "description", "visibility", "position"})
COMPONENT_FIELDS = GROUP_FIELDS | {"group_id", "showcase", "only_show_if_degraded", "start_date"}
#: Positions past the number of siblings are refused by the service, naming the range.
MAX_POSITION = 10_000
ID = re.compile(r"\A[a-z0-9]{12}\Z")
DAY = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def needs_scope(scope: TokenScope) -> Callable[[F], F]:
    """Declare the scope a view needs; `authenticate` checks it before the view runs."""

    def decorator(view: F) -> F:
        # A function attribute, read by the before_request hook; functions declare none.
        view.required_scope = scope  # type: ignore[attr-defined]
        return view

    return decorator


@bp.before_request
def authenticate() -> Response | None:
    """Every route: a live API token, with the scope its view declares (admin if it forgot)."""
    if request.method == "OPTIONS":
        return None  # Flask's automatic answer lists the methods; it reads nothing
    view = current_app.view_functions.get(request.endpoint or "")
    needed: TokenScope = getattr(view, "required_scope", TokenScope.ADMIN)
    secret = bearer_token()
    try:
        token = api_tokens.authenticate_token(secret)
    except api_tokens.TokenRefused as refused:
        response = json_error(401, refused.message)
        response.headers["WWW-Authenticate"] = bearer_challenge("invalid_token" if secret else None)
        return _no_store(response)
    scope = token.effective_scope or TokenScope.READ  # authenticate_token refused a None
    if not scope.allows(needed):
        narrowed = "" if scope is token.scope else f" (its maker's role allows {scope.value})"
        response = json_error(
            403, f"This token's scope is {token.scope.value}{narrowed}; this needs {needed.value}."
        )
        response.headers["WWW-Authenticate"] = bearer_challenge("insufficient_scope", needed.value)
        return _no_store(response)
    if request.endpoint and request.endpoint not in PAGED:
        check_query(request.args)
    g.api_actor = Actor(
        user_id=token.created_by_id,
        label=f"token {token.name}",
        via=Via.API,
        ip=request.remote_addr,
    )
    return None


@bp.errorhandler(MalformedBody)
def malformed_body(error: MalformedBody) -> Response:
    return _no_store(json_error(400, error.message))


@bp.errorhandler(InvalidFields)
def invalid_fields(error: InvalidFields) -> Response:
    return _no_store(json_error(422, "Some fields are not valid.", fields=error.fields))


@bp.errorhandler(ServiceError)
def service_error(error: ServiceError) -> Response:
    """A domain error from a service: its status code, and its message under its field."""
    fields = {error.field: [error.message]} if error.field else None
    return _no_store(json_error(error.status_code, error.message, fields=fields))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _no_store(Response(body, status=status, content_type="application/json"))


def _listing(items: list[Any], page: int, per_page: int, total: int) -> Response:
    return _json({"data": items, "meta": {"page": page, "per_page": per_page, "total": total}})


def _actor() -> Actor:
    return g.api_actor


def _find(kind: type[Any], ident: str, label: str) -> Any:
    """The incident, window or component with this id; NotFound (404) otherwise."""
    found = db.session.scalars(sa.select(kind).where(kind.id == ident)).first()
    if found is None:
        raise NotFound(f"No {label} with id {ident}.")
    return found


def _components(fields: Fields, ids: list[str]) -> dict[str, Component]:
    """The components *ids* name; a field message for each id that names none."""
    found = component_service.find_components(ids)
    for ident in ids:
        if ident not in found:
            fields.error("components", f"No component with id {ident}.")
    return found


def _notice_json(notice: Notice) -> dict[str, Any]:
    """A notice as the API shows it, read back through the internal read path."""
    settings = get_site_settings()
    view = get_notice_view(notice.id, AUDIENCE, type(notice), with_notes=False)
    assert view is not None
    return serialize.managed_notice_json(view, settings)


@bp.get("/incidents")
@needs_scope(TokenScope.READ)
def list_incidents() -> Response:
    """Incidents, internal ones too, newest first, a page at a time."""
    page, per_page = read_paging(request.args)
    views = status_service.list_notices(
        AUDIENCE, Incident, page=page, per_page=per_page, with_notes=False
    )
    settings = get_site_settings()
    items = [serialize.managed_notice_json(v, settings) for v in views]
    return _listing(items, page, per_page, status_service.count_notices(AUDIENCE, Incident))


def _claimed_components(fields: Fields) -> dict[Component, ComponentStatus]:
    """The `components` map of id to status, its ids looked up (unknown ones are field errors)."""
    statuses = fields.choice_map("components", ComponentStatus, max_items=MAX_COMPONENTS)
    found = _components(fields, list(statuses))
    return {found[i]: s for i, s in statuses.items() if i in found}


def _new_incident_fields(fields: Fields) -> dict[str, Any]:
    """A new incident's body as open_incident takes it; field errors raised by finish()."""
    values = {
        "name": fields.text("name", required=True, max_length=MAX_NAME) or "",
        "body": fields.text("body", required=True, max_length=MAX_BODY) or "",
        "status": fields.choice(
            "status", IncidentStatus, default=IncidentStatus.INVESTIGATING, allowed=OPEN_STATUSES
        )
        or IncidentStatus.INVESTIGATING,
        "impact": fields.choice("impact", Impact, default=Impact.MINOR) or Impact.MINOR,
        "visibility": fields.choice("visibility", Visibility, default=Visibility.PUBLIC)
        or Visibility.PUBLIC,
        "deliver_notifications": fields.boolean("deliver_notifications", default=True),
        "components": _claimed_components(fields),
    }
    fields.finish()
    return values


@bp.post("/incidents")
@needs_scope(TokenScope.WRITE)
def create_incident() -> Response:
    """Open an incident with its first update and the statuses it gives its components."""
    fields = Fields(
        read_json_object(request),
        allowed={
            "name",
            "status",
            "impact",
            "body",
            "visibility",
            "deliver_notifications",
            "components",
        },
    )
    incident = incident_service.open_incident(**_new_incident_fields(fields), actor=_actor())
    response = _json({"data": _notice_json(incident)}, status=201)
    response.headers["Location"] = url_for("manage.get_incident", incident_id=incident.id)
    return response


@bp.get("/incidents/<id:incident_id>")
@needs_scope(TokenScope.READ)
def get_incident(incident_id: str) -> Response:
    """The incident with the updates still waiting for their publish time, soonest first."""
    incident = _find(Incident, incident_id, "incident")
    settings = get_site_settings()
    waiting = sorted(
        (u for u in incident.updates if not u.is_published and not u.is_note),
        key=lambda update: update.display_at,
    )
    data = _notice_json(incident)
    data["scheduled_updates"] = [
        serialize.managed_update_json(build_update_view(u, AUDIENCE), settings) for u in waiting
    ]
    return _json({"data": data})


@bp.patch("/incidents/<id:incident_id>")
@needs_scope(TokenScope.WRITE)
def update_incident(incident_id: str) -> Response:
    """Change an incident's name, impact or visibility; what is left out stays as it is."""
    incident = _find(Incident, incident_id, "incident")
    fields = Fields(read_json_object(request), allowed={"name", "impact", "visibility"})
    if not fields.data:
        fields.error("body", "Send at least one of name, impact, visibility.")
    name = fields.text("name", required=False, max_length=MAX_NAME)
    impact = fields.choice("impact", Impact, default=incident.impact)
    visibility = fields.choice("visibility", Visibility, default=incident.visibility)
    fields.finish()
    incident_service.update_incident(
        incident,
        name=incident.name if name is None else name,
        impact=impact or incident.impact,
        visibility=visibility or incident.visibility,
        actor=_actor(),
    )
    return _json({"data": _notice_json(incident)})


def _update_fields(fields: Fields) -> dict[str, Any]:
    """An update's body as post_update takes it; field errors raised by finish()."""
    values = {
        "status": fields.choice("status", IncidentStatus, required=True),
        "body": fields.text("body", required=True, max_length=MAX_BODY) or "",
        "impact": fields.choice("impact", Impact),
        "visibility": fields.choice("visibility", Visibility),
        "deliver_notifications": fields.boolean("deliver_notifications", default=True),
        "publish_at": fields.moment("publish_at", required=False, now=utcnow()),
        "components": _claimed_components(fields),
    }
    fields.finish()
    return values


@bp.post("/incidents/<id:incident_id>/updates")
@needs_scope(TokenScope.WRITE)
def post_incident_update(incident_id: str) -> Response:
    """Post an update now, or at `publish_at` (a future time schedules it)."""
    incident = _find(Incident, incident_id, "incident")
    fields = Fields(
        read_json_object(request),
        allowed={
            "status",
            "body",
            "components",
            "impact",
            "visibility",
            "deliver_notifications",
            "publish_at",
        },
    )
    update = incident_service.post_update(incident, **_update_fields(fields), actor=_actor())
    view = build_update_view(update, AUDIENCE)
    return _json({"data": serialize.managed_update_json(view, get_site_settings())}, status=201)


@bp.get("/components")
@needs_scope(TokenScope.READ)
def list_components() -> Response:
    """Every live component and group, internal ones too, in page order."""
    groups, leaves = status_service.visible_tree(AUDIENCE)
    items = serialize.managed_components_json(groups, leaves, get_site_settings())
    return _json({"data": items})


@bp.put("/components/<id:component_id>/status")
@needs_scope(TokenScope.WRITE)
def set_component_status(component_id: str) -> Response:
    """Set a component's status from automation; open incidents' next updates may move it."""
    component = _find(Component, component_id, "component")
    fields = Fields(read_json_object(request), allowed={"status"})
    status = fields.choice("status", ComponentStatus, required=True)
    fields.finish()
    assert status is not None
    component_service.set_component_status(
        component, status, cause=StatusCause.AUTOMATION, actor=_actor()
    )
    return _json({"data": serialize.managed_component_json(component, get_site_settings())})


@bp.get("/maintenance")
@needs_scope(TokenScope.READ)
def list_maintenance() -> Response:
    """Maintenance windows, internal ones too, latest start first, a page at a time."""
    page, per_page = read_paging(request.args)
    views = status_service.list_notices(
        AUDIENCE, Maintenance, page=page, per_page=per_page, with_notes=False
    )
    settings = get_site_settings()
    items = [serialize.managed_notice_json(v, settings) for v in views]
    return _listing(items, page, per_page, status_service.count_notices(AUDIENCE, Maintenance))


def _maintenance_fields(fields: Fields, now: datetime) -> dict[str, Any]:
    """A window's body as schedule_maintenance takes it; field errors raised by finish()."""
    ids = fields.id_list("components", max_items=MAX_COMPONENTS)
    values: dict[str, Any] = {
        "name": fields.text("name", required=True, max_length=MAX_NAME) or "",
        "body": fields.text("body", required=True, max_length=MAX_BODY) or "",
        "scheduled_for": fields.moment("scheduled_for", required=True, now=now),
        "scheduled_until": fields.moment("scheduled_until", required=True, now=now),
        "visibility": fields.choice("visibility", Visibility, default=Visibility.PUBLIC)
        or Visibility.PUBLIC,
        "auto_start": fields.boolean("auto_start", default=True),
        "auto_complete": fields.boolean("auto_complete", default=True),
        "deliver_notifications": fields.boolean("deliver_notifications", default=True),
        "remind_minutes": fields.integer(
            "remind_minutes", minimum=1, maximum=7 * 24 * 60, default=60, nullable=True
        ),
    }
    found = _components(fields, ids)
    values["components"] = [found[i] for i in ids if i in found]
    fields.finish()
    return values


@bp.post("/maintenance")
@needs_scope(TokenScope.WRITE)
def schedule_maintenance() -> Response:
    """Announce a window; the scheduler starts and completes it unless auto_* are false."""
    now = utcnow()
    fields = Fields(
        read_json_object(request),
        allowed={
            "name",
            "body",
            "scheduled_for",
            "scheduled_until",
            "components",
            "visibility",
            "auto_start",
            "auto_complete",
            "remind_minutes",
            "deliver_notifications",
        },
    )
    window = maintenance_service.schedule_maintenance(
        **_maintenance_fields(fields, now), actor=_actor(), now=now
    )
    return _json({"data": _notice_json(window)}, status=201)


@bp.get("/subscribers")
@needs_scope(TokenScope.ADMIN)
def list_subscribers() -> Response:
    """Subscribers newest first, a page at a time: personal data, so admin scope only."""
    page, per_page = read_paging(request.args)
    subscribers, total = subscriber_service.list_subscribers(page=page, per_page=per_page)
    settings = get_site_settings()
    items = [serialize.subscriber_json(s, settings) for s in subscribers]
    return _listing(items, page, per_page, total)


# Components and groups: the same fields as Statuspage's, flat, plus visibility and position.


def _live(kind: type[Any], ident: str, label: str) -> Any:
    """A live component or group; an archived one has left this API, like the page (404)."""
    found = _find(kind, ident, label)
    if found.is_archived:
        raise NotFound(f"The {label} with id {ident} is archived; restore it in the admin.")
    return found


def _description(fields: Fields, default: str | None) -> str | None:
    """Text or null; blank text clears it, as null does."""
    if not fields.has("description"):
        return default
    value = fields.data["description"]
    if value is None:
        return None
    if not isinstance(value, str):
        fields.error("description", "Must be a string or null.")
        return default
    if len(value) <= MAX_DESCRIPTION and not VISIBLE.search(value):
        return None
    return fields.text("description", required=False, max_length=MAX_DESCRIPTION)


def _start_date(fields: Fields, default: date | None) -> date | None:
    """A calendar day as YYYY-MM-DD (uptime counts from it), or null."""
    if not fields.has("start_date"):
        return default
    value = fields.data["start_date"]
    if value is None:
        return None
    if isinstance(value, str) and DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    fields.error("start_date", "Must be a date as YYYY-MM-DD, or null.")
    return default


def _group(fields: Fields, default: ComponentGroup | None) -> ComponentGroup | None:
    """group_id: a live group's id, or null for the top level of the page."""
    if not fields.has("group_id"):
        return default
    value = fields.data["group_id"]
    if value is None:
        return None
    if not isinstance(value, str) or not ID.match(value):
        fields.error("group_id", "Must be a group id (12 lower-case letters and digits) or null.")
        return default
    group = db.session.get(ComponentGroup, value)
    if group is None:
        fields.error("group_id", f"No group with id {value}.")
    elif group.is_archived:
        fields.error("group_id", f"{group.name} is archived.")
    else:
        return group
    return default


def _position(fields: Fields) -> int | None:
    """The 1-based place among the item's siblings; None leaves it where it is (or last)."""
    return fields.integer("position", minimum=1, maximum=MAX_POSITION, default=None, nullable=False)


def _component_answer(component: Component, status: int = 200) -> Response:
    data = serialize.managed_component_json(component, get_site_settings())
    return _json({"data": data}, status=status)


def _group_answer(group: ComponentGroup, status: int = 200) -> Response:
    children = sorted(
        (c for c in group.components if not c.is_archived), key=lambda c: (c.position, c.name)
    )
    data = serialize.managed_group_json(group, children, get_site_settings())
    return _json({"data": data}, status=status)


def _archived() -> Response:
    """204: archived. The history stays; the item leaves every page and this API."""
    response = _no_store(Response(status=204))
    response.headers.pop("Content-Type", None)
    return response


@bp.post("/components")
@needs_scope(TokenScope.WRITE)
def create_component() -> Response:
    """Add a component: last in its group (or on the page) unless `position` says where."""
    fields = Fields(read_json_object(request), allowed=COMPONENT_FIELDS)
    name = fields.text("name", required=True, max_length=MAX_NAME)
    description = _description(fields, None)
    group = _group(fields, None)
    visibility = fields.choice("visibility", Visibility, default=Visibility.PUBLIC)
    showcase = fields.boolean("showcase", default=True)
    only_if_degraded = fields.boolean("only_show_if_degraded", default=False)
    start_date = _start_date(fields, None)
    position = _position(fields)
    fields.finish()
    component = component_service.create_component(
        name=name or "",
        group=group,
        description=description,
        visibility=visibility or Visibility.PUBLIC,
        showcase=showcase,
        only_show_if_degraded=only_if_degraded,
        start_date=start_date,
        position=position,
        actor=_actor(),
    )
    response = _component_answer(component, status=201)
    response.headers["Location"] = url_for("manage.get_component", component_id=component.id)
    return response


@bp.get("/components/<id:component_id>")
@needs_scope(TokenScope.READ)
def get_component(component_id: str) -> Response:
    """One live component, as the list shows it."""
    return _component_answer(_live(Component, component_id, "component"))


def _component_changes(fields: Fields, component: Component) -> dict[str, Any]:
    """A PATCH body as update_component takes it: what is left out keeps its value."""
    name = fields.text("name", required=False, max_length=MAX_NAME)
    values = {
        "name": component.name if name is None else name,
        "description": _description(fields, component.description),
        "group": _group(fields, component.group),
        "visibility": fields.choice("visibility", Visibility, default=component.visibility)
        or component.visibility,
        "showcase": fields.boolean("showcase", default=component.showcase),
        "only_show_if_degraded": fields.boolean(
            "only_show_if_degraded", default=component.only_show_if_degraded
        ),
        "start_date": _start_date(fields, component.start_date),
        "position": _position(fields),
    }
    fields.finish()
    return values


@bp.patch("/components/<id:component_id>")
@needs_scope(TokenScope.WRITE)
def update_component(component_id: str) -> Response:
    """Change what the body names; fields left out keep their values."""
    component = _live(Component, component_id, "component")
    fields = Fields(read_json_object(request), allowed=COMPONENT_FIELDS)
    if not fields.data:
        fields.error("body", "Send at least one of: " + ", ".join(sorted(COMPONENT_FIELDS)) + ".")
    component_service.update_component(
        component, **_component_changes(fields, component), actor=_actor()
    )
    return _component_answer(component)


@bp.delete("/components/<id:component_id>")
@needs_scope(TokenScope.WRITE)
def archive_component(component_id: str) -> Response:
    """Archive a component: it leaves every page; its history and uptime are kept."""
    component = _find(Component, component_id, "component")
    component_service.archive_component(component, actor=_actor())
    return _archived()


@bp.get("/groups")
@needs_scope(TokenScope.READ)
def list_groups() -> Response:
    """Every live group, internal ones and empty ones too, in page order."""
    groups, leaves = status_service.visible_tree(AUDIENCE)
    children: dict[str, list[Component]] = {g.id: [] for g in groups}
    for component in leaves:
        if component.group_id is not None:
            children[component.group_id].append(component)
    settings = get_site_settings()
    items = [serialize.managed_group_json(g, children[g.id], settings) for g in groups]
    return _json({"data": items})


@bp.post("/groups")
@needs_scope(TokenScope.WRITE)
def create_group() -> Response:
    """Add a group: last among the page's top-level items unless `position` says where."""
    fields = Fields(read_json_object(request), allowed=GROUP_FIELDS)
    name = fields.text("name", required=True, max_length=MAX_NAME)
    description = _description(fields, None)
    visibility = fields.choice("visibility", Visibility, default=Visibility.PUBLIC)
    position = _position(fields)
    fields.finish()
    group = component_service.create_group(
        name=name or "",
        description=description,
        visibility=visibility or Visibility.PUBLIC,
        position=position,
        actor=_actor(),
    )
    response = _group_answer(group, status=201)
    response.headers["Location"] = url_for("manage.get_group", group_id=group.id)
    return response


@bp.get("/groups/<id:group_id>")
@needs_scope(TokenScope.READ)
def get_group(group_id: str) -> Response:
    """One live group with its live components' ids."""
    return _group_answer(_live(ComponentGroup, group_id, "group"))


@bp.patch("/groups/<id:group_id>")
@needs_scope(TokenScope.WRITE)
def update_group(group_id: str) -> Response:
    """Change what the body names; fields left out keep their values."""
    group = _live(ComponentGroup, group_id, "group")
    fields = Fields(read_json_object(request), allowed=GROUP_FIELDS)
    if not fields.data:
        fields.error("body", "Send at least one of: " + ", ".join(sorted(GROUP_FIELDS)) + ".")
    name = fields.text("name", required=False, max_length=MAX_NAME)
    description = _description(fields, group.description)
    visibility = fields.choice("visibility", Visibility, default=group.visibility)
    position = _position(fields)
    fields.finish()
    component_service.update_group(
        group,
        name=group.name if name is None else name,
        description=description,
        visibility=visibility or group.visibility,
        showcase=group.showcase,
        only_show_if_degraded=group.only_show_if_degraded,
        start_date=group.start_date,
        position=position,
        actor=_actor(),
    )
    return _group_answer(group)


@bp.delete("/groups/<id:group_id>")
@needs_scope(TokenScope.WRITE)
def archive_group(group_id: str) -> Response:
    """Archive a group and the components in it; their history is kept."""
    group = _find(ComponentGroup, group_id, "group")
    component_service.archive_group(group, actor=_actor())
    return _archived()
