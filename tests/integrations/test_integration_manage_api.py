"""The management API's integrations: admin tokens only, the secret in the creating answer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from statuspage.enums import Role, TokenScope
from statuspage.extensions import db
from statuspage.models import AuditEntry, Integration
from tests.integrations.conftest import post

BASE = "/api/manage/v1/integrations"


def _call(client, method, path, token, body=None):
    return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def test_create_get_update_delete(client, make_api_token, make_component):
    make_component(name="API")
    token = make_api_token(TokenScope.ADMIN)
    answer = _call(
        client, "POST", BASE, token,
        {"name": "Grafana", "kind": "grafana", "damping_minutes": 0, "incident_policy": "draft",
         "severity_map": {"Crit": "major_outage"}},
    )  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    data = answer.get_json()["data"]
    secret = data.pop("secret")
    assert secret.startswith(data["secret_prefix"])
    assert data["severity_map"] == {"crit": "major_outage"}
    assert data["endpoint"] == "/api/integrations/grafana"
    assert answer.headers["Location"].endswith(f"{BASE}/{data['id']}")
    path = f"{BASE}/{data['id']}"
    got = _call(client, "GET", path, token).get_json()["data"]
    assert got == data and "secret" not in got
    listed = _call(client, "GET", BASE, token).get_json()["data"]
    assert [i["id"] for i in listed] == [data["id"]]
    assert secret not in _call(client, "GET", BASE, token).text

    answer = _call(client, "PATCH", path, token, {"name": "Grafana prod", "enabled": False})
    assert answer.status_code == 200 and answer.get_json()["data"]["enabled"] is False
    grafana = b'{"alerts": [], "status": "firing"}'
    assert post(client, "/api/integrations/grafana", grafana, secret).status_code == 401
    _call(client, "PATCH", path, token, {"enabled": True})
    assert post(client, "/api/integrations/grafana", grafana, secret).status_code == 200

    assert _call(client, "DELETE", path, token).status_code == 204
    assert _call(client, "GET", path, token).status_code == 404
    assert post(client, "/api/integrations/grafana", grafana, secret).status_code == 401
    audit = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "Integration")
    ).all()
    assert {"create_integration", "update_integration", "delete_integration"} <= set(audit)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "grafana"}, "name"),
        ({"name": "x"}, "kind"),
        ({"name": "x", "kind": "nagios"}, "kind"),
        ({"name": "x", "kind": "grafana", "damping_minutes": 5000}, "damping_minutes"),
        ({"name": "x", "kind": "grafana", "severity_map": {"a": "fine"}}, "severity_map"),
        ({"name": "x", "kind": "grafana", "severity_map": {"a b": "major_outage"}}, "severity_map"),
        ({"name": "x", "kind": "grafana", "component_label": "1abc"}, "component_label"),
        ({"name": "x", "kind": "grafana", "template_id": "aaaaaaaaaaaa"}, "template_id"),
        ({"name": "x", "kind": "grafana", "secret": "mine"}, "secret"),
    ],
)
def test_create_refuses_bad_fields(client, make_api_token, body, field):
    answer = _call(client, "POST", BASE, make_api_token(TokenScope.ADMIN), body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]
    assert db.session.scalars(sa.select(Integration)).all() == []


def test_an_empty_patch_is_refused(client, make_api_token, make_integration):
    made = make_integration()
    answer = _call(client, "PATCH", f"{BASE}/{made.integration.id}", make_api_token(), {})
    assert answer.status_code == 422


@pytest.mark.parametrize("scope", [TokenScope.READ, TokenScope.WRITE])
def test_only_admin_tokens(client, make_api_token, make_user, make_integration, scope):
    made = make_integration()
    token = make_api_token(scope, user=make_user(Role.ADMIN))
    for method, path in (
        ("GET", BASE),
        ("POST", BASE),
        ("GET", f"{BASE}/{made.integration.id}"),
        ("PATCH", f"{BASE}/{made.integration.id}"),
        ("DELETE", f"{BASE}/{made.integration.id}"),
    ):
        answer = _call(client, method, path, token, {"name": "x"} if method != "GET" else None)
        assert answer.status_code == 403, (method, path)
    assert db.session.get(Integration, made.integration.id) is not None


def test_an_integration_secret_is_no_api_token(client, make_integration):
    made = make_integration()
    assert _call(client, "GET", BASE, made.secret).status_code == 401
