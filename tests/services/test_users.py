import pytest

from statuspage.enums import Role
from statuspage.services.accounts import sessions
from statuspage.services.accounts import users as service
from statuspage.services.errors import DuplicateEmail, InvalidInput, LastAdmin
from tests.conftest import ACTOR, PASSWORD


def test_emails_are_unique_whatever_the_case(make_user):
    user = make_user(Role.EDITOR, email="Ada@Example.com")
    assert user.email == "ada@example.com"
    with pytest.raises(DuplicateEmail):
        make_user(Role.VIEWER, email="ADA@example.COM")
    assert service.authenticate("ADA@EXAMPLE.COM", PASSWORD) is user


@pytest.mark.parametrize(
    "password", ["short", "password1234", "qwertyuiop12", "aaaaaaaaaaaaaaaa", "123qweasdzxc"]
)
def test_weak_passwords_are_refused(make_user, password):
    with pytest.raises(InvalidInput) as error:
        make_user(Role.EDITOR, password=password)
    assert error.value.field == "password"


def test_invalid_email_is_refused(make_user):
    with pytest.raises(InvalidInput) as error:
        make_user(Role.EDITOR, email="not-an-address")
    assert error.value.field == "email"


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(make_user):
    admin = make_user(Role.ADMIN)
    with pytest.raises(LastAdmin):
        service.change_role(admin, Role.EDITOR, actor=ACTOR)
    with pytest.raises(LastAdmin):
        service.set_user_active(admin, False, actor=ACTOR)
    other = make_user(Role.ADMIN)
    service.change_role(admin, Role.EDITOR, actor=ACTOR)
    assert admin.role is Role.EDITOR
    with pytest.raises(LastAdmin):
        service.set_user_active(other, False, actor=ACTOR)


def test_deactivated_users_cannot_sign_in_and_lose_their_sessions(make_user):
    make_user(Role.ADMIN)
    user = make_user(Role.EDITOR)
    secret = sessions.sign_in(user, actor=ACTOR)
    assert sessions.load_session_user(secret) is user
    service.set_user_active(user, False, actor=ACTOR)
    assert sessions.load_session_user(secret) is None
    assert service.authenticate(user.email, PASSWORD) is None
    service.set_user_active(user, True, actor=ACTOR)
    assert service.authenticate(user.email, PASSWORD) is user
    assert sessions.load_session_user(secret) is None  # reactivating brings no session back


def test_set_password_ends_every_other_session(make_user):
    user = make_user(Role.VIEWER)
    laptop = sessions.sign_in(user, actor=ACTOR)
    phone = sessions.sign_in(user, actor=ACTOR)
    assert sessions.load_session_user(laptop) is sessions.load_session_user(phone) is user
    service.set_password(user, "another-long-passphrase-77", actor=ACTOR)  # from the phone
    assert sessions.load_session_user(laptop) is None
    assert sessions.load_session_user(phone) is user
    assert service.authenticate(user.email, PASSWORD) is None
    assert service.authenticate(user.email, "another-long-passphrase-77") is user


def test_sessions_expire_on_the_server(make_user, now):
    from datetime import timedelta

    user = make_user(Role.VIEWER)
    short = sessions.sign_in(user, actor=ACTOR, now=now)
    remembered = sessions.sign_in(user, remember=True, actor=ACTOR, now=now)
    later = now + timedelta(hours=13)
    assert sessions.load_session_user(short, now=later) is None
    assert sessions.load_session_user(remembered, now=later) is user
    assert sessions.load_session_user(remembered, now=now + timedelta(days=31)) is None
    assert sessions.load_session_user("not-a-session") is None


def test_authenticate_unknown_email(app):
    assert service.authenticate("nobody@example.com", PASSWORD) is None


def test_an_over_long_name_is_refused_not_cut(app):
    from statuspage.limits import MAX_NAME

    with pytest.raises(InvalidInput) as refused:
        service.create_user(
            email="long@example.com", password=PASSWORD, name="n" * (MAX_NAME + 1), actor=ACTOR
        )
    assert refused.value.field == "name"
    user = service.create_user(
        email="long@example.com", password=PASSWORD, name="n" * MAX_NAME, actor=ACTOR
    )
    assert user.name == "n" * MAX_NAME
