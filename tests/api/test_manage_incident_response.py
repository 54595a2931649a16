"""The management API's incident response: urgency, priority and its override, roles,
acknowledgement and SLA clocks on every incident answer; and backfilled incidents, replayed
at their own times so the status history, the uptime and the history page read as if live."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import (
    Audience,
    ComponentStatus,
    ResponseEventKind,
    Role,
    TokenScope,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import (
    AuditEntry,
    ComponentDay,
    ComponentStatusChange,
    Delivery,
    Incident,
    NotificationEvent,
    ResponseEvent,
)
from statuspage.services.components import uptime
from statuspage.services.notices import incidents
from statuspage.services.outbox import delivery, events
from statuspage.services.subscribers import signup as subscribers
from tests.conftest import ACTOR
from tests.helpers import Api, fields_of

TARGETS = {"acknowledge", "first_update", "update_cadence", "resolve"}


@pytest.fixture
def editor(make_user):
    return make_user(Role.EDITOR, email="editor@example.com", name="Eddie Editor")


@pytest.fixture
def api(client, make_api_token, editor):
    """A write token made by an editor."""
    return Api(client, make_api_token(TokenScope.WRITE, user=editor, name="Ops bot"))


@pytest.fixture
def reader(client, make_api_token, make_user):
    """A viewer's token: read scope, whatever it was made with."""
    return Api(client, make_api_token(TokenScope.READ, user=make_user(Role.VIEWER)))


def open_via_api(api, **fields):
    body = {"name": "Checkout down", "body": "We are looking.", **fields}
    response = api.post("/incidents", body)
    assert response.status_code == 201, response.text
    return response.get_json()["data"]


def user_json(user):
    return {"id": user.id, "email": user.email, "name": user.name}


# Reading and writing the response fields


def test_a_new_incident_carries_its_response(api, editor, make_user):
    commander = make_user(Role.EDITOR, email="cmd@example.com", name="Cmd")
    data = open_via_api(api, impact="major", urgency="high", commander="CMD@example.com")
    assert data["urgency"] == "high"
    assert data["priority"] == data["computed_priority"] == "P1"
    assert data["priority_override_reason"] is None
    assert data["roles"] == {
        "commander": user_json(commander),
        "comms_lead": None,
        "responders": [],
    }
    assert data["acknowledged_at"] is None and data["acknowledged_by"] is None
    assert set(data["sla"]) == TARGETS
    ack = data["sla"]["acknowledge"]
    assert ack["minutes"] == 5 and ack["state"] == "running" and not ack["breached"]
    assert ack["due_at"] and ack["met_at"] is None
    first = data["sla"]["first_update"]
    assert first["state"] == "met" and first["met_at"]  # the opening update is public


def test_urgency_defaults_to_medium_and_the_commander_may_be_named_by_id(api, make_user):
    commander = make_user(Role.EDITOR)
    data = open_via_api(api, commander=commander.id)
    assert (data["urgency"], data["priority"]) == ("medium", "P3")
    assert data["roles"]["commander"]["id"] == commander.id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"urgency": "extreme"}, "urgency"),
        ({"commander": "nobody@example.com"}, "commander"),
        ({"commander": 999_999}, "commander"),
        ({"commander": True}, "commander"),
    ],
)
def test_opening_refuses_bad_response_fields_by_name(api, body, field):
    response = api.post("/incidents", {"name": "X", "body": "Y", **body})
    assert field in fields_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_patch_writes_every_response_field(api, make_user):
    incident = open_via_api(api, impact="minor")
    path = f"/incidents/{incident['id']}"
    lead, first, second = (make_user(Role.EDITOR) for _ in range(3))

    data = api.patch(path, {"urgency": "high"}).get_json()["data"]
    assert (data["urgency"], data["priority"], data["computed_priority"]) == ("high", "P2", "P2")

    data = api.patch(path, {"priority": "P1", "priority_override_reason": "Biggest customer"})
    data = data.get_json()["data"]
    assert (data["priority"], data["computed_priority"]) == ("P1", "P2")
    assert data["priority_override_reason"] == "Biggest customer"
    assert data["sla"]["acknowledge"]["minutes"] == 5  # P1's targets now

    data = api.patch(path, {"priority": None}).get_json()["data"]
    assert (data["priority"], data["priority_override_reason"]) == ("P2", None)

    roles = {
        "commander": lead.email,
        "comms_lead": first.id,
        "responders": [first.id, second.email],
    }
    data = api.patch(path, {"roles": roles}).get_json()["data"]
    assert data["roles"] == {
        "commander": user_json(lead),
        "comms_lead": user_json(first),
        "responders": [user_json(first), user_json(second)],
    }
    data = api.patch(path, {"roles": {"comms_lead": None, "responders": [second.id]}})
    data = data.get_json()["data"]
    assert data["roles"]["commander"] == user_json(lead)  # left out: unchanged
    assert data["roles"]["comms_lead"] is None
    assert data["roles"]["responders"] == [user_json(second)]
    assert api.get(path).get_json()["data"]["roles"] == data["roles"]
    listed = api.get("/incidents").get_json()["data"][0]
    assert listed["roles"] == data["roles"] and set(listed["sla"]) == TARGETS


def test_a_patch_is_one_transaction(api, make_user):
    """A refused part (an unknown responder) leaves the other parts unwritten too."""
    incident = open_via_api(api)
    path = f"/incidents/{incident['id']}"
    response = api.patch(
        path, {"urgency": "high", "roles": {"responders": [make_user().id, "ghost@example.com"]}}
    )
    assert "roles.responders[1]" in fields_of(response)
    data = api.get(path).get_json()["data"]
    assert data["urgency"] == "medium" and data["roles"]["responders"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priority": "P1"}, "priority_override_reason"),
        ({"priority": "P1", "priority_override_reason": "   "}, "priority_override_reason"),
        ({"priority_override_reason": "Why not"}, "priority_override_reason"),
        ({"priority": "P9", "priority_override_reason": "x"}, "priority"),
        ({"urgency": "urgent"}, "urgency"),
        ({"roles": {"commander": "ghost@example.com"}}, "roles.commander"),
        ({"roles": {"comms_lead": 123456}}, "roles.comms_lead"),
        ({"roles": {"commander": 2**63}}, "roles.commander"),
        ({"roles": {"commander": 0}}, "roles.commander"),
        ({"roles": {"responders": [-1]}}, "roles.responders[0]"),
        ({"roles": {"responders": "a@example.com"}}, "roles.responders"),
        ({"roles": {"responders": ["ghost@example.com"]}}, "roles.responders[0]"),
        ({"roles": {"owner": 1}}, "roles.owner"),
        ({"roles": []}, "roles"),
    ],
)
def test_patch_refuses_bad_response_fields_by_name(api, body, field):
    incident = open_via_api(api)
    assert field in fields_of(api.patch(f"/incidents/{incident['id']}", body))


def test_acknowledging_twice_returns_the_same_acknowledgement(api, editor):
    incident = open_via_api(api)
    path = f"/incidents/{incident['id']}/acknowledge"
    first = api.post(path)
    assert first.status_code == 200, first.text
    data = first.get_json()["data"]
    assert data["acknowledged_by"] == user_json(editor)
    assert data["sla"]["acknowledge"]["state"] == "met"
    second = api.post(path, {})
    assert second.status_code == 200
    again = second.get_json()["data"]
    assert (again["acknowledged_at"], again["acknowledged_by"]) == (
        data["acknowledged_at"],
        data["acknowledged_by"],
    )
    acks = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "acknowledge_incident")
    ).all()
    assert acks and {a.actor_label for a in acks} == {"token Ops bot"}
    assert len({a.at for a in acks}) == 1  # one acknowledgement written, once
    recorded = sa.select(sa.func.count()).where(
        ResponseEvent.notice_id == incident["id"],
        ResponseEvent.kind == ResponseEventKind.ACKNOWLEDGED,
    )
    assert db.session.scalar(recorded) == 1


def test_a_resolved_unacknowledged_incident_cannot_be_acknowledged(api):
    incident = open_via_api(api)
    assert (
        api.post(
            f"/incidents/{incident['id']}/updates", {"status": "resolved", "body": "Fixed."}
        ).status_code
        == 201
    )
    response = api.post(f"/incidents/{incident['id']}/acknowledge")
    assert response.status_code == 409
    assert "acknowledged_at" in response.get_json()["error"]["fields"]
    data = api.get(f"/incidents/{incident['id']}").get_json()["data"]
    assert data["acknowledged_at"] is None


def test_acknowledge_takes_no_fields(api):
    incident = open_via_api(api)
    assert "x" in fields_of(api.post(f"/incidents/{incident['id']}/acknowledge", {"x": 1}))


def test_a_viewers_token_sees_the_fields_but_cannot_write_them(api, reader):
    incident = open_via_api(api, urgency="low")
    data = reader.get(f"/incidents/{incident['id']}").get_json()["data"]
    assert data["urgency"] == "low" and set(data["sla"]) == TARGETS and "roles" in data
    assert "roles" in reader.get("/incidents").get_json()["data"][0]
    assert reader.patch(f"/incidents/{incident['id']}", {"urgency": "high"}).status_code == 403
    assert reader.post(f"/incidents/{incident['id']}/acknowledge").status_code == 403
    assert api.get(f"/incidents/{incident['id']}").get_json()["data"]["acknowledged_at"] is None


def test_maintenance_answers_have_no_response_fields(api, make_maintenance, make_component):
    make_maintenance([make_component()])
    window = api.get("/maintenance").get_json()["data"][0]
    assert not {"urgency", "priority", "roles", "sla", "acknowledged_at"} & set(window)


# Backfilled incidents


def at(base: datetime, hours: float) -> str:
    return (base + timedelta(hours=hours)).isoformat()


@pytest.fixture
def day() -> datetime:
    """Midnight UTC (the page's zone) three days ago: the backfilled day."""
    today = utcnow().astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=3), datetime.min.time(), tzinfo=UTC)


@pytest.fixture
def component(make_component, day):
    return make_component(name="Checkout", start_date=(day - timedelta(days=30)).date())


def history_body(component, day, **overrides):
    body = {
        "name": "Checkout outage",
        "body": "Checkout is failing.",
        "impact": "major",
        "components": {component.id: "major_outage"},
        "started_at": at(day, 10),
        "acknowledged_at": at(day, 10.1),
        "updates": [
            {"status": "identified", "body": "A bad deploy.", "display_at": at(day, 10.5)},
            {"status": "monitoring", "body": "Rolled back.", "display_at": at(day, 11.5)},
        ],
        "resolved_at": at(day, 12),
    }
    body.update(overrides)
    return body


def rows(component, audience):
    changes = db.session.scalars(
        sa.select(ComponentStatusChange)
        .where(
            ComponentStatusChange.component_id == component.id,
            ComponentStatusChange.audience == audience,
        )
        .order_by(ComponentStatusChange.at, ComponentStatusChange.id)
    )
    return [(c.old_status, c.new_status, c.at, c.cause) for c in changes]


def day_rows(component):
    found = db.session.scalars(
        sa.select(ComponentDay).where(ComponentDay.component_id == component.id)
    )
    return sorted(
        (r.audience, r.day, r.major_seconds, r.partial_seconds, r.degraded_seconds) for r in found
    )


def test_a_backfilled_incident_reads_as_if_it_had_happened(
    api, client, component, make_component, day, editor
):
    response = api.post("/incidents", history_body(component, day))
    assert response.status_code == 201, response.text
    data = response.get_json()["data"]
    assert data["status"] == "resolved"
    assert data["started_at"].startswith((day + timedelta(hours=10)).strftime("%Y-%m-%dT10:00"))
    assert [u["status"] for u in data["incident_updates"]] == [
        "resolved",
        "monitoring",
        "identified",
        "investigating",
    ]
    assert data["acknowledged_by"] == user_json(editor)
    assert data["sla"]["acknowledge"]["state"] == "met"
    assert data["sla"]["resolve"]["state"] == "met"  # two hours, inside P2's eight

    # The same history written live, at its times, on a twin component.
    twin = make_component(name="Twin", start_date=component.start_date)
    live = incidents.open_incident(
        name="Twin outage",
        body="Failing.",
        impact="major",
        components={twin: ComponentStatus.MAJOR_OUTAGE},
        started_at=day + timedelta(hours=10),
        actor=ACTOR,
        now=day + timedelta(hours=10),
    )
    incidents.resolve_incident(live, body="Fixed.", actor=ACTOR, now=day + timedelta(hours=12))

    down, up = day + timedelta(hours=10), day + timedelta(hours=12)
    expected = [
        (ComponentStatus.OPERATIONAL, ComponentStatus.MAJOR_OUTAGE, down),
        (ComponentStatus.MAJOR_OUTAGE, ComponentStatus.OPERATIONAL, up),
    ]
    for audience in Audience:
        assert [r[:3] for r in rows(component, audience)] == expected
        assert rows(component, audience) == rows(twin, audience)
    assert day_rows(component) == [
        (audience, day.date(), 7200, 0, 0) for audience in sorted(Audience)
    ]
    assert [r[1:] for r in day_rows(component)] == [r[1:] for r in day_rows(twin)]

    bars = uptime.build_uptime([component, twin], now=utcnow(), days=90)
    assert bars[component.id].percent == pytest.approx(bars[twin.id].percent)
    assert bars[component.id].percent < 100
    bar = next(b for b in bars[component.id].bars if b.day == day.date())
    assert bar.status is ComponentStatus.MAJOR_OUTAGE
    assert bar.minutes == {ComponentStatus.MAJOR_OUTAGE: 120}

    month = day.strftime("%Y-%m")
    page = client.get(f"/history?month={month}").get_data(as_text=True)
    assert "Checkout outage" in page and "Twin outage" in page
    detail = client.get(f"/incidents/{data['id']}").get_data(as_text=True)
    for words in ("A bad deploy.", "Rolled back.", "Checkout is failing."):
        assert words in detail
    assert client.get("/api/v2/components.json").get_json()["components"][0]["status"] == (
        "operational"
    )


def test_a_backfill_may_end_with_its_own_resolving_update(api, component, day):
    body = history_body(
        component,
        day,
        resolved_at=None,
        updates=[{"status": "resolved", "body": "All good.", "display_at": at(day, 11)}],
    )
    del body["resolved_at"]
    data = api.post("/incidents", body).get_json()["data"]
    assert data["status"] == "resolved"
    assert [u["body"] for u in data["incident_updates"]][0] == "All good."
    assert [r[2] for r in rows(component, Audience.PUBLIC)] == [
        day + timedelta(hours=10),
        day + timedelta(hours=11),
    ]


def test_a_backfill_still_open_keeps_its_claims(api, component, day):
    body = history_body(component, day, updates=[])
    del body["resolved_at"]
    data = api.post("/incidents", body).get_json()["data"]
    assert data["status"] == "investigating" and data["resolved_at"] is None
    db.session.refresh(component)
    assert component.status is ComponentStatus.MAJOR_OUTAGE
    assert component.status_since == day + timedelta(hours=10)


def future(day) -> str:
    return (utcnow() + timedelta(hours=1)).isoformat()


def up(hours, status="identified"):
    """An update at *hours* into the backfilled day."""
    return lambda day: {"status": status, "body": "More.", "display_at": at(day, hours)}


def hours(value):
    return lambda day: at(day, value)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"started_at": future}, "started_at"),
        ({"acknowledged_at": future}, "acknowledged_at"),
        ({"resolved_at": future}, "resolved_at"),
        (
            {
                "updates": [
                    lambda day: {"status": "identified", "body": "x", "display_at": future(day)}
                ]
            },
            "updates[0].display_at",
        ),
        ({"updates": [up(9)]}, "updates[0].display_at"),
        ({"updates": [up(10.5), up(11), up(10.7)]}, "updates[2].display_at"),
        ({"updates": [up(10.5, "resolved"), up(11)]}, "updates[0].status"),
        ({"acknowledged_at": hours(9)}, "acknowledged_at"),
        ({"acknowledged_at": hours(13)}, "acknowledged_at"),
        ({"resolved_at": hours(11)}, "resolved_at"),
        ({"updates": [up(11, "resolved")], "resolved_at": hours(11.5)}, "resolved_at"),
        ({"started_at": hours(-800)}, "started_at"),  # before the component's start date
        ({"updates": [lambda day: {"status": "identified", "body": "x"}]}, "updates[0].display_at"),
        ({"updates": [lambda day: {**up(10.5)(day), "status": "fixed"}]}, "updates[0].status"),
        ({"updates": [lambda day: {**up(10.5)(day), "body": " "}]}, "updates[0].body"),
        ({"updates": [lambda day: {**up(10.5)(day), "at": 1}]}, "updates[0].at"),
        ({"updates": [lambda day: "later"]}, "updates[0]"),
        ({"updates": lambda day: {"a": 1}}, "updates"),
        ({"started_at": lambda day: None}, "started_at"),
        ({"deliver_notifications": lambda day: True}, "deliver_notifications"),
    ],
)
def test_backfill_order_violations_are_422_naming_the_field(api, component, day, overrides, field):
    body = history_body(component, day)
    for key, value in overrides.items():
        body[key] = [make(day) for make in value] if isinstance(value, list) else value(day)
    assert field in fields_of(api.post("/incidents", body))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0
    assert rows(component, Audience.PUBLIC) == []


def test_a_component_created_after_the_start_has_no_history_then(api, make_component, day):
    """Without a start date the component's creation day is where its history begins."""
    fresh = make_component(name="Fresh", now=day + timedelta(days=1))
    assert "started_at" in fields_of(api.post("/incidents", history_body(fresh, day)))


def twin_of(make_component, component):
    return make_component(name=f"Twin of {component.name}", start_date=component.start_date)


def live_history(component, day, *, start, end, status=ComponentStatus.MAJOR_OUTAGE):
    """An incident written live on *component* from *start* to *end* hours into *day*."""
    incident = incidents.open_incident(
        name="Live",
        body="Live.",
        components={component: status},
        started_at=day + timedelta(hours=start),
        actor=ACTOR,
        now=day + timedelta(hours=start),
    )
    if end is not None:
        incidents.resolve_incident(
            incident, body="Fixed.", actor=ACTOR, now=day + timedelta(hours=end)
        )
    return incident


def same_history(component, twin):
    """The same status lines and day rows on both (causes included, notices aside)."""
    for audience in Audience:
        assert rows(component, audience) == rows(twin, audience), audience
    assert [r[1:] for r in day_rows(component)] == [r[1:] for r in day_rows(twin)]
    for audience in Audience:
        assert (component.status_for(audience), component.status_since_for(audience)) == (
            twin.status_for(audience),
            twin.status_since_for(audience),
        )


@pytest.mark.parametrize(
    ("later", "label"),
    [
        ((24, None, ComponentStatus.PARTIAL_OUTAGE), "a later incident still open"),
        ((30, 40, ComponentStatus.DEGRADED_PERFORMANCE), "a later incident resolved"),
        ((9, 11, ComponentStatus.PARTIAL_OUTAGE), "an overlapping one starting before"),
        ((10.5, 11, ComponentStatus.PARTIAL_OUTAGE), "one inside the backfilled span"),
        ((11, 14, ComponentStatus.MAJOR_OUTAGE), "one ending after it"),
        ((12, 13, ComponentStatus.PARTIAL_OUTAGE), "one starting as it ends"),
    ],
)
def test_a_backfill_is_inserted_into_later_history_as_if_live(
    api, client, component, make_component, day, later, label
):
    """The component already has history after the backfilled start: the result equals the
    same two incidents written live in time order on a twin."""
    twin = twin_of(make_component, component)
    start, end, status = later
    live_history(component, day, start=start, end=end, status=status)
    # The twin: the backfilled incident (10:00 to 12:00, major) and the other written live,
    # every opening and resolution in time order (an opening first at the same time).
    steps = [(10, 0, "mine", None), (12, 1, "mine", None), (start, 0, "other", status)]
    if end is not None:
        steps.append((end, 1, "other", None))
    opened = {}
    for hours_at, resolves, which, claim in sorted(steps, key=lambda s: (s[0], s[1])):
        when = day + timedelta(hours=hours_at)
        if resolves:
            incidents.resolve_incident(opened[which], body="Fixed.", actor=ACTOR, now=when)
        else:
            opened[which] = incidents.open_incident(
                name=which,
                body="Open.",
                components={twin: claim or ComponentStatus.MAJOR_OUTAGE},
                started_at=when,
                actor=ACTOR,
                now=when,
            )

    response = api.post("/incidents", history_body(component, day))
    assert response.status_code == 201, response.text
    db.session.expire_all()
    same_history(component, twin)
    bars = uptime.build_uptime([component, twin], now=utcnow(), days=90)
    assert bars[component.id].percent == pytest.approx(bars[twin.id].percent)
    assert [b.minutes for b in bars[component.id].bars] == [b.minutes for b in bars[twin.id].bars]


def test_a_backfill_into_later_history_records_its_updates_statuses(
    api, component, day, make_incident
):
    make_incident({component: ComponentStatus.PARTIAL_OUTAGE}, now=day + timedelta(days=1))
    data = api.post("/incidents", history_body(component, day)).get_json()["data"]
    moves = [
        (c["old_status"], c["new_status"])
        for u in reversed(data["incident_updates"])
        for c in u["affected_components"] or []
    ]
    assert moves[0] == ("operational", "major_outage")
    assert moves[-1] == ("major_outage", "operational")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 2


def test_a_backfill_is_never_mailed(api, component, day, smtp_server, smtp_mailer, now):
    reader = subscribers.subscribe(email="reader@example.com", actor=ACTOR)
    subscribers.confirm_subscription(reader, actor=ACTOR)

    def send_everything():
        events.fan_out_events()
        while delivery.deliver_pending(smtp_mailer).sent:
            pass

    send_everything()
    smtp_server.sink.messages.clear()  # the confirmation's welcome, if any
    deliveries = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    assert api.post("/incidents", history_body(component, day)).status_code == 201
    send_everything()
    assert smtp_server.sink.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationEvent)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == deliveries

    # The same subscriber does hear about a live incident: the setup can mail.
    assert api.post("/incidents", {"name": "Live", "body": "Now."}).status_code == 201
    send_everything()
    assert [m["To"] for m in smtp_server.sink.messages] == ["reader@example.com"]


def test_backfilled_writes_are_audited_at_their_times(api, component, day):
    api.post("/incidents", history_body(component, day))
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "backfill_incident")
    ).all()
    assert entries and {e.actor_label for e in entries} == {"token Ops bot"}
    assert min(e.at for e in entries) == day + timedelta(hours=10)


@pytest.mark.parametrize("visibility", [Visibility.PUBLIC, Visibility.INTERNAL])
def test_an_open_backfill_before_later_history_keeps_claiming(
    api, component, make_component, day, visibility
):
    """Still open once recorded, before a later incident (public, or internal: only the
    internal line has later history) on the same component."""
    twin = twin_of(make_component, component)
    for target in (twin, component):
        if target is twin:
            mine = incidents.open_incident(
                name="Mine",
                body="Open.",
                components={twin: ComponentStatus.MAJOR_OUTAGE},
                started_at=day + timedelta(hours=10),
                actor=ACTOR,
                now=day + timedelta(hours=10),
            )
        other = incidents.open_incident(
            name="Other",
            body="Open.",
            components={target: ComponentStatus.PARTIAL_OUTAGE},
            visibility=visibility,
            started_at=day + timedelta(hours=30),
            actor=ACTOR,
            now=day + timedelta(hours=30),
        )
        incidents.resolve_incident(other, body="Fixed.", actor=ACTOR, now=day + timedelta(hours=40))
    assert mine.resolved_at is None
    body = history_body(component, day, updates=[])
    del body["resolved_at"]
    assert api.post("/incidents", body).status_code == 201
    db.session.expire_all()
    same_history(component, twin)
    assert component.status is ComponentStatus.MAJOR_OUTAGE
