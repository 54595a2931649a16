"""Webhook subscribers: Statuspage's payloads, signed, through the outbox, exactly once."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import (
    ComponentStatus,
    DeliveryKind,
    DeliveryState,
    IncidentStatus,
    SubscriberKind,
    SubscriberState,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import Delivery, Subscriber
from statuspage.services.components import tree
from statuspage.services.errors import InvalidInput
from statuspage.services.hooks import sender, webhooks
from statuspage.services.hooks.endpoints import check_endpoint
from statuspage.services.notices import incidents, timeline
from statuspage.services.outbox import delivery, events
from statuspage.services.outbox.dashboard import read_relay_trouble
from statuspage.services.subscribers import signup
from tests.conftest import ACTOR, free_port, is_postgres

#: The keys of Statuspage's webhook payloads (/work/shared/reference/statuspage-api-v2.md).
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "impact",
    "shortlink",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "page_id",
    "incident_updates",
    "components",
}
UPDATE_KEYS = {
    "status",
    "body",
    "id",
    "incident_id",
    "created_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
}
COMPONENT_UPDATE_KEYS = {"created_at", "new_status", "old_status", "id", "component_id"}
COMPONENT_KEYS = {"created_at", "id", "name", "page_id", "position", "status", "updated_at"}


def _verify(received, subscriber) -> bool:
    """What a receiver does: HMAC-SHA256 of the raw body with its secret, compared in constant
    time with the header."""
    secret = webhooks.signing_secret(subscriber)
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.headers["X-Statuspage-Signature"])


def test_an_incident_update_arrives_as_statuspages_payload_signed(
    app, client, http_sink, make_webhook, make_component, send_hooks, now
):
    component = make_component()
    subscriber = make_webhook("/ours")
    incident = incidents.open_incident(
        name="Checkout errors",
        body="We are looking into it.",
        components={component: ComponentStatus.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=now,
    )
    report = send_hooks()
    assert report.sent == 2  # the incident update and the component update
    by_kind = {("incident" if "incident" in r.json else "component"): r for r in http_sink.requests}
    received = by_kind["incident"]
    payload = received.json
    assert set(payload) == {"meta", "page", "incident"}
    assert set(payload["meta"]) >= {"unsubscribe", "documentation"}
    assert payload["meta"]["unsubscribe"].startswith("http://")
    assert "/unsubscribe/" in payload["meta"]["unsubscribe"]
    assert set(payload["page"]) == {"id", "status_indicator", "status_description"}
    assert payload["page"]["status_indicator"] in ("minor", "major")
    assert INCIDENT_KEYS <= set(payload["incident"])
    [update] = payload["incident"]["incident_updates"]
    assert UPDATE_KEYS <= set(update)
    assert update["body"] == "We are looking into it."
    # The very object the v2 JSON serves for the incident.
    api = client.get(f"/incidents/{incident.id}.json").get_json()
    assert payload["incident"] == api["incident"]
    assert received.headers["Content-Type"] == "application/json"
    assert _verify(received, subscriber)
    assert received.headers["X-Statuspage-Event-Id"] == f"update-{update['id']}"
    tampered = type(received)(received.path, received.headers, received.body + b" ")
    assert not _verify(tampered, subscriber)


def test_a_component_change_arrives_as_a_component_update(
    app, http_sink, make_webhook, make_component, send_hooks, now
):
    component = make_component(name="API")
    make_webhook()
    tree.set_component_status(component, ComponentStatus.MAJOR_OUTAGE, actor=ACTOR, now=now)
    send_hooks()
    [received] = http_sink.requests  # both statuses moved: one public change, one payload
    payload = received.json
    assert set(payload) == {"meta", "page", "component_update", "component"}
    assert COMPONENT_UPDATE_KEYS <= set(payload["component_update"])
    assert payload["component_update"]["old_status"] == "operational"
    assert payload["component_update"]["new_status"] == "major_outage"
    assert payload["component_update"]["component_id"] == component.id
    assert COMPONENT_KEYS <= set(payload["component"])
    assert payload["component"]["name"] == "API"
    assert payload["page"]["status_indicator"] == "critical"


def test_each_event_is_posted_once_however_often_the_sender_runs(
    app, http_sink, make_webhook, make_incident, send_hooks
):
    make_webhook()
    make_incident()
    events.fan_out_events()
    events.fan_out_events()
    hooks = sa.select(sa.func.count()).where(Delivery.kind == DeliveryKind.WEBHOOK)
    assert db.session.scalar(hooks) == 1
    first = sender.deliver_hooks(worker="one")
    second = sender.deliver_hooks(worker="two")
    assert (first.sent, second.sent, second.attempted) == (1, 0, 0)
    assert len(http_sink.requests) == 1


def test_a_row_claimed_by_one_worker_is_not_sent_by_another(
    app, http_sink, make_webhook, make_incident, now
):
    make_webhook()
    make_incident()
    events.fan_out_events()
    [row] = db.session.scalars(sa.select(Delivery).where(Delivery.kind == DeliveryKind.WEBHOOK))
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == row.id)
        .values(state=DeliveryState.SENDING, claimed_by="other", claimed_at=now)
    )
    db.session.commit()
    assert sender.deliver_hooks(worker="me").attempted == 0
    assert http_sink.requests == []


def test_a_500_is_retried_with_backoff_then_delivered_with_the_same_event_id(
    app, http_sink, make_webhook, make_incident, send_hooks, now
):
    make_webhook()
    make_incident()
    http_sink.answers = [500]
    report = send_hooks()
    assert (report.sent, report.retried) == (0, 1)
    row = db.session.scalars(sa.select(Delivery).where(Delivery.kind == DeliveryKind.WEBHOOK)).one()
    assert row.state is DeliveryState.PENDING and row.next_attempt_at > utcnow()
    assert row.last_error == "HTTP 500"
    assert send_hooks().attempted == 0  # not due yet
    report = send_hooks(now=utcnow() + timedelta(hours=1))
    assert report.sent == 1
    first, second = http_sink.requests
    assert first.headers["X-Statuspage-Event-Id"] == second.headers["X-Statuspage-Event-Id"]
    assert first.body == second.body or first.json["incident"] == second.json["incident"]


def test_a_refused_connection_is_retried(app, make_component, make_incident, now):
    subscriber = webhooks.subscribe_webhook(
        endpoint=f"http://127.0.0.1:{free_port()}/gone",
        email="down@example.com",
        actor=ACTOR,
        now=now - timedelta(hours=1),
    )
    signup.confirm_subscription(subscriber, actor=ACTOR, now=now - timedelta(hours=1))
    make_incident()
    events.fan_out_events()
    report = sender.deliver_hooks()
    assert report.retried == 1 and report.errors[0].startswith("connection")


def test_repeated_permanent_failures_disable_the_subscriber_with_one_notice(
    app, http_sink, make_webhook, make_incident, send_hooks, smtp_mailer, smtp_server
):
    subscriber = make_webhook("/gone")
    http_sink.answers = [410, 404, 400, 410]
    for _ in range(3):
        make_incident()
        report = send_hooks()
        assert report.failed == 1
    db.session.refresh(subscriber)
    assert subscriber.state is SubscriberState.BOUNCING
    make_incident()
    send_hooks()
    assert len(http_sink.requests) == 3  # nothing more is POSTed to it
    notices = db.session.scalars(
        sa.select(Delivery).where(Delivery.kind == DeliveryKind.WEBHOOK_DISABLED)
    ).all()
    assert len(notices) == 1
    smtp_server.sink.messages.clear()
    while delivery.deliver_pending(smtp_mailer).sent:
        pass
    mails = smtp_server.sink.to(subscriber.email)
    [notice] = [m for m in mails if "Webhook" in m["Subject"]]
    assert notice["Subject"] == "[Status] Webhook notifications stopped"
    assert http_sink.url("/gone") in notice.get_body(("plain",)).get_content()


def test_a_408_or_429_is_retried_not_counted_as_permanent(
    app, http_sink, make_webhook, make_incident, send_hooks, now
):
    subscriber = make_webhook()
    http_sink.answers = [429]
    make_incident()
    assert send_hooks().retried == 1
    db.session.refresh(subscriber)
    assert subscriber.failures == 0


def test_scopes_are_respected(app, http_sink, make_webhook, make_component, make_incident, now):
    api, cdn = make_component(name="API"), make_component(name="CDN")
    make_webhook("/api-only", components=(api,))
    make_incident(components={cdn: ComponentStatus.DEGRADED_PERFORMANCE})
    events.fan_out_events()
    sender.deliver_hooks()
    assert http_sink.requests == []
    make_incident(components={api: ComponentStatus.DEGRADED_PERFORMANCE})
    events.fan_out_events()
    sender.deliver_hooks()
    kinds = sorted("incident" if "incident" in r.json else "component" for r in http_sink.requests)
    assert kinds == ["component", "incident"]


def test_internal_incidents_notes_and_components_never_reach_webhooks(
    app, http_sink, make_webhook, make_component, make_incident, send_hooks, now
):
    make_webhook()
    public, secret = make_component(), make_component(visibility=Visibility.INTERNAL)
    make_incident(
        name="SECRET-internal-outage",
        visibility=Visibility.INTERNAL,
        components={public: ComponentStatus.MAJOR_OUTAGE},
    )
    tree.set_component_status(secret, ComponentStatus.MAJOR_OUTAGE, actor=ACTOR, now=now)
    send_hooks()
    assert http_sink.requests == []
    incident = make_incident(name="Public one")
    timeline.add_note(incident, body="SECRET-note", actor=ACTOR, now=now)
    incidents.post_update(
        incident,
        status=IncidentStatus.INVESTIGATING,
        body="SECRET-internal-words",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=now,
    )
    send_hooks()
    assert len(http_sink.requests) == 1
    assert b"SECRET" not in http_sink.requests[0].body


def test_the_endpoint_guard_refuses_private_addresses_and_other_schemes(app):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    for url in (
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/x",
        "ftp://93.184.216.34/hook",
        "http://user:pw@93.184.216.34/hook",
        "not a url",
    ):
        with pytest.raises(InvalidInput):
            check_endpoint(url)
    assert check_endpoint(" https://93.184.216.34/hook ") == "https://93.184.216.34/hook"
    with pytest.raises(InvalidInput) as refused:
        webhooks.subscribe_webhook(
            endpoint="http://127.0.0.1/x", email="a@example.com", actor=ACTOR
        )
    assert refused.value.field == "endpoint"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_a_webhook_and_a_mail_subscription_may_share_an_address(app, make_webhook):
    hook = make_webhook()
    mail = signup.subscribe(email=hook.email, actor=ACTOR)
    assert mail.id != hook.id and mail.kind is SubscriberKind.EMAIL
    assert hook.kind is SubscriberKind.WEBHOOK
    again = webhooks.subscribe_webhook(endpoint=hook.endpoint, email="x@example.com", actor=ACTOR)
    assert again.id == hook.id and again.email == hook.email  # a stranger changes nothing


def test_a_failing_webhook_is_not_reported_as_a_failing_mail_relay(
    app, http_sink, make_webhook, make_incident, send_hooks
):
    make_webhook()
    http_sink.answers = [503]
    make_incident()
    assert send_hooks().retried == 1
    assert read_relay_trouble(now=utcnow() + timedelta(hours=2)) is None


@pytest.mark.skipif(not is_postgres(), reason="concurrent workers need PostgreSQL")
def test_two_workers_at_once_post_each_event_once(app, http_sink, make_webhook, make_incident):
    make_webhook()
    for _ in range(8):
        make_incident()
    events.fan_out_events()
    start = threading.Barrier(2)
    reports: list[delivery.DeliveryReport] = []

    def work(name: str) -> None:
        with app.app_context():
            start.wait()
            reports.append(sender.deliver_hooks(worker=name))

    threads = [threading.Thread(target=work, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [r.headers["X-Statuspage-Event-Id"] for r in http_sink.requests]
    assert sum(r.sent for r in reports) == 8 == len(ids) == len(set(ids))


def test_the_management_api_describes_exactly_the_endpoints_the_guard_takes(client):
    from statuspage.services.hooks.endpoints import ENDPOINT_PATTERN

    spec = client.get("/api/v2/openapi.json").get_json()
    endpoint = spec["components"]["schemas"]["NewWebhookSubscriber"]["properties"]["endpoint"]
    assert endpoint["pattern"] == ENDPOINT_PATTERN
    for url in ("https://hooks example.com/x", "https://hooks.example.com/é", "https://[::1]/"):
        with pytest.raises(InvalidInput, match="Use a plain URL"):
            check_endpoint(url)
