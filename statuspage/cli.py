"""Command line: `flask users ...`, `flask tokens ...`, `flask integrations ...`,
`flask checks ...`, `flask demo seed`, `flask scheduler run`, `flask publish`."""

from __future__ import annotations

import logging
import secrets
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.local import LocalProxy

from statuspage import demo, models
from statuspage.database import is_id, utcnow
from statuspage.enums import IncidentPolicy, IntegrationKind, Role, TokenScope, Via
from statuspage.extensions import db
from statuspage.limits import MAX_DAMPING_MINUTES
from statuspage.models import ApiToken
from statuspage.schema import migrations_cli
from statuspage.services.accounts import api_tokens
from statuspage.services.accounts import users as user_service
from statuspage.services.automation import integrations as integration_service
from statuspage.services.checks import runner as check_runner
from statuspage.services.checks.probes import ProbeOptions
from statuspage.services.errors import ServiceError
from statuspage.services.notices import due_work
from statuspage.services.outbox import delivery, events
from statuspage.services.publish.nginx import build_nginx_config
from statuspage.services.publish.publisher import publish_site
from statuspage.services.publish.watch import FolderPublisher, watch_folder
from statuspage.services.response import escalation
from statuspage.services.subscribers import digests
from statuspage.services.unit import CLI, Actor

users_cli = AppGroup("users", help="Manage staff accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
scheduler_cli = AppGroup("scheduler", help="The scheduler process.")
mail_cli = AppGroup("mail", help="The outbox: deliver queued mail, send a test message.")
checks_cli = AppGroup("checks", help="Built-in checks: run the due ones once, by hand.")
tokens_cli = AppGroup("tokens", help="API tokens for the management API: make, list, revoke.")
integrations_cli = AppGroup(
    "integrations", help="Monitoring integrations (Alertmanager, Grafana, webhooks): make, list."
)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.VIEWER.value)
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a user; the password comes from a prompt or standard input, never argv."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = user_service.create_user(
            email=email, password=password, role=Role(role), name=name, actor=CLI
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role.value} {user.email}.")


@users_cli.command("ensure-admin")
def ensure_admin() -> None:
    """Make sure an active admin exists: from STATUSPAGE_ADMIN_EMAIL/_PASSWORD, or generated
    (its credentials are printed this once)."""
    if user_service.count_active_admins():
        return
    config = current_app.config
    email = config.get("ADMIN_EMAIL") or "admin@example.com"
    password = config.get("ADMIN_PASSWORD")
    generated = not password
    password = password or secrets.token_urlsafe(18)
    try:
        user = user_service.create_user(
            email=email, password=password, role=Role.ADMIN, name="Administrator", actor=CLI
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    if generated:
        click.echo(
            "\n  An admin account was created. Sign in at /login with:\n"
            f"    email:    {user.email}\n    password: {password}\n"
            "  This password is shown only now.\n"
        )
    else:
        click.echo(f"Admin {user.email} created from STATUSPAGE_ADMIN_EMAIL.")


def _check_text(value: str, option: str) -> None:
    """Refuse what the terminal could not decode (Python keeps such bytes as lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise click.BadParameter("Not valid UTF-8 text.", param_hint=option) from error


@tokens_cli.command("create")
@click.option(
    "--name", required=True, help="What the token is for, shown in lists and the audit log."
)
@click.option("--user", "email", required=True, help="The active staff user it belongs to.")
@click.option(
    "--scope",
    type=click.Choice([s.value for s in TokenScope]),
    required=True,
    help="read, write, admin or metrics (/metrics only); never more than the user's role allows.",
)
@click.option(
    "--expires-days",
    type=click.IntRange(1, api_tokens.MAX_LIFETIME.days),
    default=90,
    show_default=True,
    help="Days until it stops working.",
)
def create_token(name: str, email: str, scope: str, expires_days: int) -> None:
    """Make an API token for a staff user; its secret is the last line printed (only now)."""
    _check_text(name, "--name")
    _check_text(email, "--user")
    user = user_service.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No staff user has the address {email}.")
    now = utcnow()
    try:
        made = api_tokens.create_token(
            name=name,
            scope=TokenScope(scope),
            expires_at=now + timedelta(days=expires_days),
            actor=Actor.of(user, via=Via.CLI),
            now=now,
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    token = made.token
    click.echo(
        f'Created token {token.id} "{token.name}" for {user.email}: scope {token.scope.value}, '
        f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC.\n"
        "Store it now: it is shown only this once. Send it as 'Authorization: Bearer <token>'."
    )
    click.echo(made.secret)


@tokens_cli.command("list")
def list_tokens() -> None:
    """Every token, newest first: id, state, scope, prefix, maker, expiry, last use, name."""
    now = utcnow()
    tokens = api_tokens.list_tokens()
    if not tokens:
        click.echo("No API tokens.")
    for token in tokens:
        maker = token.created_by.email if token.created_by else "(removed user)"
        scope = token.scope.value
        if token.effective_scope is None:
            scope += " (refused: its user is deactivated or removed, or their role is too low)"
        elif token.effective_scope is not token.scope:
            scope += f" (capped to {token.effective_scope.value} by its user's role)"
        last = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(
            f"{token.id}  {token.state(now):<7}  {scope:<6}  {token.prefix}…  {maker}  "
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC  used {last}  {token.name}"
        )


@integrations_cli.command("create")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in IntegrationKind]),
    required=True,
    help="Which system posts: alertmanager, grafana or generic (a script).",
)
@click.option("--name", required=True, help="Its name, shown to staff and in the audit log.")
@click.option(
    "--damping-minutes",
    type=click.IntRange(0, MAX_DAMPING_MINUTES),
    default=2,
    show_default=True,
    help="Minutes a status must hold before the public sees it.",
)
@click.option(
    "--incidents",
    type=click.Choice([p.value for p in IncidentPolicy]),
    default=IncidentPolicy.NONE.value,
    show_default=True,
    help="none, draft (an internal incident for editors) or publish (a public incident).",
)
def create_integration(kind: str, name: str, damping_minutes: int, incidents: str) -> None:
    """Make an integration; its secret is the last line printed (only now)."""
    _check_text(name, "--name")
    try:
        made = integration_service.create_integration(
            name=name,
            kind=IntegrationKind(kind),
            damping_minutes=damping_minutes,
            incident_policy=IncidentPolicy(incidents),
            actor=CLI,
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    integration = made.integration
    click.echo(
        f'Created integration {integration.id} "{integration.name}" ({integration.kind.value}): '
        f"damping {integration.damping_minutes} min, incidents {integration.incident_policy.value}."
        f"\nIts endpoint is {integration.kind.endpoint}. Store the secret now: it is shown only "
        "this once. Send it as 'Authorization: Bearer <secret>'."
    )
    click.echo(made.secret)


@integrations_cli.command("list")
def list_integrations() -> None:
    """Every integration: id, kind, state, prefix, damping, policy, last event, name."""
    found = integration_service.list_integrations()
    if not found:
        click.echo("No integrations.")
    for item in found:
        state = "enabled" if item.enabled else "disabled"
        last = f"{item.last_event_at:%Y-%m-%d %H:%M} UTC" if item.last_event_at else "never"
        click.echo(
            f"{item.id}  {item.kind.value:<12}  {state:<8}  {item.prefix}…  "
            f"damping {item.damping_minutes} min  incidents {item.incident_policy.value}  "
            f"last event {last}  {item.name}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id")
def revoke_token(token_id: str) -> None:
    """Stop a token working at once (the row stays for the audit log)."""
    if not is_id(token_id):
        raise click.BadParameter(
            "An id is 12 lower-case letters and digits (see flask tokens list).",
            param_hint="TOKEN_ID",
        )
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No API token has the id {token_id}.")
    try:
        api_tokens.revoke_token(token, actor=CLI)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f'Token {token.id} "{token.name}" revoked: it stops working now.')


@demo_cli.command("seed")
@click.option("--force", is_flag=True, help="Delete existing components and incidents first.")
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) when data exists.")
def seed(force: bool, if_empty: bool) -> None:
    """Fill the database with a believable demo page."""
    if not demo.database_is_empty():
        if if_empty:
            return
        if not force:
            raise click.ClickException("The database is not empty; use --force to replace it.")
        demo.clear_database()
    counts = demo.seed_demo(now=utcnow())
    click.echo(f"Seeded {counts['components']} components and {counts['incidents']} incidents.")


@scheduler_cli.command("run")
@click.option("--name", default="scheduler", help="Heartbeat name of this process.")
def run(name: str) -> None:
    """Run the scheduler in this process until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Here, not at the top: only this command loads APScheduler, never a web worker.
    from statuspage.scheduler import run_scheduler

    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # current_app is typed as the Flask it stands for; the scheduler's threads need the app.
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    run_scheduler(app, name=name)


@scheduler_cli.command("tick")
def tick() -> None:
    """Apply everything due now, once (what the scheduler does every few seconds)."""

    report = due_work.run_due_work()
    escalated = escalation.escalate_due()
    click.echo(
        f"published {report.published}, started {report.started}, completed {report.completed}, "
        f"reminded {report.reminded} (skipped {report.reminders_skipped}), "
        f"materialised {report.materialised}, lost races {report.lost_races}, "
        f"escalated {escalated}"
    )


@mail_cli.command("deliver")
@click.option("--worker", default=None, help="Name recorded on the rows this process claims.")
def deliver(worker: str | None) -> None:
    """Expand events, queue due digests and send everything due until the queue is empty."""

    mailer = current_app.extensions["mailer"]
    made = events.fan_out_events()
    queued = digests.queue_due_digests()
    sent = failed = retried = 0
    while True:
        report = delivery.deliver_pending(mailer, worker=worker)
        sent, failed, retried = sent + report.sent, failed + report.failed, retried + report.retried
        if not (report.sent or report.skipped) or report.errors:
            break
    click.echo(f"made {made}, digests {queued}, sent {sent}, retried {retried}, failed {failed}")


@mail_cli.command("retry")
def retry_failed() -> None:
    """Re-queue every failed delivery (after a long relay outage); prints how many."""

    count = delivery.requeue_failed_deliveries(actor=CLI)
    click.echo(f"re-queued {count} failed deliveries")


@mail_cli.command("test")
@click.option("--to", "to_address", required=True, help="Where to send the test message.")
def send_test(to_address: str) -> None:
    """Queue a test message (the scheduler, or `flask mail deliver`, sends it)."""

    try:
        delivery.queue_test_mail(to_address, requested_by="command line", actor=CLI)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Test message to {to_address} queued.")


@checks_cli.command("run-once")
@click.option("--all", "everything", is_flag=True, help="Run every enabled check, due or not.")
def run_checks_once(everything: bool) -> None:
    """Run the checks that are due (the scheduler's `checks` job, once) and say what happened."""
    config = current_app.config
    report = check_runner.run_due_checks(
        everything=everything,
        options=ProbeOptions(ca_bundle=config["CHECKS_CA_BUNDLE"]),
        workers=config["CHECKS_WORKERS"],
    )
    click.echo(
        f"ran {report.total}, failed {len(report.failed)}, fired {len(report.fired)}, "
        f"resolved {len(report.resolved)}"
    )


@click.group("publish", cls=AppGroup, invoke_without_command=True)
@click.option(
    "--to", "destination", help="A folder (a symlink to its newest build) or s3://bucket/prefix."
)
@click.pass_context
def publish_cli(ctx: click.Context, destination: str | None) -> None:
    """Write the public site as static files (docs/deployment.md)."""
    if ctx.invoked_subcommand is not None:
        return
    if not destination:
        raise click.UsageError("Say where: --to DIR or --to s3://bucket/prefix.")
    try:
        app = cast("LocalProxy[Flask]", current_app)._get_current_object()
        click.echo(publish_site(app, destination, now=utcnow()))
    except ServiceError as error:
        raise click.ClickException(error.message) from error


@publish_cli.command("nginx-config")
@click.option("--root", required=True, type=click.Path(path_type=Path), help="The --to folder.")
@click.option("--listen", default="127.0.0.1:8080", show_default=True, help="HOST:PORT")
def nginx_config(root: Path, listen: str) -> None:
    """Print the nginx server block (include it inside http { }) serving the published folder."""
    click.echo(build_nginx_config(root, listen), nl=False)


class StopNow(Exception):
    """A second Ctrl-C: stop without waiting for the publish under way."""


@publish_cli.command("watch")
@click.option(
    "--to",
    "destination",
    type=click.Path(path_type=Path),
    help="The folder (default: STATUSPAGE_PUBLISH_DIR).",
)
@click.option(
    "--every", type=click.FloatRange(0.05, 60), help="Seconds between looks (default 0.5)."
)
@click.option(
    "--snapshots/--in-place",
    default=None,
    help="Each publish a new build of hard links, or pages renamed into the build in use "
    "(default: STATUSPAGE_PUBLISH_SNAPSHOTS, else in place).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Carry on from the folder's state: no full rebuild first (not after a deploy).",
)
def watch(
    destination: Path | None, every: float | None, snapshots: bool | None, resume: bool
) -> None:
    """Keep the published folder up to date until Ctrl-C or SIGTERM: what each write changed
    within a second or so, everything at start and nightly (docs/deployment.md)."""
    config = current_app.config
    target = destination or (Path(config["PUBLISH_DIR"]) if config["PUBLISH_DIR"] else None)
    if target is None:
        raise click.UsageError("Say where: --to DIR, or set STATUSPAGE_PUBLISH_DIR.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    publisher = FolderPublisher(
        target.absolute(),
        nightly_hour=config["PUBLISH_NIGHTLY_HOUR"],
        snapshots=bool(config["PUBLISH_SNAPSHOTS"] if snapshots is None else snapshots),
        started=resume,
    )
    stop = threading.Event()
    interrupts: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        interrupts.append(signum)
        if stop.is_set() and signum == signal.SIGINT and interrupts.count(signal.SIGINT) > 1:
            raise StopNow
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    click.echo(f"Publishing to {target}; Ctrl-C stops (a second one without waiting).", err=True)
    try:
        watch_folder(
            app, publisher, every=every or config["PUBLISH_POLL_SECONDS"], stop=stop, clock=utcnow
        )
    except StopNow:
        click.echo("Stopped during a publish; the site in use is unchanged.", err=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    click.echo("Stopped.", err=True)


def register_commands(app: Flask) -> None:
    app.cli.add_command(migrations_cli)
    app.cli.add_command(checks_cli)
    app.cli.add_command(publish_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(integrations_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)

    @app.shell_context_processor
    def shell_context() -> dict:

        return {"db": db, **{name: getattr(models, name) for name in models.__all__}}
