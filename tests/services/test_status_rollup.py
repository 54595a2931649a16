import pytest

from statuspage.enums import ComponentStatus as S
from statuspage.enums import Impact, Indicator
from statuspage.services.page.rollup import overall_status, rollup


@pytest.mark.parametrize(
    "statuses,indicator,description",
    [
        ([], Indicator.NONE, "All Systems Operational"),
        ([S.OPERATIONAL] * 3, Indicator.NONE, "All Systems Operational"),
        ([S.MAJOR_OUTAGE], Indicator.CRITICAL, "Major System Outage"),
        ([S.MAJOR_OUTAGE] * 2, Indicator.CRITICAL, "Major System Outage"),
        ([S.MAJOR_OUTAGE, S.OPERATIONAL], Indicator.MAJOR, "Partial System Outage"),
        ([S.MAJOR_OUTAGE, S.PARTIAL_OUTAGE], Indicator.MAJOR, "Partial System Outage"),
        ([S.PARTIAL_OUTAGE], Indicator.MAJOR, "Partial System Outage"),
        ([S.PARTIAL_OUTAGE, S.PARTIAL_OUTAGE], Indicator.MAJOR, "Partial System Outage"),
        ([S.PARTIAL_OUTAGE, S.OPERATIONAL], Indicator.MINOR, "Minor Service Outage"),
        ([S.PARTIAL_OUTAGE, S.DEGRADED_PERFORMANCE], Indicator.MINOR, "Minor Service Outage"),
        ([S.DEGRADED_PERFORMANCE], Indicator.MINOR, "Partially Degraded Service"),
        ([S.DEGRADED_PERFORMANCE] * 2, Indicator.MINOR, "Degraded System Service"),
        ([S.DEGRADED_PERFORMANCE, S.OPERATIONAL], Indicator.MINOR, "Partially Degraded Service"),
        (
            [S.DEGRADED_PERFORMANCE, S.UNDER_MAINTENANCE],
            Indicator.MINOR,
            "Partially Degraded Service",
        ),
        ([S.UNDER_MAINTENANCE], Indicator.MAINTENANCE, "Service Under Maintenance"),
        ([S.UNDER_MAINTENANCE, S.OPERATIONAL], Indicator.MAINTENANCE, "Service Under Maintenance"),
    ],
)
def test_rollup_follows_statuspage(statuses, indicator, description):
    assert rollup(statuses) == (indicator, description)


@pytest.mark.parametrize(
    "impacts,indicator,description",
    [
        ([Impact.NONE], Indicator.MINOR, "Partially Degraded Service"),
        ([Impact.MINOR], Indicator.MINOR, "Partially Degraded Service"),
        ([Impact.MAJOR], Indicator.MAJOR, "Partial System Outage"),
        ([Impact.CRITICAL, Impact.MINOR], Indicator.CRITICAL, "Major System Outage"),
    ],
)
def test_an_open_incident_never_leaves_all_systems_operational(impacts, indicator, description):
    assert overall_status([S.OPERATIONAL, S.OPERATIONAL], impacts) == (indicator, description)
    assert overall_status([S.UNDER_MAINTENANCE], impacts).indicator is indicator


def test_components_worse_than_the_incident_impact_keep_their_description():
    result = overall_status([S.MAJOR_OUTAGE], [Impact.MINOR])
    assert result == (Indicator.CRITICAL, "Major System Outage")
