"""A relay outage of hours: mail waits (backed off, capped), admins are told, failed mail can be
re-queued from the admin page or the command line and then goes out."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import DeliveryState, Role
from statuspage.extensions import db
from statuspage.models import AuditEntry, Delivery
from statuspage.services.outbox import delivery, events


def states():
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(Delivery.state, sa.func.count()).group_by(Delivery.state)
        ).all()
    )


def notices_to(sink, address):
    return [m["Subject"] for m in sink.to(address) if "Confirm" not in m["Subject"]]


@pytest.fixture
def outage(smtp_server, smtp_mailer, make_subscriber, make_incident):
    """Two confirmed subscribers, an incident, and a relay that is down from the start."""
    start = utcnow()
    for address in ("a@example.com", "b@example.com"):
        make_subscriber(address, now=start - timedelta(minutes=1))
    db.session.execute(sa.update(Delivery).values(state=DeliveryState.SKIPPED))  # confirmations
    db.session.commit()
    make_incident(name="Relay test", now=start)
    events.fan_out_events(now=start)
    smtp_server.stop()
    return start


def walk(mailer, start, hours, step=timedelta(minutes=5)):
    """Run the sender every *step* from *start* for *hours*, as the scheduler would."""
    at = start
    while at < start + timedelta(hours=hours):
        delivery.deliver_pending(mailer, now=at)
        at += step
    return at


def test_mail_waits_out_a_long_outage_and_goes_out_when_the_relay_returns(
    outage, smtp_server, smtp_mailer
):
    at = walk(smtp_mailer, outage, hours=20, step=timedelta(minutes=10))
    rows = db.session.scalars(sa.select(Delivery).where(Delivery.kind == "notification")).all()
    assert {r.state for r in rows} == {DeliveryState.PENDING}
    # Backed off, but never more than the cap: tried again within minutes of the relay's return.
    assert all(r.attempts > 20 for r in rows)  # 8 used to be the end
    assert all(r.next_attempt_at <= at + timedelta(seconds=600) for r in rows)
    assert all("connection" in r.last_error for r in rows)
    smtp_server.start()
    delivery.deliver_pending(smtp_mailer, now=at + timedelta(minutes=10))
    assert notices_to(smtp_server.sink, "a@example.com") == ["[Status] Relay test — Investigating"]
    assert notices_to(smtp_server.sink, "b@example.com") == ["[Status] Relay test — Investigating"]


def test_a_refusing_relay_keeps_mail_pending_through_the_window_then_fails_it(
    outage, smtp_server, smtp_mailer
):
    smtp_server.start()
    smtp_server.sink.refuse["a@example.com"] = "451 4.3.0 Mailbox temporarily unavailable"
    at = walk(smtp_mailer, outage, hours=23, step=timedelta(minutes=15))
    a = db.session.scalars(
        sa.select(Delivery).where(
            Delivery.to_address == "a@example.com", Delivery.kind == "notification"
        )
    ).one()
    assert a.state is DeliveryState.PENDING and "451" in a.last_error
    delivery.deliver_pending(smtp_mailer, now=outage + timedelta(hours=24, minutes=1))
    assert states()[DeliveryState.FAILED] == 1  # past MAIL_RETRY_HOURS (24) it is given up
    assert notices_to(smtp_server.sink, "b@example.com") == ["[Status] Relay test — Investigating"]
    assert at > outage


def test_the_dashboards_warn_while_the_relay_fails(outage, client, login_as, smtp_mailer):
    delivery.deliver_pending(smtp_mailer, now=outage)
    login_as(Role.EDITOR)
    # Just failed once: a busy relay, nothing to say yet.
    assert 'id="relay-trouble"' not in client.get("/admin/").text
    walk(smtp_mailer, outage, hours=1)
    # The page reads the real clock; the retried mail has been waiting since `outage`.
    db.session.execute(sa.update(Delivery).values(created_at=utcnow() - timedelta(minutes=45)))
    db.session.commit()
    for url in ("/admin/", "/admin/mail"):
        page = client.get(url)
        assert page.status_code == 200
        assert 'id="relay-trouble"' in page.text, url
        assert "the mail relay is failing" in page.text and "45 min" in page.text
        assert "ConnectionRefusedError" in page.text


@pytest.mark.config(MAIL_RETRY_HOURS=1)
def test_an_admin_requeues_failed_mail_from_the_delivery_page(
    outage, client, login_as, smtp_server, smtp_mailer
):
    walk(smtp_mailer, outage, hours=2)
    assert states()[DeliveryState.FAILED] == 2
    login_as(Role.ADMIN)
    page = client.get("/admin/mail")
    assert "Re-queue 2 failed emails" in page.text
    assert client.post("/admin/mail/requeue", data={}).status_code == 400  # no CSRF token
    assert states()[DeliveryState.FAILED] == 2
    answer = client.form("/admin/mail/requeue", follow_redirects=True)
    assert answer.status_code == 200 and "2 failed emails re-queued" in answer.text
    assert states().get(DeliveryState.FAILED, 0) == 0
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "requeue_failed_deliveries")
    ).one()
    assert entry.actor_label.startswith("admin") or entry.actor_id is not None
    smtp_server.start()
    report = delivery.deliver_pending(smtp_mailer)
    assert report.sent == 2
    assert notices_to(smtp_server.sink, "a@example.com") == ["[Status] Relay test — Investigating"]


@pytest.mark.config(MAIL_RETRY_HOURS=1)
def test_flask_mail_retry_requeues_failed_mail(outage, runner, smtp_server, smtp_mailer):
    walk(smtp_mailer, outage, hours=2)
    assert states()[DeliveryState.FAILED] == 2
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0, result.output
    assert "re-queued 2 failed deliveries" in result.output
    assert runner.invoke(args=["mail", "retry"]).output.strip() == "re-queued 0 failed deliveries"
    smtp_server.start()
    assert delivery.deliver_pending(smtp_mailer).sent == 2
    assert notices_to(smtp_server.sink, "b@example.com") == ["[Status] Relay test — Investigating"]
    assert states() == {DeliveryState.SENT: 2, DeliveryState.SKIPPED: 2}


@pytest.mark.config(MAIL_RETRY_HOURS=1)
def test_an_editor_sees_failed_mail_but_cannot_requeue_it(outage, client, login_as, smtp_mailer):
    walk(smtp_mailer, outage, hours=2)
    login_as(Role.EDITOR)
    assert "Re-queue" not in client.get("/admin/mail").text
    assert client.form("/admin/mail/requeue").status_code == 403
    assert states()[DeliveryState.FAILED] == 2
