"""The component and group forms' "Response (staff only)" fieldset over HTTP: saved, shown again
as typed, refused by the field (keeping what was typed), and shown on the admin incident page."""

import html

import sqlalchemy as sa

from statuspage.enums import ComponentStatus, Role
from statuspage.extensions import db
from statuspage.models import Component, ComponentGroup
from statuspage.services.components.runbooks import RunbookInput

CONTACTS = "Alice Ops <alice@example.com> — +1 555 0100\nBob <bob@example.com>"
RESPONSE = {
    "owner_team": "Payments SRE",
    "runbook_urls": "https://wiki.example.com/payments\n\nhttps://runbooks.example.com/db\n",
    "escalation_contacts": CONTACTS,
    "internal_notes": "Restart **the worker** first.",
}


def test_a_component_round_trips_through_the_form(client, editor, make_group):
    group = make_group(name="Core")
    data = {"name": "API", "group": group.id, "visibility": "public", **RESPONSE}
    assert client.form("/admin/components/new", data).status_code == 302
    component = db.session.scalars(sa.select(Component)).one()
    assert component.owner_team == "Payments SRE"
    assert component.runbook_urls == [
        "https://wiki.example.com/payments",
        "https://runbooks.example.com/db",
    ]
    assert component.escalation_contacts == [
        {"name": "Alice Ops", "email": "alice@example.com", "notes": "+1 555 0100"},
        {"name": "Bob", "email": "bob@example.com", "notes": ""},
    ]
    page = html.unescape(client.get(f"/admin/components/{component.id}/edit").text)
    assert "Response (staff only)" in page
    assert "https://wiki.example.com/payments\nhttps://runbooks.example.com/db" in page
    assert CONTACTS in page and "Restart **the worker** first." in page
    # Saving the form again unchanged changes nothing.
    edited = client.form(
        f"/admin/components/{component.id}/edit",
        {"name": "API", "group": group.id, "visibility": "public", **RESPONSE},
    )
    assert edited.status_code == 302
    assert db.session.get(Component, component.id).owner_team == "Payments SRE"


def test_a_group_round_trips_through_the_form(client, editor):
    data = {"name": "Core", "visibility": "public", "showcase": "y", **RESPONSE}
    assert client.form("/admin/groups/new", data).status_code == 302
    group = db.session.scalars(sa.select(ComponentGroup)).one()
    assert group.owner_team == "Payments SRE" and len(group.escalation_contacts) == 2
    page = html.unescape(client.get(f"/admin/groups/{group.id}/edit").text)
    assert CONTACTS in page
    cleared = client.form(
        f"/admin/groups/{group.id}/edit",
        {"name": "Core", "visibility": "public", **dict.fromkeys(RESPONSE, "")},
    )
    assert cleared.status_code == 302
    group = db.session.get(ComponentGroup, group.id)
    assert (group.owner_team, group.runbook_urls, group.escalation_contacts) == (None, [], [])


def test_a_bad_contact_line_is_named_and_the_input_kept(client, editor):
    typed = "Alice <alice@example.com>\nphone Bob on 555 0199"
    response = client.form(
        "/admin/components/new",
        {"name": "API", "visibility": "public", **RESPONSE, "escalation_contacts": typed},
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "Line 2 (phone Bob on 555 0199) is not of the form" in text
    assert typed in text and "Payments SRE" in text  # what was typed stays
    assert 'id="escalation_contacts-errors"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Component)) == 0


def test_a_bad_link_or_address_is_refused_by_its_field(client, editor, make_component):
    component = make_component(name="Web")
    for field, value, words in [
        ("runbook_urls", "https://ok.example.com\nftp://files.example.com/x", "Runbook link 2"),
        ("escalation_contacts", "Al <not-an-address>", "not-an-address"),
        ("owner_team", "t" * 256, "Field cannot be longer than 255 characters."),
    ]:
        response = client.form(
            f"/admin/components/{component.id}/edit",
            {"name": "Web", "group": "", "visibility": "public", field: value},
        )
        assert response.status_code == 422, field
        assert words in html.unescape(response.text)
        assert f'id="{field}-errors"' in response.text
        assert value.splitlines()[-1] in html.unescape(response.text)
    assert db.session.get(Component, component.id).runbook_urls == []


def test_the_admin_incident_page_shows_the_affected_runbooks(
    client, login_as, make_group, make_component, make_incident
):
    group = make_group(name="Core", runbook=RunbookInput(owner_team="Platform team"))
    api = make_component(
        name="API",
        group=group,
        runbook=RunbookInput(
            runbook_urls=["https://wiki.example.com/api"],
            escalation_contacts=[{"name": "Alice", "email": "alice@example.com", "notes": "x1"}],
            internal_notes="Check *the queue*.",
        ),
    )
    make_component(name="Calm", runbook=RunbookInput(owner_team="Unrelated team"))
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE})
    login_as(Role.EDITOR)
    page = client.get(f"/admin/incidents/{incident.id}").text
    assert "Runbooks and contacts" in page
    assert "Platform team" in page and 'href="https://wiki.example.com/api"' in page
    assert 'href="mailto:alice@example.com"' in page and "<em>the queue</em>" in page
    assert "Unrelated team" not in page
