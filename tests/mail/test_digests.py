"""Digests for a crafted period: content, durations, claims, and silence when nothing happened."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from statuspage.enums import Cadence, DeliveryKind
from statuspage.enums import ComponentStatus as S
from statuspage.extensions import db
from statuspage.models import Delivery, Subscriber
from statuspage.services.notices import incidents, maintenance
from statuspage.services.notices.due_work import run_due_work
from statuspage.services.outbox import delivery, events
from statuspage.services.subscribers.digests import next_digest_time, queue_due_digests
from tests.conftest import ACTOR


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "cadence,after,expected",
    [
        (Cadence.HOURLY, "2026-11-10T09:15", "2026-11-10T10:00"),
        (Cadence.DAILY, "2026-11-10T07:00", "2026-11-10T08:00"),
        (Cadence.DAILY, "2026-11-10T08:00", "2026-11-11T08:00"),
        (Cadence.WEEKLY, "2026-11-10T09:00", "2026-11-16T08:00"),  # next Monday
    ],
)
def test_when_digests_are_due(cadence, after, expected):
    from zoneinfo import ZoneInfo

    assert next_digest_time(cadence, at(after), tz=ZoneInfo("UTC"), hour=8) == at(expected)


def test_daily_digest_in_berlin_follows_local_eight_oclock():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert next_digest_time(Cadence.DAILY, at("2026-10-24T07:00"), tz=berlin, hour=8) == at(
        "2026-10-25T07:00"
    )
    assert next_digest_time(Cadence.DAILY, at("2026-10-25T07:00"), tz=berlin, hour=8) == at(
        "2026-10-26T07:00"
    )


@pytest.mark.config(DIGEST_HOUR=8)
def test_a_daily_digest_for_a_crafted_day(
    app, smtp_server, smtp_mailer, make_subscriber, make_component, make_group
):
    core = make_group(name="Core", now=at("2026-01-01T00:00"))
    api = make_component(name="API", group=core, now=at("2026-01-01T00:00"))
    cdn = make_component(name="CDN", now=at("2026-01-01T00:00"))
    reader = make_subscriber(
        "daily@example.com", cadence=Cadence.DAILY, groups=(core,), now=at("2026-11-10T09:00")
    )
    assert db.session.get(Subscriber, reader.id).next_digest_at == at("2026-11-11T08:00")

    outage = incidents.open_incident(
        name="API errors",
        body="Errors on the API.",
        components={api: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=at("2026-11-10T14:00"),
    )
    incidents.post_update(
        outage,
        status=incidents.IncidentStatus.IDENTIFIED,
        body="Bad deploy.",
        components={api: S.MAJOR_OUTAGE},
        actor=ACTOR,
        now=at("2026-11-10T14:20"),
    )
    incidents.resolve_incident(outage, body="Rolled back.", actor=ACTOR, now=at("2026-11-10T14:30"))
    incidents.open_incident(
        name="CDN blip",
        body="Out of scope.",
        components={cdn: S.MAJOR_OUTAGE},
        actor=ACTOR,
        now=at("2026-11-10T15:00"),
    )

    assert queue_due_digests(now=at("2026-11-11T07:59")) == 0  # not due yet
    assert queue_due_digests(now=at("2026-11-11T08:00")) == 1
    assert queue_due_digests(now=at("2026-11-11T08:00")) == 0  # claimed once
    delivery.deliver_pending(smtp_mailer, now=at("2026-11-11T08:01"))
    [digest] = [m for m in smtp_server.sink.to("daily@example.com") if "digest" in m["Subject"]]
    assert digest["Subject"] == "[Status] Daily digest: 1 update"
    text = digest.get_body(("plain",)).get_content()
    assert "API errors" in text and "CDN blip" not in text
    assert "now Resolved" in text
    assert "Core - API: major outage 10 min, partial outage 20 min" in text
    assert "10 Nov 2026, 14:00 UTC — Investigating: Errors on the API." in text
    assert "10 Nov 2026, 14:30 UTC — Resolved: Rolled back." in text
    assert digest["List-Unsubscribe"] and "Unsubscribe: http" in text

    # the next day nothing happens: no mail, but the digest moves on
    assert queue_due_digests(now=at("2026-11-12T08:00")) == 0
    assert db.session.get(Subscriber, reader.id).next_digest_at == at("2026-11-13T08:00")
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Delivery)
            .where(Delivery.kind == DeliveryKind.DIGEST)
        )
        == 1
    )


def test_digest_readers_get_no_immediate_mail_and_see_maintenance(
    app, smtp_server, smtp_mailer, make_subscriber, make_component
):
    api = make_component(name="API", now=at("2026-01-01T00:00"))
    make_subscriber("weekly@example.com", cadence=Cadence.WEEKLY, now=at("2026-11-09T09:00"))
    maintenance.schedule_maintenance(
        name="Upgrade",
        body="Upgrading.",
        components=[api],
        scheduled_for=at("2026-11-12T02:00"),
        scheduled_until=at("2026-11-12T04:00"),
        remind_minutes=None,
        actor=ACTOR,
        now=at("2026-11-10T10:00"),
    )
    run_due_work(now=at("2026-11-12T05:00"))
    events.fan_out_events(now=at("2026-11-12T05:00"))
    assert not db.session.scalars(
        sa.select(Delivery).where(Delivery.kind == DeliveryKind.NOTIFICATION)
    ).all()
    assert queue_due_digests(now=at("2026-11-16T08:00")) == 1
    delivery.deliver_pending(smtp_mailer, now=at("2026-11-16T08:00"))
    [digest] = [m for m in smtp_server.sink.to("weekly@example.com") if "digest" in m["Subject"]]
    text = digest.get_body(("plain",)).get_content()
    assert "Upgrade" in text and "Scheduled maintenance · now Completed" in text
    assert "API: under maintenance 2 h" in text
