"""Throttling failed sign-ins by address *and* source, so guessing is slow but a stranger who
knows a staff address cannot lock its owner out.

Two counters, both in the database (so every web worker shares them, with or without Redis):

- per (address, source address): after LOGIN_MAX_FAILURES failures within
  LOGIN_LOCKOUT_SECONDS, that source may not try that address again until the window ends.
  This is what stops a guesser.
- per address, from any source: after LOGIN_MAX_FAILURES failures, each further try waits a
  short cool-down after the last failure (LOGIN_COOLDOWN_SECONDS, doubling per extra failure up
  to LOGIN_COOLDOWN_MAX_SECONDS). A guesser spreading over many sources gets one guess per
  cool-down; the owner, from their own network, signs in once the cool-down has passed (a delay,
  never a CAPTCHA, never a 15-minute lockout).

Unknown addresses are counted the same way, so the answers never tell which accounts exist. A
successful sign-in clears both counters of that address and source.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from statuspage.extensions import db
from statuspage.models import LoginThrottle
from statuspage.services.inputs import strip_controls


def _address(email: str) -> str:
    return strip_controls(email or "").strip().lower()[:254]


def _keys(email: str, source: str | None) -> tuple[str, str]:
    address = _address(email)
    return f"email:{address}", f"pair:{address}|{(source or 'unknown')[:45]}"


def _seconds_left(until: datetime | None, now: datetime) -> int | None:
    if until is None or until <= now:
        return None
    return max(1, int((until - now).total_seconds() + 0.999))


def lockout_remaining(email: str, *, source: str | None, now: datetime) -> int | None:
    """Seconds before *source* may try *email* again, or None when it may try now."""
    waits = [
        _seconds_left(row.locked_until, now)
        for key in _keys(email, source)
        if (row := db.session.get(LoginThrottle, key)) is not None
    ]
    return max((w for w in waits if w is not None), default=None)


def _count(key: str, now: datetime, window: timedelta) -> LoginThrottle:
    """The counter *key*, started afresh when its window is over, with this failure added."""
    row = db.session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, first_failure_at=now)
        db.session.add(row)
    if now - row.first_failure_at > window:
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    return row


def record_failed_login(email: str, *, source: str | None, now: datetime) -> int | None:
    """Count a failure; returns the wait in seconds when this one starts one."""
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"])
    limit = int(config["LOGIN_MAX_FAILURES"])
    address_key, pair_key = _keys(email, source)
    pair = _count(pair_key, now, window)
    if pair.failures >= limit:
        pair.locked_until = pair.first_failure_at + window
    address = _count(address_key, now, window)
    if address.failures >= limit:
        extra = address.failures - limit
        cooldown = min(
            float(config["LOGIN_COOLDOWN_SECONDS"]) * 2**extra,
            float(config["LOGIN_COOLDOWN_MAX_SECONDS"]),
        )
        address.locked_until = now + timedelta(seconds=cooldown)
    db.session.commit()  # bookkeeping, not a change anyone made: not audited
    return lockout_remaining(email, source=source, now=now)


def clear_failed_logins(email: str, *, source: str | None) -> None:
    """A successful sign-in: this address starts afresh from everywhere."""
    address_key, pair_key = _keys(email, source)
    for key in (address_key, pair_key):
        row = db.session.get(LoginThrottle, key)
        if row is not None:
            db.session.delete(row)
    db.session.commit()
