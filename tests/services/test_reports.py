"""The reports on a crafted March 2026, every figure checked by hand to the second."""

from datetime import UTC, date, datetime, timedelta

import pytest

from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Priority,
    ProblemStatus,
    SlaTarget,
    Urgency,
    Visibility,
)
from statuspage.services.errors import InvalidInput
from statuspage.services.notices import incidents as service
from statuspage.services.page.history import Month
from statuspage.services.problems import records as problems
from statuspage.services.reports.incidents import (
    Attainment,
    Granularity,
    ReportQuery,
    Stats,
    build_incident_report,
    read_report_query,
    summarise,
)
from statuspage.services.reports.uptime import build_monthly_uptime, months_between
from statuspage.services.response import roles
from tests.conftest import ACTOR

S = ComponentStatus
A = Attainment
T = SlaTarget
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
T1 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
MARCH = ReportQuery(date(2026, 3, 2), date(2026, 3, 31))


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def march(app, make_component, make_user):
    """Three incidents in March and one in February:

    A, P1 on api: started 10:00, opened (first public update) 10:02, acknowledged 10:03,
      updated 10:10, resolved 11:00 — api in major outage 10:02-11:00 (58 min).
    B, P2 on api and web: opened 4 Mar 12:00, acknowledged 12:20 (late), resolved 21:00 (late)
      — both in partial outage for 540 min.
    C, P3, internal, on web: opened 16 Mar 08:00, acknowledged 08:30, still open.
    """
    api, web = make_component(name="API"), make_component(name="Web")
    user = make_user()
    a = service.open_incident(
        name="A",
        body="Investigating.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        components={api: S.MAJOR_OUTAGE},
        started_at=T0,
        actor=ACTOR,
        now=T0 + minutes(2),
    )
    roles.acknowledge_incident(a, user=user, actor=ACTOR, now=T0 + minutes(3))
    service.post_update(
        a, status=IncidentStatus.IDENTIFIED, body="Found.", actor=ACTOR, now=T0 + minutes(10)
    )
    service.resolve_incident(a, body="Fixed.", actor=ACTOR, now=T0 + minutes(60))
    b = service.open_incident(
        name="B",
        body="Slow.",
        impact=Impact.MAJOR,
        urgency=Urgency.MEDIUM,
        components={api: S.PARTIAL_OUTAGE, web: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=T1,
    )
    roles.acknowledge_incident(b, user=user, actor=ACTOR, now=T1 + minutes(20))
    service.resolve_incident(b, body="Fixed.", actor=ACTOR, now=T1 + minutes(540))
    c = service.open_incident(
        name="C",
        body="Internal only.",
        impact=Impact.MINOR,
        components={web: S.DEGRADED_PERFORMANCE},
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=T2,
    )
    roles.acknowledge_incident(c, user=user, actor=ACTOR, now=T2 + minutes(30))
    february = service.open_incident(
        name="February",
        body="Earlier.",
        impact=Impact.CRITICAL,
        actor=ACTOR,
        now=T0 - minutes(60 * 24 * 10),
    )
    assert (a.priority, b.priority, c.priority) == (Priority.P1, Priority.P2, Priority.P3)
    return {"api": api, "web": web, "a": a, "b": b, "c": c, "february": february}


@pytest.fixture
def recurring(march):
    """Two problems: "Disk full" behind A, C and February's incident; "DNS" behind B."""
    disk = problems.create_problem(title="Disk full", actor=ACTOR, now=NOW)
    dns = problems.create_problem(
        title="DNS", status=ProblemStatus.KNOWN_ERROR, actor=ACTOR, now=NOW
    )
    for incident in (march["a"], march["c"], march["february"]):
        problems.link_incident(disk, incident.id, actor=ACTOR, now=NOW)
    problems.link_incident(dns, march["b"].id, actor=ACTOR, now=NOW)
    return march | {"disk": disk, "dns": dns}


def test_recurring_problems_count_the_periods_incidents(recurring):
    rows = build_incident_report(MARCH, now=NOW).recurring_problems
    # February's incident is outside the period: Disk full has A (2 Mar) and C (16 Mar).
    assert [(r.title, r.status, r.incidents) for r in rows] == [
        ("Disk full", ProblemStatus.INVESTIGATING, 2),
        ("DNS", ProblemStatus.KNOWN_ERROR, 1),
    ]
    assert (rows[0].first_started_at, rows[0].last_started_at) == (T0, T2)
    assert (rows[1].first_started_at, rows[1].last_started_at) == (T1, T1)
    assert build_incident_report(MARCH, now=NOW).as_json()["recurring_problems"][0] == {
        "id": recurring["disk"].id,
        "title": "Disk full",
        "status": "investigating",
        "incidents": 2,
        "first_started_at": "2026-03-02T10:00:00Z",
        "last_started_at": "2026-03-16T08:00:00Z",
    }
    with_february = ReportQuery(date(2026, 2, 1), date(2026, 3, 31))
    disk = build_incident_report(with_february, now=NOW).recurring_problems[0]
    assert (disk.incidents, disk.first_started_at) == (3, T0 - minutes(60 * 24 * 10))


def test_recurring_problems_follow_the_filters_and_break_ties_by_the_latest(recurring):
    # On web: B (DNS, 4 Mar) and C (Disk full, 16 Mar), one each: the latest incident first.
    web = ReportQuery(MARCH.first_day, MARCH.last_day, (recurring["web"].id,))
    rows = build_incident_report(web, now=NOW).recurring_problems
    assert [(r.title, r.incidents) for r in rows] == [("Disk full", 1), ("DNS", 1)]
    assert rows[0].first_started_at == rows[0].last_started_at == T2
    p2 = ReportQuery(MARCH.first_day, MARCH.last_day, priority=Priority.P2)
    assert [r.title for r in build_incident_report(p2, now=NOW).recurring_problems] == ["DNS"]
    quiet = ReportQuery(date(2026, 3, 20), date(2026, 3, 31))
    assert build_incident_report(quiet, now=NOW).recurring_problems == []


def test_summaries_are_mean_median_and_nearest_rank_p90():
    assert summarise([]) == Stats(0)
    assert summarise([180, 1200, 1800]) == Stats(3, 1060, 1200, 1800)
    assert summarise([1, 2]) == Stats(2, 2, 2, 2)  # 1.5 rounds half up; p90 is the 2nd value
    values = list(range(1, 11))  # p90 of 1..10 is the 9th value; of 1..11 the 10th
    assert summarise(values).p90 == 9 and summarise([*values, 11]).p90 == 10
    assert summarise([10, 20, 30, 40]).median == 25


def test_response_times_to_the_second(march):
    report = build_incident_report(MARCH, now=NOW)
    assert report.count == 3  # February's incident is outside the period
    assert report.acknowledge == Stats(3, mean=1060, median=1200, p90=1800)
    assert report.resolve == Stats(2, mean=18000, median=18000, p90=32400)
    # A's first public update 2 min after its start, B's at its start; C is internal.
    assert report.first_update == Stats(2, mean=60, median=60, p90=120)


def test_mean_time_between_incidents_per_component(march):
    rows = {row.component.name: row for row in build_incident_report(MARCH, now=NOW).components}
    assert rows["API"].count == 2 and rows["Web"].count == 2
    # API: 2 Mar 10:00 → 4 Mar 12:00 is 50 h; Web: 4 Mar 12:00 → 16 Mar 08:00 is 284 h.
    assert rows["API"].between == Stats(1, 180_000, 180_000, 180_000)
    assert rows["Web"].between == Stats(1, 1_022_400, 1_022_400, 1_022_400)


def test_sla_attainment_per_target_and_priority(march):
    sla = build_incident_report(MARCH, now=NOW).sla
    # A (P1): acknowledged in 3 of 5 min, first update in 2 of 15, resolved in 60 of 240; but
    # its last update before the resolution (10:10) was 50 min old at 11:00 (every 30): late.
    assert sla[T.ACKNOWLEDGE][Priority.P1][A.MET] == 1
    assert sla[T.FIRST_UPDATE][Priority.P1][A.MET] == 1
    assert sla[T.UPDATE_CADENCE][Priority.P1][A.BREACHED] == 1
    assert sla[T.RESOLVE][Priority.P1][A.MET] == 1
    # B (P2): acknowledged after 20 of 15 min, resolved after 9 of 8 h, first update at once.
    assert sla[T.ACKNOWLEDGE][Priority.P2][A.BREACHED] == 1
    assert sla[T.FIRST_UPDATE][Priority.P2][A.MET] == 1
    assert sla[T.RESOLVE][Priority.P2][A.BREACHED] == 1
    # C (P3, internal): acknowledged in 30 of 60 min; public targets do not apply; still open
    # long after its 24 h resolve target.
    assert sla[T.ACKNOWLEDGE][Priority.P3][A.MET] == 1
    assert sla[T.FIRST_UPDATE][Priority.P3][A.NOT_APPLICABLE] == 1
    assert sla[T.UPDATE_CADENCE][Priority.P3][A.NOT_APPLICABLE] == 1
    assert sla[T.RESOLVE][Priority.P3][A.BREACHED] == 1
    assert sum(sla[T.RESOLVE][Priority.P4].values()) == 0
    # Before C's resolve target came, its clock was still open.
    early = build_incident_report(MARCH, now=T2 + minutes(60)).sla
    assert early[T.RESOLVE][Priority.P3][A.OPEN] == 1


def test_counts_by_priority_component_and_week(march):
    report = build_incident_report(MARCH, now=NOW)
    api, web = march["api"].id, march["web"].id
    assert report.by_priority == {Priority.P1: 1, Priority.P2: 1, Priority.P3: 1, Priority.P4: 0}
    weeks = [(b.first_day, b.total) for b in report.buckets]
    assert weeks == [
        (date(2026, 3, 2), 2),
        (date(2026, 3, 9), 0),
        (date(2026, 3, 16), 1),
        (date(2026, 3, 23), 0),
        (date(2026, 3, 30), 0),
    ]
    assert report.buckets[0].by_priority[Priority.P2] == 1
    assert report.buckets[0].by_component == {api: 2, web: 1}
    assert report.buckets[2].by_component == {web: 1}
    months = build_incident_report(
        ReportQuery(date(2026, 2, 1), date(2026, 3, 31), granularity=Granularity.MONTH), now=NOW
    ).buckets
    assert [(b.label, b.total) for b in months] == [("February 2026", 1), ("March 2026", 3)]


def test_narrowing_to_a_component_or_a_priority(march):
    web_only = ReportQuery(MARCH.first_day, MARCH.last_day, (march["web"].id,))
    report = build_incident_report(web_only, now=NOW)
    assert report.count == 2 and [r.component.name for r in report.components] == ["Web"]
    assert report.acknowledge == Stats(2, mean=1500, median=1500, p90=1800)
    p1 = ReportQuery(MARCH.first_day, MARCH.last_day, priority=Priority.P1)
    report = build_incident_report(p1, now=NOW)
    assert report.count == 1 and report.resolve == Stats(1, 3600, 3600, 3600)
    empty = build_incident_report(
        ReportQuery(date(2026, 3, 20), date(2026, 3, 31)), now=NOW
    ).as_json()
    assert empty["count"] == 0
    assert empty["mtta_seconds"] == {"mean": None, "median": None, "p90": None, "count": 0}


def test_uptime_and_downtime_minutes_for_the_month(march):
    report = build_monthly_uptime(Audience.PUBLIC, [Month(2026, 3)], now=NOW)
    figures = {row.component.name: row.months[0] for row in report.rows}
    api, web = figures["API"], figures["Web"]
    # api: 58 min major + 540 min partial weighted 0.3 = 220 min down of 31 x 1440 minutes.
    assert (api.major_seconds, api.partial_seconds) == (58 * 60, 540 * 60)
    assert api.downtime_seconds == pytest.approx(220 * 60)
    assert api.period_seconds == 31 * 86_400
    assert api.percent == pytest.approx(100 * (1 - 220 / 44_640))
    assert api.percent_text == "99.50 %"
    # web: 540 min partial = 162 min down; C's degradation is internal, and not downtime.
    assert web.downtime_seconds == pytest.approx(162 * 60)
    assert web.percent == pytest.approx(100 * (1 - 162 / 44_640))


def test_a_month_still_running_counts_to_now_and_a_future_one_has_no_data(march):
    months = [Month(2026, 3), Month(2026, 4)]
    mid_march = T1 + minutes(540)  # B resolved: 4 Mar 21:00
    report = build_monthly_uptime(Audience.PUBLIC, months, now=mid_march)
    march_api, april_api = report.rows[0].months
    elapsed = (mid_march - datetime(2026, 3, 1, tzinfo=UTC)).total_seconds()
    assert march_api.period_seconds == elapsed
    assert march_api.percent == pytest.approx(100 * (1 - 220 * 60 / elapsed))
    assert april_api.percent is None and april_api.percent_text == "No data"
    assert months_between(date(2025, 12, 30), date(2026, 2, 1)) == [
        Month(2025, 12),
        Month(2026, 1),
        Month(2026, 2),
    ]


def test_the_open_interval_is_counted_up_to_now(app, make_component):
    api = make_component(name="API")
    service.open_incident(
        name="Down", body="Down.", components={api: S.MAJOR_OUTAGE}, actor=ACTOR, now=T0
    )
    report = build_monthly_uptime(Audience.PUBLIC, [Month(2026, 3)], now=T0 + minutes(90))
    assert report.rows[0].months[0].major_seconds == 90 * 60


def test_bad_queries_name_their_field(app, make_component):
    today = date(2026, 3, 31)
    assert read_report_query(None, None, today=today) == ReportQuery(
        date(2026, 3, 2), date(2026, 3, 31)
    )
    for args, field in [
        (("2026-3-01", None), "from"),
        (("2026-03-31", "2026-03-01"), "from"),
        (("2020-01-01", "2026-01-01"), "from"),
        ((None, "２０２６-03-01"), "to"),
    ]:
        with pytest.raises(InvalidInput) as error:
            read_report_query(*args, today=today)
        assert error.value.field == field
    with pytest.raises(InvalidInput) as error:
        read_report_query(None, None, priority="P9", today=today)
    assert error.value.field == "priority"
    with pytest.raises(InvalidInput) as error:
        read_report_query(None, None, component_ids=["aaaaaaaaaaaa"], today=today)
    assert error.value.field == "component"


def test_the_report_reads_a_fixed_number_of_queries(app, make_component, count_queries):
    api = make_component()

    def make(count: int, start: datetime) -> None:
        for n in range(count):
            problem = problems.create_problem(title=f"P{start:%d}{n}", actor=ACTOR, now=NOW)
            incident = service.open_incident(
                name=f"I{n}",
                body="x",
                components={api: S.MAJOR_OUTAGE},
                actor=ACTOR,
                now=start + timedelta(hours=n),
            )
            service.resolve_incident(
                incident, body="ok", actor=ACTOR, now=start + minutes(n * 60 + 30)
            )
            problems.link_incident(problem, incident.id, actor=ACTOR, now=NOW)

    def queries() -> int:
        from statuspage.extensions import db

        db.session.expire_all()
        with count_queries() as statements:
            build_incident_report(MARCH, now=NOW)
            build_monthly_uptime(Audience.INTERNAL, [Month(2026, 3)], now=NOW)
        return len(statements)

    make(2, T0)
    few = queries()
    make(10, T1)
    assert queries() == few
    assert len(build_incident_report(MARCH, now=NOW).recurring_problems) == 10
