"""SLA escalation on crafted timelines, to the minute: the warning on its minute (not one
before), the breach when due, who hears, once only (twice run, a fresh context), a breach first
seen late, the clocks that never escalate, a cadence gap each, and a bounded number of queries."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import (
    ComponentStatus,
    DeliveryKind,
    EscalationLevel,
    Impact,
    IncidentRole,
    IncidentStatus,
    ResponseEventKind,
    Role,
    Urgency,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import Delivery, Incident, ResponseEvent, SlaEscalation
from statuspage.services.accounts import users
from statuspage.services.components import runbooks
from statuspage.services.notices import incidents as service
from statuspage.services.response import roles
from statuspage.services.response.configure import configure_response_policy
from statuspage.services.response.escalation import escalate_due
from statuspage.services.response.policy import DEFAULT_MATRIX, DEFAULT_SLA
from tests.conftest import ACTOR

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def open_p1(name: str = "Checkout down", **kw) -> Incident:
    """Critical x high: P1 (acknowledge 5, first update 15, every 30, resolve 240 minutes)."""
    kw.setdefault("now", T0)
    return service.open_incident(
        name=name,
        body="Investigating.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        actor=ACTOR,
        **kw,
    )


def deliveries() -> list[tuple[str, str | None]]:
    db.session.expire_all()
    return sorted(
        (d.key, d.to_address)
        for d in db.session.scalars(
            sa.select(Delivery).where(Delivery.kind == DeliveryKind.ESCALATION)
        )
    )


def escalations() -> list[tuple[str, EscalationLevel]]:
    return sorted(
        (t, lv)
        for t, lv in db.session.execute(sa.select(SlaEscalation.target, SlaEscalation.level))
    )


def timeline(incident: Incident) -> list[tuple[ResponseEventKind, str]]:
    return [
        (e.kind, e.detail.get("key"))
        for e in db.session.scalars(
            sa.select(ResponseEvent)
            .where(
                ResponseEvent.notice_id == incident.id,
                ResponseEvent.kind.in_(
                    [ResponseEventKind.SLA_WARNING, ResponseEventKind.SLA_BREACH]
                ),
            )
            .order_by(ResponseEvent.id)
        )
    ]


def set_contacts(item, contacts: list[dict[str, str]]) -> None:
    """Escalation contacts, saved as the component editor saves them."""
    runbooks.set_runbook(item, runbooks.RunbookInput(escalation_contacts=contacts), actor=ACTOR)


@pytest.fixture
def people(make_user):
    commander, comms, other, admin = (
        make_user(Role.EDITOR, email="ic@example.com"),
        make_user(Role.EDITOR, email="comms@example.com"),
        make_user(Role.EDITOR, email="other@example.com"),
        make_user(Role.ADMIN, email="admin@example.com"),
    )
    return {"commander": commander, "comms": comms, "other": other, "admin": admin}


def test_the_warning_comes_on_its_minute_and_the_breach_when_due_to_the_two_leads(app, people):
    incident = open_p1()
    roles.assign_role(incident, IncidentRole.COMMANDER, people["commander"], actor=ACTOR, now=T0)
    roles.assign_role(incident, IncidentRole.COMMS_LEAD, people["comms"], actor=ACTOR, now=T0)
    roles.assign_role(incident, IncidentRole.RESPONDER, people["other"], actor=ACTOR, now=T0)
    # The acknowledgement is due at 5 minutes; 20 % of 5 minutes before it is 4 minutes.
    assert escalate_due(at(3)) == 0
    assert escalate_due(at(3.99)) == 0
    assert deliveries() == []
    assert escalate_due(at(4)) == 1
    key = f"escalation:{incident.id}:acknowledge"
    assert deliveries() == [
        (f"{key}:warning", "comms@example.com"),
        (f"{key}:warning", "ic@example.com"),
    ]
    assert escalate_due(at(4.5)) == 0  # once
    assert escalate_due(at(5)) == 1
    assert [d for d in deliveries() if d[0].endswith(":breach")] == [
        (f"{key}:breach", "comms@example.com"),
        (f"{key}:breach", "ic@example.com"),
    ]
    assert escalations() == [
        ("acknowledge", EscalationLevel.BREACH),
        ("acknowledge", EscalationLevel.WARNING),
    ]
    assert timeline(incident) == [
        (ResponseEventKind.SLA_WARNING, "acknowledge"),
        (ResponseEventKind.SLA_BREACH, "acknowledge"),
    ]
    breach = db.session.scalars(
        sa.select(ResponseEvent).where(ResponseEvent.kind == ResponseEventKind.SLA_BREACH)
    ).one()
    assert breach.at == at(5) and breach.actor_label == "scheduler"
    assert breach.detail["recipients"] == ["ic@example.com", "comms@example.com"]
    assert "Acknowledge breached" in breach.summary and "2 people" in breach.summary
    # Every escalation mail is staff mail: no subscriber, composed when queued.
    for row in db.session.scalars(sa.select(Delivery)):
        assert row.subscriber_id is None and row.text_body and row.html_body
    subjects = set(db.session.scalars(sa.select(Delivery.subject)))
    assert subjects == {
        "[Status] P1 Acknowledge due soon: Checkout down",
        "[Status] P1 Acknowledge breached: Checkout down",
    }


def test_running_again_or_after_a_restart_sends_nothing_new(app, people):
    incident = open_p1()
    roles.assign_role(incident, IncidentRole.COMMANDER, people["commander"], actor=ACTOR, now=T0)
    assert escalate_due(at(6)) == 1
    assert escalate_due(at(6)) == 0
    db.session.remove()
    with app.app_context():  # a fresh context: nothing remembered but the database
        assert escalate_due(at(7)) == 0
        assert escalate_due(at(4)) == 0  # nor a warning after the breach
    assert len(deliveries()) == 1


def test_a_target_first_seen_breached_escalates_its_breach_only(app, people):
    incident = open_p1()
    roles.assign_role(incident, IncidentRole.COMMANDER, people["commander"], actor=ACTOR, now=T0)
    # The scheduler was down from before the warning until after the due time.
    assert escalate_due(at(10)) == 1
    assert escalations() == [("acknowledge", EscalationLevel.BREACH)]
    assert timeline(incident) == [(ResponseEventKind.SLA_BREACH, "acknowledge")]
    subject = db.session.scalars(sa.select(Delivery.subject)).one()
    assert subject == "[Status] P1 Acknowledge breached: Checkout down"
    body = db.session.scalars(sa.select(Delivery.text_body)).one()
    assert "overdue by 5 min" in body


def test_with_nobody_assigned_every_active_editor_and_admin_and_the_contacts_hear(
    app, people, make_user, make_component
):
    viewer = make_user(Role.VIEWER, email="viewer@example.com")
    gone = make_user(Role.EDITOR, email="gone@example.com")
    users.set_user_active(gone, False, actor=ACTOR)
    component = make_component(name="Checkout")
    group_owner = make_component(name="Payments")
    set_contacts(
        component,
        [
            {"name": "On call", "email": "OnCall@Example.com", "notes": "pager"},
            {"name": "Left", "email": "gone@example.com", "notes": ""},
            {"name": "Viewer", "email": "viewer@example.com", "notes": "named on purpose"},
        ],
    )
    del group_owner
    incident = open_p1(components={component: ComponentStatus.MAJOR_OUTAGE})
    assert runbooks.escalation_addresses(incident) == [
        "gone@example.com",
        "oncall@example.com",
        "viewer@example.com",
    ]
    assert escalate_due(at(4)) == 1
    addresses = {address for _, address in deliveries()}
    assert addresses == {
        "ic@example.com",
        "comms@example.com",
        "other@example.com",
        "admin@example.com",
        "oncall@example.com",
        "viewer@example.com",  # as a named contact, not as a viewer
    }
    assert viewer.email in addresses and gone.email not in addresses
    text = db.session.scalars(sa.select(Delivery.text_body)).first()
    assert "nobody does" in text


def test_a_group_s_contacts_hear_of_its_components(app, people):
    from statuspage.services.components import tree

    group = tree.create_group(name="Core", actor=ACTOR)
    api = tree.create_component(name="API", group=group, actor=ACTOR)
    set_contacts(group, [{"name": "Core team", "email": "core@example.com", "notes": ""}])
    incident = open_p1(components={api: ComponentStatus.PARTIAL_OUTAGE})
    assert runbooks.escalation_addresses(incident) == ["core@example.com"]


def test_a_viewer_or_deactivated_user_is_never_in_the_fallback(app, make_user):
    make_user(Role.VIEWER, email="viewer@example.com")
    admin = make_user(Role.ADMIN, email="admin@example.com")
    gone = make_user(Role.ADMIN, email="gone@example.com")
    users.set_user_active(gone, False, actor=ACTOR)
    editor = make_user(Role.EDITOR, email="editor@example.com")
    open_p1()
    assert escalate_due(at(4)) == 1
    assert [address for _, address in deliveries()] == [admin.email, editor.email]


def test_a_deactivated_commander_is_replaced_by_the_fallback(app, people):
    incident = open_p1()
    roles.assign_role(incident, IncidentRole.COMMANDER, people["commander"], actor=ACTOR, now=T0)
    users.set_user_active(people["commander"], False, actor=ACTOR)
    assert escalate_due(at(4)) == 1
    assert "ic@example.com" not in {address for _, address in deliveries()}
    assert "admin@example.com" in {address for _, address in deliveries()}


def test_met_clocks_and_resolved_incidents_never_escalate(app, people):
    acked = open_p1("Acknowledged in time")
    roles.acknowledge_incident(acked, user=people["other"], actor=ACTOR, now=at(2))
    late = open_p1("Acknowledged late")
    roles.acknowledge_incident(late, user=people["other"], actor=ACTOR, now=at(7))
    resolved = open_p1("Over quickly")
    service.post_update(
        resolved, status=IncidentStatus.RESOLVED, body="Fixed.", actor=ACTOR, now=at(3)
    )
    # At 8 minutes: nothing due soon or breached but the met-late acknowledgement (never again).
    assert escalate_due(at(8)) == 0
    # Long after: the resolve target of the two open ones breaches; never the resolved one.
    assert escalate_due(at(600)) == 4  # each: the resolve breach and the cadence breach
    keys = {key for key, _ in deliveries()}
    assert not any(resolved.id in key for key in keys)
    assert not any(key.endswith(":acknowledge:warning") or ":acknowledge:" in key for key in keys)
    assert escalations().count(("resolve", EscalationLevel.BREACH)) == 2


def test_an_internal_incident_has_no_public_update_targets_to_escalate(app, people):
    incident = open_p1("Internal trouble", visibility=Visibility.INTERNAL)
    roles.acknowledge_incident(incident, user=people["other"], actor=ACTOR, now=at(1))
    assert escalate_due(at(100)) == 0  # first update and cadence are not applicable
    assert escalate_due(at(200)) == 1  # the resolve target warns at 192 minutes
    assert escalations() == [("resolve", EscalationLevel.WARNING)]


def test_each_gap_of_the_update_cadence_escalates_on_its_own(app, people):
    incident = open_p1()
    roles.acknowledge_incident(incident, user=people["other"], actor=ACTOR, now=at(1))
    # The next public update is due 30 minutes after the first: warned at 24.
    assert escalate_due(at(24)) == 1
    service.post_update(
        incident, status=IncidentStatus.IDENTIFIED, body="Found it.", actor=ACTOR, now=at(26)
    )
    assert escalate_due(at(49)) == 0
    assert escalate_due(at(50)) == 1  # due at 56, warned at 50: the second gap
    assert escalations() == [
        ("update_cadence:1", EscalationLevel.WARNING),
        ("update_cadence:2", EscalationLevel.WARNING),
    ]


def test_the_lead_time_comes_from_the_policy(app, people):
    configure_response_policy(matrix=DEFAULT_MATRIX, sla=DEFAULT_SLA, lead_percent=60, actor=ACTOR)
    db.session.remove()
    with app.app_context():
        open_p1()
        # 60 % of the 5 minutes before the due time: at 2 minutes.
        assert escalate_due(at(1.99)) == 0
        assert escalate_due(at(2)) == 1


def test_a_tick_reads_a_bounded_number_of_queries(app, people, make_component, count_queries):
    component = make_component()
    for i in range(3):
        open_p1(f"Incident {i}", components={component: ComponentStatus.DEGRADED_PERFORMANCE})
    with app.app_context(), count_queries() as few:
        assert escalate_due(at(1)) == 0
    for i in range(3, 12):
        open_p1(f"Incident {i}", components={component: ComponentStatus.DEGRADED_PERFORMANCE})
    with app.app_context(), count_queries() as many:
        assert escalate_due(at(1)) == 0
    assert len(many) == len(few) <= 10


REFUSE = {
    "sqlite": [
        "CREATE TRIGGER refuse_delivery BEFORE INSERT ON delivery"
        " WHEN NEW.to_address = 'broken@example.com'"
        " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_delivery() RETURNS trigger AS $$ BEGIN"
        " IF NEW.to_address = 'broken@example.com' THEN RAISE EXCEPTION 'refused by the test';"
        " END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_delivery BEFORE INSERT ON delivery"
        " FOR EACH ROW EXECUTE FUNCTION refuse_delivery()",
    ],
}
ALLOW = {
    "sqlite": ["DROP TRIGGER refuse_delivery"],
    "postgresql": [
        "DROP TRIGGER refuse_delivery ON delivery",
        "DROP FUNCTION refuse_delivery()",
    ],
}


def _run(statements: list[str]) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))


def test_one_incident_failing_neither_blocks_the_others_nor_half_escalates(app, make_user):
    """The database refuses one incident's mail (a trigger): that incident's transaction rolls
    back whole (no once-only row, no timeline entry), the other's goes out, and the failed one
    is escalated on a later tick."""
    broken = make_user(Role.EDITOR, email="broken@example.com")
    fine = make_user(Role.EDITOR, email="fine@example.com")
    first = open_p1("First", commander=broken)
    second = open_p1("Second", commander=fine)
    dialect = db.engine.dialect.name
    _run(REFUSE[dialect])
    try:
        assert escalate_due(at(6)) == 1
    finally:
        _run(ALLOW[dialect])
    db.session.expire_all()
    assert deliveries() == [(f"escalation:{second.id}:acknowledge:breach", "fine@example.com")]
    assert timeline(first) == [] and timeline(second) == [
        (ResponseEventKind.SLA_BREACH, "acknowledge")
    ]
    assert escalate_due(at(7)) == 1  # the refused one, now that the database takes it
    assert timeline(first) == [(ResponseEventKind.SLA_BREACH, "acknowledge")]
