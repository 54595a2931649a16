"""Continuous publishing: after a write, one incremental pass puts the change on the published
site (served by a real nginx), rendering only the pages the write touched; a page the public
may no longer see leaves the site; no change writes nothing; the scheduler's `publish` job and
`flask publish watch` run the same pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, IncidentStatus, TokenScope, Visibility
from statuspage.extensions import db
from statuspage.models import AuditEntry
from statuspage.scheduler import build_scheduler
from statuspage.services.notices import incidents, timeline
from statuspage.services.page.history import Month
from statuspage.services.publish.changes import find_changes
from statuspage.services.publish.incremental import publish_changes, publish_full
from statuspage.services.publish.state import publish_lock, read_state
from statuspage.services.publish.writer import builds_folder
from statuspage.services.site import configure
from tests.conftest import ACTOR, make_app
from tests.publish.nginx_server import nginx_available, serve

ROOT = Path(__file__).resolve().parents[2]
API = "/api/manage/v1"


def history_months(paths: list[str]) -> set[str]:
    """The history month pages (in all and per component, any page) among *paths*."""
    return {p for p in paths if "/history/" in p and p.rstrip("/").split("/")[-1] != "history"}


@pytest.fixture
def site(app, tmp_path):
    return tmp_path / "site"


@pytest.fixture
def token(make_api_token):
    return {"Authorization": f"Bearer {make_api_token(TokenScope.WRITE)}"}


def post_update(client, token, incident_id: str, body: str) -> None:
    response = client.post(
        f"{API}/incidents/{incident_id}/updates",
        json={"status": "identified", "body": body},
        headers=token,
    )
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.skipif(not nginx_available(), reason="nginx-light is not installed")
def test_an_update_posted_through_the_api_is_on_the_site_nginx_serves_after_one_pass(
    app, client, make_component, make_incident, token, site, tmp_path
):
    api = make_component(name="API")
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="Checkout errors")
    assert publish_full(app, site, now=utcnow()).kind == "full"
    with serve(site, tmp_path / "nginx") as url:
        before = requests.get(f"{url}/incidents/{incident.id}", timeout=5)
        assert before.status_code == 200 and "rolled back the payment" not in before.text
        post_update(client, token, incident.id, "We rolled back the payment service.")
        report = publish_changes(app, site, now=utcnow())
        assert report.kind == "incremental"
        page = requests.get(f"{url}/incidents/{incident.id}", timeout=5)
        assert "We rolled back the payment service." in page.text
        summary = requests.get(f"{url}/api/v2/incidents/unresolved.json", timeout=5).json()
        [listed] = summary["incidents"]
        assert listed["status"] == "identified"
        home = requests.get(f"{url}/", timeout=5)
        assert "Checkout errors" in home.text and "Identified" in home.text
    assert (
        "We rolled back the payment service."
        in (site / f"incidents/{incident.id}.html").read_text()
    )


@pytest.mark.parametrize("snapshot", [False, True])
def test_an_update_renders_its_incident_and_its_month_not_the_whole_history(
    app, client, make_component, make_incident, token, site, snapshot
):
    now = utcnow()
    api, web = make_component(name="API"), make_component(name="Web")
    made = [
        make_incident(
            {(api if n % 2 else web): ComponentStatus.DEGRADED_PERFORMANCE},
            name=f"Incident {n}",
            now=now - timedelta(days=31 * n + 1),
        )
        for n in range(1, 13)
    ]
    target = made[5]
    for incident in made:
        if incident is target:
            continue
        incidents.resolve_incident(
            incident, body="Fixed.", actor=ACTOR, now=incident.started_at + timedelta(hours=1)
        )
    full = publish_full(app, site, now=now)
    old_build = site.resolve()
    assert len(history_months(full.rendered)) >= 3 * 12  # all, per API, per Web: each month
    post_update(client, token, target.id, "A note on what we found.")
    untouched = f"incidents/{made[0].id}.html"
    inodes = {name: os.stat(site / name).st_ino for name in (untouched, "index.html")}
    report = publish_changes(app, site, now=utcnow(), snapshot=snapshot)
    assert report.kind == "incremental" and report.removed == []
    assert (site.resolve() != old_build) is snapshot  # a new build, or the same one
    month = Month.of(target.started_at)
    assert history_months(report.rendered) == {
        f"/history/{month}/",
        f"/components/{web.id}/history/{month}/",
    }
    notice_pages = {p for p in report.rendered if p.startswith("/incidents/")}
    assert notice_pages == {f"/incidents/{target.id}", f"/incidents/{target.id}.json"}
    assert f"/components/{web.id}/history.atom" in report.rendered
    assert f"/components/{api.id}/history.atom" not in report.rendered
    assert "/" in report.rendered and "/api/v2/summary.json" in report.rendered
    assert "/uptime" not in report.rendered  # no component's status moved
    assert len(report.rendered) < len(full.rendered) / 3
    # A page it did not render is the same file (linked into a snapshot, not copied); a
    # rendered one a new file, put in place by a rename.
    assert os.stat(site / untouched).st_ino == inodes[untouched]
    assert os.stat(site / "index.html").st_ino != inodes["index.html"]
    assert "A note on what we found." in (site / f"incidents/{target.id}.html").read_text()
    if snapshot:  # the previous build is as it was
        assert "A note on what" not in (old_build / f"incidents/{target.id}.html").read_text()
    assert not [p for p in site.rglob(".*.new")]
    assert (site / "static/css/statuspage.css").exists()
    assert (site / f"history/{month}/index.html.gz").exists()


@pytest.mark.skipif(not nginx_available(), reason="nginx-light is not installed")
def test_an_incident_turned_internal_leaves_the_published_site(
    app, make_component, make_incident, site, tmp_path
):
    api = make_component(name="API")
    secret = make_incident({api: ComponentStatus.PARTIAL_OUTAGE}, name="Vendor breach")
    kept = make_incident({api: ComponentStatus.PARTIAL_OUTAGE}, name="Slow logins")
    publish_full(app, site, now=utcnow())
    assert (site / f"incidents/{secret.id}.html").exists()
    incidents.update_incident(
        secret, name=secret.name, impact=secret.impact, visibility=Visibility.INTERNAL, actor=ACTOR
    )
    report = publish_changes(app, site, now=utcnow())
    assert report.kind == "incremental"
    assert set(report.removed) == {f"/incidents/{secret.id}", f"/incidents/{secret.id}.json"}
    for name in (f"incidents/{secret.id}.html", f"incidents/{secret.id}.json"):
        assert not (site / name).exists() and not (site / f"{name}.gz").exists()
    published = "".join(
        path.read_text(errors="replace") for path in site.rglob("*") if path.is_file()
    )
    assert "Vendor breach" not in published and "Slow logins" in published
    with serve(site, tmp_path / "nginx") as url:
        assert requests.get(f"{url}/incidents/{secret.id}", timeout=5).status_code == 404
        assert requests.get(f"{url}/incidents/{kept.id}", timeout=5).status_code == 200
    incidents.delete_incident(kept, actor=ACTOR)
    assert publish_changes(app, site, now=utcnow()).kind == "incremental"
    assert not (site / f"incidents/{kept.id}.html").exists()
    assert "Slow logins" not in (site / "index.html").read_text()


def test_nothing_changed_writes_nothing(app, make_component, make_incident, site):
    api = make_component(name="API")
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE})
    publish_full(app, site, now=utcnow())
    builds = sorted(p.name for p in builds_folder(site).iterdir())
    state = builds_folder(site) / "state.json"
    stamp = state.stat().st_mtime_ns
    assert publish_changes(app, site, now=utcnow()).kind == "unchanged"
    timeline.add_note(incident, body="Staff only: the vendor's name.", actor=ACTOR)
    assert publish_changes(app, site, now=utcnow()).kind == "unchanged"
    assert sorted(p.name for p in builds_folder(site).iterdir()) == builds
    assert state.stat().st_mtime_ns == stamp


def test_a_component_status_renders_the_current_pages_and_a_new_logo_everything(
    app, client, make_component, make_incident, token, site
):
    api = make_component(name="API")
    incident = make_incident({})
    publish_full(app, site, now=utcnow())
    response = client.put(
        f"{API}/components/{api.id}/status", json={"status": "major_outage"}, headers=token
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    report = publish_changes(app, site, now=utcnow())
    assert report.kind == "incremental"
    assert f"/incidents/{incident.id}" not in report.rendered
    assert f"/components/{api.id}/history/" in report.rendered
    assert {"/uptime", "/uptime.json"} <= set(report.rendered)
    assert '"major_outage"' in (site / "api/v2/components.json").read_text()
    configure.set_logo(b"GIF89a" + b"\x00" * 20, actor=ACTOR)
    everything = publish_changes(app, site, now=utcnow())
    assert everything.kind == "full" and "SiteAsset" in everything.reason
    assert f"/incidents/{incident.id}" in everything.rendered
    assert (site / "logo.gif").exists()
    assert '<img src="/logo?v=' in (site / f"incidents/{incident.id}.html").read_text()


def test_a_second_publisher_waits_its_turn(app, make_component, make_incident, site):
    make_incident({make_component(): ComponentStatus.MAJOR_OUTAGE})
    publish_full(app, site, now=utcnow())
    make_incident({})
    with publish_lock(site, wait=False) as held:
        assert held
        assert publish_changes(app, site, now=utcnow()).kind == "busy"
    assert publish_changes(app, site, now=utcnow()).kind == "incremental"
    assert read_state(site).build == site.resolve().name


def test_audit_ids_missing_at_one_pass_are_picked_up_when_they_commit(app, make_incident):
    """PostgreSQL hands ids out before commit: a pass may see id n+2 while n+1 is still
    uncommitted. The pass remembers n+1 and reads it next time."""
    make_incident({})
    newest = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    seen = find_changes(newest, {}, upto=newest + 3)  # as if n+3 were committed, n+1..n+3 not
    assert set(seen.gaps) == {newest + 1, newest + 2, newest + 3} and not seen.notices
    late = make_incident({}, name="Committed late")
    after = find_changes(seen.audit_id, seen.gaps, upto=seen.audit_id)
    assert late.id in after.notices
    assert newest + 1 not in after.gaps


def test_the_scheduler_job_publishes_only_when_the_setting_is_there(
    app, client, make_component, make_incident, token, site
):
    incident = make_incident({make_component(): ComponentStatus.MAJOR_OUTAGE})
    app.config["PUBLISH_DIR"] = str(site)
    jobs = {job.id: job for job in build_scheduler(app).get_jobs()}
    assert jobs["publish"].trigger.interval <= timedelta(seconds=1)
    jobs["publish"].func()  # the first run: everything
    assert read_state(site).files[f"/incidents/{incident.id}"] == f"incidents/{incident.id}.html"
    post_update(client, token, incident.id, "Published by the scheduler.")
    jobs["publish"].func()
    assert "Published by the scheduler." in (site / f"incidents/{incident.id}.html").read_text()
    builds = sorted(builds_folder(site).iterdir())
    jobs["publish"].func()  # nothing new: no build
    assert sorted(builds_folder(site).iterdir()) == builds


@pytest.mark.slow
def test_flask_publish_watch_publishes_a_write_and_stops_on_ctrl_c(tmp_path):
    url = f"sqlite:///{tmp_path / 'watch.db'}"
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        incident = incidents.open_incident(
            name="Search is slow", body="Looking.", components={}, actor=ACTOR
        )
        site = tmp_path / "site"
        env = {
            **os.environ,
            "STATUSPAGE_CONFIG": "config.ProductionConfig",
            "STATUSPAGE_SECRET_KEY": "watch-test-secret",
            "STATUSPAGE_SQLALCHEMY_DATABASE_URI": url,
            "STATUSPAGE_MAIL_BACKEND": "memory",
            "STATUSPAGE_PUBLISH_DIR": str(site),
            "FLASK_APP": "wsgi",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "publish", "watch", "--every", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            page = site / f"incidents/{incident.id}.html"
            assert _wait(lambda: page.exists()), "the first publish did not happen"
            incidents.post_update(
                incident, status=IncidentStatus.IDENTIFIED, body="Index rebuilt.", actor=ACTOR
            )
            assert _wait(lambda: "Index rebuilt." in page.read_text())
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=60)
        db.session.remove()
        db.engine.dispose()
    assert process.returncode == 0, output
    assert "Traceback" not in output and "Stopped." in output
    assert "Incremental publish" in output


def _wait(condition, timeout: float = 60) -> bool:
    """Poll *condition* until true (a readiness poll: nothing is asserted about the time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
