"""Nothing internal reaches a public reader, on any public read path, mails and digests included.

One world holds each kind of internal thing under a unique marker string, next to public things
that point at them (a public incident on an internal component, a public component inside an
internal group, a note on a public incident). Every public GET route of the URL map is visited
with real arguments from that world (a route whose arguments the test cannot fill fails it), and
every mail the subscribers get (instant notifications, reminders, starts and completions, daily
digests, confirmation and "already subscribed" mails) goes through the real fan-out and a real
SMTP server. No marker may appear in any body or header. Staff pages do show every marker, so
the matrix cannot pass by showing nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import url_for

from statuspage.database import utcnow
from statuspage.enums import Cadence, ComponentStatus, Impact, IncidentStatus, Role, Visibility
from statuspage.services.components import tree
from statuspage.services.notices import incidents, maintenance, timeline
from statuspage.services.notices.due_work import run_due_work
from statuspage.services.outbox import delivery, events
from statuspage.services.subscribers import signup
from statuspage.services.subscribers.digests import queue_due_digests
from statuspage.services.subscribers.links import make_token
from tests.conftest import ACTOR, make_app

S = ComponentStatus
STAFF_PREFIXES = ("/admin", "/internal", "/api/manage", "/login", "/logout", "/account")

#: leak kind -> the marker its internal thing carries.
MARKERS = {
    "internal component": "LEAK-internal-component",
    "component in an internal group": "LEAK-internal-group",
    "grouped component": "LEAK-grouped-component",
    "internal incident": "LEAK-internal-incident",
    "internal note": "LEAK-internal-note",
    "internal maintenance": "LEAK-internal-maintenance",
}


def public_endpoints() -> list[str]:
    """Every GET endpoint an anonymous reader can reach, from the URL map."""
    app = make_app()
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods
            and rule.endpoint != "static"
            and not rule.rule.startswith(STAFF_PREFIXES)
        }
    )


ENDPOINTS = public_endpoints()


def build_world(base: datetime) -> dict[str, Any]:
    """The fixture world: each internal thing under its marker, public things around them, and
    subscribers of every kind (confirmed before anything happens, so digests cover it all)."""
    setup = base - timedelta(days=30)
    website = tree.create_component(name="Website", actor=ACTOR, now=setup)
    hidden = tree.create_component(
        name=MARKERS["internal component"], visibility=Visibility.INTERNAL, actor=ACTOR, now=setup
    )
    group = tree.create_group(
        name=MARKERS["component in an internal group"], actor=ACTOR, now=setup
    )
    grouped = tree.create_component(
        name=MARKERS["grouped component"], group=group, actor=ACTOR, now=setup
    )
    # Subscribed while the group was public; staff have made it internal since.
    subscribed = base - timedelta(hours=3)
    readers = {
        "instant_all": signup.subscribe(email="all@example.com", actor=ACTOR, now=subscribed),
        "instant_grouped": signup.subscribe(
            email="grouped@example.com", component_ids=[grouped.id], actor=ACTOR, now=subscribed
        ),
        "daily_all": signup.subscribe(
            email="daily@example.com", cadence=Cadence.DAILY, actor=ACTOR, now=subscribed
        ),
        "daily_grouped": signup.subscribe(
            email="daily-grouped@example.com",
            cadence=Cadence.DAILY,
            component_ids=[grouped.id],
            actor=ACTOR,
            now=subscribed,
        ),
        "daily_group": signup.subscribe(
            email="daily-group@example.com",
            cadence=Cadence.DAILY,
            group_ids=[group.id],
            actor=ACTOR,
            now=subscribed,
        ),
    }
    for reader in readers.values():
        signup.confirm_subscription(reader, actor=ACTOR, now=subscribed)
    pending = signup.subscribe(
        email="pending@example.com", component_ids=[grouped.id], actor=ACTOR, now=subscribed
    )
    tree.update_group(
        group,
        name=group.name,
        description=None,
        visibility=Visibility.INTERNAL,
        showcase=True,
        only_show_if_degraded=False,
        start_date=None,
        actor=ACTOR,
        now=base - timedelta(hours=2),
    )

    opened = base - timedelta(hours=1)
    slowdown = incidents.open_incident(
        name="Public slowdown",
        body="Pages load slowly.",
        impact=Impact.MINOR,
        status=IncidentStatus.INVESTIGATING,
        components={website: S.DEGRADED_PERFORMANCE, hidden: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=opened,
    )
    timeline.add_note(
        slowdown,
        body=f"{MARKERS['internal note']}: paging the database team.",
        actor=ACTOR,
        now=opened + timedelta(minutes=5),
    )
    incidents.post_update(
        slowdown,
        status=IncidentStatus.INVESTIGATING,
        visibility=Visibility.INTERNAL,
        body=f"{MARKERS['internal note']} (internal update): still digging.",
        actor=ACTOR,
        now=opened + timedelta(minutes=6),
    )
    incidents.post_update(
        slowdown,
        status=IncidentStatus.IDENTIFIED,
        body="Found the slow query.",
        components={website: S.DEGRADED_PERFORMANCE, hidden: S.MAJOR_OUTAGE},
        actor=ACTOR,
        now=opened + timedelta(minutes=10),
    )
    grouped_trouble = incidents.open_incident(
        name="Grouped trouble",
        body="Errors for some customers.",
        impact=Impact.MAJOR,
        status=IncidentStatus.INVESTIGATING,
        components={grouped: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=opened + timedelta(minutes=15),
    )
    incidents.resolve_incident(
        grouped_trouble, body="Fixed.", actor=ACTOR, now=opened + timedelta(minutes=40)
    )
    secret = incidents.open_incident(
        name=MARKERS["internal incident"],
        body=f"{MARKERS['internal incident']} body.",
        impact=Impact.CRITICAL,
        status=IncidentStatus.INVESTIGATING,
        components={website: S.MAJOR_OUTAGE},
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=opened + timedelta(minutes=20),
    )
    incidents.post_update(
        secret,
        status=IncidentStatus.IDENTIFIED,
        body=f"{MARKERS['internal incident']} found.",
        actor=ACTOR,
        now=opened + timedelta(minutes=25),
    )
    on_hidden = incidents.open_incident(
        name="Backend outage",
        body="The hidden backend is down.",
        impact=Impact.MAJOR,
        status=IncidentStatus.INVESTIGATING,
        components={hidden: S.MAJOR_OUTAGE},
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=opened + timedelta(minutes=30),
    )
    upgrade = maintenance.schedule_maintenance(
        name="Public upgrade",
        body="We upgrade the database.",
        scheduled_for=base + timedelta(hours=2),
        scheduled_until=base + timedelta(hours=3),
        components=[website, hidden, grouped],
        remind_minutes=60,
        actor=ACTOR,
        now=opened,
    )
    quiet = maintenance.schedule_maintenance(
        name=MARKERS["internal maintenance"],
        body=f"{MARKERS['internal maintenance']} body.",
        scheduled_for=base + timedelta(hours=2),
        scheduled_until=base + timedelta(hours=3),
        components=[website],
        remind_minutes=60,
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=opened,
    )
    incidents_ = [slowdown, grouped_trouble, secret, on_hidden]
    return {
        "base": base,
        "component_ids": [website.id, hidden.id, grouped.id],
        "group_id": group.id,
        "incident_ids": [i.id for i in incidents_],
        "maintenance_ids": [upgrade.id, quiet.id],
        "public_incident_id": slowdown.id,
        "secret_incident_id": secret.id,
        "quiet_maintenance_id": quiet.id,
        "readers": readers,
        "pending": pending,
    }


def argument_values(world: dict[str, Any]) -> dict[str, list[Any]]:
    """Every value worth trying for each URL argument, hidden things' ids included."""
    scoped = world["readers"]["instant_grouped"]
    return {
        "fmt": ["atom", "rss"],
        "component_id": world["component_ids"],
        "incident_id": world["incident_ids"],
        "maintenance_id": world["maintenance_ids"],
        "token": {
            "public.confirm_subscription": [make_token(world["pending"], "confirm")],
            "public.manage_subscription": [make_token(scoped, "manage")],
            "public.unsubscribe": [make_token(scoped, "unsubscribe")],
        },
    }


#: Query strings read by an endpoint: months and per-component history.
def extra_queries(endpoint: str, world: dict[str, Any]) -> list[str]:
    if endpoint != "public.history":
        return [""]
    base = world["base"]
    months = [base.strftime("%Y-%m"), (base.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")]
    return [
        "",
        *(f"?month={m}" for m in months),
        *(f"?component={c}" for c in world["component_ids"]),
    ]


def urls_for(app, endpoint: str, world: dict[str, Any]) -> list[str]:
    """All URLs of *endpoint* with arguments from *world*; fails when one cannot be filled."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = argument_values(world)
    combos: list[dict[str, Any]] = [{}]
    for argument in sorted(rule.arguments):
        assert argument in values, f"{endpoint}: the leak matrix has no values for <{argument}>"
        choices = values[argument]
        if isinstance(choices, dict):
            assert endpoint in choices, f"{endpoint}: the leak matrix has no <{argument}> for it"
            choices = choices[endpoint]
        combos = [{**combo, argument: value} for combo in combos for value in choices]
    with app.test_request_context():
        paths = [url_for(endpoint, **combo) for combo in combos]
    return [path + query for path in paths for query in extra_queries(endpoint, world)]


def assert_clean(text: str, where: str, kind: str) -> None:
    marker = MARKERS[kind]
    assert marker not in text, f"{kind} leaks on {where}"


@pytest.fixture
def world(app) -> dict[str, Any]:
    return build_world(utcnow().replace(microsecond=0))


def test_every_public_get_route_is_in_the_matrix(app, world):
    """A new public route is visited without editing this file, or fails here for want of
    argument values."""
    assert len(ENDPOINTS) >= 20
    for endpoint in ENDPOINTS:
        assert urls_for(app, endpoint, world)


@pytest.mark.parametrize("kind", sorted(MARKERS))
def test_no_public_route_shows_internal_things(app, client, world, kind):
    """One row of the matrix per leak kind, across every public GET route (one world per row:
    building it is what costs); every leaking URL is named, not only the first."""
    marker = MARKERS[kind]
    leaks, visited = [], 0
    for endpoint in ENDPOINTS:
        for url in urls_for(app, endpoint, world):
            with client.get(url) as response:
                assert response.status_code < 500, url
                body = response.get_data(as_text=True)
                headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            visited += 1
            if marker in body:
                leaks.append(f"{endpoint} {url}")
            if marker in headers:
                leaks.append(f"{endpoint} {url} (headers)")
    assert visited >= 40
    assert leaks == [], f"{kind} ({marker}) leaks on"


def test_staff_see_every_marker(client, login_as, world):
    """The matrix is not vacuous: the internal pages show every internal thing."""
    login_as(Role.VIEWER)
    pages = ["/internal", "/internal/history"]
    pages += [f"/internal/incidents/{i}" for i in world["incident_ids"]]
    pages += [f"/internal/maintenance/{m}" for m in world["maintenance_ids"]]
    seen = ""
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        seen += response.get_data(as_text=True)
    missing = [kind for kind, marker in MARKERS.items() if marker not in seen]
    assert missing == []


def message_text(message: Any) -> str:
    """Every header and every decoded text part of a mail."""
    parts = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
            parts.extend(f"{k}: {v}" for k, v in part.items())
    return "\n".join(parts)


@pytest.mark.config(DIGEST_HOUR=8)
def test_no_mail_tells_a_subscriber_internal_things(app, smtp_server, smtp_mailer, world):
    """Instant notifications, reminders, start and completion, daily digests, confirmations and
    the "already subscribed" mail, through the real fan-out and a real SMTP server."""
    base = world["base"]
    signup.subscribe(email="grouped@example.com", actor=ACTOR, now=base)  # "already subscribed"
    for minutes in (61, 121, 181):  # the reminders, then both windows start and complete
        run_due_work(now=base + timedelta(minutes=minutes))
    events_sent = _send_everything(smtp_mailer, base + timedelta(hours=4))
    assert queue_due_digests(now=base + timedelta(days=2)) == 3
    _send_everything(smtp_mailer, base + timedelta(days=2, minutes=1))
    messages = smtp_server.sink.messages
    subjects = [m["Subject"] for m in messages]
    assert events_sent > 0 and sum("digest" in s for s in subjects) == 3
    assert any("Public upgrade" in s for s in subjects)  # reminders and the window went out
    assert any(
        "Grouped trouble" in message_text(m)
        for m in smtp_server.sink.to("daily-grouped@example.com")
    )
    for message in messages:
        text = message_text(message)
        for kind in MARKERS:
            assert_clean(text, f"the mail {message['Subject']!r} to {message['To']}", kind)


def _send_everything(mailer: Any, now: datetime) -> int:
    events.fan_out_events(now=now)
    sent = 0
    while True:
        report = delivery.deliver_pending(mailer, now=now)
        sent += report.sent
        if not report.sent or report.errors:
            return sent
