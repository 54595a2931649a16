"""The Prometheus families of `/metrics`, read from the database at each scrape.

Every web worker answers a scrape with the same numbers, because nothing is counted in a
worker's memory: statuses, open incidents, the outbox and the heartbeats are rows, and the
counters (failed deliveries) are rows that are never deleted. A scrape costs a fixed number of
queries, whatever the number of components.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from statuspage.database import utcnow
from statuspage.enums import (
    AlertState,
    Audience,
    ComponentStatus,
    DeliveryKind,
    DeliveryState,
    Impact,
    Priority,
)
from statuspage.extensions import db
from statuspage.models import (
    Alert,
    Component,
    ComponentGroup,
    Delivery,
    Incident,
    SchedulerHeartbeat,
)
from statuspage.services.automation.integrations import integration_event_counts
from statuspage.services.checks.results import latency_histograms

#: The deliveries still to go out: claimed or waiting for their (next) attempt.
QUEUED = (DeliveryState.PENDING, DeliveryState.SENDING)
NO_PRIORITY = "none"


def collect_component_families(now: datetime) -> Iterator[Metric]:
    """Each live component's status per audience, one-hot, and its severity (0 operational)."""
    status = GaugeMetricFamily(
        "statuspage_component_status",
        "1 for the status a component is in for an audience, 0 for the others.",
        labels=["component_id", "component", "group", "audience", "status"],
    )
    severity = GaugeMetricFamily(
        "statuspage_component_severity",
        "A component's status as a number: 0 operational, 1 under maintenance, 2 degraded "
        "performance, 3 partial outage, 4 major outage.",
        labels=["component_id", "component", "group", "audience"],
    )
    rows = db.session.execute(
        sa.select(
            Component.id,
            Component.name,
            ComponentGroup.name,
            Component.status,
            Component.internal_status,
        )
        .outerjoin(ComponentGroup, Component.group_id == ComponentGroup.id)
        .where(Component.archived_at.is_(None))
        .order_by(Component.id)
    )
    for component_id, name, group, public_status, internal_status in rows:
        by_audience: dict[Audience, ComponentStatus] = {
            Audience.PUBLIC: public_status,
            Audience.INTERNAL: internal_status,
        }
        for audience, current in by_audience.items():
            labels: list[str] = [component_id, name, group or "", audience.value]
            for each in ComponentStatus:
                status.add_metric([*labels, each.value], 1.0 if each is current else 0.0)
            severity.add_metric(labels, float(current.severity))
    yield status
    yield severity


def collect_incident_families(now: datetime) -> Iterator[Metric]:
    """Unresolved incidents (public and internal) by impact and the priority in force."""
    family = GaugeMetricFamily(
        "statuspage_open_incidents",
        "Incidents not yet resolved, by impact and priority (none: not prioritised yet).",
        labels=["impact", "priority"],
    )
    priority = sa.func.coalesce(Incident.priority_override, Incident.computed_priority)
    counts = {
        (impact, level): count
        for impact, level, count in db.session.execute(
            sa.select(Incident.impact, priority, sa.func.count())
            .where(Incident.resolved_at.is_(None))
            .group_by(Incident.impact, priority)
        )
    }
    for impact in Impact:
        for level in [*Priority, None]:
            family.add_metric(
                [impact.value, level.value if level else NO_PRIORITY],
                float(counts.get((impact, level), 0)),
            )
    yield family


def collect_outbox_families(now: datetime) -> Iterator[Metric]:
    """The outbox: what waits to go out, what failed for good, and how old the oldest wait is."""
    depth = GaugeMetricFamily(
        "statuspage_outbox_depth",
        "Deliveries waiting to go out (pending or being sent), by kind.",
        labels=["kind"],
    )
    failures = GaugeMetricFamily(
        "statuspage_outbox_failed_deliveries",
        "Deliveries that failed for good (no retry left; an admin may requeue them), by kind.",
        labels=["kind"],
    )
    oldest = GaugeMetricFamily(
        "statuspage_outbox_oldest_pending_age_seconds",
        "How long the oldest delivery still waiting has been queued (0 when none waits).",
    )
    queued: dict[DeliveryKind, int] = {}
    failed: dict[DeliveryKind, int] = {}
    for kind, state, count in db.session.execute(
        sa.select(Delivery.kind, Delivery.state, sa.func.count())
        .where(Delivery.state.in_([*QUEUED, DeliveryState.FAILED]))
        .group_by(Delivery.kind, Delivery.state)
    ):
        into = failed if state is DeliveryState.FAILED else queued
        into[kind] = into.get(kind, 0) + count
    for kind in DeliveryKind:
        depth.add_metric([kind.value], float(queued.get(kind, 0)))
        failures.add_metric([kind.value], float(failed.get(kind, 0)))
    first = db.session.scalar(
        sa.select(sa.func.min(Delivery.created_at)).where(Delivery.state.in_(QUEUED))
    )
    oldest.add_metric([], max((now - first).total_seconds(), 0.0) if first else 0.0)
    yield from (depth, failures, oldest)


def collect_scheduler_families(now: datetime) -> Iterator[Metric]:
    """Seconds since each scheduler process last beat: an alert fires when it grows."""
    family = GaugeMetricFamily(
        "statuspage_scheduler_heartbeat_age_seconds",
        "Seconds since the named scheduler process last recorded its heartbeat.",
        labels=["scheduler", "host"],
    )
    for name, host, seen_at in db.session.execute(
        sa.select(SchedulerHeartbeat.name, SchedulerHeartbeat.host, SchedulerHeartbeat.seen_at)
    ):
        family.add_metric([name, host], max((now - seen_at).total_seconds(), 0.0))
    yield family


def collect_alert_families(now: datetime) -> Iterator[Metric]:
    """Alerts firing now, by the source that raised them (an integration or a check)."""
    family = GaugeMetricFamily(
        "statuspage_alerts_firing",
        "Alerts firing now, by source (integration:<id> or check:<id>) and its name.",
        labels=["source", "source_name"],
    )
    for source, label, count in db.session.execute(
        sa.select(Alert.source, sa.func.max(Alert.source_label), sa.func.count())
        .where(Alert.state == AlertState.FIRING)
        .group_by(Alert.source)
        .order_by(Alert.source)
    ):
        family.add_metric([source, label], float(count))
    yield family


def collect_check_families(now: datetime) -> Iterator[Metric]:
    """Each built-in check's response times, as a cumulative histogram kept since it was made."""
    family = HistogramMetricFamily(
        "statuspage_check_latency_seconds",
        "Response times of each built-in check's probes, in seconds.",
        labels=["check_id", "check", "component_id", "component"],
    )
    for histogram in latency_histograms():
        family.add_metric(
            [
                histogram.check_id,
                histogram.check_name,
                histogram.component_id,
                histogram.component_name,
            ],
            buckets=[(floatToGoString(bound), count) for bound, count in histogram.buckets],
            sum_value=histogram.sum_seconds,
        )
    yield family


def collect_integration_families(now: datetime) -> Iterator[Metric]:
    """What each integration's webhooks brought, by outcome, since it was made."""
    family = CounterMetricFamily(
        "statuspage_integration_events",
        "Alerts received per integration and outcome (firing, resolved, duplicate, unmatched, "
        "rejected); counters outlive a deleted integration.",
        labels=["integration_id", "integration", "kind", "outcome"],
    )
    for events in integration_event_counts():
        family.add_metric(
            [events.integration_id, events.integration, events.kind, events.outcome],
            float(events.count),
        )
    yield family


#: Every family `/metrics` shows, in the order it shows them.
FAMILIES: tuple[Callable[[datetime], Iterable[Metric]], ...] = (
    collect_component_families,
    collect_incident_families,
    collect_outbox_families,
    collect_scheduler_families,
    collect_alert_families,
    collect_check_families,
    collect_integration_families,
)


class DatabaseCollector(Collector):
    """A prometheus-client collector over the families above, read afresh at each scrape."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now or utcnow()
        for family in FAMILIES:
            yield from family(now)


def render_metrics(now: datetime | None = None) -> bytes:
    """The text exposition format of every family, as of *now*."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(now))
    return generate_latest(registry)
