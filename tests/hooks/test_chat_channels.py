"""Chat channels: one formatted message per event and channel, by audience, through the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import (
    Audience,
    ChatKind,
    ComponentStatus,
    DeliveryKind,
    DeliveryState,
    IncidentStatus,
    Role,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import AuditEntry, ChatChannel, Delivery
from statuspage.services.components import tree
from statuspage.services.errors import InvalidInput
from statuspage.services.hooks import chat, sender
from statuspage.services.notices import incidents, maintenance, timeline
from tests.conftest import ACTOR


@pytest.fixture
def make_channel(app, http_sink):
    def make(kind=ChatKind.SLACK, audience=Audience.PUBLIC, path=None):
        return chat.create_chat_channel(
            name=f"{kind.label} {audience.value}",
            kind=kind,
            audience=audience,
            webhook_url=http_sink.url(path or f"/{kind.value}-{audience.value}"),
            actor=ACTOR,
        )

    return make


def test_each_service_gets_its_own_format(app, http_sink, make_channel, make_incident, send_hooks):
    for kind in ChatKind:
        make_channel(kind)
    make_incident(name="Checkout errors", body="We are looking into it.")
    assert send_hooks().sent == 4
    slack = http_sink.to("/slack-public")[0].json
    assert slack["text"].startswith("Incident: Checkout errors")
    assert slack["blocks"][0]["type"] == "section"
    assert "We are looking into it." in slack["blocks"][0]["text"]["text"]
    mattermost = http_sink.to("/mattermost-public")[0].json
    assert mattermost["attachments"][0]["title_link"].endswith("/incidents/" + slack_id(slack))
    assert mattermost["attachments"][0]["text"] == "We are looking into it."
    teams = http_sink.to("/teams-public")[0].json
    assert (teams["@type"], teams["@context"]) == ("MessageCard", "https://schema.org/extensions")
    assert teams["potentialAction"][0]["targets"][0]["uri"].endswith(
        "/incidents/" + slack_id(slack)
    )
    discord = http_sink.to("/discord-public")[0].json
    assert discord["content"].startswith("Incident: Checkout errors")
    assert isinstance(discord["embeds"][0]["color"], int)
    assert discord["embeds"][0]["description"] == "We are looking into it."
    assert discord["allowed_mentions"] == {"parse": []}  # an update cannot ping @everyone


def slack_id(slack: dict) -> str:
    """The incident id, from the link in Slack's first block."""
    text = slack["blocks"][0]["text"]["text"]
    return text.split("/incidents/", 1)[1].split("|", 1)[0]


def test_public_channels_never_hear_internal_things_internal_ones_do(
    app, http_sink, make_channel, make_component, make_incident, send_hooks, now
):
    make_channel(audience=Audience.PUBLIC)
    make_channel(audience=Audience.INTERNAL)
    secret_component = make_component(name="SECRET-db", visibility=Visibility.INTERNAL)
    make_incident(name="SECRET-internal-outage", visibility=Visibility.INTERNAL)
    tree.set_component_status(secret_component, ComponentStatus.MAJOR_OUTAGE, actor=ACTOR, now=now)
    public_incident = make_incident(name="Public trouble")
    timeline.add_note(public_incident, body="SECRET-note", actor=ACTOR, now=now)
    incidents.post_update(
        public_incident,
        status=IncidentStatus.INVESTIGATING,
        body="SECRET-internal-words",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=now,
    )
    send_hooks()
    public = [r.body for r in http_sink.to("/slack-public")]
    internal = b"\n".join(r.body for r in http_sink.to("/slack-internal"))
    assert len(public) == 1 and b"Public trouble" in public[0]
    assert all(b"SECRET" not in body for body in public)
    for marker in (
        b"SECRET-internal-outage",
        b"SECRET-db",
        b"SECRET-note",
        b"SECRET-internal-words",
    ):
        assert marker in internal
    assert len(http_sink.to("/slack-internal")) == 5


def test_a_status_set_by_hand_is_one_message_per_channel(
    app, http_sink, make_channel, make_component, send_hooks, now
):
    make_channel(audience=Audience.PUBLIC)
    make_channel(audience=Audience.INTERNAL)
    component = make_component(name="API")
    tree.set_component_status(component, ComponentStatus.PARTIAL_OUTAGE, actor=ACTOR, now=now)
    send_hooks()
    for path in ("/slack-public", "/slack-internal"):
        [message] = http_sink.to(path)
        assert message.json["text"] == "API: Partial outage"


def test_maintenance_transitions_are_announced(
    app, http_sink, make_channel, make_component, send_hooks, now
):
    make_channel(ChatKind.DISCORD)
    component = make_component()
    window = maintenance.schedule_maintenance(
        name="Database upgrade",
        body="We upgrade the database.",
        scheduled_for=now + timedelta(hours=1),
        scheduled_until=now + timedelta(hours=2),
        components=[component],
        actor=ACTOR,
        now=now,
    )
    maintenance.start_maintenance(window, actor=ACTOR, now=now + timedelta(minutes=1))
    send_hooks()
    titles = [r.json["embeds"][0]["title"] for r in http_sink.requests]
    assert "Scheduled maintenance: Database upgrade — Scheduled" in titles
    assert "Scheduled maintenance: Database upgrade — In progress" in titles


def test_a_failing_channel_records_its_error_and_a_paused_one_hears_nothing(
    app, http_sink, make_channel, make_incident, send_hooks
):
    channel = make_channel()
    http_sink.answers = [404]
    make_incident()
    assert send_hooks().failed == 1
    db.session.refresh(channel)
    assert channel.last_error == "HTTP 404"
    chat.update_chat_channel(
        channel, name=channel.name, audience=channel.audience, enabled=False, actor=ACTOR
    )
    make_incident()
    send_hooks()
    assert len(http_sink.requests) == 1


def test_the_url_must_be_http_and_not_private_unless_allowed(app):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    with pytest.raises(InvalidInput) as refused:
        chat.create_chat_channel(
            name="x",
            kind=ChatKind.SLACK,
            audience=Audience.PUBLIC,
            webhook_url="http://127.0.0.1:9/hook",
            actor=ACTOR,
        )
    assert refused.value.field == "webhook_url"


def test_admins_add_test_edit_and_delete_channels_and_the_url_is_never_shown_again(
    app, client, login_as, http_sink
):
    login_as(Role.ADMIN)
    assert client.get("/admin/settings/chat").status_code == 200
    token = client.csrf_token()
    url = http_sink.url("/services/T000/B000/SECRETSLACKTOKEN1234")
    answer = client.post(
        "/admin/settings/chat",
        data={
            "csrf_token": token,
            "name": "Ops room",
            "kind": "slack",
            "audience": "internal",
            "webhook_url": url,
        },
    )
    assert answer.status_code == 302
    channel = db.session.scalars(sa.select(ChatChannel)).one()
    assert channel.webhook_url == url and channel.audience is Audience.INTERNAL
    listing = client.get("/admin/settings/chat").text
    edit = client.get(f"/admin/settings/chat/{channel.id}/edit").text
    assert "Ops room" in listing and "SECRETSLACKTOKEN" not in listing + edit
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "create_chat_channel")
    )
    assert all("SECRETSLACKTOKEN" not in str(e.changes) for e in entries)
    assert (
        client.post(
            f"/admin/settings/chat/{channel.id}/test", data={"csrf_token": token}
        ).status_code
        == 302
    )
    report = sender.deliver_hooks()
    assert report.sent == 1
    [received] = http_sink.requests
    assert received.path == "/services/T000/B000/SECRETSLACKTOKEN1234"
    assert "test message" in received.json["text"]
    saved = client.post(
        f"/admin/settings/chat/{channel.id}/edit",
        data={"csrf_token": token, "name": "Ops", "audience": "public", "webhook_url": ""},
    )
    assert saved.status_code == 302
    db.session.refresh(channel)
    assert (channel.name, channel.audience, channel.enabled) == ("Ops", Audience.PUBLIC, False)
    assert channel.webhook_url == url  # blank keeps it
    assert (
        client.post(
            f"/admin/settings/chat/{channel.id}/delete", data={"csrf_token": token}
        ).status_code
        == 302
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatChannel)) == 0
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Delivery.kind == DeliveryKind.CHAT_TEST))
        == 0
    )


def test_a_bad_url_is_a_422_with_the_message(app, client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/admin/settings/chat").status_code == 200
    token = client.csrf_token()
    answer = client.post(
        "/admin/settings/chat",
        data={
            "csrf_token": token,
            "name": "Ops",
            "kind": "teams",
            "audience": "public",
            "webhook_url": "gopher://example.com/x",
        },
    )
    assert answer.status_code == 422
    assert "must start with http:// or https://" in answer.text


def test_quiet_updates_and_states(app, http_sink, make_channel, make_incident, send_hooks, now):
    make_channel()
    incident = make_incident()
    incidents.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Quietly",
        deliver_notifications=False,
        actor=ACTOR,
        now=now,
    )
    send_hooks()
    assert len(http_sink.requests) == 1
    states = db.session.scalars(sa.select(Delivery.state).where(Delivery.kind == DeliveryKind.CHAT))
    assert list(states) == [DeliveryState.SENT]
