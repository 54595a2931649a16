"""Hardening: sign-in lockout and rate limits, cookies, security headers on every blueprint."""

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import Role
from statuspage.extensions import db
from statuspage.models import LoginThrottle
from tests.conftest import PASSWORD

CSP_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
]


def attempt(client, email, password="wrong-password-123"):
    return client.form("/login", {"email": email, "password": password})


@pytest.mark.config(LOGIN_MAX_FAILURES=5, LOGIN_LOCKOUT_SECONDS=900)
def test_repeated_failures_lock_the_address_for_a_while(client, make_user):
    user = make_user(Role.EDITOR)
    client.csrf_token()
    for _ in range(4):
        assert attempt(client, user.email).status_code == 401
    locked = attempt(client, user.email)
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    assert "Sign-in paused" in locked.text and "15 minutes" in locked.text
    # even the right password waits: guessing gains nothing during the lockout
    assert attempt(client, user.email, PASSWORD).status_code == 429
    assert attempt(client, user.email.upper(), PASSWORD).status_code == 429
    # other accounts are unaffected
    other = make_user(Role.EDITOR)
    assert attempt(client, other.email, PASSWORD).status_code == 302
    # when the lockout ends, the right password works and clears the count
    row = db.session.scalars(sa.select(LoginThrottle)).one()
    row.locked_until = utcnow()
    db.session.commit()
    fresh = client.application.test_client()
    fresh.csrf_token()
    assert attempt(fresh, user.email, PASSWORD).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0


@pytest.mark.config(LOGIN_MAX_FAILURES=3)
def test_unknown_addresses_lock_the_same_way(client):
    client.csrf_token()
    codes = [attempt(client, "nobody@example.com").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", LOGIN_MAX_FAILURES=100)
def test_sign_in_attempts_are_rate_limited_per_network(client):
    client.csrf_token()
    codes = [attempt(client, f"user{i}@example.com").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    limited = attempt(client, "another@example.com")
    assert "Too many sign-in attempts" in limited.text and "Retry-After" in limited.headers


def test_session_cookie_is_secure_under_https():
    from tests.conftest import make_app

    config = make_app(BASE_URL="https://status.example.com").config
    assert (config["SESSION_COOKIE_SECURE"], config["REMEMBER_COOKIE_SECURE"]) == (True, True)
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert make_app(BASE_URL="http://127.0.0.1:5000").config["SESSION_COOKIE_SECURE"] is False


def headers_ok(response):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    return (
        all(part in csp for part in CSP_PARTS)
        and "unsafe-inline" not in csp
        and headers.get("X-Content-Type-Options") == "nosniff"
        and headers.get("Referrer-Policy")
        and headers.get("X-Frame-Options") == "DENY"
    )


def test_security_headers_on_every_blueprint(client, login_as, make_incident):
    incident = make_incident(name="Header check")
    anonymous = [
        "/", "/history", f"/incidents/{incident.id}", "/history.atom", "/maintenance.ics",
        "/api/v2/summary.json", "/api/v2/nope.json", "/api", "/subscribe", "/login", "/healthz",
        "/static/css/statuspage.css", "/no-such-page", "/admin/",
    ]  # fmt: skip
    for url in anonymous:
        response = client.get(url)
        assert headers_ok(response), url
        response.close()
    assert headers_ok(client.post("/login", data={}))  # CSRF refusal
    login_as(Role.ADMIN)
    for url in [
        "/admin/",
        "/admin/incidents",
        "/admin/settings",
        "/admin/audit",
        "/internal",
        "/account",
    ]:
        assert headers_ok(client.get(url)), url


def test_max_content_length_applies(client):
    response = client.post("/subscribe", data={"email": "x" * 2_000_000})
    assert response.status_code == 413
