"""The management API's reports: the same figures as the reports page, bad parameters
refused by name, and the read scope enough."""

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.enums import ComponentStatus, Impact, ProblemStatus, TokenScope, Urgency
from statuspage.services.notices import incidents as service
from statuspage.services.problems import records as problems
from statuspage.services.response import roles
from tests.conftest import ACTOR

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def history(app, make_component, make_user):
    """A P1 on api (acknowledged at 3 min, resolved at 60 min, major) and a P2 on api and web
    (acknowledged at 20 min, resolved at 9 h, partial)."""
    api, web = make_component(name="API"), make_component(name="Web")
    user = make_user()
    a = service.open_incident(
        name="A",
        body="Down.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        components={api: ComponentStatus.MAJOR_OUTAGE},
        actor=ACTOR,
        now=T0,
    )
    roles.acknowledge_incident(a, user=user, actor=ACTOR, now=T0 + minutes(3))
    service.resolve_incident(a, body="Fixed.", actor=ACTOR, now=T0 + minutes(60))
    b = service.open_incident(
        name="B",
        body="Slow.",
        impact=Impact.MAJOR,
        components={api: ComponentStatus.PARTIAL_OUTAGE, web: ComponentStatus.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=T1,
    )
    roles.acknowledge_incident(b, user=user, actor=ACTOR, now=T1 + minutes(20))
    service.resolve_incident(b, body="Fixed.", actor=ACTOR, now=T1 + minutes(540))
    return {"api": api, "web": web, "a": a, "b": b}


def get(client, token, url):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def test_the_incident_report(client, history, make_api_token):
    token = make_api_token(TokenScope.READ)
    response = get(client, token, "/api/manage/v1/reports/incidents?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = response.get_json()["data"]
    assert data["count"] == 2
    assert data["mtta_seconds"] == {"mean": 690, "median": 690, "p90": 1200, "count": 2}
    assert data["mttr_seconds"] == {"mean": 18000, "median": 18000, "p90": 32400, "count": 2}
    assert data["first_update_seconds"] == {"mean": 0, "median": 0, "p90": 0, "count": 2}
    assert data["by_priority"] == {"P1": 1, "P2": 1, "P3": 0, "P4": 0}
    api = data["by_component"][history["api"].id]
    assert api["count"] == 2 and api["mtbi_seconds"]["mean"] == 180_000
    assert data["sla"]["acknowledge"]["P1"] == {
        "met": 1,
        "breached": 0,
        "not_applicable": 0,
        "open": 0,
    }
    assert data["sla"]["resolve"]["P2"]["breached"] == 1
    # 1 Mar 2026 is a Sunday: its week starts on 23 Feb.
    assert [(p["from"], p["count"]) for p in data["by_period"]][:2] == [
        ("2026-02-23", 0),
        ("2026-03-02", 2),
    ]


def test_recurring_problems_in_the_incident_report(client, history, make_api_token):
    cache = problems.create_problem(
        title="Cache stampede", status=ProblemStatus.KNOWN_ERROR, actor=ACTOR, now=T1
    )
    for incident in (history["a"], history["b"]):
        problems.link_incident(cache, incident.id, actor=ACTOR, now=T1)
    token = make_api_token(TokenScope.READ)
    base = "/api/manage/v1/reports/incidents?from=2026-03-01&to=2026-03-31"
    data = get(client, token, base).get_json()["data"]
    assert data["recurring_problems"] == [
        {
            "id": cache.id,
            "title": "Cache stampede",
            "status": "known_error",
            "incidents": 2,
            "first_started_at": "2026-03-02T10:00:00Z",
            "last_started_at": "2026-03-04T12:00:00Z",
        }
    ]
    p1 = get(client, token, f"{base}&priority=P1").get_json()["data"]["recurring_problems"]
    assert [(p["incidents"], p["last_started_at"]) for p in p1] == [(1, "2026-03-02T10:00:00Z")]
    april = get(client, token, f"{base.replace('03-01', '04-01').replace('03-31', '04-30')}")
    assert april.get_json()["data"]["recurring_problems"] == []


def test_narrowed_by_component_and_priority(client, history, make_api_token):
    token = make_api_token(TokenScope.READ)
    base = "/api/manage/v1/reports/incidents?from=2026-03-01&to=2026-03-31"
    web = get(client, token, f"{base}&component={history['web'].id}").get_json()["data"]
    assert web["count"] == 1 and list(web["by_component"]) == [history["web"].id]
    p1 = get(client, token, f"{base}&priority=P1").get_json()["data"]
    assert p1["count"] == 1 and p1["mttr_seconds"]["mean"] == 3600
    none = get(client, token, f"{base}&priority=P4").get_json()["data"]
    assert none["count"] == 0 and none["mtta_seconds"]["mean"] is None


def test_the_uptime_report(client, history, make_api_token):
    token = make_api_token(TokenScope.READ)
    data = get(client, token, "/api/manage/v1/reports/uptime?month=2026-03").get_json()["data"]
    assert data["month"] == "2026-03"
    rows = {row["name"]: row for row in data["components"]}
    # API: 60 min major + 0.3 x 540 min partial = 222 min of 44,640.
    assert rows["API"]["major_outage_minutes"] == 60
    assert rows["API"]["partial_outage_minutes"] == 540
    assert rows["API"]["downtime_minutes"] == 222
    assert rows["API"]["uptime_percent"] == int(100 * (1 - 222 / 44_640) * 10_000) / 10_000
    assert rows["Web"]["downtime_minutes"] == 162


@pytest.mark.parametrize(
    "query,field",
    [
        ("incidents?from=2026-3-1", "from"),
        ("incidents?from=2026-03-31&to=2026-03-01", "from"),
        ("incidents?to=", "to"),
        ("incidents?priority=P5", "priority"),
        ("incidents?component=aaaaaaaaaaaa", "component"),
        ("incidents?by=day", "by"),
        ("incidents?colour=red", "colour"),
        ("uptime?month=2026-13", "month"),
        ("uptime?month=", "month"),
        ("uptime?from=2026-01-01", "from"),
    ],
)
def test_bad_parameters_are_refused_by_name(client, app, make_api_token, query, field):
    response = get(client, make_api_token(TokenScope.READ), f"/api/manage/v1/reports/{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_a_token_is_needed(client, app):
    assert client.get("/api/manage/v1/reports/uptime").status_code == 401
