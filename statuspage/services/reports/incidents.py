"""Incident statistics over a period: MTTA, MTTR, time to first public update, mean time
between incidents per component, SLA attainment, counts by priority, component and week
or month, and the recurring problems (those with the most of the period's incidents).
Computed from the stored history on every call (nothing is cached), in a fixed number of
queries whatever the number of incidents. docs/reports.md defines each figure."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.database import is_id
from statuspage.enums import Audience, ClockState, Priority, ProblemStatus, SlaTarget
from statuspage.extensions import db
from statuspage.limits import MAX_REPORT_COMPONENTS, MAX_REPORT_DAYS, RECURRING_PROBLEMS
from statuspage.models import Component, Incident, Notice, NoticeComponent, Problem
from statuspage.services.components.uptime import local_midnight
from statuspage.services.errors import InvalidInput
from statuspage.services.page.builders import visible_tree
from statuspage.services.response.clocks import incident_clocks, public_updates
from statuspage.services.response.policy import get_response_policy
from statuspage.services.site.settings import get_site_settings

E = TypeVar("E", bound=StrEnum)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Granularity(StrEnum):
    """How the counts over time are bucketed: ISO weeks (from Monday) or calendar months."""

    WEEK = "week"
    MONTH = "month"

    def bucket(self, day: date) -> date:
        """The first day of the week or month *day* falls in."""
        if self is Granularity.WEEK:
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    def label(self, first: date) -> str:
        """ "Week of 2 Mar 2026" or "March 2026"."""
        if self is Granularity.WEEK:
            return f"Week of {first.day} {first:%b %Y}"
        return f"{first:%B %Y}"


class Attainment(StrEnum):
    """Where one SLA target ended for one incident, as the report counts it."""

    MET = "met"
    BREACHED = "breached"
    NOT_APPLICABLE = "not_applicable"
    OPEN = "open"

    @classmethod
    def of(cls, state: ClockState) -> Attainment:
        """Met in time; breached (late, missed or overdue); not applicable; still running."""
        if state is ClockState.MET:
            return cls.MET
        if state.is_breached:
            return cls.BREACHED
        if state is ClockState.NOT_APPLICABLE:
            return cls.NOT_APPLICABLE
        return cls.OPEN

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ReportQuery:
    """The period (local days, both included), the components and the priority reported on."""

    first_day: date
    last_day: date
    component_ids: tuple[str, ...] = ()
    priority: Priority | None = None
    granularity: Granularity = Granularity.WEEK


def read_report_query(
    first: str | None,
    last: str | None,
    *,
    component_ids: Sequence[str] = (),
    priority: str | None = None,
    granularity: str | None = None,
    today: date,
) -> ReportQuery:
    """The query from text (YYYY-MM-DD days, P1-P4, week|month): InvalidInput naming the field.
    Without dates (None: a form's blank field is the view's to map), the last 30 days up to
    *today*."""
    last_day = _read_day(last, "to", today)
    first_day = _read_day(first, "from", last_day - timedelta(days=29))
    if first_day > last_day:
        raise InvalidInput("The period must not end before it starts.", field="from")
    if (last_day - first_day).days + 1 > MAX_REPORT_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_REPORT_DAYS} days.", field="from")
    if len(component_ids) > MAX_REPORT_COMPONENTS:
        raise InvalidInput(f"Choose at most {MAX_REPORT_COMPONENTS} components.", field="component")
    ids = tuple(dict.fromkeys(component_ids))
    shaped = [ident for ident in ids if is_id(ident)]
    known = set(db.session.scalars(sa.select(Component.id).where(Component.id.in_(shaped))))
    for ident in ids:
        if ident not in known:
            raise InvalidInput(f"No component with id {ident[:12]!r}.", field="component")
    return ReportQuery(
        first_day,
        last_day,
        ids,
        _read_choice(priority, Priority, "priority"),
        _read_choice(granularity, Granularity, "by") or Granularity.WEEK,
    )


def _read_day(text: str | None, name: str, default: date) -> date:
    if text is None:
        return default
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a date YYYY-MM-DD.", field=name) from None


def _read_choice(text: str | None, kind: type[E], name: str) -> E | None:
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        choices = ", ".join(e.value for e in kind)
        raise InvalidInput(f"{name} must be one of {choices}.", field=name) from None


@dataclass(frozen=True)
class Stats:
    """Mean, median and p90 of durations in whole seconds, over *count* incidents."""

    count: int
    mean: int | None = None
    median: int | None = None
    p90: int | None = None

    def as_json(self) -> dict[str, int | None]:
        return {"mean": self.mean, "median": self.median, "p90": self.p90}


def _round(value: float) -> int:
    """To the nearest whole second, halves up (so 2.5 s is 3 s)."""
    return math.floor(value + 0.5)


def summarise(values: Iterable[float]) -> Stats:
    """Mean, median (the middle value, or the mean of the two middle ones) and p90 by the
    nearest-rank method (the ceil(0.9 n)-th smallest value), of durations in seconds."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return Stats(0)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Stats(
        count=n,
        mean=_round(sum(ordered) / n),
        median=_round(median),
        p90=_round(ordered[math.ceil(0.9 * n) - 1]),
    )


@dataclass
class ComponentRow:
    component: Component
    count: int
    between: Stats


@dataclass
class BucketRow:
    """One week or month: incidents started in it, by priority and by component."""

    first_day: date
    label: str
    total: int
    by_priority: dict[Priority, int]
    by_component: dict[str, int]


@dataclass(frozen=True)
class RecurringProblem:
    """One problem and the report's incidents linked to it: how many, the first and last start."""

    id: str
    title: str
    status: ProblemStatus
    incidents: int
    first_started_at: datetime
    last_started_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "incidents": self.incidents,
            "first_started_at": _iso(self.first_started_at),
            "last_started_at": _iso(self.last_started_at),
        }


def _iso(moment: datetime) -> str:
    """UTC with a Z, to the second, as the API's other times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class IncidentReport:
    query: ReportQuery
    count: int
    acknowledge: Stats
    resolve: Stats
    first_update: Stats
    by_priority: dict[Priority, int]
    components: list[ComponentRow]
    #: target → priority → attainment → incidents
    sla: dict[SlaTarget, dict[Priority, dict[Attainment, int]]]
    buckets: list[BucketRow] = field(default_factory=list)
    recurring_problems: list[RecurringProblem] = field(default_factory=list)

    @property
    def shown_components(self) -> list[Component]:
        return [row.component for row in self.components]

    def as_json(self) -> dict[str, Any]:
        """The management API's `data` (docs/reports.md)."""
        return {
            "from": self.query.first_day.isoformat(),
            "to": self.query.last_day.isoformat(),
            "count": self.count,
            "mtta_seconds": self.acknowledge.as_json() | {"count": self.acknowledge.count},
            "mttr_seconds": self.resolve.as_json() | {"count": self.resolve.count},
            "first_update_seconds": self.first_update.as_json()
            | {"count": self.first_update.count},
            "sla": {
                target.value: {
                    priority.value: {a.value: n for a, n in tally.items()}
                    for priority, tally in row.items()
                }
                for target, row in self.sla.items()
            },
            "by_priority": {p.value: n for p, n in self.by_priority.items()},
            "by_component": {
                row.component.id: {
                    "name": row.component.name,
                    "count": row.count,
                    "mtbi_seconds": row.between.as_json() | {"count": row.between.count},
                }
                for row in self.components
            },
            "by_period": [
                {
                    "from": b.first_day.isoformat(),
                    "count": b.total,
                    "by_priority": {p.value: n for p, n in b.by_priority.items()},
                    "by_component": b.by_component,
                }
                for b in self.buckets
            ],
            "recurring_problems": [p.as_json() for p in self.recurring_problems],
        }


def select_report_incidents(query: ReportQuery, tz: ZoneInfo) -> list[Incident]:
    """The incidents (internal ones too) that started in the period, with the chosen
    components and priority, their timelines loaded: three queries however many there are."""
    statement = (
        sa.select(Incident)
        .where(
            Incident.started_at >= local_midnight(query.first_day, tz),
            Incident.started_at < local_midnight(query.last_day + timedelta(days=1), tz),
        )
        .options(selectinload(Notice.updates), selectinload(Notice.affected))
        .order_by(Incident.started_at, Incident.id)
    )
    if query.component_ids:
        statement = statement.where(
            Incident.id.in_(
                sa.select(NoticeComponent.notice_id).where(
                    NoticeComponent.component_id.in_(query.component_ids)
                )
            )
        )
    found = db.session.scalars(statement).all()
    return [i for i in found if query.priority is None or i.priority is query.priority]


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def build_incident_report(query: ReportQuery, *, now: datetime) -> IncidentReport:
    """Every figure of the incident report, from the stored history as of *now*."""
    tz = get_site_settings().tz
    incidents = select_report_incidents(query, tz)
    policy = get_response_policy()
    acknowledged = [
        _seconds(i.acknowledged_at, i.started_at) for i in incidents if i.acknowledged_at
    ]
    resolved = [
        _seconds(i.resolved_at, i.started_at) for i in incidents if i.is_resolved and i.resolved_at
    ]
    first_updates = []
    sla: dict[SlaTarget, dict[Priority, dict[Attainment, int]]] = {
        target: {p: dict.fromkeys(Attainment, 0) for p in Priority} for target in SlaTarget
    }
    for incident in incidents:
        published = public_updates(incident)
        if published:
            first_updates.append(max(0.0, _seconds(published[0], incident.started_at)))
        for clock in incident_clocks(incident, policy, now):
            sla[clock.target][incident.priority or Priority.P4][Attainment.of(clock.state)] += 1
    return IncidentReport(
        query=query,
        count=len(incidents),
        acknowledge=summarise(acknowledged),
        resolve=summarise(resolved),
        first_update=summarise(first_updates),
        by_priority=_by_priority(incidents),
        components=_component_rows(query, incidents),
        sla=sla,
        buckets=_buckets(query, incidents, tz),
        recurring_problems=recurring_problems(incidents),
    )


def recurring_problems(incidents: Sequence[Incident]) -> list[RecurringProblem]:
    """The problems with the most of these incidents (the report's: started in the period, with
    its components and priority), ties to the latest incident, then the title: one query for at
    most RECURRING_PROBLEMS problems, however many incidents there are."""
    starts: dict[str, list[datetime]] = defaultdict(list)
    for incident in incidents:
        if incident.problem_id is not None:
            starts[incident.problem_id].append(incident.started_at)
    if not starts:
        return []
    problems = db.session.scalars(sa.select(Problem).where(Problem.id.in_(starts))).all()
    rows = [
        RecurringProblem(
            p.id, p.title, p.status, len(starts[p.id]), min(starts[p.id]), max(starts[p.id])
        )
        for p in problems
    ]
    rows.sort(key=lambda r: (-r.incidents, -r.last_started_at.timestamp(), r.title, r.id))
    return rows[:RECURRING_PROBLEMS]


def _by_priority(incidents: Iterable[Incident]) -> dict[Priority, int]:
    counts = Counter(i.priority for i in incidents if i.priority is not None)
    return {p: counts.get(p, 0) for p in Priority}


def _affects(incident: Incident) -> set[str]:
    return {link.component_id for link in incident.affected}


def _report_components(query: ReportQuery, incidents: Sequence[Incident]) -> list[Component]:
    """The chosen components, or every live one, then archived ones the incidents affected."""
    _, live = visible_tree(Audience.INTERNAL)
    known = {c.id: c for c in live}
    for incident in incidents:
        for link in incident.affected:
            known.setdefault(link.component_id, link.component)
    ordered = [*live, *(c for i, c in known.items() if c not in live)]
    if query.component_ids:
        return [c for c in ordered if c.id in query.component_ids]
    return ordered


def _component_rows(query: ReportQuery, incidents: Sequence[Incident]) -> list[ComponentRow]:
    """Per component: incidents affecting it, and the time between their starts."""
    starts: dict[str, list[datetime]] = defaultdict(list)
    for incident in incidents:
        for component_id in _affects(incident):
            starts[component_id].append(incident.started_at)
    rows = []
    for component in _report_components(query, incidents):
        times = sorted(starts.get(component.id, []))
        gaps = [_seconds(b, a) for a, b in zip(times, times[1:], strict=False)]
        rows.append(ComponentRow(component, len(times), summarise(gaps)))
    return rows


def _buckets(query: ReportQuery, incidents: Sequence[Incident], tz: ZoneInfo) -> list[BucketRow]:
    """Every week or month of the period, quiet ones too, oldest first."""
    granularity = query.granularity
    rows: dict[date, BucketRow] = {}
    day = granularity.bucket(query.first_day)
    while day <= query.last_day:
        rows[day] = BucketRow(day, granularity.label(day), 0, dict.fromkeys(Priority, 0), {})
        day = _next_bucket(granularity, day)
    for incident in incidents:
        row = rows[granularity.bucket(incident.started_at.astimezone(tz).date())]
        row.total += 1
        if incident.priority is not None:
            row.by_priority[incident.priority] += 1
        for component_id in _affects(incident):
            if not query.component_ids or component_id in query.component_ids:
                row.by_component[component_id] = row.by_component.get(component_id, 0) + 1
    return list(rows.values())


def _next_bucket(granularity: Granularity, day: date) -> date:
    if granularity is Granularity.WEEK:
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
