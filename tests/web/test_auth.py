import pytest

from statuspage.enums import Role
from statuspage.security import is_safe_redirect_url
from tests.conftest import PASSWORD


def test_login_and_logout(client, make_user):
    user = make_user(Role.EDITOR)
    client.csrf_token()
    response = client.form("/login", {"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    response = client.form("/logout")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_a_copied_session_cookie_is_dead_after_logout(app, client, make_user):
    """Logout ends the session on the server: a copy of the cookie taken before (a stolen
    cookie, a second tab) no longer opens anything."""
    user = make_user(Role.EDITOR)
    client.csrf_token()
    client.form("/login", {"email": user.email, "password": PASSWORD})
    assert client.get("/admin/").status_code == 200
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/admin/").status_code == 200  # the copy works while the session lives
    client.form("/logout")
    assert client.get("/admin/").status_code == 302
    assert copy.get("/admin/").status_code == 302


def test_remember_me_cookie_dies_with_its_session(app, client, make_user):
    """The long-lived remember cookie alone cannot bring a signed-out session back."""
    user = make_user(Role.EDITOR)
    client.csrf_token()
    client.form("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token")
    assert remember is not None
    copy = app.test_client()
    copy.set_cookie("remember_token", remember.value)
    assert copy.get("/admin/").status_code == 200
    client.form("/logout")
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/admin/").status_code == 302


def test_viewer_lands_on_the_internal_page(client, login_as):
    client.csrf_token()
    response = client.form("/login", {"email": login_as(Role.VIEWER).email, "password": PASSWORD})
    assert response.headers["Location"] == "/internal"


def test_wrong_password_is_refused_without_saying_which_part(client, make_user):
    user = make_user(Role.EDITOR)
    wrong = client.form("/login", {"email": user.email, "password": "not-the-password"})
    unknown = client.form("/login", {"email": "nobody@example.com", "password": "whatever-it-is"})
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text
    assert client.get("/admin/").status_code == 302


def test_empty_login_form_re_renders_with_messages(client):
    response = client.form("/login", {"email": "", "password": ""})
    assert response.status_code == 400
    assert "This field is required." in response.text


def test_deactivated_user_cannot_sign_in(client, make_user):
    from statuspage.services.accounts import users
    from tests.conftest import ACTOR

    make_user(Role.ADMIN)
    user = make_user(Role.EDITOR)
    users.set_user_active(user, False, actor=ACTOR)
    response = client.form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "///evil.com",
        "/\\evil.com",
        "/\\/evil.com",
        "\\\\evil.com",
        "http://evil.com/admin",
        "https://evil.com",
        "javascript:alert(1)",
        "/\t/evil.com",
        "/\n/evil.com",
        " //evil.com",
        "admin",
        "",
    ],
)
def test_open_redirects_are_refused(client, make_user, target):
    assert not is_safe_redirect_url(target)
    user = make_user(Role.EDITOR)
    client.csrf_token()
    response = client.form("/login", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_a_local_next_is_followed(client, make_user):
    user = make_user(Role.EDITOR)
    response = client.get("/admin/incidents?state=open")
    assert response.headers["Location"] == "/login?next=%2Fadmin%2Fincidents%3Fstate%3Dopen"
    response = client.form(
        "/login", {"email": user.email, "password": PASSWORD, "next": "/admin/incidents?state=open"}
    )
    assert response.headers["Location"] == "/admin/incidents?state=open"


def test_post_without_csrf_token_is_refused(client, make_user):
    user = make_user(Role.EDITOR)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.text


def test_changing_the_password_ends_other_sessions(app, client, login_as):
    user = login_as(Role.EDITOR)
    other = app.test_client()
    other.csrf_token()
    assert other.form("/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    assert other.get("/admin/").status_code == 200
    response = client.form(
        "/account",
        {"current_password": PASSWORD, "password": "a-brand-new-passphrase-99"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200  # this session stays
    assert other.get("/admin/").status_code == 302  # the other one is signed out


def test_account_refuses_a_wrong_current_password_and_a_weak_new_one(client, login_as):
    login_as(Role.VIEWER)
    wrong = client.form(
        "/account", {"current_password": "nope", "password": "a-brand-new-passphrase-99"}
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    weak = client.form("/account", {"current_password": PASSWORD, "password": "password1234"})
    assert weak.status_code == 422 and "commonly used" in weak.text


def test_session_cookie_flags(client, make_user):
    user = make_user(Role.EDITOR)
    client.csrf_token()
    response = client.form("/login", {"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
