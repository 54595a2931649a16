"""Hardening: sign-in lockout and rate limits, cookies, security headers on every blueprint."""

import pytest

from statuspage.enums import Role
from statuspage.extensions import db
from tests.conftest import PASSWORD

CSP_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
]


def attempt(client, email, password="wrong-password-123"):
    return client.form("/login", {"email": email, "password": password})


ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def attempt_from(client, source, email, password="wrong-password-123"):
    return client.form(
        "/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": source}
    )


@pytest.mark.config(LOGIN_MAX_FAILURES=5, LOGIN_LOCKOUT_SECONDS=900, LOGIN_COOLDOWN_SECONDS=0)
def test_a_guesser_locks_only_itself_out(client, make_user):
    """Five wrong passwords from one source lock that source out of that address for 15
    minutes, right password included; the owner signing in from elsewhere is not locked out."""
    user = make_user(Role.EDITOR)
    client.csrf_token()
    for _ in range(4):
        assert attempt_from(client, ATTACKER, user.email).status_code == 401
    locked = attempt_from(client, ATTACKER, user.email)
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    assert "Sign-in paused" in locked.text and "15 minutes" in locked.text
    # even the right password waits from there: guessing gains nothing during the lockout
    assert attempt_from(client, ATTACKER, user.email, PASSWORD).status_code == 429
    assert attempt_from(client, ATTACKER, user.email.upper(), PASSWORD).status_code == 429
    # the owner, from their own network, signs in
    owner = client.application.test_client()
    owner.csrf_token()
    assert attempt_from(owner, OWNER, user.email, PASSWORD).status_code == 302
    # which clears the address's count, not the guesser's lock
    assert attempt_from(client, ATTACKER, user.email, PASSWORD).status_code == 429


@pytest.mark.config(LOGIN_MAX_FAILURES=5, LOGIN_COOLDOWN_SECONDS=5, LOGIN_COOLDOWN_MAX_SECONDS=60)
def test_a_guesser_on_many_sources_gets_one_guess_per_cool_down(client, make_user):
    """Spread over many sources, guesses past the limit each wait a short, growing cool-down;
    the owner from a new source waits that cool-down at most (a delay, never a lockout)."""
    user = make_user(Role.EDITOR)
    client.csrf_token()
    codes = [attempt_from(client, f"203.0.113.{i}", user.email).status_code for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    paused = attempt_from(client, OWNER, user.email, PASSWORD)
    assert paused.status_code == 429 and 1 <= int(paused.headers["Retry-After"]) <= 5
    assert "5 seconds" in paused.text or "4 seconds" in paused.text


def test_cool_down_arithmetic_and_the_owner_after_it(app, make_user, now):
    """Cool-downs double from LOGIN_COOLDOWN_SECONDS up to the cap; once one has passed the
    right password works from a new source and clears the address."""
    from datetime import timedelta

    from statuspage.services.accounts import lockout

    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_COOLDOWN_SECONDS=5, LOGIN_COOLDOWN_MAX_SECONDS=30)
    email = "someone@example.com"
    waits = []
    for i in range(7):
        at = now + timedelta(minutes=i)  # each guess after the previous cool-down, new source
        waits.append(lockout.record_failed_login(email, source=f"10.0.0.{i}", now=at))
    assert waits == [None, None, 5, 10, 20, 30, 30]
    last = now + timedelta(minutes=6)
    assert lockout.lockout_remaining(email, source=OWNER, now=last + timedelta(seconds=29)) == 1
    assert lockout.lockout_remaining(email, source=OWNER, now=last + timedelta(seconds=30)) is None
    # a source that failed 3 times itself stays locked for the window
    for _ in range(3):
        lockout.record_failed_login(email, source=ATTACKER, now=last + timedelta(seconds=31))
    assert (
        lockout.lockout_remaining(email, source=ATTACKER, now=last + timedelta(minutes=14))
        is not None
    )
    lockout.clear_failed_logins(email, source=OWNER)
    assert lockout.lockout_remaining(email, source=OWNER, now=last + timedelta(minutes=1)) is None


def test_the_count_is_shared_by_every_worker(app, tmp_path, make_user):
    """Two web workers (two apps, one database) count one address's failures together, so the
    limit does not double with the number of processes (no Redis needed)."""
    from tests.conftest import database_url, is_postgres, make_app

    url = database_url() if is_postgres() else f"sqlite:///{tmp_path / 'shared.db'}"
    workers = [
        make_app(SQLALCHEMY_DATABASE_URI=url, LOGIN_MAX_FAILURES=4, LOGIN_COOLDOWN_SECONDS=60)
        for _ in range(2)
    ]
    if not is_postgres():
        with workers[0].app_context():
            db.create_all()
    clients = [w.test_client() for w in workers]
    for c in clients:
        c.csrf_token()
    codes = [
        attempt_from(clients[i % 2], ATTACKER, "victim@example.com").status_code for i in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]
    for w in workers:
        with w.app_context():
            db.engine.dispose()


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
        "/",
        "/history",
        f"/incidents/{incident.id}",
        "/history.atom",
        "/maintenance.ics",
        "/api/v2/summary.json",
        "/api/v2/nope.json",
        "/api",
        "/subscribe",
        "/login",
        "/healthz",
        "/static/css/statuspage.css",
        "/no-such-page",
        "/admin/",
    ]
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
