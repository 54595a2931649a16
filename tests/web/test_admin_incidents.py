import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import ComponentStatus, IncidentStatus, Role
from statuspage.extensions import db
from statuspage.models import Incident

S = ComponentStatus


def only_incident():
    return db.session.scalars(sa.select(Incident)).one()


def test_new_incident_form_prefills_each_component_with_its_status(client, editor, make_component):
    api = make_component(name="API", status=S.DEGRADED_PERFORMANCE)
    page = client.get("/admin/incidents/new").text
    select = re.search(rf'<select[^>]*name="status_{api.id}".*?</select>', page, re.S).group(0)
    assert '<option selected value="degraded_performance">' in select
    assert f'name="affects_{api.id}"' in page


def test_open_an_incident_from_the_form(client, editor, make_component):
    api = make_component(name="API")
    web = make_component(name="Web")
    response = client.form(
        "/admin/incidents/new",
        {
            "name": "Elevated errors",
            "status": "identified",
            "impact": "major",
            "body": "We found a **bad** deploy.",
            "visibility": "public",
            "deliver_notifications": "y",
            f"affects_{api.id}": "y",
            f"status_{api.id}": "partial_outage",
            f"status_{web.id}": "major_outage",  # not ticked: not affected
        },
    )
    incident = only_incident()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/incidents/{incident.id}"
    assert incident.status is IncidentStatus.IDENTIFIED and incident.created_by_id == editor.id
    assert [c.name for c in incident.components] == ["API"]
    assert db.session.get(type(api), api.id).status is S.PARTIAL_OUTAGE
    assert db.session.get(type(web), web.id).status is S.OPERATIONAL
    detail = client.get(response.headers["Location"]).text
    assert "<strong>bad</strong>" in detail and "Elevated errors" in detail


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": "", "body": "x"}, "This field is required."),
        ({"name": "x", "body": ""}, "This field is required."),
        ({"name": "x" * 300, "body": "x"}, "Field cannot be longer than 255 characters."),
        ({"name": "x", "body": "x", "status": "resolved"}, "Not a valid choice."),
        ({"name": "x", "body": "x", "impact": "apocalyptic"}, "Not a valid choice."),
        ({"name": "x", "body": "x", "visibility": "secret"}, "Not a valid choice."),
    ],
)
def test_invalid_incident_forms_re_render_with_messages(client, editor, data, message):
    base = {"status": "investigating", "impact": "minor", "visibility": "public"}
    response = client.form("/admin/incidents/new", {**base, **data})
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_an_invalid_component_status_is_a_field_error(client, editor, make_component):
    api = make_component()
    response = client.form(
        "/admin/incidents/new",
        {
            "name": "x",
            "body": "y",
            "status": "investigating",
            "impact": "minor",
            "visibility": "public",
            f"affects_{api.id}": "y",
            f"status_{api.id}": "on_fire",
        },
    )
    assert response.status_code == 422 and "Not a valid choice." in response.text


def test_preview_renders_markdown_without_saving(client, editor):
    response = client.form(
        "/admin/incidents/new",
        {
            "name": "x",
            "body": "Hello _there_ <script>alert(1)</script>",
            "status": "investigating",
            "impact": "minor",
            "visibility": "public",
            "preview": "1",
        },
    )
    assert response.status_code == 200
    assert "<em>there</em>" in response.text and "&lt;script&gt;" in response.text
    assert "<script>alert(1)" not in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_post_update_resolve_and_reopen_through_the_incident_page(
    client, editor, make_incident, make_component
):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE})
    url = f"/admin/incidents/{incident.id}"
    page = client.get(url).text
    assert '<option selected value="major_outage">' in page  # claim prefilled
    response = client.form(
        f"{url}/updates",
        {
            "status": "monitoring",
            "impact": "",
            "body": "Fix is out.",
            "visibility": "public",
            f"affects_{api.id}": "y",
            f"status_{api.id}": "degraded_performance",
        },
    )
    assert response.status_code == 302
    incident = only_incident()
    assert incident.status is IncidentStatus.MONITORING
    assert db.session.get(type(api), api.id).status is S.DEGRADED_PERFORMANCE
    response = client.form(f"{url}/resolve", {"body": "All good.", "deliver_notifications": "y"})
    assert response.status_code == 302 and only_incident().is_resolved
    assert db.session.get(type(api), api.id).status is S.OPERATIONAL
    assert "Reopen" in client.get(url).text
    response = client.form(
        f"{url}/updates", {"status": "identified", "body": "again", "visibility": "public"}
    )
    assert response.status_code == 409 and "reopen it" in response.text
    response = client.form(f"{url}/reopen", {"status": "identified", "body": "It is back."})
    assert response.status_code == 302 and only_incident().status is IncidentStatus.IDENTIFIED


def test_edit_update_text(client, editor, make_incident):
    incident = make_incident()
    update = incident.updates[0]
    assert client.get(f"/admin/updates/{update.id}/edit").status_code == 200
    response = client.form(f"/admin/updates/{update.id}/edit", {"body": ""})
    assert response.status_code == 422
    response = client.form(f"/admin/updates/{update.id}/edit", {"body": "Corrected."})
    assert response.status_code == 302
    assert only_incident().updates[0].body == "Corrected."
    assert 'name="publish_at"' not in client.get(f"/admin/updates/{update.id}/edit").text
    moved = client.get(f"/admin/updates/{update.id}/scheduled")  # published: text only
    assert moved.status_code == 307 and moved.headers["Location"].endswith("/edit")


def test_internal_note_from_the_incident_page(client, editor, make_incident):
    incident = make_incident()
    response = client.form(f"/admin/incidents/{incident.id}/notes", {"body": "Paged the DBA."})
    assert response.status_code == 302
    assert "Internal note" in client.get(f"/admin/incidents/{incident.id}").text


def test_delete_needs_admin_and_a_confirmation(client, login_as, make_incident):
    incident = make_incident(name="Doomed")
    login_as(Role.ADMIN)
    page = client.get(f"/admin/incidents/{incident.id}/delete")
    assert page.status_code == 200 and "cannot be undone" in page.text
    assert client.post(f"/admin/incidents/{incident.id}/delete").status_code == 400
    response = client.form(f"/admin/incidents/{incident.id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_incident_list_filters_and_paginates(client, editor, make_incident, now):
    for i in range(30):
        make_incident(name=f"Outage {i:02d}", now=now + timedelta(minutes=i))
    page1 = client.get("/admin/incidents?state=open")
    assert page1.status_code == 200 and "30 incidents" in page1.text and "Page 1 of 2" in page1.text
    page2 = client.get("/admin/incidents?state=open&page=2").text
    assert "Outage 00" in page2
    assert "Outage 07" in client.get("/admin/incidents?q=outage+07").text
    assert client.get("/admin/incidents?impact=nonsense").status_code == 400
    assert client.get("/admin/incidents?page=abc").status_code == 400


def test_unknown_ids_give_the_404_page(client, editor):
    for url in (
        "/admin/incidents/doesnotexist",
        "/admin/updates/nope/edit",
        "/admin/components/zzz/edit",
    ):
        response = client.get(url)
        assert response.status_code == 404 and "There is no page at this address" in response.text
