"""The API token pages: an admin makes a token, sees its secret once, and revokes it."""

import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from statuspage.enums import Role, TokenScope
from statuspage.extensions import db
from statuspage.models import ApiToken

SECRET = re.compile(r"sp_[A-Za-z0-9_-]{40,}")


def make_token(client, **data):
    data = {"name": "Alertmanager", "scope": "write", "lifetime": "90", **data}
    return client.form("/admin/tokens/new", data)


def test_the_secret_is_shown_once_and_then_only_its_prefix(client, login_as):
    """The secret cannot be recovered from any page after the one that made it."""
    admin = login_as(Role.ADMIN)
    response = make_token(client)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    [secret] = set(SECRET.findall(response.text))
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert token.scope is TokenScope.WRITE and token.created_by_id == admin.id
    expected = datetime.now(UTC) + timedelta(days=90)
    assert abs(token.expires_at - expected) < timedelta(minutes=1)
    listing = client.get("/admin/tokens").text
    assert "Alertmanager" in listing and token.prefix in listing and admin.email in listing
    assert secret not in listing and not SECRET.search(listing)
    assert "Never" in listing and "Active" in listing


def test_the_list_shows_last_use_and_state(client, login_as):
    """Admins can tell which tokens are used, expired or revoked before they clean up."""
    login_as(Role.ADMIN)
    [secret] = set(SECRET.findall(make_token(client, name="Used").text))
    make_token(client, name="Unused")
    assert (
        client.get(
            "/api/manage/v1/components", headers={"Authorization": f"Bearer {secret}"}
        ).status_code
        == 200
    )
    used = db.session.scalars(sa.select(ApiToken).where(ApiToken.name == "Used")).one()
    assert used.last_used_at is not None
    rows = client.get("/admin/tokens").text.split("<tr")
    used_row = next(r for r in rows if "Used<br>" in r)
    unused_row = next(r for r in rows if "Unused<br>" in r)
    assert "<time" in used_row.split("</td>")[5] and "Never" in unused_row


def test_revoking_a_token_stops_it_at_once(client, login_as):
    """Revoke is the answer to a leaked token: the next request with it is a 401."""
    login_as(Role.ADMIN)
    [secret] = set(SECRET.findall(make_token(client).text))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/manage/v1/incidents", headers=headers).status_code == 200
    token = db.session.scalars(sa.select(ApiToken)).one()
    response = client.form(f"/admin/tokens/{token.id}/revoke", follow_redirects=True)
    assert "revoked" in response.text and "Revoked" in response.text
    assert client.get("/api/manage/v1/incidents", headers=headers).status_code == 401
    again = client.form(f"/admin/tokens/{token.id}/revoke", follow_redirects=True)
    assert "already revoked" in again.text


def test_revoking_needs_the_csrf_token(client, login_as):
    """A cross-site form cannot revoke (or keep alive) anyone's tokens."""
    login_as(Role.ADMIN)
    make_token(client)
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert client.post(f"/admin/tokens/{token.id}/revoke").status_code == 400
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_a_chosen_expiry_date_lasts_to_the_end_of_that_day(client, login_as):
    """ "On the date below" means the token still works all that day."""
    login_as(Role.ADMIN)
    day = date.today() + timedelta(days=10)
    response = make_token(client, lifetime="date", expires_on=day.isoformat())
    assert response.status_code == 200
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert token.expires_at == datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)


def test_the_form_explains_what_is_wrong(client, login_as):
    """Each mistake is shown next to its field, and no token is made."""
    login_as(Role.ADMIN)
    cases = [
        ({"name": ""}, "This field is required."),
        ({"scope": "root"}, "Not a valid choice."),
        ({"lifetime": "date"}, "Choose the day the token expires."),
        ({"lifetime": "date", "expires_on": "2000-01-01"}, "Choose an expiry in the future."),
        (
            {"lifetime": "date", "expires_on": (date.today() + timedelta(days=500)).isoformat()},
            "A token lasts at most a year.",
        ),
    ]
    for data, message in cases:
        response = make_token(client, **data)
        assert response.status_code == 422 and message in response.text, message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_editors_and_viewers_cannot_see_or_make_tokens(client, login_as):
    """Tokens can do everything an admin can; only admins manage them."""
    login_as(Role.EDITOR)
    assert client.get("/admin/tokens").status_code == 403
    assert make_token(client).status_code == 403
    assert 'href="/admin/tokens"' not in client.get("/admin/").text
