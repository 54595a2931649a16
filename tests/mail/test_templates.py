"""A snapshot of every email template, text and HTML; regenerate with UPDATE_SNAPSHOTS=1.

Also checks the rules every mail keeps: multipart text + HTML, inline CSS only, no remote
images, the page time zone, readable as plain text.
"""

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from statuspage.enums import Cadence, DeliveryKind, Impact, Role, Urgency
from statuspage.enums import ComponentStatus as S
from statuspage.extensions import db
from statuspage.mail import parse
from statuspage.models import Delivery
from statuspage.services.accounts import users
from statuspage.services.notices import incidents, maintenance
from statuspage.services.notices.due_work import run_due_work
from statuspage.services.outbox import delivery as outbox_delivery
from statuspage.services.outbox import events
from statuspage.services.outbox.compose import MessageComposer
from statuspage.services.response.escalation import escalate_due
from statuspage.services.subscribers.digests import queue_due_digests
from tests.conftest import ACTOR, PASSWORD

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "email"
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)


def normalise(text: str) -> str:
    """Ids, tokens and Message-IDs change per run; the words and layout must not."""
    text = re.sub(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{20,}", "<token>", text)
    return re.sub(r"/(incidents|maintenance)/[a-z0-9]{12}", r"/\1/<id>", text)


def rendered(delivery: Delivery) -> dict[str, str]:
    message = parse(MessageComposer(now=NOW).compose(delivery))
    headers = "\n".join(
        f"{k}: {message[k]}" for k in ("Subject", "From", "To", "List-Unsubscribe-Post")
    )
    return {
        "txt": normalise(headers + "\n\n" + message.get_body(("plain",)).get_content()),
        "html": normalise(message.get_body(("html",)).get_content()),
    }


@pytest.mark.config(
    TIMEZONE="Europe/Berlin", PAGE_NAME="Acme Cloud", BASE_URL="https://status.acme.example"
)
def test_every_template_matches_its_snapshot(app, make_component):
    from statuspage.services.subscribers import signup as subscribers

    api = make_component(name="API", now=NOW - timedelta(days=30))
    reader = subscribers.subscribe(
        email="reader@example.com", actor=ACTOR, now=NOW - timedelta(days=2)
    )
    subscribers.confirm_subscription(reader, actor=ACTOR, now=NOW - timedelta(days=2))
    weekly = subscribers.subscribe(
        email="weekly@example.com", cadence=Cadence.DAILY, actor=ACTOR, now=NOW - timedelta(days=2)
    )
    subscribers.confirm_subscription(weekly, actor=ACTOR, now=NOW - timedelta(days=2))
    subscribers.subscribe(email="reader@example.com", actor=ACTOR, now=NOW)  # "already subscribed"
    incident = incidents.open_incident(
        name="Elevated API errors",
        body="We are **investigating** errors.",
        components={api: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=NOW - timedelta(hours=20),
    )
    incidents.resolve_incident(
        incident, body="Fixed by a rollback.", actor=ACTOR, now=NOW - timedelta(hours=19)
    )
    window = maintenance.schedule_maintenance(
        name="Database upgrade",
        body="Upgrading the database.",
        components=[api],
        scheduled_for=NOW + timedelta(hours=1),
        scheduled_until=NOW + timedelta(hours=3),
        remind_minutes=60,
        actor=ACTOR,
        now=NOW - timedelta(hours=2),
    )
    run_due_work(now=NOW)  # the reminder
    outbox_delivery.queue_test_mail(
        "admin@example.com", requested_by="admin@example.com", actor=ACTOR, now=NOW
    )
    events.fan_out_events(now=NOW)
    queue_due_digests(now=NOW)
    # Staff mail: a P1 whose acknowledgement is overdue, mailed to its commander.
    commander = users.create_user(
        email="ic@example.com", password=PASSWORD, role=Role.EDITOR, name="Ida", actor=ACTOR
    )
    incidents.open_incident(
        name="Checkout down",
        body="Investigating.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        commander=commander,
        deliver_notifications=False,
        actor=ACTOR,
        now=NOW - timedelta(minutes=7),
    )
    escalate_due(NOW)
    deliveries = db.session.scalars(sa.select(Delivery).order_by(Delivery.id)).all()
    wanted = {
        "confirmation": next(d for d in deliveries if d.kind is DeliveryKind.CONFIRMATION),
        "manage": next(d for d in deliveries if d.kind is DeliveryKind.MANAGE),
        "test": next(d for d in deliveries if d.kind is DeliveryKind.TEST),
        "digest": next(d for d in deliveries if d.kind is DeliveryKind.DIGEST),
        "escalation": next(d for d in deliveries if d.kind is DeliveryKind.ESCALATION),
        "incident_opened": next(
            d
            for d in deliveries
            if d.kind is DeliveryKind.NOTIFICATION and d.event.update_id == incident.updates[-1].id
        ),
        "incident_resolved": next(
            d
            for d in deliveries
            if d.kind is DeliveryKind.NOTIFICATION and d.event.update_id == incident.updates[0].id
        ),
        "maintenance_scheduled": next(
            d
            for d in deliveries
            if d.kind is DeliveryKind.NOTIFICATION
            and d.event.notice_id == window.id
            and d.event.update_id
        ),
        "maintenance_reminder": next(
            d
            for d in deliveries
            if d.kind is DeliveryKind.NOTIFICATION
            and d.event.notice_id == window.id
            and not d.event.update_id
        ),
    }
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    mismatches = []
    for name, delivery in wanted.items():
        for suffix, content in rendered(delivery).items():
            path = SNAPSHOTS / f"{name}.{suffix}"
            if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
                path.write_text(content)
            elif path.read_text() != content:
                mismatches.append(path.name)
            if suffix == "html":
                assert "<style" not in content and "<link" not in content, name
                assert not re.search(r"<img|url\(|src=", content), name  # no remote images
            else:
                assert "CET" in content or name in ("confirmation", "manage", "test_unused"), name
    assert mismatches == [], f"changed: {mismatches} (run with UPDATE_SNAPSHOTS=1 if intended)"
