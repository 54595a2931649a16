"""Signing in with an email and password: the lockout checked, the attempt counted, the session
opened, in the order that keeps a locked-out guesser from learning whether the password fit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from statuspage.enums import Via
from statuspage.models import User
from statuspage.services.accounts import lockout, sessions, users
from statuspage.services.unit import Actor


@dataclass(frozen=True)
class LoginOutcome:
    """Signed in (`user`), refused (neither), or locked out for `wait_seconds`."""

    user: User | None = None
    wait_seconds: int | None = None


def attempt_login(
    email: str,
    password: str,
    *,
    source: str | None,
    remember: bool,
    user_agent: str,
    now: datetime,
) -> LoginOutcome:
    """Check the lockout, then the password; open a session, or count the failure."""
    remaining = lockout.lockout_remaining(email, source=source, now=now)
    if remaining is not None:
        return LoginOutcome(wait_seconds=remaining)
    user = users.authenticate(email, password)
    if user is None:
        return LoginOutcome(wait_seconds=lockout.record_failed_login(email, source=source, now=now))
    lockout.clear_failed_logins(email, source=source)
    sessions.sign_in(
        user,
        remember=remember,
        user_agent=user_agent,
        actor=Actor.of(user, via=Via.UI, ip=source),
    )
    return LoginOutcome(user=user)
