"""Mail of the post-incident review, through the outbox to a real SMTP server: a published
postmortem reaches the incident's subscribers once, by their scopes, and digest readers in
their digest; an overdue action item's owner is mailed exactly once."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from statuspage.enums import ActionItemStatus, Cadence, DeliveryKind, Role
from statuspage.enums import ComponentStatus as S
from statuspage.extensions import db
from statuspage.models import ActionItem, Delivery, Incident, NotificationEvent
from statuspage.services.errors import InvalidTransition
from statuspage.services.notices import due_work, incidents
from statuspage.services.outbox import delivery
from statuspage.services.review import action_items as items_service
from statuspage.services.review import postmortems
from statuspage.services.subscribers.digests import queue_due_digests
from tests.conftest import ACTOR


def fresh(incident):
    db.session.expire_all()
    return db.session.get_one(Incident, incident.id)


def postmortem_mails(sink, address):
    return [m for m in sink.to(address) if m["Subject"].endswith("— Postmortem")]


def test_a_published_postmortem_reaches_the_incidents_subscribers_once(
    smtp_server, send_all, make_subscriber, make_group, make_component, make_incident, now
):
    core = make_group(name="Core")
    api = make_component(name="API", group=core)
    cdn = make_component(name="CDN")
    for address, scope in (
        ("all@example.com", {}),
        ("api@example.com", {"components": (api,)}),
        ("core@example.com", {"groups": (core,)}),
        ("cdn@example.com", {"components": (cdn,)}),
        ("daily@example.com", {"cadence": Cadence.DAILY}),
    ):
        make_subscriber(address, **scope)
    incident = make_incident({api: S.MAJOR_OUTAGE}, name="Checkout errors", now=now)
    # Resolved later than opened: two updates at one instant have no order to thread by.
    incidents.resolve_incident(
        incident, body="Rolled back.", actor=ACTOR, now=now + timedelta(minutes=30)
    )
    send_all()
    postmortems.save_postmortem(incident, body="## Summary\n\nA bad push.", actor=ACTOR)
    send_all()
    sink = smtp_server.sink
    assert postmortem_mails(sink, "all@example.com") == []  # a draft tells nobody
    postmortems.publish_postmortem(fresh(incident), notify=True, actor=ACTOR)
    try:
        postmortems.publish_postmortem(fresh(incident), notify=True, actor=ACTOR)
    except InvalidTransition:
        pass
    postmortems.save_postmortem(fresh(incident), body="## Summary\n\nEdited.", actor=ACTOR)
    send_all()
    send_all()
    heard = {
        address: len(postmortem_mails(sink, address))
        for address in (
            "all@example.com",
            "api@example.com",
            "core@example.com",
            "cdn@example.com",
            "daily@example.com",
        )
    }
    assert heard == {
        "all@example.com": 1,
        "api@example.com": 1,
        "core@example.com": 1,
        "cdn@example.com": 0,
        "daily@example.com": 0,
    }
    keys = db.session.scalars(sa.select(NotificationEvent.key)).all()
    assert len([k for k in keys if k.startswith("postmortem:")]) == 1
    [mail] = postmortem_mails(sink, "api@example.com")
    assert mail["Subject"] == "[Status] Checkout errors — Postmortem"
    [opened] = [m for m in sink.to("api@example.com") if m["Subject"].endswith("Investigating")]
    assert mail["In-Reply-To"] == opened["Message-ID"]  # threads with the incident's mail
    text = mail.get_body(("plain",)).get_content()
    # Composed when sent, like an update's mail: the text as it stands then.
    assert "Edited." in text and "Unsubscribe: http" in text
    assert fresh(incident).postmortem.notified_at is not None


def test_publishing_without_notifying_mails_nobody(
    smtp_server, send_all, make_subscriber, make_incident, now
):
    make_subscriber("all@example.com")
    incident = make_incident(name="Quiet one", now=now)
    incidents.resolve_incident(incident, body="Done.", actor=ACTOR, now=now)
    postmortems.save_postmortem(incident, body="Words.", actor=ACTOR)
    postmortems.publish_postmortem(fresh(incident), notify=False, actor=ACTOR)
    send_all()
    assert postmortem_mails(smtp_server.sink, "all@example.com") == []
    assert fresh(incident).postmortem.notified_at is None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_digest_readers_find_the_postmortem_in_their_digest(
    app, smtp_server, smtp_mailer, make_subscriber, make_component
):
    api = make_component(name="API", now=at("2026-01-01T00:00"))
    make_subscriber("daily@example.com", cadence=Cadence.DAILY, now=at("2026-11-09T09:00"))
    outage = incidents.open_incident(
        name="API errors",
        body="Errors.",
        components={api: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=at("2026-11-09T10:00"),
    )
    incidents.resolve_incident(outage, body="Fixed.", actor=ACTOR, now=at("2026-11-09T11:00"))
    assert queue_due_digests(now=at("2026-11-10T08:00")) == 1
    postmortems.save_postmortem(
        outage, body="POSTMORTEMWORDS", actor=ACTOR, now=at("2026-11-10T09:00")
    )
    postmortems.publish_postmortem(
        fresh(outage), notify=True, actor=ACTOR, now=at("2026-11-10T10:00")
    )
    assert queue_due_digests(now=at("2026-11-11T08:00")) == 1
    delivery.deliver_pending(smtp_mailer, now=at("2026-11-11T08:01"))
    digests = [m for m in smtp_server.sink.to("daily@example.com") if "digest" in m["Subject"]]
    assert len(digests) == 2
    text = digests[1].get_body(("plain",)).get_content()
    assert "10 Nov 2026, 10:00 UTC — Postmortem published:" in text
    assert "POSTMORTEMWORDS" in text
    assert "POSTMORTEMWORDS" in digests[1].get_body(("html",)).get_content()
    assert "POSTMORTEMWORDS" not in digests[0].get_body(("plain",)).get_content()


def test_an_overdue_action_items_owner_is_mailed_exactly_once(
    app, smtp_server, send_all, make_incident, make_user, now
):
    if (now + timedelta(hours=1)).date() != now.date():
        now -= timedelta(hours=2)  # the hour after must be the same day ("Due today" stays due)
    owner = make_user(Role.EDITOR, name="Olive Owner", email="olive@example.com")
    owner_id = owner.id
    incident = make_incident(name="Queue stalled", now=now)
    today = now.date()  # the page is in UTC

    def add(title, due_on, status=ActionItemStatus.OPEN):
        return items_service.create_action_item(
            incident,
            items_service.ActionItemInput(
                title=title, owner_id=owner.id, due_on=due_on, status=status
            ),
            actor=ACTOR,
            now=now - timedelta(days=10),
        )

    late_id = add("Add a queue depth alert", today - timedelta(days=1)).id
    add("Due today", today)
    add("Done already", today - timedelta(days=2), ActionItemStatus.DONE)
    add("Dropped", today - timedelta(days=2), ActionItemStatus.WONT_DO)
    assert due_work.run_due_work(now=now).overdue_notified == 1
    assert due_work.run_due_work(now=now + timedelta(minutes=1)).overdue_notified == 0
    db.session.remove()  # a restart: nothing kept in memory
    assert items_service.notify_overdue_action_items(now=now + timedelta(hours=1)) == 0
    send_all()
    send_all()
    [mail] = smtp_server.sink.to("olive@example.com")
    assert mail["Subject"] == "[Status] Action item overdue: Add a queue depth alert"
    text = mail.get_body(("plain",)).get_content()
    assert "Queue stalled" in text and "/admin/action-items/" in text
    [row] = db.session.scalars(
        sa.select(Delivery).where(Delivery.kind == DeliveryKind.ACTION_OVERDUE)
    ).all()
    assert row.subscriber_id is None and row.to_address == "olive@example.com"

    # A new due date is a new commitment: it can fall overdue (and be mailed) once more.
    item = db.session.get_one(ActionItem, late_id)
    items_service.update_action_item(
        item,
        items_service.ActionItemInput(
            title=item.title, owner_id=owner_id, due_on=today + timedelta(days=1)
        ),
        actor=ACTOR,
        now=now,
    )
    # Tomorrow "Due today" is overdue; the moved item only the day after.
    assert items_service.notify_overdue_action_items(now=now + timedelta(days=1)) == 1
    assert items_service.notify_overdue_action_items(now=now + timedelta(days=2)) == 1
    assert items_service.notify_overdue_action_items(now=now + timedelta(days=3)) == 0
