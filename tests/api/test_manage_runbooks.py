"""Response details (owner team, runbooks, escalation contacts, notes) through the management API:
given, read back, changed field by field, refused by field; never in the public API."""

import pytest

from statuspage.enums import TokenScope
from statuspage.extensions import db
from statuspage.models import Component
from statuspage.services.components.runbooks import RunbookInput
from tests.helpers import Api, fields_of

ALICE = {"name": "Alice Ops", "email": "alice@example.com", "notes": "+1 555 0100"}
DETAILS = {
    "owner_team": "Payments SRE",
    "runbook_urls": ["https://wiki.example.com/payments"],
    "escalation_contacts": [ALICE, {"name": "Bob", "email": "bob@example.com"}],
    "internal_notes": "Restart **the worker** first.",
}
READ_BACK = {
    **DETAILS,
    "escalation_contacts": [ALICE, {"name": "Bob", "email": "bob@example.com", "notes": ""}],
}


@pytest.fixture
def api(client, make_api_token):
    return Api(client, make_api_token(TokenScope.WRITE, name="Runbook sync"))


def details_of(data):
    return {key: data[key] for key in DETAILS}


def test_a_component_round_trips(api, client):
    created = api.post("/components", {"name": "Payments", **DETAILS})
    assert created.status_code == 201, created.text
    data = created.get_json()["data"]
    assert details_of(data) == READ_BACK
    ident = data["id"]
    assert details_of(api.get(f"/components/{ident}").get_json()["data"]) == READ_BACK
    listed = next(c for c in api.get("/components").get_json()["data"] if c["id"] == ident)
    assert details_of(listed) == READ_BACK
    # A PATCH naming one field leaves the others as they were.
    patched = api.patch(f"/components/{ident}", {"owner_team": "Checkout"})
    assert patched.status_code == 200
    assert details_of(patched.get_json()["data"]) == {**READ_BACK, "owner_team": "Checkout"}
    cleared = api.patch(
        f"/components/{ident}",
        {"owner_team": None, "runbook_urls": [], "escalation_contacts": [], "internal_notes": " "},
    )
    assert details_of(cleared.get_json()["data"]) == {
        "owner_team": None,
        "runbook_urls": [],
        "escalation_contacts": [],
        "internal_notes": None,
    }
    public = client.get("/api/v2/components.json").text
    assert "Payments" in public and "owner_team" not in public and "runbook" not in public


def test_a_group_round_trips(api, make_group):
    created = api.post("/groups", {"name": "Core", **DETAILS})
    assert created.status_code == 201, created.text
    ident = created.get_json()["data"]["id"]
    assert details_of(api.get(f"/groups/{ident}").get_json()["data"]) == READ_BACK
    patched = api.patch(f"/groups/{ident}", {"escalation_contacts": [ALICE]})
    assert patched.get_json()["data"]["escalation_contacts"] == [ALICE]
    assert patched.get_json()["data"]["owner_team"] == "Payments SRE"
    listed = api.get("/groups").get_json()["data"]
    assert listed[0]["runbook_urls"] == DETAILS["runbook_urls"]


def test_existing_components_answer_with_empty_details(api, make_component):
    component = make_component(name="Old")
    data = api.get(f"/components/{component.id}").get_json()["data"]
    assert details_of(data) == {
        "owner_team": None,
        "runbook_urls": [],
        "escalation_contacts": [],
        "internal_notes": None,
    }


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"runbook_urls": "https://wiki.example.com"}, "runbook_urls", "Must be a list"),
        ({"runbook_urls": ["ftp://files.example.com"]}, "runbook_urls", "Item 1"),
        ({"runbook_urls": [" https://wiki.example.com"]}, "runbook_urls", "Item 1"),
        ({"runbook_urls": ["https://x.example.com"] * 11}, "runbook_urls", "At most 10"),
        ({"escalation_contacts": [{"name": "A"}]}, "escalation_contacts", "email must be"),
        (
            {"escalation_contacts": [{"name": "A", "email": "nope"}]},
            "escalation_contacts",
            "email must be an address",
        ),
        (
            {"escalation_contacts": [{**ALICE, "phone": "1"}]},
            "escalation_contacts",
            "unknown field phone",
        ),
        (
            {"escalation_contacts": [{**ALICE, "notes": "n" * 501}]},
            "escalation_contacts",
            "at most 500",
        ),
        ({"escalation_contacts": [ALICE] * 21}, "escalation_contacts", "At most 20"),
        ({"owner_team": 5}, "owner_team", "Must be a string or null"),
        ({"owner_team": "t" * 256}, "owner_team", "At most 255"),
        ({"internal_notes": "n" * 20_001}, "internal_notes", "At most 20000"),
    ],
)
def test_bad_details_are_refused_by_field(api, make_component, body, field, words):
    component = make_component(name="Steady", runbook=RunbookInput(owner_team="Kept"))
    fields = fields_of(api.patch(f"/components/{component.id}", body))
    assert list(fields) == [field]
    assert words in " ".join(fields[field])
    assert db.session.get(Component, component.id).owner_team == "Kept"
    fields_of(api.post("/components", {"name": "New", **body}))


def test_the_service_checks_what_the_shape_lets_through(api, make_component):
    """An address of the usual shape on a special-use domain: the service's email check."""
    component = make_component(name="Steady")
    response = api.patch(
        f"/components/{component.id}",
        {"escalation_contacts": [{"name": "A", "email": "a@example.test"}]},
    )
    fields = fields_of(response)
    assert "escalation_contacts" in fields
