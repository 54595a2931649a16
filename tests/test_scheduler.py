"""The scheduler process: its jobs, a real `flask scheduler run`, and two schedulers at once."""

import os
import select
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, IncidentStatus
from statuspage.extensions import db
from statuspage.models import IncidentUpdate, Maintenance, SchedulerHeartbeat
from statuspage.scheduler import build_scheduler
from statuspage.services.components import tree as components
from statuspage.services.notices import incidents, maintenance
from tests.conftest import ACTOR, database_url, is_postgres, make_app
from tests.helpers import public_statuses

ROOT = Path(__file__).resolve().parent.parent


def test_the_scheduler_runs_heartbeat_tick_mail_escalation_and_automation_often_enough(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "heartbeat",
        "tick",
        "mail",
        "hooks",
        "escalation",
        "automation",
        "checks",
        "prune_checks",
    }
    # SLA targets count minutes: escalation looks at least once a minute; check results are
    # pruned daily; due checks are looked for every few seconds.
    limits = {"escalation": 60, "prune_checks": 24 * 60 * 60, "checks": 5}
    for name, job in jobs.items():
        assert job.trigger.interval <= timedelta(seconds=limits.get(name, 15))


def test_the_publish_job_is_there_only_with_a_publish_folder(app, tmp_path):
    """Without STATUSPAGE_PUBLISH_DIR the job set is the one above; with it, `publish` looks
    at least every second (a write is on the published site within 2 s)."""
    without = {job.id for job in build_scheduler(app).get_jobs()}
    assert "publish" not in without
    app.config["PUBLISH_DIR"] = str(tmp_path / "site")
    jobs = {job.id: job for job in build_scheduler(app).get_jobs()}
    assert set(jobs) == without | {"publish"}
    assert jobs["publish"].trigger.interval <= timedelta(seconds=1)


PROBE = """
import sys, threading
import wsgi
wsgi.app.test_client().get("/healthz")
print(sorted(m for m in sys.modules if m.split(".")[0] == "apscheduler"))
print([t.name for t in threading.enumerate()])
"""


def test_wsgi_does_not_start_a_scheduler(tmp_path):
    """Importing the WSGI app and serving a request loads no APScheduler and starts no thread."""
    env = scheduler_env(f"sqlite:///{tmp_path / 'probe.db'}")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    modules, threads = result.stdout.splitlines()
    assert modules == "[]"
    assert threads == "['MainThread']"


def scheduler_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "STATUSPAGE_CONFIG": "config.ProductionConfig",
        "STATUSPAGE_SECRET_KEY": "scheduler-test-secret",
        "STATUSPAGE_SQLALCHEMY_DATABASE_URI": url,
        "STATUSPAGE_SCHEDULER_TICK_SECONDS": "1",
        "STATUSPAGE_MAIL_BACKEND": "memory",
        "FLASK_APP": "wsgi",
    }


@pytest.fixture
def shared_app(tmp_path):
    """An app on a database other processes can open too (a file, or PostgreSQL)."""
    url = database_url() if is_postgres() else f"sqlite:///{tmp_path / 'shared.db'}"
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if not is_postgres():
            db.create_all()
        yield app, url
        db.session.remove()
        if is_postgres():
            from tests.conftest import _empty_tables

            _empty_tables()
        db.engine.dispose()


@pytest.mark.slow
def test_a_real_scheduler_process_starts_a_maintenance_and_stops_on_sigterm(shared_app):
    app, url = shared_app
    now = utcnow()
    api = components.create_component(name="API", actor=ACTOR, now=now - timedelta(days=1))
    window = maintenance.schedule_maintenance(
        name="Database upgrade",
        body="Upgrading.",
        components=[api],
        scheduled_for=now + timedelta(seconds=2),
        scheduled_until=now + timedelta(hours=1),
        actor=ACTOR,
        now=now,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "scheduler", "run"],
        cwd=ROOT,
        env=scheduler_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            db.session.rollback()
            status = db.session.scalar(
                sa.select(Maintenance.status_value).where(Maintenance.id == window.id)
            )
            if status == "in_progress":
                break
            time.sleep(0.3)
        assert status == "in_progress"
        db.session.rollback()
        assert (
            db.session.get(type(api), api.id, populate_existing=True).status
            is ComponentStatus.UNDER_MAINTENANCE
        )
        assert db.session.scalar(sa.select(SchedulerHeartbeat.seen_at)) is not None
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "stopping after the current job" in output


def _wait_for_line(stream, text: str, timeout: float) -> str:
    """Read *stream* until a line containing *text* (what was read so far if time runs out)."""
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:
            line = stream.readline()
            if not line:
                break
            seen += line
            if text in line:
                break
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("gap", [0.0, 0.003, 0.05])
def test_ctrl_c_then_the_makefile_trap_stops_the_scheduler_cleanly(shared_app, gap):
    """`make run`: Ctrl-C sends SIGINT, its trap SIGTERM a few milliseconds later."""
    _, url = shared_app
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "scheduler", "run"],
        cwd=ROOT,
        env=scheduler_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = _wait_for_line(process.stderr, "scheduler scheduler started", timeout=30)
        assert "started" in started, started
        time.sleep(0.3)  # let the first jobs begin, as under a real Ctrl-C
        process.send_signal(signal.SIGINT)
        time.sleep(gap)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    stderr = started + stderr
    assert "Traceback" not in stderr, stderr
    assert "SchedulerNotRunningError" not in stderr
    assert process.returncode == 0, stderr
    assert "stopping after the current job" in stderr


def _tick(url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "scheduler", "tick"],
        cwd=ROOT,
        env=scheduler_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_two_schedulers_at_once_never_apply_a_transition_twice(shared_app):
    app, url = shared_app
    now = utcnow()
    comps = [
        components.create_component(actor=ACTOR, name=f"C{i}", now=now - timedelta(days=1))
        for i in range(20)
    ]
    windows = [
        maintenance.schedule_maintenance(
            name=f"Window {i}",
            body="Work.",
            components=[comps[i]],
            scheduled_for=now + timedelta(seconds=1),
            scheduled_until=now + timedelta(hours=1),
            actor=ACTOR,
            now=now,
        )
        for i in range(20)
    ]
    for i in range(10, 20):
        incident = incidents.open_incident(
            name=f"Incident {i}",
            body="Down.",
            components={comps[i]: ComponentStatus.MAJOR_OUTAGE},
            actor=ACTOR,
            now=now,
        )
        incidents.post_update(
            incident,
            status=IncidentStatus.MONITORING,
            body="Better.",
            publish_at=now + timedelta(seconds=1),
            components={comps[i]: ComponentStatus.DEGRADED_PERFORMANCE},
            actor=ACTOR,
            now=now,
        )
    time.sleep(1.5)
    runs = [_tick(url) for _ in range(2)] + [_tick(url) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    db.session.rollback()
    for window in windows:
        statuses = db.session.scalars(
            sa.select(IncidentUpdate.status_value).where(IncidentUpdate.notice_id == window.id)
        ).all()
        assert sorted(statuses) == ["in_progress", "scheduled"], statuses
    pending = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(IncidentUpdate)
        .where(IncidentUpdate.published_at.is_(None))
    )
    assert pending == 0
    for component in comps:
        history = public_statuses(component)
        expected = (
            [ComponentStatus.UNDER_MAINTENANCE]
            if component.name in {f"C{i}" for i in range(10)}
            else None
        )
        if expected:
            assert history == expected, (component.name, history)
        else:
            # incident then maintenance start (hidden by the outage) then the scheduled update
            assert history.count(ComponentStatus.MAJOR_OUTAGE) == 1, history
            assert history.count(ComponentStatus.DEGRADED_PERFORMANCE) == 1, history
    assert sum("lost races" in out for out in outputs) == 4
