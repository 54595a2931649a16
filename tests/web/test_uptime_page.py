"""The public uptime history: twelve months per public component, the same numbers as the
bars of the status page, internal components absent, and its JSON."""

from datetime import UTC, date, datetime, timedelta

from statuspage.enums import Audience, ComponentStatus, Visibility
from statuspage.services.components import tree as component_service
from statuspage.services.components.uptime import build_uptime
from statuspage.services.reports.uptime import build_monthly_uptime, last_months
from tests.conftest import ACTOR

S = ComponentStatus


def set_status(component, status, when):
    component_service.set_component_status(component, status, actor=ACTOR, now=when)


def test_the_page_shows_each_public_component_for_twelve_months(client, make_component):
    start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    api = make_component(name="Public API")
    make_component(name="Secret backend", visibility=Visibility.INTERNAL)
    set_status(api, S.MAJOR_OUTAGE, start + timedelta(minutes=10))
    set_status(api, S.OPERATIONAL, start + timedelta(minutes=40))
    response = client.get("/uptime")
    assert response.status_code == 200
    assert "Public API" in response.text and "Secret backend" not in response.text
    assert response.text.count('class="month-cell') == 12
    assert "30.0 min down" in response.text
    assert response.headers["ETag"] and "public" in response.headers["Cache-Control"]
    data = client.get("/uptime.json").get_json()
    assert len(data["months"]) == 12
    assert [c["name"] for c in data["components"]] == ["Public API"]
    assert data["components"][0]["months"][-1]["major_outage_minutes"] == 30
    assert client.get("/").text.count('href="/uptime"') == 1


def test_the_current_month_matches_the_bars_of_the_status_page(app, make_component):
    now = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
    api = make_component(name="API", start_date=date(2026, 11, 3))
    set_status(api, S.PARTIAL_OUTAGE, datetime(2026, 11, 5, 23, 0, tzinfo=UTC))
    set_status(api, S.OPERATIONAL, datetime(2026, 11, 6, 1, 0, tzinfo=UTC))
    set_status(api, S.MAJOR_OUTAGE, datetime(2026, 11, 12, 11, 0, tzinfo=UTC))  # still open
    month = build_monthly_uptime(Audience.PUBLIC, last_months(now), now=now).rows[0].months[-1]
    # The bars over the days of this month that the component has existed (from 3 Nov).
    bars = build_uptime([api], now=now, days=10)[api.id]
    assert month.percent == bars.percent and month.percent_text == bars.percent_text
    minutes = sum(bar.minutes.get(S.MAJOR_OUTAGE, 0) for bar in bars.bars)
    partial = sum(bar.minutes.get(S.PARTIAL_OUTAGE, 0) for bar in bars.bars)
    assert (
        (month.major_seconds, month.partial_seconds)
        == (minutes * 60, partial * 60)
        == (
            3600,
            7200,
        )
    )
    # Months before the component's start date have no data.
    assert (
        build_monthly_uptime(Audience.PUBLIC, last_months(now), now=now).rows[0].months[0].percent
        is None
    )
