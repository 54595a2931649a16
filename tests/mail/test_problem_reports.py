"""Problem reports by mail, through a real SMTP server: the spike alert once per recipient,
once under two concurrent workers (PostgreSQL), and the reporter's resolution mail once."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import ComponentStatus, IncidentRole, ReportState, Role
from statuspage.extensions import db
from statuspage.models import ReportSpike
from statuspage.services.notices import incidents
from statuspage.services.problems import reports
from tests.conftest import ACTOR, is_postgres


def _report(component, n, now, email=None):
    return [
        reports.submit_report(
            component_id=component.id,
            description=f"broken {i}",
            email=email,
            actor=ACTOR,
            now=now + timedelta(seconds=i),
        )  # fmt: skip
        for i in range(n)
    ]


def test_spike_mails_each_recipient_once(
    smtp_server, send_all, make_component, make_user, make_incident, now
):
    api = make_component()
    make_user(Role.EDITOR, email="ed@example.com")
    make_user(Role.ADMIN, email="ad@example.com")
    make_user(Role.VIEWER, email="viewer@example.com")
    lead = make_user(Role.VIEWER, email="lead@example.com")
    old = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, now=now - timedelta(days=3))
    from statuspage.services.response import roles

    roles.assign_role(old, IncidentRole.COMMS_LEAD, lead, actor=ACTOR, now=now - timedelta(days=3))
    incidents.resolve_incident(old, body="ok", actor=ACTOR, now=now - timedelta(days=2))
    _report(api, 6, now)
    _report(api, 5, now + timedelta(minutes=2))
    send_all(now=now + timedelta(minutes=3))
    for address in ("ed@example.com", "ad@example.com", "lead@example.com"):
        mails = smtp_server.sink.to(address)
        assert len(mails) == 1, address
        assert "problem reports for" in mails[0]["Subject"]
        assert f"component={api.id}" in mails[0].get_body(("plain",)).get_content()
    assert smtp_server.sink.to("viewer@example.com") == []
    # A new window after a quiet one is a new spike.
    _report(api, 6, now + timedelta(hours=2))
    send_all(now=now + timedelta(hours=2, minutes=1))
    assert len(smtp_server.sink.to("ed@example.com")) == 2


@pytest.mark.skipif(not is_postgres(), reason="concurrent workers need PostgreSQL")
def test_two_concurrent_workers_alert_once(app, make_component, make_user, now):
    api = make_component()
    make_user(Role.EDITOR, email="ed@example.com")
    _report(api, 5, now)
    component_id = api.id  # read here: the main thread's session is not the workers'
    barrier = threading.Barrier(2)
    errors = []

    def worker(i):
        with app.app_context():
            try:
                barrier.wait()
                reports.submit_report(
                    component_id=component_id, description=f"race {i}", email=None, actor=ACTOR,
                    now=now + timedelta(minutes=1),
                )  # fmt: skip
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportSpike)) == 1
    from statuspage.models import Delivery, ProblemReport

    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProblemReport)) == 7
    assert db.session.scalars(sa.select(Delivery.to_address)).all() == ["ed@example.com"]


def test_reporters_hear_once_when_the_linked_incident_resolves(
    smtp_server, send_all, make_component, make_incident, now
):
    api = make_component()
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="Checkout down")
    with_mail, without = (
        _report(api, 1, now, email="r1@example.com")[0],
        _report(api, 1, now)[0],
    )
    for report in (with_mail, without):
        reports.triage_report(
            report, state=ReportState.LINKED, incident_id=incident.id, actor=ACTOR, now=now
        )
    assert reports.notify_resolved_reporters(now=now + timedelta(minutes=1)) == 0
    incidents.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=now + timedelta(hours=1))
    for minutes in (61, 62):
        reports.notify_resolved_reporters(now=now + timedelta(minutes=minutes))
        send_all(now=now + timedelta(minutes=minutes))
    incidents.reopen_incident(incident, body="Again.", actor=ACTOR, now=now + timedelta(hours=2))
    incidents.resolve_incident(incident, body="Done.", actor=ACTOR, now=now + timedelta(hours=3))
    reports.notify_resolved_reporters(now=now + timedelta(hours=3, minutes=1))
    send_all(now=now + timedelta(hours=3, minutes=1))
    mails = smtp_server.sink.to("r1@example.com")
    assert len(mails) == 1
    assert (
        "resolved" in mails[0]["Subject"]
        and "Checkout down" in mails[0].get_body(("plain",)).get_content()
    )
