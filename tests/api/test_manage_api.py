"""The management API through the Flask client: tokens and scopes, every endpoint's success,
its refusals with field messages, pagination and the audit trail of API writes."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import (
    Audience,
    ComponentStatus,
    IncidentStatus,
    Role,
    StatusCause,
    TokenScope,
    Via,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import (
    ApiToken,
    AuditEntry,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    Maintenance,
)
from statuspage.services.accounts import api_tokens
from statuspage.services.components import tree as components
from statuspage.services.notices import incidents, maintenance, timeline
from statuspage.services.subscribers import signup as subscribers
from statuspage.services.unit import Actor
from tests.conftest import ACTOR
from tests.helpers import API, Api, fields_of


@pytest.fixture
def api(client, make_api_token):
    """An admin-scope token's client: allowed everything."""
    return Api(client, make_api_token(TokenScope.ADMIN, name="Deploy bot"))


@pytest.fixture
def scoped(client, make_api_token):
    def make(scope):
        return Api(client, make_api_token(scope))

    return make


@pytest.fixture
def api_component(make_component):
    return make_component(name="API")


def api_audit(action):
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


# Tokens and scopes

OPERATIONS = [
    ("GET", "/incidents", TokenScope.READ),
    ("POST", "/incidents", TokenScope.WRITE),
    ("GET", "/incidents/{incident}", TokenScope.READ),
    ("PATCH", "/incidents/{incident}", TokenScope.WRITE),
    ("POST", "/incidents/{incident}/updates", TokenScope.WRITE),
    ("GET", "/components", TokenScope.READ),
    ("POST", "/components", TokenScope.WRITE),
    ("GET", "/components/{component}", TokenScope.READ),
    ("PATCH", "/components/{component}", TokenScope.WRITE),
    ("DELETE", "/components/{component}", TokenScope.WRITE),
    ("PUT", "/components/{component}/status", TokenScope.WRITE),
    ("GET", "/groups", TokenScope.READ),
    ("POST", "/groups", TokenScope.WRITE),
    ("GET", "/groups/{group}", TokenScope.READ),
    ("PATCH", "/groups/{group}", TokenScope.WRITE),
    ("DELETE", "/groups/{group}", TokenScope.WRITE),
    ("GET", "/maintenance", TokenScope.READ),
    ("POST", "/maintenance", TokenScope.WRITE),
    ("GET", "/subscribers", TokenScope.ADMIN),
    ("POST", "/subscribers/webhooks", TokenScope.ADMIN),
]


@pytest.fixture
def ids(make_group, make_component, make_incident):
    group = make_group()
    component = make_component(group=group)
    incident = make_incident({component: ComponentStatus.DEGRADED_PERFORMANCE})
    return {"incident": incident.id, "component": component.id, "group": group.id}


@pytest.mark.parametrize("method,path,needed", OPERATIONS)
def test_every_operation_needs_a_token(client, ids, method, path, needed):
    """No token, no answer: 401 with a Bearer challenge, and nothing changed."""
    response = Api(client, None).call(method, path.format(**ids), json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="statuspage"'
    assert response.get_json()["error"]["status"] == 401
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("method,path,needed", OPERATIONS)
@pytest.mark.parametrize("scope", list(TokenScope))
def test_scopes_nest_and_a_narrow_scope_is_a_403(scoped, ids, method, path, needed, scope):
    """read for GET, write for changes, admin for subscribers: 403 (not 401) when too narrow."""
    response = scoped(scope).call(method, path.format(**ids), json={})
    if scope.allows(needed):
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403
        challenge = response.headers["WWW-Authenticate"]
        assert 'error="insufficient_scope"' in challenge and f'scope="{needed.value}"' in challenge
        assert needed.value in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sp_not-a-real-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "sp_missing-scheme",
        "Bearer spf_x",
    ],
)
def test_invalid_tokens_are_401_with_invalid_token(client, header):
    """A wrong token is told apart from a missing one, as RFC 6750 asks."""
    response = client.get(f"{API}/incidents", headers={"Authorization": header})
    assert response.status_code == 401
    if header.startswith("Bearer s"):
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_expired_and_revoked_tokens_are_401(client, make_user):
    """A token past its expiry or revoked in the admin is refused on the next request."""
    admin = make_user(Role.ADMIN)
    now = utcnow()
    expired = api_tokens.create_token(
        name="Short",
        scope=TokenScope.ADMIN,
        expires_at=now - timedelta(seconds=1),
        actor=Actor.of(admin),
        now=now - timedelta(days=1),
    )
    response = Api(client, expired.secret).get("/incidents")
    assert response.status_code == 401 and "expired" in response.get_json()["error"]["message"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    revoked = api_tokens.create_token(
        name="Leaked",
        scope=TokenScope.ADMIN,
        expires_at=now + timedelta(days=1),
        actor=Actor.of(admin),
    )
    assert Api(client, revoked.secret).get("/incidents").status_code == 200
    api_tokens.revoke_token(revoked.token, actor=Actor.of(admin))
    response = Api(client, revoked.secret).get("/incidents")
    assert response.status_code == 401 and "revoked" in response.get_json()["error"]["message"]


def test_use_is_recorded_on_the_token(api):
    """The admin list shows when a token was last used."""
    assert db.session.scalars(sa.select(ApiToken)).one().last_used_at is None
    api.get("/components")
    assert db.session.scalars(sa.select(ApiToken)).one().last_used_at is not None


def test_a_session_cookie_is_never_enough(client, login_as):
    """Only the Authorization header counts: a signed-in admin's browser cannot be borrowed."""
    login_as(Role.ADMIN)
    assert client.get(f"{API}/incidents").status_code == 401
    response = client.post(f"{API}/incidents", json={"name": "x", "body": "y"})
    assert response.status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_no_csrf_token_is_needed_with_a_bearer_token(api, login_as):
    """Token requests carry no cookie to forge, so CSRF does not apply (forms still need it)."""
    login_as(Role.EDITOR)  # even with a session cookie in the same client
    response = api.post("/incidents", {"name": "Outage", "body": "Down."})
    assert response.status_code == 201
    assert (
        api.client.post("/admin/incidents/new", data={"name": "x", "body": "y"}).status_code == 400
    )


def test_wrong_methods_get_405_with_allow(api, make_incident):
    """Clients learn which methods a path takes."""
    incident = make_incident()
    response = api.call("DELETE", f"/incidents/{incident.id}")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH"}
    assert response.get_json()["error"]["status"] == 405


def test_bodies_must_be_json_objects(api):
    """A body that is not JSON is a 400; JSON that is not an object is a 422."""
    for data, content_type in [
        ("{", "application/json"),
        ('{"name": NaN}', "application/json"),
        (b"\xff\xfe", "application/json"),
        ("name=x&body=y", "application/x-www-form-urlencoded"),
        ('{"name": "x", "body": "y"}', "text/plain"),
        ("", None),
    ]:
        response = api.client.post(
            f"{API}/incidents",
            data=data,
            content_type=content_type,
            headers={"Authorization": f"Bearer {api.secret}"},
        )
        assert response.status_code == 400, data
        assert response.get_json()["error"]["status"] == 400
    assert "body" in fields_of(api.post("/incidents", ["name", "body"]))
    assert "body" in fields_of(api.post("/incidents", "just a string"))


def test_answers_are_json_never_cached_and_not_for_other_sites(api):
    """Management answers hold internal data: no shared cache, no cross-origin reads."""
    response = api.get("/incidents")
    assert response.content_type == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response.headers


# Incidents


def test_opening_an_incident(api, api_component, make_component):
    """The incident, its first update and its component statuses, in the Statuspage shape."""
    internal = make_component(name="Billing", visibility=Visibility.INTERNAL)
    response = api.post(
        "/incidents",
        {
            "name": "Elevated errors",
            "body": "We are **investigating**.",
            "status": "identified",
            "impact": "major",
            "visibility": "public",
            "deliver_notifications": False,
            "components": {api_component.id: "partial_outage", internal.id: "major_outage"},
        },
    )
    assert response.status_code == 201, response.text
    data = response.get_json()["data"]
    assert response.headers["Location"].endswith(f"{API}/incidents/{data['id']}")
    assert (data["name"], data["status"], data["impact"], data["visibility"]) == (
        "Elevated errors",
        "identified",
        "major",
        "public",
    )
    [update] = data["incident_updates"]
    assert (
        update["body"] == "We are **investigating**." and update["deliver_notifications"] is False
    )
    assert {c["code"]: c["new_status"] for c in update["affected_components"]} == {
        api_component.id: "partial_outage",
        internal.id: "major_outage",
    }
    assert {c["name"] for c in data["components"]} == {"API", "Billing"}
    assert (
        db.session.get(type(api_component), api_component.id).status
        is ComponentStatus.PARTIAL_OUTAGE
    )
    incident = db.session.get(Incident, data["id"])
    assert incident.status is IncidentStatus.IDENTIFIED and incident.visibility is Visibility.PUBLIC


def test_defaults_when_only_a_name_and_body_are_given(api):
    """The least a script can send opens a public, minor, investigating incident."""
    data = api.post("/incidents", {"name": "Slow pages", "body": "Looking."}).get_json()["data"]
    assert (data["status"], data["impact"], data["visibility"]) == (
        "investigating",
        "minor",
        "public",
    )
    assert data["components"] == []


@pytest.mark.parametrize(
    "body,expected",
    [
        ({}, {"name", "body"}),
        ({"name": 3, "body": ["x"]}, {"name", "body"}),
        ({"name": "  ", "body": "\x00\x01"}, {"name", "body"}),
        ({"name": "x" * 256, "body": "y"}, {"name"}),
        ({"name": "x", "body": "y", "status": "resolved"}, {"status"}),
        (
            {"name": "x", "body": "y", "status": "postmortem", "impact": "huge"},
            {"status", "impact"},
        ),
        (
            {"name": "x", "body": "y", "visibility": "secret", "deliver_notifications": "yes"},
            {"visibility", "deliver_notifications"},
        ),
        ({"name": "x", "body": "y", "components": ["abc"]}, {"components"}),
        (
            {"name": "x", "body": "y", "components": {"nosuchcompon": "major_outage"}},
            {"components"},
        ),
        ({"name": "x", "body": "y", "colour": "red"}, {"colour"}),
    ],
)
def test_opening_refuses_bad_fields_by_name(api, body, expected):
    """Every problem is listed under its field, and nothing is written."""
    assert set(fields_of(api.post("/incidents", body))) == expected
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_bad_component_statuses_and_archived_components_are_named(
    api, api_component, make_component
):
    """A script learns which of its components was wrong, and why."""
    fields = fields_of(
        api.post("/incidents", {"name": "x", "body": "y", "components": {api_component.id: "down"}})
    )
    assert api_component.id in fields["components"][0] and "major_outage" in fields["components"][0]
    old = make_component(name="Legacy")
    components.archive_component(old, actor=ACTOR)
    fields = fields_of(
        api.post("/incidents", {"name": "x", "body": "y", "components": {old.id: "major_outage"}})
    )
    assert fields == {"components": ["Legacy is archived."]}


def test_listing_incidents_page_by_page(api, make_incident, now):
    """`data` holds one page, newest first, and `meta` says how many there are in all."""
    for i in range(30):
        make_incident(name=f"Incident {i:02d}", now=now - timedelta(hours=i))
    first = api.get("/incidents").get_json()
    assert first["meta"] == {"page": 1, "per_page": 25, "total": 30}
    assert [i["name"] for i in first["data"][:2]] == ["Incident 00", "Incident 01"]
    second = api.get("/incidents?page=2&per_page=10").get_json()
    assert second["meta"] == {"page": 2, "per_page": 10, "total": 30}
    assert [i["name"] for i in second["data"]] == [f"Incident {i:02d}" for i in range(10, 20)]
    beyond = api.get("/incidents?page=9&per_page=10").get_json()
    assert beyond["data"] == [] and beyond["meta"]["total"] == 30
    assert api.get("/incidents?per_page=100").status_code == 200
    for query, field in [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=-1", "page"),
        ("sort=name", "sort"),
    ]:
        assert field in fields_of(api.get(f"/incidents?{query}")), query


@pytest.mark.parametrize("path", ["/incidents", "/maintenance", "/subscribers"])
def test_every_list_refuses_bad_paging_by_name(api, path):
    """page and per_page are whole numbers in range; other query arguments are typos."""
    for query, expected in [
        ("per_page=101", {"per_page"}),
        ("page=0&per_page=x", {"page", "per_page"}),
        ("page=1.5", {"page"}),
        ("limit=5", {"limit"}),
    ]:
        assert set(fields_of(api.get(f"{path}?{query}"))) == expected, query
    assert api.get(f"{path}?page=3&per_page=100").status_code == 200


def test_internal_incidents_and_updates_are_listed_but_notes_are_not(api, make_incident):
    """Staff automation sees what the internal page shows, except the staff-only notes."""
    internal = make_incident(name="Staff only", visibility=Visibility.INTERNAL)
    incidents.post_update(
        internal,
        status=IncidentStatus.IDENTIFIED,
        body="Internal detail",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
    )
    timeline.add_note(internal, body="A private note", actor=ACTOR)
    [listed] = api.get("/incidents").get_json()["data"]
    assert listed["name"] == "Staff only" and listed["visibility"] == "internal"
    bodies = [u["body"] for u in listed["incident_updates"]]
    assert "Internal detail" in bodies and "A private note" not in bodies
    one = api.get(f"/incidents/{internal.id}").get_json()["data"]
    assert one.pop("scheduled_updates") == [] and one == listed


def test_unknown_ids_are_404(api, make_maintenance):
    """An id that names no incident (or names a maintenance window) is a 404 with a message."""
    window = make_maintenance()
    for path in [
        "/incidents/abcdefghijkl",
        f"/incidents/{window.id}",
        "/incidents/NOT-AN-ID",
        "/incidents/abcdefghijkl/updates",
        "/components/abcdefghijkl/status",
        "/nothing",
    ]:
        method = "POST" if path.endswith("updates") else "PUT" if path.endswith("status") else "GET"
        response = api.call(method, path, json={"status": "monitoring", "body": "x"})
        assert response.status_code == 404, path
        assert response.get_json()["error"]["status"] == 404
    assert api.patch("/incidents/abcdefghijkl", {"name": "x"}).status_code == 404


def test_editing_an_incident(api, make_incident):
    """PATCH changes what it names and keeps the rest."""
    incident = make_incident(name="Tyop")
    data = api.patch(f"/incidents/{incident.id}", {"name": "Typo"}).get_json()["data"]
    assert (data["name"], data["impact"], data["visibility"]) == ("Typo", "minor", "public")
    data = api.patch(
        f"/incidents/{incident.id}", {"impact": "critical", "visibility": "internal"}
    ).get_json()["data"]
    assert (data["name"], data["impact"], data["visibility"]) == ("Typo", "critical", "internal")
    assert "body" in fields_of(api.patch(f"/incidents/{incident.id}", {}))
    fields = fields_of(
        api.patch(
            f"/incidents/{incident.id}", {"name": "", "impact": "none!", "status": "resolved"}
        )
    )
    assert set(fields) == {"name", "impact", "status"}
    assert db.session.get(Incident, incident.id).name == "Typo"


def test_posting_updates(api, api_component, make_incident):
    """An update moves the incident and its components; resolving releases them."""
    incident = make_incident({api_component: ComponentStatus.MAJOR_OUTAGE})
    response = api.post(
        f"/incidents/{incident.id}/updates",
        {
            "status": "monitoring",
            "body": "Fix deployed.",
            "impact": "major",
            "components": {api_component.id: "degraded_performance"},
        },
    )
    assert response.status_code == 201, response.text
    update = response.get_json()["data"]
    assert (update["status"], update["body"], update["incident_id"]) == (
        "monitoring",
        "Fix deployed.",
        incident.id,
    )
    assert update["published_at"] is not None and update["visibility"] == "public"
    assert update["affected_components"] == [
        {
            "code": api_component.id,
            "name": "API",
            "old_status": "major_outage",
            "new_status": "degraded_performance",
        }
    ]
    incident = db.session.get(Incident, incident.id)
    assert incident.status is IncidentStatus.MONITORING and incident.impact.value == "major"
    resolved = api.post(
        f"/incidents/{incident.id}/updates", {"status": "resolved", "body": "All good."}
    )
    assert resolved.status_code == 201
    assert (
        db.session.get(type(api_component), api_component.id).status is ComponentStatus.OPERATIONAL
    )
    closed = api.post(
        f"/incidents/{incident.id}/updates", {"status": "monitoring", "body": "Again?"}
    )
    assert closed.status_code == 409 and "reopen" in closed.get_json()["error"]["message"]


def test_a_future_publish_at_schedules_the_update(api, api_component, make_incident):
    """Scheduled text is stored, shown nowhere and changes nothing until its time."""
    incident = make_incident({api_component: ComponentStatus.MAJOR_OUTAGE})
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    response = api.post(
        f"/incidents/{incident.id}/updates",
        {
            "status": "resolved",
            "body": "Resolved overnight.",
            "publish_at": at.astimezone().isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    update = response.get_json()["data"]
    assert update["published_at"] is None
    assert datetime.fromisoformat(update["display_at"].replace("Z", "+00:00")) == at
    stored = db.session.get(IncidentUpdate, update["id"])
    assert stored.published_at is None and stored.display_at == at
    assert db.session.get(Incident, incident.id).status is IncidentStatus.INVESTIGATING
    fetched = api.get(f"/incidents/{incident.id}").get_json()["data"]
    assert "Resolved overnight." not in [u["body"] for u in fetched["incident_updates"]]
    assert [(u["id"], u["body"], u["published_at"]) for u in fetched["scheduled_updates"]] == [
        (update["id"], "Resolved overnight.", None)
    ]
    listed = api.get("/incidents").get_json()["data"]
    assert "scheduled_updates" not in listed[0]


@pytest.mark.parametrize(
    "body,expected",
    [
        ({}, {"status", "body"}),
        ({"status": "fixed", "body": "x"}, {"status"}),
        (
            {"status": "monitoring", "body": "x", "publish_at": "2026-11-12T14:00:00"},
            {"publish_at"},
        ),
        ({"status": "monitoring", "body": "x", "publish_at": "next tuesday"}, {"publish_at"}),
        ({"status": "monitoring", "body": "x", "publish_at": 1763000000}, {"publish_at"}),
        (
            {"status": "monitoring", "body": "x", "publish_at": "2099-01-01T00:00:00Z"},
            {"publish_at"},
        ),
        (
            {"status": "monitoring", "body": "x", "impact": 2, "visibility": True},
            {"impact", "visibility"},
        ),
        (
            {"status": "resolved", "body": "x", "components": {"COMPONENT": "major_outage"}},
            {"components"},
        ),
        (
            {"status": "monitoring", "body": "x", "deliver_notifications": 1},
            {"deliver_notifications"},
        ),
    ],
)
def test_updates_refuse_bad_fields_by_name(api, api_component, make_incident, body, expected):
    """Times need their offset; a year ahead is the limit; resolving cannot leave a fault."""
    incident = make_incident({api_component: ComponentStatus.MAJOR_OUTAGE})
    if "COMPONENT" in body.get("components", {}):
        body = {**body, "components": {api_component.id: "major_outage"}}
    assert set(fields_of(api.post(f"/incidents/{incident.id}/updates", body))) == expected
    assert len(db.session.get(Incident, incident.id).updates) == 1


# Components


def test_listing_components_with_groups_and_internal_ones(api, make_group, make_component):
    """Every live component and group, with its visibility, in page order."""
    gone = make_component(name="Legacy")
    components.archive_component(gone, actor=ACTOR)
    group = make_group(name="Core")
    make_component(name="API", group=group)
    make_component(name="Billing", visibility=Visibility.INTERNAL)
    data = api.get("/components").get_json()["data"]
    assert [(c["name"], c["group"], c["visibility"]) for c in data] == [
        ("Core", True, "public"),
        ("API", False, "public"),
        ("Billing", False, "internal"),
    ]
    assert data[0]["components"] == [data[1]["id"]]


def test_setting_a_component_status_from_automation(api, api_component):
    """Monitoring sets a status; the history records it as automation, by the token."""
    response = api.put(f"/components/{api_component.id}/status", {"status": "major_outage"})
    assert response.status_code == 200, response.text
    assert response.get_json()["data"]["status"] == "major_outage"
    change = db.session.scalars(
        sa.select(ComponentStatusChange)
        .where(ComponentStatusChange.audience == Audience.PUBLIC)
        .order_by(ComponentStatusChange.id.desc())
    ).first()
    assert (change.new_status, change.cause, change.actor_label) == (
        ComponentStatus.MAJOR_OUTAGE,
        StatusCause.AUTOMATION,
        "token Deploy bot",
    )
    assert (
        api.put(f"/components/{api_component.id}/status", {"status": "major_outage"}).status_code
        == 200
    )


def test_component_status_refusals(api, api_component, make_group, make_component):
    """A wrong status or body is a 422 naming the field; groups and unknown ids are 404s."""
    path = f"/components/{api_component.id}/status"
    assert "status" in fields_of(api.put(path, {}))
    assert "status" in fields_of(api.put(path, {"status": "on fire"}))
    assert "status" in fields_of(api.put(path, {"status": None}))
    assert set(fields_of(api.put(path, {"status": "operational", "why": "test"}))) == {"why"}
    assert (
        api.put(f"/components/{make_group().id}/status", {"status": "major_outage"}).status_code
        == 404
    )
    old = make_component(name="Legacy")
    components.archive_component(old, actor=ACTOR)
    assert fields_of(api.put(f"/components/{old.id}/status", {"status": "major_outage"})) == {
        "status": ["Archived components have no live status."]
    }


# Maintenance


def window(**overrides):
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    return {
        "name": "Database upgrade",
        "body": "Expect a short interruption.",
        "scheduled_for": start.isoformat(),
        "scheduled_until": (start + timedelta(hours=2)).isoformat(),
        **overrides,
    }


def test_scheduling_maintenance(api, api_component):
    """A window with its components and automation, in the Statuspage maintenance shape."""
    response = api.post(
        "/maintenance",
        window(
            components=[api_component.id, api_component.id],
            auto_complete=False,
            remind_minutes=None,
            visibility="internal",
        ),
    )
    assert response.status_code == 201, response.text
    data = response.get_json()["data"]
    assert (data["status"], data["impact"], data["visibility"]) == (
        "scheduled",
        "maintenance",
        "internal",
    )
    assert (data["auto_start"], data["auto_complete"], data["remind_minutes"]) == (
        True,
        False,
        None,
    )
    assert [c["id"] for c in data["components"]] == [api_component.id]
    window_row = db.session.get(Maintenance, data["id"])
    assert window_row.scheduled_until - window_row.scheduled_for == timedelta(hours=2)
    listed = api.get("/maintenance").get_json()
    assert listed["meta"]["total"] == 1 and listed["data"][0]["id"] == data["id"]


@pytest.mark.parametrize(
    "overrides,expected",
    [
        ({"scheduled_for": None}, {"scheduled_for"}),
        ({"scheduled_until": "2026-11-12 14:00"}, {"scheduled_until"}),
        ({"scheduled_for": "tomorrow", "name": ""}, {"scheduled_for", "name"}),
        ({"components": ["abcdefghijkl"]}, {"components"}),
        ({"components": "abcdefghijkl"}, {"components"}),
        ({"remind_minutes": 0}, {"remind_minutes"}),
        ({"remind_minutes": "60", "auto_start": "no"}, {"remind_minutes", "auto_start"}),
        ({"visibility": "everyone"}, {"visibility"}),
    ],
)
def test_maintenance_refuses_bad_fields_by_name(api, overrides, expected):
    """Shapes and types are checked first, every problem at once."""
    body = {k: v for k, v in window(**overrides).items() if v is not None}
    assert set(fields_of(api.post("/maintenance", body))) == expected


def test_maintenance_windows_follow_the_services_rules(api):
    """Windows that end before they start, are over, or last a month are refused by field."""
    now = datetime.now(UTC)
    start = now + timedelta(days=1)
    cases = [
        (
            window(
                scheduled_until=(start - timedelta(hours=1)).isoformat(),
                scheduled_for=start.isoformat(),
            ),
            "scheduled_until",
        ),
        (
            window(
                scheduled_for=(now - timedelta(days=3)).isoformat(),
                scheduled_until=(now - timedelta(days=2)).isoformat(),
            ),
            "scheduled_until",
        ),
        (
            window(
                scheduled_for=start.isoformat(),
                scheduled_until=(start + timedelta(days=40)).isoformat(),
            ),
            "scheduled_until",
        ),
    ]
    for body, field in cases:
        assert list(fields_of(api.post("/maintenance", body))) == [field]
    assert api.get("/maintenance").get_json()["meta"]["total"] == 0


def test_listing_maintenance_page_by_page(api, make_maintenance, now):
    """Latest start first, with meta like incidents."""
    for i in range(3):
        make_maintenance(
            name=f"Window {i}",
            scheduled_for=now + timedelta(days=i + 1),
            scheduled_until=now + timedelta(days=i + 1, hours=1),
        )
    data = api.get("/maintenance?per_page=2").get_json()
    assert data["meta"] == {"page": 1, "per_page": 2, "total": 3}
    assert [m["name"] for m in data["data"]] == ["Window 2", "Window 1"]


def test_a_cancelled_window_reads_completed_and_says_it_was_cancelled(api, make_maintenance, now):
    """Statuspage clients see "completed"; staff automation can still tell a cancellation."""
    make_maintenance(name="Kept")
    dropped = make_maintenance(name="Dropped")
    maintenance.cancel_maintenance(dropped, body="Not needed after all.", actor=ACTOR, now=now)
    listed = {m["name"]: m for m in api.get("/maintenance").get_json()["data"]}
    assert (listed["Dropped"]["status"], listed["Dropped"]["cancelled"]) == ("completed", True)
    assert (listed["Kept"]["status"], listed["Kept"]["cancelled"]) == ("scheduled", False)


# Subscribers


def test_listing_subscribers(api, now):
    """Admins' automation can export the list: address, state, cadence and dates."""
    pending = subscribers.subscribe(email="later@example.com", actor=ACTOR, now=now)
    confirmed = subscribers.subscribe(
        email="ada@example.com", actor=ACTOR, now=now + timedelta(minutes=1)
    )
    subscribers.confirm_subscription(confirmed, actor=ACTOR, now=now + timedelta(minutes=2))
    data = api.get("/subscribers").get_json()
    assert data["meta"] == {"page": 1, "per_page": 25, "total": 2}
    first, second = data["data"]
    assert (first["email"], first["state"], first["cadence"]) == (
        "ada@example.com",
        "active",
        "immediate",
    )
    assert first["confirmed_at"] is not None and second["confirmed_at"] is None
    assert second["id"] == pending.id and second["state"] == "pending"
    assert (
        api.get("/subscribers?page=2&per_page=1").get_json()["data"][0]["email"]
        == "later@example.com"
    )


# The audit trail


def test_every_api_write_is_audited_as_the_token(api, api_component, client):
    """The audit log says which token did it, for whom, from where: via api."""
    maker = db.session.scalars(sa.select(ApiToken)).one().created_by_id
    incident_id = api.post("/incidents", {"name": "Outage", "body": "Down."}).get_json()["data"][
        "id"
    ]
    api.patch(f"/incidents/{incident_id}", {"impact": "major"})
    api.post(f"/incidents/{incident_id}/updates", {"status": "identified", "body": "Found it."})
    api.put(f"/components/{api_component.id}/status", {"status": "partial_outage"})
    api.post("/maintenance", window())
    for action in [
        "open_incident",
        "update_incident",
        "post_incident_update",
        "set_component_status",
        "schedule_maintenance",
    ]:
        entries = api_audit(action)
        assert entries, action
        for entry in entries:
            assert (entry.via, entry.actor_label, entry.actor_id, entry.ip) == (
                Via.API,
                "token Deploy bot",
                maker,
                "127.0.0.1",
            ), action


def test_refused_requests_write_nothing(api, scoped, api_component):
    """A 401, 403 or 422 leaves no trace in the audit log."""
    reader = scoped(TokenScope.READ)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    assert (
        reader.put(f"/components/{api_component.id}/status", {"status": "major_outage"}).status_code
        == 403
    )
    assert Api(api.client, None).post("/incidents", {"name": "x", "body": "y"}).status_code == 401
    assert api.post("/incidents", {"name": "x"}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


# The description


def test_the_openapi_description_covers_every_route_with_bearer_auth(app, client):
    """Every management route is described, secured, and answers its documented errors."""
    spec = client.get("/api/v2/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API):
            path = rule.rule.replace("<id:", "{").replace(">", "}")
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    described = {
        (path, method)
        for path, item in spec["paths"].items()
        if path.startswith(API)
        for method in item
        if method != "parameters"
    }
    assert routes == described
    for path, method in described:
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"bearerAuth": []}], (path, method)
        assert {"401", "403"} <= set(operation["responses"]), (path, method)
        if method in ("post", "patch", "put"):  # a body the fields refuse is a 422
            assert "422" in operation["responses"], (path, method)
        if method != "get":  # a body that is not JSON is a 400; a DELETE reads none
            assert ("400" in operation["responses"]) == ("requestBody" in operation), (path, method)
    public = [item for path, item in spec["paths"].items() if not path.startswith(API)]
    assert all("security" not in op for item in public for op in item.values())


def test_the_api_page_explains_tokens_scopes_and_examples(client):
    """People find how to make a token and what a first request looks like."""
    page = client.get("/api").text
    for words in [
        "Admin › API tokens",
        "Authorization: Bearer",
        "<code>read</code>",
        "<code>write</code>",
        "<code>admin</code>",
        "/api/manage/v1/incidents \\",
        "/updates \\",
        "?token=spf_",
    ]:
        assert words in page, words


# ---- a token never outranks its maker --------------------------------------------------------

#: One request per scope level: what each level of token may do.
NEEDS = {
    TokenScope.READ: ("GET", "/incidents", None),
    TokenScope.WRITE: ("POST", "/incidents", {"name": "From a script", "body": "Looking."}),
    TokenScope.ADMIN: ("GET", "/subscribers", None),
}
#: What each role's tokens may still do after the role changes (None: deactivated).
ROLE_CAP = {
    Role.ADMIN: TokenScope.ADMIN,
    Role.EDITOR: TokenScope.WRITE,
    Role.VIEWER: TokenScope.READ,
    None: None,
}


#: The management API's scopes (a metrics token opens only /metrics: tests/metrics).
@pytest.mark.parametrize("scope", [TokenScope.READ, TokenScope.WRITE, TokenScope.ADMIN])
@pytest.mark.parametrize(
    "change",
    [Role.ADMIN, Role.EDITOR, Role.VIEWER, None],
    ids=lambda r: getattr(r, "value", "deactivated"),
)
def test_a_token_never_does_more_than_its_makers_current_role(client, make_user, scope, change):
    """An admin makes a token; another admin changes the maker's role (or deactivates them):
    on the very next request the token does only what both its scope and that role allow."""
    from statuspage.services.accounts import users

    maker, other = make_user(Role.ADMIN), make_user(Role.ADMIN)
    token = api_tokens.create_token(
        name="Automation",
        scope=scope,
        expires_at=utcnow() + timedelta(days=1),
        actor=Actor.of(maker),
    ).secret
    api = Api(client, token)
    assert api.get("/incidents").status_code == 200  # works before the change
    if change is None:
        users.set_user_active(maker, False, actor=Actor.of(other))
    else:
        users.change_role(maker, change, actor=Actor.of(other))
    cap = ROLE_CAP[change]
    for needed, (method, path, body) in NEEDS.items():
        response = api.call(method, path, body)
        capped = None if cap is None else scope.capped(cap)
        if capped is None:
            expected = 401
        elif capped.allows(needed):
            expected = 201 if method == "POST" else 200
        else:
            expected = 403
        assert response.status_code == expected, (needed, response.get_json())


def test_a_token_cannot_be_made_wider_than_its_makers_role(make_user):
    """An editor (say, through the command line) cannot mint an admin-scope token."""
    from statuspage.services.errors import InvalidInput

    editor = make_user(Role.EDITOR)
    with pytest.raises(InvalidInput, match="scope write at most"):
        api_tokens.create_token(
            name="Too wide",
            scope=TokenScope.ADMIN,
            expires_at=utcnow() + timedelta(days=1),
            actor=Actor.of(editor),
        )
    assert (
        api_tokens.create_token(
            name="Fits",
            scope=TokenScope.WRITE,
            expires_at=utcnow() + timedelta(days=1),
            actor=Actor.of(editor),
        ).token.scope
        is TokenScope.WRITE
    )
