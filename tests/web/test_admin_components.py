import pytest
import sqlalchemy as sa

from statuspage.enums import Audience, ComponentStatus, Role, StatusCause, Visibility
from statuspage.extensions import db
from statuspage.models import Component, ComponentGroup, ComponentStatusChange
from statuspage.services.components import tree as service


def test_create_group_and_component_through_the_forms(client, editor):
    response = client.form(
        "/admin/groups/new", {"name": "Core", "visibility": "public", "showcase": "y"}
    )
    assert response.status_code == 302
    group = db.session.scalars(sa.select(ComponentGroup)).one()
    response = client.form(
        "/admin/components/new",
        {
            "name": "API",
            "group": group.id,
            "description": "The API",
            "visibility": "internal",
            "start_date": "2026-01-15",
        },
    )
    assert response.status_code == 302
    component = db.session.scalars(sa.select(Component)).one()
    assert component.group_id == group.id and component.visibility is Visibility.INTERNAL
    assert str(component.start_date) == "2026-01-15" and component.showcase is False
    listing = client.get("/admin/components").text
    assert "API" in listing and "Core" in listing


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x", "group": "nosuchgroup"}, "Not a valid choice."),
        ({"name": "x", "start_date": "2026-13-45"}, "Not a valid date value."),
        ({"name": "x", "visibility": "everyone"}, "Not a valid choice."),
        ({"name": "x", "description": "d" * 2001}, "Field cannot be longer than 2000 characters."),
    ],
)
def test_invalid_component_forms(client, editor, data, message):
    response = client.form("/admin/components/new", {"visibility": "public", **data})
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Component)) == 0


def test_edit_archive_restore_and_move(client, editor, make_component):
    a, b = make_component(name="A"), make_component(name="B")
    assert client.get(f"/admin/components/{a.id}/edit").status_code == 200
    response = client.form(
        f"/admin/components/{a.id}/edit", {"name": "A2", "group": "", "visibility": "public"}
    )
    assert response.status_code == 302 and db.session.get(Component, a.id).name == "A2"
    client.form(f"/admin/components/{b.id}/move", {"offset": "-1"})
    assert [i.name for i in service.top_level_items()] == ["B", "A2"]
    assert client.form(f"/admin/components/{b.id}/move", {"offset": "up"}).status_code == 302
    client.form(f"/admin/components/{a.id}/archive")
    assert db.session.get(Component, a.id).is_archived
    assert "Archived" in client.get("/admin/components").text
    client.form(f"/admin/components/{a.id}/restore")
    assert not db.session.get(Component, a.id).is_archived


def test_deleting_a_component_with_history_is_refused_with_a_message(
    client, login_as, make_component
):
    login_as(Role.ADMIN)
    component = make_component(status=ComponentStatus.MAJOR_OUTAGE)
    response = client.form(f"/admin/components/{component.id}/delete", follow_redirects=True)
    assert "archive it instead" in response.text
    assert db.session.get(Component, component.id) is not None


def test_one_click_status_change_from_the_dashboard(client, editor, make_component):
    component = make_component(name="API")
    page = client.get("/admin/").text
    assert f'action="/admin/components/{component.id}/status"' in page
    response = client.form(
        f"/admin/components/{component.id}/status",
        {"status": "major_outage", "back": f"/admin/#c-{component.id}"},
    )
    assert (
        response.status_code == 302 and response.headers["Location"] == f"/admin/#c-{component.id}"
    )
    change = db.session.scalars(
        sa.select(ComponentStatusChange).where(ComponentStatusChange.audience == Audience.PUBLIC)
    ).one()
    assert change.new_status is ComponentStatus.MAJOR_OUTAGE and change.cause is StatusCause.MANUAL
    assert change.actor_id == editor.id
    bad = client.form(
        f"/admin/components/{component.id}/status", {"status": "meltdown", "back": "//evil.com"}
    )
    assert bad.headers["Location"] == "/admin/"  # unsafe back link ignored


def test_dashboard_shows_open_incidents_and_warns_when_the_scheduler_is_quiet(
    client, editor, make_incident
):
    make_incident(name="Database slow")
    page = client.get("/admin/").text
    assert "Database slow" in page
    assert "The scheduler is not running." in page
    from statuspage.services.site import heartbeat as site

    site.record_heartbeat()
    assert "The scheduler is not running." not in client.get("/admin/").text
