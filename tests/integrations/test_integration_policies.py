"""Incident policies: none, draft (internal, editors mailed) and publish (resolved with its
alerts), and the incident a second alert joins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from statuspage.enums import ComponentStatus, IncidentStatus, Role, TemplateKind, Visibility
from statuspage.extensions import db
from statuspage.models import Alert, Incident
from statuspage.services.accounts.users import set_user_active
from statuspage.services.automation.incidents import apply_incident_policies
from statuspage.services.automation.signals import apply_held_signals
from statuspage.services.outbox.delivery import deliver_pending
from statuspage.services.response.templates import list_templates
from tests.conftest import ACTOR
from tests.integrations.conftest import am_alert, am_body, post

AM = "/api/integrations/alertmanager"


def _incidents() -> list[Incident]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Incident).order_by(Incident.created_at)))


def test_policy_none_opens_no_incident(client, make_component, make_integration):
    make_component(name="API")
    made = make_integration(damping_minutes=0, incident_policy="none")
    answer = post(client, AM, am_body(am_alert("API")), made.secret)
    assert answer.get_json()["incident_id"] is None
    assert _incidents() == []


def test_draft_opens_an_internal_incident_and_mails_editors(
    client, make_component, make_integration, make_user, smtp_server, smtp_mailer
):
    api = make_component(name="API")
    web = make_component(name="Web")
    editor, admin = make_user(Role.EDITOR), make_user(Role.ADMIN)
    viewer = make_user(Role.VIEWER)
    gone = make_user(Role.EDITOR, email="left@example.com")
    set_user_active(gone, False, actor=ACTOR)
    made = make_integration(damping_minutes=2, incident_policy="draft")
    answer = post(client, AM, am_body(am_alert("API")), made.secret)
    incident_id = answer.get_json()["incident_id"]
    [incident] = _incidents()
    assert incident.id == incident_id
    assert incident.visibility is Visibility.INTERNAL
    assert incident.name == "Investigating issues with API"
    assert [c.component.name for c in incident.affected] == ["API"]
    db.session.expire_all()
    assert api.internal_status is ComponentStatus.MAJOR_OUTAGE
    assert api.status is ComponentStatus.OPERATIONAL  # internal incident, damping not over

    # A second alert of the same integration joins the open draft.
    answer = post(client, AM, am_body(am_alert("Web", fingerprint="other")), made.secret)
    assert answer.get_json()["incident_id"] == incident_id
    assert len(_incidents()) == 1
    linked = db.session.scalars(sa.select(Alert.notice_id)).all()
    assert linked == [incident_id, incident_id]
    assert web.internal_status is ComponentStatus.MAJOR_OUTAGE
    [incident] = _incidents()
    assert {c.component.name for c in incident.affected} == {"API", "Web"}
    assert any("also reports problems with Web" in u.body for u in incident.updates)

    deliver_pending(smtp_mailer, now=datetime.now(UTC) + timedelta(seconds=1))
    to = sorted(m["To"] for m in smtp_server.sink.messages)
    assert to == sorted([editor.email, admin.email])
    assert viewer.email not in to and gone.email not in to
    message = smtp_server.sink.messages[0]
    assert "Draft incident to review" in message["Subject"]
    assert f"/admin/incidents/{incident_id}" in message.get_body(("plain",)).get_content()


def test_publish_waits_for_damping_then_resolves_with_its_alerts(
    client, make_component, make_integration
):
    api = make_component(name="API")
    web = make_component(name="Web")
    made = make_integration(damping_minutes=2, incident_policy="publish")
    post(client, AM, am_body(am_alert("API"), am_alert("Web", fingerprint="w")), made.secret)
    assert _incidents() == []  # nothing public before the damping minutes
    later = datetime.now(UTC) + timedelta(minutes=3)
    apply_held_signals(now=later)
    apply_incident_policies(now=later)
    [incident] = _incidents()
    assert incident.visibility is Visibility.PUBLIC
    assert {c.component.name for c in incident.affected} == {"API", "Web"}
    assert api.status is ComponentStatus.MAJOR_OUTAGE

    post(client, AM, am_body(am_alert("API", status="resolved")), made.secret)
    end = datetime.now(UTC) + timedelta(minutes=6)
    apply_held_signals(now=end)
    apply_incident_policies(now=end)
    assert not _incidents()[0].is_resolved  # Web still fires

    post(client, AM, am_body(am_alert("Web", fingerprint="w", status="resolved")), made.secret)
    apply_held_signals(now=end + timedelta(minutes=3))
    apply_incident_policies(now=end + timedelta(minutes=3))
    [incident] = _incidents()
    assert incident.status is IncidentStatus.RESOLVED
    [resolving] = [u for u in incident.updates if u.status_value == "resolved"]
    assert "operating normally again" in resolving.body
    db.session.expire_all()
    assert (api.status, web.status) == (ComponentStatus.OPERATIONAL, ComponentStatus.OPERATIONAL)
    assert (api.internal_status, web.internal_status) == (
        ComponentStatus.OPERATIONAL,
        ComponentStatus.OPERATIONAL,
    )


def test_publish_with_no_damping_opens_at_once_and_a_new_firing_opens_a_new_one(
    client, make_component, make_integration
):
    make_component(name="API")
    made = make_integration(damping_minutes=0, incident_policy="publish")
    first = post(client, AM, am_body(am_alert("API")), made.secret).get_json()["incident_id"]
    assert first is not None
    post(client, AM, am_body(am_alert("API", status="resolved")), made.secret)
    assert _incidents()[0].is_resolved
    second = post(client, AM, am_body(am_alert("API")), made.secret).get_json()["incident_id"]
    assert second not in (None, first)
    assert len(_incidents()) == 2


def test_chosen_template(client, make_component, make_integration, default_templates):
    make_component(name="API")
    third_party = next(
        t for t in list_templates(TemplateKind.INCIDENT) if t.name == "Third-party provider outage"
    )
    made = make_integration(
        damping_minutes=0, incident_policy="publish", template_id=third_party.id
    )
    post(client, AM, am_body(am_alert("API")), made.secret)
    [incident] = _incidents()
    assert incident.name == "Issues with API caused by a third-party provider"


def test_a_template_that_no_longer_renders_falls_back_to_the_default(
    client, make_component, make_integration
):
    from statuspage.services.response.templates import create_template
    from tests.conftest import ACTOR as actor

    make_component(name="A" * 250)
    template = create_template(
        name="Long",
        kind=TemplateKind.INCIDENT,
        status=IncidentStatus.INVESTIGATING,
        impact=None,
        title="Trouble at {{ components }} again",
        body="Down.",
        components=[],
        actor=actor,
    )
    made = make_integration(damping_minutes=0, incident_policy="publish", template_id=template.id)
    answer = post(client, AM, am_body(am_alert("A" * 250)), made.secret)
    assert answer.status_code == 200 and answer.get_json()["firing"] == 1
    [incident] = _incidents()
    assert incident.name == "Monitoring reports problems"
    assert "A" * 250 in incident.updates[0].body
