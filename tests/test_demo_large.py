"""The large demo data set (`flask demo seed --large`), at small scales.

Its history is written in bulk, so the proof that it is what the services would write is here:
one plan written both ways, every row compared (ids aside), in a time zone with a DST change.
"""

import functools
import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from statuspage import demo, demo_large
from statuspage.enums import ComponentStatus, IncidentStatus, Visibility
from statuspage.extensions import db
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
    UpdateComponentChange,
)
from statuspage.services.components.status import OPEN_STATUSES
from statuspage.services.components.uptime import rebuild_uptime

SMALL = {"components": 40, "incidents": 120, "days": 60}


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def quiet(message: str) -> None:
    """Progress lines are for people at a terminal."""


# ---- one plan, two writers -------------------------------------------------------------------


def canonical_ids() -> dict[str, str]:
    """Every random id -> a name that both writers give the same thing."""
    names: dict[str, str] = {}
    rows = lambda sql: db.session.execute(sa.text(sql)).all()  # noqa: E731
    groups = dict(rows("SELECT id, name FROM component_group"))
    names.update({ident: f"group {name}" for ident, name in groups.items()})
    for ident, name, group in rows("SELECT id, name, group_id FROM component"):
        names[ident] = f"component {groups.get(group)}/{name}"
    for ident, kind, name, created, started in rows(
        "SELECT id, type, name, created_at, started_at FROM notice"
    ):
        names[ident] = f"{kind} {name} {created} {started}"
    for ident, name in rows("SELECT id, name FROM maintenance_recurrence"):
        names[ident] = f"rule {name}"
    for ident, notice, created, status, kind in rows(
        "SELECT id, notice_id, created_at, status, kind FROM incident_update"
    ):
        names[ident] = f"update of {names[notice]} {created} {status} {kind}"
    assert len(set(names.values())) == len(names), "two rows share a canonical name"
    return names


def normalise(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"[a-z0-9]{12}", lambda m: names.get(m.group(), m.group()), value)
    if isinstance(value, list):  # component id lists: their order is the database's
        return sorted((normalise(v, names) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: normalise(v, names) for k, v in value.items()}
    return value


def dump_database() -> dict[str, list[str]]:
    """Every table's rows, ids replaced by canonical names, serial ids dropped (a component's
    status history keeps its order)."""
    names = canonical_ids()
    tables: dict[str, list[str]] = {}
    for table in db.metadata.sorted_tables:
        query = sa.select(table).order_by(*table.primary_key.columns)
        rows = [dict(row._mapping) for row in db.session.execute(query)]
        serial = "id" in table.c and isinstance(table.c.id.type, sa.Integer)
        position: dict[str, int] = {}
        for row in rows:
            if serial:
                row.pop("id")
            for key, value in row.items():
                if isinstance(value, str) and isinstance(table.c[key].type, sa.JSON):
                    value = json.loads(value)  # as SQLite may hand it back
                row[key] = normalise(value, names)
            if table.name == "component_status_change":
                component = row["component_id"]
                row["position"] = position[component] = position.get(component, -1) + 1
        tables[table.name] = sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)
    return tables


@pytest.mark.config(TIMEZONE="Europe/Berlin")
@pytest.mark.parametrize(
    "scale",
    [
        # Few components, many incidents: overlapping claims, and windows over faults.
        {"components": 12, "incidents": 160, "days": 30, "maintenance": 4, "seed": 7},
        # Five regions, two launched late; an internal group; the DST change of 25 Oct.
        {"components": 90, "incidents": 150, "days": 120, "maintenance": 12, "seed": 11},
    ],
)
def test_bulk_history_is_exactly_what_the_services_write(app, now, scale):
    now = now + timedelta(seconds=17, microseconds=250)
    counts = demo_large.seed_large(now=now, echo=quiet, bulk=False, open_incidents=3, **scale)
    by_services = dump_database()
    demo.clear_database()
    assert demo_large.seed_large(now=now, echo=quiet, open_incidents=3, **scale) == counts
    in_bulk = dump_database()
    assert in_bulk.keys() == by_services.keys()
    for table, rows in by_services.items():
        assert in_bulk[table] == rows, f"{table} differs"
    assert len(in_bulk["component_status_change"]) > scale["incidents"]
    assert len(in_bulk["audit_entry"]) > 10 * scale["incidents"]


# ---- the data set ----------------------------------------------------------------------------


def test_the_default_plan_is_the_large_page():
    plan = demo_large.plan_large(
        now=datetime(2026, 11, 12, tzinfo=UTC), components=500, incidents=20_000, days=730,
        open_incidents=5, maintenance=104, rng=random.Random(20261122),
    )  # fmt: skip
    assert len(plan.components) == 500 and len(plan.groups) == 25
    assert sum(c.group is None for c in plan.components) == 5
    internal = [c for c in plan.components if c.visibility is Visibility.INTERNAL]
    assert 10 <= len(internal) <= 50
    assert sum(c.showcase for c in plan.components) > 400
    assert len(plan.incidents) == 20_000
    lengths = [len(i.updates) for i in plan.incidents]
    still_open = [i for i in plan.incidents if i.updates[-1].status is not IncidentStatus.RESOLVED]
    assert len(still_open) == 5 and set(lengths[:-5]) == {2, 3, 4}
    first = min(i.updates[0].at for i in plan.incidents)
    assert first < datetime(2024, 11, 20, tzinfo=UTC), "two years of history"
    assert len(plan.windows) > 90


@pytest.fixture
def small_large_page(app):
    now = datetime.now(UTC) - timedelta(minutes=1)
    return demo_large.seed_large(now=now, echo=quiet, **SMALL)


def test_the_seeded_history_is_consistent(app, small_large_page):
    assert small_large_page == {"components": 40, "incidents": 120}
    assert count(ComponentGroup) == 3 and count(Component, Component.group_id.is_(None)) == 1
    assert count(Incident, Incident.status_value != "resolved") == 5
    assert count(Maintenance, Maintenance.status_value == "completed") >= 6
    # The day rows are what the project's own rebuild computes from the status history.
    days = lambda: {  # noqa: E731
        (r.component_id, r.day): (r.degraded_seconds, r.partial_seconds, r.major_seconds,
                                  r.maintenance_seconds)
        for r in db.session.scalars(sa.select(ComponentDay))
    }  # fmt: skip
    stored = days()
    assert stored and rebuild_uptime() > 0
    assert days() == stored
    # Each status is the worst claim of the open notices, and the end of its own history.
    claims: dict[str, list[ComponentStatus]] = {}
    for component_id, status in db.session.execute(
        sa.select(NoticeComponent.component_id, NoticeComponent.status)
        .join(Notice)
        .where(Notice.status_value.in_(OPEN_STATUSES))
    ):
        claims.setdefault(component_id, []).append(status)
    faulty = 0
    for component in db.session.scalars(sa.select(Component)):
        assert component.status is ComponentStatus.worst(claims.get(component.id, []))
        history = db.session.scalars(
            sa.select(ComponentStatusChange)
            .where(ComponentStatusChange.component_id == component.id)
            .order_by(ComponentStatusChange.at, ComponentStatusChange.id)
        ).all()
        previous = ComponentStatus.OPERATIONAL
        for change in history:
            assert change.old_status is previous and change.new_status is not previous
            previous = change.new_status
        assert previous is component.status
        if history:
            assert component.status_since == history[-1].at
        faulty += component.status is not ComponentStatus.OPERATIONAL
    assert faulty >= 1, "the open incidents show on their components"
    # Timelines: 2-4 updates when resolved, every affected component on every update.
    for incident in db.session.scalars(sa.select(Incident)):
        updates = incident.published_updates
        assert (2 <= len(updates) <= 4) if incident.is_resolved else (1 <= len(updates) <= 3)
        assert updates[-1].status_value == "investigating"  # newest first
        affected = {link.component_id for link in incident.affected}
        for update in updates:
            assert {c.component_id for c in update.changes} == affected
    assert count(IncidentUpdate, IncidentUpdate.published_at.is_(None)) == 0
    assert count(UpdateComponentChange) >= count(IncidentUpdate) - count(Maintenance)
    assert count(AuditEntry, AuditEntry.action == "open_incident",
                 AuditEntry.object_type == "Incident") == 120  # fmt: skip


def test_the_public_pages_answer_on_the_large_page(app, client, small_large_page):
    for url in ("/", "/history", "/history.atom", "/api/v2/summary.json"):
        response = client.get(url)
        assert response.status_code == 200, url
    summary = client.get("/api/v2/summary.json").json
    public_open = count(
        Incident, Incident.status_value != "resolved", Incident.visibility == Visibility.PUBLIC
    )
    assert len(summary["incidents"]) == public_open
    assert len(summary["components"]) > 30
    assert "US East (Virginia)" in client.get("/").text


def test_seed_large_from_the_command_line(app, runner, client, monkeypatch):
    monkeypatch.setattr(demo_large, "seed_large", functools.partial(demo_large.seed_large, **SMALL))
    result = runner.invoke(args=["demo", "seed", "--large"])
    assert result.exit_code == 0, result.output
    assert "Seeded 40 components and 120 incidents." in result.output
    assert "Writing 120 incidents" in result.output
    assert count(Incident) == 120 and count(Component) == 40
    again = runner.invoke(args=["demo", "seed", "--large"])
    assert again.exit_code == 1 and "not empty" in again.output
    assert runner.invoke(args=["demo", "seed", "--large", "--if-empty"]).exit_code == 0
    assert count(Incident) == 120
    forced = runner.invoke(args=["demo", "seed", "--large", "--force"])
    assert forced.exit_code == 0, forced.output
    assert count(Incident) == 120 and count(Component) == 40
    assert client.get("/").status_code == 200
