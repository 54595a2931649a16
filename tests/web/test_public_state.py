"""What the public sees comes only from public notices, public updates, people and automation.

Internal incidents and maintenance, internal updates and notes show to staff only: they move no
public component status, banner, incident status, `updated_at`, ETag or Last-Modified, on any
public URL (discovered from the URL map, so a new public route is covered too).
"""

import re
from datetime import timedelta

import pytest

from statuspage.database import utcnow
from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Role,
    TokenScope,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import ActionItem, Component, Incident
from statuspage.services.accounts import api_tokens
from statuspage.services.components import runbooks
from statuspage.services.components.runbooks import RunbookInput
from statuspage.services.errors import InvalidInput
from statuspage.services.notices import incidents, maintenance, timeline
from statuspage.services.review import action_items, postmortems
from statuspage.services.unit import Actor
from tests.conftest import ACTOR
from tests.helpers import public_statuses
from tests.web.test_permissions import url_for_route

S = ComponentStatus
STAFF_PREFIXES = ("/admin", "/internal", "/api/manage", "/login", "/logout", "/account")


def public_urls(app, objects):
    """Every public GET URL, with real objects in its variables."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.rule.startswith(STAFF_PREFIXES):
            continue
        urls.append(url_for_route(app, rule.endpoint, objects))
    return sorted(set(urls))


def snapshot(client, urls):
    """(status, version part of the ETag, clock part, Last-Modified, body) of every URL."""
    seen = {}
    for url in urls:
        with client.get(url) as response:
            etag = response.headers.get("ETag", "")
            version, _, minute = etag.strip('"').partition("-d")
            seen[url] = (
                response.status_code,
                version,
                minute,
                response.headers.get("Last-Modified"),
                response.get_data(),
            )
    return seen


def staff_summary(client, make_user):
    user = make_user(Role.VIEWER)
    token = api_tokens.rotate_feed_token(user, actor=Actor.of(user))
    return client.get(f"/internal/api/v2/summary.json?token={token}").get_json()


def status_in(summary, component_id):
    return next(c["status"] for c in summary["components"] if c["id"] == component_id)


public_history = public_statuses


def test_an_internal_incident_on_a_public_component_shows_to_staff_only(
    client, make_component, make_incident, make_user
):
    api = make_component(name="API")
    before = client.get("/api/v2/summary.json").get_json()
    secret = make_incident(
        {api: S.MAJOR_OUTAGE},
        name="Internal hunt",
        impact=Impact.CRITICAL,
        visibility=Visibility.INTERNAL,
    )
    public = client.get("/api/v2/summary.json").get_json()
    assert status_in(public, api.id) == "operational"
    assert public["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert (
        public["incidents"] == [] and public["page"]["updated_at"] == before["page"]["updated_at"]
    )
    page = client.get("/").text
    assert "All Systems Operational" in page and "Major outage" not in page
    assert client.get("/api/v2/status.json").get_json()["status"]["indicator"] == "none"
    components = client.get("/api/v2/components.json").get_json()["components"]
    assert [c["status"] for c in components] == ["operational"]
    # staff see it
    staff = staff_summary(client, make_user)
    assert status_in(staff, api.id) == "major_outage" and staff["status"]["indicator"] == "critical"
    assert (api.status, api.internal_status) == (S.OPERATIONAL, S.MAJOR_OUTAGE)
    # and when it resolves, the public status never moved at all
    incidents.resolve_incident(secret, body="Found nothing.", actor=ACTOR)
    assert (api.status, api.internal_status) == (S.OPERATIONAL, S.OPERATIONAL)
    assert public_history(api) == [] and client.get("/api/v2/summary.json").get_json() == public


def test_public_and_internal_claims_combine_per_audience(make_component, make_incident):
    """A public partial outage and an internal major outage on one component: the public sees
    the partial outage, staff the worse of the two; each resolves into the other's view."""
    api = make_component()
    shown = make_incident({api: S.PARTIAL_OUTAGE})
    hidden = make_incident({api: S.MAJOR_OUTAGE}, visibility=Visibility.INTERNAL)
    assert (api.status, api.internal_status) == (S.PARTIAL_OUTAGE, S.MAJOR_OUTAGE)
    incidents.resolve_incident(shown, body="Fixed.", actor=ACTOR)
    assert (api.status, api.internal_status) == (S.OPERATIONAL, S.MAJOR_OUTAGE)
    incidents.resolve_incident(hidden, body="Fixed.", actor=ACTOR)
    assert (api.status, api.internal_status) == (S.OPERATIONAL, S.OPERATIONAL)
    assert public_history(api) == [S.PARTIAL_OUTAGE, S.OPERATIONAL]


def test_an_internal_maintenance_window_shows_to_staff_only(make_component, make_maintenance, now):
    api = make_component()
    window = make_maintenance([api], visibility=Visibility.INTERNAL)
    maintenance.start_maintenance(window, actor=ACTOR, now=now + timedelta(hours=2))
    assert (api.status, api.internal_status) == (S.OPERATIONAL, S.UNDER_MAINTENANCE)
    maintenance.complete_maintenance(window, actor=ACTOR, now=now + timedelta(hours=3))
    assert (api.status, api.internal_status) == (S.OPERATIONAL, S.OPERATIONAL)


def test_turning_an_incident_public_or_internal_moves_the_public_status(
    make_component, make_incident
):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE}, visibility=Visibility.INTERNAL)
    assert api.status is S.OPERATIONAL
    incidents.update_incident(
        incident,
        name=incident.name,
        impact=incident.impact,
        visibility=Visibility.PUBLIC,
        actor=ACTOR,
    )
    assert api.status is S.MAJOR_OUTAGE
    incidents.update_incident(
        incident,
        name=incident.name,
        impact=incident.impact,
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
    )
    assert (api.status, api.internal_status) == (S.OPERATIONAL, S.MAJOR_OUTAGE)


def test_an_internal_update_of_a_public_incident_changes_nothing_public(
    client, login_as, make_component, make_incident
):
    """Internal words on a public incident are for staff; one that would move the status, the
    impact or a component is refused with a message, through the admin and the API alike."""
    api = make_component()
    incident = make_incident({api: S.PARTIAL_OUTAGE})
    with pytest.raises(InvalidInput, match="internal update cannot change"):
        incidents.post_update(
            incident,
            status=IncidentStatus.RESOLVED,
            body="Fixed, quietly.",
            visibility=Visibility.INTERNAL,
            actor=ACTOR,
        )
    with pytest.raises(InvalidInput):
        incidents.post_update(
            incident,
            status=IncidentStatus.INVESTIGATING,
            body="Worse.",
            components={api: S.MAJOR_OUTAGE},
            visibility=Visibility.INTERNAL,
            actor=ACTOR,
        )
    login_as(Role.EDITOR)
    form = {
        "status": "monitoring",
        "body": "Quiet fix",
        "visibility": "internal",
        "impact": "",
        f"affects_{api.id}": "y",
        f"status_{api.id}": "partial_outage",
    }
    refused = client.form(f"/admin/incidents/{incident.id}/updates", form)
    assert refused.status_code == 422 and "internal update cannot change" in refused.text
    words = client.form(
        f"/admin/incidents/{incident.id}/updates", {**form, "status": "investigating"}
    )
    assert words.status_code == 302
    assert incident.status is IncidentStatus.INVESTIGATING and api.status is S.PARTIAL_OUTAGE
    assert incident.updates[0].body == "Quiet fix" and incident.updates[0].changes == []


def test_publish_at_in_the_past_is_refused(make_incident, now):
    """A forgotten "publish at" an hour ago would publish silently now: refused instead."""
    incident = make_incident()
    with pytest.raises(InvalidInput, match="publish time has passed") as refused:
        incidents.post_update(
            incident,
            status=IncidentStatus.IDENTIFIED,
            body="Found it.",
            publish_at=now - timedelta(hours=1),
            actor=ACTOR,
            now=now,
        )
    assert refused.value.field == "publish_at" and len(incident.updates) == 1
    # a time a few seconds behind (the form was filled just now) publishes now
    update = incidents.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Found it.",
        publish_at=now - timedelta(seconds=20),
        actor=ACTOR,
        now=now,
    )
    assert update.published_at == now


def test_publish_at_in_the_past_is_refused_in_the_admin(client, login_as, make_incident):
    login_as(Role.EDITOR)
    incident = make_incident(now=utcnow())
    past = (utcnow() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.form(
        f"/admin/incidents/{incident.id}/updates",
        {
            "status": "identified",
            "body": "Later",
            "publish_at": past,
            "visibility": "public",
            "impact": "",
        },
    )
    assert response.status_code == 422 and "publish time has passed" in response.text
    assert len(incident.updates) == 1


def test_internal_writes_move_no_public_url(
    app, client, route_objects, make_component, make_incident, make_maintenance, now
):
    """Staff busy on internal things (a note, an internal incident and its updates, an internal
    window, words on a public incident) leave every public answer byte for byte as it was,
    validators included, so outsiders cannot tell when staff are busy."""
    urls = public_urls(app, route_objects)
    assert len(urls) >= 20
    # (forms such as /subscribe carry a fresh CSRF token each time: they have no validator)
    before = snapshot(client, urls)
    public_incident = db.session.get(Incident, route_objects["incident_id"])
    component = db.session.get(Component, route_objects["component_id"])
    later = utcnow()
    timeline.add_note(public_incident, body="Paging the database team.", actor=ACTOR)
    incidents.post_update(
        public_incident,
        status=public_incident.status,
        body="Still digging.",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
    )
    hidden = make_incident({component: S.PARTIAL_OUTAGE}, visibility=Visibility.INTERNAL, now=later)
    incidents.post_update(
        hidden,
        status=IncidentStatus.IDENTIFIED,
        body="Found it.",
        components={component: S.DEGRADED_PERFORMANCE},
        actor=ACTOR,
        now=later,
    )
    incidents.resolve_incident(hidden, body="Done.", actor=ACTOR, now=later)
    window = make_maintenance(
        [component],
        visibility=Visibility.INTERNAL,
        now=later,
        scheduled_for=later + timedelta(hours=1),
        scheduled_until=later + timedelta(hours=2),
    )
    maintenance.start_maintenance(window, actor=ACTOR, now=later)
    details = RunbookInput(
        owner_team="Night shift",
        runbook_urls=["https://wiki.example.com/night"],
        escalation_contacts=[{"name": "Pager", "email": "pager@example.com", "notes": "555"}],
        internal_notes="Call *before* restarting.",
    )
    runbooks.set_runbook(component, details, actor=ACTOR, now=later)
    assert component.group is not None
    runbooks.set_runbook(component.group, details, actor=ACTOR, now=later)
    review_internally(public_incident, hidden, route_objects["action_item_id"])
    after = snapshot(client, urls)
    for url in urls:
        status, version, minute, modified, body = before[url]
        assert after[url][:2] == (status, version), url
        if version and after[url][2] == minute:  # the same day (and uptime boundary)
            assert after[url][3:] == (modified, body), url


def test_editing_only_response_details_moves_no_public_url(
    app, client, login_as, route_objects, make_api_token
):
    """The component and group forms (sent whole, every other field as it was) and the
    management API change the response details and nothing a public reader can see."""
    urls = public_urls(app, route_objects)
    before = snapshot(client, urls)
    component = db.session.get(Component, route_objects["component_id"])
    group = component.group
    assert group is not None
    response = {
        "owner_team": "Night shift",
        "runbook_urls": "https://wiki.example.com/night",
        "escalation_contacts": "Pager <pager@example.com> — 555 0100",
        "internal_notes": "Call *before* restarting.",
    }
    login_as(Role.EDITOR)
    edited = client.form(
        f"/admin/components/{component.id}/edit",
        {
            "name": component.name,
            "group": group.id,
            "description": component.description or "",
            "visibility": component.visibility.value,
            "showcase": "y" if component.showcase else "",
            **response,
        },
    )
    assert edited.status_code == 302
    edited = client.form(
        f"/admin/groups/{group.id}/edit",
        {
            "name": group.name,
            "description": group.description or "",
            "visibility": group.visibility.value,
            "showcase": "y" if group.showcase else "",
            **response,
        },
    )
    assert edited.status_code == 302
    client.form("/logout")
    token = make_api_token(TokenScope.WRITE, name="Runbooks")
    headers = {"Authorization": f"Bearer {token}"}
    for path in (f"components/{component.id}", f"groups/{group.id}"):
        patched = client.patch(
            f"/api/manage/v1/{path}", json={"owner_team": "Day shift"}, headers=headers
        )
        assert patched.status_code == 200, patched.text
    component = db.session.get(Component, component.id)
    assert component.owner_team == "Day shift" and component.group.owner_team == "Day shift"
    assert component.escalation_contacts[0]["email"] == "pager@example.com"
    after = snapshot(client, urls)
    for url in urls:
        status, version, minute, modified, body = before[url]
        assert after[url][:2] == (status, version), url
        if version and after[url][2] == minute:
            assert after[url][3:] == (modified, body), url


def review_internally(public_incident: Incident, hidden: Incident, action_item_id: str) -> None:
    """A draft postmortem of a public incident, a published one of an internal incident, an
    action item edited: none of it is public."""
    postmortems.save_postmortem(public_incident, body="Draft review.", actor=ACTOR)
    postmortems.save_postmortem(hidden, body="Internal review.", actor=ACTOR)
    postmortems.publish_postmortem(hidden, notify=True, actor=ACTOR)
    item = db.session.get_one(ActionItem, action_item_id)
    data = action_items.ActionItemInput(title="Alert", owner_id=item.owner_id, due_on=None)
    action_items.update_action_item(item, data, actor=ACTOR)


def test_a_public_write_still_moves_public_validators(client, route_objects, make_incident):
    """The other half: a public change is visible on the next request (new ETag)."""
    first = client.get("/api/v2/summary.json")
    make_incident(name="Visible trouble")
    second = client.get("/api/v2/summary.json")
    assert first.headers["ETag"] != second.headers["ETag"]
    assert "Visible trouble" in second.text
    assert re.match(r'^"v\d+', second.headers["ETag"])


def test_uptime_bars_follow_each_audiences_status(make_component, make_incident, now):
    """An hour of internal major outage is an hour of downtime on the staff page's bars and
    none on the public ones (nor does its name appear under them)."""
    from statuspage.services.components import uptime
    from statuspage.services.page import builders as status_service

    api = make_component(name="API")
    hidden = make_incident(
        {api: S.MAJOR_OUTAGE},
        name="Quiet hunt",
        visibility=Visibility.INTERNAL,
        now=now - timedelta(hours=2),
    )
    incidents.resolve_incident(hidden, body="Done.", actor=ACTOR, now=now - timedelta(hours=1))
    public = uptime.build_uptime([api], audience=Audience.PUBLIC, now=now, days=90)[api.id]
    internal = uptime.build_uptime([api], audience=Audience.INTERNAL, now=now, days=90)[api.id]
    assert public.bars[-1].minutes == {} and internal.bars[-1].minutes == {S.MAJOR_OUTAGE: 60}
    assert internal.percent < public.percent
    uptime.rebuild_uptime()  # the day rows rebuilt from each audience's history agree
    assert uptime.build_uptime([api], audience=Audience.INTERNAL, now=now, days=90)[api.id].bars[
        -1
    ].minutes == {S.MAJOR_OUTAGE: 60}
    page = status_service.build_status_page(Audience.PUBLIC, now=now)
    [view] = page.items
    assert "Quiet hunt" not in view.uptime.bars[-1].label
    staff = status_service.build_status_page(Audience.INTERNAL, now=now)
    assert "Quiet hunt" in staff.items[0].uptime.bars[-1].label


def test_correcting_a_note_leaves_the_public_updated_at(client, make_incident, now):
    incident = make_incident(now=now)
    note = timeline.add_note(
        incident, body="Typo hre.", actor=ACTOR, now=now + timedelta(minutes=1)
    )
    timeline.edit_update(note, body="Typo here.", actor=ACTOR, now=now + timedelta(minutes=2))
    assert incident.updated_at == now
    public = incident.updates[-1]
    timeline.edit_update(
        public, body="We are looking.", actor=ACTOR, now=now + timedelta(minutes=3)
    )
    assert incident.updated_at == now + timedelta(minutes=3)


def test_positions_in_the_json_count_only_what_the_reader_sees(
    client, make_component, make_group, make_user
):
    """Stored positions count internal siblings; the public JSON numbers its own list, so a gap
    never hints at a hidden component or group."""
    make_component(name="First")
    make_component(name="Secret", visibility=Visibility.INTERNAL)
    make_group(name="Hidden group", visibility=Visibility.INTERNAL)
    group = make_group(name="Platform")
    make_component(name="Inside secret", group=group, visibility=Visibility.INTERNAL)
    make_component(name="Inside", group=group)
    make_component(name="Last")
    public = client.get("/api/v2/components.json").get_json()["components"]
    assert [(c["name"], c["position"]) for c in public] == [
        ("First", 1),
        ("Platform", 2),
        ("Inside", 1),
        ("Last", 3),
    ]
    staff = staff_summary(client, make_user)["components"]
    assert [(c["name"], c["position"]) for c in staff] == [
        ("First", 1),
        ("Secret", 2),
        ("Platform", 3),
        ("Inside secret", 1),
        ("Inside", 2),
        ("Last", 4),
    ]
