"""Runbooks and escalation contacts on components and groups: checked field by field, never cut
short, staff only (an internal change), read back for the staff pages and for escalation mail."""

from datetime import timedelta

import pytest

from statuspage.enums import Audience, ComponentStatus
from statuspage.extensions import db
from statuspage.limits import MAX_BODY, MAX_CONTACTS, MAX_NAME, MAX_RUNBOOKS, MAX_URL
from statuspage.models import AuditEntry
from statuspage.services.components import runbooks, tree
from statuspage.services.components.runbooks import RunbookInput
from statuspage.services.errors import InvalidInput
from statuspage.services.notices import incidents
from statuspage.services.site.page_state import read_page_state
from tests.conftest import ACTOR

S = ComponentStatus
ALICE = {"name": "Alice Ops", "email": "alice@example.com", "notes": "+1 555 0100, weekdays"}


def full_runbook(**changes):
    values = {
        "owner_team": "  Payments SRE ",
        "runbook_urls": ["https://wiki.example.com/payments", "http://runbooks.example.com/db"],
        "escalation_contacts": [ALICE, {"name": "Bob", "email": "Bob@Example.COM"}],
        "internal_notes": "Restart **the worker** first.",
    }
    return RunbookInput(**{**values, **changes})


def test_a_component_keeps_its_runbook_cleaned(make_component, now):
    component = make_component(runbook=full_runbook())
    assert component.owner_team == "Payments SRE"
    assert component.runbook_urls == [
        "https://wiki.example.com/payments",
        "http://runbooks.example.com/db",
    ]
    assert component.escalation_contacts == [
        ALICE,
        {"name": "Bob", "email": "Bob@example.com", "notes": ""},
    ]
    assert component.internal_notes == "Restart **the worker** first."


def test_a_group_takes_one_on_create_and_update(make_group, now):
    group = make_group(runbook=full_runbook(owner_team="Core"))
    assert group.owner_team == "Core"
    tree.update_group(
        group,
        name=group.name,
        description=None,
        visibility=group.visibility,
        showcase=True,
        only_show_if_degraded=False,
        start_date=None,
        runbook=RunbookInput(),
        actor=ACTOR,
        now=now,
    )
    assert (group.owner_team, group.runbook_urls, group.escalation_contacts) == (None, [], [])
    assert group.internal_notes is None


def test_duplicate_links_are_kept_once(make_component):
    url = "https://wiki.example.com/x"
    component = make_component(runbook=RunbookInput(runbook_urls=[url, url]))
    assert component.runbook_urls == [url]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"runbook_urls": ["ftp://files.example.com/x"]}, "runbook_urls", "Runbook link 1"),
        ({"runbook_urls": ["javascript:alert(1)"]}, "runbook_urls", "http"),
        ({"runbook_urls": ["https://"]}, "runbook_urls", "Runbook link 1"),
        ({"runbook_urls": ["https://wiki.example.com/a b"]}, "runbook_urls", "no spaces"),
        ({"runbook_urls": ["https://[::1"]}, "runbook_urls", "Runbook link 1"),
        ({"runbook_urls": ["https://x.example.com/" + "a" * MAX_URL]}, "runbook_urls", "at most"),
        (
            {"runbook_urls": [f"https://e.example.com/{i}" for i in range(MAX_RUNBOOKS + 1)]},
            "runbook_urls",
            f"At most {MAX_RUNBOOKS}",
        ),
        ({"escalation_contacts": [{"name": "X", "email": "nope"}]}, "escalation_contacts", "nope"),
        (
            {"escalation_contacts": [{"name": " ", "email": "a@example.com"}]},
            "escalation_contacts",
            "a name is required",
        ),
        ({"escalation_contacts": [{"name": "X"}]}, "escalation_contacts", "an email"),
        (
            {"escalation_contacts": [{"name": "X", "email": "x@example.com", "notes": "n" * 501}]},
            "escalation_contacts",
            "at most 500",
        ),
        (
            {"escalation_contacts": [{"name": "N" * (MAX_NAME + 1), "email": "x@example.com"}]},
            "escalation_contacts",
            f"at most {MAX_NAME}",
        ),
        (
            {"escalation_contacts": [ALICE] * (MAX_CONTACTS + 1)},
            "escalation_contacts",
            f"At most {MAX_CONTACTS}",
        ),
        ({"owner_team": "T" * (MAX_NAME + 1)}, "owner_team", f"at most {MAX_NAME}"),
        ({"internal_notes": "n" * (MAX_BODY + 1)}, "internal_notes", f"at most {MAX_BODY}"),
    ],
)
def test_bad_fields_are_refused_by_name(make_component, changes, field, words):
    component = make_component(name="Steady", runbook=full_runbook())
    with pytest.raises(InvalidInput) as error:
        runbooks.set_runbook(component, full_runbook(**changes), actor=ACTOR)
    assert error.value.field == field
    assert words.lower() in error.value.message.lower()
    db.session.rollback()
    assert component.owner_team == "Payments SRE"  # nothing half-written


def test_changing_only_the_runbook_is_an_internal_change(app, make_component, now):
    component = make_component(runbook=full_runbook())
    before = read_page_state(db.engine)
    updated_at = component.updated_at
    runbooks.set_runbook(
        component, full_runbook(owner_team="Checkout"), actor=ACTOR, now=now + timedelta(1)
    )
    after = read_page_state(db.engine)
    assert after.of(Audience.PUBLIC) == before.of(Audience.PUBLIC)
    assert after.of(Audience.INTERNAL)[0] > before.of(Audience.INTERNAL)[0]
    assert component.updated_at == updated_at
    entry = db.session.query(AuditEntry).filter_by(action="set_runbook").one()
    assert entry.changes == {"owner_team": ["Payments SRE", "Checkout"]}


def test_the_same_values_again_change_nothing(app, make_component, now):
    component = make_component(runbook=full_runbook())
    before = read_page_state(db.engine)
    runbooks.set_runbook(component, full_runbook(), actor=ACTOR, now=now)
    assert read_page_state(db.engine) == before


def test_contact_lines_parse_strictly_and_round_trip():
    text = "Alice Ops <alice@example.com> — +1 555 0100, weekdays\n\n  Bob <bob@example.com>\n"
    parsed = runbooks.parse_contact_lines(text)
    assert parsed == [ALICE, {"name": "Bob", "email": "bob@example.com", "notes": ""}]
    assert runbooks.parse_contact_lines("Carol <c@example.com> - pager 42")[0]["notes"] == (
        "pager 42"
    )
    with pytest.raises(InvalidInput) as error:
        runbooks.parse_contact_lines("Alice <alice@example.com>\n\njust a name")
    assert error.value.field == "escalation_contacts"
    assert "Line 3 (just a name)" in error.value.message
    with pytest.raises(InvalidInput):
        runbooks.parse_contact_lines("<nobody@example.com>")


def test_runbooks_for_lists_components_and_their_groups(make_group, make_component):
    group = make_group(name="Core", runbook=RunbookInput(owner_team="Platform"))
    quiet_group = make_group(name="Quiet")
    api = make_component(name="API", group=group, runbook=full_runbook())
    web = make_component(name="Web", group=quiet_group)
    views = runbooks.runbooks_for([api, web, api])
    assert [view.item for view in views] == [group, api, web]  # an empty group is left out
    assert views[0].children == ["API"]
    assert "<strong>the worker</strong>" in views[1].notes_html
    assert views[2].is_empty


def test_notes_are_sanitised(make_component):
    component = make_component(
        runbook=RunbookInput(internal_notes="<script>x()</script> [a](javascript:alert(1))")
    )
    [view] = runbooks.runbooks_for([component])
    assert "<script>" not in view.notes_html and 'href="javascript' not in view.notes_html


def test_escalation_addresses_cover_the_groups_once(make_group, make_component, make_incident):
    group = make_group(
        runbook=RunbookInput(
            escalation_contacts=[{"name": "Lead", "email": "lead@example.com"}, ALICE]
        )
    )
    api = make_component(group=group, runbook=RunbookInput(escalation_contacts=[ALICE]))
    other = make_component(
        runbook=RunbookInput(escalation_contacts=[{"name": "A", "email": "ALICE@example.com"}])
    )
    untouched = make_component(
        runbook=RunbookInput(escalation_contacts=[{"name": "Z", "email": "z@example.com"}])
    )
    incident = make_incident({api: S.MAJOR_OUTAGE, other: S.DEGRADED_PERFORMANCE})
    assert runbooks.escalation_addresses(incident) == ["alice@example.com", "lead@example.com"]
    assert untouched.escalation_contacts  # not affected: not asked


def test_open_incidents_runbooks(make_component, make_incident, now):
    affected = make_component(name="Affected", runbook=full_runbook())
    make_component(name="Calm", runbook=full_runbook())
    incident = make_incident({affected: S.PARTIAL_OUTAGE})
    assert [v.item for v in runbooks.runbooks_for_open_incidents()] == [affected]
    incidents.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=now)
    assert runbooks.runbooks_for_open_incidents() == []
