"""A richly seeded page: groups, every component status, maintenance in every state, open and
resolved incidents, and internal things that must never show."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus as S
from statuspage.enums import Impact, IncidentStatus, MaintenanceStatus, Visibility
from statuspage.services.components import tree as components
from statuspage.services.notices import incidents, maintenance, timeline
from statuspage.services.notices.due_work import run_due_work
from tests.conftest import ACTOR


@dataclass
class RichPage:
    ids: dict = field(default_factory=dict)
    secrets: list = field(default_factory=list)


@pytest.fixture
def rich_page(app) -> RichPage:
    return seed_rich_page()


def seed_rich_page() -> RichPage:
    """Seed the current app's database (inside an app context)."""
    now = utcnow()
    long_ago = now - timedelta(days=60)
    page = RichPage()
    core = components.create_group(
        name="Core", description="Core things", actor=ACTOR, now=long_ago
    )
    regions = components.create_group(name="Regions", actor=ACTOR, now=long_ago)
    hidden_group = components.create_group(
        name="Secret group", visibility=Visibility.INTERNAL, actor=ACTOR, now=long_ago
    )
    made = {}
    for name, group in [
        ("API", core),
        ("Web", core),
        ("Auth", core),
        ("EU", regions),
        ("US", regions),
        ("Asia", regions),
        ("CDN", None),
        ("Email", None),
    ]:
        made[name] = components.create_component(
            name=name,
            group=group,
            actor=ACTOR,
            now=long_ago,
            start_date=long_ago.date(),
            only_show_if_degraded=name == "Email",
        )
    made["Secret"] = components.create_component(
        name="Secret component", visibility=Visibility.INTERNAL, actor=ACTOR, now=long_ago
    )
    made["Hidden child"] = components.create_component(
        name="Hidden child", group=hidden_group, actor=ACTOR, now=long_ago
    )
    page.secrets += ["Secret group", "Secret component", "Hidden child"]

    t = now - timedelta(days=3)
    for status, name in [
        (S.DEGRADED_PERFORMANCE, "Web"),
        (S.PARTIAL_OUTAGE, "Auth"),
        (S.MAJOR_OUTAGE, "US"),
    ]:
        incidents.open_incident(
            name=f"{name} trouble",
            body=f"{name} is in trouble.",
            impact=Impact.MAJOR,
            status=IncidentStatus.IDENTIFIED,
            components={made[name]: status},
            actor=ACTOR,
            now=t,
        )
        t += timedelta(minutes=7)
    monitoring = incidents.open_incident(
        name="API errors",
        body="Errors on the API.",
        impact=Impact.CRITICAL,
        components={made["API"]: S.MAJOR_OUTAGE},
        actor=ACTOR,
        now=t,
    )
    incidents.post_update(
        monitoring,
        status=IncidentStatus.MONITORING,
        body="Fix deployed.",
        components={made["API"]: S.DEGRADED_PERFORMANCE},
        actor=ACTOR,
        now=t + timedelta(minutes=30),
    )
    incidents.post_update(
        monitoring,
        status=IncidentStatus.MONITORING,
        body="Internal detail",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=t + timedelta(minutes=31),
    )
    timeline.add_note(
        monitoring, body="Secret note text", actor=ACTOR, now=t + timedelta(minutes=32)
    )
    incidents.post_update(
        monitoring,
        status=IncidentStatus.RESOLVED,
        body="Future resolution text",
        publish_at=now + timedelta(days=1),
        actor=ACTOR,
        now=now,
    )
    page.secrets += ["Internal detail", "Secret note text", "Future resolution text"]
    page.ids["monitoring"] = monitoring.id
    for day in range(10, 16):
        old = incidents.open_incident(
            name=f"Old incident {day}",
            body="It broke.",
            impact=Impact.MINOR,
            components={made["EU"]: S.PARTIAL_OUTAGE},
            actor=ACTOR,
            now=now - timedelta(days=day),
        )
        incidents.resolve_incident(
            old, body="Fixed.", actor=ACTOR, now=now - timedelta(days=day, hours=-1)
        )
    page.ids["resolved"] = old.id
    secret = incidents.open_incident(
        name="Secret incident",
        body="Secret body",
        visibility=Visibility.INTERNAL,
        components={made["Secret"]: S.MAJOR_OUTAGE, made["Hidden child"]: S.MAJOR_OUTAGE},
        actor=ACTOR,
        now=now - timedelta(hours=1),
    )
    page.ids["secret_incident"] = secret.id
    page.secrets += ["Secret incident", "Secret body"]

    def window(name, start, hours, **kw):
        return maintenance.schedule_maintenance(
            name=name,
            body=f"{name} body.",
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=hours),
            actor=ACTOR,
            now=min(start, now) - timedelta(hours=1),
            **kw,
        )

    page.ids["scheduled"] = window(
        "Upcoming window", now + timedelta(days=2), 2, components=[made["CDN"]]
    ).id
    page.ids["far"] = window("Far window", now + timedelta(days=40), 1, components=[made["CDN"]]).id
    active = window("Active window", now - timedelta(minutes=30), 3, components=[made["Asia"]])
    verifying = window("Verifying window", now - timedelta(minutes=40), 3, components=[made["EU"]])
    done = window("Completed window", now - timedelta(days=5), 1, components=[made["EU"]])
    cancelled = window("Cancelled window", now + timedelta(days=1), 1, components=[made["CDN"]])
    hidden_window = window(
        "Secret window", now + timedelta(days=1), 1, visibility=Visibility.INTERNAL
    )
    page.secrets.append("Secret window")
    run_due_work(now=now)
    maintenance.post_maintenance_update(
        verifying, status=MaintenanceStatus.VERIFYING, body="Checking.", actor=ACTOR, now=now
    )
    maintenance.cancel_maintenance(cancelled, body="Not needed.", actor=ACTOR, now=now)
    page.ids.update(
        active=active.id,
        verifying=verifying.id,
        completed=done.id,
        cancelled=cancelled.id,
        secret_window=hidden_window.id,
    )
    page.ids["components"] = {name: c.id for name, c in made.items()}
    page.ids["groups"] = {g.name: g.id for g in (core, regions, hidden_group)}
    return page
