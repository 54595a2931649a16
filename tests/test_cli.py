import sqlalchemy as sa

from statuspage.enums import Audience, Role
from statuspage.extensions import db
from statuspage.models import Component, ComponentGroup, Incident, User
from statuspage.services.accounts import users


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
