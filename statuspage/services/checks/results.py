"""What checks measured: response-time series for the charts, latency histograms for
/metrics, and the daily prune that keeps `CHECK_RESULT_DAYS` days of results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.database import count_rows
from statuspage.extensions import db
from statuspage.limits import CHECK_RESULT_DAYS
from statuspage.models import Check, CheckLatencyHistogram, CheckResult, Component
from statuspage.services.unit import SCHEDULER, unit_of_work

#: Upper bounds, in seconds, of the latency histogram's buckets (Prometheus's defaults).
LATENCY_BUCKETS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
#: The charts' window and how many points it is cut into.
CHART_HOURS = 24
CHART_POINTS = 48


@dataclass(frozen=True)
class LatencyHistogram:
    """One check's cumulative latency histogram, as Prometheus reads one: `buckets` are
    (upper bound in seconds, how many latencies were at most that), the last bound `math.inf`
    (its count equals `count`); `sum_seconds` is the sum of every latency."""

    check_id: str
    check_name: str
    component_id: str
    component_name: str
    buckets: tuple[tuple[float, int], ...]
    count: int
    sum_seconds: float


@dataclass(frozen=True)
class ResponseTimeSeries:
    """One line of a response-time chart: the mean latency (ms) of each point's successful
    results, None where there were none."""

    name: str
    values: list[float | None]


@dataclass(frozen=True)
class ResponseTimeChart:
    """Points `starts[i]` to `starts[i] + step`, one series per line."""

    starts: list[datetime]
    step: timedelta
    series: list[ResponseTimeSeries]

    @property
    def has_data(self) -> bool:
        return any(v is not None for s in self.series for v in s.values)


def observe_latency(check_id: str, seconds: float) -> None:
    """Count one latency in the check's histogram (inside the caller's unit of work)."""
    row = db.session.get(CheckLatencyHistogram, check_id)
    if row is None:
        row = CheckLatencyHistogram(
            check_id=check_id, bucket_counts=[0] * (len(LATENCY_BUCKETS) + 1), count=0
        )
        row.sum_seconds = 0.0
        db.session.add(row)
    counts = list(row.bucket_counts or [0] * (len(LATENCY_BUCKETS) + 1))
    index = next((i for i, bound in enumerate(LATENCY_BUCKETS) if seconds <= bound), -1)
    counts[index] += 1
    row.bucket_counts = counts  # a new list: the JSON column sees the change
    row.count += 1
    row.sum_seconds += seconds


def latency_histograms() -> list[LatencyHistogram]:
    """Every check's histogram, with its component, for `statuspage_check_latency_seconds`."""
    rows = db.session.execute(
        sa.select(CheckLatencyHistogram, Check.name, Component.id, Component.name)
        .join(Check, Check.id == CheckLatencyHistogram.check_id)
        .join(Component, Component.id == Check.component_id)
        .order_by(Component.name, Check.name, Check.id)
    ).all()
    histograms = []
    for row, check_name, component_id, component_name in rows:
        counts = list(row.bucket_counts or [])
        counts += [0] * (len(LATENCY_BUCKETS) + 1 - len(counts))
        cumulative, total = [], 0
        for bound, count in zip((*LATENCY_BUCKETS, math.inf), counts, strict=True):
            total += count
            cumulative.append((bound, total))
        histograms.append(
            LatencyHistogram(
                check_id=row.check_id,
                check_name=check_name,
                component_id=component_id,
                component_name=component_name,
                buckets=tuple(cumulative),
                count=row.count,
                sum_seconds=row.sum_seconds,
            )
        )
    return histograms


def recent_results(check: Check, *, limit: int = 20) -> list[CheckResult]:
    """A check's latest results, newest first (its admin page)."""
    return list(
        db.session.scalars(
            sa.select(CheckResult)
            .where(CheckResult.check_id == check.id)
            .order_by(CheckResult.at.desc(), CheckResult.id.desc())
            .limit(limit)
        )
    )


def _points(now: datetime) -> tuple[datetime, timedelta, list[datetime]]:
    step = timedelta(hours=CHART_HOURS) / CHART_POINTS
    since = now - timedelta(hours=CHART_HOURS)
    return since, step, [since + step * i for i in range(CHART_POINTS)]


def _means(
    rows: Sequence[tuple[str, datetime, float]], since: datetime, step: timedelta
) -> dict[str, list[float | None]]:
    """Mean latency per key and point, from (key, at, latency) rows."""
    sums: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    for key, at, latency in rows:
        index = min(CHART_POINTS - 1, max(0, int((at - since) / step)))
        sums.setdefault(key, [0.0] * CHART_POINTS)[index] += latency
        counts.setdefault(key, [0] * CHART_POINTS)[index] += 1
    return {
        key: [s / c if c else None for s, c in zip(sums[key], counts[key], strict=True)]
        for key in sums
    }


def _ok_latencies(
    check_ids: list[str], since: datetime, now: datetime
) -> list[tuple[str, datetime, float]]:
    rows = db.session.execute(
        sa.select(CheckResult.check_id, CheckResult.at, CheckResult.latency_ms).where(
            CheckResult.check_id.in_(check_ids),
            CheckResult.at >= since,
            CheckResult.at <= now,
            CheckResult.ok.is_(True),
            CheckResult.latency_ms.is_not(None),
        )
    ).all()
    return [(check_id, at, latency) for check_id, at, latency in rows if latency is not None]


def build_check_chart(checks: Sequence[Check], *, now: datetime) -> ResponseTimeChart:
    """The last day of *checks*' response times, one line per check (staff only: it names
    them)."""
    since, step, starts = _points(now)
    means = _means(_ok_latencies([c.id for c in checks], since, now), since, step)
    empty: list[float | None] = [None] * CHART_POINTS
    return ResponseTimeChart(
        starts, step, [ResponseTimeSeries(c.name, means.get(c.id, empty)) for c in checks]
    )


def build_public_charts(
    components: Sequence[Component], *, now: datetime
) -> list[tuple[Component, ResponseTimeChart]]:
    """For each of *components* (already the ones its reader may see) that opted in, the last
    day of response times: the mean over its checks, named after the component alone, so no
    check's name or target is in it."""
    shown = [c for c in components if c.show_response_times]
    if not shown:
        return []
    owners: dict[str, str] = {
        check_id: component_id
        for check_id, component_id in db.session.execute(
            sa.select(Check.id, Check.component_id).where(
                Check.component_id.in_([c.id for c in shown])
            )
        )
    }
    since, step, starts = _points(now)
    rows = [
        (owners[check_id], at, latency)
        for check_id, at, latency in _ok_latencies(list(owners), since, now)
    ]
    means = _means(rows, since, step)
    return [
        (c, ResponseTimeChart(starts, step, [ResponseTimeSeries(c.name, means[c.id])]))
        for c in shown
        if c.id in means
    ]


def prune_check_results(*, now: datetime) -> int:
    """Delete results older than `CHECK_RESULT_DAYS` days (the histograms keep their counts)."""
    cutoff = now - timedelta(days=CHECK_RESULT_DAYS)
    with unit_of_work("prune_check_results", actor=SCHEDULER, now=now):
        return count_rows(db.session.execute(sa.delete(CheckResult).where(CheckResult.at < cutoff)))
