"""Wall-clock times in the page's zone, as people type them, to aware UTC and back."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from statuspage.services.errors import InvalidInput


def local_to_utc(value: datetime, tz: ZoneInfo, *, field: str) -> datetime:
    """A naive local time in *tz* as aware UTC.

    A time that does not exist (skipped when clocks go forward) is refused; one that happens
    twice (when clocks go back) means its first occurrence.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    aware = value.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != value:
        raise InvalidInput(
            f"{value:%d %b %Y %H:%M} does not exist in {tz.key}: the clocks skip it.", field=field
        )
    return utc


def utc_to_local(value: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock time a reader in *tz* sees (for prefilling forms)."""
    return value.astimezone(tz).replace(tzinfo=None)
