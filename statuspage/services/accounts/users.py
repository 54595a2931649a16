"""Staff accounts: create, change role, (de)activate, set password, authenticate."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from statuspage.enums import Role
from statuspage.extensions import db
from statuspage.limits import MAX_NAME
from statuspage.models import User
from statuspage.services.accounts.passwords import is_common_password
from statuspage.services.accounts.sessions import end_sessions
from statuspage.services.errors import DuplicateEmail, InvalidInput, LastAdmin
from statuspage.services.inputs import clean_text, strip_controls
from statuspage.services.unit import Actor, unit_of_work

MIN_PASSWORD_LENGTH = 12


#: Hash a dummy password on unknown emails, so timing does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password-at-all")


def normalize_email(email: str) -> str:
    """Validated and lower-cased: one account per mailbox, whatever the caps."""
    try:
        result = validate_email(strip_controls(email or "").strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(str(error), field="email") from error
    return result.normalized.lower()


def check_password(password: str) -> str:
    """Refuse short passwords; the caller shows the message next to the field."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if len(password) > 1024:
        raise InvalidInput("Passwords are at most 1024 characters.", field="password")
    if is_common_password(password):
        raise InvalidInput(
            "This password is on a list of commonly used passwords; choose another.",
            field="password",
        )
    return password


def hash_password(password: str) -> str:
    return generate_password_hash(
        check_password(password), method=current_app.config["PASSWORD_HASH_METHOD"]
    )


def find_user_by_email(email: str) -> User | None:
    email = strip_controls(email or "").strip().lower()
    return db.session.scalar(sa.select(User).where(User.email == email))


def count_active_admins() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.active.is_(True))
        )
        or 0
    )


def create_user(
    *,
    email: str,
    password: str,
    role: Role = Role.VIEWER,
    name: str = "",
    actor: Actor,
    now: datetime | None = None,
) -> User:
    with unit_of_work("create_user", actor=actor, now=now) as now:
        email = normalize_email(email)
        if find_user_by_email(email) is not None:
            raise DuplicateEmail("A user with this email already exists.", field="email")
        user = User(
            email=email,
            name=clean_text(
                name, field="name", max_length=MAX_NAME, required=False, label="A name"
            ),
            password_hash=hash_password(password),
            role=Role(role),
            active=True,
            created_at=now,
        )
        db.session.add(user)
    return user


def change_role(user: User, role: Role, *, actor: Actor, now: datetime | None = None) -> User:
    """Raises LastAdmin when this would leave no active admin."""
    with unit_of_work("change_role", actor=actor, now=now):
        role = Role(role)
        if user.role is Role.ADMIN and role is not Role.ADMIN and user.active:
            if count_active_admins() <= 1:
                raise LastAdmin("The last active admin cannot be demoted.")
        user.role = role
    return user


def set_user_active(user: User, active: bool, *, actor: Actor, now: datetime | None = None) -> User:
    """Deactivating ends the user's sessions and removes their feed token; raises LastAdmin
    for the last active admin."""
    with unit_of_work("set_user_active", actor=actor, now=now):
        last_admin = user.role is Role.ADMIN and count_active_admins() <= 1
        if not active and user.active and last_admin:
            raise LastAdmin("The last active admin cannot be deactivated.")
        user.active = active
        if not active:
            end_sessions(user)
            user.feed_token_hash = None
            user.feed_token_created_at = None
    return user


def set_password(user: User, password: str, *, actor: Actor, now: datetime | None = None) -> User:
    """Set a new password and end every session of this user but the one that changed it."""
    with unit_of_work("set_password", actor=actor, now=now):
        user.password_hash = hash_password(password)
        end_sessions(user, keep=user.session_secret)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; same work whether or not it exists."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user if user.active else None


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.active.desc(), User.email)))


def active_staff() -> list[User]:
    """Who may take a role on an incident."""
    return [user for user in list_users() if user.active]
