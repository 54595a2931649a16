import sqlalchemy as sa

from statuspage.enums import Role
from statuspage.extensions import db
from statuspage.models import User


def test_admin_creates_users_changes_roles_and_deactivates(client, login_as):
    admin = login_as(Role.ADMIN)
    response = client.form(
        "/admin/users/new",
        {
            "email": "New@Example.com",
            "name": "New",
            "role": "viewer",
            "password": "a-long-enough-passphrase-1",
        },
    )
    assert response.status_code == 302
    user = db.session.scalars(sa.select(User).where(User.email == "new@example.com")).one()
    client.form(f"/admin/users/{user.id}/role", {"role": "editor"})
    assert db.session.get(User, user.id).role is Role.EDITOR
    client.form(f"/admin/users/{user.id}/active", {"active": "no"})
    assert not db.session.get(User, user.id).active
    page = client.get("/admin/users").text
    assert "new@example.com" in page and "Deactivated" in page
    response = client.form(
        f"/admin/users/{admin.id}/role", {"role": "viewer"}, follow_redirects=True
    )
    assert "The last active admin cannot be demoted." in response.text
    response = client.form(
        f"/admin/users/{admin.id}/active", {"active": "no"}, follow_redirects=True
    )
    assert "The last active admin cannot be deactivated." in response.text
    assert db.session.get(User, admin.id).active


def test_user_form_validation(client, login_as):
    login_as(Role.ADMIN)
    for data, message in [
        ({"email": "bad", "password": "a-long-enough-passphrase-1"}, "Invalid email address."),
        ({"email": "x@example.com", "password": "short"}, "Field must be between 12 and 1024"),
        ({"email": "x@example.com", "password": "password1234"}, "commonly used"),
        (
            {"email": "x@example.com", "password": "a-long-enough-passphrase-1", "role": "god"},
            "Not a valid choice.",
        ),
    ]:
        response = client.form("/admin/users/new", {"role": "viewer", **data})
        assert response.status_code == 422 and message in response.text, message
    client.form(
        "/admin/users/new",
        {"email": "x@example.com", "role": "viewer", "password": "a-long-enough-passphrase-1"},
    )
    dup = client.form(
        "/admin/users/new",
        {"email": "X@EXAMPLE.COM", "role": "viewer", "password": "a-long-enough-passphrase-1"},
    )
    assert dup.status_code == 422 and "already exists" in dup.text
