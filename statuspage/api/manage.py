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
from statuspage.database import is_id, utcnow
from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentPolicy,
    IncidentStatus,
    IntegrationKind,
    Priority,
    StatusCause,
    TokenScope,
    Urgency,
    Via,
    Visibility,
)
from statuspage.error_pages import json_error
from statuspage.extensions import db
from statuspage.limits import (
    MAX_BODY,
    MAX_CONTACT_NOTES,
    MAX_CONTACTS,
    MAX_DAMPING_MINUTES,
    MAX_DESCRIPTION,
    MAX_EMAIL,
    MAX_NAME,
    MAX_RUNBOOKS,
    MAX_URL,
)
from statuspage.models import (
    Component,
    ComponentGroup,
    Incident,
    Integration,
    Maintenance,
    Notice,
    User,
)
from statuspage.params import parse_month
from statuspage.security import bearer_challenge, bearer_token
from statuspage.services.accounts import api_tokens
from statuspage.services.automation import integrations as integration_service
from statuspage.services.automation.signals import SIGNAL_STATUSES
from statuspage.services.components import tree as component_service
from statuspage.services.components.runbooks import CONTACT_EMAIL_RE, RUNBOOK_URL_RE, RunbookInput
from statuspage.services.errors import InvalidInput, NotFound, ServiceError
from statuspage.services.hooks import webhooks
from statuspage.services.notices import backfill as backfill_service
from statuspage.services.notices import edit as edit_service
from statuspage.services.notices import incidents as incident_service
from statuspage.services.notices import maintenance as maintenance_service
from statuspage.services.page import builders as status_service
from statuspage.services.page.history import Month, get_notice_view
from statuspage.services.page.view_models import NoticeView, build_update_view
from statuspage.services.reports import incidents as report_service
from statuspage.services.reports import uptime as monthly_uptime
from statuspage.services.response import roles as role_service
from statuspage.services.response.clocks import incident_clocks
from statuspage.services.response.policy import DEFAULT_URGENCY, get_response_policy
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
#: The response details, staff only (services/components/runbooks.py).
RUNBOOK_FIELDS = frozenset({"owner_team", "runbook_urls", "escalation_contacts", "internal_notes"})
#: What a group takes; a component takes these and Statuspage's other component fields.
GROUP_FIELDS = frozenset({"name", "description", "visibility", "position"}) | RUNBOOK_FIELDS
COMPONENT_FIELDS = GROUP_FIELDS | {"group_id", "showcase", "only_show_if_degraded", "start_date"}
#: A backfill's fields besides a live incident's, and how many past updates one may carry.
HISTORY_FIELDS = frozenset({"started_at", "acknowledged_at", "resolved_at", "updates"})
MAX_PAST_UPDATES = 200
#: Responders one PATCH may name.
MAX_RESPONDERS = 100
#: Positions past the number of siblings are refused by the service, naming the range.
MAX_POSITION = 10_000
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
    if request.endpoint and request.endpoint not in PAGED | REPORTS:
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
    return _managed_json(view, settings, utcnow())


def _managed_json(view: NoticeView, settings: Any, now: datetime) -> dict[str, Any]:
    """A notice with its SLA clocks as of *now* (a window has none: it is not prioritised)."""
    clocks = incident_clocks(view.notice, get_response_policy(), now)
    return serialize.managed_notice_json(view, settings, clocks)


@bp.get("/incidents")
@needs_scope(TokenScope.READ)
def list_incidents() -> Response:
    """Incidents, internal ones too, newest first, a page at a time."""
    page, per_page = read_paging(request.args)
    views = status_service.list_notices(
        AUDIENCE, Incident, page=page, per_page=per_page, with_notes=False
    )
    settings, now = get_site_settings(), utcnow()
    items = [_managed_json(v, settings, now) for v in views]
    return _listing(items, page, per_page, status_service.count_notices(AUDIENCE, Incident))


def _claimed_components(fields: Fields) -> dict[Component, ComponentStatus]:
    """The `components` map of id to status, its ids looked up (unknown ones are field errors)."""
    statuses = fields.choice_map("components", ComponentStatus, max_items=MAX_COMPONENTS)
    found = _components(fields, list(statuses))
    return {found[i]: s for i, s in statuses.items() if i in found}


#: What POST /incidents takes: a live incident's fields, and a backfilled one's history.
NEW_INCIDENT_FIELDS = frozenset(
    {
        "name",
        "status",
        "impact",
        "body",
        "visibility",
        "deliver_notifications",
        "components",
        "urgency",
        "commander",
        *HISTORY_FIELDS,
    }
)
#: What PATCH /incidents/<id> takes.
INCIDENT_CHANGES = frozenset(
    {"name", "impact", "visibility", "urgency", "priority", "priority_override_reason", "roles"}
)
ROLE_FIELDS = frozenset({"commander", "comms_lead", "responders"})


def _staff_user(fields: Fields, name: str, value: Any) -> User | None:
    """A staff user named by id or email; a field message when it names nobody."""
    try:
        return role_service.find_staff_user(value, field=name)
    except InvalidInput as refused:
        fields.error(name, refused.message)
        return None


def _past_update(fields: Fields, index: int, value: Any, now: datetime) -> Any:
    """One entry of a backfill's `updates`: {status, body, display_at}."""
    name = f"updates[{index}]"
    if not isinstance(value, dict):
        fields.error(name, "Must be an object with status, body and display_at.")
        return None
    entry = Fields(value, allowed={"status", "body", "display_at"})
    status = entry.choice("status", IncidentStatus, required=True)
    body = entry.text("body", required=True, max_length=MAX_BODY)
    display_at = entry.moment("display_at", required=True, now=now)
    for key, messages in entry.errors.items():
        for message in messages:
            fields.error(f"{name}.{key}", message)
    if status is None or body is None or display_at is None:
        return None
    return backfill_service.PastUpdate(status=status, body=body, display_at=display_at)


def _history(fields: Fields, now: datetime) -> backfill_service.History | None:
    """A backfill's past times and updates; None for a live incident (none of them given)."""
    if not any(fields.has(name) for name in HISTORY_FIELDS):
        return None
    started_at = fields.moment("started_at", required=True, now=now)
    raw = fields.data.get("updates", [])
    if not isinstance(raw, list) or len(raw) > MAX_PAST_UPDATES:
        fields.error("updates", f"Must be a list of at most {MAX_PAST_UPDATES} updates.")
        raw = []
    updates = [_past_update(fields, i, value, now) for i, value in enumerate(raw)]
    if fields.data.get("deliver_notifications") is True:
        fields.error("deliver_notifications", "A backfilled incident is never mailed.")
    history = backfill_service.History(
        started_at=started_at or now,
        updates=[u for u in updates if u is not None],
        acknowledged_at=fields.moment("acknowledged_at", required=False, now=now),
        resolved_at=fields.moment("resolved_at", required=False, now=now),
    )
    return history


def _new_incident_fields(fields: Fields) -> dict[str, Any]:
    """A new incident's body as record_incident takes it; field errors raised by finish()."""
    now = utcnow()
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
        "urgency": fields.choice("urgency", Urgency, default=DEFAULT_URGENCY) or DEFAULT_URGENCY,
        "commander": _staff_user(fields, "commander", fields.data["commander"])
        if fields.data.get("commander") is not None
        else None,
        "history": _history(fields, now),
    }
    fields.finish()
    return values


@bp.post("/incidents")
@needs_scope(TokenScope.WRITE)
def create_incident() -> Response:
    """Open an incident with its first update and the statuses it gives its components; with
    `started_at` (and updates, acknowledged_at, resolved_at) backfill one that happened."""
    fields = Fields(read_json_object(request), allowed=NEW_INCIDENT_FIELDS)
    incident = backfill_service.record_incident(**_new_incident_fields(fields), actor=_actor())
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


def _role_changes(fields: Fields) -> dict[str, Any]:
    """`roles`: commander and comms_lead by id or email (null unassigns), responders a list
    that replaces the current one; what is left out stays as it is."""
    if not fields.has("roles"):
        return {}
    roles = fields.data["roles"]
    if not isinstance(roles, dict):
        fields.error("roles", "Must be an object with commander, comms_lead or responders.")
        return {}
    changes: dict[str, Any] = {}
    for key in roles:
        if key not in ROLE_FIELDS:
            fields.error(f"roles.{key}", "Unknown field.")
    for key in ("commander", "comms_lead"):
        if key in roles:
            value = roles[key]
            changes[key] = None if value is None else _staff_user(fields, f"roles.{key}", value)
    if "responders" in roles:
        listed = roles["responders"]
        if not isinstance(listed, list) or len(listed) > MAX_RESPONDERS:
            fields.error("roles.responders", f"Must be a list of at most {MAX_RESPONDERS} users.")
        else:
            found = [_staff_user(fields, f"roles.responders[{i}]", v) for i, v in enumerate(listed)]
            changes["responders"] = [user for user in found if user is not None]
    return changes


def _priority_changes(fields: Fields) -> dict[str, Any]:
    """`priority`: an override with its reason, or null for the matrix's; left out, unchanged."""
    if not fields.has("priority"):
        if fields.has("priority_override_reason"):
            fields.error("priority_override_reason", "Send it with the priority it explains.")
        return {}
    value = fields.data["priority"]
    if value is None:
        return {"priority": None}
    priority = fields.choice("priority", Priority)
    reason = fields.data.get("priority_override_reason")
    if reason is not None and not isinstance(reason, str):
        fields.error("priority_override_reason", "Must be a string.")
        reason = None
    return {"priority": priority, "priority_override_reason": reason} if priority else {}


def _patch_fields(allowed: frozenset[str]) -> Fields:
    """A PATCH body of *allowed* fields; an empty one is an error naming them (at finish())."""
    fields = Fields(read_json_object(request), allowed=allowed)
    if not fields.data:
        fields.error("body", "Send at least one of: " + ", ".join(sorted(allowed)) + ".")
    return fields


def _incident_changes(fields: Fields) -> dict[str, Any]:
    """A PATCH body as edit_incident takes it; field errors raised by finish()."""
    values = {
        "name": fields.text("name", required=False, max_length=MAX_NAME),
        "impact": fields.choice("impact", Impact),
        "visibility": fields.choice("visibility", Visibility),
        "urgency": fields.choice("urgency", Urgency),
        **_priority_changes(fields),
        **_role_changes(fields),
    }
    fields.finish()
    return values


@bp.patch("/incidents/<id:incident_id>")
@needs_scope(TokenScope.WRITE)
def update_incident(incident_id: str) -> Response:
    """Change an incident's name, impact, visibility, urgency, priority or roles; what is
    left out stays as it is."""
    incident = _find(Incident, incident_id, "incident")
    fields = _patch_fields(INCIDENT_CHANGES)
    edit_service.edit_incident(incident, **_incident_changes(fields), actor=_actor())
    return _json({"data": _notice_json(incident)})


@bp.post("/incidents/<id:incident_id>/acknowledge")
@needs_scope(TokenScope.WRITE)
def acknowledge_incident(incident_id: str) -> Response:
    """Acknowledge as the token's maker; once acknowledged, a repeat changes nothing (200)."""
    incident = _find(Incident, incident_id, "incident")
    if request.get_data(cache=True):
        Fields(read_json_object(request), allowed=()).finish()
    maker = db.session.get(User, _actor().user_id) if _actor().user_id is not None else None
    if maker is None:
        raise NotFound("This token's maker is gone.")
    role_service.acknowledge_incident(incident, user=maker, actor=_actor())
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


@bp.post("/subscribers/webhooks")
@needs_scope(TokenScope.ADMIN)
def add_webhook_subscriber() -> Response:
    """A webhook subscriber to everything, pending until its notice address confirms it (as
    on /subscribe); its owner narrows the scope with the manage link."""
    fields = Fields(read_json_object(request), allowed={"endpoint", "email"})
    endpoint = fields.text("endpoint", required=True, max_length=MAX_URL)
    email = fields.text("email", required=True, max_length=MAX_EMAIL)
    fields.finish()
    subscriber = webhooks.subscribe_webhook(
        endpoint=endpoint or "", email=email or "", actor=_actor()
    )
    return _json({"data": serialize.subscriber_json(subscriber, get_site_settings())}, status=201)


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
    if not isinstance(value, str) or not is_id(value):
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


def _runbook(fields: Fields, item: Component | ComponentGroup | None) -> RunbookInput | None:
    """The response details the body names, over what *item* holds; None when it names none."""
    now = RunbookInput.of(item) if item is not None else RunbookInput()
    owner = fields.nullable_text("owner_team", max_length=MAX_NAME, default=now.owner_team)
    urls = fields.pattern_list(
        "runbook_urls",
        max_items=MAX_RUNBOOKS,
        max_length=MAX_URL,
        pattern=RUNBOOK_URL_RE,
        what="http:// or https:// links",
    )
    contacts = fields.contact_list(
        "escalation_contacts",
        max_items=MAX_CONTACTS,
        limits={"name": MAX_NAME, "email": MAX_EMAIL, "notes": MAX_CONTACT_NOTES},
        email=CONTACT_EMAIL_RE,
    )
    notes = fields.nullable_text("internal_notes", max_length=MAX_BODY, default=now.internal_notes)
    if not any(fields.has(name) for name in RUNBOOK_FIELDS):
        return None
    return RunbookInput(
        owner_team=owner,
        runbook_urls=now.runbook_urls if urls is None else urls,
        escalation_contacts=now.escalation_contacts if contacts is None else contacts,
        internal_notes=notes,
    )


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


def _new_component(fields: Fields) -> dict[str, Any]:
    """A POST body as create_component takes it: what is left out takes its default."""
    values = {
        "name": fields.text("name", required=True, max_length=MAX_NAME) or "",
        "description": _description(fields, None),
        "group": _group(fields, None),
        "visibility": fields.choice("visibility", Visibility, default=Visibility.PUBLIC)
        or Visibility.PUBLIC,
        "showcase": fields.boolean("showcase", default=True),
        "only_show_if_degraded": fields.boolean("only_show_if_degraded", default=False),
        "start_date": _start_date(fields, None),
        "position": _position(fields),
        "runbook": _runbook(fields, None),
    }
    fields.finish()
    return values


@bp.post("/components")
@needs_scope(TokenScope.WRITE)
def create_component() -> Response:
    """Add a component: last in its group (or on the page) unless `position` says where."""
    fields = Fields(read_json_object(request), allowed=COMPONENT_FIELDS)
    component = component_service.create_component(**_new_component(fields), actor=_actor())
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
        "runbook": _runbook(fields, component),
    }
    fields.finish()
    return values


@bp.patch("/components/<id:component_id>")
@needs_scope(TokenScope.WRITE)
def update_component(component_id: str) -> Response:
    """Change what the body names; fields left out keep their values."""
    component = _live(Component, component_id, "component")
    fields = _patch_fields(COMPONENT_FIELDS)
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
    runbook = _runbook(fields, None)
    fields.finish()
    group = component_service.create_group(
        name=name or "",
        description=description,
        visibility=visibility or Visibility.PUBLIC,
        position=position,
        runbook=runbook,
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
    fields = _patch_fields(GROUP_FIELDS)
    name = fields.text("name", required=False, max_length=MAX_NAME)
    description = _description(fields, group.description)
    visibility = fields.choice("visibility", Visibility, default=group.visibility)
    position = _position(fields)
    runbook = _runbook(fields, group)
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
        runbook=runbook,
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


# -- reports (docs/reports.md) ----------------------------------------------------------------

#: Report endpoints read their own query arguments.
REPORTS = {"manage.incident_report", "manage.uptime_report"}
INCIDENT_REPORT_ARGS = ("from", "to", "component", "priority", "by")


@bp.get("/reports/incidents")
@needs_scope(TokenScope.READ)
def incident_report() -> Response:
    """MTTA, MTTR, first update, SLA attainment and counts over a period, from the history."""
    check_query(request.args, INCIDENT_REPORT_ARGS)
    now = utcnow()
    query = report_service.read_report_query(
        request.args.get("from"),
        request.args.get("to"),
        component_ids=request.args.getlist("component"),
        priority=request.args.get("priority"),
        granularity=request.args.get("by"),
        today=now.astimezone(get_site_settings().tz).date(),
    )
    return _json({"data": report_service.build_incident_report(query, now=now).as_json()})


@bp.get("/reports/uptime")
@needs_scope(TokenScope.READ)
def uptime_report() -> Response:
    """Uptime and downtime minutes per component for one month (the current one by default)."""
    check_query(request.args, ("month",))
    now = utcnow()
    raw = request.args.get("month")
    month = Month.of(now) if raw is None else parse_month(raw)
    if month is None:
        raise InvalidFields({"month": ["Must be a month YYYY-MM."]})
    report = monthly_uptime.build_monthly_uptime(AUDIENCE, [month], now=now)
    rows = monthly_uptime.uptime_json(report)
    components = [{"id": r["id"], "name": r["name"], **r["months"][0]} for r in rows]
    return _json({"data": {"month": str(month), "components": components}})


# Integrations (admin scope): the monitoring allowed to move components. The secret is in
# the answer that makes it (and nowhere else, ever).

INTEGRATION_FIELDS = frozenset(
    {
        "name",
        "damping_minutes",
        "incident_policy",
        "template_id",
        "component_label",
        "severity_label",
        "severity_map",
        "enabled",
    }
)
NEW_INTEGRATION_FIELDS = (INTEGRATION_FIELDS - {"enabled"}) | {"kind"}


def _integration_answer(integration: Integration, status: int = 200, **extra: Any) -> Response:
    return _json({"data": {**serialize.integration_json(integration), **extra}}, status=status)


def _template_id(fields: Fields) -> str | None:
    value = fields.data.get("template_id")
    if value is not None and not (isinstance(value, str) and is_id(value)):
        fields.error("template_id", "Must be an incident template's id or null.")
        return None
    return value


def _severity_map(fields: Fields) -> dict[str, str] | None:
    value = fields.data["severity_map"]
    if not isinstance(value, dict) or not all(_is_status_name(v) for v in value.values()):
        fields.error(
            "severity_map",
            "Must be an object of severity → major_outage, partial_outage or degraded_performance.",
        )
        return None
    return value


def _is_status_name(value: Any) -> bool:
    return isinstance(value, str) and value in {s.value for s in SIGNAL_STATUSES}


def _integration_fields(fields: Fields, names: frozenset[str]) -> dict[str, Any]:
    """The body's integration fields as the services take them (only those it names)."""
    values: dict[str, Any] = {}
    for name in ("name", "component_label", "severity_label"):
        if fields.has(name):
            values[name] = fields.text(name, required=False, max_length=MAX_NAME)
    if fields.has("damping_minutes"):
        values["damping_minutes"] = fields.integer(
            "damping_minutes", minimum=0, maximum=MAX_DAMPING_MINUTES, default=2, nullable=False
        )
    if fields.has("incident_policy"):
        values["incident_policy"] = fields.choice("incident_policy", IncidentPolicy)
    if fields.has("template_id"):
        values["template_id"] = _template_id(fields)
    if fields.has("severity_map"):
        values["severity_map"] = _severity_map(fields)
    if fields.has("enabled") and "enabled" in names:
        values["enabled"] = fields.boolean("enabled", default=True)
    if "kind" in names:
        values["kind"] = fields.choice("kind", IntegrationKind, required=True)
    fields.finish()
    return values


@bp.get("/integrations")
@needs_scope(TokenScope.ADMIN)
def list_integrations() -> Response:
    """Every integration, by name; never a secret."""
    items = [serialize.integration_json(i) for i in integration_service.list_integrations()]
    return _json({"data": items})


@bp.post("/integrations")
@needs_scope(TokenScope.ADMIN)
def create_integration() -> Response:
    """Make an integration: the answer carries its secret, the only time it is shown."""
    fields = Fields(read_json_object(request), allowed=NEW_INTEGRATION_FIELDS)
    if not fields.has("name"):
        fields.error("name", "This field is required.")
    made = integration_service.create_integration(
        **_integration_fields(fields, NEW_INTEGRATION_FIELDS), actor=_actor()
    )
    response = _integration_answer(made.integration, status=201, secret=made.secret)
    response.headers["Location"] = url_for(
        "manage.get_integration", integration_id=made.integration.id
    )
    return response


@bp.get("/integrations/<id:integration_id>")
@needs_scope(TokenScope.ADMIN)
def get_integration(integration_id: str) -> Response:
    return _integration_answer(_find(Integration, integration_id, "integration"))


@bp.patch("/integrations/<id:integration_id>")
@needs_scope(TokenScope.ADMIN)
def update_integration(integration_id: str) -> Response:
    """Change what the body names (not its kind; rotate a secret in the admin)."""
    integration = _find(Integration, integration_id, "integration")
    fields = _patch_fields(INTEGRATION_FIELDS)
    integration_service.update_integration(
        integration, **_integration_fields(fields, INTEGRATION_FIELDS), actor=_actor()
    )
    return _integration_answer(integration)


@bp.delete("/integrations/<id:integration_id>")
@needs_scope(TokenScope.ADMIN)
def delete_integration(integration_id: str) -> Response:
    """Delete an integration: its secret stops working; its alerts' history stays."""
    integration = _find(Integration, integration_id, "integration")
    integration_service.delete_integration(integration, actor=_actor())
    response = _no_store(Response(status=204))
    response.headers.pop("Content-Type", None)
    return response
