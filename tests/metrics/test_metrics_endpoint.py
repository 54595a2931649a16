"""`/metrics`: who may scrape it, and what each family says about the page right now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from statuspage.config_check import ConfigError
from statuspage.enums import (
    CheckKind,
    ComponentStatus,
    Impact,
    Role,
    TokenScope,
    Urgency,
    Visibility,
)
from statuspage.mail import SmtpMailer
from statuspage.services.accounts import api_tokens, users
from statuspage.services.automation import integrations, signals
from statuspage.services.checks import configure
from statuspage.services.checks.probes import ProbeResult
from statuspage.services.checks.runner import record_result
from statuspage.services.components import tree
from statuspage.services.errors import InvalidInput
from statuspage.services.metrics.exposition import render_metrics
from statuspage.services.notices import incidents
from statuspage.services.outbox import delivery
from statuspage.services.site.heartbeat import record_heartbeat
from statuspage.services.unit import Actor
from tests.conftest import ACTOR, free_port, make_app

ALLOWED = "10.20.30.40"


def scrape(client: Any, token: str | None = None, address: str = "192.0.2.7") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})


def samples(response: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, keyed by name and labels."""
    assert response.status_code == 200, response.text
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


@pytest.mark.config(METRICS_ALLOW=f"{ALLOWED}, 2001:db8::/32")
def test_an_allowed_address_scrapes_without_a_token_and_nobody_caches_it(client):
    response = scrape(client, address=ALLOWED)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert scrape(client, address="2001:db8::1").status_code == 200
    assert scrape(client, address="10.20.30.41").status_code == 401


def test_without_a_token_or_an_allowed_address_it_is_refused(client):
    response = scrape(client)
    assert response.status_code == 401
    assert response.json["error"]["message"].startswith("Send an API token")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="statuspage"'
    assert scrape(client, token="sp_not-a-token").status_code == 401


def test_metrics_and_admin_tokens_scrape_and_the_others_are_forbidden(client, make_api_token):
    assert scrape(client, make_api_token(TokenScope.METRICS)).status_code == 200
    assert scrape(client, make_api_token(TokenScope.ADMIN)).status_code == 200
    for scope in (TokenScope.READ, TokenScope.WRITE):
        response = scrape(client, make_api_token(scope))
        assert response.status_code == 403, scope
        assert "needs a metrics or admin token" in response.json["error"]["message"]
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_a_metrics_token_opens_nothing_but_metrics(client, make_api_token):
    secret = make_api_token(TokenScope.METRICS)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/manage/v1/components", headers=headers).status_code == 403
    assert client.get("/internal/history.atom", headers=headers).status_code == 403
    assert client.get("/internal/api/v2/summary.json", headers=headers).status_code == 403


def test_only_admins_make_metrics_tokens_and_a_demotion_stops_one(app, make_user):
    editor = make_user(Role.EDITOR)
    later = datetime.now(UTC) + timedelta(days=30)
    with pytest.raises(InvalidInput, match="scope write at most"):
        api_tokens.create_token(
            name="scraper", scope=TokenScope.METRICS, expires_at=later, actor=Actor.of(editor)
        )
    admin = make_user(Role.ADMIN)
    make_user(Role.ADMIN)  # so the first may be demoted
    made = api_tokens.create_token(
        name="scraper", scope=TokenScope.METRICS, expires_at=later, actor=Actor.of(admin)
    )
    users.change_role(admin, Role.EDITOR, actor=ACTOR)
    client = app.test_client()
    response = scrape(client, made.secret)
    assert response.status_code == 401
    assert "no longer allowed metrics tokens" in response.json["error"]["message"]


def test_a_bad_allow_list_stops_the_app_with_the_setting_named():
    with pytest.raises(ConfigError, match="STATUSPAGE_METRICS_ALLOW: '10.0.0.300'"):
        make_app(METRICS_ALLOW="127.0.0.1,10.0.0.300")


def test_component_status_per_audience(client, make_api_token, make_component, make_group, now):
    core = make_group(name="Core")
    api = make_component(name="API", group=core)
    hidden = make_component(name="Billing", visibility=Visibility.INTERNAL)
    gone = make_component(name="Old")
    tree.archive_component(gone, actor=ACTOR, now=now)
    tree.set_component_status(api, ComponentStatus.PARTIAL_OUTAGE, actor=ACTOR, now=now)
    found = samples(scrape(client, make_api_token()))
    api_labels = {"component_id": api.id, "component": "API", "group": "Core"}
    for audience in ("public", "internal"):
        labels = {**api_labels, "audience": audience}
        assert value(found, "statuspage_component_status", **labels, status="partial_outage") == 1
        assert value(found, "statuspage_component_status", **labels, status="operational") == 0
        assert value(found, "statuspage_component_severity", **labels) == 3
    billing = {"component_id": hidden.id, "component": "Billing", "group": ""}
    assert value(found, "statuspage_component_severity", **billing, audience="internal") == 0
    assert not [key for key in found if ("component", "Old") in key[1]]


def test_an_internal_incident_moves_only_the_internal_status(
    client, make_api_token, make_component, make_incident
):
    api = make_component(name="API")
    make_incident({api: ComponentStatus.MAJOR_OUTAGE}, visibility=Visibility.INTERNAL)
    found = samples(scrape(client, make_api_token()))
    labels = {"component_id": api.id, "component": "API", "group": ""}
    assert value(found, "statuspage_component_severity", **labels, audience="public") == 0
    assert value(found, "statuspage_component_severity", **labels, audience="internal") == 4


def test_open_incidents_by_impact_and_priority(client, make_api_token, make_incident, now):
    make_incident(impact=Impact.CRITICAL, urgency=Urgency.HIGH)
    make_incident(impact=Impact.CRITICAL, urgency=Urgency.HIGH, visibility=Visibility.INTERNAL)
    make_incident(impact=Impact.MINOR, urgency=Urgency.LOW)
    done = make_incident(impact=Impact.MAJOR, urgency=Urgency.HIGH)
    incidents.resolve_incident(done, body="Fixed.", actor=ACTOR, now=now + timedelta(hours=1))
    found = samples(scrape(client, make_api_token()))
    assert value(found, "statuspage_open_incidents", impact="critical", priority="P1") == 2
    assert value(found, "statuspage_open_incidents", impact="minor", priority="P4") == 1
    assert value(found, "statuspage_open_incidents", impact="major", priority="P1") == 0
    total = sum(v for (name, _), v in found.items() if name == "statuspage_open_incidents")
    assert total == 3


def read(now: datetime) -> dict:
    """The families as a scrape at *now* would show them."""

    class Scraped:
        status_code = 200
        text = render_metrics(now).decode()

    return samples(Scraped())


def test_outbox_depth_failures_and_the_oldest_wait(app, now):
    delivery.queue_test_mail("a@example.com", requested_by="x", actor=ACTOR, now=now)
    later = now + timedelta(minutes=5)
    delivery.queue_test_mail("b@example.com", requested_by="x", actor=ACTOR, now=later)
    relay_down = SmtpMailer(host="127.0.0.1", port=free_port(), timeout=2)
    delivery.deliver_pending(relay_down, now=now + timedelta(hours=1))
    found = read(now + timedelta(hours=2))
    assert value(found, "statuspage_outbox_depth", kind="test") == 2
    assert value(found, "statuspage_outbox_depth", kind="notification") == 0
    assert value(found, "statuspage_outbox_failed_deliveries", kind="test") == 0
    assert value(found, "statuspage_outbox_oldest_pending_age_seconds") == 2 * 3600
    # The first one's retry window (24 hours) is over; the second still has three minutes.
    delivery.deliver_pending(relay_down, now=now + timedelta(hours=24, minutes=2))
    found = read(now + timedelta(hours=25))
    assert value(found, "statuspage_outbox_failed_deliveries", kind="test") == 1
    assert value(found, "statuspage_outbox_depth", kind="test") == 1
    assert value(found, "statuspage_outbox_oldest_pending_age_seconds") == 25 * 3600 - 300


def test_scheduler_heartbeat_age(app, now):
    assert not [key for key in read(now) if key[0] == "statuspage_scheduler_heartbeat_age_seconds"]
    record_heartbeat("scheduler", now=now)
    found = read(now + timedelta(seconds=42))
    ages = [
        v for (name, _), v in found.items() if name == "statuspage_scheduler_heartbeat_age_seconds"
    ]
    assert ages == [42]


def test_a_scrape_costs_the_same_queries_for_three_or_thirty_components(
    app, make_component, make_incident, count_queries, now
):
    for _ in range(3):
        make_incident({make_component(): ComponentStatus.MAJOR_OUTAGE})
    with count_queries() as few:
        render_metrics(now)
    for _ in range(27):
        make_incident({make_component(): ComponentStatus.PARTIAL_OUTAGE})
    with count_queries() as many:
        render_metrics(now)
    assert len(many) == len(few)


def test_firing_alerts_by_source(app, make_component, now):
    api, web = make_component(name="API"), make_component(name="Web")
    for fingerprint, component in (("a", api), ("b", web)):
        signals.fire_signal(
            signals.Signal(
                source="integration:prom",
                source_label="Prometheus",
                fingerprint=fingerprint,
                component=component,
                status=ComponentStatus.MAJOR_OUTAGE,
            ),
            now=now,
        )
    signals.resolve_signal(
        "integration:prom", "b", web, source_label="Prometheus", now=now + timedelta(minutes=1)
    )
    found = read(now + timedelta(minutes=2))
    assert (
        value(
            found, "statuspage_alerts_firing", source="integration:prom", source_name="Prometheus"
        )
        == 1
    )


def test_check_latency_histograms(app, make_component, now):
    api = make_component(name="API")
    check = configure.create_check(
        api,
        configure.CheckInput(kind=CheckKind.TCP, name="Ping", host="127.0.0.1", port=9),
        actor=ACTOR,
        now=now - timedelta(days=1),
    )
    for latency in (3.0, 300.0, 20_000.0):
        record_result(check, ProbeResult(True, "ok", latency), now=now)
    found = read(now)
    labels = {"check_id": check.id, "check": "Ping", "component_id": api.id, "component": "API"}
    assert value(found, "statuspage_check_latency_seconds_count", **labels) == 3
    assert value(found, "statuspage_check_latency_seconds_sum", **labels) == pytest.approx(20.303)
    assert value(found, "statuspage_check_latency_seconds_bucket", **labels, le="0.005") == 1
    assert value(found, "statuspage_check_latency_seconds_bucket", **labels, le="0.5") == 2
    assert value(found, "statuspage_check_latency_seconds_bucket", **labels, le="+Inf") == 3


def test_integration_events_count_what_each_webhook_brought(client, make_api_token, make_component):
    make_component(name="API")
    made = integrations.create_integration(name="Prod AM", kind="alertmanager", actor=ACTOR)

    def post(alerts: list[dict[str, Any]]) -> None:
        body = {"version": "4", "status": "firing", "alerts": alerts}
        response = client.post(
            "/api/integrations/alertmanager",
            json=body,
            headers={"Authorization": f"Bearer {made.secret}"},
        )
        assert response.status_code == 200, response.text

    def alert(component: str, status: str = "firing") -> dict[str, Any]:
        return {
            "status": status,
            "labels": {"component": component, "severity": "critical"},
            "fingerprint": f"fp-{component}",
        }

    post([alert("API"), alert("Nowhere")])
    post([alert("API")])
    post([alert("API", "resolved")])
    found = samples(scrape(client, make_api_token()))
    labels = {"integration_id": made.integration.id, "integration": "Prod AM"}
    for outcome, count in (("firing", 1), ("duplicate", 1), ("resolved", 1), ("unmatched", 1)):
        assert (
            value(
                found,
                "statuspage_integration_events_total",
                **labels,
                kind="alertmanager",
                outcome=outcome,
            )
            == count
        ), outcome
