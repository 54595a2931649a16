"""Property-based checks of the management API against its OpenAPI description, as an admin
token on a richly seeded page."""

import re
import zlib
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from statuspage.enums import Role, TokenScope, Via
from statuspage.extensions import db
from statuspage.services.accounts import api_tokens, users
from statuspage.services.automation import integrations
from statuspage.services.components import tree as components
from statuspage.services.unit import Actor
from tests.api.conftest import seed_rich_page
from tests.conftest import PASSWORD, make_app

# Built and seeded at import: schemathesis builds its coverage cases when it collects the test,
# and the hook below puts seeded ids into them. Its own in-memory database.
APP = make_app(SQLALCHEMY_DATABASE_URI="sqlite://")
with APP.app_context():
    db.create_all()
    PAGE = seed_rich_page()
    ADMIN = users.create_user(
        email="automation@example.com",
        password=PASSWORD,
        role=Role.ADMIN,
        actor=Actor(user_id=None, label="test", via=Via.CLI),
    )
    TOKEN = api_tokens.create_token(
        name="schemathesis",
        scope=TokenScope.ADMIN,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        actor=Actor.of(ADMIN),
    ).secret
    AS_ADMIN = Actor.of(ADMIN)
    INTEGRATIONS = [
        integrations.create_integration(
            name=f"Seeded {kind}", kind=kind, actor=AS_ADMIN
        ).integration.id
        for kind in ("alertmanager", "grafana", "generic")
    ]
    ADMIN_EMAIL, ADMIN_ID = ADMIN.email, ADMIN.id
#: Ids of the seeded incidents (open, resolved, internal), components and groups.
SEEDED = {
    "components": sorted(PAGE.ids["components"].values()),
    "groups": sorted(PAGE.ids["groups"].values()),
    "incidents": [PAGE.ids[k] for k in ("monitoring", "resolved", "secret_incident")],
    "integrations": INTEGRATIONS,
}
#: Path parameters that name a seeded object, and the pool they draw from.
PATH_IDS = {
    "incident_id": "incidents",
    "component_id": "components",
    "group_id": "groups",
    "integration_id": "integrations",
}
ID = re.compile(r"^[a-z0-9]{12}$")
schema = schemathesis.openapi.from_wsgi("/api/v2/openapi.json", APP).include(
    path_regex="^/api/manage/"
)


@schema.auth()
class AdminToken:
    """The seeded admin token on every case, except those that test a missing Authorization
    header (schemathesis leaves those out, and expects the 401)."""

    def get(self, case, context):
        return TOKEN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module", autouse=True)
def dropped_afterwards():
    yield
    with APP.app_context():
        db.drop_all()
        db.engine.dispose()


def seeded_id(kind: str, drawn: str) -> str:
    """A seeded id in place of a drawn one (the same one for the same draw)."""
    pool = SEEDED[kind]
    return pool[zlib.crc32(drawn.encode()) % len(pool)]


def disposable_id(kind: str) -> str:
    """A new, empty component or group (or an integration), made for one DELETE."""
    with APP.app_context():
        if kind == "integrations":
            made = integrations.create_integration(
                name="Disposable", kind="generic", actor=AS_ADMIN
            )
            return made.integration.id
        if kind == "groups":
            return components.create_group(name="Disposable group", actor=AS_ADMIN).id
        return components.create_component(name="Disposable", actor=AS_ADMIN).id


@schema.hook
def map_case(context, case):
    """Schemathesis draws ids and times at random: a random id names nothing (404, or 422 in a
    body) and a random maintenance window is long over (422). Well-formed ids become seeded
    ones, except that a DELETE archives a component or group made for it alone: archiving a
    seeded one would turn every later case naming it into a 404 (and a seeded group takes its
    components with it). In positive cases, times fall where the services accept them, a
    resolving update leaves its components operational, an update takes its notice's
    visibility, and a position is 1 (the description cannot say how many siblings there are, so
    a drawn 5000 would be a 422). Negative cases keep whatever makes them invalid."""
    for name, kind in PATH_IDS.items():
        drawn = (case.path_parameters or {}).get(name)
        if isinstance(drawn, str) and ID.match(drawn):
            if case.method.upper() == "DELETE":
                case.path_parameters[name] = disposable_id(kind)
            else:
                case.path_parameters[name] = seeded_id(kind, drawn)
    _map_report_query(case)
    body = case.body
    if not isinstance(body, dict):
        return case
    if isinstance(body.get("group_id"), str) and ID.match(body["group_id"]):
        body["group_id"] = seeded_id("groups", body["group_id"])
    if isinstance(body.get("components"), dict):
        body["components"] = {
            (seeded_id("components", k) if ID.match(k) else k): v
            for k, v in body["components"].items()
        }
    elif isinstance(body.get("components"), list):
        body["components"] = [
            seeded_id("components", i) if isinstance(i, str) and ID.match(i) else i
            for i in body["components"]
        ]
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return case
    soon = datetime.now(UTC) + timedelta(days=1)
    if "scheduled_for" in body:
        body["scheduled_for"] = soon.isoformat()
        body["scheduled_until"] = (soon + timedelta(hours=2)).isoformat()
    if body.get("publish_at") is not None:
        body["publish_at"] = soon.isoformat()
    if body.get("status") == "resolved" and isinstance(body.get("components"), dict):
        body["components"] = dict.fromkeys(body["components"], "operational")
    if body.get("template_id") is not None:
        body["template_id"] = None  # a drawn id names no incident template (422)
    if type(body.get("position")) in (int, float):
        body["position"] = 1
    _place_response_fields(body)
    _place_history(body)
    if case.path.endswith("/updates"):
        # An update's audience follows its notice's (an internal notice's updates are internal,
        # a public notice's internal updates change nothing): the notice decides by default.
        body.pop("visibility", None)
    return case


def _place_response_fields(body: dict) -> None:
    """Users named by id or email are the seeded admin (a drawn one names nobody: 422); an
    override carries its reason, and a reason comes with its override."""
    if body.get("commander") is not None:
        body["commander"] = ADMIN_EMAIL
    roles = body.get("roles")
    if isinstance(roles, dict):
        for key in ("commander", "comms_lead"):
            if roles.get(key) is not None:
                roles[key] = ADMIN_EMAIL
        if isinstance(roles.get("responders"), list):
            roles["responders"] = [ADMIN_ID] if roles["responders"] else []
    if isinstance(body.get("priority"), str):
        body.setdefault("priority_override_reason", "A customer escalation")
    elif "priority_override_reason" in body:
        body["priority"] = "P2"  # a reason explains an override


def _place_history(body: dict) -> None:
    """A backfill's times in order in the recent past (drawn ones are anywhere), resolving
    only at the end; it claims no seeded component (their later history is a 409) and is
    never mailed."""
    if not {"started_at", "acknowledged_at", "resolved_at", "updates"} & set(body):
        return
    start = datetime.now(UTC) - timedelta(days=2)
    body["started_at"] = start.isoformat()
    body.pop("components", None)
    body.pop("deliver_notifications", None)
    updates = body.get("updates") if isinstance(body.get("updates"), list) else []
    for i, update in enumerate(updates):
        update["display_at"] = (start + timedelta(minutes=i + 1)).isoformat()
        if i < len(updates) - 1 and update.get("status") == "resolved":
            update["status"] = "identified"
    last = start + timedelta(minutes=len(updates))
    if body.get("acknowledged_at") is not None:
        body["acknowledged_at"] = start.isoformat()
    if body.get("resolved_at") is not None:
        body["resolved_at"] = (last + timedelta(minutes=1)).isoformat()
        if updates and updates[-1].get("status") == "resolved":
            body["resolved_at"] = last.isoformat()


def _map_report_query(case):
    """A report's component becomes a seeded one; in positive cases its period and month fall
    where the readers accept them (a drawn 0001-01-01 to 9999-12-31 is more than 731 days)."""
    query = case.query
    if not isinstance(query, dict):
        return
    if isinstance(query.get("component"), str) and ID.match(query["component"]):
        query["component"] = seeded_id("components", query["component"])
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    today = datetime.now(UTC).date()
    if "from" in query:
        query["from"] = (today - timedelta(days=30)).isoformat()
    if "to" in query:
        query["to"] = today.isoformat()
    if "month" in query:
        query["month"] = f"{today:%Y-%m}"
    if "component" in query:
        query["component"] = SEEDED["components"][0]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_management_api_conforms_to_its_openapi_description(case):
    case.call_and_validate()
