"""Uptime on crafted histories, with exact expected percentages and day boundaries."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import ComponentStatus
from statuspage.extensions import db
from statuspage.models import ComponentDay
from statuspage.services.components import tree as component_service
from statuspage.services.components import uptime
from tests.conftest import ACTOR

S = ComponentStatus
NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def set_status(component, status, when):
    component_service.set_component_status(component, status, actor=ACTOR, now=when)


def bars_by_day(result):
    return {bar.day: bar for bar in result.bars}


def test_uptime_weighs_major_fully_and_partial_at_three_tenths(app, make_component):
    api = make_component(start_date=date(2026, 11, 10), now=at("2026-01-01T00:00"))
    set_status(api, S.MAJOR_OUTAGE, at("2026-11-10T10:00"))
    set_status(api, S.OPERATIONAL, at("2026-11-10T10:30"))
    set_status(api, S.PARTIAL_OUTAGE, at("2026-11-11T23:50"))
    set_status(api, S.OPERATIONAL, at("2026-11-12T00:20"))
    set_status(api, S.DEGRADED_PERFORMANCE, at("2026-11-12T11:00"))  # not downtime
    result = uptime.build_uptime([api], now=NOW, days=90)[api.id]
    # period: 10 Nov 00:00 to 12 Nov 12:00 = 3600 minutes; down = 30 + 0.3 * 30 = 39 minutes
    assert result.percent == pytest.approx(100 * (1 - 39 / 3600))
    assert result.percent_text == "98.91 %"
    assert len(result.bars) == 90 and result.bars[-1].day == date(2026, 11, 12)
    days = bars_by_day(result)
    assert days[date(2026, 11, 9)].status is None and days[date(2026, 11, 9)].css == "n"
    assert days[date(2026, 11, 10)].minutes == {S.MAJOR_OUTAGE: 30}
    assert days[date(2026, 11, 10)].status is S.MAJOR_OUTAGE
    assert days[date(2026, 11, 11)].minutes == {S.PARTIAL_OUTAGE: 10}
    assert days[date(2026, 11, 12)].minutes == {S.PARTIAL_OUTAGE: 20, S.DEGRADED_PERFORMANCE: 60}
    assert days[date(2026, 11, 12)].status is S.PARTIAL_OUTAGE  # the worst of the day
    assert days[date(2026, 11, 10)].label == "10 Nov 2026 — major outage 30 min"
    assert days[date(2026, 11, 12)].label == (
        "12 Nov 2026 — degraded performance 1 h, partial outage 20 min"
    )


def test_a_component_without_incidents_is_at_100_percent(app, make_component):
    api = make_component(now=at("2026-01-01T00:00"))
    result = uptime.build_uptime([api], now=NOW, days=90)[api.id]
    assert result.percent == 100.0 and result.percent_text == "100.00 %"
    assert all(bar.status is S.OPERATIONAL for bar in result.bars)
    assert result.bars[0].label.endswith("— no downtime")


def test_an_ongoing_outage_counts_up_to_now(app, make_component):
    api = make_component(start_date=date(2026, 11, 12), now=at("2026-01-01T00:00"))
    set_status(api, S.MAJOR_OUTAGE, at("2026-11-12T06:00"))
    result = uptime.build_uptime([api], now=NOW, days=90)[api.id]
    assert result.percent == pytest.approx(50.0)  # 6 of 12 hours today
    assert result.bars[-1].minutes == {S.MAJOR_OUTAGE: 360}


def test_uptime_is_floored_so_it_never_shows_100_with_downtime(app, make_component):
    api = make_component(now=at("2026-01-01T00:00"))
    set_status(api, S.MAJOR_OUTAGE, at("2026-11-01T00:00"))
    set_status(api, S.OPERATIONAL, at("2026-11-01T00:01"))
    result = uptime.build_uptime([api], now=NOW, days=90)[api.id]
    assert 99.99 < result.percent < 100 and result.percent_text == "99.99 %"


@pytest.mark.config(TIMEZONE="Europe/Berlin")
def test_days_follow_the_page_time_zone_across_a_dst_change(app, make_component):
    api = make_component(now=at("2026-01-01T00:00"))
    # 24 Oct 22:30 UTC is 25 Oct 00:30 CEST; 25 Oct has 25 hours in Berlin (clocks go back)
    set_status(api, S.MAJOR_OUTAGE, at("2026-10-24T22:30"))
    set_status(api, S.OPERATIONAL, at("2026-10-24T23:30"))
    # 25 Oct 22:30 UTC is 25 Oct 23:30 CET: still the 25th, the 25th hour of that day
    set_status(api, S.PARTIAL_OUTAGE, at("2026-10-25T22:30"))
    set_status(api, S.OPERATIONAL, at("2026-10-25T23:30"))
    days = bars_by_day(uptime.build_uptime([api], now=NOW, days=90)[api.id])
    assert days[date(2026, 10, 24)].minutes == {}
    assert days[date(2026, 10, 25)].minutes == {S.MAJOR_OUTAGE: 60, S.PARTIAL_OUTAGE: 30}
    assert days[date(2026, 10, 26)].minutes == {S.PARTIAL_OUTAGE: 30}


@pytest.mark.config(TIMEZONE="America/New_York")
def test_rebuild_gives_the_same_day_rows(app, make_component):
    api = make_component(now=at("2026-01-01T00:00"))
    for hour in range(0, 48, 5):
        status = S.PARTIAL_OUTAGE if hour % 2 else S.OPERATIONAL
        set_status(api, status, at("2026-11-01T00:00") + timedelta(hours=hour, minutes=7))
    rows = lambda: sorted(  # noqa: E731
        (r.day, r.partial_seconds, r.major_seconds)
        for r in db.session.scalars(sa.select(ComponentDay))
    )
    maintained = rows()
    uptime.rebuild_uptime()
    assert rows() == maintained and maintained


def test_group_uptime_is_the_mean_of_its_children(app, make_component):
    a = make_component(start_date=date(2026, 11, 12), now=at("2026-01-01T00:00"))
    b = make_component(start_date=date(2026, 11, 12), now=at("2026-01-01T00:00"))
    set_status(a, S.MAJOR_OUTAGE, at("2026-11-12T00:00"))
    set_status(a, S.OPERATIONAL, at("2026-11-12T06:00"))
    results = uptime.build_uptime([a, b], now=NOW, days=90)
    group = uptime.mean_uptime(results.values())
    assert group.percent == pytest.approx(75.0)  # mean of 50 % and 100 %
    assert group.bars[-1].status is S.MAJOR_OUTAGE


def test_the_bars_are_one_path_segment_per_run_of_days_of_one_class():
    """What the SVG draws: days 0-1 before service, a partial outage on day 3, a quiet day with
    a related notice on day 5, a major outage over days 6-7; everything else operational."""
    S = ComponentStatus
    first = date(2026, 9, 1)
    statuses = [None, None, S.OPERATIONAL, S.PARTIAL_OUTAGE, S.OPERATIONAL, S.OPERATIONAL]
    statuses += [S.MAJOR_OUTAGE, S.MAJOR_OUTAGE] + [S.OPERATIONAL] * 82
    bars = [
        uptime.DayBar(day=first + timedelta(days=i), status=s, related=["Hunt"] if i == 5 else [])
        for i, s in enumerate(statuses)
    ]
    result = uptime.Uptime(bars=bars, percent=99.0)
    assert result.runs == [
        ("n", "M0 .5h2"),
        ("o", "M2 .5h1M4 .5h2M8 .5h82"),
        ("p", "M3 .5h1"),
        ("m", "M6 .5h2"),
    ]
    assert sum(int(seg.split("h")[1]) for _, d in result.runs for seg in d.split("M")[1:]) == 90
    assert [index for index, _ in result.listed_bars] == [3, 5, 6, 7]
    assert result.listed_bars[1][1].label == "6 Sep 2026 — no downtime — related: Hunt"
    assert [bar.day for bar in result.issue_bars] == [first + timedelta(days=d) for d in (3, 6, 7)]


def test_a_days_code_carries_its_label_in_a_few_bytes():
    """What static/js/uptime-bars.js spells out (tests/browser: the same words as `label`)."""
    S = ComponentStatus
    bar = uptime.DayBar(
        day=date(2026, 11, 12),
        status=S.MAJOR_OUTAGE,
        minutes={S.MAJOR_OUTAGE: 132, S.DEGRADED_PERFORMANCE: 114},
        related=["API unavailable", "Slow sign-in"],
    )
    notices = {"Slow sign-in": 0}
    assert bar.code(8, notices) == "8d114m132r1,0"  # the label's order: by severity
    assert notices == {"Slow sign-in": 0, "API unavailable": 1}  # names numbered once a page
    assert bar.label == (
        "12 Nov 2026 — degraded performance 1 h 54 min, major outage 2 h 12 min"
        " — related: API unavailable, Slow sign-in"
    )
    quiet = uptime.DayBar(day=date(2026, 11, 13), status=S.OPERATIONAL, related=["Slow sign-in"])
    assert quiet.code(9, notices) == "9r0"
    assert (
        uptime.DayBar(
            day=date(2026, 11, 14), status=S.MAJOR_OUTAGE, minutes={S.MAJOR_OUTAGE: 0}
        ).code(10, notices)
        == "10m0"
    )
