"""API tokens and feed tokens: only hashes kept, refused once expired, revoked or orphaned."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import Role, TokenScope, Via
from statuspage.extensions import db
from statuspage.models import ApiToken, AuditEntry, PageState, User
from statuspage.services.accounts import api_tokens as service
from statuspage.services.accounts import users
from statuspage.services.errors import InvalidInput, InvalidTransition
from statuspage.services.unit import Actor
from tests.conftest import ACTOR


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


def make(admin, now=None, **overrides):
    now = now or utcnow()
    overrides.setdefault("name", "Alertmanager")
    overrides.setdefault("scope", TokenScope.WRITE)
    overrides.setdefault("expires_at", now + timedelta(days=90))
    return service.create_token(actor=Actor.of(admin), now=now, **overrides)


def database_dump() -> str:
    """Every value of every table, as text, to look for a secret in."""
    lines = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            lines.append(repr(tuple(row)))
    return "\n".join(lines)


def test_a_new_token_keeps_only_a_hash_and_a_display_prefix(admin):
    """Whoever reads the database (or a backup) cannot use a token."""
    made = make(admin)
    assert made.secret.startswith("sp_") and len(made.secret) > 40
    token = db.session.get(ApiToken, made.token.id)
    assert token.secret_hash == service.hash_secret(made.secret) != made.secret
    assert token.prefix == made.secret[:11] and token.created_by_id == admin.id
    assert made.secret not in database_dump()
    assert made.secret[11:] not in database_dump()


def test_making_and_revoking_are_audited_without_the_hash(admin):
    """The audit log says who made and revoked a token, never anything that could rebuild it."""
    made = make(admin)
    service.revoke_token(made.token, actor=Actor.of(admin))
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "ApiToken").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor_id) for e in entries] == [
        ("create_token", admin.id),
        ("revoke_token", admin.id),
    ]
    assert (
        "secret_hash" not in entries[0].changes and entries[0].changes["name"][1] == "Alertmanager"
    )
    assert list(entries[1].changes) == ["revoked_at"]


def test_making_a_token_leaves_the_public_caches_alone(admin):
    """A token is not on any page: making one must not invalidate every cached page."""
    make(admin)  # the admin's creation bumped the version; this must not
    before = db.session.scalar(sa.select(PageState.version))
    make(admin)
    assert db.session.scalar(sa.select(PageState.version)) == before


def test_a_live_token_authenticates_and_records_its_use_once_a_minute(admin):
    """Last use helps spot forgotten tokens, without a write (or an audit row) per request."""
    made = make(admin)
    audit_rows = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    version = db.session.scalar(sa.select(PageState.version))
    first = utcnow()
    assert service.authenticate_token(made.secret, now=first).id == made.token.id
    assert db.session.get(ApiToken, made.token.id).last_used_at == first
    service.authenticate_token(made.secret, now=first + timedelta(seconds=30))
    assert db.session.get(ApiToken, made.token.id).last_used_at == first
    later = first + timedelta(minutes=2)
    service.authenticate_token(made.secret, now=later)
    assert db.session.get(ApiToken, made.token.id).last_used_at == later
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_rows
    assert db.session.scalar(sa.select(PageState.version)) == version


@pytest.mark.parametrize(
    "secret", [None, "", "sp_", "sp_wrong", "spf_feedtoken", "Bearer sp_x", "sp_" + "a" * 300]
)
def test_unknown_or_malformed_secrets_are_refused(admin, secret):
    """Anything but a secret we made is a 401."""
    made = make(admin)
    with pytest.raises(service.TokenRefused):
        service.authenticate_token(secret)
    with pytest.raises(service.TokenRefused):
        service.authenticate_token(made.secret[:-1] + ("A" if made.secret[-1] != "A" else "B"))


def test_expired_revoked_and_orphaned_tokens_are_refused(admin, make_user):
    """A token stops at its expiry, on revocation, and when the admin who made it leaves."""
    now = utcnow()
    made = make(admin, now=now, expires_at=now + timedelta(days=1))
    assert service.authenticate_token(made.secret, now=now + timedelta(hours=23))
    with pytest.raises(service.TokenRefused, match="expired"):
        service.authenticate_token(made.secret, now=now + timedelta(days=1))

    revoked = make(admin)
    service.revoke_token(revoked.token, actor=Actor.of(admin))
    with pytest.raises(service.TokenRefused, match="revoked"):
        service.authenticate_token(revoked.secret)
    with pytest.raises(InvalidTransition):
        service.revoke_token(revoked.token, actor=Actor.of(admin))

    leaver = make_user(Role.ADMIN)
    theirs = make(leaver)
    users.set_user_active(leaver, False, actor=ACTOR)
    with pytest.raises(service.TokenRefused, match="deactivated"):
        service.authenticate_token(theirs.secret)


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"scope": "root"}, "scope"),
        ({"expires_at": utcnow() - timedelta(seconds=1)}, "expires_at"),
        ({"expires_at": utcnow() + timedelta(days=400)}, "expires_at"),
    ],
)
def test_a_token_needs_a_name_a_scope_and_an_expiry_within_a_year(admin, overrides, field):
    """Every token expires: a leaked one cannot work for ever."""
    with pytest.raises(InvalidInput) as error:
        make(admin, **overrides)
    assert error.value.field == field


def test_scopes_nest():
    """admin ⊇ write ⊇ read."""
    read, write, admin = TokenScope.READ, TokenScope.WRITE, TokenScope.ADMIN
    assert admin.allows(write) and admin.allows(read) and write.allows(read)
    assert not read.allows(write) and not write.allows(admin)


def test_a_feed_token_is_hashed_rotated_and_revoked(make_user):
    """Rotating gives a new token and kills the old one; revoking kills it without a new one."""
    user = make_user(Role.VIEWER)
    first = service.rotate_feed_token(user, actor=Actor.of(user))
    assert first.startswith("spf_") and first not in database_dump()
    assert service.authenticate_feed_token(first).id == user.id
    second = service.rotate_feed_token(user, actor=Actor.of(user))
    with pytest.raises(service.TokenRefused):
        service.authenticate_feed_token(first)
    assert service.authenticate_feed_token(second).id == user.id
    service.revoke_feed_token(user, actor=Actor.of(user))
    with pytest.raises(service.TokenRefused):
        service.authenticate_feed_token(second)
    with pytest.raises(InvalidTransition):
        service.revoke_feed_token(user, actor=Actor.of(user))
    rotated = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "rotate_feed_token")
    ).all()
    assert len(rotated) == 2
    assert all(e.changes["feed_token_hash"] == ["[redacted]", "[redacted]"] for e in rotated)


def test_a_deactivated_users_feed_token_stops_working_for_good(make_user):
    """Deactivation removes the token, so reactivating the account does not revive old links."""
    user = make_user(Role.EDITOR)
    secret = service.rotate_feed_token(user, actor=Actor.of(user))
    users.set_user_active(user, False, actor=ACTOR)
    with pytest.raises(service.TokenRefused):
        service.authenticate_feed_token(secret)
    users.set_user_active(user, True, actor=ACTOR)
    with pytest.raises(service.TokenRefused):
        service.authenticate_feed_token(secret)
    assert db.session.get(User, user.id).feed_token_hash is None


def test_api_tokens_and_feed_tokens_are_not_interchangeable(admin):
    """A feed token only reads feeds; it never opens the management API, and vice versa."""
    api = make(admin).secret
    feed = service.rotate_feed_token(admin, actor=Actor(admin.id, admin.email, Via.UI))
    with pytest.raises(service.TokenRefused):
        service.authenticate_token(feed)
    with pytest.raises(service.TokenRefused):
        service.authenticate_feed_token(api)
