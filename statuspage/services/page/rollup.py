"""The banner: Statuspage's roll-up of leaf component statuses, raised by open incidents.

The roll-up ignores groups. Then one rule of ours: an open incident the reader can see always
raises the banner to at least the level its impact calls for (none or minor impact -> minor
"Partially Degraded Service", major -> major "Partial System Outage", critical -> critical
"Major System Outage"). The more severe of the two wins, so "All Systems Operational" is never
shown while an incident is open, even when every component is operational.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from statuspage.enums import ComponentStatus, Impact, Indicator

ALL_OPERATIONAL = "All Systems Operational"


class Overall(NamedTuple):
    indicator: Indicator
    description: str

    @property
    def css(self) -> str:
        return f"indicator-{self.indicator.value}"


def rollup(statuses: Sequence[ComponentStatus]) -> Overall:
    """Statuspage's blend of leaf component statuses into one indicator and description."""
    total = len(statuses)
    count = {status: 0 for status in ComponentStatus}
    for status in statuses:
        count[status] += 1
    if count[ComponentStatus.MAJOR_OUTAGE]:
        if count[ComponentStatus.MAJOR_OUTAGE] == total:
            return Overall(Indicator.CRITICAL, "Major System Outage")
        return Overall(Indicator.MAJOR, "Partial System Outage")
    if count[ComponentStatus.PARTIAL_OUTAGE]:
        if count[ComponentStatus.PARTIAL_OUTAGE] == total:
            return Overall(Indicator.MAJOR, "Partial System Outage")
        return Overall(Indicator.MINOR, "Minor Service Outage")
    if count[ComponentStatus.DEGRADED_PERFORMANCE]:
        if count[ComponentStatus.DEGRADED_PERFORMANCE] == total and total > 1:
            return Overall(Indicator.MINOR, "Degraded System Service")
        return Overall(Indicator.MINOR, "Partially Degraded Service")
    if count[ComponentStatus.UNDER_MAINTENANCE]:
        return Overall(Indicator.MAINTENANCE, "Service Under Maintenance")
    return Overall(Indicator.NONE, ALL_OPERATIONAL)


_IMPACT_FLOOR = {
    Impact.NONE: Overall(Indicator.MINOR, "Partially Degraded Service"),
    Impact.MINOR: Overall(Indicator.MINOR, "Partially Degraded Service"),
    Impact.MAJOR: Overall(Indicator.MAJOR, "Partial System Outage"),
    Impact.CRITICAL: Overall(Indicator.CRITICAL, "Major System Outage"),
}


def overall_status(statuses: Sequence[ComponentStatus], open_impacts: Iterable[Impact]) -> Overall:
    """The banner: the component roll-up, raised by open incidents (see module docstring)."""
    result = rollup(statuses)
    for impact in open_impacts:
        floor = _IMPACT_FLOOR[impact]
        if floor.indicator.severity > result.indicator.severity:
            result = floor
    return result
