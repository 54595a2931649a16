"""Post-incident review from the admin and on every public path: the postmortem's draft is
staff only, publishing shows it on the incident page, in the feeds and in /api/v2 (status
`postmortem`, nothing else added), an internal incident's never; edits after publication are
audited and move `updated_at`; action items are added, edited, filtered and shown overdue."""

from datetime import date, timedelta

import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import (
    ActionItemStatus,
    ComponentStatus,
    IncidentRole,
    Role,
    Urgency,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import ActionItem, AuditEntry, Incident, Postmortem
from statuspage.services.notices import incidents
from statuspage.services.response import priority, roles
from statuspage.services.review import action_items as items_service
from statuspage.services.review import postmortems
from tests.conftest import ACTOR

#: Where a published postmortem's words show (the JSON shows only its status).
WORDS_PATHS = ("/incidents/{id}", "/history.atom", "/history.rss")
PUBLIC_PATHS = (*WORDS_PATHS, "/", "/history", "/api/v2/incidents.json", "/api/v2/summary.json")


def resolved(make_incident, make_component, now, **kw):
    api = make_component(name="API")
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="Checkout errors", **kw)
    incidents.resolve_incident(
        incident, body="Fixed by a rollback.", actor=ACTOR, now=now + timedelta(hours=1)
    )
    return incident


def public_texts(client, incident, paths=PUBLIC_PATHS):
    return {path: client.get(path.format(id=incident.id)).text for path in paths}


def fresh(incident):
    db.session.expire_all()
    return db.session.get_one(Incident, incident.id)


def test_the_template_is_blameless_and_its_timeline_comes_from_the_incident(
    client, editor, make_incident, make_component, now, make_user
):
    api = make_component(name="API")
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="Checkout errors")
    commander = make_user(Role.EDITOR, name="Ada Commander")
    roles.assign_role(
        incident, IncidentRole.COMMANDER, commander, actor=ACTOR, now=now + timedelta(minutes=5)
    )
    roles.acknowledge_incident(
        incident, user=commander, actor=ACTOR, now=now + timedelta(minutes=6)
    )
    priority.set_urgency(incident, Urgency.HIGH, actor=ACTOR, now=now + timedelta(minutes=7))
    incidents.resolve_incident(
        incident, body="Fixed by a rollback.", actor=ACTOR, now=now + timedelta(hours=1)
    )
    page = client.get(f"/admin/incidents/{incident.id}/postmortem")
    assert page.status_code == 200
    body = postmortems.default_postmortem_body(fresh(incident))
    for section in (
        "Summary",
        "Customer impact",
        "Timeline",
        "Root cause",
        "Contributing factors",
        "What went well",
        "What went wrong",
        "Action items",
    ):
        assert f"## {section}" in body
    assert "blameless" in body
    # Public updates with their times in the page's zone (UTC here), oldest first...
    assert "**12 Nov 2026, 12:00 UTC** Investigating: We are investigating." in body
    assert "**12 Nov 2026, 13:00 UTC** Resolved: Fixed by a rollback." in body
    assert body.index("We are investigating.") < body.index("Fixed by a rollback.")
    # ...and the staff-side entries, marked for the editor to remove.
    timeline = body.split("## Timeline")[1].split("## Root cause")[0]
    assert "12:05 UTC** Role *(staff only)*" in timeline
    assert "Ada Commander" in timeline
    assert "12:06 UTC** Acknowledged *(staff only)*" in timeline
    assert "12:07 UTC** Urgency *(staff only)*" in timeline
    assert "Started 12 Nov 2026, 12:00 UTC, resolved 12 Nov 2026, 13:00 UTC" in body
    assert "Affected: API." in body
    assert "Ada Commander" in page.text  # the editor opens on the prefilled template


def test_a_draft_is_staff_only_and_publishing_shows_it_everywhere_public(
    client, editor, make_incident, make_component, now
):
    incident = resolved(make_incident, make_component, now)
    draft = "## Summary\n\nDRAFTWORDS a config push broke checkout."
    response = client.form(f"/admin/incidents/{incident.id}/postmortem", {"body": draft})
    assert response.status_code == 302
    assert fresh(incident).postmortem.published_at is None
    assert "DRAFTWORDS" in client.get(f"/admin/incidents/{incident.id}").text
    client.get("/logout")
    for path, text in public_texts(client, incident).items():
        assert "DRAFTWORDS" not in text, path
    api = client.get("/api/v2/incidents.json").json["incidents"][0]
    assert api["status"] == "resolved"
    before_updated = api["updated_at"]

    from tests.conftest import PASSWORD

    client.csrf_token()
    client.form("/login", {"email": editor.email, "password": PASSWORD})
    published = client.form(f"/admin/incidents/{incident.id}/postmortem/publish", {"notify": ""})
    assert published.status_code == 302, published.text
    client.get("/logout")
    texts = public_texts(client, incident, WORDS_PATHS)
    for path, text in texts.items():
        assert "DRAFTWORDS" in text, path
    page = texts["/incidents/{id}"]
    assert '<h2 id="postmortem-title">Postmortem</h2>' in page
    assert "&lt;strong&gt;Postmortem&lt;/strong&gt; - " in texts["/history.atom"]
    api = client.get("/api/v2/incidents.json").json["incidents"][0]
    assert api["status"] == "postmortem"
    assert api["updated_at"] != before_updated
    # Statuspage's public shape has no postmortem field: none is added.
    assert not [key for key in api if key.startswith("postmortem")]
    assert "postmortem" not in [u["status"] for u in api["incident_updates"]]
    assert client.get("/api/v2/incidents/unresolved.json").json["incidents"] == []


def test_publishing_needs_a_resolved_incident_and_a_written_postmortem(
    client, editor, make_incident, now
):
    incident = make_incident(name="Still open")
    refused = client.form(f"/admin/incidents/{incident.id}/postmortem/publish", {})
    assert refused.status_code == 422
    assert "Write the postmortem before publishing it." in refused.text
    client.form(f"/admin/incidents/{incident.id}/postmortem", {"body": "Words."})
    refused = client.form(f"/admin/incidents/{incident.id}/postmortem/publish", {})
    assert refused.status_code == 409
    assert "Resolve the incident before publishing its postmortem." in refused.text
    empty = client.form(f"/admin/incidents/{incident.id}/postmortem", {"body": " "})
    assert empty.status_code == 422
    assert "This field is required." in empty.text


def test_an_internal_incidents_postmortem_is_never_public(
    client, editor, make_incident, make_component, now
):
    incident = resolved(make_incident, make_component, now, visibility=Visibility.INTERNAL)
    postmortems.save_postmortem(incident, body="SECRETREVIEW", actor=ACTOR, now=now)
    postmortems.publish_postmortem(fresh(incident), notify=True, actor=ACTOR, now=now)
    assert fresh(incident).postmortem.notified_at is None  # nobody outside to tell
    internal = client.get(f"/internal/incidents/{incident.id}")
    assert "SECRETREVIEW" in internal.text
    client.get("/logout")
    assert client.get(f"/incidents/{incident.id}").status_code == 404
    for path in ("/history.atom", "/history.rss", "/api/v2/incidents.json", "/"):
        assert "SECRETREVIEW" not in client.get(path).text, path


def test_editing_after_publication_is_audited_and_moves_updated_at(
    client, editor, make_incident, make_component, now
):
    incident = resolved(make_incident, make_component, now)
    postmortems.save_postmortem(incident, body="First words.", actor=ACTOR, now=now)
    publish_at = now + timedelta(hours=2)
    postmortems.publish_postmortem(fresh(incident), notify=False, actor=ACTOR, now=publish_at)
    assert fresh(incident).updated_at == publish_at
    response = client.form(
        f"/admin/incidents/{incident.id}/postmortem", {"body": "Corrected words."}
    )
    assert response.status_code == 302
    incident = fresh(incident)
    assert incident.updated_at > publish_at
    assert incident.postmortem.updated_at == incident.updated_at
    assert incident.postmortem.published_at == publish_at
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "Postmortem").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == [
        "save_postmortem",
        "publish_postmortem",
        "save_postmortem",
    ]
    assert entries[-1].changes["body"] == ["First words.", "Corrected words."]
    client.get("/logout")
    assert "Corrected words." in client.get(f"/incidents/{incident.id}").text
    assert "updated" in client.get(f"/incidents/{incident.id}").text


def test_action_items_are_added_edited_and_filtered(client, editor, make_incident, make_user, now):
    incident = make_incident(name="Queue stalled")
    owner = make_user(Role.EDITOR, name="Owen Owner")
    new = client.get(f"/admin/incidents/{incident.id}/action-items/new")
    assert new.status_code == 200 and "Owen Owner" in new.text
    bad = client.form(
        f"/admin/incidents/{incident.id}/action-items/new",
        {
            "title": "Add an alert",
            "owner_id": str(owner.id),
            "status": "open",
            "link": "javascript:alert(1)",
        },
    )
    assert bad.status_code == 422
    assert "Use a full address starting with https or http:" in bad.text
    added = client.form(
        f"/admin/incidents/{incident.id}/action-items/new",
        {
            "title": "Add an alert",
            "owner_id": str(owner.id),
            "status": "open",
            "due_on": "2020-01-31",
            "link": "https://tracker.example.com/OPS-1",
        },
    )
    assert added.status_code == 302
    item = db.session.scalars(sa.select(ActionItem)).one()
    assert (item.title, item.owner_id, item.due_on, item.status) == (
        "Add an alert",
        owner.id,
        date(2020, 1, 31),
        ActionItemStatus.OPEN,
    )
    page = client.get(f"/admin/incidents/{incident.id}").text
    assert "Add an alert" in page and "Owen Owner" in page
    other = items_service.create_action_item(
        incident,
        items_service.ActionItemInput(
            title="Write the runbook",
            owner_id=editor.id,
            due_on=None,
            status=ActionItemStatus.IN_PROGRESS,
        ),
        actor=ACTOR,
    )

    def listed(query=""):
        response = client.get(f"/admin/action-items{query}")
        assert response.status_code == 200, response.text
        return [t for t in ("Add an alert", "Write the runbook") if t in response.text]

    assert listed() == ["Add an alert", "Write the runbook"]
    assert listed("?status=in_progress") == ["Write the runbook"]
    assert listed(f"?owner={owner.id}") == ["Add an alert"]
    assert listed("?overdue=y") == ["Add an alert"]
    assert client.get("/admin/action-items?status=nonsense").status_code == 400
    assert client.get("/admin/action-items?owner=99999").status_code == 400
    edited = client.form(
        f"/admin/action-items/{other.id}",
        {"title": "Write the runbook", "owner_id": str(editor.id), "status": "done"},
    )
    assert edited.status_code == 302
    assert listed("?status=done") == ["Write the runbook"]
    audit = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "ActionItem")
    ).all()
    assert sorted(audit) == ["create_action_item", "create_action_item", "update_action_item"]


def test_overdue_items_show_on_the_staff_console(client, login_as, make_incident, make_user, now):
    viewer = login_as(Role.VIEWER)
    incident = make_incident(name="Slow search")
    owner = make_user(Role.EDITOR, name="Olive Owner")
    today = utcnow().date()  # the page is in UTC, and /internal reads the real clock

    def add(title, due_on, status=ActionItemStatus.OPEN):
        return items_service.create_action_item(
            incident,
            items_service.ActionItemInput(
                title=title, owner_id=owner.id, due_on=due_on, status=status
            ),
            actor=ACTOR,
        )

    add("PASTDUE item", today - timedelta(days=3))
    add("DONEITEM item", today - timedelta(days=3), ActionItemStatus.DONE)
    add("FUTURE item", today + timedelta(days=3))
    page = client.get("/internal").text
    section = page.split('id="console-actions-title"')[1].split("</section>")[0]
    assert "PASTDUE item" in section and "Olive Owner" in section
    assert "DONEITEM" not in section and "FUTURE" not in section
    assert viewer.role is Role.VIEWER
    assert db.session.scalars(sa.select(Postmortem)).all() == []
