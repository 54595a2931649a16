"""Problem records (linking rules, candidates, admin pages) and the public report form."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, ProblemStatus, ReportState, Role, Visibility
from statuspage.extensions import db
from statuspage.models import Delivery, ProblemReport, ReportSpike
from statuspage.services.problems import records, reports
from statuspage.services.problems.records import IncidentInOtherProblem, titles_similar
from tests.conftest import ACTOR

MAJOR = ComponentStatus.MAJOR_OUTAGE


def test_an_incident_belongs_to_one_problem(make_component, make_incident, now):
    api = make_component()
    incident = make_incident({api: MAJOR})
    first = records.create_problem(title="Disk full", actor=ACTOR, now=now)
    second = records.create_problem(title="Other", actor=ACTOR, now=now)
    records.link_incident(first, incident.id, actor=ACTOR, now=now)
    with pytest.raises(IncidentInOtherProblem):
        records.link_incident(second, incident.id, actor=ACTOR, now=now)
    assert [i.id for i in first.incidents] == [incident.id] and second.incidents == []
    records.unlink_incident(first, incident.id, actor=ACTOR, now=now)
    records.link_incident(second, incident.id, actor=ACTOR, now=now)
    assert records.problem_of(incident).id == second.id


def test_candidates_by_components_within_the_window_and_by_title(
    make_component, make_incident, now
):
    api, web = make_component(), make_component()
    linked = make_incident({api: MAJOR}, name="Checkout errors", now=now - timedelta(days=40))
    near = make_incident({api: MAJOR}, name="Zebra", now=now - timedelta(days=15))
    far = make_incident({api: MAJOR}, name="Quokka", now=now - timedelta(days=200))
    other = make_incident({web: MAJOR}, name="Walrus", now=now - timedelta(days=39))
    similar = make_incident(
        {web: MAJOR}, name="Checkout errors again", now=now - timedelta(days=300)
    )
    problem = records.create_problem(title="Payment gateway timeouts", actor=ACTOR, now=now)
    records.link_incident(problem, linked.id, actor=ACTOR, now=now)
    found = {c.incident.id: c.reasons for c in records.suggest_candidates(problem)}
    assert found[near.id] == ["same components within 30 days"]
    assert found[similar.id] == ["similar title"]
    assert far.id not in found and other.id not in found and linked.id not in found
    assert titles_similar("Database replica lag", "Replica lag on database")
    assert not titles_similar("Login outage", "Email delays")


def test_admin_problem_pages(client, login_as, make_component, make_incident):
    login_as(Role.EDITOR)
    api = make_component()
    incident = make_incident({api: MAJOR}, name="Queue stuck")
    sibling = make_incident({api: MAJOR}, name="Queue stuck again")
    bad = client.form("/admin/problems/new", {"title": "", "status": "investigating"})
    assert bad.status_code == 422 and "This field is required" in bad.text
    made = client.form(
        "/admin/problems/new",
        {"title": "Broker memory leak", "status": "investigating", "components": [api.id],
         "workaround": "Restart **nightly**"},
    )  # fmt: skip
    assert made.status_code == 302
    url = made.headers["Location"]
    page = client.get(url)
    assert "<strong>nightly</strong>" in page.text and "Queue stuck" in page.text  # a candidate
    problem_id = url.rsplit("/", 1)[-1]
    for target in (incident, sibling):
        assert client.form(f"{url}/link", {"incident_id": target.id}).status_code == 302
    other = client.form("/admin/problems/new", {"title": "Other", "status": "investigating"})
    refused = client.form(f"{other.headers['Location']}/link", {"incident_id": incident.id})
    assert refused.status_code == 409 and "unlink it there first" in refused.text
    detail = client.get(f"/admin/incidents/{incident.id}")
    assert "Broker memory leak" in detail.text and "Queue stuck again" in detail.text
    edited = client.form(url, {"title": "Broker leak", "status": "known_error"})
    assert edited.status_code == 302
    listed = client.get("/admin/problems?status=known_error")
    assert "Broker leak" in listed.text and "Other" not in listed.text
    assert client.get("/admin/problems?status=nope").status_code == 400
    assert client.form(f"{url}/unlink", {"incident_id": sibling.id}).status_code == 302
    assert records.problem_of(sibling) is None and problem_id


def test_report_form_bad_input_keeps_values(client, make_component):
    api = make_component()
    page = client.get(f"/report?component={api.id}")
    assert page.status_code == 200 and "Report a problem" in page.text
    bad = client.form("/report", {"component": api.id, "description": "", "email": "not-mail"})
    assert bad.status_code == 422
    assert "Describe the problem." in bad.text and "Invalid email address." in bad.text
    assert 'value="not-mail"' in bad.text
    hidden = make_component(visibility=Visibility.INTERNAL)
    refused = client.form("/report", {"component": hidden.id, "description": "x"})
    assert refused.status_code == 422 and "Not a valid choice" in refused.text
    assert hidden.name not in client.get("/report").text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProblemReport)) == 0


def test_spam_is_dropped_but_answered_the_same(client, make_component):
    api = make_component()
    spam = client.form("/report", {"component": api.id, "description": "buy", "website": "x"})
    real = client.form("/report", {"component": api.id, "description": "It is down"})
    assert spam.status_code == real.status_code == 302
    assert spam.headers["Location"] == real.headers["Location"]
    assert client.get(real.headers["Location"]).text == client.get(spam.headers["Location"]).text
    stored = db.session.scalars(sa.select(ProblemReport.description)).all()
    assert stored == ["It is down"]


@pytest.mark.config(RATELIMIT_ENABLED=True, REPORT_RATE_LIMIT="2 per hour")
def test_reports_are_rate_limited(client, make_component):
    api = make_component()
    codes = [
        client.form("/report", {"component": api.id, "description": "down"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_triage_queue_shows_the_address_and_links(client, login_as, make_component, make_incident):
    api = make_component()
    incident = make_incident({api: MAJOR})
    report = reports.submit_report(
        component_id=api.id, description="Slow", email="Who@Example.com", actor=ACTOR
    )
    login_as(Role.EDITOR)
    page = client.get("/admin/triage")
    assert "who@example.com" in page.text and "Slow" in page.text
    prefix = f"r{report.id}-"
    done = client.form(
        f"/admin/triage/{report.id}",
        {f"{prefix}state": "linked", f"{prefix}incident_id": incident.id, f"{prefix}csrf_token": client.csrf_token()},
    )  # fmt: skip
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProblemReport, report.id).state is ReportState.LINKED
    assert "who@example.com" not in client.get("/admin/triage?state=new").text


def _report(component, n, now, **kw):
    for i in range(n):
        reports.submit_report(
            component_id=component.id, description=f"r{i}", email=None, actor=ACTOR,
            now=now + timedelta(seconds=i), **kw,
        )  # fmt: skip


def test_spike_alerts_once_and_offers_an_incident(client, login_as, make_component, make_user):
    now = utcnow() - timedelta(minutes=5)  # the dashboard shows the last day's spikes
    api = make_component()
    make_user(Role.ADMIN, email="boss@example.com")
    _report(api, 5, now)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportSpike)) == 0
    _report(api, 4, now + timedelta(minutes=1))
    spikes = db.session.scalars(sa.select(ReportSpike)).all()
    assert len(spikes) == 1 and spikes[0].reports == 6
    mails = db.session.scalars(sa.select(Delivery.to_address)).all()
    assert sorted(mails) == sorted(set(mails)) and "boss@example.com" in mails
    login_as(Role.EDITOR)
    dashboard = client.get("/admin/")
    assert "customers reported problems with" in dashboard.text
    assert f"/admin/incidents/new?component={api.id}" in dashboard.text
    form = client.get(f"/admin/incidents/new?component={api.id}&name=Problems+with+{api.name}")
    assert f'id="affects_{api.id}" name="affects_{api.id}" type="checkbox" value="y"' in form.text
    assert f'value="Problems with {api.name}"' in form.text


def test_no_spike_while_an_open_incident_covers_it(make_component, make_incident, make_user, now):
    api = make_component()
    make_user(Role.EDITOR)
    make_incident({api: MAJOR})
    _report(api, 8, now)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportSpike)) == 0
    assert reports.list_spike_banners(now=now) == []


def test_spike_rule_is_editable(client, login_as):
    login_as(Role.ADMIN)
    bad = client.form("/admin/triage/settings", {"threshold": "0", "minutes": "10"})
    assert bad.status_code == 422
    ok = client.form("/admin/triage/settings", {"threshold": "2", "minutes": "30"})
    assert ok.status_code == 302
    assert reports.get_spike_policy() == reports.SpikePolicy(threshold=2, minutes=30)


def test_problem_status_resolved_stamps(app, now):
    problem = records.create_problem(title="T", actor=ACTOR, now=now)
    records.update_problem(
        problem, title="T", status=ProblemStatus.RESOLVED, root_cause="", workaround="",
        components=[], actor=ACTOR, now=now,
    )  # fmt: skip
    assert problem.resolved_at == now
