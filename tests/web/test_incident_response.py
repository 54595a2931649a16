"""Running an incident from the admin: its opener commands it, roles are assigned and handed
over, urgency and overrides set the priority, acknowledging stops the clock; every change is
on the internal timeline and in the audit log; the response policy is edited in Settings."""

import re

import pytest
import sqlalchemy as sa

from statuspage.enums import (
    Impact,
    IncidentRole,
    Priority,
    ResponseEventKind,
    Role,
    SlaTarget,
    Urgency,
)
from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, ResponseEvent
from statuspage.services.notices.incidents import delete_incident
from statuspage.services.response.policy import DEFAULT_MATRIX, load_response_policy
from tests.conftest import ACTOR


def only_incident() -> Incident:
    db.session.expire_all()
    return db.session.scalars(sa.select(Incident)).one()


def events(incident: Incident, kind: ResponseEventKind) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(ResponseEvent.summary)
            .where(ResponseEvent.notice_id == incident.id, ResponseEvent.kind == kind)
            .order_by(ResponseEvent.id)
        )
    )


def open_from_form(client, **extra):
    data = {"name": "Checkout errors", "status": "investigating", "impact": "major"}
    data.update(body="Looking into it.", visibility="public", **extra)
    response = client.form("/admin/incidents/new", data)
    assert response.status_code == 302, response.text
    return only_incident()


def test_the_opener_commands_the_incident_unless_they_choose_otherwise(client, editor, make_user):
    form = client.get("/admin/incidents/new").text
    assert re.search(rf'<option selected value="{editor.id}">', form)
    incident = open_from_form(client, commander=str(editor.id), urgency="high")
    assert incident.commander_id == editor.id
    # Major impact, high urgency: P1 by the default matrix.
    assert (incident.urgency, incident.computed_priority, incident.priority) == (
        Urgency.HIGH,
        Priority.P1,
        Priority.P1,
    )
    assert events(incident, ResponseEventKind.ROLE) == [
        f"Incident commander: {editor.display_name} assigned"
    ]
    delete_incident(incident, actor=ACTOR)
    nobody = open_from_form(client, commander="")
    assert nobody.commander_id is None and nobody.priority is Priority.P2


def test_roles_are_assigned_handed_over_and_unassigned(client, editor, make_user):
    incident = open_from_form(client, commander=str(editor.id))
    other = make_user(Role.EDITOR, name="Robin")
    viewer = make_user(Role.VIEWER, name="Sam")
    url = f"/admin/incidents/{incident.id}/roles"
    assert client.form(url, {"role": "commander", "user": str(other.id)}).status_code == 302
    assert client.form(url, {"role": "comms_lead", "user": str(editor.id)}).status_code == 302
    assert client.form(url, {"role": "responder", "user": str(viewer.id)}).status_code == 302
    incident = only_incident()
    assert (incident.commander_id, incident.comms_lead_id) == (other.id, editor.id)
    assert [r.user_id for r in incident.responders] == [viewer.id]
    response = client.form(f"{url}/unassign", {"role": "responder", "user": str(viewer.id)})
    assert response.status_code == 302
    assert only_incident().responders == []
    assert events(incident, ResponseEventKind.ROLE) == [
        f"Incident commander: {editor.display_name} assigned",
        f"Incident commander: handed over from {editor.display_name} to Robin",
        f"Communications lead: {editor.display_name} assigned",
        "Responder: Sam assigned",
        "Responder: Sam unassigned",
    ]
    page = client.get(f"/admin/incidents/{incident.id}").text
    assert "handed over from" in page and "Responder: Sam unassigned" in page
    # Nobody that does not exist, and no deactivated user.
    assert client.form(url, {"role": "commander", "user": "999999"}).status_code == 422
    assert client.form(url, {"role": "chief", "user": str(other.id)}).status_code == 422


def test_urgency_and_an_override_with_its_reason_set_the_priority(client, editor):
    incident = open_from_form(client, commander="", urgency="medium")
    assert incident.priority is Priority.P2
    url = f"/admin/incidents/{incident.id}"
    assert client.form(f"{url}/urgency", {"urgency": "low"}).status_code == 302
    assert only_incident().priority is Priority.P3
    # An override needs a reason; the page answers 422 and keeps what was chosen.
    refused = client.form(f"{url}/priority", {"priority": "P1", "reason": ""})
    assert refused.status_code == 422
    assert "A reason for the override is required." in refused.text
    assert '<option selected value="P1">P1</option>' in refused.text
    assert only_incident().priority is Priority.P3
    accepted = client.form(f"{url}/priority", {"priority": "P1", "reason": "Biggest customer"})
    assert accepted.status_code == 302
    incident = only_incident()
    assert (incident.priority, incident.computed_priority, incident.priority_override_reason) == (
        Priority.P1,
        Priority.P3,
        "Biggest customer",
    )
    # Back to the matrix.
    assert client.form(f"{url}/priority", {"priority": "", "reason": ""}).status_code == 302
    assert only_incident().priority is Priority.P3
    assert events(incident, ResponseEventKind.PRIORITY) == [
        "Priority P2 → P3 (impact major, urgency low)",
        "Priority P3 → P1 (override: Biggest customer)",
        "Priority P1 → P3 (back to the matrix)",
    ]
    audited = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_id == incident.id)
    ).all()
    assert {"set_incident_urgency", "override_incident_priority"} <= set(audited)
    assert client.form(f"{url}/priority", {"priority": "P9", "reason": "x"}).status_code == 422


def test_an_update_that_changes_the_impact_reprioritises(client, editor):
    incident = open_from_form(client, commander="", urgency="high")
    assert incident.priority is Priority.P1
    response = client.form(
        f"/admin/incidents/{incident.id}/updates",
        {
            "status": "identified",
            "impact": "minor",
            "body": "Smaller than feared.",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    assert only_incident().priority is Priority.P2
    assert events(incident, ResponseEventKind.PRIORITY) == [
        "Priority P1 → P2 (impact minor, urgency high)"
    ]


def test_acknowledging_records_who_and_when_once(client, editor):
    incident = open_from_form(client, commander="")
    page = client.get(f"/admin/incidents/{incident.id}").text
    assert "Not acknowledged." in page and ">Acknowledge</button>" in page
    assert client.form(f"/admin/incidents/{incident.id}/acknowledge").status_code == 302
    incident = only_incident()
    assert incident.acknowledged_by_id == editor.id and incident.acknowledged_at is not None
    first = incident.acknowledged_at
    assert client.form(f"/admin/incidents/{incident.id}/acknowledge").status_code == 302
    assert only_incident().acknowledged_at == first
    assert events(incident, ResponseEventKind.ACKNOWLEDGED) == [
        f"Acknowledged by {editor.display_name}"
    ]
    page = client.get(f"/admin/incidents/{incident.id}").text
    assert "Acknowledged <time" in page and ">Acknowledge</button>" not in page


def test_the_incident_page_shows_every_clock_server_side(client, editor):
    incident = open_from_form(client, commander="", urgency="high")
    page = client.get(f"/admin/incidents/{incident.id}").text
    table = re.search(r'<table class="sla-clocks".*?</table>', page, re.S).group(0)
    for label in ("Acknowledge", "First public update", "Next public update", "Resolve"):
        assert label in table
    assert "SLA targets for P1" in table
    assert re.search(r'data-due="[^"]+Z" data-warn="[^"]+Z"', table)
    assert "min left" in table and "js/sla-clocks.js" in page


def test_the_response_policy_is_edited_in_settings(client, login_as, make_incident):

    login_as(Role.ADMIN)
    incident = make_incident(impact=Impact.MINOR)
    assert incident.priority is Priority.P3
    page = client.get("/admin/settings/response").text
    data = dict(re.findall(r'name="((?:matrix|sla)_[^"]+)"[^>]*value="([^"]*)"', page))
    data.update(
        {
            name: value
            for name, value in re.findall(
                r'<select[^>]*name="(matrix_[^"]+)".*?<option selected value="([^"]+)"', page, re.S
            )
        }
    )
    assert len([k for k in data if k.startswith("matrix_")]) == 12
    assert len([k for k in data if k.startswith("sla_")]) == 16
    data["matrix_minor_medium"] = "P1"
    data["sla_P1_acknowledge"] = "3"
    data["lead_percent"] = "25"
    assert client.form("/admin/settings/response", data).status_code == 302
    policy = load_response_policy()
    assert policy.matrix[Impact.MINOR][Urgency.MEDIUM] is Priority.P1
    assert policy.minutes(Priority.P1, SlaTarget.ACKNOWLEDGE) == 3
    assert policy.lead_percent == 25
    # The open incident follows the new matrix at once.
    assert only_incident().priority is Priority.P1
    # Bad values are refused by name and change nothing.
    bad = dict(data, sla_P2_resolve="0", matrix_none_low="P7")
    refused = client.form("/admin/settings/response", bad)
    assert refused.status_code == 422
    assert "Not a valid choice" in refused.text and "Number must be between" in refused.text
    assert load_response_policy().minutes(Priority.P2, SlaTarget.RESOLVE) == 480


def test_the_default_matrix_is_the_itil_one():
    rows = {
        impact.value: [
            DEFAULT_MATRIX[impact][u].value for u in (Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW)
        ]
        for impact in DEFAULT_MATRIX
    }
    assert rows == {
        "critical": ["P1", "P1", "P2"],
        "major": ["P1", "P2", "P3"],
        "minor": ["P2", "P3", "P4"],
        "none": ["P3", "P4", "P4"],
    }


@pytest.mark.parametrize("role", [IncidentRole.COMMANDER, IncidentRole.COMMS_LEAD])
def test_a_single_role_has_one_holder(client, editor, make_user, role):
    incident = open_from_form(client, commander="")
    url = f"/admin/incidents/{incident.id}/roles"
    first, second = make_user(), make_user()
    client.form(url, {"role": role.value, "user": str(first.id)})
    client.form(url, {"role": role.value, "user": str(second.id)})
    incident = only_incident()
    holder = incident.commander_id if role is IncidentRole.COMMANDER else incident.comms_lead_id
    assert holder == second.id
