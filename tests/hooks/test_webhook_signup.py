"""Signing a webhook up on /subscribe: confirmed by mail, its signing secret shown once."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from statuspage.enums import (
    Cadence,
    DeliveryKind,
    Role,
    SubscriberKind,
    SubscriberState,
    TokenScope,
)
from statuspage.extensions import db
from statuspage.models import AuditEntry, Delivery, Subscriber
from statuspage.services.hooks import webhooks
from statuspage.services.outbox import delivery
from statuspage.services.subscribers import signup
from statuspage.services.subscribers.links import make_token
from tests.conftest import ACTOR


def test_the_subscribe_page_offers_webhooks_and_the_secret_shows_once(app, client, http_sink):
    page = client.get("/subscribe")
    assert page.status_code == 200 and "Webhook URL" in page.text
    answer = client.form(
        "/subscribe",
        data={
            "via": "webhook",
            "email": "Ops@Example.com",
            "endpoint": http_sink.url("/incoming"),
            "cadence": "immediate",
            "scope": "everything",
        },
    )
    assert answer.status_code == 302
    subscriber = db.session.scalars(sa.select(Subscriber)).one()
    assert subscriber.kind is SubscriberKind.WEBHOOK
    assert (subscriber.email, subscriber.endpoint_url) == (
        "ops@example.com",
        http_sink.url("/incoming"),
    )
    assert subscriber.state is SubscriberState.PENDING
    [confirmation] = db.session.scalars(sa.select(Delivery)).all()
    assert confirmation.kind is DeliveryKind.CONFIRMATION
    assert confirmation.to_address == "ops@example.com"
    token = make_token(subscriber, "confirm")
    secret = webhooks.signing_secret(subscriber)
    assert secret not in client.get(f"/subscribe/confirm/{token}").text
    confirmed = client.form(f"/subscribe/confirm/{token}")
    assert confirmed.status_code == 200 and secret in confirmed.text
    again = client.form(f"/subscribe/confirm/{token}")
    assert secret not in again.text  # once
    manage = client.get(f"/subscribe/manage/{make_token(subscriber, 'manage')}")
    assert manage.status_code == 200 and secret not in manage.text
    db.session.refresh(subscriber)
    assert subscriber.state is SubscriberState.ACTIVE


def test_a_webhook_without_a_url_or_with_a_bad_one_is_a_422(app, client):
    base = {"via": "webhook", "email": "a@example.com", "cadence": "immediate"}
    missing = client.form("/subscribe", data={**base, "scope": "everything", "endpoint": ""})
    assert missing.status_code == 422 and "Enter the URL" in missing.text
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    private = client.form(
        "/subscribe", data={**base, "scope": "everything", "endpoint": "http://10.0.0.8/x"}
    )
    assert private.status_code == 422
    assert re.search(r"private, loopback or link-local", private.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_admins_add_a_webhook_that_still_confirms_by_mail(app, client, login_as, http_sink):
    login_as(Role.ADMIN)
    assert "Add a webhook" in client.get("/admin/subscribers").text
    answer = client.form(
        "/admin/subscribers/webhooks/new",
        data={"endpoint": http_sink.url("/added"), "email": "team@example.com"},
    )
    assert answer.status_code == 302
    subscriber = db.session.scalars(sa.select(Subscriber)).one()
    assert (subscriber.kind, subscriber.state) == (SubscriberKind.WEBHOOK, SubscriberState.PENDING)
    listing = client.get("/admin/subscribers").text
    assert http_sink.url("/added") in listing and "Webhook" in listing
    refused = client.form(
        "/admin/subscribers/webhooks/new", data={"endpoint": "ftp://x", "email": "t@example.com"}
    )
    assert refused.status_code == 422 and "http:// or https://" in refused.text


def test_a_webhook_cannot_turn_into_a_digest(app, make_webhook):
    hook = make_webhook()
    signup.update_subscription(
        hook, cadence=Cadence.DAILY, component_ids=[], group_ids=[], paused=False, actor=ACTOR
    )
    assert hook.cadence is Cadence.IMMEDIATE


def test_the_management_api_adds_a_webhook_with_an_admin_token(app, client, make_api_token):
    token = make_api_token(scope=TokenScope.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"endpoint": "https://hooks.example.com/in", "email": "api@example.com"}
    answer = client.post("/api/manage/v1/subscribers/webhooks", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    data = answer.get_json()["data"]
    assert (data["kind"], data["endpoint"], data["state"]) == (
        "webhook",
        "https://hooks.example.com/in",
        "pending",
    )
    bad = client.post(
        "/api/manage/v1/subscribers/webhooks",
        json={"endpoint": "ftp://x", "email": "api@example.com"},
        headers=headers,
    )
    assert bad.status_code == 422
    listed = client.get("/api/manage/v1/subscribers", headers=headers).get_json()["data"]
    assert [s["kind"] for s in listed] == ["webhook"]


def test_the_confirmation_mail_names_the_webhook_url(app, smtp_mailer, smtp_server, http_sink):
    webhooks.subscribe_webhook(
        endpoint=http_sink.url("/named"), email="named@example.com", actor=ACTOR
    )
    while delivery.deliver_pending(smtp_mailer).sent:
        pass
    [mail] = smtp_server.sink.to("named@example.com")
    assert mail["Subject"] == "[Status] Confirm your subscription"
    text = mail.get_body(("plain",)).get_content()
    assert http_sink.url("/named") in text and "as webhooks" in text


def test_removing_a_webhook_erases_its_url_from_the_audit_log(app, make_webhook):
    hook = make_webhook("/erase-me")
    signup.remove_subscriber(hook, actor=ACTOR)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "Subscriber")
    )
    assert all("/erase-me" not in json.dumps(entry.changes) for entry in entries)
