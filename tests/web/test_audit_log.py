"""The audit log: every service leaves an entry; admins filter it and export it as CSV."""

import ast
import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import (
    Audience,
    Cadence,
    ChatKind,
    CheckKind,
    ComponentStatus,
    IncidentRole,
    IncidentStatus,
    MaintenanceStatus,
    Priority,
    Role,
    TemplateKind,
    TokenScope,
    Urgency,
    Via,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import AuditEntry
from statuspage.services.accounts import api_tokens, sessions, users
from statuspage.services.automation import incidents as automation_incidents
from statuspage.services.automation import ingest, integrations, signals
from statuspage.services.automation.signals import Signal
from statuspage.services.checks import configure as check_config
from statuspage.services.checks import results as check_results
from statuspage.services.checks import runner as check_runner
from statuspage.services.checks.probes import ProbeResult
from statuspage.services.components import runbooks
from statuspage.services.components import tree as components
from statuspage.services.hooks import chat as chat_channels
from statuspage.services.hooks import sender as hooks_sender
from statuspage.services.hooks import webhooks
from statuspage.services.notices import (
    backfill,
    due_work,
    edit,
    incidents,
    maintenance,
    recurrence,
    timeline,
)
from statuspage.services.outbox import delivery as notifications
from statuspage.services.response import escalation, roles
from statuspage.services.response import priority as priorities
from statuspage.services.response import templates as response_templates
from statuspage.services.response.configure import configure_response_policy
from statuspage.services.response.policy import DEFAULT_MATRIX, DEFAULT_SLA
from statuspage.services.review import action_items, postmortems
from statuspage.services.site import configure as settings
from statuspage.services.site.settings import get_site_settings
from statuspage.services.subscribers import admin as subscriber_admin
from statuspage.services.subscribers import signup as subscribers
from statuspage.services.unit import Actor
from statuspage.spreadsheet import escape_formula, unescape_formula
from tests.conftest import ACTOR, PASSWORD

PACKAGE = Path(__file__).resolve().parents[2] / "statuspage"


def actions():
    return set(db.session.scalars(sa.select(AuditEntry.action)))


#: Units of work that touch no audited row, so they leave no entry (the rest all must).
RECORDS_NO_ENTRY = {
    "queue_test_mail",  # only an outbox row, which is not audited
    # A claim (a conditional UPDATE) and an outbox row: neither is audited.
    "notify_overdue_action_item",
    "notify_problem_reporter",
    # Built-in checks: a claim is a conditional UPDATE of run state, a prune deletes results;
    # neither is audited (a check's configuration is).
    "claim_check",
    "prune_check_results",
    "queue_chat_test",  # only an outbox row
}


def code_actions() -> set[str]:
    """Every action a service can record: the first argument of each unit_of_work() call in
    the package, so a new service without coverage here fails the test."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (
                isinstance(node, ast.Call) and getattr(node.func, "id", None) == "unit_of_work"
            ):
                continue
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant), (
                f"{path}:{node.lineno}: name the action literally"
            )
            found.add(first.value)
    return found


def test_the_action_names_are_found_in_the_code():
    found = code_actions()
    assert {"open_incident", "schedule_maintenance", "login", "create_token"} <= found
    assert RECORDS_NO_ENTRY <= found


def test_every_service_leaves_an_audit_entry(app, make_user):
    admin = make_user(Role.ADMIN)
    actor = Actor.of(admin, via=Via.UI, ip="198.51.100.7")
    now = utcnow()
    group = components.create_group(name="G", actor=actor)
    components.update_group(
        group,
        name="G2",
        description=None,
        visibility=Visibility.PUBLIC,
        showcase=True,
        only_show_if_degraded=False,
        start_date=None,
        actor=actor,
    )
    api = components.create_component(name="API", group=group, actor=actor)
    web = components.create_component(name="Web", actor=actor)
    components.update_component(
        web,
        name="Web2",
        group=None,
        description=None,
        visibility=Visibility.PUBLIC,
        showcase=True,
        only_show_if_degraded=False,
        start_date=None,
        actor=actor,
    )
    runbooks.set_runbook(api, runbooks.RunbookInput(owner_team="Core SRE"), actor=actor)
    components.move_item(web, offset=-1, actor=actor)
    components.reorder_items([group, web], actor=actor)
    components.set_component_status(api, ComponentStatus.DEGRADED_PERFORMANCE, actor=actor)
    components.archive_component(web, actor=actor)
    components.restore_component(web, actor=actor)
    components.delete_component(web, actor=actor)
    spare = components.create_group(name="Spare", actor=actor)
    components.archive_group(spare, actor=actor)
    components.restore_group(spare, actor=actor)
    components.delete_group(spare, actor=actor)
    incident = incidents.open_incident(
        name="I", body="b", components={api: ComponentStatus.MAJOR_OUTAGE}, actor=actor
    )
    update = incidents.post_update(
        incident, status=IncidentStatus.IDENTIFIED, body="c", actor=actor
    )
    timeline.edit_update(update, body="c2", actor=actor)
    incidents.update_incident(
        incident, name="I2", impact=incident.impact, visibility=Visibility.PUBLIC, actor=actor
    )
    timeline.add_note(incident, body="n", actor=actor)
    pending = incidents.post_update(
        incident,
        status=IncidentStatus.MONITORING,
        body="p",
        publish_at=now + timedelta(hours=1),
        actor=actor,
    )
    timeline.edit_scheduled_update(
        pending, body="p2", publish_at=now + timedelta(hours=2), actor=actor
    )
    timeline.cancel_scheduled_update(pending, actor=actor)
    incidents.post_update(
        incident,
        status=IncidentStatus.MONITORING,
        body="due",
        publish_at=now + timedelta(minutes=1),
        actor=actor,
        now=now,
    )
    due_work.run_due_work(now=now + timedelta(minutes=2))
    incidents.resolve_incident(incident, body="r", actor=actor)
    incidents.reopen_incident(incident, body="again", actor=actor)
    incidents.delete_incident(incident, actor=actor)
    window = maintenance.schedule_maintenance(
        name="M",
        body="m",
        scheduled_for=now + timedelta(hours=1),
        scheduled_until=now + timedelta(hours=2),
        components=[api],
        actor=actor,
    )
    maintenance.update_maintenance(
        window,
        name="M2",
        components=[api],
        visibility=Visibility.PUBLIC,
        auto_start=True,
        auto_complete=True,
        remind_minutes=30,
        start_message="",
        complete_message="",
        actor=actor,
    )
    maintenance.reschedule_maintenance(
        window,
        scheduled_for=now + timedelta(hours=3),
        scheduled_until=now + timedelta(hours=4),
        body="moved",
        actor=actor,
    )
    maintenance.mark_reminded(window, stale=False, actor=actor)
    maintenance.start_maintenance(window, actor=actor)
    maintenance.post_maintenance_update(
        window, status=MaintenanceStatus.VERIFYING, body="v", actor=actor
    )
    maintenance.complete_maintenance(window, actor=actor)
    other = maintenance.schedule_maintenance(
        name="X",
        body="x",
        scheduled_for=now + timedelta(hours=1),
        scheduled_until=now + timedelta(hours=2),
        actor=actor,
    )
    maintenance.cancel_maintenance(other, body="no", actor=actor)
    rule = recurrence.create_recurrence(
        name="R",
        body="r",
        rule="FREQ=WEEKLY",
        first_start=(now + timedelta(days=1)).replace(tzinfo=None),
        timezone="UTC",
        duration_minutes=30,
        components=[],
        visibility=Visibility.PUBLIC,
        auto_start=True,
        auto_complete=True,
        remind_minutes=None,
        start_message="",
        complete_message="",
        actor=actor,
    )
    recurrence.update_recurrence(
        rule,
        name="R2",
        body="r",
        rule="FREQ=WEEKLY",
        first_start=rule.first_start,
        timezone="UTC",
        duration_minutes=45,
        components=[],
        visibility=Visibility.PUBLIC,
        auto_start=True,
        auto_complete=True,
        remind_minutes=None,
        start_message="",
        complete_message="",
        actor=actor,
    )
    recurrence.end_recurrence(rule, body="stop", actor=actor)
    responder = users.create_user(
        email="r@example.com", password=PASSWORD, role=Role.EDITOR, actor=actor
    )
    live = incidents.open_incident(name="Run", body="r", actor=actor)
    priorities.set_urgency(live, Urgency.HIGH, actor=actor)
    priorities.override_priority(live, Priority.P1, reason="why", actor=actor)
    roles.assign_role(live, IncidentRole.RESPONDER, responder, actor=actor)
    roles.unassign_role(live, IncidentRole.RESPONDER, responder, actor=actor)
    roles.set_roles(live, commander=responder, actor=actor)
    roles.acknowledge_incident(live, user=responder, actor=actor)
    assert escalation.escalate_due(now + timedelta(hours=5)) > 0  # resolve breached: mailed
    edit.edit_incident(live, urgency=Urgency.LOW, comms_lead=responder, actor=actor)
    backfill.backfill_incident(
        name="Past",
        body="p",
        history=backfill.History(
            started_at=now - timedelta(hours=3),
            acknowledged_at=now - timedelta(hours=2),
            resolved_at=now - timedelta(hours=1),
        ),
        actor=actor,
        now=now,
    )
    incidents.resolve_incident(live, body="done", actor=actor)
    postmortems.save_postmortem(live, body="pm", actor=actor)
    postmortems.publish_postmortem(live, notify=True, actor=actor)
    item = action_items.create_action_item(
        live,
        action_items.ActionItemInput(title="a", owner_id=responder.id, due_on=None),
        actor=actor,
    )
    action_items.update_action_item(
        item,
        action_items.ActionItemInput(title="a2", owner_id=responder.id, due_on=date(2020, 1, 1)),
        actor=actor,
    )
    action_items.notify_overdue_action_items(now=now)
    configure_response_policy(matrix=DEFAULT_MATRIX, sla=DEFAULT_SLA, lead_percent=20, actor=actor)
    user = users.create_user(
        email="u@example.com", password=PASSWORD, role=Role.VIEWER, actor=actor
    )
    users.change_role(user, Role.EDITOR, actor=actor)
    users.set_user_active(user, False, actor=actor)
    users.set_password(user, "another-long-passphrase-2", actor=actor)
    sessions.sign_in(admin, actor=actor)
    token = api_tokens.create_token(
        name="T", scope=TokenScope.READ, expires_at=now + timedelta(days=30), actor=actor, now=now
    ).token
    api_tokens.revoke_token(token, actor=actor, now=now)
    api_tokens.rotate_feed_token(admin, actor=actor)
    api_tokens.revoke_feed_token(admin, actor=actor)
    subscriber = subscribers.subscribe(email="s@example.com", actor=actor)
    subscribers.resend_confirmation(subscriber, actor=actor, now=now + timedelta(hours=1))
    subscribers.confirm_subscription(subscriber, actor=actor)
    subscribers.update_subscription(
        subscriber, cadence=Cadence.DAILY, component_ids=[], group_ids=[], paused=False, actor=actor
    )
    subscribers.unsubscribe(subscriber, actor=actor)
    subscribers.remove_subscriber(subscriber, actor=actor)
    subscribers.subscribe(email="old@example.com", actor=actor, now=now - timedelta(days=9))
    subscribers.purge_unconfirmed(actor=actor, now=now)
    subscriber_admin.import_subscribers(b"email\nimported@example.com\n", actor=actor, now=now)
    settings.update_settings(
        page_name="P",
        base_url="https://status.example.com",
        timezone="UTC",
        brand_colour=None,
        support_url=None,
        footer_text="",
        default_notify=True,
        actor=actor,
    )
    settings.set_logo(b"GIF89a" + b"\x00" * 20, actor=actor)
    settings.remove_logo(actor=actor)
    notifications.queue_test_mail("t@example.com", requested_by="me", actor=actor)
    _problems_and_reports(api, actor)
    notifications.requeue_failed_deliveries(actor=actor)
    response_templates.ensure_default_templates(actor=actor, now=now)
    template = response_templates.create_template(
        name="T",
        kind=TemplateKind.UPDATE,
        status=IncidentStatus.IDENTIFIED,
        impact=None,
        title="",
        body="Found {{ components }}.",
        actor=actor,
    )
    response_templates.update_template(
        template,
        name="T2",
        status=IncidentStatus.MONITORING,
        impact=None,
        title="",
        body="Watching {{ components }}.",
        actor=actor,
    )
    response_templates.delete_template(template, actor=actor)
    # Automation moves a component's statuses: its entries name the source as their actor.
    alerted = components.create_component(name="Alerted", actor=actor)
    firing = Signal(
        source="check:aaaaaaaaaaaa",
        source_label="API check",
        fingerprint="check",
        component=alerted,
        status=ComponentStatus.MAJOR_OUTAGE,
        hold_minutes=1,
    )
    signals.fire_signal(firing, now=now + timedelta(hours=6))
    signals.apply_held_signals(now=now + timedelta(hours=6, minutes=1))
    signals.resolve_signal(
        firing.source,
        "check",
        alerted,
        source_label="API check",
        now=now + timedelta(hours=6, minutes=2),
    )
    signals.apply_held_signals(now=now + timedelta(hours=6, minutes=3))
    # A built-in check: made, edited, run (its failure moves the component), deleted.
    check = check_config.create_check(
        alerted,
        check_config.CheckInput(kind=CheckKind.HTTP, name="Web", url="http://127.0.0.1:9/"),
        actor=actor,
    )
    check = check_config.update_check(
        check,
        check_config.CheckInput(
            kind=CheckKind.TCP, name="Web", host="127.0.0.1", port=9, failure_threshold=1
        ),
        actor=actor,
    )
    assert check_runner.claim_check(check, now=now + timedelta(hours=7))
    check_runner.record_result(
        check, ProbeResult(False, "refused", 1.0), now=now + timedelta(hours=7)
    )
    check_results.prune_check_results(now=now + timedelta(hours=7))
    check_config.delete_check(check, actor=actor, now=now + timedelta(hours=7, minutes=1))
    # Integrations: made, changed, rotated; their alerts open an incident; then deleted.
    made = integrations.create_integration(
        name="AM", kind="alertmanager", incident_policy="publish", actor=actor
    )
    integrations.update_integration(made.integration, damping_minutes=1, actor=actor)
    integrations.rotate_secret(made.integration, actor=actor)
    components.set_component_aliases(alerted, ["alerted-svc"], actor=actor)
    body = {
        "version": "4",
        "alerts": [{"status": "firing", "labels": {"component": "alerted-svc"}}],
    }
    ingest.receive_alerts(made.integration, json.dumps(body).encode(), now=now + timedelta(hours=7))
    signals.apply_held_signals(now=now + timedelta(hours=7, minutes=1))
    automation_incidents.apply_incident_policies(now=now + timedelta(hours=7, minutes=1))
    integrations.delete_integration(made.integration, actor=actor)

    # Webhook subscribers and chat channels; a failing endpoint's disabling names the scheduler.
    hook = webhooks.subscribe_webhook(
        endpoint="https://hooks.example.com/in", email="hook@example.com", actor=actor
    )
    subscribers.confirm_subscription(hook, actor=actor)
    hooks_sender.disable_webhook_subscriber(hook, settings=get_site_settings(), now=utcnow())
    channel = chat_channels.create_chat_channel(
        name="Ops",
        kind=ChatKind.SLACK,
        audience=Audience.INTERNAL,
        webhook_url="https://chat.example.com/in/SECRET",
        actor=actor,
    )
    chat_channels.update_chat_channel(
        channel, name="Ops 2", audience=Audience.PUBLIC, enabled=False, actor=actor
    )
    chat_channels.queue_chat_test(channel, requested_by="admin", actor=actor)
    chat_channels.delete_chat_channel(channel, actor=actor)
    chat_entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "ChatChannel")
    ).all()
    assert chat_entries and all("SECRET" not in json.dumps(e.changes) for e in chat_entries)

    missing = code_actions() - actions() - RECORDS_NO_ENTRY
    assert not missing, f"actions no test here records: {sorted(missing)}"
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "set_component_status")
        .order_by(AuditEntry.id)  # the first one (PostgreSQL returns rows in any order)
    ).first()
    assert (entry.actor_id, entry.actor_label, entry.via, entry.ip) == (
        admin.id,
        admin.email,
        Via.UI,
        "198.51.100.7",
    )
    assert entry.changes["status"] == ["operational", "degraded_performance"]


def test_admins_filter_and_export_the_log(client, login_as):
    admin = login_as(Role.ADMIN)
    client.form(
        "/admin/components/new", {"name": '=HYPERLINK("http://evil")', "visibility": "public"}
    )
    client.form("/admin/groups/new", {"name": "Core", "visibility": "public"})
    page = client.get("/admin/audit?action=create_component")
    assert page.status_code == 200 and "1 entry" in page.text and "HYPERLINK" in page.text
    assert admin.email in page.text and "UI" in page.text
    by_admin = client.get(
        "/admin/audit?actor=" + admin.email.split("@")[0] + "&object_type=ComponentGroup"
    ).text
    assert "1 entry" in by_admin and "Core" in by_admin
    assert client.get("/admin/audit?via=mars").status_code == 400
    assert client.get("/admin/audit?since=yesterday").status_code == 400
    export = client.get("/admin/audit.csv?action=create_component")
    assert export.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1 and rows[0]["actor"] == admin.email and rows[0]["via"] == "ui"
    assert rows[0]["object"].startswith("'=HYPERLINK")  # a spreadsheet will not run it


FORMULA_CELLS = ["=cmd|' /C calc'!A0", "+1", "-1", "@x"]


def test_the_audit_and_subscriber_exports_escape_formulas_alike(client, login_as, make_component):
    """Both CSV exports neutralise the same cells the same way, with one leading apostrophe."""
    created = [make_component(name=name, group=None) for name in FORMULA_CELLS]
    for number, component in enumerate(created):
        subscribers.subscribe(
            email=f"reader{number}@example.com",
            cadence=Cadence.IMMEDIATE,
            component_ids=[component.id],
            actor=ACTOR,
        )
    login_as(Role.ADMIN)
    audit = client.get("/admin/audit.csv?action=create_component")
    assert audit.status_code == 200
    audit_cells = sorted(row["object"] for row in csv.DictReader(io.StringIO(audit.text)))
    export = client.get("/admin/subscribers/export.csv")
    scopes = sorted(row["scope"] for row in csv.DictReader(io.StringIO(export.text)))
    expected = sorted("'" + name for name in FORMULA_CELLS)
    assert audit_cells == expected
    assert scopes == expected


@pytest.mark.parametrize("cell", [*FORMULA_CELLS, "\tTab", "\rReturn"])
def test_a_formula_cell_is_escaped_and_imports_back(cell):
    """Names lose control characters before they are stored, so tab and CR are checked here."""
    assert escape_formula(cell) == "'" + cell
    assert unescape_formula(escape_formula(cell)) == cell
    assert escape_formula("plain") == unescape_formula("plain") == "plain"


def _problems_and_reports(component, actor):
    """Problem records and customer reports: every action, the reporter's address kept out."""
    from statuspage.enums import ProblemStatus, ReportState
    from statuspage.services.problems import records, reports

    incident = incidents.open_incident(
        name="P", body="b", components={component: ComponentStatus.MAJOR_OUTAGE}, actor=actor
    )
    problem = records.create_problem(title="Disk", components=[component], actor=actor)
    records.update_problem(
        problem, title="Disk full", status=ProblemStatus.KNOWN_ERROR, root_cause="logs",
        workaround="*rotate*", components=[component], actor=actor,
    )  # fmt: skip
    records.link_incident(problem, incident.id, actor=actor)
    records.unlink_incident(problem, incident.id, actor=actor)
    report = reports.submit_report(
        component_id=component.id, description="down", email="secret-reporter@example.com",
        actor=actor,
    )  # fmt: skip
    reports.triage_report(report, state=ReportState.LINKED, incident_id=incident.id, actor=actor)
    reports.configure_spike_policy(threshold=3, minutes=5, actor=actor)
    incidents.resolve_incident(incident, body="r", actor=actor)
    assert reports.notify_resolved_reporters(now=utcnow() + timedelta(minutes=1)) == 1
    logged = db.session.scalars(sa.select(AuditEntry.changes)).all()
    assert "secret-reporter" not in json.dumps(logged)
    linked = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "link_problem_incident")
    ).one()
    assert linked.changes["problem_id"] == [None, problem.id]
