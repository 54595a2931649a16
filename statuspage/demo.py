"""Demo data: a believable page with groups, components, months of incidents and their history.

Everything is written through the services with explicit times, in chronological order, so
the status history, the uptime aggregates and the audit log are exactly what real use makes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Urgency,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import Component, Incident, Notice
from statuspage.services.components import tree as component_service
from statuspage.services.notices import due_work, maintenance, recurrence, timeline
from statuspage.services.notices import incidents as incident_service
from statuspage.services.response import templates as template_service
from statuspage.services.review import postmortems
from statuspage.services.site.settings import get_site_settings
from statuspage.services.unit import CLI, Actor
from statuspage.visibility import notice_visible_clause

S = ComponentStatus

#: (group, description, [(component, description)]).
GROUPS: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    (
        "Core platform",
        "The public API, dashboard and sign-in.",
        [
            ("API", "REST and GraphQL endpoints at api.acme.example."),
            ("Web dashboard", "The browser app at app.acme.example."),
            ("Authentication", "Sign-in, SSO and API keys."),
            ("Webhooks", "Outgoing event deliveries to your endpoints."),
        ],
    ),
    (
        "Data",
        "Where your data lives.",
        [
            ("Databases", "Managed PostgreSQL and MySQL clusters."),
            ("Object storage", "S3-compatible buckets."),
            ("Search", None),
        ],
    ),
    (
        "Regions",
        "Compute capacity by region.",
        [
            ("US East", "Virginia"),
            ("US West", "Oregon"),
            ("EU Central", "Frankfurt"),
            ("Asia Pacific", "Singapore"),
        ],
    ),
]
#: (component, description, only shown when degraded).
TOP_LEVEL = [
    ("Email delivery", "Transactional email sent on your behalf.", False),
    ("CDN", "Static asset delivery at the edge.", True),
]
INTERNAL_GROUP = ("Internal tools", "Staff-only systems.", ["Build pipeline", "Support desk"])

SCENARIOS = [
    (
        "Elevated API error rates",
        ["API"],
        S.PARTIAL_OUTAGE,
        Impact.MAJOR,
        "We are investigating elevated 5xx error rates on the API.",
        "A faulty configuration push to the API gateways has been identified. We are rolling it back.",
        "The rollback is complete and error rates are back to normal. We are monitoring.",
        "This incident has been resolved. Requests that failed during the window can be retried safely.",
    ),
    (
        "Slow dashboard loading",
        ["Web dashboard"],
        S.DEGRADED_PERFORMANCE,
        Impact.MINOR,
        "Some customers are seeing slow page loads in the dashboard. We are looking into it.",
        "Slow queries against the reporting database are the cause. We are adding an index.",
        "Page load times have recovered. We are monitoring.",
        "Dashboard performance has been normal for an hour. This incident is resolved.",
    ),
    (
        "Sign-in failures for SSO users",
        ["Authentication"],
        S.MAJOR_OUTAGE,
        Impact.CRITICAL,
        "Users signing in through SAML SSO receive an error. Password sign-in works.",
        "An expired signing certificate on our identity service is the cause. A new one is being deployed.",
        "The new certificate is live and SSO sign-ins succeed again. We are monitoring.",
        "SSO sign-in has been stable. This incident is resolved; sessions were not affected.",
    ),
    (
        "Delayed webhook deliveries",
        ["Webhooks"],
        S.DEGRADED_PERFORMANCE,
        Impact.MINOR,
        "Webhook deliveries are delayed by up to 15 minutes.",
        "A backlog built up after a queue node failed over. We have added workers to drain it.",
        "The backlog is drained and deliveries are on time. We are monitoring.",
        "Deliveries have been on time since the fix. All delayed events were delivered; none were lost.",
    ),
    (
        "Database connection errors in US East",
        ["Databases", "US East"],
        S.PARTIAL_OUTAGE,
        Impact.MAJOR,
        "Some managed databases in US East are refusing new connections.",
        "A storage controller in one availability zone failed. Affected clusters are failing over.",
        "All clusters have failed over to healthy storage. We are monitoring replication.",
        "Replication has caught up and connections are normal. This incident is resolved.",
    ),
    (
        "Object storage upload failures",
        ["Object storage"],
        S.PARTIAL_OUTAGE,
        Impact.MAJOR,
        "Uploads larger than 100 MB to object storage fail for some customers.",
        "A recent change to multipart upload limits is the cause. We are reverting it.",
        "The change is reverted and large uploads succeed. We are monitoring.",
        "Uploads have been succeeding normally. This incident is resolved.",
    ),
    (
        "Search results missing recent documents",
        ["Search"],
        S.DEGRADED_PERFORMANCE,
        Impact.MINOR,
        "Documents indexed in the last hour do not appear in search results.",
        "Indexing workers stalled after a deploy. They have been restarted and are catching up.",
        "Indexing has caught up. We are monitoring freshness.",
        "Search freshness is back to normal. This incident is resolved.",
    ),
    (
        "Increased latency in EU Central",
        ["EU Central"],
        S.DEGRADED_PERFORMANCE,
        Impact.MINOR,
        "We are seeing increased network latency for workloads in EU Central.",
        "An upstream transit provider is dropping packets. Traffic is being rerouted.",
        "Traffic is rerouted and latency is back to normal. We are monitoring.",
        "Latency has been normal since the reroute. This incident is resolved.",
    ),
    (
        "Outbound email delays",
        ["Email delivery"],
        S.DEGRADED_PERFORMANCE,
        Impact.MINOR,
        "Transactional emails are being delivered with delays of up to 30 minutes.",
        "One of our mail relays is being throttled by a large mailbox provider. We are shifting traffic.",
        "Traffic has been shifted and the queue is draining. We are monitoring.",
        "Email delivery times are back to normal. Every queued message was delivered.",
    ),
    (
        "Compute instances failing to start in Asia Pacific",
        ["Asia Pacific"],
        S.PARTIAL_OUTAGE,
        Impact.MAJOR,
        "New compute instances in Asia Pacific are stuck in the provisioning state.",
        "Capacity exhaustion on one instance family is the cause. We are adding capacity.",
        "New capacity is online and instances start normally. We are monitoring.",
        "Provisioning has been normal. This incident is resolved.",
    ),
    (
        "API unavailable",
        ["API", "Web dashboard"],
        S.MAJOR_OUTAGE,
        Impact.CRITICAL,
        "The API and dashboard are unavailable. We are investigating with the highest priority.",
        "A DNS change removed records for our load balancers. We are restoring them.",
        "DNS records are restored and traffic is flowing. Some resolvers may take a few minutes to update.",
        "The API and dashboard have been fully available for 30 minutes. A post-incident review will follow.",
    ),
    (
        "CDN serving stale assets",
        ["CDN"],
        S.DEGRADED_PERFORMANCE,
        Impact.MINOR,
        "Some edge locations are serving outdated static assets after purges.",
        "A purge propagation bug in two edge locations has been identified.",
        "A fix is deployed and purges propagate normally. We are monitoring.",
        "Purges have propagated correctly since the fix. This incident is resolved.",
    ),
]

OPEN_SCENARIO = (
    "Elevated error rates on the API",
    ["API"],
    S.PARTIAL_OUTAGE,
    Impact.MAJOR,
    "We are investigating elevated error rates on the API for a subset of requests.",
    "A bad configuration push to one API gateway pool is the cause. We are rolling it back.",
)


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    run: Callable[[], None]


def database_is_empty() -> bool:
    return not db.session.scalar(sa.select(sa.func.count()).select_from(Component)) and not (
        db.session.scalar(sa.select(sa.func.count()).select_from(Notice))
    )


def clear_database() -> None:
    """Remove every component, group and notice (--force): history goes with them."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name in {"user", "alembic_version"}:
            continue
        db.session.execute(table.delete())
    db.session.commit()


def seed_demo(
    *, now: datetime, actor: Actor = CLI, rng: random.Random | None = None
) -> dict[str, int]:
    """A believable status page: 3 groups, 13 public components, 2 internal ones, 30 resolved
    incidents over the last 120 days with their timelines, 2 internal incidents, 1 open one."""
    rng = rng or random.Random(20261122)
    created = now - timedelta(days=400)
    by_name = _create_components(actor, created)
    # A database built without the migrations (the demo's, the tests') lacks their seed rows.
    template_service.ensure_default_templates(actor=actor, now=created)
    steps: list[Step] = []
    counter = iter(range(1_000_000))
    day_offsets = sorted(rng.sample(range(2, 120), 30), reverse=True)
    for index, days_ago in enumerate(day_offsets):
        scenario = SCENARIOS[index % len(SCENARIOS)]
        start = now - timedelta(days=days_ago, hours=rng.randint(0, 20), minutes=rng.randint(0, 59))
        steps.extend(_incident_steps(scenario, start, by_name, rng, actor, counter))
    for days_ago, name in ((9, "Build pipeline"), (33, "Support desk")):
        start = now - timedelta(days=days_ago, hours=3)
        steps.extend(_internal_steps(name, start, by_name, actor, counter))
    steps.extend(_maintenance_steps(now, by_name, actor, counter))
    steps.sort()
    for step in steps:
        step.run()
    _open_incident(now, by_name, actor)
    _upcoming_maintenance(now, by_name, actor)
    _review_oldest_incident(now, actor)
    return {
        "components": len(by_name),
        "incidents": db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) or 0,
    }


def _create_components(actor: Actor, created: datetime) -> dict[str, Component]:
    by_name: dict[str, Component] = {}
    for name, description, members in GROUPS:
        group = component_service.create_group(
            name=name, description=description, actor=actor, now=created
        )
        for child, child_description in members:
            start = (
                date(2024, 3, 1)
                if child != "Asia Pacific"
                else created.date() + timedelta(days=340)
            )
            by_name[child] = component_service.create_component(
                name=child,
                group=group,
                description=child_description,
                start_date=start,
                actor=actor,
                now=created,
            )
    for name, description, only_if_degraded in TOP_LEVEL:
        by_name[name] = component_service.create_component(
            name=name,
            description=description,
            start_date=date(2024, 3, 1),
            showcase=not only_if_degraded,
            only_show_if_degraded=only_if_degraded,
            actor=actor,
            now=created,
        )
    name, description, internal = INTERNAL_GROUP
    group = component_service.create_group(
        name=name, description=description, visibility=Visibility.INTERNAL, actor=actor, now=created
    )
    for child in internal:
        by_name[child] = component_service.create_component(
            name=child, group=group, start_date=date(2024, 3, 1), actor=actor, now=created
        )
    return by_name


def _incident_steps(
    scenario: tuple,
    start: datetime,
    by_name: dict[str, Component],
    rng: random.Random,
    actor: Actor,
    counter: Iterator[int],
) -> list[Step]:
    name, component_names, status, impact, opening, identified, monitoring, resolved = scenario
    components = [by_name[c] for c in component_names]
    holder: dict[str, Incident] = {}
    t_identified = start + timedelta(minutes=rng.randint(8, 45))
    t_monitoring = t_identified + timedelta(minutes=rng.randint(10, 120))
    t_resolved = t_monitoring + timedelta(minutes=rng.randint(20, 180))
    recovering = S.DEGRADED_PERFORMANCE if status.is_outage else S.OPERATIONAL

    def open_() -> None:
        holder["incident"] = incident_service.open_incident(
            name=name,
            body=opening,
            impact=impact,
            components={c: status for c in components},
            actor=actor,
            now=start,
        )

    def identify() -> None:
        incident_service.post_update(
            holder["incident"],
            status=IncidentStatus.IDENTIFIED,
            body=identified,
            actor=actor,
            now=t_identified,
        )

    def monitor() -> None:
        incident_service.post_update(
            holder["incident"],
            status=IncidentStatus.MONITORING,
            body=monitoring,
            components={c: recovering for c in components},
            actor=actor,
            now=t_monitoring,
        )

    def resolve() -> None:
        incident_service.resolve_incident(
            holder["incident"],
            body=resolved,
            actor=actor,
            now=t_resolved,
        )

    return [
        Step(start, next(counter), open_),
        Step(t_identified, next(counter), identify),
        Step(t_monitoring, next(counter), monitor),
        Step(t_resolved, next(counter), resolve),
    ]


def _internal_steps(
    component_name: str,
    start: datetime,
    by_name: dict[str, Component],
    actor: Actor,
    counter: Iterator[int],
) -> list[Step]:
    holder: dict[str, Incident] = {}
    component = by_name[component_name]

    def open_() -> None:
        holder["incident"] = incident_service.open_incident(
            name=f"{component_name} outage",
            impact=Impact.MAJOR,
            visibility=Visibility.INTERNAL,
            body=f"{component_name} is down for staff. Customers are not affected.",
            components={component: S.MAJOR_OUTAGE},
            deliver_notifications=False,
            actor=actor,
            now=start,
        )
        timeline.add_note(
            holder["incident"],
            body="Paged the on-call engineer; the host ran out of disk.",
            actor=actor,
            now=start + timedelta(minutes=5),
        )

    def resolve() -> None:
        incident_service.resolve_incident(
            holder["incident"],
            body="Disk space freed and alerting added.",
            deliver_notifications=False,
            actor=actor,
            now=start + timedelta(hours=1, minutes=10),
        )

    return [
        Step(start, next(counter), open_),
        Step(start + timedelta(hours=1, minutes=10), next(counter), resolve),
    ]


def _maintenance_steps(
    now: datetime, by_name: dict[str, Component], actor: Actor, counter: Iterator[int]
) -> list[Step]:
    """Two windows that already happened, applied by the scheduler at their planned times."""
    steps = []
    for days_ago, name, components in (
        (10, "Database engine upgrade", ["Databases"]),
        (45, "Network maintenance in EU Central", ["EU Central"]),
    ):
        start = (now - timedelta(days=days_ago)).replace(hour=2, minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=2)

        def schedule(
            start: datetime = start,
            end: datetime = end,
            name: str = name,
            components: list[str] = components,
        ) -> None:
            maintenance.schedule_maintenance(
                name=name,
                body=f"{name}: expect brief interruptions during the window.",
                scheduled_for=start,
                scheduled_until=end,
                components=[by_name[c] for c in components],
                remind_minutes=60,
                actor=actor,
                now=start - timedelta(days=3),
            )

        def run_scheduler(end: datetime = end) -> None:
            due_work.run_due_work(now=end + timedelta(seconds=30))

        steps.append(Step(start - timedelta(days=3), next(counter), schedule))
        steps.append(Step(end + timedelta(seconds=30), next(counter), run_scheduler))
    return steps


def _upcoming_maintenance(now: datetime, by_name: dict[str, Component], actor: Actor) -> None:
    """A window in three days, and a weekly one that the scheduler keeps topped up."""
    start = (now + timedelta(days=3)).replace(hour=21, minute=0, second=0, microsecond=0)
    maintenance.schedule_maintenance(
        name="Object storage capacity expansion",
        body="We are adding storage nodes. Uploads may be slower for a few minutes.",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1, minutes=30),
        components=[by_name["Object storage"]],
        actor=actor,
        now=now - timedelta(hours=5),
    )
    create_weekly_patching(by_name["Web dashboard"], actor=actor, now=now)


def create_weekly_patching(component: Component, *, actor: Actor, now: datetime) -> None:
    """A weekly window on Sunday nights that the scheduler keeps topped up."""
    first = (now + timedelta(days=(6 - now.weekday()) % 7 or 7)).replace(
        hour=3, minute=0, second=0, microsecond=0, tzinfo=None
    )
    recurrence.create_recurrence(
        name="Weekly security patching",
        body="Rolling security updates of our hosts.",
        rule="FREQ=WEEKLY;BYDAY=SU",
        first_start=first,
        timezone=get_site_settings().timezone,
        duration_minutes=60,
        components=[component],
        visibility=Visibility.PUBLIC,
        auto_start=True,
        auto_complete=True,
        remind_minutes=60,
        start_message="",
        complete_message="",
        actor=actor,
        now=now,
    )


def _review_oldest_incident(now: datetime, actor: Actor) -> None:
    """The oldest public incident has had its review: a postmortem from the default template,
    its staff-side timeline entries removed, published without mailing anyone."""
    oldest = db.session.scalars(
        sa.select(Incident)
        .where(notice_visible_clause(Audience.PUBLIC, Incident), Incident.resolved_at.is_not(None))
        .order_by(Incident.started_at)
    ).first()
    if oldest is None:
        return
    reviewed = (oldest.resolved_at or now) + timedelta(days=2)
    # The editor removed the staff-side entries of the template's timeline before publishing.
    template = postmortems.default_postmortem_body(oldest).splitlines()
    body = "\n".join(line for line in template if "*(staff only)*" not in line)
    postmortems.save_postmortem(oldest, body=body, actor=actor, now=reviewed)
    postmortems.publish_postmortem(oldest, notify=False, actor=actor, now=reviewed)


def _open_incident(now: datetime, by_name: dict[str, Component], actor: Actor) -> None:
    name, component_names, status, impact, opening, identified = OPEN_SCENARIO
    components = {by_name[c]: status for c in component_names}
    started = now - timedelta(minutes=42)
    incident = incident_service.open_incident(
        name=name,
        body=opening,
        impact=impact,
        urgency=Urgency.HIGH,
        components=components,
        actor=actor,
        now=started,
    )
    incident_service.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body=identified,
        actor=actor,
        now=now - timedelta(minutes=17),
    )
