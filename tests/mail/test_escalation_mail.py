"""Escalation mail through the real outbox and a real SMTP server: what staff receive, that no
subscriber ever does, and that two schedulers at once (threads with their own connections, on
PostgreSQL or a SQLite file) send each escalation once, as does a restarted one."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import (
    DeliveryKind,
    DeliveryState,
    Impact,
    IncidentRole,
    Role,
    Urgency,
)
from statuspage.extensions import db
from statuspage.models import Delivery, ResponseEvent, SlaEscalation
from statuspage.services.notices import incidents
from statuspage.services.outbox import delivery
from statuspage.services.response import roles
from statuspage.services.response.escalation import escalate_due
from statuspage.services.site import configure as settings
from statuspage.templating import format_datetime
from tests.conftest import ACTOR, _empty_tables, database_url, is_postgres, make_app


def open_p1(now, name="Checkout down"):
    return incidents.open_incident(
        name=name,
        body="Investigating.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        actor=ACTOR,
        now=now,
    )


def message_text(message):
    parts = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def test_staff_receive_the_warning_and_the_breach_and_subscribers_never_do(
    app, smtp_server, smtp_mailer, send_all, make_subscriber, make_user, now
):
    settings.update_settings(
        page_name="Acme",
        base_url="https://status.example.com",
        timezone="Europe/Berlin",
        brand_colour=None,
        support_url=None,
        footer_text="",
        default_notify=True,
        actor=ACTOR,
    )
    make_subscriber("reader@example.com")
    commander = make_user(Role.EDITOR, email="ic@example.com", name="Ida Commander")
    comms = make_user(Role.EDITOR, email="comms@example.com")
    make_user(Role.ADMIN, email="admin@example.com")  # someone else runs it: not told
    incident = open_p1(now)
    roles.assign_role(incident, IncidentRole.COMMANDER, commander, actor=ACTOR, now=now)
    roles.assign_role(incident, IncidentRole.COMMS_LEAD, comms, actor=ACTOR, now=now)
    assert escalate_due(now + timedelta(minutes=4)) == 1
    assert escalate_due(now + timedelta(minutes=5)) == 1
    send_all(now=now + timedelta(minutes=5))

    sink = smtp_server.sink
    assert [m["Subject"] for m in sink.to("reader@example.com")] == [
        "[Acme] Confirm your subscription",
        "[Acme] Checkout down — Investigating",
    ]  # the public notification, and no escalation
    assert sink.to("admin@example.com") == []
    for address in ("ic@example.com", "comms@example.com"):
        subjects = [m["Subject"] for m in sink.to(address)]
        assert subjects == [
            "[Acme] P1 Acknowledge due soon: Checkout down",
            "[Acme] P1 Acknowledge breached: Checkout down",
        ]
    warning, breach = sink.to("ic@example.com")
    text = message_text(breach)
    due = format_datetime(now + timedelta(minutes=5))
    assert due.endswith(("CET", "CEST"))  # in the page's zone, labelled
    admin_url = f"https://status.example.com/admin/incidents/{incident.id}"
    for expected in (
        "Checkout down",
        "P1",
        "Acknowledge (5 min for P1) is breached",
        f"it was due {due}, overdue by under 1 min",
        "not acknowledged",
        "Commander: Ida Commander <ic@example.com>",
        "Communications lead: comms@example.com",
        admin_url,
        f'href="{admin_url}"',
        f"https://status.example.com/internal/incidents/{incident.id}",
    ):
        assert expected in text, expected
    assert "due in 1 min" in message_text(warning)
    # Staff mail: no list headers, no unsubscribe footer, no subscriber wording.
    for message in sink.messages:
        if "P1" not in message["Subject"]:
            continue
        assert message["List-Unsubscribe"] is None and message["List-Id"] is None
        assert "unsubscribe" not in message_text(message).lower()
        assert "subscribed to" not in message_text(message)
        assert message["Auto-Submitted"] == "auto-generated"
    assert breach["References"] == warning["References"]  # one thread per incident
    assert breach["Message-ID"] != warning["Message-ID"]
    # The breach is on the internal timeline; nothing more is sent on another round.
    kinds = set(db.session.scalars(sa.select(ResponseEvent.kind)))
    assert {"sla_warning", "sla_breach"} <= {k.value for k in kinds}
    assert escalate_due(now + timedelta(minutes=6)) == 0
    before = len(sink.messages)
    send_all(now=now + timedelta(minutes=7))
    assert len(sink.messages) == before


def test_a_relay_refusing_one_address_leaves_the_others_sent(
    app, smtp_server, smtp_mailer, make_user, now
):
    """Escalation mail is retried like every mail; one refused address fails alone."""
    make_user(Role.EDITOR, email="a@example.com")
    make_user(Role.EDITOR, email="b@example.com")
    open_p1(now)
    smtp_server.sink.refuse["b@example.com"] = "550 no such user"
    assert escalate_due(now + timedelta(minutes=6)) == 1
    report = delivery.deliver_pending(smtp_mailer, now=now + timedelta(minutes=6))
    assert (report.sent, report.failed) == (1, 1)
    assert [m["To"] for m in smtp_server.sink.messages] == ["a@example.com"]


@pytest.fixture
def shared_app(tmp_path, _schema):
    """An app on a database that several connections really share (not in-memory SQLite)."""
    url = database_url() if is_postgres() else f"sqlite:///{tmp_path / 'escalation.db'}"
    shared = make_app(SQLALCHEMY_DATABASE_URI=url)
    with shared.app_context():
        if not is_postgres():
            db.create_all()
        yield shared
        db.session.remove()
        if is_postgres():
            _empty_tables()
        db.engine.dispose()


def test_two_schedulers_at_once_send_each_escalation_once(shared_app, now):
    from statuspage.services.accounts import users

    for email in ("ic@example.com", "admin@example.com"):
        users.create_user(
            email=email, password="long-enough-passphrase-1", role=Role.ADMIN, actor=ACTOR
        )
    count = 12
    for i in range(count):
        open_p1(now, name=f"Incident {i}")
    db.session.remove()
    later = now + timedelta(minutes=10)  # every acknowledgement breached, first seen late
    barrier = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def scheduler():
        try:
            with shared_app.app_context():  # its own session and connection
                barrier.wait(timeout=30)
                sent.append(escalate_due(later))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(sent) == 2
    assert sum(sent) == count, sent
    rows = db.session.execute(
        sa.select(Delivery.key, Delivery.to_address).where(Delivery.kind == DeliveryKind.ESCALATION)
    ).all()
    assert len(rows) == len(set(rows)) == count * 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaEscalation)) == count
    breaches = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ResponseEvent)
        .where(ResponseEvent.kind == "sla_breach")
    )
    assert breaches == count
    # A restarted scheduler (a new app: nothing in memory) finds nothing left to send.
    db.session.remove()
    restarted = make_app(SQLALCHEMY_DATABASE_URI=shared_app.config["SQLALCHEMY_DATABASE_URI"])
    with restarted.app_context():
        assert escalate_due(later + timedelta(minutes=1)) == 0
        states = set(db.session.scalars(sa.select(Delivery.state)))
        assert states == {DeliveryState.PENDING}
        db.session.remove()
        db.engine.dispose()
