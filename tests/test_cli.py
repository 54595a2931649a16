import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import Audience, Role, TokenScope, Via
from statuspage.extensions import db
from statuspage.models import ApiToken, AuditEntry, Component, ComponentGroup, Incident, User
from statuspage.services.accounts import users
from tests.conftest import ACTOR


def test_users_create_reads_the_password_from_stdin(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Ops@Example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a-long-enough-passphrase-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin ops@example.com" in result.output
    assert users.authenticate("ops@example.com", "a-long-enough-passphrase-1").role is Role.ADMIN


def test_users_create_prompts_and_reports_errors(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "x@example.com"],
        input="short\nshort\n",
    )
    assert result.exit_code == 1 and "at least 12 characters" in result.output
    result = runner.invoke(args=["users", "create", "--email", "x@example.com", "--role", "king"])
    assert result.exit_code == 2


def test_ensure_admin_generates_credentials_once(runner):
    first = runner.invoke(args=["users", "ensure-admin"])
    assert first.exit_code == 0 and "password:" in first.output
    password = first.output.split("password:")[1].split()[0]
    assert users.authenticate("admin@example.com", password).role is Role.ADMIN
    second = runner.invoke(args=["users", "ensure-admin"])
    assert second.exit_code == 0 and second.output == ""
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_ensure_admin_uses_the_configured_account(app, runner):
    app.config.update(ADMIN_EMAIL="boss@example.com", ADMIN_PASSWORD="a-long-enough-passphrase-1")
    result = runner.invoke(args=["users", "ensure-admin"])
    assert result.exit_code == 0 and "password:" not in result.output
    assert users.authenticate("boss@example.com", "a-long-enough-passphrase-1") is not None


def test_demo_seed_builds_a_believable_page_and_refuses_to_overwrite(app, runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    count = lambda model, *where: db.session.scalar(  # noqa: E731
        sa.select(sa.func.count()).select_from(model).where(*where)
    )
    assert count(ComponentGroup) >= 3 and count(Component) >= 12
    assert count(Incident, Incident.status_value == "resolved") >= 30
    assert count(Incident, Incident.status_value != "resolved") == 1
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 1 and "not empty" in again.output
    assert runner.invoke(args=["demo", "seed", "--if-empty"]).exit_code == 0
    assert count(Incident) == 33
    assert runner.invoke(args=["demo", "seed", "--force"]).exit_code == 0
    assert count(Incident) == 33
    page = client.get("/")
    assert page.status_code == 200 and "Elevated error rates on the API" in page.text


def test_demo_timelines_have_several_updates_and_matching_history(app, runner):
    from statuspage.models import ComponentStatusChange

    runner.invoke(args=["demo", "seed"])
    resolved = db.session.scalars(
        sa.select(Incident).where(Incident.status_value == "resolved")
    ).all()
    assert all(len(i.updates) >= 2 for i in resolved)
    for incident in resolved[:5]:
        changes = db.session.scalars(
            sa.select(ComponentStatusChange).where(
                ComponentStatusChange.notice_id == incident.id,
                ComponentStatusChange.audience == Audience.PUBLIC,
            )
        ).all()
        assert changes and changes[-1].new_status.value == "operational"


# flask tokens


def tokens(runner, *args):
    return runner.invoke(args=["tokens", *args])


def audit(action):
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def test_tokens_create_prints_the_secret_last_and_it_works_on_the_management_api(
    runner, client, make_user
):
    """The last line is the secret alone, for `| tail -1`; the token is its user's, acts on the
    management API at once, and the audit log says who made it from the command line."""
    editor = make_user(Role.EDITOR, email="ops@example.com")
    before = utcnow()
    result = tokens(
        runner,
        "create",
        "--name",
        "Deploy bot",
        "--user",
        "OPS@Example.com",
        "--scope",
        "write",
        "--expires-days",
        "30",
    )
    assert result.exit_code == 0, result.output
    *explanation, secret = result.output.splitlines()
    assert re.fullmatch(r"sp_[A-Za-z0-9_-]{43}", secret), secret
    said = "\n".join(explanation)
    assert "Deploy bot" in said and "scope write" in said and "shown only this once" in said
    assert secret not in said
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert (token.name, token.scope, token.created_by_id) == (
        "Deploy bot",
        TokenScope.WRITE,
        editor.id,
    )
    assert timedelta(days=30) <= token.expires_at - before <= timedelta(days=30, minutes=1)
    [made] = audit("create_token")
    assert (made.via, made.actor_id, made.actor_label) == (Via.CLI, editor.id, "ops@example.com")

    bearer = {"Authorization": f"Bearer {secret}"}
    response = client.post("/api/manage/v1/components", json={"name": "Search"}, headers=bearer)
    assert response.status_code == 201, response.text
    [created] = audit("create_component")
    assert (created.via, created.actor_id, created.actor_label) == (
        Via.API,
        editor.id,
        "token Deploy bot",
    )
    assert client.get("/api/manage/v1/subscribers", headers=bearer).status_code == 403


def test_tokens_create_defaults_to_90_days_and_allows_the_services_year(runner, make_user):
    admin = make_user(Role.ADMIN, email="root@example.com")
    before = utcnow()
    for days, name in [(None, "Default"), ("366", "Longest")]:
        extra = [] if days is None else ["--expires-days", days]
        result = tokens(
            runner, "create", "--name", name, "--user", admin.email, "--scope", "admin", *extra
        )
        assert result.exit_code == 0, result.output
    lifetimes = {t.name: t.expires_at - before for t in db.session.scalars(sa.select(ApiToken))}
    assert timedelta(days=90) <= lifetimes["Default"] < timedelta(days=90, minutes=1)
    assert timedelta(days=366) <= lifetimes["Longest"] < timedelta(days=366, minutes=1)


@pytest.mark.parametrize(
    "args,status,message",
    [
        (
            ["--user", "viewer@example.com", "--scope", "write"],
            1,
            "Viewers can make tokens of scope read at most.",
        ),
        (
            ["--user", "editor@example.com", "--scope", "admin"],
            1,
            "Editors can make tokens of scope write at most.",
        ),
        (
            ["--user", "gone@example.com", "--scope", "read"],
            1,
            "A token belongs to an active user.",
        ),
        (
            ["--user", "nobody@example.com", "--scope", "read"],
            1,
            "No staff user has the address nobody@example.com.",
        ),
        (
            ["--user", "editor@example.com", "--scope", "read", "--expires-days", "367"],
            2,
            "367 is not in the range 1<=x<=366",
        ),
        (["--user", "editor@example.com", "--scope", "read", "--expires-days", "0"], 2, "range"),
        (["--user", "editor@example.com", "--scope", "owner"], 2, "'owner' is not one of"),
        (["--scope", "read"], 2, "Missing option '--user'"),
        (["--user", "editor@example.com"], 2, "Missing option '--scope'"),
    ],
)
def test_tokens_create_refuses_by_the_services_rules(runner, make_user, args, status, message):
    """Never wider than the user's role, only for an active user, within a year: the message
    says why, the exit status is non-zero, and no token is made."""
    from statuspage.services.accounts import users as user_service

    make_user(Role.VIEWER, email="viewer@example.com")
    make_user(Role.EDITOR, email="editor@example.com")
    gone = make_user(Role.EDITOR, email="gone@example.com")
    user_service.set_user_active(gone, False, actor=ACTOR)
    result = tokens(runner, "create", "--name", "Too much", *args)
    assert result.exit_code == status, result.output
    assert message in result.output
    assert "sp_" not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_tokens_list_and_revoke(runner, client, make_user):
    """Operators see every token and can stop one at once; the others keep working."""
    admin = make_user(Role.ADMIN, email="root@example.com")
    assert tokens(runner, "list").output == "No API tokens.\n"
    secrets = {}
    for name in ("Monitoring", "Backups"):
        result = tokens(runner, "create", "--name", name, "--user", admin.email, "--scope", "read")
        secrets[name] = result.output.splitlines()[-1]
    ids = {t.name: t.id for t in db.session.scalars(sa.select(ApiToken))}
    listed = tokens(runner, "list").output.splitlines()
    assert len(listed) == 2
    for name, ident in ids.items():
        [line] = [line for line in listed if line.startswith(ident)]
        assert "active" in line and "read" in line and name in line and admin.email in line
        assert secrets[name] not in line and secrets[name][:11] in line

    result = tokens(runner, "revoke", ids["Monitoring"])
    assert result.exit_code == 0 and "revoked" in result.output
    [revoked] = audit("revoke_token")
    assert (revoked.via, revoked.object_id) == (Via.CLI, ids["Monitoring"])
    api = "/api/manage/v1/components"
    assert (
        client.get(api, headers={"Authorization": f"Bearer {secrets['Monitoring']}"}).status_code
        == 401
    )
    assert (
        client.get(api, headers={"Authorization": f"Bearer {secrets['Backups']}"}).status_code
        == 200
    )
    assert "revoked" in next(
        line
        for line in tokens(runner, "list").output.splitlines()
        if line.startswith(ids["Monitoring"])
    )

    again = tokens(runner, "revoke", ids["Monitoring"])
    assert again.exit_code == 1 and "already revoked" in again.output
    unknown = tokens(runner, "revoke", "abcdefghijkl")
    assert unknown.exit_code == 1 and "No API token has the id abcdefghijkl." in unknown.output
    assert tokens(runner, "revoke", "../etc").exit_code == 2
    assert len(audit("revoke_token")) == 1


def test_tokens_list_says_when_a_role_narrows_a_token(runner, make_user):
    """A demoted user's admin token reads as capped, a deactivated user's as refused."""
    from statuspage.services.accounts import users as user_service

    make_user(Role.ADMIN)  # someone stays admin
    admin = make_user(Role.ADMIN, email="root@example.com")
    tokens(runner, "create", "--name", "Wide", "--user", admin.email, "--scope", "admin")
    user_service.change_role(admin, Role.EDITOR, actor=ACTOR)
    assert "capped to write" in tokens(runner, "list").output
    user_service.set_user_active(admin, False, actor=ACTOR)
    assert "refused" in tokens(runner, "list").output
