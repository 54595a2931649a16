"""The page clock is a function of the minute: each boundary it knows falls on one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from statuspage.services.page_clock import ClockFacts, make_page_clock

LIVE = ClockFacts("Europe/Paris", live=True, uptime_minutes=15)


def test_instants_of_one_minute_share_a_clock_and_the_next_boundary_moves_it():
    just_before = make_page_clock(datetime(2026, 11, 12, 12, 14, 59, 999_999, tzinfo=UTC), LIVE)
    assert just_before == make_page_clock(datetime(2026, 11, 12, 12, 0, 0, 1, tzinfo=UTC), LIVE)
    assert just_before.counted_to == datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
    at = make_page_clock(datetime(2026, 11, 12, 12, 15, tzinfo=UTC), LIVE)
    assert at.counted_to == datetime(2026, 11, 12, 12, 15, tzinfo=UTC)
    assert at.chart_end == datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


def test_the_local_day_turns_at_local_midnight_to_the_second():
    paris_midnight = datetime(2026, 11, 12, 23, 0, tzinfo=UTC)  # 00:00 CET on the 13th
    before = make_page_clock(paris_midnight - timedelta(microseconds=1), LIVE)
    after = make_page_clock(paris_midnight, LIVE)
    assert (before.day, after.day) == (date(2026, 11, 12), date(2026, 11, 13))
    assert after.counted_to == after.day_start == paris_midnight
    quiet = ClockFacts("Europe/Paris", live=False, uptime_minutes=15)
    assert make_page_clock(paris_midnight + timedelta(hours=5), quiet).counted_to == paris_midnight
