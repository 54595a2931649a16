"""Integrations under test: made through the service, posted to over the test client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from statuspage.services.automation import integrations
from tests.conftest import ACTOR
from tests.live_server import serve


@pytest.fixture
def make_integration(app) -> Callable[..., integrations.NewIntegration]:
    """An integration (kind alertmanager unless told) and its secret, made now."""

    def make(kind: str = "alertmanager", **kw: Any) -> integrations.NewIntegration:
        kw.setdefault("name", f"{kind} prod")
        kw.setdefault("now", datetime.now(UTC))
        return integrations.create_integration(kind=kind, actor=ACTOR, **kw)

    return make


def am_alert(
    component: str, *, status: str = "firing", severity: str = "critical", **kw: Any
) -> dict:
    """One alert of an Alertmanager webhook body, as Alertmanager 0.2x sends it."""
    labels = {"alertname": kw.pop("alertname", "HighErrorRate"), "severity": severity}
    if component is not None:
        labels["component"] = component
    labels.update(kw.pop("labels", {}))
    return {
        "status": status,
        "labels": labels,
        "annotations": {"summary": kw.pop("summary", f"Errors on {component}")},
        "startsAt": "2026-12-03T06:00:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-03T06:10:00.000Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
        "fingerprint": kw.pop("fingerprint", "1a30ba71cca2921f"),
    }


def am_body(*alerts: dict) -> bytes:
    """An Alertmanager webhook_config body (payload version 4) carrying *alerts*."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return json.dumps(
        {
            "receiver": "statuspage",
            "status": status,
            "alerts": list(alerts),
            "groupLabels": {"alertname": "HighErrorRate"},
            "commonLabels": {"alertname": "HighErrorRate"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example:9093",
            "version": "4",
            "groupKey": '{}:{alertname="HighErrorRate"}',
            "truncatedAlerts": 0,
        }
    ).encode()


def grafana_body(*alerts: dict) -> bytes:
    """Grafana unified alerting's webhook contact point body."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    grafana_alerts = [
        {
            **alert,
            "silenceURL": "https://grafana.example/alerting/silence/new",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.2, "C": 1},
            "valueString": "[ var='B' labels={} value=44.2 ]",
        }
        for alert in alerts
    ]
    return json.dumps(
        {
            "receiver": "statuspage",
            "status": status,
            "orgId": 1,
            "alerts": grafana_alerts,
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "https://grafana.example/",
            "version": "1",
            "groupKey": "{}:{}",
            "truncatedAlerts": 0,
            "title": "[FIRING:1]  (HighErrorRate)",
            "state": "alerting",
            "message": "**Firing**",
        }
    ).encode()


def post(client, path: str, body: bytes, secret: str | None, **headers: str) -> Any:
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return client.post(path, data=body, headers=headers, content_type="application/json")


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test's own app on a real port, for Alertmanager to post to."""
    with serve(app) as url:
        yield url
