"""`flask integrations create` and `list`: the secret alone on the last line, and it works."""

from __future__ import annotations

import pytest

from statuspage.enums import ComponentStatus, IncidentPolicy, IntegrationKind
from statuspage.extensions import db
from statuspage.models import AuditEntry, Integration
from tests.integrations.conftest import am_alert, am_body, post


def integrations(runner, *args):
    return runner.invoke(args=["integrations", *args])


def test_create_prints_the_secret_last_and_it_works(runner, client, make_component):
    api = make_component(name="API")
    result = integrations(
        runner, "create", "--kind", "alertmanager", "--name", "Prod AM", "--damping-minutes", "0",
        "--incidents", "draft",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    secret = lines[-1]
    assert secret.startswith("spi_") and " " not in secret
    assert secret not in "\n".join(lines[:-1])
    integration = db.session.scalars(db.select(Integration)).one()
    assert integration.kind is IntegrationKind.ALERTMANAGER
    assert integration.damping_minutes == 0
    assert integration.incident_policy is IncidentPolicy.DRAFT
    assert secret not in integration.secret_hash and secret not in integration.sealed_secret
    audit = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "create_integration")
    ).one()
    assert (
        audit.via.value == "cli"
        and "secret_hash" not in audit.changes
        and integration.secret_hash not in str(audit.changes)
    )
    assert (
        post(client, "/api/integrations/alertmanager", am_body(am_alert("API")), secret).status_code
        == 200
    )
    db.session.expire_all()
    assert api.internal_status is ComponentStatus.MAJOR_OUTAGE

    listed = integrations(runner, "list")
    assert listed.exit_code == 0
    assert integration.id in listed.output and "Prod AM" in listed.output
    assert secret not in listed.output


def test_defaults(runner):
    result = integrations(runner, "create", "--kind", "generic", "--name", "cron")
    assert result.exit_code == 0, result.output
    integration = db.session.scalars(db.select(Integration)).one()
    assert (integration.damping_minutes, integration.incident_policy) == (2, IncidentPolicy.NONE)
    assert integration.component_label == "component"
    assert integration.severity_map == {
        "critical": "major_outage", "warning": "partial_outage", "info": "degraded_performance"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "nagios", "--name", "x"], "Invalid value for '--kind'"),
        (["--kind", "grafana"], "Missing option '--name'"),
        (["--kind", "grafana", "--name", "  "], "A name is required."),
        (["--kind", "grafana", "--name", "x", "--damping-minutes", "-1"], "--damping-minutes"),
        (["--kind", "grafana", "--name", "x", "--incidents", "maybe"], "--incidents"),
    ],
)
def test_create_refuses(runner, args, message):
    result = integrations(runner, "create", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalars(db.select(Integration)).all() == []


def test_list_with_none(runner):
    assert integrations(runner, "list").output.strip() == "No integrations."
