"""Settings → Integrations in the browser's terms: forms with CSRF, admins only, the secret
shown once, rotation, deletion, and what admins see of firing and unmatched alerts."""

from __future__ import annotations

import re

import sqlalchemy as sa

from statuspage.enums import ComponentStatus, IncidentPolicy, Role
from statuspage.extensions import db
from statuspage.models import Component, Integration
from tests.integrations.conftest import am_alert, am_body, post

AM = "/api/integrations/alertmanager"
NEW = "/admin/settings/integrations/new"

FORM = {
    "name": "Prod Alertmanager",
    "kind": "alertmanager",
    "component_label": "service",
    "severity_label": "severity",
    "severity_map": "critical = major_outage\npage = partial_outage",
    "damping_minutes": "0",
    "incident_policy": "draft",
    "template_id": "",
}


def _secret(page: str) -> str:
    match = re.search(r'id="secret" value="(spi_[^"]+)"', page)
    assert match, page
    return match.group(1)


def test_admin_makes_an_integration_and_sees_the_secret_once(client, login_as, make_component):
    api = make_component(name="API")
    login_as(Role.ADMIN)
    assert client.get(NEW).status_code == 200
    answer = client.form(NEW, FORM)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    secret = _secret(answer.text)
    integration = db.session.scalars(sa.select(Integration)).one()
    assert integration.severity_map == {"critical": "major_outage", "page": "partial_outage"}
    assert integration.incident_policy is IncidentPolicy.DRAFT
    for path in ("/admin/settings/integrations", f"/admin/settings/integrations/{integration.id}"):
        page = client.get(path)
        assert page.status_code == 200 and "Prod Alertmanager" in page.text
        assert secret not in page.text and integration.prefix in page.text
    alert = am_alert(None, severity="page", labels={"service": "api"})
    assert post(client, AM, am_body(alert), secret).status_code == 200
    db.session.expire_all()
    assert api.internal_status is ComponentStatus.PARTIAL_OUTAGE


def test_the_form_refuses_bad_input_next_to_the_field(client, login_as):
    login_as(Role.ADMIN)
    for change, words in (
        ({"severity_map": "critical"}, "severity = status"),
        ({"severity_map": "critical = fine"}, "must map to one of"),
        ({"component_label": "bad label"}, "letters, digits and underscores"),
        ({"damping_minutes": "-1"}, "Number must be between 0 and 1440"),
    ):
        answer = client.form(NEW, {**FORM, **change})
        assert answer.status_code == 422, change
        assert words in answer.text, change
    assert db.session.scalars(sa.select(Integration)).all() == []


def test_a_post_without_the_csrf_token_is_refused(client, login_as):
    login_as(Role.ADMIN)
    answer = client.post(NEW, data=FORM)
    assert answer.status_code == 400
    assert db.session.scalars(sa.select(Integration)).all() == []


def test_editors_cannot_reach_it(client, login_as):
    login_as(Role.EDITOR)
    assert client.get("/admin/settings/integrations").status_code == 403
    assert client.form(NEW, FORM).status_code == 403
    assert db.session.scalars(sa.select(Integration)).all() == []


def test_edit_rotate_and_delete(client, login_as, make_component, make_integration):
    make_component(name="API")
    made = make_integration(damping_minutes=0)
    login_as(Role.ADMIN)
    path = f"/admin/settings/integrations/{made.integration.id}"
    edited = {**FORM, "name": "Renamed", "damping_minutes": "5", "enabled": "y"}
    del edited["kind"]
    answer = client.form(path, edited)
    assert answer.status_code == 302
    db.session.expire_all()
    assert (made.integration.name, made.integration.damping_minutes) == ("Renamed", 5)
    assert made.integration.kind.value == "alertmanager"

    answer = client.form(f"{path}/rotate", {})
    assert answer.status_code == 200
    new_secret = _secret(answer.text)
    assert post(client, AM, am_body(am_alert("api")), made.secret).status_code == 401
    assert post(client, AM, am_body(am_alert("api")), new_secret).status_code == 200

    without_enabled = {k: v for k, v in edited.items() if k != "enabled"}
    assert client.form(path, without_enabled).status_code == 302
    assert post(client, AM, am_body(am_alert("api")), new_secret).status_code == 401

    assert client.form(f"{path}/delete", {}).status_code == 302
    assert db.session.scalars(sa.select(Integration)).all() == []
    assert client.get(path).status_code == 404


def test_the_page_shows_firing_and_unmatched_alerts(
    client, login_as, make_component, make_integration
):
    make_component(name="API")
    made = make_integration(damping_minutes=3)
    body = am_body(
        am_alert("API", summary="API is failing"),
        am_alert("ledger-svc", fingerprint="u", summary="Ledger lag"),
    )
    post(client, AM, body, made.secret)
    login_as(Role.ADMIN)
    page = client.get(f"/admin/settings/integrations/{made.integration.id}").text
    firing = page.split("<h2>Firing alerts</h2>")[1].split("<h2>")[0]
    assert "API is failing" in firing and "Not yet (damping)" in firing
    unmatched = page.split("<h2>Unmatched alerts</h2>")[1].split("<h2>")[0]
    assert "ledger-svc" in unmatched and "Ledger lag" in unmatched


def test_component_form_sets_aliases(client, login_as, make_component, make_integration):
    component = make_component(name="Ledger")
    login_as(Role.EDITOR)
    path = f"/admin/components/{component.id}/edit"
    form = {"name": "Ledger", "group": "", "visibility": "public", "showcase": "y",
            "aliases": "ledger-svc\n  LEDGER-SVC \nbooks\n"}  # fmt: skip
    assert client.form(path, form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Component, component.id).aliases == ["ledger-svc", "books"]
    assert "books" in client.get(path).text
    made = make_integration(damping_minutes=0)
    answer = post(client, AM, am_body(am_alert("Ledger-Svc")), made.secret)
    assert answer.get_json()["firing"] == 1
    too_many = {**form, "aliases": "\n".join(f"a{i}" for i in range(21))}
    answer = client.form(path, too_many)
    assert answer.status_code == 422 and "at most 20 aliases" in answer.text
