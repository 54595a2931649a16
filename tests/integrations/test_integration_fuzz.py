"""The webhook endpoints never answer 500: random JSON in the shape of each kind's body, and
random bytes, with a valid secret, get 200, 400 or 413 and leave the database usable."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.extensions import db
from statuspage.models import Integration
from tests.integrations.conftest import post

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.text(max_size=30) | st.sampled_from(["API", "firing", "resolved", "critical", ""])
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
labels = st.dictionaries(st.sampled_from(["component", "severity", "alertname"]) | text, values)
alert = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["firing", "resolved"]) | values,
        "labels": labels | values,
        "annotations": labels | values,
        "fingerprint": text | values,
        "startsAt": text,
        "endsAt": text,
    },
)
grouped = st.fixed_dictionaries(
    {"alerts": st.lists(alert, max_size=4) | values},
    optional={"version": st.sampled_from(["4", "1"]) | values, "commonLabels": labels | values},
)
generic = st.fixed_dictionaries(
    {},
    optional={
        "component": text | values,
        "status": st.sampled_from(["major_outage", "partial_outage", "operational"]) | values,
        "state": st.sampled_from(["firing", "resolved"]) | values,
        "summary": text | values,
        "fingerprint": text | values,
        "labels": labels | values,
    },
)


def _check(client, path: str, body: bytes, secret: str) -> None:
    answer = post(client, path, body, secret)
    assert answer.status_code in (200, 400, 413), (answer.status_code, body)
    assert answer.is_json
    db.session.rollback()
    assert db.session.query(Integration).count() == 3


def _secrets(make_integration, make_component) -> dict[str, str]:
    make_component(name="API")
    return {
        kind: make_integration(kind, damping_minutes=0, incident_policy="publish").secret
        for kind in ("alertmanager", "grafana", "generic")
    }


def test_alertmanager_and_grafana_bodies(client, make_integration, make_component):
    secrets = _secrets(make_integration, make_component)

    @SETTINGS
    @given(body=grouped | values)
    def run(body):
        raw = json.dumps(body).encode()
        _check(client, "/api/integrations/alertmanager", raw, secrets["alertmanager"])
        _check(client, "/api/integrations/grafana", raw, secrets["grafana"])

    run()


def test_generic_bodies(client, make_integration, make_component):
    secrets = _secrets(make_integration, make_component)

    @SETTINGS
    @given(body=generic | values)
    def run(body):
        _check(client, "/api/integrations/webhook", json.dumps(body).encode(), secrets["generic"])

    run()


def test_random_bytes(client, make_integration, make_component):
    secrets = _secrets(make_integration, make_component)

    @settings(max_examples=60, deadline=None)
    @given(raw=st.binary(max_size=200))
    def run(raw):
        for kind, path in (("alertmanager", "alertmanager"), ("generic", "webhook")):
            _check(client, f"/api/integrations/{path}", raw, secrets[kind])

    run()
