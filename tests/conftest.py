"""Fixtures: a fresh app and database per test, a CSRF-aware client, factories, a query counter.

SQLite in memory by default; PostgreSQL when TEST_DATABASE_URL is set (each xdist worker gets
a database of its own next to that one, its schema built once by running the migrations, and
every table is emptied after each test).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache

from statuspage import create_app
from statuspage.enums import (
    CheckKind,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Role,
    Via,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import Component, ComponentGroup, Incident, User
from statuspage.services.accounts import users
from statuspage.services.components import tree as components
from statuspage.services.notices import incidents
from statuspage.services.unit import Actor

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith(("postgres://", "postgresql://")):
    # The driver the app uses (psycopg 3), as `create_app` names it for the same URL.
    TEST_DATABASE_URL = "postgresql+psycopg://" + TEST_DATABASE_URL.split("://", 1)[1]
PASSWORD = "correct-horse-battery-staple-42"
ACTOR = Actor(user_id=None, label="test", via=Via.CLI)


def database_url() -> str:
    """This worker's database: under xdist each worker has its own PostgreSQL database."""
    if not TEST_DATABASE_URL:
        return "sqlite://"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return TEST_DATABASE_URL
    url = sa.make_url(TEST_DATABASE_URL)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


def _create_worker_database() -> None:
    """CREATE DATABASE for this worker, from the one TEST_DATABASE_URL names."""
    target = sa.make_url(database_url())
    if TEST_DATABASE_URL is None or target.database == sa.make_url(TEST_DATABASE_URL).database:
        return
    engine = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(target.database)
                connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()


def is_postgres() -> bool:
    return bool(TEST_DATABASE_URL)


class Client(FlaskClient):
    """A test client that knows its CSRF token, as a browser that loaded the form would.

    Each request runs in an app context of its own (its own `g` and database session), as in
    production; the test's session then forgets what it cached, to see what the request wrote.
    """

    _csrf: str | None = None

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response

    def csrf_token(self) -> str:
        if self._csrf is None:
            response = self.get("/login")
            if response.status_code != 200:
                raise AssertionError("fetch the CSRF token before signing in")
            match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
            assert match, "no CSRF token on /login"
            self._csrf = match.group(1)
        return self._csrf

    def form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form with its CSRF token."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


@pytest.fixture(scope="session")
def _schema() -> None:
    """On PostgreSQL: drop everything and build the schema with the migrations, once."""
    if not is_postgres():
        return
    from statuspage.schema import upgrade_schema

    _create_worker_database()

    app = create_app(
        {"CONFIG_CLASS": "config.TestingConfig", "SQLALCHEMY_DATABASE_URI": database_url()}
    )
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade_schema()
        # The migrations' seed rows (the default response templates): every test starts from
        # empty tables on both databases, and asks for `default_templates` when it needs them.
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    """DELETE, not TRUNCATE: on tables this small it is several times faster."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every test's app (compiling them is most of a test's time)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = MemoryBytecodeCache()


def make_app(**overrides: Any) -> Flask:
    config = {
        "CONFIG_CLASS": "config.TestingConfig",
        "SQLALCHEMY_DATABASE_URI": database_url(),
        **overrides,
    }
    app = create_app(config)
    app.test_client_class = Client
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


@pytest.fixture
def app(request: pytest.FixtureRequest, _schema: None) -> Iterator[Flask]:
    overrides: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("config"))):
        overrides.update(marker.kwargs)
    app = make_app(**overrides)
    with app.app_context():
        if not is_postgres():
            db.create_all()
        yield app
        db.session.remove()
        if is_postgres():
            _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


@pytest.fixture
def actor() -> Actor:
    return ACTOR


#: Components and groups exist well before the incidents of a test.
SETUP_AGE = timedelta(days=365)


def _numbered_maker(create: Callable[..., Any], label: str, now: datetime) -> Callable[..., Any]:
    """A factory calling *create* with a numbered name, set up well before *now*, by ACTOR."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Any:
        overrides.setdefault("name", f"{label} {next(counter)}")
        overrides.setdefault("now", now - SETUP_AGE)
        overrides.setdefault("actor", ACTOR)
        return create(**overrides)

    return make


@pytest.fixture
def make_group(app: Flask, now: datetime) -> Callable[..., ComponentGroup]:
    return _numbered_maker(components.create_group, "Group", now)


@pytest.fixture
def make_component(app: Flask, now: datetime) -> Callable[..., Component]:
    return _numbered_maker(components.create_component, "Component", now)


@pytest.fixture
def make_incident(app: Flask, now: datetime) -> Callable[..., Incident]:
    counter = iter(range(1, 10_000))

    def make(
        components: dict[Component, ComponentStatus] | None = None, **overrides: Any
    ) -> Incident:
        overrides.setdefault("name", f"Incident {next(counter)}")
        overrides.setdefault("now", now)
        overrides.setdefault("body", "We are investigating.")
        overrides.setdefault("impact", Impact.MINOR)
        overrides.setdefault("status", IncidentStatus.INVESTIGATING)
        overrides.setdefault("actor", ACTOR)
        return incidents.open_incident(components=components or {}, **overrides)

    return make


@pytest.fixture
def default_templates(app: Flask, now: datetime) -> list[Any]:
    """The six default response templates, as a fresh install has them (the migration writes
    them there; tests build their schema without it or empty its tables)."""
    from statuspage.services.response import templates

    templates.ensure_default_templates(actor=ACTOR, now=now - SETUP_AGE)
    return templates.list_templates()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.EDITOR, **overrides: Any) -> User:
        overrides.setdefault("email", f"{role.value}{next(counter)}@example.com")
        overrides.setdefault("password", PASSWORD)
        overrides.setdefault("actor", ACTOR)
        return users.create_user(role=role, **overrides)

    return make


@pytest.fixture
def login_as(client: Client, make_user: Callable[..., User]) -> Callable[..., User]:
    """Sign in through the real form, as a role (a new user) or as a given user."""

    def login(who: Role | User, password: str = PASSWORD) -> User:
        user = make_user(who) if isinstance(who, Role) else who
        client.csrf_token()
        response = client.form("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.text
        return user

    return login


@pytest.fixture
def editor(login_as: Callable[..., User]) -> User:
    """A new editor, signed in on the test client."""
    return login_as(Role.EDITOR)


@pytest.fixture
def make_api_token(make_user: Callable[..., User]) -> Callable[..., str]:
    """An API token's secret, made now (the views check it against the wall clock) by a new
    admin or by *user*."""
    from statuspage.enums import TokenScope
    from statuspage.services.accounts import api_tokens

    def make(
        scope: TokenScope = TokenScope.ADMIN, *, user: User | None = None, **overrides: Any
    ) -> str:
        maker = user or make_user(Role.ADMIN)
        overrides.setdefault("name", f"{scope.value} token")
        overrides.setdefault("expires_at", datetime.now(UTC) + timedelta(days=30))
        overrides.setdefault("actor", Actor.of(maker))
        overrides.setdefault("now", datetime.now(UTC))
        return api_tokens.create_token(scope=scope, **overrides).secret

    return make


@dataclass(frozen=True)
class DemoPage:
    """What a test needs to find its way around the seeded demo page."""

    now: datetime
    open_incident_id: str
    resolved_incident_id: str
    #: "YYYY-MM" of a past month that has incidents in its history.
    past_month: str


def _seed_demo_page(app: Flask) -> DemoPage:
    """Seed the demo a minute before the wall clock the views read, and note where things are."""
    from statuspage import demo

    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    demo.seed_demo(now=now)
    public = sa.select(Incident).where(Incident.visibility == Visibility.PUBLIC)
    open_incident = db.session.scalars(
        public.where(Incident.resolved_at.is_(None)).order_by(Incident.started_at)
    ).first()
    oldest = db.session.scalars(
        public.where(Incident.resolved_at.is_not(None)).order_by(Incident.started_at)
    ).first()
    assert open_incident is not None and oldest is not None, "the demo lost its incidents"
    return DemoPage(
        now=now,
        open_incident_id=open_incident.id,
        resolved_incident_id=oldest.id,
        past_month=f"{oldest.started_at.astimezone(ZoneInfo(app.config['TIMEZONE'])):%Y-%m}",
    )


#: One seeded SQLite database per page time zone (uptime days depend on it), per process.
_DEMO_SNAPSHOTS: dict[str, tuple[sqlite3.Connection, DemoPage]] = {}


#: On PostgreSQL: every table's rows after one seeding per page time zone, per process.
_DEMO_ROWS: dict[str, tuple[list[tuple[sa.Table, list[dict[str, Any]]]], DemoPage]] = {}


def _postgres_demo_page(app: Flask) -> DemoPage:
    """Seed once, then insert the same rows again: sequences only grow (tables are emptied with
    DELETE), so the copied ids never meet a fresh one."""
    key = app.config["TIMEZONE"]
    if key not in _DEMO_ROWS:
        page = _seed_demo_page(app)
        db.session.remove()
        with db.engine.connect() as connection:
            rows = [
                (table, [dict(row._mapping) for row in connection.execute(sa.select(table))])
                for table in db.metadata.sorted_tables
            ]
        _DEMO_ROWS[key] = ([(table, found) for table, found in rows if found], page)
        return page
    rows, page = _DEMO_ROWS[key]
    db.session.remove()
    with db.engine.begin() as connection:
        for table, found in rows:
            connection.execute(table.insert(), found)
    return page


@pytest.fixture
def demo_page(app: Flask) -> DemoPage:
    """Rich demo data, copied from one seeding per process, as seeding takes seconds."""
    if is_postgres():
        return _postgres_demo_page(app)
    key = app.config["TIMEZONE"]
    if key not in _DEMO_SNAPSHOTS:
        page = _seed_demo_page(app)
        db.session.remove()
        snapshot = sqlite3.connect(":memory:", check_same_thread=False)
        with db.engine.connect() as connection:  # the app's one in-memory connection
            connection.connection.driver_connection.backup(snapshot)
        _DEMO_SNAPSHOTS[key] = (snapshot, page)
        return page
    snapshot, page = _DEMO_SNAPSHOTS[key]
    db.session.remove()
    with db.engine.connect() as connection:
        snapshot.backup(connection.connection.driver_connection)
    return page


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """`with count_queries() as statements:` collects every SQL statement sent."""

    @contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        # Cache hits read the page version on a connection they keep, unseen by the events.
        reader = getattr(app.wsgi_app, "page_state", None)
        raw_before = reader.raw_reads if reader else 0
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
            raw = (reader.raw_reads if reader else 0) - raw_before
            statements.extend(["SELECT ... FROM page_state -- a cache hit's read"] * raw)

    return counter


@pytest.fixture
def make_maintenance(app: Flask, now: datetime) -> Callable[..., Any]:
    from statuspage.services.notices import maintenance

    counter = iter(range(1, 10_000))

    def make(components: Any = (), **overrides: Any) -> Any:
        overrides.setdefault("name", f"Maintenance {next(counter)}")
        overrides.setdefault("body", "We will upgrade the database.")
        overrides.setdefault("scheduled_for", now + timedelta(hours=2))
        overrides.setdefault("scheduled_until", now + timedelta(hours=4))
        overrides.setdefault("actor", ACTOR)
        overrides.setdefault("now", now)
        return maintenance.schedule_maintenance(components=list(components), **overrides)

    return make


@pytest.fixture
def route_objects(
    make_group: Callable[..., Any],
    make_component: Callable[..., Any],
    make_incident: Callable[..., Any],
    make_maintenance: Callable[..., Any],
    make_user: Callable[..., Any],
    now: datetime,
) -> dict[str, Any]:
    """One of each thing a URL can name, for tests that visit every route."""
    from statuspage.services.notices import recurrence

    group = make_group()
    component = make_component(group=group)
    incident = make_incident({component: ComponentStatus.MAJOR_OUTAGE})
    rule = recurrence.create_recurrence(
        name="Weekly patching",
        body="Patching.",
        rule="FREQ=WEEKLY",
        first_start=now + timedelta(days=1),
        timezone="UTC",
        duration_minutes=60,
        components=[component],
        visibility=Visibility.PUBLIC,
        auto_start=True,
        auto_complete=True,
        remind_minutes=None,
        start_message="",
        complete_message="",
        actor=ACTOR,
        now=now,
    )
    from statuspage.services.subscribers import signup as subscribers
    from statuspage.services.subscribers.links import make_token

    subscriber = subscribers.subscribe(email="routes@example.com", actor=ACTOR, now=now)
    subscribers.confirm_subscription(subscriber, actor=ACTOR, now=now)
    from statuspage.enums import TokenScope
    from statuspage.services.accounts import api_tokens

    api_token = api_tokens.create_token(
        name="Routes",
        scope=TokenScope.READ,
        expires_at=now + timedelta(days=30),
        actor=Actor.of(make_user(Role.ADMIN)),
        now=now,
    ).token
    from statuspage.enums import TemplateKind
    from statuspage.services.response import templates

    template = templates.create_template(
        name="Routes",
        kind=TemplateKind.UPDATE,
        status=IncidentStatus.IDENTIFIED,
        impact=None,
        title="",
        body="Found it.",
        components=[component],
        actor=ACTOR,
        now=now,
    )
    from statuspage.services.automation import integrations

    integration = integrations.create_integration(
        name="Routes", kind="generic", actor=ACTOR, now=now
    ).integration
    from statuspage.enums import Audience, ChatKind
    from statuspage.services.hooks import chat

    channel = chat.create_chat_channel(
        name="Routes",
        kind=ChatKind.SLACK,
        audience=Audience.INTERNAL,
        webhook_url="https://chat.example.com/hooks/routes-SECRET-CHAT-URL",
        actor=ACTOR,
        now=now,
    )
    from statuspage.services.review import action_items

    action_item = action_items.create_action_item(
        incident,
        action_items.ActionItemInput(title="Route", owner_id=make_user().id, due_on=None),
        actor=ACTOR,
        now=now,
    )
    return {
        "action_item_id": action_item.id,
        "channel_id": channel.id,
        "component_id": component.id,
        "template_id": template.id,
        "group_id": group.id,
        "incident_id": incident.id,
        "update_id": incident.updates[0].id,
        "maintenance_id": make_maintenance([component]).id,
        "recurrence_id": rule.id,
        "user_id": make_user(Role.VIEWER).id,
        "subscriber_id": subscriber.id,
        "token": make_token(subscriber, "manage"),
        "token_id": api_token.id,
        "integration_id": integration.id,
        "month": f"{now:%Y-%m}",
        "page": 1,
        **_problem_objects(component, now),
        **_check_objects(component, now),
    }


def _problem_objects(component: Any, now: datetime) -> dict[str, str]:
    """A problem and a customer report, for the routes that name them."""
    from statuspage.services.problems import records, reports

    problem = records.create_problem(title="Routes problem", actor=ACTOR, now=now)
    report = reports.submit_report(
        component_id=component.id, description="Routes report", email=None, actor=ACTOR, now=now
    )
    return {"problem_id": problem.id, "report_id": report.id}


def _check_objects(component: Any, now: datetime) -> dict[str, str]:
    """A built-in check, for the routes that name one."""
    from statuspage.services.checks import configure

    check = configure.create_check(
        component,
        configure.CheckInput(kind=CheckKind.HTTP, name="Routes check", url="http://127.0.0.1:9/"),
        actor=ACTOR,
        now=now,
    )
    return {"check_id": check.id}


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps what it accepts; it can refuse on demand."""

    def __init__(self) -> None:
        from email import message_from_bytes, policy

        self._parse = lambda raw: message_from_bytes(raw, policy=policy.default)
        self.messages: list[Any] = []
        #: address -> (code, text) to answer at RCPT TO
        self.refuse: dict[str, str] = {}
        #: called with the message before it is accepted (may raise, may kill a sender)
        self.on_data: Callable[[Any], str | None] | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = self._parse(envelope.original_content)
        if self.on_data is not None:
            answer = self.on_data(message)
            if answer:
                return answer
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A live SMTP sink on a free port; `.port`, `.sink`, `.stop()`, `.start()`."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()

    class Server:
        def __init__(self) -> None:
            self.sink, self.port, self.controller = sink, port, None

        def start(self) -> None:
            self.controller = Controller(sink, hostname="127.0.0.1", port=port)
            self.controller.start()

        def stop(self) -> None:
            if self.controller is not None:
                self.controller.stop()
                self.controller = None

    server = Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_mailer(smtp_server: Any) -> Any:
    from statuspage.mail import SmtpMailer

    return SmtpMailer(host="127.0.0.1", port=smtp_server.port, timeout=5)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpSink:
    """Records every POST; answers the next status of `answers` (200 when none is left)."""

    port: int
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    """A live HTTP server on a free port recording every POST (webhook and chat deliveries)."""
    sink = HttpSink(port=free_port())
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                sink.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = sink.answers.pop(0) if sink.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", sink.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()
    thread.join()
