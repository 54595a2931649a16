"""The audit log: every service leaves an entry; admins filter it and export it as CSV."""

import ast
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import (
    Cadence,
    ComponentStatus,
    IncidentStatus,
    MaintenanceStatus,
    Role,
    TokenScope,
    Via,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import AuditEntry
from statuspage.services.accounts import api_tokens, sessions, users
from statuspage.services.components import tree as components
from statuspage.services.notices import due_work, incidents, maintenance, recurrence, timeline
from statuspage.services.outbox import delivery as notifications
from statuspage.services.site import configure as settings
from statuspage.services.subscribers import admin as subscriber_admin
from statuspage.services.subscribers import signup as subscribers
from statuspage.services.unit import Actor
from statuspage.spreadsheet import escape_formula, unescape_formula
from tests.conftest import ACTOR, PASSWORD

PACKAGE = Path(__file__).resolve().parents[2] / "statuspage"


def actions():
    return set(db.session.scalars(sa.select(AuditEntry.action)))


#: Units of work that touch no audited row, so they leave no entry (the rest all must).
RECORDS_NO_ENTRY = {"queue_test_mail"}  # only an outbox row, which is not audited


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
    notifications.requeue_failed_deliveries(actor=actor)

    missing = code_actions() - actions() - RECORDS_NO_ENTRY
    assert not missing, f"actions no test here records: {sorted(missing)}"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "set_component_status")
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
