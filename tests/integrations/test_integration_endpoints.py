"""The three webhook endpoints with the bodies their senders really post."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import Audience, ComponentStatus, IntegrationOutcome, StatusCause
from statuspage.extensions import db
from statuspage.limits import MAX_INTEGRATION_BODY
from statuspage.models import Alert, ComponentStatusChange, UnmatchedAlert
from statuspage.services.automation.integrations import integration_event_counts, sign_body
from statuspage.services.automation.signals import apply_held_signals
from statuspage.services.components.tree import set_component_status
from tests.conftest import ACTOR
from tests.integrations.conftest import am_alert, am_body, grafana_body, post

AM = "/api/integrations/alertmanager"
GRAFANA = "/api/integrations/grafana"
GENERIC = "/api/integrations/webhook"


def _statuses(component):
    db.session.expire_all()
    return component.status, component.internal_status


def test_alertmanager_firing_then_resolved(client, make_component, make_integration):
    api = make_component(name="API")
    made = make_integration(damping_minutes=0)
    answer = post(client, AM, am_body(am_alert("API")), made.secret)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "firing": 1, "resolved": 0, "unchanged": 0, "unmatched": [], "incident_id": None
    }  # fmt: skip
    assert _statuses(api) == (ComponentStatus.MAJOR_OUTAGE, ComponentStatus.MAJOR_OUTAGE)
    change = db.session.scalars(
        sa.select(ComponentStatusChange).order_by(ComponentStatusChange.id.desc())
    ).first()
    assert change.cause is StatusCause.AUTOMATION
    answer = post(client, AM, am_body(am_alert("API", status="resolved")), made.secret)
    assert answer.get_json()["resolved"] == 1
    assert _statuses(api) == (ComponentStatus.OPERATIONAL, ComponentStatus.OPERATIONAL)


def test_the_same_firing_twice_changes_nothing(client, make_component, make_integration):
    api = make_component(name="API")
    made = make_integration(damping_minutes=0)
    post(client, AM, am_body(am_alert("API")), made.secret)
    changes = db.session.scalar(sa.select(sa.func.count()).select_from(ComponentStatusChange))
    answer = post(client, AM, am_body(am_alert("API")), made.secret)
    assert answer.get_json()["firing"] == 0 and answer.get_json()["unchanged"] == 1
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(ComponentStatusChange)) == changes
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 1
    assert _statuses(api)[1] is ComponentStatus.MAJOR_OUTAGE


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", ComponentStatus.MAJOR_OUTAGE),
        ("WARNING", ComponentStatus.PARTIAL_OUTAGE),
        ("info", ComponentStatus.DEGRADED_PERFORMANCE),
        ("page-me", ComponentStatus.PARTIAL_OUTAGE),
    ],
)
def test_severity_maps_to_status(client, make_component, make_integration, severity, expected):
    api = make_component(name="API")
    made = make_integration(damping_minutes=0)
    post(client, AM, am_body(am_alert("API", severity=severity)), made.secret)
    assert _statuses(api) == (expected, expected)


def test_edited_severity_map_and_labels(client, make_component, make_integration):
    api = make_component(name="API")
    made = make_integration(
        damping_minutes=0,
        component_label="service",
        severity_label="level",
        severity_map={"p1": "major_outage", "p3": "degraded_performance"},
    )
    alert = am_alert(None, labels={"service": "api", "level": "P3"})
    post(client, AM, am_body(alert), made.secret)
    assert _statuses(api)[1] is ComponentStatus.DEGRADED_PERFORMANCE


def test_matching_by_id_name_and_alias(client, make_component, make_integration, now):
    from statuspage.services.components import tree

    by_id, by_name, by_alias = (
        make_component(name="One"),
        make_component(name="Two Words"),
        make_component(name="Three"),
    )
    tree.set_component_aliases(by_alias, ["db-primary", "pg"], actor=ACTOR)
    made = make_integration(damping_minutes=0)
    body = am_body(
        am_alert(by_id.id, fingerprint="a"),
        am_alert("two words", fingerprint="b", severity="warning"),
        am_alert("PG", fingerprint="c", severity="info"),
    )
    answer = post(client, AM, body, made.secret)
    assert answer.get_json()["firing"] == 3
    assert _statuses(by_id)[1] is ComponentStatus.MAJOR_OUTAGE
    assert _statuses(by_name)[1] is ComponentStatus.PARTIAL_OUTAGE
    assert _statuses(by_alias)[1] is ComponentStatus.DEGRADED_PERFORMANCE


def test_unknown_components_are_recorded_and_reported(client, make_component, make_integration):
    make_component(name="API")
    made = make_integration(damping_minutes=0)
    body = am_body(am_alert("billing", fingerprint="x"), am_alert(None, fingerprint="y"))
    answer = post(client, AM, body, made.secret)
    assert answer.status_code == 200
    assert answer.get_json()["unmatched"] == ["billing", ""]
    post(client, AM, am_body(am_alert("billing", fingerprint="x")), made.secret)
    rows = {r.label_value: r for r in db.session.scalars(sa.select(UnmatchedAlert))}
    assert set(rows) == {"billing", ""}
    assert rows["billing"].count == 2 and rows["billing"].summary == "Errors on billing"
    counts = {(c.integration, c.outcome): c.count for c in integration_event_counts()}
    assert counts[("alertmanager prod", IntegrationOutcome.UNMATCHED.value)] == 3


def test_grafana_body(client, make_component, make_integration):
    api = make_component(name="API")
    made = make_integration("grafana", damping_minutes=0)
    answer = post(client, GRAFANA, grafana_body(am_alert("API", severity="warning")), made.secret)
    assert answer.status_code == 200, answer.get_json()
    assert _statuses(api) == (ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.PARTIAL_OUTAGE)
    post(client, GRAFANA, grafana_body(am_alert("API", status="resolved")), made.secret)
    assert _statuses(api) == (ComponentStatus.OPERATIONAL, ComponentStatus.OPERATIONAL)


def test_generic_body_with_bearer(client, make_component, make_integration):
    api = make_component(name="API")
    made = make_integration("generic", damping_minutes=0)
    body = {"component": "API", "status": "partial_outage", "summary": "slow", "fingerprint": "f1"}
    answer = post(client, GENERIC, json.dumps({**body, "state": "firing"}).encode(), made.secret)
    assert answer.status_code == 200, answer.get_json()
    assert _statuses(api)[0] is ComponentStatus.PARTIAL_OUTAGE
    answer = post(client, GENERIC, json.dumps({**body, "state": "resolved"}).encode(), made.secret)
    assert answer.get_json()["resolved"] == 1
    assert _statuses(api)[0] is ComponentStatus.OPERATIONAL


def _signed(made, body: bytes, *, at: float | None = None, secret: str | None = None) -> dict:
    stamp = str(int(at if at is not None else time.time()))
    return {
        "X-Statuspage-Integration": made.integration.id,
        "X-Statuspage-Timestamp": stamp,
        "X-Statuspage-Signature": sign_body(secret or made.secret, stamp, body),
    }


def test_generic_body_with_hmac_signature(client, make_component, make_integration):
    api = make_component(name="API")
    made = make_integration("generic", damping_minutes=0)
    body = json.dumps({"component": "API", "status": "major_outage", "state": "firing"}).encode()
    answer = post(client, GENERIC, body, None, **_signed(made, body))
    assert answer.status_code == 200, answer.get_json()
    assert _statuses(api)[1] is ComponentStatus.MAJOR_OUTAGE


@pytest.mark.parametrize(
    "tamper",
    ["body", "stale", "future", "wrong-secret", "no-timestamp", "bad-scheme", "other-id", "odd-id"],
)
def test_bad_signatures_are_401(client, make_component, make_integration, tamper):
    api = make_component(name="API")
    made = make_integration("generic", damping_minutes=0)
    other = make_integration("generic", name="other")
    body = json.dumps({"component": "API", "status": "major_outage", "state": "firing"}).encode()
    headers = _signed(made, body)
    sent = body
    if tamper == "body":
        sent = body.replace(b"major", b"partial")
    elif tamper == "stale":
        headers = _signed(made, body, at=time.time() - 600)
    elif tamper == "future":
        headers = _signed(made, body, at=time.time() + 600)
    elif tamper == "wrong-secret":
        headers = _signed(made, body, secret=other.secret)
    elif tamper == "no-timestamp":
        del headers["X-Statuspage-Timestamp"]
    elif tamper == "bad-scheme":
        headers["X-Statuspage-Signature"] = headers["X-Statuspage-Signature"].replace(
            "sha256=", "md5="
        )
    elif tamper == "other-id":
        headers["X-Statuspage-Integration"] = other.integration.id
    elif tamper == "odd-id":
        headers["X-Statuspage-Integration"] = "../\u00e9" + made.integration.id
    answer = post(client, GENERIC, sent, None, **headers)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["message"]
    assert _statuses(api)[1] is ComponentStatus.OPERATIONAL


@pytest.mark.parametrize(
    "secret", [None, "", "spi_nope", "sp_not_ours", "x" * 300, "spi_\u00e9t\u00e9", "spi_a b"]
)
def test_bad_secret_is_401(client, make_component, make_integration, secret):
    make_component(name="API")
    make_integration()
    answer = post(client, AM, am_body(am_alert("API")), secret)
    assert answer.status_code == 401
    assert "Bearer" in answer.headers["WWW-Authenticate"]


def test_secret_of_another_kind_or_disabled_is_401(client, make_component, make_integration):
    from statuspage.services.automation.integrations import update_integration

    make_component(name="API")
    grafana = make_integration("grafana")
    answer = post(client, AM, am_body(am_alert("API")), grafana.secret)
    assert answer.status_code == 401
    assert "/api/integrations/grafana" in answer.get_json()["error"]["message"]
    update_integration(grafana.integration, enabled=False, actor=ACTOR)
    assert post(client, GRAFANA, grafana_body(am_alert("API")), grafana.secret).status_code == 401


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "alerts"),
        (b'{"version": "4"}', "alerts"),
        (b'{"version": "3", "alerts": []}', "version"),
        (b'{"version": "4", "alerts": [1]}', "alerts[0]"),
        (b'{"version": "4", "alerts": [{"status": "maybe"}]}', "alerts[0].status"),
        (b'{"version": "4", "alerts": [{"status": "firing", "labels": {"a": 1}}]}', "labels.a"),
        (b'{"version": "4", "alerts": [{"status": "firing", "labels": {"a": "\\u0000"}}]}', "NUL"),
        (b'{"version": "4", "alerts": [{"status": "firing", "labels": {"a": "\\ud800"}}]}', "text"),
        (b'{"version": "4", "alerts": [{"status": "firing", "fingerprint": 5}]}', "fingerprint"),
        (b'{"version": "4", "alerts": NaN}', "not valid JSON"),
    ],
)
def test_bad_alertmanager_bodies_are_400(client, make_integration, body, words):
    made = make_integration()
    answer = post(client, AM, body, made.secret)
    assert answer.status_code == 400
    assert words in answer.get_json()["error"]["message"]
    counts = {c.outcome: c.count for c in integration_event_counts()}
    assert counts["rejected"] == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"status": "major_outage"}, "'component' is required"),
        ({"component": "API"}, "'status' is required"),
        ({"component": "API", "status": "operational"}, "'status' must be one of"),
        ({"component": "API", "status": "major_outage", "state": "gone"}, "'firing' or 'resolved'"),
        ({"component": "API", "status": "major_outage", "colour": "red"}, "Unknown field 'colour'"),
        ({"component": 5, "status": "major_outage"}, "component must be a string"),
        ({"component": "API", "status": "major_outage", "summary": "x" * 1001}, "at most 1000"),
    ],
)
def test_bad_generic_bodies_are_400(client, make_component, make_integration, body, words):
    make_component(name="API")
    made = make_integration("generic")
    answer = post(client, GENERIC, json.dumps(body).encode(), made.secret)
    assert answer.status_code == 400
    assert words in answer.get_json()["error"]["message"]


def test_oversize_body_is_413(client, make_integration):
    made = make_integration()
    body = b'{"version": "4", "alerts": [], "pad": "' + b"x" * MAX_INTEGRATION_BODY + b'"}'
    answer = post(client, AM, body, made.secret)
    assert answer.status_code == 413
    assert "KiB" in answer.get_json()["error"]["message"]


def test_damping_holds_the_public_status(client, make_component, make_integration):
    api = make_component(name="API")
    made = make_integration(damping_minutes=2)
    post(client, AM, am_body(am_alert("API")), made.secret)
    assert _statuses(api) == (ComponentStatus.OPERATIONAL, ComponentStatus.MAJOR_OUTAGE)
    start = datetime.now(UTC)
    apply_held_signals(now=start + timedelta(minutes=1))
    assert _statuses(api)[0] is ComponentStatus.OPERATIONAL
    apply_held_signals(now=start + timedelta(minutes=3))
    assert _statuses(api)[0] is ComponentStatus.MAJOR_OUTAGE
    post(client, AM, am_body(am_alert("API", status="resolved")), made.secret)
    assert _statuses(api) == (ComponentStatus.MAJOR_OUTAGE, ComponentStatus.OPERATIONAL)
    apply_held_signals(now=datetime.now(UTC) + timedelta(minutes=3))
    assert _statuses(api) == (ComponentStatus.OPERATIONAL, ComponentStatus.OPERATIONAL)


def test_a_persons_change_keeps_the_status(client, make_component, make_integration):
    api = make_component(name="API")
    made = make_integration(damping_minutes=0)
    post(client, AM, am_body(am_alert("API")), made.secret)
    set_component_status(api, ComponentStatus.PARTIAL_OUTAGE, actor=ACTOR)
    post(client, AM, am_body(am_alert("API", status="resolved")), made.secret)
    assert _statuses(api) == (ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.PARTIAL_OUTAGE)
    last = db.session.scalars(
        sa.select(ComponentStatusChange)
        .where(ComponentStatusChange.audience == Audience.PUBLIC)
        .order_by(ComponentStatusChange.id.desc())
    ).first()
    assert last.cause is StatusCause.MANUAL


def test_last_event_is_stamped(client, make_component, make_integration):
    make_component(name="API")
    made = make_integration()
    assert made.integration.last_event_at is None
    post(client, AM, am_body(am_alert("API")), made.secret)
    db.session.expire_all()
    assert made.integration.last_event_at is not None


@pytest.mark.config(RATELIMIT_ENABLED=True, INTEGRATION_RATE_LIMIT="2 per minute")
def test_the_endpoints_are_rate_limited(client, make_component, make_integration):
    make_component(name="API")
    made = make_integration()
    answers = [post(client, AM, am_body(am_alert("API")), made.secret) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]


def test_disabling_or_deleting_resolves_what_it_fires(client, make_component, make_integration):
    from statuspage.services.automation.integrations import delete_integration, update_integration

    api, web = make_component(name="API"), make_component(name="Web")
    first = make_integration(damping_minutes=0, name="first")
    second = make_integration(damping_minutes=0, name="second")
    post(client, AM, am_body(am_alert("API"), am_alert("billing", fingerprint="u")), first.secret)
    post(client, AM, am_body(am_alert("Web")), second.secret)
    update_integration(first.integration, enabled=False, actor=ACTOR)
    assert _statuses(api) == (ComponentStatus.OPERATIONAL, ComponentStatus.OPERATIONAL)
    delete_integration(second.integration, actor=ACTOR)
    assert _statuses(web) == (ComponentStatus.OPERATIONAL, ComponentStatus.OPERATIONAL)
    delete_integration(first.integration, actor=ACTOR)
    assert db.session.scalars(sa.select(UnmatchedAlert)).all() == []
    outcomes = {(c.integration, c.outcome): c.count for c in integration_event_counts()}
    assert outcomes[("first", "firing")] == outcomes[("second", "firing")] == 1  # kept


@pytest.mark.parametrize("path", ["alertmanager", "grafana", "webhook"])
def test_a_signed_in_admins_cookie_alone_opens_no_endpoint(
    client, login_as, make_component, make_integration, path
):
    """CSRF-exempt because only a secret in a header opens them: a session is not enough."""
    from statuspage.enums import Role

    make_component(name="API")
    make_integration()
    login_as(Role.ADMIN)
    response = post(client, f"/api/integrations/{path}", am_body(am_alert("API")), None)
    assert response.status_code == 401, response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 0
