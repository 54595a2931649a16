"""The Statuspage v2 API, checked against schemas written from the reference, on a rich page."""

import json
import re
from datetime import datetime, timedelta

import jsonschema
import pytest

from statuspage.services.notices import maintenance, timeline
from tests.api.schemas import ENDPOINTS, SINGLE_INCIDENT
from tests.conftest import ACTOR


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_every_endpoint_matches_the_reference_schema(client, rich_page, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    jsonschema.validate(response.get_json(), ENDPOINTS[path])


def test_summary_holds_what_the_reference_says(client, rich_page):
    data = client.get("/api/v2/summary.json").get_json()
    assert list(data) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    assert {i["status"] for i in data["incidents"]} <= {"investigating", "identified", "monitoring"}
    assert len(data["incidents"]) == 4
    states = {m["name"]: m["status"] for m in data["scheduled_maintenances"]}
    assert states == {
        "Active window": "in_progress",
        "Verifying window": "verifying",
        "Upcoming window": "scheduled",
        "Far window": "scheduled",
    }
    # one leaf in major outage makes "Partial System Outage"; the open critical incident raises it
    assert data["status"] == {"indicator": "critical", "description": "Major System Outage"}


def test_groups_and_leaves(client, rich_page):
    components = client.get("/api/v2/components.json").get_json()["components"]
    by_name = {c["name"]: c for c in components}
    core, api = by_name["Core"], by_name["API"]
    assert core["group"] is True and "components" in core and api["group"] is False
    assert "components" not in api and api["group_id"] == core["id"]
    assert set(core["components"]) == {by_name[n]["id"] for n in ("API", "Web", "Auth")}
    assert core["status"] == "partial_outage"  # the worst child
    # order: top-level items by position, each group followed by its children
    names = [c["name"] for c in components]
    assert names.index("Core") < names.index("API") < names.index("Regions") < names.index("EU")
    assert [by_name[n]["position"] for n in ("API", "Web", "Auth")] == [1, 2, 3]
    assert (
        by_name["Email"]["only_show_if_degraded"] is True
    )  # listed even though hidden on the page
    assert by_name["Asia"]["status"] == "under_maintenance"


def test_updates_are_newest_first_and_repeat_affected_components(client, rich_page):
    incident = client.get(f"/incidents/{rich_page.ids['monitoring']}.json").get_json()
    jsonschema.validate(incident, SINGLE_INCIDENT)
    updates = incident["incident"]["incident_updates"]
    times = [u["display_at"] for u in updates]
    assert times == sorted(times, reverse=True)
    assert [u["status"] for u in updates] == ["monitoring", "investigating"]
    assert updates[0]["affected_components"] == [
        {
            "code": rich_page.ids["components"]["API"],
            "name": "Core - API",
            "old_status": "major_outage",
            "new_status": "degraded_performance",
        }
    ]
    assert incident["incident"]["monitoring_at"] is not None


def test_lists_are_newest_first_and_paginate_by_50(client, rich_page, make_incident):
    for i in range(60):
        make_incident(name=f"Bulk {i}")
    first = client.get("/api/v2/incidents.json").get_json()["incidents"]
    second = client.get("/api/v2/incidents.json?page=2").get_json()["incidents"]
    third = client.get("/api/v2/incidents.json?page=3").get_json()["incidents"]
    assert (len(first), len(second), third) == (50, 20, [])  # 60 new + 10 seeded
    started = [i["started_at"] for i in first + second]
    assert started == sorted(started, reverse=True)
    assert not {i["id"] for i in first} & {i["id"] for i in second}
    assert len(client.get("/api/v2/incidents.json?per_page=100").get_json()["incidents"]) == 70
    for bad in ("page=0", "page=x", "per_page=101", "per_page=-1"):
        response = client.get(f"/api/v2/incidents.json?{bad}")
        assert response.status_code == 400 and response.get_json()["error"]["status"] == 400
    assert client.get("/api/v2/incidents.json?unknown=1").status_code == 200


def test_maintenance_endpoints(client, rich_page):
    upcoming = client.get("/api/v2/scheduled-maintenances/upcoming.json").get_json()[
        "scheduled_maintenances"
    ]
    active = client.get("/api/v2/scheduled-maintenances/active.json").get_json()[
        "scheduled_maintenances"
    ]
    everything = client.get("/api/v2/scheduled-maintenances.json").get_json()[
        "scheduled_maintenances"
    ]
    assert [m["name"] for m in upcoming] == ["Upcoming window", "Far window"]  # soonest first
    assert {m["name"] for m in active} == {"Active window", "Verifying window"}
    statuses = {m["name"]: m["status"] for m in everything}
    assert (
        statuses["Completed window"] == "completed" and statuses["Cancelled window"] == "completed"
    )
    completed = next(m for m in everything if m["name"] == "Completed window")
    assert completed["resolved_at"] and completed["impact"] == "maintenance"
    assert [u["status"] for u in completed["incident_updates"]] == [
        "completed",
        "in_progress",
        "scheduled",
    ]


@pytest.mark.config(TIMEZONE="America/Tijuana")
def test_timestamps_carry_milliseconds_and_the_page_offset(client, rich_page):
    data = client.get("/api/v2/summary.json").get_json()
    assert data["page"]["time_zone"] == "America/Tijuana"
    stamp = data["incidents"][0]["created_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[78]:00", stamp), stamp
    assert datetime.fromisoformat(stamp).utcoffset() is not None


def test_utc_pages_say_etc_utc_and_z(client, rich_page):
    data = client.get("/api/v2/status.json").get_json()
    assert data["page"]["time_zone"] == "Etc/UTC" and data["page"]["updated_at"].endswith("Z")


def test_public_data_only(client, rich_page):
    for path in [*ENDPOINTS, f"/incidents/{rich_page.ids['monitoring']}.json"]:
        text = client.get(path).text
        for secret in rich_page.secrets:
            assert secret not in text, (path, secret)
    assert client.get(f"/incidents/{rich_page.ids['secret_incident']}.json").status_code == 404


def test_a_scheduled_update_appears_only_once_published(client, rich_page):
    from datetime import timedelta

    from statuspage.database import utcnow
    from statuspage.services.notices.due_work import run_due_work

    path = f"/incidents/{rich_page.ids['monitoring']}.json"
    assert "Future resolution text" not in client.get(path).text
    run_due_work(now=utcnow() + timedelta(days=1, minutes=1))
    data = client.get(path).get_json()["incident"]
    assert (
        data["status"] == "resolved"
        and data["incident_updates"][0]["body"] == "Future resolution text"
    )


def test_unknown_api_paths_are_empty_404s(client):
    for path in ("/api/v2/nonsense-zzz.json", "/api/v2/", "/api/v2/incidents/x.json"):
        response = client.get(path)
        assert response.status_code == 404 and response.data == b"", path
    assert client.get("/incidents/aaaaaaaaaaaa.json").status_code == 404


def test_the_api_is_cached_and_conditional(client, rich_page):
    first = client.get("/api/v2/summary.json")
    assert (
        client.get(
            "/api/v2/summary.json", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )
    assert "public" in first.headers["Cache-Control"]
    incident_id = rich_page.ids["monitoring"]
    from statuspage.extensions import db
    from statuspage.models import Incident

    timeline.edit_update(
        db.session.get(Incident, incident_id).updates[-1], body="Edited words.", actor=ACTOR
    )
    assert "Edited words." in client.get("/api/v2/summary.json").text


def test_openapi_and_the_human_page(client):
    spec = client.get("/api/v2/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v2/summary.json", "/incidents/{incident_id}.json"} <= set(spec["paths"])
    page = client.get("/api")
    assert page.status_code == 200 and "/api/v2/summary.json" in page.text
    json.dumps(spec)


def test_a_windows_started_at_is_when_it_was_announced_not_its_start(client, make_component, now):
    """Statuspage: a scheduled maintenance's started_at is its creation, not scheduled_for."""
    announced = now - timedelta(hours=3)
    start = now + timedelta(days=2)
    window = maintenance.schedule_maintenance(
        name="Kernel upgrade",
        body="Rebooting.",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[make_component()],
        actor=ACTOR,
        now=announced,
    )
    for path in (
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
    ):
        [data] = client.get(path).get_json()["scheduled_maintenances"]
        assert data["id"] == window.id
        assert datetime.fromisoformat(data["started_at"]) == announced
        assert datetime.fromisoformat(data["created_at"]) == announced
        assert datetime.fromisoformat(data["scheduled_for"]) == start
