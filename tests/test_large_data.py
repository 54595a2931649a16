"""The benchmark's large data set (bench/large_data.py), at a tiny scale, read back over HTTP."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bench.large_data import INTERNAL, INTERNAL_GROUP, seed_large_data
from statuspage.enums import Visibility
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, ComponentGroup, Incident, Maintenance
from statuspage.models.subscriber import Subscriber

TINY = {"components": 16, "incidents": 30, "days": 10, "subscribers": 6, "maintenance": 1}


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def tiny_large_page(app):
    now = datetime.now(UTC) - timedelta(minutes=1)
    return seed_large_data(now=now, echo=lambda line: None, **TINY)


def test_the_generator_writes_the_planned_page_through_the_services(app, tiny_large_page):
    assert tiny_large_page["components"] == 16 and tiny_large_page["incidents"] == 30
    assert tiny_large_page["subscribers"] == 6
    assert count(ComponentGroup) == 2
    assert count(ComponentGroup, ComponentGroup.visibility == Visibility.INTERNAL) == 1
    assert count(Incident, Incident.status_value != "resolved") == 5
    assert count(Maintenance) >= 2  # what is planned next, at least
    # Every write went through a unit of work, stamped with the time it was replayed at.
    first = db.session.scalar(sa.select(sa.func.min(Incident.created_at)))
    last = db.session.scalar(sa.select(sa.func.max(Incident.created_at)))
    assert last - first > timedelta(days=5)
    assert (
        count(AuditEntry, AuditEntry.object_type == "Incident", AuditEntry.operation == "created")
        == 30
    )
    stamps = db.session.scalars(
        sa.select(AuditEntry.at).where(
            AuditEntry.object_type == "Incident", AuditEntry.operation == "created"
        )
    ).all()
    assert sorted(stamps) == sorted(db.session.scalars(sa.select(Incident.created_at)).all())
    assert count(Subscriber) == 6


def test_the_public_api_and_pages_answer_without_the_internal_group(app, client, tiny_large_page):
    summary = client.get("/api/v2/summary.json")
    assert summary.status_code == 200
    names = {component["name"] for component in summary.json["components"]}
    public = count(Component, Component.visibility == Visibility.PUBLIC)
    public += count(ComponentGroup, ComponentGroup.visibility == Visibility.PUBLIC)
    assert len(summary.json["components"]) == public
    assert INTERNAL_GROUP not in names and not names & set(INTERNAL)
    assert "US East (Virginia)" in names
    public_open = count(
        Incident, Incident.status_value != "resolved", Incident.visibility == Visibility.PUBLIC
    )
    assert len(summary.json["incidents"]) == public_open
    page = client.get("/")
    assert page.status_code == 200 and INTERNAL_GROUP not in page.text
    for url in (
        "/history",
        "/history?page=2",
        "/history.atom",
        "/maintenance.ics",
        "/api/v2/incidents.json",
    ):
        assert client.get(url).status_code == 200, url
    incident = db.session.scalar(
        sa.select(Incident).where(Incident.visibility == Visibility.PUBLIC).limit(1)
    )
    assert client.get(f"/incidents/{incident.id}").status_code == 200


def test_flask_demo_seed_has_no_large_option_any_more(app, runner):
    result = runner.invoke(args=["demo", "seed", "--large"])
    assert result.exit_code == 2 and "No such option" in result.output
