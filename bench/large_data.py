"""The benchmark "large" data set: about 500 components in groups (one of them internal),
20,000 incidents over two years, a maintenance window most weeks, what is planned next, and
subscribers, written only through the services, as people and the scheduler would write it.

    .venv/bin/python bench/large_data.py --database-url sqlite:////tmp/large.db
    .venv/bin/python bench/large_data.py --database-url postgresql://postgres@127.0.0.1/bench \\
        --force --components 500 --incidents 20000

The database is migrated first (`flask db upgrade`); a database that already has components or
incidents is refused unless --force, which empties it. One reproducible plan is drawn up front
(a seeded random.Random), then replayed in time order. Every write is a service call given its
own `now=`; the calls of one simulated day run inside one outer `unit_of_work`, so a day is one
transaction (a nested unit stamps its rows with its own `now`), which is what makes two years of
history quick to write. `seed_large_data(...)` is the same from Python, inside an app context.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statuspage import create_app, demo  # noqa: E402
from statuspage.enums import (  # noqa: E402
    Cadence,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Visibility,
)
from statuspage.extensions import db  # noqa: E402
from statuspage.models import Component, ComponentGroup, Incident, Maintenance  # noqa: E402
from statuspage.models.subscriber import Subscriber  # noqa: E402
from statuspage.schema import upgrade_schema  # noqa: E402
from statuspage.services.components import tree as component_service  # noqa: E402
from statuspage.services.notices import incidents as incident_service  # noqa: E402
from statuspage.services.notices import maintenance as maintenance_service  # noqa: E402
from statuspage.services.subscribers import signup as subscriber_service  # noqa: E402
from statuspage.services.unit import CLI, SCHEDULER, Actor, unit_of_work  # noqa: E402

S = ComponentStatus
Echo = Callable[[str], None]

TOP_LEVEL = ["Website", "Billing and invoices", "Support portal", "Marketplace", "Community forum"]
REGIONS = [
    "US East (Virginia)",
    "US East (Ohio)",
    "US West (Oregon)",
    "US West (California)",
    "Canada (Montreal)",
    "Brazil (São Paulo)",
    "Mexico (Querétaro)",
    "EU West (Ireland)",
    "EU West (London)",
    "EU West (Paris)",
    "EU Central (Frankfurt)",
    "EU Central (Zurich)",
    "EU North (Stockholm)",
    "EU South (Milan)",
    "Middle East (Bahrain)",
    "Israel (Tel Aviv)",
    "Africa (Cape Town)",
    "Asia Pacific (Mumbai)",
    "Asia Pacific (Singapore)",
    "Asia Pacific (Jakarta)",
    "Asia Pacific (Hong Kong)",
    "Asia Pacific (Tokyo)",
    "Asia Pacific (Seoul)",
    "Asia Pacific (Sydney)",
]
SERVICES = [
    "Compute",
    "Block storage",
    "Object storage",
    "Managed PostgreSQL",
    "Managed MySQL",
    "Managed Redis",
    "Kubernetes",
    "Container registry",
    "Serverless functions",
    "Load balancers",
    "VPC networking",
    "DNS",
    "API gateway",
    "Message queues",
    "Event streaming",
    "Search",
    "Monitoring",
    "Logging",
    "Backups",
    "Secrets manager",
]
INTERNAL_GROUP = "Internal systems"
INTERNAL = [
    "Build pipeline",
    "Deploy orchestrator",
    "Support desk",
    "Billing jobs",
    "Admin console",
    "Feature flags",
    "Metrics warehouse",
    "Paging",
    "Incident bot",
    "Artifact cache",
    "Staging",
    "Staff VPN",
    "Staff SSO",
    "Data exports",
    "Abuse detection",
]
GROUP_SIZE = 20

#: (title, investigating, identified, monitoring, resolved); {what} and {where} are filled in.
SCENARIOS = [
    (
        "Elevated error rates for {what}{where}",
        "We are investigating elevated error rates for {what}{where}.",
        "A faulty configuration change is the cause. We are rolling it back.",
        "The rollback is complete and error rates are back to normal. We are monitoring.",
        "Error rates have stayed normal since the rollback. This incident is resolved.",
    ),
    (
        "Increased latency for {what}{where}",
        "Requests to {what}{where} are slower than usual. We are looking into it.",
        "An upstream network provider is dropping packets. Traffic is being rerouted.",
        "Traffic is rerouted and latency is back to normal. We are monitoring.",
        "Latency has been normal since the reroute. This incident is resolved.",
    ),
    (
        "{what} unavailable{where}",
        "{what}{where} is not answering. We are investigating with the highest priority.",
        "A failed deploy left the service without healthy instances. We are restoring them.",
        "Healthy instances are serving traffic again. We are monitoring closely.",
        "{what}{where} has been fully available for an hour. A post-incident review will follow.",
    ),
    (
        "Degraded performance of {what}{where}",
        "Some customers see slow responses from {what}{where}.",
        "Slow queries against an internal metadata store are the cause. We are adding an index.",
        "Response times have recovered. We are monitoring.",
        "Performance has been normal for an hour. This incident is resolved.",
    ),
    (
        "Delayed processing in {what}{where}",
        "Work submitted to {what}{where} is processed with delays of up to 20 minutes.",
        "A backlog built up after a node failed over. We have added workers to drain it.",
        "The backlog is drained and processing is on time. We are monitoring.",
        "Processing has been on time since the fix. Nothing was lost.",
    ),
    (
        "Connectivity issues affecting {what}{where}",
        "Some connections to {what}{where} time out. We are investigating.",
        "A faulty switch in one availability zone is the cause. Traffic is moving away from it.",
        "Traffic no longer passes the faulty switch. We are monitoring.",
        "The switch has been replaced and connectivity is normal. This incident is resolved.",
    ),
    (
        "Failed requests to {what}{where}",
        "A share of requests to {what}{where} fail with TLS errors.",
        "An expired intermediate certificate on some edge nodes is the cause. It is being renewed.",
        "The renewed certificate is live everywhere. We are monitoring.",
        "Requests have been succeeding normally. This incident is resolved.",
    ),
    (
        "Intermittent timeouts for {what}{where}",
        "We see intermittent timeouts for {what}{where}.",
        "A storage node with a failing disk slows the requests it serves. It is being drained.",
        "The node is drained and timeouts have stopped. We are monitoring.",
        "No timeouts since the node was drained. This incident is resolved.",
    ),
    (
        "Provisioning delays for {what}{where}",
        "New resources in {what}{where} take longer than usual to become ready.",
        "Capacity for one instance family is exhausted. We are adding capacity.",
        "New capacity is online and provisioning is back to normal. We are monitoring.",
        "Provisioning has been normal. This incident is resolved.",
    ),
    (
        "Partial outage of {what}{where}",
        "Part of {what}{where} is unavailable. We are investigating.",
        "A bad kernel update on one host pool is the cause. The hosts are being rolled back.",
        "Every host runs the previous kernel again and service is restored. We are monitoring.",
        "Service has been stable since the rollback. This incident is resolved.",
    ),
]
WINDOW_NAMES = [
    "Network maintenance in {where}",
    "Database engine upgrades in {where}",
    "Storage firmware update in {where}",
    "Kernel security patching in {where}",
]
IMPACT_OF = {
    S.DEGRADED_PERFORMANCE: Impact.MINOR,
    S.PARTIAL_OUTAGE: Impact.MAJOR,
    S.MAJOR_OUTAGE: Impact.CRITICAL,
}
WORSE = {
    S.DEGRADED_PERFORMANCE: S.PARTIAL_OUTAGE,
    S.PARTIAL_OUTAGE: S.MAJOR_OUTAGE,
    S.MAJOR_OUTAGE: S.MAJOR_OUTAGE,
}
REMIND_MINUTES = 60


# ---- the plan ---------------------------------------------------------------------------------


@dataclass
class PlannedGroup:
    name: str
    description: str
    visibility: Visibility
    created_at: datetime
    members: list[int] = field(default_factory=list)


@dataclass
class PlannedComponent:
    name: str
    group: int | None
    description: str | None
    visibility: Visibility
    showcase: bool
    only_show_if_degraded: bool
    created_at: datetime


@dataclass
class PlannedUpdate:
    at: datetime
    status: IncidentStatus
    body: str
    #: Component (plan index) -> the status this update claims for it.
    claims: dict[int, ComponentStatus]


@dataclass
class PlannedIncident:
    name: str
    impact: Impact
    visibility: Visibility
    updates: list[PlannedUpdate]


@dataclass
class PlannedWindow:
    name: str
    body: str
    visibility: Visibility
    components: list[int]
    announced_at: datetime
    starts_at: datetime
    ends_at: datetime

    @property
    def remind_at(self) -> datetime:
        return self.starts_at - timedelta(minutes=REMIND_MINUTES)


@dataclass
class Plan:
    groups: list[PlannedGroup]
    components: list[PlannedComponent]
    #: Top-level items in page order: ("component" | "group", index).
    order: list[tuple[str, int]]
    incidents: list[PlannedIncident]
    windows: list[PlannedWindow]

    def build_steps(self) -> list[tuple[datetime, int, str, int, int]]:
        """Every write of the history in time order: (at, tie-break, kind, item, update)."""
        steps: list[tuple[datetime, int, str, int, int]] = []
        for index, incident in enumerate(self.incidents):
            for number, update in enumerate(incident.updates):
                steps.append((update.at, len(steps), "incident", index, number))
        for index, window in enumerate(self.windows):
            steps.append((window.announced_at, len(steps), "schedule", index, 0))
            steps.append((window.remind_at, len(steps), "remind", index, 0))
            steps.append((window.starts_at, len(steps), "start", index, 0))
            steps.append((window.ends_at, len(steps), "complete", index, 0))
        return sorted(steps)


def plan_large(
    *,
    now: datetime,
    components: int,
    incidents: int,
    days: int,
    open_incidents: int,
    maintenance: int,
    rng: random.Random,
) -> Plan:
    """Draw the whole data set up front, so one seed always gives the same page."""
    start = now - timedelta(days=days)
    groups, planned, order = _plan_components(components, start, days, rng)
    resolved = [
        _plan_incident(groups, planned, rng, _draw_moment(rng, start, now - timedelta(hours=12)))
        for _ in range(max(0, incidents - open_incidents))
    ]
    resolved.sort(key=lambda incident: incident.updates[0].at)
    still_open = [
        _plan_incident(
            groups, planned, rng, now - timedelta(minutes=rng.randint(20, 240)), until=now
        )
        for _ in range(min(open_incidents, incidents))
    ]
    windows = _plan_windows(groups, maintenance, start, now, days, rng)
    return Plan(groups, planned, order, resolved + still_open, windows)


def _draw_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def _plan_components(
    count: int, start: datetime, days: int, rng: random.Random
) -> tuple[list[PlannedGroup], list[PlannedComponent], list[tuple[str, int]]]:
    """Top-level components, regions of GROUP_SIZE services (two launched late), one internal
    group; mostly public and showcased."""
    created = start - timedelta(days=30)
    top = min(len(TOP_LEVEL), max(1, count // 100))
    rest = count - top
    internal = min(len(INTERNAL), max(2, rest // 30)) if rest >= 10 else 0
    public = rest - internal
    groups: list[PlannedGroup] = []
    planned: list[PlannedComponent] = []
    order: list[tuple[str, int]] = []
    for index in range(top):
        name = TOP_LEVEL[index]
        hidden = name == "Community forum"
        order.append(("component", len(planned)))
        planned.append(
            PlannedComponent(
                name,
                None,
                f"{name} at acme.example.",
                Visibility.PUBLIC,
                not hidden,
                hidden,
                created,
            )
        )
    sizes = [GROUP_SIZE] * (public // GROUP_SIZE) + (
        [public % GROUP_SIZE] if public % GROUP_SIZE else []
    )
    late = {len(sizes) - 1: days * 2 // 3, len(sizes) - 2: days // 3} if len(sizes) >= 4 else {}
    for number, size in enumerate(sizes):
        region = REGIONS[number % len(REGIONS)]
        if number >= len(REGIONS):
            region += f" {number // len(REGIONS) + 1}"
        launched = start + timedelta(days=late[number]) if number in late else created
        group = PlannedGroup(region, f"Cloud services in {region}.", Visibility.PUBLIC, launched)
        for service in SERVICES[:size]:
            group.members.append(len(planned))
            visibility = Visibility.INTERNAL if rng.random() < 0.02 else Visibility.PUBLIC
            planned.append(
                PlannedComponent(
                    service,
                    len(groups),
                    f"{service} in {region}.",
                    visibility,
                    rng.random() < 0.9,
                    False,
                    launched,
                )
            )
        order.append(("group", len(groups)))
        groups.append(group)
    if internal:
        group = PlannedGroup(INTERNAL_GROUP, "Staff-only systems.", Visibility.INTERNAL, created)
        for name in INTERNAL[:internal]:
            group.members.append(len(planned))
            planned.append(
                PlannedComponent(name, len(groups), None, Visibility.INTERNAL, True, False, created)
            )
        order.append(("group", len(groups)))
        groups.append(group)
    return groups, planned, order


def _pick_components(
    groups: list[PlannedGroup],
    planned: list[PlannedComponent],
    rng: random.Random,
    at: datetime,
    *,
    most: int,
) -> tuple[list[int], str]:
    """Components that existed at *at*: a few from one group, or one top-level component."""
    top = [i for i, c in enumerate(planned) if c.group is None]
    live = [g for g in groups if g.created_at < at - timedelta(days=1)]
    if top and (not live or rng.random() < 0.06):
        return [rng.choice(top)], ""
    internal = [g for g in live if g.visibility is Visibility.INTERNAL]
    public = [g for g in live if g.visibility is Visibility.PUBLIC] or internal
    group = rng.choice(internal if internal and rng.random() < 0.04 else public)
    count = min(len(group.members), rng.choices(range(1, most + 1), [60, 25, 8, 4, 3][:most])[0])
    return sorted(rng.sample(group.members, count)), f" in {group.name}"


def _name_components(planned: list[PlannedComponent], chosen: list[int]) -> str:
    names = [planned[i].name for i in chosen]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _plan_incident(
    groups: list[PlannedGroup],
    planned: list[PlannedComponent],
    rng: random.Random,
    started: datetime,
    *,
    until: datetime | None = None,
) -> PlannedIncident:
    """A timeline of 2-4 updates (investigating, identified, monitoring, resolved), or, with
    *until*, an incident still open then with 1-3 updates."""
    chosen, where = _pick_components(groups, planned, rng, started, most=5)
    what = _name_components(planned, chosen)
    title, investigating, identified, monitoring, resolved = rng.choice(SCENARIOS)
    fault = rng.choices([S.DEGRADED_PERFORMANCE, S.PARTIAL_OUTAGE, S.MAJOR_OUTAGE], [50, 35, 15])[0]
    impact = IMPACT_OF[fault]
    if fault is S.DEGRADED_PERFORMANCE and rng.random() < 0.1:
        impact = Impact.NONE
    internal = all(planned[i].visibility is Visibility.INTERNAL for i in chosen)
    recovering = S.DEGRADED_PERFORMANCE if fault.is_outage else S.OPERATIONAL
    t_identified = started + timedelta(minutes=rng.randint(5, 45), seconds=rng.randint(0, 59))
    t_monitoring = t_identified + timedelta(minutes=rng.randint(10, 120))
    t_resolved = t_monitoring + timedelta(minutes=rng.randint(15, 240))
    fill = {"what": what, "where": where}
    opening = PlannedUpdate(
        started,
        IncidentStatus.INVESTIGATING,
        investigating.format(**fill),
        dict.fromkeys(chosen, fault),
    )
    escalated = dict.fromkeys(chosen, WORSE[fault]) if rng.random() < 0.1 else {}
    middle = [
        PlannedUpdate(
            t_identified, IncidentStatus.IDENTIFIED, identified.format(**fill), escalated
        ),
        PlannedUpdate(
            t_monitoring,
            IncidentStatus.MONITORING,
            monitoring.format(**fill),
            dict.fromkeys(chosen, recovering),
        ),
    ]
    if until is not None:
        updates = [opening, *middle][: rng.randint(1, 3)]
        for number, update in enumerate(updates[1:], start=1):  # squeeze them before *until*
            update.at = min(update.at, until - timedelta(minutes=3 - number))
    else:
        length = rng.choices([2, 3, 4], [20, 35, 45])[0]
        kept = middle if length == 4 else [rng.choice(middle)] if length == 3 else []
        closing = PlannedUpdate(t_resolved, IncidentStatus.RESOLVED, resolved.format(**fill), {})
        updates = [opening, *kept, closing]
    return PlannedIncident(
        name=title.format(**fill)[:255],
        impact=impact,
        visibility=Visibility.INTERNAL if internal else Visibility.PUBLIC,
        updates=updates,
    )


def _plan_windows(
    groups: list[PlannedGroup],
    count: int,
    start: datetime,
    now: datetime,
    days: int,
    rng: random.Random,
) -> list[PlannedWindow]:
    """Past windows, one a week at most, announced days ahead and run by the scheduler."""
    windows = []
    weeks = max(1, (days - 2) // 7)
    for week in sorted(rng.sample(range(weeks), min(count, weeks))):
        day = start + timedelta(days=7 * week + rng.randint(1, 6))
        begins = day.replace(hour=rng.choice([1, 2, 3, 22]), minute=0, second=0, microsecond=0)
        ends = begins + timedelta(hours=rng.randint(1, 3))
        if ends > now - timedelta(days=1):
            continue
        live = [g for g in groups if g.created_at < begins - timedelta(days=8)]
        if not live:
            continue
        group = rng.choice(live)
        chosen = sorted(rng.sample(group.members, min(len(group.members), rng.randint(1, 6))))
        name = rng.choice(WINDOW_NAMES).format(where=group.name)
        windows.append(
            PlannedWindow(
                name=name,
                body=f"{name}: the affected services may be briefly unavailable during the window.",
                visibility=group.visibility,
                components=chosen,
                announced_at=begins - timedelta(days=rng.randint(3, 7), hours=rng.randint(0, 8)),
                starts_at=begins,
                ends_at=ends,
            )
        )
    return windows


# ---- writing it through the services ---------------------------------------------------------


def seed_large_data(
    *,
    now: datetime,
    echo: Echo = lambda line: print(line, flush=True),
    components: int = 500,
    incidents: int = 20_000,
    days: int = 730,
    open_incidents: int = 5,
    maintenance: int | None = None,
    subscribers: int = 2_000,
    seed: int = 20261122,
    actor: Actor = CLI,
) -> dict[str, int]:
    """A page big enough to benchmark: *components* in groups, *incidents* over *days* (a
    handful still open), a maintenance window most weeks, what is planned next, subscribers."""
    started = time.perf_counter()
    rng = random.Random(seed)
    base = now.replace(second=0, microsecond=0)
    plan = plan_large(
        now=base,
        components=components,
        incidents=incidents,
        days=days,
        open_incidents=open_incidents,
        maintenance=days // 7 if maintenance is None else maintenance,
        rng=rng,
    )
    echo(f"Creating {len(plan.components)} components in {len(plan.groups)} groups ...")
    made = _create_components(plan, actor, base - timedelta(days=days + 30))
    echo(
        f"Writing {len(plan.incidents):,} incidents and {len(plan.windows)} maintenance windows "
        f"over {days} days through the services, one transaction a day ..."
    )
    _write_history(plan, made, actor, echo, started)
    _subscribe(plan, made, subscribers, rng, base - timedelta(days=min(days, 90)), base, actor)
    with unit_of_work("seed_large_data", actor=actor, now=now):
        _schedule_upcoming(plan, made, now, actor)
    echo(f"Done in {time.perf_counter() - started:.0f} s ({time.process_time():.0f} s of CPU).")
    return {
        "components": db.session.scalar(sa.select(sa.func.count()).select_from(Component)) or 0,
        "incidents": db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) or 0,
        "maintenance": db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) or 0,
        "subscribers": db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) or 0,
    }


def _create_components(plan: Plan, actor: Actor, first: datetime) -> list[Component]:
    """The page's tree in page order, each item created at its planned time, in one transaction."""
    made: list[Component | None] = [None] * len(plan.components)

    def create(index: int, group: ComponentGroup | None) -> None:
        planned = plan.components[index]
        made[index] = component_service.create_component(
            name=planned.name,
            group=group,
            description=planned.description,
            visibility=planned.visibility,
            showcase=planned.showcase,
            only_show_if_degraded=planned.only_show_if_degraded,
            actor=actor,
            now=planned.created_at,
        )

    with unit_of_work("seed_large_data", actor=actor, now=first):
        for kind, index in plan.order:
            if kind == "component":
                create(index, None)
                continue
            planned_group = plan.groups[index]
            group = component_service.create_group(
                name=planned_group.name,
                description=planned_group.description,
                visibility=planned_group.visibility,
                actor=actor,
                now=planned_group.created_at,
            )
            for member in planned_group.members:
                create(member, group)
    return [component for component in made if component is not None]


def _write_history(
    plan: Plan, made: list[Component], actor: Actor, echo: Echo, started: float
) -> None:
    """Each step is the service call a person (incidents, announcements) or the scheduler
    (reminders, starts, completions, at their planned times) makes; one day, one transaction."""
    opened: dict[int, Incident] = {}  # open ones only: a resolved incident is let go
    windows: dict[int, Maintenance] = {}
    steps = plan.build_steps()
    done = 0
    for number, (day, day_steps) in enumerate(groupby(steps, key=lambda s: s[0].date()), 1):
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        with unit_of_work("seed_large_data", actor=actor, now=midnight):
            for at, _, kind, index, update_number in day_steps:
                if kind == "incident":
                    _write_incident_step(plan, made, opened, index, update_number, at, actor)
                else:
                    _write_window_step(plan, made, windows, kind, index, at, actor)
                done += 1
        if number % 30 == 0:
            elapsed, cpu = time.perf_counter() - started, time.process_time()
            echo(f"  {day}: {done:,} of {len(steps):,} writes, {elapsed:.0f} s, {cpu:.0f} s of CPU")
    echo(f"  {len(steps):,} writes, {len(opened)} incidents left open")


def _write_incident_step(
    plan: Plan,
    made: list[Component],
    opened: dict[int, Incident],
    index: int,
    number: int,
    at: datetime,
    actor: Actor,
) -> None:
    """Open, update or resolve one incident, as its author does."""
    incident = plan.incidents[index]
    update = incident.updates[number]
    claims = {made[c]: status for c, status in update.claims.items()}
    if number == 0:
        opened[index] = incident_service.open_incident(
            name=incident.name,
            body=update.body,
            impact=incident.impact,
            components=claims,
            visibility=incident.visibility,
            deliver_notifications=False,
            actor=actor,
            now=at,
        )
    elif update.status is IncidentStatus.RESOLVED:
        incident_service.resolve_incident(
            opened.pop(index), body=update.body, deliver_notifications=False, actor=actor, now=at
        )
    else:
        incident_service.post_update(
            opened[index],
            status=update.status,
            body=update.body,
            components=claims,
            deliver_notifications=False,
            actor=actor,
            now=at,
        )


def _write_window_step(
    plan: Plan,
    made: list[Component],
    windows: dict[int, Maintenance],
    kind: str,
    index: int,
    at: datetime,
    actor: Actor,
) -> None:
    """Announce a window (its author), or what the scheduler does when its times come."""
    window = plan.windows[index]
    if kind == "schedule":
        windows[index] = maintenance_service.schedule_maintenance(
            name=window.name,
            body=window.body,
            scheduled_for=window.starts_at,
            scheduled_until=window.ends_at,
            components=[made[c] for c in window.components],
            visibility=window.visibility,
            remind_minutes=REMIND_MINUTES,
            deliver_notifications=False,
            actor=actor,
            now=at,
        )
    elif kind == "remind":
        maintenance_service.mark_reminded(windows[index], stale=False, actor=SCHEDULER, now=at)
    elif kind == "start":
        maintenance_service.start_maintenance(windows[index], at=at, actor=SCHEDULER, now=at)
    else:
        maintenance_service.complete_maintenance(windows.pop(index), at=at, actor=SCHEDULER, now=at)


def _subscribe(
    plan: Plan,
    made: list[Component],
    count: int,
    rng: random.Random,
    first: datetime,
    last: datetime,
    actor: Actor,
) -> None:
    """Subscribers over the last months, through the form's service and the confirmation link:
    most to everything, some to a group or a component; a few never confirm."""
    public = [c for c in made if c.visibility is Visibility.PUBLIC]
    groups = [
        g.id
        for g in db.session.scalars(
            sa.select(ComponentGroup).where(ComponentGroup.visibility == Visibility.PUBLIC)
        )
    ]
    moments = sorted(_draw_moment(rng, first, last) for _ in range(count))
    for day, times in groupby(enumerate(moments), key=lambda item: item[1].date()):
        with unit_of_work(
            "seed_large_data",
            actor=actor,
            now=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
        ):
            for number, at in times:
                scope = rng.random()
                subscriber = subscriber_service.subscribe(
                    email=f"reader{number + 1}@example.com",
                    cadence=rng.choices(list(Cadence), [85, 5, 7, 3][: len(Cadence)])[0],
                    component_ids=[rng.choice(public).id] if 0.8 <= scope < 0.9 and public else (),
                    group_ids=[rng.choice(groups)] if scope >= 0.9 and groups else (),
                    actor=actor,
                    now=at,
                )
                if rng.random() < 0.95:
                    subscriber_service.confirm_subscription(
                        subscriber, actor=actor, now=at + timedelta(minutes=rng.randint(1, 90))
                    )


def _schedule_upcoming(plan: Plan, made: list[Component], now: datetime, actor: Actor) -> None:
    """A window in three days and a weekly one, as on the demo page."""
    public = (
        [
            made[i]
            for i in plan.groups[0].members
            if plan.components[i].visibility is Visibility.PUBLIC
        ]
        if plan.groups
        else made
    )
    start = (now + timedelta(days=3)).replace(hour=21, minute=0, second=0, microsecond=0)
    where = plan.groups[0].name if plan.groups else "all regions"
    maintenance_service.schedule_maintenance(
        name=f"Storage capacity expansion in {where}",
        body="We are adding storage nodes. Uploads may be slower for a few minutes.",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1, minutes=30),
        components=public[:3],
        actor=actor,
        now=now,
    )
    demo.create_weekly_patching(public[0], actor=actor, now=now)


# ---- the command line ------------------------------------------------------------------------


def main() -> None:
    """Migrate the database named on the command line and write the data set into it."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="SQLite or PostgreSQL URL")
    parser.add_argument("--components", type=int, default=500)
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=730, help="days of history")
    parser.add_argument("--subscribers", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261122, help="of the random plan")
    parser.add_argument("--force", action="store_true", help="empty a database that has data")
    args = parser.parse_args()
    app = create_app(
        {
            "CONFIG_CLASS": os.environ.get("STATUSPAGE_CONFIG", "config.ProductionConfig"),
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "SECRET_KEY": os.environ.get("STATUSPAGE_SECRET_KEY") or secrets.token_hex(16),
        }
    )
    with app.app_context():
        upgrade_schema()
        if not demo.database_is_empty():
            if not args.force:
                raise SystemExit("The database is not empty; use --force to replace it.")
            demo.clear_database()
        counts = seed_large_data(
            now=datetime.now(UTC),
            components=args.components,
            incidents=args.incidents,
            days=args.days,
            subscribers=args.subscribers,
            seed=args.seed,
        )
    print(f"{counts['maintenance']} maintenance windows, {counts['subscribers']} subscribers.")
    print(f"Seeded {counts['components']} components and {counts['incidents']} incidents.")


if __name__ == "__main__":
    main()
