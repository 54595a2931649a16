"""Temporary lockout after repeated failed sign-ins for one address (known or not, so the
lockout itself never tells which accounts exist)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from statuspage.extensions import db
from statuspage.models import LoginThrottle
from statuspage.services.inputs import strip_controls


def _key(email: str) -> str:
    return "email:" + strip_controls(email or "").strip().lower()[:254]


def lockout_remaining(email: str, *, now: datetime) -> int | None:
    """Seconds until this address may try again, or None when it is not locked."""
    row = db.session.get(LoginThrottle, _key(email))
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return max(1, int((row.locked_until - now).total_seconds()))


def record_failed_login(email: str, *, now: datetime) -> int | None:
    """Count a failure; returns the lockout in seconds when this one triggers it."""
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"])
    key = _key(email)
    row = db.session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, first_failure_at=now)
        db.session.add(row)
    if now - row.first_failure_at > window or (row.locked_until and row.locked_until <= now):
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    locked = None
    if row.failures >= config["LOGIN_MAX_FAILURES"]:
        row.locked_until = now + window
        locked = int(window.total_seconds())
    db.session.commit()  # bookkeeping, not a change anyone made: not audited
    return locked


def clear_failed_logins(email: str) -> None:
    row = db.session.get(LoginThrottle, _key(email))
    if row is not None:
        db.session.delete(row)
        db.session.commit()
