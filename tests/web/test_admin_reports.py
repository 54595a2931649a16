"""The reports page: figures, SVG charts with text alternatives, CSV downloads with formula
escaping, bad periods refused by the field, and viewers reading it."""

import csv
import io
from datetime import UTC, datetime, timedelta

from statuspage.enums import ComponentStatus, Impact, Role, Urgency
from statuspage.services.notices import incidents as service
from statuspage.services.problems import records as problems
from statuspage.services.response import roles
from tests.conftest import ACTOR

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MARCH = "from=2026-03-01&to=2026-03-31"


def seed(make_component, make_user):
    api = make_component(name='=HYPERLINK("http://evil")')
    incident = service.open_incident(
        name="A",
        body="Down.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        components={api: ComponentStatus.MAJOR_OUTAGE},
        actor=ACTOR,
        now=T0,
    )
    roles.acknowledge_incident(
        incident, user=make_user(), actor=ACTOR, now=T0 + timedelta(minutes=3)
    )
    service.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=T0 + timedelta(hours=1))
    return api


def seed_problems(make_component, make_user):
    """Seed's incident and a second one (3 Mar 10:00) behind a problem whose title is a
    formula; another problem behind an April incident, outside March."""
    api = seed(make_component, make_user)
    problem = problems.create_problem(title='=cmd|"/c calc"!A1', actor=ACTOR, now=T0)
    later = problems.create_problem(title="Later trouble", actor=ACTOR, now=T0)
    for at, owner in ((T0 + timedelta(days=1), problem), (T0 + timedelta(days=31), later)):
        incident = service.open_incident(
            name="Again",
            body="Down.",
            components={api: ComponentStatus.MAJOR_OUTAGE},
            actor=ACTOR,
            now=at,
        )
        service.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=at + timedelta(hours=1))
        problems.link_incident(owner, incident.id, actor=ACTOR, now=at)
    return api


def test_the_page_shows_figures_charts_and_tables(client, login_as, make_component, make_user):
    seed(make_component, make_user)
    login_as(Role.EDITOR)
    response = client.get(f"/admin/reports?{MARCH}&by=week")
    assert response.status_code == 200
    html = response.text
    assert "Time to acknowledge (MTTA)" in html and "0:03:00" in html and "1:00:00" in html
    assert html.count("<svg") - html.count('<svg class="icon') == 2  # the charts, not icons
    assert '<title id="chart-periods-t">' in html and '<desc id="chart-periods-d">' in html
    assert "Week of 2 Mar 2026: 1" in html  # the text alternative says what the bars show
    assert 'id="table-periods"' in html and 'id="table-uptime"' in html
    assert "<script" not in html.split("<main")[-1].split("</main>")[0]


def test_every_table_downloads_as_csv_with_formulas_escaped(
    client, login_as, make_component, make_user
):
    seed(make_component, make_user)
    login_as(Role.EDITOR)
    for name in ("summary", "sla", "priority", "components", "periods", "problems", "uptime"):
        response = client.get(f"/admin/reports/report.csv?{MARCH}&table={name}")
        assert response.status_code == 200, name
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/admin/reports/report.csv?{MARCH}&table=components").text)
        )
    )
    assert rows[1][0] == '\'=HYPERLINK("http://evil")' and rows[1][1] == "1"
    summary = list(csv.reader(io.StringIO(client.get(f"/admin/reports/report.csv?{MARCH}").text)))
    assert summary[1][:5] == ["Time to acknowledge (MTTA)", "1", "180", "180", "180"]
    assert summary[2][:5] == ["Time to resolve (MTTR)", "1", "3600", "3600", "3600"]
    uptime = list(
        csv.reader(io.StringIO(client.get(f"/admin/reports/report.csv?{MARCH}&table=uptime").text))
    )
    assert uptime[1][1:] == ["2026-03", "99.86 %", "60.0", "0.0", "60.0"]  # 60 of 44,640 min
    assert client.get(f"/admin/reports/report.csv?{MARCH}&table=nope").status_code == 404


def test_bad_periods_are_refused_by_the_field(client, login_as, app):
    login_as(Role.EDITOR)
    response = client.get("/admin/reports?from=2026-03-31&to=2026-03-01")
    assert response.status_code == 422
    assert "From: The period must not end before it starts." in response.text
    assert client.get("/admin/reports?from=31/03/2026").status_code == 422
    assert client.get("/admin/reports?priority=P7").status_code == 422
    assert client.get("/admin/reports/report.csv?to=soon").status_code == 400


def test_viewers_read_reports_but_nothing_else_in_admin(client, login_as, app):
    login_as(Role.VIEWER)
    page = client.get("/admin/reports")
    assert page.status_code == 200
    assert 'href="/admin/incidents"' not in page.text  # the editors' links are not offered
    assert 'class="brand" href="/admin/reports"' in page.text
    assert client.get("/admin/reports/report.csv").status_code == 200
    assert client.get("/admin/incidents").status_code == 403


def test_recurring_problems_table_and_csv(client, login_as, make_component, make_user):
    seed_problems(make_component, make_user)
    login_as(Role.VIEWER)
    html = client.get(f"/admin/reports?{MARCH}").text
    table = html.split('id="table-problems"')[1].split("</table>")[0]
    assert '<th scope="row">=cmd|&#34;/c calc&#34;!A1</th>' in table
    assert "<td>Investigating</td><td>1</td>" in table  # seed's incident is not linked
    assert "2026-03-03 10:00 UTC" in table and "Later trouble" not in table
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/admin/reports/report.csv?{MARCH}&table=problems").text)
        )
    )
    assert rows == [
        ["Problem", "Status", "Incidents", "First incident started", "Last incident started"],
        [
            "'" + '=cmd|"/c calc"!A1',
            "Investigating",
            "1",
            "2026-03-03 10:00 UTC",
            "2026-03-03 10:00 UTC",
        ],
    ]
    spring = client.get("/admin/reports?from=2026-03-01&to=2026-04-30").text
    assert "Later trouble" in spring.split('id="table-problems"')[1]
    quiet = client.get("/admin/reports?from=2026-01-01&to=2026-01-31").text
    assert "No incident of the period is linked to a problem." in quiet
