"""A large demo page for benchmarks: 500 components and 20,000 incidents over two years.

`flask demo seed --large` builds one reproducible plan (a seeded random.Random) and writes it.
Components, groups and the page's future (an upcoming window, a weekly recurrence) go through
the services. The two years of history would take the services most of an hour (each update is
a transaction of its own), so by default they are replayed here with the services' own rules:
claims and their precedence, the status history, the per-day uptime aggregates, the update
timelines, the audit entries, the row versions and the page version, and written in bulk.
`seed_large(bulk=False)` writes the same plan through the services instead;
tests/test_demo_large.py runs one plan both ways and compares every row.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from statuspage.database import new_id
from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    StatusCause,
    UpdateKind,
    Visibility,
)
from statuspage.extensions import db
from statuspage.markdown import render_markdown
from statuspage.models import (
    AuditEntry,
    Component,
    ComponentDay,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    Maintenance,
    Notice,
    NoticeComponent,
    NotificationEvent,
    PageState,
    UpdateComponentChange,
)
from statuspage.services.components.status import OPEN_STATUSES
from statuspage.services.components.uptime import DAY_COLUMNS, split_by_day
from statuspage.services.notices.maintenance import DEFAULT_COMPLETE_MESSAGE, DEFAULT_START_MESSAGE
from statuspage.services.unit import CLI, SCHEDULER, UNAUDITED, Actor, audit_value
from statuspage.visibility import component_visible, sees

S = ComponentStatus
Echo = Callable[[str], None]

TOP_LEVEL = ["Website", "Billing and invoices", "Support portal", "Marketplace", "Community forum"]
REGIONS = [
    "US East (Virginia)", "US East (Ohio)", "US West (Oregon)", "US West (California)",
    "Canada (Montreal)", "Brazil (São Paulo)", "Mexico (Querétaro)", "EU West (Ireland)",
    "EU West (London)", "EU West (Paris)", "EU Central (Frankfurt)", "EU Central (Zurich)",
    "EU North (Stockholm)", "EU South (Milan)", "Middle East (Bahrain)", "Israel (Tel Aviv)",
    "Africa (Cape Town)", "Asia Pacific (Mumbai)", "Asia Pacific (Singapore)",
    "Asia Pacific (Jakarta)", "Asia Pacific (Hong Kong)", "Asia Pacific (Tokyo)",
    "Asia Pacific (Seoul)", "Asia Pacific (Sydney)",
]  # fmt: skip
SERVICES = [
    "Compute", "Block storage", "Object storage", "Managed PostgreSQL", "Managed MySQL",
    "Managed Redis", "Kubernetes", "Container registry", "Serverless functions",
    "Load balancers", "VPC networking", "DNS", "API gateway", "Message queues",
    "Event streaming", "Search", "Monitoring", "Logging", "Backups", "Secrets manager",
]  # fmt: skip
INTERNAL_GROUP = "Internal systems"
INTERNAL = [
    "Build pipeline", "Deploy orchestrator", "Support desk", "Billing jobs", "Admin console",
    "Feature flags", "Metrics warehouse", "Paging", "Incident bot", "Artifact cache",
    "Staging", "Staff VPN", "Staff SSO", "Data exports", "Abuse detection",
]  # fmt: skip
GROUP_SIZE = 20

#: (title, investigating, identified, monitoring, resolved); {what} and {where} are filled in.
SCENARIOS = [
    ("Elevated error rates for {what}{where}",
     "We are investigating elevated error rates for {what}{where}.",
     "A faulty configuration change is the cause. We are rolling it back.",
     "The rollback is complete and error rates are back to normal. We are monitoring.",
     "Error rates have stayed normal since the rollback. This incident is resolved."),
    ("Increased latency for {what}{where}",
     "Requests to {what}{where} are slower than usual. We are looking into it.",
     "An upstream network provider is dropping packets. Traffic is being rerouted.",
     "Traffic is rerouted and latency is back to normal. We are monitoring.",
     "Latency has been normal since the reroute. This incident is resolved."),
    ("{what} unavailable{where}",
     "{what}{where} is not answering. We are investigating with the highest priority.",
     "A failed deploy left the service without healthy instances. We are restoring them.",
     "Healthy instances are serving traffic again. We are monitoring closely.",
     "{what}{where} has been fully available for an hour. A post-incident review will follow."),
    ("Degraded performance of {what}{where}",
     "Some customers see slow responses from {what}{where}.",
     "Slow queries against an internal metadata store are the cause. We are adding an index.",
     "Response times have recovered. We are monitoring.",
     "Performance has been normal for an hour. This incident is resolved."),
    ("Delayed processing in {what}{where}",
     "Work submitted to {what}{where} is processed with delays of up to 20 minutes.",
     "A backlog built up after a node failed over. We have added workers to drain it.",
     "The backlog is drained and processing is on time. We are monitoring.",
     "Processing has been on time since the fix. Nothing was lost."),
    ("Connectivity issues affecting {what}{where}",
     "Some connections to {what}{where} time out. We are investigating.",
     "A faulty switch in one availability zone is the cause. Traffic is moving away from it.",
     "Traffic no longer passes the faulty switch. We are monitoring.",
     "The switch has been replaced and connectivity is normal. This incident is resolved."),
    ("Failed requests to {what}{where}",
     "A share of requests to {what}{where} fail with TLS errors.",
     "An expired intermediate certificate on some edge nodes is the cause. It is being renewed.",
     "The renewed certificate is live everywhere. We are monitoring.",
     "Requests have been succeeding normally. This incident is resolved."),
    ("Intermittent timeouts for {what}{where}",
     "We see intermittent timeouts for {what}{where}.",
     "A storage node with a failing disk slows down the requests it serves. It is being drained.",
     "The node is drained and timeouts have stopped. We are monitoring.",
     "No timeouts since the node was drained. This incident is resolved."),
    ("Provisioning delays for {what}{where}",
     "New resources in {what}{where} take longer than usual to become ready.",
     "Capacity for one instance family is exhausted. We are adding capacity.",
     "New capacity is online and provisioning is back to normal. We are monitoring.",
     "Provisioning has been normal. This incident is resolved."),
    ("Partial outage of {what}{where}",
     "Part of {what}{where} is unavailable. We are investigating.",
     "A bad kernel update on one host pool is the cause. The hosts are being rolled back.",
     "Every host runs the previous kernel again and service is restored. We are monitoring.",
     "Service has been stable since the rollback. This incident is resolved."),
]  # fmt: skip
WINDOW_NAMES = [
    "Network maintenance in {where}",
    "Database engine upgrades in {where}",
    "Storage firmware update in {where}",
    "Kernel security patching in {where}",
]
IMPACT_OF = {S.DEGRADED_PERFORMANCE: Impact.MINOR, S.PARTIAL_OUTAGE: Impact.MAJOR,
             S.MAJOR_OUTAGE: Impact.CRITICAL}  # fmt: skip
WORSE = {S.DEGRADED_PERFORMANCE: S.PARTIAL_OUTAGE, S.PARTIAL_OUTAGE: S.MAJOR_OUTAGE,
         S.MAJOR_OUTAGE: S.MAJOR_OUTAGE}  # fmt: skip
REMIND_MINUTES = 60
#: Each status's slot in the in-memory day rows, in the order of uptime.DAY_COLUMNS.
DAY_SLOTS = {status: slot for slot, status in enumerate(DAY_COLUMNS)}
CLOSED_STATUSES = frozenset({"resolved", "completed", "cancelled"})
#: Rows buffered before the bulk writer sends them to the database.
FLUSH_ROWS = 50_000


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
    """Draw the whole data set up front, so both writers write the very same thing."""
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
            PlannedComponent(name, None, f"{name} at acme.example.", Visibility.PUBLIC,
                             not hidden, hidden, created)
        )  # fmt: skip
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
                PlannedComponent(service, len(groups), f"{service} in {region}.", visibility,
                                 rng.random() < 0.9, False, launched)
            )  # fmt: skip
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
    internal = [g for g in live if not sees(Audience.PUBLIC, g.visibility)]
    public = [g for g in live if sees(Audience.PUBLIC, g.visibility)] or internal
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
    internal = not any(sees(Audience.PUBLIC, planned[i].visibility) for i in chosen)
    recovering = S.DEGRADED_PERFORMANCE if fault.is_outage else S.OPERATIONAL
    t_identified = started + timedelta(minutes=rng.randint(5, 45), seconds=rng.randint(0, 59))
    t_monitoring = t_identified + timedelta(minutes=rng.randint(10, 120))
    t_resolved = t_monitoring + timedelta(minutes=rng.randint(15, 240))
    fill = {"what": what, "where": where}
    opening = PlannedUpdate(started, IncidentStatus.INVESTIGATING, investigating.format(**fill),
                            dict.fromkeys(chosen, fault))  # fmt: skip
    escalated = dict.fromkeys(chosen, WORSE[fault]) if rng.random() < 0.1 else {}
    middle = [
        PlannedUpdate(t_identified, IncidentStatus.IDENTIFIED, identified.format(**fill),
                      escalated),
        PlannedUpdate(t_monitoring, IncidentStatus.MONITORING, monitoring.format(**fill),
                      dict.fromkeys(chosen, recovering)),
    ]  # fmt: skip
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


# ---- seeding ----------------------------------------------------------------------------------


def seed_large(
    *,
    now: datetime,
    echo: Echo,
    components: int = 500,
    incidents: int = 20_000,
    days: int = 730,
    open_incidents: int = 5,
    maintenance: int | None = None,
    seed: int = 20261122,
    bulk: bool = True,
    actor: Actor = CLI,
) -> dict[str, int]:
    """A page big enough to benchmark: *components* in groups, *incidents* over *days* (a
    handful still open), a maintenance window most weeks, and what is planned next."""
    started = time.perf_counter()
    rng = random.Random(seed)
    base = now.replace(second=0, microsecond=0)
    plan = plan_large(
        now=base, components=components, incidents=incidents, days=days,
        open_incidents=open_incidents,
        maintenance=days // 7 if maintenance is None else maintenance, rng=rng,
    )  # fmt: skip
    echo(f"Creating {len(plan.components)} components in {len(plan.groups)} groups ...")
    made = _create_components(plan, actor)
    echo(
        f"Writing {len(plan.incidents):,} incidents and {len(plan.windows)} maintenance windows "
        f"over {days} days {'in bulk' if bulk else 'through the services'} ..."
    )
    if bulk:
        _write_history_in_bulk(plan, made, actor, echo)
    else:
        _write_history_with_services(plan, made, actor, echo)
    _schedule_upcoming(plan, made, now, actor)
    echo(f"Done in {time.perf_counter() - started:.0f} s.")
    return {
        "components": db.session.scalar(sa.select(sa.func.count()).select_from(Component)) or 0,
        "incidents": db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) or 0,
    }


def _create_components(plan: Plan, actor: Actor) -> list[Component]:
    """Through the services: a few hundred transactions, so no reason to take a shortcut."""
    from statuspage.services.components import tree as component_service

    made: list[Component | None] = [None] * len(plan.components)

    def create(index: int, group: ComponentGroup | None) -> None:
        planned = plan.components[index]
        made[index] = component_service.create_component(
            name=planned.name, group=group, description=planned.description,
            visibility=planned.visibility, showcase=planned.showcase,
            only_show_if_degraded=planned.only_show_if_degraded, actor=actor,
            now=planned.created_at,
        )  # fmt: skip

    for kind, index in plan.order:
        if kind == "component":
            create(index, None)
            continue
        planned_group = plan.groups[index]
        group = component_service.create_group(
            name=planned_group.name, description=planned_group.description,
            visibility=planned_group.visibility, actor=actor, now=planned_group.created_at,
        )  # fmt: skip
        for member in planned_group.members:
            create(member, group)
    return [component for component in made if component is not None]


def _write_history_with_services(
    plan: Plan, made: list[Component], actor: Actor, echo: Echo
) -> None:
    """The reference writer: one service call per step, as the people and the scheduler would."""
    from statuspage.services.notices import due_work, maintenance
    from statuspage.services.notices import incidents as incident_service

    opened: dict[int, Incident] = {}
    windows_done = 0
    for at, _, kind, index, number in plan.build_steps():
        if kind == "incident":
            incident = plan.incidents[index]
            update = incident.updates[number]
            claims = {made[c]: status for c, status in update.claims.items()}
            if number == 0:
                opened[index] = incident_service.open_incident(
                    name=incident.name, body=update.body, impact=incident.impact,
                    components=claims, visibility=incident.visibility,
                    deliver_notifications=False, actor=actor, now=at,
                )  # fmt: skip
            else:
                incident_service.post_update(
                    opened[index], status=update.status, body=update.body, components=claims,
                    deliver_notifications=False, actor=actor, now=at,
                )  # fmt: skip
        elif kind == "schedule":
            window = plan.windows[index]
            maintenance.schedule_maintenance(
                name=window.name, body=window.body, scheduled_for=window.starts_at,
                scheduled_until=window.ends_at, components=[made[c] for c in window.components],
                visibility=window.visibility, remind_minutes=REMIND_MINUTES, actor=actor,
                now=at,
            )  # fmt: skip
        else:  # remind, start, complete: what the scheduler does when they come due
            due_work.run_due_work(now=at)
            windows_done += kind == "complete"
    echo(f"  {len(plan.incidents):,} incidents, {windows_done} windows")


def _schedule_upcoming(plan: Plan, made: list[Component], now: datetime, actor: Actor) -> None:
    """A window in three days and a weekly one, through the services (both writers)."""
    from statuspage.demo import create_weekly_patching
    from statuspage.services.notices import maintenance

    public = [
        made[i]
        for i in plan.groups[0].members
        if sees(Audience.PUBLIC, plan.components[i].visibility)
    ] if plan.groups else made  # fmt: skip
    start = (now + timedelta(days=3)).replace(hour=21, minute=0, second=0, microsecond=0)
    where = plan.groups[0].name if plan.groups else "all regions"
    maintenance.schedule_maintenance(
        name=f"Storage capacity expansion in {where}",
        body="We are adding storage nodes. Uploads may be slower for a few minutes.",
        scheduled_for=start, scheduled_until=start + timedelta(hours=1, minutes=30),
        components=public[:3], actor=actor, now=now,
    )  # fmt: skip
    create_weekly_patching(public[0], actor=actor, now=now)


# ---- the bulk writer --------------------------------------------------------------------------


@functools.cache
def _list_audited_keys(model: type) -> list[str]:
    """The attributes a "created" audit entry lists for *model*, as the listener finds them."""
    return [a.key for a in sa.inspect(model).column_attrs if a.key not in UNAUDITED]


@functools.cache
def _map_columns(model: type) -> dict[str, str]:
    """Attribute key -> table column name (Notice.status_value is stored as "status")."""
    return {a.key: a.columns[0].name for a in sa.inspect(model).column_attrs}


@dataclass
class _Notice:
    """A notice kept in memory until it closes, as its row and claims still change."""

    model: type
    row: dict[str, Any]
    links: dict[int, ComponentStatus] = field(default_factory=dict)
    written: set[int] = field(default_factory=set)
    in_database: bool = False

    @property
    def id(self) -> str:
        return self.row["id"]

    @property
    def is_open(self) -> bool:
        return self.row["status_value"] in OPEN_STATUSES


class _Replay:
    """The services' writes for a plan, computed in memory and sent to the database in bulk.

    Each method mirrors one service call (incidents.open_incident, post_update,
    maintenance.schedule_maintenance, the scheduler's reminder, start and complete), including
    the audit entries its flushes write and the page-version bumps they make.
    """

    def __init__(self, components: list[Component], plan: Plan, tz: ZoneInfo) -> None:
        self.plan = plan
        self.tz = tz
        self.ids = [c.id for c in components]
        self.status = [c.status for c in components]
        self.since = [c.status_since for c in components]
        self.updated = [c.updated_at for c in components]
        self.version = [c.version for c in components]
        self.public = [component_visible(c, Audience.PUBLIC) for c in components]
        self.affecting: list[set[str]] = [set() for _ in components]
        self.notices: dict[str, _Notice] = {}
        self.days: dict[tuple[int, date], list[int]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {
            name: [] for name in ("update", "change", "status", "event", "audit")
        }
        self.bumps = 0
        self.last_now: datetime | None = None
        self.html: dict[str, str] = {}

    # -- what one flush of a service writes

    def _add_audit(
        self,
        now: datetime,
        actor: Actor,
        action: str,
        operation: str,
        object_type: str,
        object_id: str,
        label: str,
        changes: dict[str, Any],
    ) -> None:
        self.rows["audit"].append(
            {
                "at": now, "actor_id": actor.user_id, "actor_label": actor.label,
                "via": actor.via.value, "ip": actor.ip, "action": action,
                "operation": operation, "object_type": object_type, "object_id": object_id,
                "object_label": label[:255], "changes": changes,
            }
        )  # fmt: skip

    def _describe_created(self, model: type, row: dict[str, Any]) -> dict[str, list[Any]]:
        return {key: [None, audit_value(row.get(key))] for key in _list_audited_keys(model)}

    def _add_notice(self, model: type, now: datetime, actor: Actor, action: str,
                    **values: Any) -> _Notice:  # fmt: skip
        row = {key: None for key in _map_columns(Maintenance)}
        row.update(id=new_id(), type=sa.inspect(model).polymorphic_identity, created_at=now,
                   updated_at=now, created_by_id=actor.user_id, version=1, **values)  # fmt: skip
        notice = _Notice(model, row)
        self.notices[notice.id] = notice
        self._add_audit(now, actor, action, "created", model.__name__, notice.id, row["name"],
                        self._describe_created(model, row))  # fmt: skip
        return notice

    def _add_update(
        self, notice: _Notice, *, status: str, body: str, deliver: bool, at: datetime,
        now: datetime, actor: Actor, action: str,
    ) -> dict[str, Any]:  # fmt: skip
        """timeline.new_update and the service's flush that inserts it."""
        if body not in self.html:
            self.html[body] = render_markdown(body)
        update = {
            "id": new_id(), "notice_id": notice.id, "kind": UpdateKind.UPDATE,
            "status_value": status, "body": body, "body_html": self.html[body],
            "visibility": notice.row["visibility"], "display_at": at, "published_at": None,
            "created_at": now, "updated_at": now, "author_id": actor.user_id,
            "deliver_notifications": deliver, "impact": None,
        }  # fmt: skip
        self._add_audit(now, actor, action, "created", "IncidentUpdate", update["id"], "",
                        self._describe_created(IncidentUpdate, update))  # fmt: skip
        self.rows["update"].append(update)
        self.bumps += 1
        return update

    def _find_claimed_status(self, component: int) -> ComponentStatus:
        """component_status.claimed_status: the worst claim of the open notices."""
        return ComponentStatus.worst(
            self.notices[n].links[component]
            for n in self.affecting[component]
            if self.notices[n].is_open
        )

    def _settle(self, component: int, *, at: datetime, now: datetime, actor: Actor,
                action: str, notice: _Notice, update: dict[str, Any]) -> None:  # fmt: skip
        """component_status.settle_component and record_status_change."""
        new = self._find_claimed_status(component)
        old = self.status[component]
        if new is old:
            return
        since = self.since[component]
        at = max(at, since)
        cause = StatusCause.INCIDENT if notice.model is Incident else StatusCause.MAINTENANCE
        self.rows["status"].append(
            {
                "component_id": self.ids[component], "old_status": old, "new_status": new,
                "at": at, "cause": cause, "notice_id": notice.id, "update_id": update["id"],
                "actor_id": actor.user_id, "actor_label": actor.label,
            }
        )  # fmt: skip
        self._record_interval(component, old, since, at)
        changes: dict[str, Any] = {"status": [old.value, new.value]}
        if at != since:
            changes["status_since"] = [audit_value(since), audit_value(at)]
        self._add_audit(now, actor, action, "updated", "Component", self.ids[component],
                        self.plan.components[component].name, changes)  # fmt: skip
        self.status[component], self.since[component] = new, at
        self.updated[component] = at
        self.version[component] += 1
        self.bumps += 1  # each settled component's row goes out in a flush of its own

    def _record_interval(
        self, component: int, status: ComponentStatus, start: datetime, end: datetime
    ) -> None:
        """uptime.record_interval, kept in memory: each day row is written once, at the end."""
        position = DAY_SLOTS.get(status)
        if position is None or end <= start:
            return
        for day, seconds in split_by_day(start, end, self.tz):
            self.days.setdefault((component, day), [0, 0, 0, 0])[position] += seconds

    def _publish(
        self, notice: _Notice, update: dict[str, Any], claims: dict[int, ComponentStatus], *,
        changes: dict[str, list[Any]], fresh: bool, at: datetime, now: datetime,
        actor: Actor, action: str,
    ) -> None:  # fmt: skip
        """timeline.apply_update after the notice's status moved (*changes*, already set)."""
        update["published_at"] = at
        # The flush holding published_at and the notice's own fields.
        self._add_audit(now, actor, action, "updated", "IncidentUpdate", update["id"], "",
                        {"published_at": [None, audit_value(at)]})  # fmt: skip
        if changes:
            self._add_audit(now, actor, action, "updated", notice.model.__name__, notice.id,
                            notice.row["name"], changes)  # fmt: skip
        self.bumps += 1
        if fresh or changes:
            notice.row["version"] += 1  # a new row's first UPDATE, or its status fields
        closing = notice.row["status_value"] in CLOSED_STATUSES
        before = dict(notice.links)
        for component, status in claims.items():
            notice.links[component] = status
            self.affecting[component].add(notice.id)
        if closing:
            notice.links = dict.fromkeys(notice.links, S.OPERATIONAL)
        links_changed = False
        for component, status in notice.links.items():
            link_id = f"{notice.id}/{self.ids[component]}"
            if component not in before:
                created = {"notice_id": [None, notice.id],
                           "component_id": [None, self.ids[component]],
                           "status": [None, status.value]}  # fmt: skip
                self._add_audit(now, actor, action, "created", "NoticeComponent", link_id, "",
                                created)  # fmt: skip
                links_changed = True
            elif before[component] is not status:
                self._add_audit(now, actor, action, "updated", "NoticeComponent", link_id, "",
                                {"status": [before[component].value, status.value]})  # fmt: skip
                links_changed = True
        self.bumps += links_changed
        for component in notice.links:
            old = self.status[component]
            if component in claims or closing:
                self._settle(component, at=at, now=now, actor=actor, action=action,
                             notice=notice, update=update)  # fmt: skip
            self.rows["change"].append(
                {"update_id": update["id"], "component_id": self.ids[component],
                 "old_status": old, "new_status": self.status[component]}
            )  # fmt: skip
        if closing:
            for component in notice.links:
                self.affecting[component].discard(notice.id)
        if notice.row["updated_at"] != at:
            notice.row["updated_at"] = at
            notice.row["version"] += 1
        if update["deliver_notifications"] and sees(Audience.PUBLIC, notice.row["visibility"]):
            self._add_event(f"update:{update['id']}", notice, update["id"], now)
        self.last_now = now

    def _add_event(self, key: str, notice: _Notice, update_id: str | None, now: datetime) -> None:
        """notifications._record: what subscribers will hear of."""
        self.rows["event"].append(
            {"key": key, "notice_id": notice.id, "update_id": update_id,
             "component_ids": [self.ids[c] for c in notice.links if self.public[c]],
             "created_at": now, "fanned_out_at": None, "recipients": 0}
        )  # fmt: skip

    # -- the service calls

    def open_incident(self, incident: PlannedIncident, actor: Actor) -> _Notice:
        first = incident.updates[0]
        now, action = first.at, "open_incident"
        notice = self._add_notice(
            Incident, now, actor, action, name=incident.name, status_value=first.status.value,
            impact=incident.impact, visibility=incident.visibility, started_at=now,
        )  # fmt: skip
        update = self._add_update(
            notice, status=first.status.value, body=first.body, deliver=False, at=now, now=now,
            actor=actor, action=action,
        )  # fmt: skip
        self._publish(notice, update, first.claims, changes={}, fresh=True, at=now, now=now,
                      actor=actor, action=action)  # fmt: skip
        return notice

    def post_update(self, notice: _Notice, planned: PlannedUpdate, actor: Actor) -> None:
        now, action, row = planned.at, "post_incident_update", notice.row
        update = self._add_update(
            notice, status=planned.status.value, body=planned.body, deliver=False, at=now,
            now=now, actor=actor, action=action,
        )  # fmt: skip
        changes: dict[str, list[Any]] = {}
        new = planned.status
        if new.value != row["status_value"]:
            changes["status_value"] = [row["status_value"], new.value]
        if new is IncidentStatus.MONITORING and row["status_value"] != new.value:
            changes["monitoring_at"] = [
                audit_value(row["monitoring_at"]),
                audit_value(now),
            ]
            row["monitoring_at"] = now
        resolved_at = now if new is IncidentStatus.RESOLVED else None
        if resolved_at != row["resolved_at"]:
            changes["resolved_at"] = [
                audit_value(row["resolved_at"]),
                audit_value(resolved_at),
            ]
            row["resolved_at"] = resolved_at
        row["status_value"] = new.value
        self._publish(notice, update, planned.claims, changes=changes, fresh=False, at=now,
                      now=now, actor=actor, action=action)  # fmt: skip

    def schedule_window(self, window: PlannedWindow, actor: Actor) -> _Notice:
        now, action = window.announced_at, "schedule_maintenance"
        notice = self._add_notice(
            Maintenance, now, actor, action, name=window.name,
            status_value=MaintenanceStatus.SCHEDULED.value, impact=Impact.NONE,
            visibility=window.visibility, started_at=window.starts_at,
            scheduled_for=window.starts_at, scheduled_until=window.ends_at, auto_start=True,
            auto_complete=True, remind_minutes=REMIND_MINUTES, start_message=DEFAULT_START_MESSAGE,
            complete_message=DEFAULT_COMPLETE_MESSAGE, sequence=0, detached=False,
        )  # fmt: skip
        update = self._add_update(notice, status=MaintenanceStatus.SCHEDULED.value,
                                  body=window.body, deliver=True, at=now, now=now, actor=actor,
                                  action=action)  # fmt: skip
        claims = dict.fromkeys(window.components, S.UNDER_MAINTENANCE)
        self._publish(notice, update, claims, changes={}, fresh=True, at=now, now=now,
                      actor=actor, action=action)  # fmt: skip
        return notice

    def remind_window(self, notice: _Notice, now: datetime, actor: Actor) -> None:
        """maintenance.mark_reminded, on time (not stale)."""
        notice.row.update(reminded_at=now, reminder_skipped=False)
        notice.row["version"] += 1
        changes = {"reminded_at": [None, audit_value(now)], "reminder_skipped": [None, False]}
        self._add_audit(now, actor, "remind_maintenance", "updated", "Maintenance", notice.id,
                        notice.row["name"], changes)  # fmt: skip
        self.bumps += 1
        if sees(Audience.PUBLIC, notice.row["visibility"]):
            stamp = int(notice.row["scheduled_for"].timestamp())
            self._add_event(f"reminder:{notice.id}:{stamp}", notice, None, now)
        self.last_now = now

    def move_window(self, notice: _Notice, status: MaintenanceStatus, now: datetime,
                    actor: Actor) -> None:  # fmt: skip
        """maintenance.start_maintenance / complete_maintenance, stamped with the planned time."""
        row = notice.row
        starting = status is MaintenanceStatus.IN_PROGRESS
        action = "start_maintenance" if starting else "complete_maintenance"
        body = row["start_message"] if starting else row["complete_message"]
        update = self._add_update(notice, status=status.value, body=body, deliver=True, at=now,
                                  now=now, actor=actor, action=action)  # fmt: skip
        changes: dict[str, list[Any]] = {"status_value": [row["status_value"], status.value]}
        if not starting:
            changes["resolved_at"] = [None, audit_value(now)]
            row["resolved_at"] = now
        row["status_value"] = status.value
        claims = dict.fromkeys(notice.links, S.UNDER_MAINTENANCE) if starting else {}
        self._publish(notice, update, claims, changes=changes, fresh=False, at=now, now=now,
                      actor=actor, action=action)  # fmt: skip
        # The window's sequence goes out with the commit, a flush (and an entry) of its own.
        self._add_audit(now, actor, action, "updated", "Maintenance", notice.id, row["name"],
                        {"sequence": [row["sequence"], row["sequence"] + 1]})  # fmt: skip
        row["sequence"] += 1
        row["version"] += 1
        self.bumps += 1

    # -- writing

    def write_rows(self) -> None:
        """Send what is buffered; notices first (the other rows point at them)."""
        notice_columns = _map_columns(Maintenance)
        table = Notice.__table__
        fresh = [n for n in self.notices.values() if not n.in_database]
        known = [n for n in self.notices.values() if n.in_database]
        if fresh:
            db.session.execute(
                sa.insert(table),
                [{notice_columns[k]: v for k, v in n.row.items()} for n in fresh],
            )
        if known:
            bind = {k: sa.bindparam(f"v_{k}") for k in notice_columns if k != "id"}
            db.session.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("v_id"))
                .values({notice_columns[k]: param for k, param in bind.items()}),
                [{f"v_{k}": v for k, v in n.row.items()} for n in known],
            )
        links = NoticeComponent.__table__
        new_links, old_links = [], []
        for notice in self.notices.values():
            notice.in_database = True
            for component, status in notice.links.items():
                values = {"notice_id": notice.id, "component_id": self.ids[component],
                          "status": status}  # fmt: skip
                (old_links if component in notice.written else new_links).append(values)
                notice.written.add(component)
        if new_links:
            db.session.execute(sa.insert(links), new_links)
        if old_links:
            db.session.execute(
                sa.update(links)
                .where(links.c.notice_id == sa.bindparam("n"))
                .where(links.c.component_id == sa.bindparam("c"))
                .values(status=sa.bindparam("s")),
                [{"n": v["notice_id"], "c": v["component_id"], "s": v["status"]}
                 for v in old_links],
            )  # fmt: skip
        update_columns = _map_columns(IncidentUpdate)
        for name, target, rename in (
            ("update", IncidentUpdate.__table__, update_columns),
            ("change", UpdateComponentChange.__table__, None),
            ("status", ComponentStatusChange.__table__, None),
            ("event", NotificationEvent.__table__, None),
            ("audit", AuditEntry.__table__, None),
        ):
            rows = self.rows[name]
            if rows and rename:
                rows = [{rename[k]: v for k, v in row.items()} for row in rows]
            if rows:
                db.session.execute(sa.insert(target), rows)
            self.rows[name] = []
        # A closed notice will not change again: forget it.
        self.notices = {
            key: notice
            for key, notice in self.notices.items()
            if notice.row["status_value"] not in CLOSED_STATUSES
        }
        db.session.commit()

    def finish_writing(self) -> None:
        """Write what only the end knows: day rows, final component states, the page version."""
        self.write_rows()
        day_rows = [
            {
                "component_id": self.ids[component],
                "day": day,
                **dict(zip(DAY_COLUMNS.values(), seconds, strict=True)),
            }
            for (component, day), seconds in self.days.items()
        ]
        for start in range(0, len(day_rows), FLUSH_ROWS):
            db.session.execute(sa.insert(ComponentDay), day_rows[start : start + FLUSH_ROWS])
        table = Component.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("v_id"))
            .values(status=sa.bindparam("v_status"), status_since=sa.bindparam("v_since"),
                    updated_at=sa.bindparam("v_updated"), version=sa.bindparam("v_version")),
            [{"v_id": self.ids[i], "v_status": self.status[i], "v_since": self.since[i],
              "v_updated": self.updated[i], "v_version": self.version[i]}
             for i in range(len(self.ids))],
        )  # fmt: skip
        if self.bumps and self.last_now is not None:
            db.session.execute(
                sa.update(PageState)
                .where(PageState.id == 1)
                .values(version=PageState.version + self.bumps, changed_at=self.last_now)
            )
        db.session.commit()
        db.session.expire_all()

    def count_buffered(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def _write_history_in_bulk(plan: Plan, made: list[Component], actor: Actor, echo: Echo) -> None:
    """The same writes as _write_history_with_services, replayed in memory, sent in bulk."""
    from statuspage.services.site.settings import get_site_settings

    replay = _Replay(made, plan, get_site_settings().tz)
    notices: dict[tuple[str, int], _Notice] = {}
    steps = plan.build_steps()
    done = 0
    report_every = max(1, len(plan.incidents) // 10)
    for at, _, kind, index, number in steps:
        if kind == "incident":
            incident = plan.incidents[index]
            if number == 0:
                notices[("incident", index)] = replay.open_incident(incident, actor)
            else:
                notice = notices[("incident", index)]
                replay.post_update(notice, incident.updates[number], actor)
                if number == len(incident.updates) - 1 and not notice.is_open:
                    del notices[("incident", index)]
                    done += 1
                    if done % report_every == 0:
                        echo(f"  {done:,} incidents ({at:%Y-%m-%d})")
        elif kind == "schedule":
            notices[("window", index)] = replay.schedule_window(plan.windows[index], actor)
        elif kind == "remind":
            replay.remind_window(notices[("window", index)], at, SCHEDULER)
        elif kind == "start":
            replay.move_window(
                notices[("window", index)], MaintenanceStatus.IN_PROGRESS, at, SCHEDULER
            )
        else:
            replay.move_window(
                notices.pop(("window", index)), MaintenanceStatus.COMPLETED, at, SCHEDULER
            )
        if replay.count_buffered() >= FLUSH_ROWS:
            replay.write_rows()
    replay.finish_writing()
