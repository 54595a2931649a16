"""Subscribing end to end: the form, the confirmation mail through a real SMTP server, the
confirm click, the first notification, managing and one-click unsubscribing."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import Cadence, ComponentStatus, DeliveryKind, DeliveryState, SubscriberState
from statuspage.extensions import db
from statuspage.models import Delivery, Subscriber
from statuspage.services.outbox import delivery, events
from statuspage.services.subscribers import signup as subscribers
from statuspage.services.subscribers.links import make_token
from tests.conftest import ACTOR


def deliver(mailer, **kw):
    events.fan_out_events()
    return delivery.deliver_pending(mailer, **kw)


def link(message, path):
    text = message.get_body(("plain",)).get_content()
    match = re.search(rf"https?://[^\s]+{path}[^\s]+", text)
    assert match, text
    return match.group(0).split("5000", 1)[1] if "5000" in match.group(0) else match.group(0)


def only_subscriber():
    return db.session.scalars(sa.select(Subscriber)).one()


def test_double_opt_in_end_to_end(client, smtp_server, smtp_mailer, make_component, make_incident):
    api = make_component(name="API")
    web = make_component(name="Web")
    page = client.get("/subscribe?email=ada@example.com")
    assert page.status_code == 200 and 'value="ada@example.com"' in page.text
    response = client.form(
        "/subscribe", {"email": "Ada@Example.com", "cadence": "immediate", "scope": "everything"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/subscribe/sent"
    assert "Check your inbox" in client.get("/subscribe/sent").text
    assert smtp_server.sink.messages == []  # the web request never talks to SMTP
    subscriber = only_subscriber()
    assert subscriber.state is SubscriberState.PENDING and subscriber.email == "ada@example.com"

    make_incident({web: ComponentStatus.MAJOR_OUTAGE}, name="Before confirming", now=utcnow())
    report = deliver(smtp_mailer)
    assert report.sent == 1
    [confirmation] = smtp_server.sink.messages
    assert confirmation["To"] == "ada@example.com" and "Confirm" in confirmation["Subject"]
    confirm_path = link(confirmation, "/subscribe/confirm/")
    form = client.get(confirm_path)
    assert form.status_code == 200 and "Confirm subscription" in form.text
    assert (
        only_subscriber().state is SubscriberState.PENDING
    )  # a link scanner's GET confirms nothing
    response = client.form(confirm_path)
    assert response.status_code == 302 and "/subscribe/manage/" in response.headers["Location"]
    assert only_subscriber().state is SubscriberState.ACTIVE

    incident = make_incident(
        {api: ComponentStatus.PARTIAL_OUTAGE}, name="After confirming", now=utcnow()
    )
    deliver(smtp_mailer)
    subjects = [m["Subject"] for m in smtp_server.sink.messages]
    assert subjects[-1] == "[Status] After confirming — Investigating"
    assert not any("Before confirming" in s for s in subjects)  # unconfirmed got nothing else
    notification = smtp_server.sink.messages[-1]
    assert notification.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in notification.iter_parts()] == ["text/plain", "text/html"]
    text = notification.get_body(("plain",)).get_content()
    assert "API: Partial outage" in text and f"/incidents/{incident.id}" in text
    assert "Unsubscribe: http" in text and "Manage your subscription: http" in text


def test_the_answer_never_reveals_an_existing_subscription(client, smtp_server, smtp_mailer):
    first = client.form(
        "/subscribe", {"email": "bob@example.com", "cadence": "immediate", "scope": "everything"}
    )
    subscribers.confirm_subscription(only_subscriber(), actor=ACTOR)
    again = client.form(
        "/subscribe", {"email": "bob@example.com", "cadence": "weekly", "scope": "everything"}
    )
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert only_subscriber().cadence is Cadence.IMMEDIATE  # a stranger cannot change it
    deliver(smtp_mailer)
    kinds = [m["Subject"] for m in smtp_server.sink.to("bob@example.com")]
    assert kinds == ["[Status] Confirm your subscription", "[Status] Your subscription"]


@pytest.mark.parametrize(
    "data,message",
    [
        ({"email": "not-an-address"}, "Invalid email address."),
        ({"email": ""}, "This field is required."),
        ({"email": "x@example.com", "cadence": "yearly"}, "Not a valid choice."),
        (
            {"email": "x@example.com", "scope": "chosen", "components": ["nosuchthing1"]},
            "is not a valid choice",
        ),
    ],
)
def test_bad_subscriptions_are_refused_with_a_message(client, data, message):
    response = client.form("/subscribe", {"cadence": "immediate", "scope": "everything", **data})
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_a_bot_filling_the_honeypot_gets_the_same_answer_and_nothing_happens(client):
    response = client.form(
        "/subscribe",
        {
            "email": "bot@example.com",
            "cadence": "immediate",
            "scope": "everything",
            "website": "http://spam",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/subscribe/sent"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


@pytest.mark.config(SUBSCRIBE_MAX_COMPONENTS=2)
def test_the_number_of_components_is_capped(client, make_component):
    ids = [make_component().id for _ in range(3)]
    response = client.form(
        "/subscribe",
        {"email": "c@example.com", "cadence": "immediate", "scope": "chosen", "components": ids},
    )
    assert response.status_code == 422 and "at most 2" in response.text


@pytest.mark.config(
    RATELIMIT_ENABLED=True,
    SUBSCRIBE_RATE_LIMIT="3 per hour",
    SUBSCRIBE_ADDRESS_RATE_LIMIT="2 per hour",
)
def test_subscribing_is_rate_limited_per_address_and_per_network(client):
    form = {"cadence": "immediate", "scope": "everything"}
    for _ in range(2):
        assert client.form("/subscribe", {**form, "email": "same@example.com"}).status_code == 302
    limited = client.form("/subscribe", {**form, "email": "same@example.com"})
    assert limited.status_code == 429 and "for this address" in limited.text
    assert client.form("/subscribe", {**form, "email": "other@example.com"}).status_code == 302
    network = client.form("/subscribe", {**form, "email": "third@example.com"})
    assert network.status_code == 429 and "from your network" in network.text
    assert "Retry-After" in network.headers


def test_manage_link_changes_scope_cadence_and_pauses(
    client, smtp_server, smtp_mailer, make_group, make_component
):
    group = make_group(name="Core")
    api = make_component(name="API", group=group)
    subscriber = subscribers.subscribe(email="m@example.com", actor=ACTOR)
    subscribers.confirm_subscription(subscriber, actor=ACTOR)

    path = f"/subscribe/manage/{make_token(subscriber, 'manage')}"
    page = client.get(path)
    assert page.status_code == 200 and "m@example.com" in page.text
    response = client.form(
        path, {"cadence": "daily", "scope": "chosen", "groups": [group.id], "paused": "y"}
    )
    assert response.status_code == 302
    subscriber = only_subscriber()
    assert subscriber.cadence is Cadence.DAILY and subscriber.state is SubscriberState.PAUSED
    assert [g.id for g in subscriber.groups] == [group.id] and not subscriber.everything
    assert subscriber.next_digest_at is not None
    assert client.get("/subscribe/manage/forged-token").status_code == 400
    assert api


def test_one_click_unsubscribe_rfc_8058(client, smtp_server, smtp_mailer, make_incident):
    subscriber = subscribers.subscribe(email="u@example.com", actor=ACTOR)
    subscribers.confirm_subscription(subscriber, actor=ACTOR)
    make_incident(name="Something", now=utcnow())
    deliver(smtp_mailer)
    [message] = [m for m in smtp_server.sink.to("u@example.com") if "Something" in m["Subject"]]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://127.0.0.1:5000/unsubscribe/")
    path = url.split("5000", 1)[1]
    # what a mail client does: a POST with that body, no cookie, no CSRF token, no login
    fresh = client.application.test_client()
    response = fresh.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and "no more mail" in response.text
    assert only_subscriber().state is SubscriberState.UNSUBSCRIBED
    again = fresh.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200  # idempotent, and says nothing more
    make_incident(name="After leaving", now=utcnow())
    deliver(smtp_mailer)
    assert not any("After leaving" in m["Subject"] for m in smtp_server.sink.messages)
    assert fresh.get(path).status_code == 400  # the old link no longer works


def test_a_mangled_unsubscribe_link_says_so_and_unsubscribes_no_one(
    client, smtp_server, smtp_mailer, make_incident
):
    subscriber = subscribers.subscribe(email="keep@example.com", actor=ACTOR)
    subscribers.confirm_subscription(subscriber, actor=ACTOR)
    make_incident(name="Something", now=utcnow())
    deliver(smtp_mailer)
    [message] = [m for m in smtp_server.sink.to("keep@example.com") if "Something" in m["Subject"]]
    path = message["List-Unsubscribe"].strip("<>").split("5000", 1)[1]
    token = path.rsplit("/", 1)[1]
    mangled = [
        f"/unsubscribe/{token[:-3]}xyz",
        "/unsubscribe/garbage",
        f"/unsubscribe/{token[:20]}",
    ]
    fresh = client.application.test_client()
    for url in mangled:
        for response in (
            fresh.post(
                url,
                data="List-Unsubscribe=One-Click",
                content_type="application/x-www-form-urlencoded",
            ),
            fresh.get(url),
        ):
            assert response.status_code == 400, url
            assert "Link not valid" in response.text and "unsubscribed no one" in response.text
            assert 'href="/subscribe"' in response.text  # where to get a working manage link
            assert "receives nothing" not in response.text
    assert only_subscriber().state is SubscriberState.ACTIVE
    # the genuine link still works
    answer = fresh.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 200 and "no more mail" in answer.text
    assert only_subscriber().state is SubscriberState.UNSUBSCRIBED


def test_unconfirmed_addresses_are_forgotten_after_seven_days(app):
    subscribers.subscribe(email="late@example.com", actor=ACTOR, now=utcnow() - timedelta(days=8))
    subscribers.subscribe(email="recent@example.com", actor=ACTOR, now=utcnow() - timedelta(days=2))
    assert subscribers.purge_unconfirmed(actor=ACTOR, now=utcnow()) == 1
    assert [s.email for s in db.session.scalars(sa.select(Subscriber))] == ["recent@example.com"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Delivery)
            .where(Delivery.kind == DeliveryKind.CONFIRMATION)
        )
        == 1
    )
    assert DeliveryState.PENDING


def test_removing_a_subscriber_erases_the_address_from_the_audit_log(app):
    from statuspage.models import AuditEntry

    subscriber = subscribers.subscribe(email="erase.me@example.com", actor=ACTOR)
    subscribers.confirm_subscription(subscriber, actor=ACTOR)
    subscribers.remove_subscriber(subscriber, actor=ACTOR)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "Subscriber")
    ).all()
    assert {e.action for e in entries} >= {"subscribe", "confirm_subscription", "remove_subscriber"}
    assert all("erase.me" not in str(e.changes) + e.object_label for e in entries)


def test_choosing_components_but_ticking_none_is_refused_with_the_form_kept(client, make_component):
    make_component(name="API")
    answer = client.form(
        "/subscribe", {"email": "picky@example.com", "cadence": "daily", "scope": "chosen"}
    )
    assert answer.status_code == 422
    assert "Tick at least one component or group" in answer.text
    assert 'value="picky@example.com"' in answer.text  # nothing typed is lost
    assert re.search(r'value="daily"[^>]*checked|checked[^>]*value="daily"', answer.text)
    assert re.search(r'value="chosen"[^>]*checked|checked[^>]*value="chosen"', answer.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_the_manage_page_refuses_an_empty_choice_too(client, make_component):
    api = make_component(name="API")
    subscriber = subscribers.subscribe(email="m@example.com", component_ids=[api.id], actor=ACTOR)
    subscribers.confirm_subscription(subscriber, actor=ACTOR)
    url = f"/subscribe/manage/{make_token(subscriber, 'manage')}"
    answer = client.form(url, {"cadence": "immediate", "scope": "chosen"})
    assert answer.status_code == 422 and "Tick at least one component or group" in answer.text
    kept = only_subscriber()
    assert not kept.everything and [c.id for c in kept.components] == [api.id]
    assert (
        client.form(
            url, {"cadence": "immediate", "scope": "chosen", "components": [api.id]}
        ).status_code
        == 302
    )


def test_mails_and_links_carry_no_subscriber_row_id(
    client, smtp_server, smtp_mailer, make_incident
):
    import base64
    import json

    for i in range(3):  # row ids 1..3 on a fresh database: easy to spot
        subscriber = subscribers.subscribe(email=f"p{i}@example.com", actor=ACTOR)
        subscribers.confirm_subscription(subscriber, actor=ACTOR)
    make_incident(name="Counted", now=utcnow())
    deliver(smtp_mailer)
    rows = {s.email: s for s in db.session.scalars(sa.select(Subscriber))}
    assert len({s.public_id for s in rows.values()}) == 3
    for message in smtp_server.sink.messages:
        subscriber = rows[message["To"]]
        local = message["Message-ID"].strip("<>").split("@", 1)[0]
        assert local.rsplit(".", 1)[1] == subscriber.public_id  # not ".1", ".3"
        assert not re.search(r"\.\d+$", local)
        text = message.get_body(("plain",)).get_content()
        for token in re.findall(
            r"/(?:unsubscribe|subscribe/manage|subscribe/confirm)/([^\s>]+)", text
        ):
            payload = token.split(".", 1)[0]
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            assert data["s"] == subscriber.public_id and data["s"] != subscriber.id
    # and the links work
    [notice] = [m for m in smtp_server.sink.to("p1@example.com") if "Counted" in m["Subject"]]
    path = notice["List-Unsubscribe"].strip("<>").split("5000", 1)[1]
    manage = link(notice, "/subscribe/manage/")
    assert client.get(manage).status_code == 200
    assert (
        client.post(
            path,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 200
    )
    assert rows["p1@example.com"].state is SubscriberState.UNSUBSCRIBED
