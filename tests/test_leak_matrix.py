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

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import url_for

from statuspage.database import utcnow
from statuspage.enums import (
    Audience,
    Cadence,
    ChatKind,
    CheckKind,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Priority,
    Role,
    TemplateKind,
    Urgency,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import Component, ComponentGroup, Incident, User
from statuspage.services.accounts import users
from statuspage.services.automation import ingest, integrations
from statuspage.services.checks import configure as check_config
from statuspage.services.checks.probes import ProbeResult
from statuspage.services.checks.runner import record_result
from statuspage.services.components import tree
from statuspage.services.components.runbooks import RunbookInput
from statuspage.services.hooks import chat, sender, webhooks
from statuspage.services.notices import incidents, maintenance, timeline
from statuspage.services.notices.due_work import run_due_work
from statuspage.services.outbox import delivery, events
from statuspage.services.response import priority, roles, templates
from statuspage.services.response.escalation import escalate_due
from statuspage.services.review import action_items, postmortems
from statuspage.services.subscribers import signup
from statuspage.services.subscribers.digests import queue_due_digests
from statuspage.services.subscribers.links import make_token
from tests.conftest import ACTOR, PASSWORD, make_app

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
    # Incident response on a public incident: staff only, everywhere.
    "priority": "priority-p",
    "priority override reason": "LEAK-override-reason",
    "incident commander": "LEAK-commander",
    "communications lead": "LEAK-comms-lead",
    "responder": "LEAK-responder",
    "acknowledgement": "LEAK-acknowledged-by",
    # Response details on a public component and on a public group: staff only, everywhere.
    "owner team": "LEAK-owner-team",
    "runbook link": "LEAK-runbook-link",
    "escalation contact name": "LEAK-contact-name",
    "escalation contact email": "leak-contact-email",
    "escalation contact notes": "LEAK-contact-notes",
    "responder notes": "LEAK-responder-notes",
    # Canned responses: staff only (their text reaches the public only once someone posts it).
    "response template": "LEAK-response-template",
    # Monitoring integrations: their names, the alerts they send (an unmatched component
    # label, a summary) and the draft incident their policy opens for editors.
    "integration name": "LEAK-integration-name",
    "unmatched alert label": "LEAK-unmatched-label",
    "alert summary": "LEAK-alert-summary",
    "integration draft incident": "LEAK-integration-draft",
    # Post-incident review on a public incident: a draft postmortem, an action item's title
    # and its owner.
    **{
        "draft postmortem": "LEAK-draft-postmortem",
        "action item": "LEAK-action-item",
        "action item owner": "LEAK-action-owner",
    },
}
#: Problem management and customers' reports: shown on admin pages only (not /internal).
PROBLEM_MARKERS = {
    "problem title": "LEAK-problem-title",
    "problem root cause": "LEAK-root-cause",
    "report description": "LEAK-report-description",
    "reporter email": "leak-reporter",
}
#: Built-in checks: their names, targets and results' details are staff only, on a public
#: component that shows its response times publicly (shown on the check's admin page).
CHECK_MARKERS = {
    "check name": "LEAK-check-name",
    "check target": "leak-check-target",
    "check result detail": "LEAK-check-detail",
}
#: Secrets of outbound hooks: a chat channel's incoming-webhook URL, a webhook subscriber's
#: endpoint. Never on a public path (staff see only a hint of the URL).
HOOK_MARKERS = {
    "chat channel url": "LEAK-chat-url",
    "webhook endpoint": "LEAK-webhook-endpoint",
}
ALL_MARKERS = {**MARKERS, **PROBLEM_MARKERS, **CHECK_MARKERS, **HOOK_MARKERS}


def runbook_of(where: str) -> RunbookInput:
    """Every response detail of the public component or group *where*, each under its marker
    (with *where* after it, so staff pages can be checked for both)."""
    return RunbookInput(
        owner_team=f"{MARKERS['owner team']} {where}",
        runbook_urls=[f"https://wiki.example.com/{MARKERS['runbook link']}/{where}"],
        escalation_contacts=[
            {
                "name": f"{MARKERS['escalation contact name']} {where}",
                "email": f"{MARKERS['escalation contact email']}-{where}@example.com",
                "notes": f"{MARKERS['escalation contact notes']} {where} +1 555 0100",
            }
        ],
        internal_notes=f"{MARKERS['responder notes']} {where}: restart *the worker*.",
    )


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
    website = tree.create_component(
        name="Website", runbook=runbook_of("component"), actor=ACTOR, now=setup
    )
    edge = tree.create_group(name="Edge", runbook=runbook_of("group"), actor=ACTOR, now=setup)
    cdn = tree.create_component(name="CDN", group=edge, actor=ACTOR, now=setup)
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

    hook = webhooks.subscribe_webhook(
        endpoint=f"https://hooks.example.com/{HOOK_MARKERS['webhook endpoint']}",
        email="hooked@example.com",
        actor=ACTOR,
        now=subscribed,
    )
    signup.confirm_subscription(hook, actor=ACTOR, now=subscribed)
    for audience in Audience:
        chat.create_chat_channel(
            name=f"Chat {audience.value}",
            kind=ChatKind.SLACK,
            audience=audience,
            webhook_url=f"https://chat.example.com/{HOOK_MARKERS['chat channel url']}/{audience}",
            actor=ACTOR,
            now=subscribed,
        )

    opened = base - timedelta(hours=1)
    slowdown = incidents.open_incident(
        name="Public slowdown",
        body="Pages load slowly.",
        impact=Impact.MINOR,
        status=IncidentStatus.INVESTIGATING,
        components={website: S.DEGRADED_PERFORMANCE, hidden: S.PARTIAL_OUTAGE, cdn: S.OPERATIONAL},
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
    respond_to(slowdown, opened)
    review(slowdown, opened)
    record_problem(slowdown, website, opened)
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
    templates.create_template(
        name=MARKERS["response template"],
        kind=TemplateKind.INCIDENT,
        status=IncidentStatus.INVESTIGATING,
        impact=Impact.MAJOR,
        title=f"{MARKERS['response template']} on {{{{ components }}}}",
        body=f"{MARKERS['response template']}: {{{{ components }}}} is down.",
        components=[website],
        actor=ACTOR,
        now=opened,
    )
    checked = monitor(setup, base)
    integration_id, draft = open_integration_draft(website, opened + timedelta(minutes=35))
    incidents_ = [slowdown, grouped_trouble, secret, on_hidden, draft]
    return {
        "checked_component_id": checked.id,
        "integration_id": integration_id,
        "base": base,
        "component_ids": [website.id, hidden.id, grouped.id, cdn.id],
        "group_id": group.id,
        "incident_ids": [i.id for i in incidents_],
        "maintenance_ids": [upgrade.id, quiet.id],
        "public_incident_id": slowdown.id,
        "secret_incident_id": secret.id,
        "quiet_maintenance_id": quiet.id,
        "readers": readers,
        "pending": pending,
    }


def monitor(setup: datetime, base: datetime) -> Component:
    """A public component showing its response times, with a check (name and target under
    their markers) that has a day of results, the latest a failure with its detail."""
    checked = tree.create_component(
        name="Checkout", show_response_times=True, actor=ACTOR, now=setup
    )
    check = check_config.create_check(
        checked,
        check_config.CheckInput(
            kind=CheckKind.HTTP,
            name=CHECK_MARKERS["check name"],
            url=f"https://{CHECK_MARKERS['check target']}.example.com/health",
        ),
        actor=ACTOR,
        now=setup,
    )
    for step in range(1, 24):
        at = base - timedelta(hours=step)
        record_result(check, ProbeResult(True, "HTTP 200.", 20.0 + step), now=at)
    failed = ProbeResult(False, f"{CHECK_MARKERS['check result detail']}: HTTP 500.", 9.0)
    record_result(check, failed, now=base - timedelta(minutes=1))
    return checked


def open_integration_draft(component: Component, at: datetime) -> tuple[str, Incident]:
    """An Alertmanager integration with the draft policy: its alert (held from the public for a
    day) opens an internal incident from its own template, another names no component."""
    template = templates.create_template(
        name="Integration draft",
        kind=TemplateKind.INCIDENT,
        status=IncidentStatus.INVESTIGATING,
        impact=Impact.MAJOR,
        title=f"{MARKERS['integration draft incident']} on {{{{ components }}}}",
        body=f"{MARKERS['integration draft incident']}: {{{{ components }}}} alerts.",
        components=[],
        actor=ACTOR,
        now=at,
    )
    made = integrations.create_integration(
        name=MARKERS["integration name"],
        kind="alertmanager",
        damping_minutes=1440,
        incident_policy="draft",
        template_id=template.id,
        actor=ACTOR,
        now=at,
    )

    def alert(component_label: str, fingerprint: str) -> dict[str, Any]:
        return {
            "status": "firing",
            "labels": {"alertname": "Down", "component": component_label, "severity": "critical"},
            "annotations": {"summary": f"{MARKERS['alert summary']} {fingerprint}"},
            "fingerprint": fingerprint,
        }

    body = {
        "version": "4",
        "alerts": [alert(component.id, "a"), alert(MARKERS["unmatched alert label"], "b")],
    }
    report = ingest.receive_alerts(made.integration, json.dumps(body).encode(), now=at)
    assert report.incident_id is not None and report.unmatched
    return made.integration.id, db.session.get(Incident, report.incident_id)


def record_problem(incident: Incident, component: Any, opened: datetime) -> None:
    """A problem linked to the public incident, and a customer's report linked to it too."""
    from statuspage.enums import ReportState
    from statuspage.services.problems import records, reports

    at = opened + timedelta(minutes=3)
    problem = records.create_problem(
        title=PROBLEM_MARKERS["problem title"],
        root_cause=PROBLEM_MARKERS["problem root cause"],
        components=[component],
        actor=ACTOR,
        now=at,
    )
    records.link_incident(problem, incident.id, actor=ACTOR, now=at)
    report = reports.submit_report(
        component_id=component.id,
        description=PROBLEM_MARKERS["report description"],
        email=f"{PROBLEM_MARKERS['reporter email']}@example.com",
        actor=ACTOR,
        now=at,
    )
    reports.triage_report(
        report, state=ReportState.LINKED, incident_id=incident.id, actor=ACTOR, now=at
    )


def respond_to(incident: Incident, opened: datetime) -> None:
    """Run a public incident as staff do: urgency, an override with its reason, every role, an
    acknowledgement (each also an internal timeline entry)."""

    def staff(marker: str) -> User:
        return users.create_user(
            email=f"{marker.lower()}@example.com",
            password=PASSWORD,
            role=Role.EDITOR,
            name=marker,
            actor=ACTOR,
            now=opened,
        )

    at = opened + timedelta(minutes=2)
    priority.set_urgency(incident, Urgency.HIGH, actor=ACTOR, now=at)
    priority.override_priority(
        incident, Priority.P1, reason=MARKERS["priority override reason"], actor=ACTOR, now=at
    )
    roles.set_roles(
        incident,
        commander=staff(MARKERS["incident commander"]),
        comms_lead=staff(MARKERS["communications lead"]),
        responders=[staff(MARKERS["responder"])],
        actor=ACTOR,
        now=at,
    )
    roles.acknowledge_incident(
        incident, user=staff(MARKERS["acknowledgement"]), actor=ACTOR, now=at
    )


def review(incident: Incident, opened: datetime) -> None:
    """Start the public incident's review: a draft postmortem and an action item (due after the
    mails are sent: its owner's overdue mail is staff mail, tested in tests/mail)."""
    postmortems.save_postmortem(
        incident, body=f"{MARKERS['draft postmortem']} words.", actor=ACTOR, now=opened
    )
    owner = users.create_user(
        email="owner@example.com",
        password=PASSWORD,
        role=Role.EDITOR,
        name=MARKERS["action item owner"],
        actor=ACTOR,
        now=opened,
    )
    action_items.create_action_item(
        incident,
        action_items.ActionItemInput(
            title=MARKERS["action item"],
            owner_id=owner.id,
            due_on=(opened + timedelta(days=7)).date(),
        ),
        actor=ACTOR,
        now=opened,
    )


def argument_values(world: dict[str, Any]) -> dict[str, list[Any]]:
    """Every value worth trying for each URL argument, hidden things' ids included."""
    scoped = world["readers"]["instant_grouped"]
    return {
        "fmt": {
            "public.history_feed": ["atom", "rss", "json"],
            "public.component_history_feed": ["atom", "rss", "json"],
            "public.page_badge": ["svg", "json"],
            "public.component_badge": ["svg", "json"],
        },
        "component_id": world["component_ids"],
        "incident_id": world["incident_ids"],
        "maintenance_id": world["maintenance_ids"],
        "month": [
            world["base"].strftime("%Y-%m"),
            (world["base"] - timedelta(days=31)).strftime("%Y-%m"),
        ],
        "page": [1],
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
    marker = ALL_MARKERS[kind]
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


@pytest.mark.parametrize("kind", sorted(ALL_MARKERS))
def test_no_public_route_shows_internal_things(app, client, world, kind):
    """One row of the matrix per leak kind, across every public GET route (one world per row:
    building it is what costs); every leaking URL is named, not only the first."""
    marker = ALL_MARKERS[kind]
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
    login_as(Role.ADMIN)  # templates and integrations are kept on the admin pages
    seen += client.get("/admin/templates").get_data(as_text=True)
    seen += client.get(f"/admin/settings/integrations/{world['integration_id']}").text
    missing = [kind for kind, marker in MARKERS.items() if marker not in seen]
    assert missing == []


def test_staff_see_the_response_details_of_the_affected_component_and_group(
    client, login_as, world
):
    """On /internal (an open incident affects them) and on the admin page of that incident:
    each detail of the component and of its group."""
    login_as(Role.EDITOR)
    for page in ["/internal", f"/admin/incidents/{world['public_incident_id']}"]:
        response = client.get(page)
        assert response.status_code == 200, page
        text = response.get_data(as_text=True)
        for where in ("component", "group"):
            details = runbook_of(where)
            [contact] = details.escalation_contacts
            expected = [
                details.owner_team,
                *details.runbook_urls,
                contact["name"],
                contact["email"],
                contact["notes"],
                f"{MARKERS['responder notes']} {where}: restart <em>the worker</em>.",
            ]
            assert [e for e in expected if e not in text] == [], (page, where)


def test_editors_see_the_problem_and_the_report(client, login_as, world):
    """Problems and reports are for the admin pages: the incident's problem, the triage queue."""
    login_as(Role.EDITOR)
    seen = client.get(f"/admin/incidents/{world['public_incident_id']}").get_data(as_text=True)
    seen += client.get("/admin/problems").get_data(as_text=True)
    seen += client.get("/admin/triage").get_data(as_text=True)
    problem = client.get("/admin/problems").get_data(as_text=True)
    assert PROBLEM_MARKERS["problem title"] in problem
    link = re.search(r'href="/admin/problems/([a-z0-9]{12})"', problem).group(1)
    seen += client.get(f"/admin/problems/{link}").get_data(as_text=True)
    missing = [kind for kind, marker in PROBLEM_MARKERS.items() if marker not in seen]
    assert missing == []


def test_admins_see_the_check_and_the_public_sees_only_its_chart(client, login_as, world):
    """The check's name, target and detail are on its admin page; the public page shows the
    component's response-time chart (so the matrix visits a real chart) without any of them."""
    public = client.get("/response-times").get_data(as_text=True)
    assert "Checkout" in public and '<svg class="chart"' in public
    login_as(Role.ADMIN)
    seen = client.get(f"/admin/components/{world['checked_component_id']}/checks")
    assert seen.status_code == 200
    text = seen.get_data(as_text=True)
    assert [kind for kind, marker in CHECK_MARKERS.items() if marker not in text] == []


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
    drafts = [m for m in messages if m["Message-ID"].startswith("<alert_draft-")]
    staff = set(db.session.scalars(sa.select(User.email)))
    assert drafts and {m["To"] for m in drafts} <= staff  # the integration's draft: to editors
    assert all(MARKERS["integration draft incident"] in message_text(m) for m in drafts)
    for message in messages:
        if message in drafts:
            continue
        text = message_text(message)
        for kind in ALL_MARKERS:
            if kind == "webhook endpoint" and message["To"] == "hooked@example.com":
                continue  # the webhook's own address is told its own URL
            assert_clean(text, f"the mail {message['Subject']!r} to {message['To']}", kind)


def test_escalation_mail_goes_to_staff_only(app, smtp_server, smtp_mailer, world):
    """SLA escalations name internal things (an internal incident, the people running a public
    one): they go to staff through the same outbox, never to a subscriber, and the subscribers'
    own mail of the same rounds stays clean."""
    base = world["base"]
    later = base + timedelta(hours=5)  # every open incident's targets are long breached
    assert escalate_due(later) > 0
    _send_everything(smtp_mailer, later)
    messages = smtp_server.sink.messages
    escalations = [m for m in messages if m["Message-ID"].startswith("<escalation-")]
    staff = set(db.session.scalars(sa.select(User.email)))
    for model in (Component, ComponentGroup):  # the components' escalation contacts
        for contacts in db.session.scalars(sa.select(model.escalation_contacts)):
            staff |= {contact["email"].lower() for contact in contacts}
    readers = {r.email for r in world["readers"].values()} | {world["pending"].email}
    assert escalations and {m["To"] for m in escalations} <= staff
    assert not {m["To"] for m in escalations} & readers
    assert any(MARKERS["internal incident"] in message_text(m) for m in escalations)
    assert any(MARKERS["incident commander"] in message_text(m) for m in escalations)
    for message in messages:
        if message["To"] in readers:
            assert "<escalation-" not in message["Message-ID"]
            for kind in MARKERS:
                assert_clean(message_text(message), f"the mail to {message['To']}", kind)


def test_no_webhook_or_public_chat_message_tells_internal_things(app, http_sink, world):
    """Webhook subscribers and public chat channels hear only what the public may; an internal
    channel hears the internal things (so the check is not vacuous)."""
    base = world["base"]
    subscribed = base - timedelta(hours=3)
    hook = webhooks.subscribe_webhook(
        endpoint=http_sink.url("/webhook"), email="sink@example.com", actor=ACTOR, now=subscribed
    )
    signup.confirm_subscription(hook, actor=ACTOR, now=subscribed)
    for channel in chat.list_chat_channels():  # the world's channels post to the sink now
        path = f"/chat-{channel.audience.value}"
        chat.update_chat_channel(
            channel,
            name=channel.name,
            audience=channel.audience,
            enabled=True,
            webhook_url=http_sink.url(path),
            actor=ACTOR,
        )
    for minutes in (61, 121, 181):  # the reminders, then both windows start and complete
        run_due_work(now=base + timedelta(minutes=minutes))
    later = base + timedelta(hours=4)
    events.fan_out_events(now=later)
    while sender.deliver_hooks(now=later).attempted:
        pass
    public = http_sink.to("/webhook") + http_sink.to("/chat-public")
    internal = "\n".join(r.body.decode() for r in http_sink.to("/chat-internal"))
    assert len(http_sink.to("/webhook")) > 2 and len(http_sink.to("/chat-public")) > 2
    for received in public:
        text = received.body.decode()
        for kind in ALL_MARKERS:
            assert_clean(text, f"the POST to {received.path}", kind)
    for kind in ("internal incident", "internal note", "internal maintenance"):
        assert MARKERS[kind] in internal, kind


def _send_everything(mailer: Any, now: datetime) -> int:
    events.fan_out_events(now=now)
    sent = 0
    while True:
        report = delivery.deliver_pending(mailer, now=now)
        sent += report.sent
        if not report.sent or report.errors:
            return sent
