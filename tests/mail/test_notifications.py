"""Immediate notifications: who gets what, the headers, retries, failures and crashes."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import Cadence, DeliveryState, IncidentStatus, SubscriberState, Visibility
from statuspage.enums import ComponentStatus as S
from statuspage.extensions import db
from statuspage.models import Delivery, NotificationEvent, Subscriber
from statuspage.services.notices import incidents, maintenance, timeline
from statuspage.services.notices.due_work import run_due_work
from statuspage.services.outbox import delivery as outbox_delivery
from statuspage.services.outbox import events
from tests.conftest import ACTOR, database_url, is_postgres, make_app

ROOT = Path(__file__).resolve().parents[2]


def notices(sink, address):
    return [m for m in sink.to(address) if "Confirm" not in m["Subject"]]


def test_scope_decides_who_hears(
    smtp_server, send_all, make_subscriber, make_group, make_component, make_incident
):
    core = make_group(name="Core")
    api, web = make_component(name="API", group=core), make_component(name="Web", group=core)
    cdn = make_component(name="CDN")
    make_subscriber("all@example.com")
    make_subscriber("api@example.com", components=(api,))
    make_subscriber("core@example.com", groups=(core,))
    make_subscriber("cdn@example.com", components=(cdn,))
    make_subscriber("pending@example.com", confirmed=False)
    make_subscriber("daily@example.com", cadence=Cadence.DAILY)
    make_incident({web: S.PARTIAL_OUTAGE}, name="Web trouble")
    make_incident({}, name="No components")
    send_all()
    sink = smtp_server.sink
    heard = {
        address: [m["Subject"].split("] ")[1].split(" —")[0] for m in notices(sink, address)]
        for address in (
            "all@example.com",
            "api@example.com",
            "core@example.com",
            "cdn@example.com",
            "pending@example.com",
            "daily@example.com",
        )
    }
    assert heard == {
        "all@example.com": ["Web trouble", "No components"],
        "api@example.com": [],
        "core@example.com": ["Web trouble"],  # subscribed to the group
        "cdn@example.com": [],
        "pending@example.com": [],  # unconfirmed: nothing but the confirmation
        "daily@example.com": [],  # digests, not immediate mail
    }


def test_internal_items_scheduled_updates_notes_and_silent_updates_send_nothing(
    smtp_server, send_all, make_subscriber, make_incident
):
    make_subscriber("all@example.com")
    make_incident(name="Secret", visibility=Visibility.INTERNAL)
    incident = make_incident(name="Public", now=utcnow())
    timeline.add_note(incident, body="Note", actor=ACTOR)
    incidents.post_update(
        incident,
        status=IncidentStatus.INVESTIGATING,
        body="Staff only",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
    )
    incidents.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Quiet",
        deliver_notifications=False,
        actor=ACTOR,
    )
    later = utcnow() + timedelta(hours=1)
    incidents.post_update(
        incident, status=IncidentStatus.MONITORING, body="Later", publish_at=later, actor=ACTOR
    )
    send_all()
    assert [m["Subject"] for m in notices(smtp_server.sink, "all@example.com")] == [
        "[Status] Public — Investigating"
    ]
    run_due_work(now=later + timedelta(seconds=1))  # published now: now it is mailed
    send_all()
    assert (
        notices(smtp_server.sink, "all@example.com")[-1]["Subject"]
        == "[Status] Public — Monitoring"
    )


def test_updates_of_one_incident_thread_together(
    smtp_server, send_all, make_subscriber, make_incident
):
    subscriber = make_subscriber("t@example.com")
    incident = make_incident(name="Threaded", now=utcnow())
    incidents.post_update(incident, status=IncidentStatus.IDENTIFIED, body="Found it.", actor=ACTOR)
    incidents.resolve_incident(incident, body="Fixed.", actor=ACTOR)
    send_all()
    first, second, third = notices(smtp_server.sink, "t@example.com")
    root = f"<notice-{incident.id}.{subscriber.public_id}@127.0.0.1>"
    assert first["Message-ID"] == root and first["In-Reply-To"] is None
    for message in (second, third):
        assert message["In-Reply-To"] == root and message["References"] == root
    ids = {m["Message-ID"] for m in (first, second, third)}
    assert len(ids) == 3
    assert [m["Subject"] for m in (first, second, third)] == [
        "[Status] Threaded — Investigating",
        "[Status] Threaded — Identified",
        "[Status] Threaded — Resolved",
    ]


def test_message_ids_are_stable_per_event_and_subscriber(app, make_subscriber, make_incident):
    from statuspage.mail import parse
    from statuspage.services.outbox.compose import MessageComposer

    make_subscriber("s@example.com")
    incident = make_incident(name="Stable", now=utcnow())
    incidents.post_update(incident, status=IncidentStatus.IDENTIFIED, body="x", actor=ACTOR)
    events.fan_out_events()
    delivery = db.session.scalars(sa.select(Delivery).where(Delivery.kind == "notification")).all()[
        -1
    ]
    first = MessageComposer(now=utcnow()).compose(delivery).message_id
    again = MessageComposer(now=utcnow() + timedelta(hours=1), eight_bit=True).compose(delivery)
    assert first == again.message_id == parse(again)["Message-ID"]


def test_maintenance_is_announced_reminded_started_completed_and_cancelled(
    smtp_server, send_all, make_subscriber, make_component
):
    api = make_component(name="API")
    make_subscriber("ops@example.com", components=(api,))
    now = utcnow()
    window = maintenance.schedule_maintenance(
        name="Upgrade",
        body="Upgrading.",
        components=[api],
        scheduled_for=now + timedelta(hours=2),
        scheduled_until=now + timedelta(hours=3),
        remind_minutes=60,
        actor=ACTOR,
        now=now,
    )
    run_due_work(now=now + timedelta(minutes=61))  # reminder due
    run_due_work(now=now + timedelta(hours=3, minutes=1))  # start and end
    other = maintenance.schedule_maintenance(
        name="Second",
        body="More.",
        components=[api],
        scheduled_for=now + timedelta(days=2),
        scheduled_until=now + timedelta(days=2, hours=1),
        remind_minutes=None,
        actor=ACTOR,
        now=now,
    )
    maintenance.cancel_maintenance(other, body="Not needed.", actor=ACTOR, now=now)
    send_all()
    subjects = [m["Subject"] for m in notices(smtp_server.sink, "ops@example.com")]
    assert subjects == [
        "[Status] Upgrade — Scheduled",
        "[Status] Upgrade — Reminder",
        "[Status] Upgrade — In progress",
        "[Status] Upgrade — Completed",
        "[Status] Second — Scheduled",
        "[Status] Second — Cancelled",
    ]
    reminder = next(
        m for m in notices(smtp_server.sink, "ops@example.com") if "Reminder" in m["Subject"]
    )
    assert "starts in" in reminder.get_body(("plain",)).get_content()
    assert window.id


def test_smtp_down_then_up_delivers_exactly_once(
    smtp_server, smtp_mailer, make_subscriber, make_incident
):
    make_subscriber("r@example.com")
    make_incident(name="Retry me")
    events.fan_out_events()
    smtp_server.stop()
    now = utcnow()
    report = outbox_delivery.deliver_pending(smtp_mailer, now=now)
    assert report.sent == 0 and report.retried == 2 and "connection" in report.errors[0]
    rows = db.session.scalars(sa.select(Delivery)).all()
    assert {r.state for r in rows} == {DeliveryState.PENDING} and {r.attempts for r in rows} == {1}
    assert all(r.next_attempt_at > now for r in rows)  # backed off, with jitter
    assert (
        outbox_delivery.deliver_pending(smtp_mailer, now=now).sent == 0
    )  # not due yet: no hammering
    smtp_server.start()
    later = now + timedelta(hours=1)
    assert outbox_delivery.deliver_pending(smtp_mailer, now=later).sent == 2
    assert outbox_delivery.deliver_pending(smtp_mailer, now=later + timedelta(hours=1)).sent == 0
    assert sorted(m["Subject"] for m in smtp_server.sink.to("r@example.com")) == [
        "[Status] Confirm your subscription",
        "[Status] Retry me — Investigating",
    ]


def test_temporary_refusals_retry_and_permanent_ones_fail_then_bounce(
    smtp_server, smtp_mailer, make_subscriber, make_incident
):
    make_subscriber("busy@example.com")
    gone = make_subscriber("gone@example.com")
    smtp_server.sink.refuse["busy@example.com"] = "451 4.7.1 Try again later"
    smtp_server.sink.refuse["gone@example.com"] = "550 5.1.1 No such user"
    now = utcnow()
    for i in range(3):
        make_incident(name=f"Incident {i}", now=now)
        events.fan_out_events()
        outbox_delivery.deliver_pending(smtp_mailer, now=now + timedelta(hours=i))
    busy = db.session.scalars(
        sa.select(Delivery).where(Delivery.to_address == "busy@example.com")
    ).all()
    assert {d.state for d in busy} == {DeliveryState.PENDING} and "451" in busy[0].last_error
    failed = db.session.scalars(
        sa.select(Delivery).where(Delivery.to_address == "gone@example.com")
    ).all()
    assert {d.state for d in failed} == {DeliveryState.FAILED} and "550" in failed[0].last_error
    gone = db.session.get(Subscriber, gone.id)
    assert gone.state is SubscriberState.BOUNCING and gone.failures == 3
    make_incident(name="After bouncing", now=now)
    events.fan_out_events()
    assert not db.session.scalars(
        sa.select(Delivery).where(
            Delivery.to_address == "gone@example.com", Delivery.state == DeliveryState.PENDING
        )
    ).all()


@pytest.mark.config(MAIL_RETRY_HOURS=3)
def test_a_transient_failure_gives_up_after_the_retry_window(
    smtp_server, smtp_mailer, make_subscriber, make_incident
):
    make_subscriber("busy@example.com", confirmed=True)
    smtp_server.sink.refuse["busy@example.com"] = "452 4.2.2 Mailbox full"
    make_incident(name="x")
    events.fan_out_events()
    for hours in range(0, 48, 6):
        outbox_delivery.deliver_pending(smtp_mailer, now=utcnow() + timedelta(hours=hours))
    states = {d.state for d in db.session.scalars(sa.select(Delivery))}
    assert states == {DeliveryState.FAILED}


def mail_env(url, port):
    return {
        **os.environ,
        "STATUSPAGE_CONFIG": "config.ProductionConfig",
        "STATUSPAGE_SECRET_KEY": "x" * 32,
        "STATUSPAGE_SQLALCHEMY_DATABASE_URI": url,
        "STATUSPAGE_MAIL_SERVER": "127.0.0.1",
        "STATUSPAGE_MAIL_PORT": str(port),
        "STATUSPAGE_MAIL_BATCH_SIZE": "25",
        "FLASK_APP": "wsgi",
    }


@pytest.fixture
def shared_app(tmp_path):
    url = database_url() if is_postgres() else f"sqlite:///{tmp_path / 'mail.db'}"
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if not is_postgres():
            db.create_all()
        yield url
        db.session.remove()
        if is_postgres():
            from tests.conftest import _empty_tables

            _empty_tables()
        db.engine.dispose()


def _many_subscribers(count):
    from statuspage.services.subscribers import signup as subscribers

    now = utcnow() - timedelta(minutes=5)
    for i in range(count):
        subscriber = subscribers.subscribe(email=f"m{i:03d}@example.com", actor=ACTOR, now=now)
        subscribers.confirm_subscription(subscriber, actor=ACTOR, now=now)
    db.session.execute(sa.update(Delivery).values(state=DeliveryState.SKIPPED))  # no confirmations
    db.session.commit()
    incidents.open_incident(name="Fan-out", body="Down.", actor=ACTOR, now=now)


def _flask(*args):
    return [sys.executable, "-m", "flask", *args]


def _state_counts():
    db.session.rollback()
    return dict(
        db.session.execute(
            sa.select(Delivery.state, sa.func.count()).group_by(Delivery.state)
        ).all()
    )


@pytest.mark.slow
def test_killing_the_sender_mid_batch_leaves_only_the_message_in_flight_in_doubt(
    shared_app, smtp_server
):
    _many_subscribers(60)
    received = []

    def slow_then_kill_at_the_20th(message):
        time.sleep(0.2)  # a slow relay: the kill lands while the batch is far from done
        received.append(message)
        if len(received) == 20:
            os.kill(sender.pid, signal.SIGKILL)  # mid-transaction: this one is never acknowledged
            time.sleep(0.2)
            return "421 4.3.0 Connection lost"
        return None

    smtp_server.sink.on_data = slow_then_kill_at_the_20th
    sender = subprocess.Popen(
        _flask("mail", "deliver"),
        cwd=ROOT,
        env=mail_env(shared_app, smtp_server.port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, _ = sender.communicate(timeout=60)
    assert sender.returncode == -signal.SIGKILL, output
    assert len(smtp_server.sink.messages) == 19
    smtp_server.sink.on_data = None
    # Restarted at once, well within the lease: everything but the message in flight goes out.
    again = subprocess.run(
        _flask("mail", "deliver"),
        cwd=ROOT,
        env=mail_env(shared_app, smtp_server.port),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    recipients = [m["To"] for m in smtp_server.sink.messages]
    assert len(recipients) == len(set(recipients)) == 59
    assert _state_counts().get(DeliveryState.SENDING) == 1
    # ...and that one once its lease has run out (at-least-once: it may arrive twice).
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING)
        .values(claimed_at=utcnow() - outbox_delivery.claim_lease() - timedelta(seconds=1))
    )
    db.session.commit()
    last = subprocess.run(
        _flask("mail", "deliver"),
        cwd=ROOT,
        env=mail_env(shared_app, smtp_server.port),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert last.returncode == 0, last.stdout + last.stderr
    recipients = sorted(m["To"] for m in smtp_server.sink.messages)
    assert sorted(set(recipients)) == sorted(f"m{i:03d}@example.com" for i in range(60))
    assert len(recipients) == 60  # the in-doubt one was refused by the server: nobody twice here
    assert DeliveryState.SENDING not in _state_counts()


@pytest.mark.slow
def test_two_workers_behind_a_slow_relay_never_outlive_their_claims(shared_app, smtp_server):
    """0.2 s a message and a 2 s lease: a batch claimed whole would expire under its worker."""
    _many_subscribers(60)

    def slow(message):
        time.sleep(0.2)
        return None

    smtp_server.sink.on_data = slow
    env = {**mail_env(shared_app, smtp_server.port), "STATUSPAGE_MAIL_CLAIM_LEASE_SECONDS": "2"}
    workers = [
        subprocess.Popen(
            _flask("mail", "deliver", "--worker", f"w{i}"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=180)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    recipients = sorted(m["To"] for m in smtp_server.sink.messages)
    assert recipients == sorted(f"m{i:03d}@example.com" for i in range(60)), outputs  # once each
    assert _state_counts() == {DeliveryState.SENT: 60, DeliveryState.SKIPPED: 60}


@pytest.mark.slow
def test_two_delivery_workers_at_once_send_each_message_once(shared_app, smtp_server):
    _many_subscribers(150)
    env = mail_env(shared_app, smtp_server.port)
    subprocess.run(_flask("scheduler", "tick"), cwd=ROOT, env=env, check=True, capture_output=True)
    workers = [
        subprocess.Popen(
            _flask("mail", "deliver", "--worker", f"w{i}"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=180)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    recipients = sorted(m["To"] for m in smtp_server.sink.messages)
    assert recipients == sorted(f"m{i:03d}@example.com" for i in range(150)), outputs
    db.session.rollback()
    by_worker = dict(
        db.session.execute(
            sa.select(Delivery.claimed_by, sa.func.count())
            .where(Delivery.state == DeliveryState.SENT)
            .group_by(Delivery.claimed_by)
        ).all()
    )
    assert sum(by_worker.values()) == 150


def test_the_merged_fast_path_reads_exactly_like_the_built_message(
    app, make_subscriber, make_incident
):
    from statuspage.mail import parse
    from statuspage.services.outbox.compose import MessageComposer

    make_subscriber("same@example.com")
    incident = make_incident(name="Equal — both ways", now=utcnow())
    incidents.post_update(
        incident, status=IncidentStatus.IDENTIFIED, body="Second **update** ünïcode.", actor=ACTOR
    )
    events.fan_out_events()
    for delivery in db.session.scalars(sa.select(Delivery).where(Delivery.kind == "notification")):
        slow = parse(MessageComposer(now=utcnow()).compose(delivery))
        fast_outgoing = MessageComposer(now=utcnow(), eight_bit=True).compose(delivery)
        fast = parse(fast_outgoing)
        assert (
            fast_outgoing.eight_bit
            and "Content-Transfer-Encoding: 8bit" in fast_outgoing.data.decode()
        )
        for header in (
            "Subject",
            "To",
            "From",
            "Message-ID",
            "In-Reply-To",
            "References",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
        ):
            assert slow[header] == fast[header], header
        for kind in ("plain", "html"):  # the same text, whatever the transfer encoding's line ends
            texts = [m.get_body((kind,)).get_content().replace("\r\n", "\n") for m in (slow, fast)]
            assert texts[0] == texts[1]


def test_a_claim_takes_exactly_as_many_rows_as_asked(app, make_subscriber, make_incident):
    for i in range(3):
        make_subscriber(f"c{i}@example.com")
    assert len(outbox_delivery.claim_batch(now=utcnow(), worker="w", size=1)) == 1
    assert len(outbox_delivery.claim_batch(now=utcnow(), worker="w", size=2)) == 2
    sending = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Delivery)
        .where(Delivery.state == DeliveryState.SENDING)
    )
    assert sending == 3


def test_a_new_subscriber_hears_nothing_of_what_happened_before_they_confirmed(
    smtp_server, send_all, make_subscriber, make_incident
):
    before = utcnow() - timedelta(hours=3)
    make_subscriber("old@example.com", now=before - timedelta(hours=1))
    make_incident(name="Long over", now=before)  # never fanned out: no scheduler ran
    make_subscriber("new@example.com", now=before + timedelta(hours=1))
    make_incident(name="Fresh", now=utcnow())
    send_all()
    assert [m["Subject"] for m in notices(smtp_server.sink, "old@example.com")] == [
        "[Status] Long over — Investigating",
        "[Status] Fresh — Investigating",
    ]
    assert [m["Subject"] for m in notices(smtp_server.sink, "new@example.com")] == [
        "[Status] Fresh — Investigating"
    ]


def test_events_older_than_the_cut_off_are_logged_not_mailed(
    smtp_server, send_all, make_subscriber, make_incident, caplog
):
    long_ago = utcnow() - timedelta(days=3)
    make_subscriber("r@example.com", now=long_ago - timedelta(days=1))
    make_incident(name="Three days old", now=long_ago)
    make_incident(name="Within a day", now=utcnow() - timedelta(hours=23))
    with caplog.at_level("WARNING", logger="statuspage.services.outbox.events"):
        send_all()
    assert [m["Subject"] for m in notices(smtp_server.sink, "r@example.com")] == [
        "[Status] Within a day — Investigating"
    ]
    old, recent = db.session.scalars(sa.select(NotificationEvent).order_by(NotificationEvent.id))
    assert old.expired_at is not None and old.fanned_out_at is not None and old.recipients == 0
    assert recent.expired_at is None and recent.recipients == 1
    assert "not mailed" in caplog.text and old.key in caplog.text


@pytest.mark.parametrize(
    "page_name,list_name",
    [("Status", "Status"), ("Acme", "Acme Status"), ("Acme status", "Acme status")],
)
def test_the_list_id_names_the_page_without_saying_status_twice(
    app, make_subscriber, make_incident, page_name, list_name
):
    from statuspage.mail import parse
    from statuspage.services.outbox.compose import MessageComposer

    app.config["PAGE_NAME"] = page_name
    make_subscriber("list@example.com")
    make_incident(name="Named list", now=utcnow())
    events.fan_out_events()
    delivery = db.session.scalars(sa.select(Delivery).where(Delivery.kind == "notification")).one()
    message = parse(MessageComposer(now=utcnow()).compose(delivery))
    assert message["List-Id"].startswith(f"{list_name} <status.")
