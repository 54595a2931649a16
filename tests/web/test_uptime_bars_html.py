"""The HTML of a component's bars: what a reader without scripts gets, and the compact codes
the script spells out."""

from __future__ import annotations

from datetime import date, timedelta

from lxml import html

from statuspage.enums import ComponentStatus
from statuspage.services.components.uptime import DayBar, Uptime
from statuspage.templating import uptime_bars

S = ComponentStatus
FIRST = date(2026, 9, 1)


def crafted() -> Uptime:
    """Two days before service, a degraded day, a quiet day with a notice, two outages."""
    statuses: list[ComponentStatus | None] = [None, None, S.DEGRADED_PERFORMANCE, S.OPERATIONAL]
    statuses += [S.MAJOR_OUTAGE, S.PARTIAL_OUTAGE, S.MAJOR_OUTAGE] + [S.OPERATIONAL] * 83
    minutes = {2: {S.DEGRADED_PERFORMANCE: 30}, 4: {S.MAJOR_OUTAGE: 61}}
    minutes |= {5: {S.PARTIAL_OUTAGE: 5}, 6: {S.MAJOR_OUTAGE: 0, S.PARTIAL_OUTAGE: 1440}}
    related = {3: ["<Hunt> & co"], 4: ["Outage"], 6: ["Outage"]}
    return Uptime(
        bars=[
            DayBar(
                day=FIRST + timedelta(days=i),
                status=status,
                minutes=minutes.get(i, {}),
                related=related.get(i, []),
            )
            for i, status in enumerate(statuses)
        ],
        percent=99.5,
    )


def test_without_scripts_every_day_with_issues_is_named_under_its_worst_status():
    notices: dict[str, int] = {}
    fragment = html.fragment_fromstring(str(uptime_bars(crafted(), "API <v2>", notices)))
    (svg,) = fragment.xpath("./svg")
    assert svg.get("aria-label") == "Daily status of API <v2>, oldest first"  # escaped, parsed
    assert [li.text_content() for li in fragment.xpath(".//details//li")] == [
        "1 Sep 2026 – 2 Sep 2026: no data, not in service yet",
        "Major outage: 5 Sep 2026, 7 Sep 2026",
        "Partial outage: 6 Sep 2026",
        "Degraded performance: 3 Sep 2026",
        "No downtime, a related notice: 4 Sep 2026",
    ]
    assert fragment.xpath(".//summary")[0].text == "4 days with issues"
    (details,) = fragment.xpath(".//details")
    assert details.get("data-days") == "2d30;3r0;4m61r1;5p5;6p1440m0r1"
    assert notices == {"<Hunt> & co": 0, "Outage": 1}


def test_a_quiet_component_has_no_list():
    bars = [DayBar(day=FIRST + timedelta(days=i), status=S.OPERATIONAL) for i in range(90)]
    fragment = html.fragment_fromstring(str(uptime_bars(Uptime(bars=bars, percent=100.0), "A", {})))
    assert fragment.xpath(".//details") == []
    assert [(p.get("class"), p.get("d")) for p in fragment.xpath(".//path")] == [("o", "M0 .5h90")]
