"""The checks' admin pages (admin only, validated, audited) and the response-time charts: on
the component's admin page, and on the public page only for public components that opt in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import CheckKind, ComponentStatus, Role, Visibility
from statuspage.extensions import db
from statuspage.models import AuditEntry, Check, Component
from statuspage.services.checks.probes import ProbeResult
from statuspage.services.checks.runner import record_result
from statuspage.services.components import tree
from statuspage.services.site.page_state import read_page_state
from tests.conftest import ACTOR

VALID = {
    "name": "Homepage",
    "kind": "http",
    "url": "https://shop.example.com/health",
    "method": "GET",
    "expected_statuses": "200, 204",
    "keyword": "ok",
    "tls_warn_days": "14",
    "record_type": "A",
    "timeout_seconds": "5",
    "interval_seconds": "60",
    "failure_threshold": "3",
    "success_threshold": "2",
    "failure_status": "partial_outage",
    "damping_minutes": "2",
    "enabled": "y",
}


def test_an_admin_makes_edits_and_deletes_a_check(client, login_as, make_component):
    login_as(Role.ADMIN)
    component = make_component()
    base = f"/admin/components/{component.id}/checks"
    response = client.form(f"{base}/new", VALID)
    assert response.status_code == 302 and response.headers["Location"] == base
    check = db.session.scalars(sa.select(Check)).one()
    assert (check.expected_statuses, check.failure_status) == (
        [200, 204],
        ComponentStatus.PARTIAL_OUTAGE,
    )
    page = client.get(base).get_data(as_text=True)
    assert "Homepage" in page and "GET https://shop.example.com/health" in page

    tcp = {**VALID, "kind": "tcp", "host": "db.internal", "port": "5432", "url": ""}
    assert client.form(f"/admin/checks/{check.id}/edit", tcp).status_code == 302
    db.session.refresh(check)
    assert (check.kind, check.target, check.url) == (CheckKind.TCP, "db.internal:5432", None)

    assert client.form(f"/admin/checks/{check.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Check)) == 0
    done = set(
        db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "Check"))
    )
    assert done == {"create_check", "update_check", "delete_check"}


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"url": "ftp://files.example.com/"}, "url", "starting with http or https"),
        ({"url": ""}, "url", "A link is required."),
        ({"kind": "tcp", "host": "db", "port": "70000"}, "port", "between 1 and 65535"),
        ({"kind": "tcp", "host": "db:5432", "port": "5432"}, "host", "host name or address only"),
        ({"interval_seconds": "10"}, "interval_seconds", "between 30 and 86400"),
        ({"failure_threshold": "0"}, "failure_threshold", "between 1 and 100"),
        ({"timeout_seconds": "120"}, "timeout_seconds", "between 0.1 and 60"),
        ({"expected_statuses": "200, abc"}, "expected_statuses", "as numbers"),
        ({"expected_statuses": "700"}, "expected_statuses", "no HTTP status code"),
        ({"method": "HEAD"}, "keyword", "A HEAD request has no body"),
        ({"failure_status": "under_maintenance"}, "failure_status", "Not a valid choice"),
    ],
)
def test_bad_input_is_a_422_with_the_message_on_its_field(
    client, login_as, make_component, changes, field, message
):
    login_as(Role.ADMIN)
    component = make_component()
    response = client.form(f"/admin/components/{component.id}/checks/new", {**VALID, **changes})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    assert errors and message in errors.group(1), page[:200]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Check)) == 0


def test_editors_cannot_see_or_change_checks(client, login_as, make_component, make_check):
    component = make_component()
    check = make_check(component, url="http://127.0.0.1:9/")
    login_as(Role.EDITOR)
    assert client.get(f"/admin/components/{component.id}/checks").status_code == 403
    assert client.form(f"/admin/checks/{check.id}/delete").status_code == 403
    page = client.get(f"/admin/components/{component.id}/edit").get_data(as_text=True)
    assert "Built-in checks" not in page


def _measure(check, now):
    """A day of results: every half hour a success of 40 ms, and one failure."""
    for step in range(48):
        at = now - timedelta(minutes=30 * step)
        record_result(check, ProbeResult(True, "HTTP 200.", 40.0), now=at)
    record_result(check, ProbeResult(False, "HTTP 500, expected 2xx.", 12.0), now=now)


def test_the_admin_page_charts_each_check_and_shows_a_certificate_warning(
    client, login_as, make_component, make_check
):
    now = utcnow()
    component = make_component()
    check = make_check(component, name="Storefront", url="https://shop.example.com/")
    _measure(check, now)
    record_result(
        check,
        ProbeResult(True, "HTTP 200.", 30.0, 5, "The TLS certificate expires in 5 days."),
        now=now,
    )
    login_as(Role.ADMIN)
    page = client.get(f"/admin/components/{component.id}/checks").get_data(as_text=True)
    assert '<svg class="chart"' in page and "<polyline" in page
    assert "Storefront 40 ms" in page  # a point's tooltip names its check
    assert "Warning: The TLS certificate expires in 5 days." in page


def test_the_public_chart_is_opt_in_and_names_no_check(client, make_component, make_check):
    now = utcnow()
    shown = make_component(name="Checkout", show_response_times=True)
    quiet = make_component(name="Search")
    hidden = make_component(
        name="Backoffice", visibility=Visibility.INTERNAL, show_response_times=True
    )
    for component in (shown, quiet, hidden):
        _measure(
            make_check(component, name=f"SECRET-{component.name}", url="https://x.example/"), now
        )
    page = client.get("/response-times").get_data(as_text=True)
    assert page.count('<svg class="chart"') == 1
    assert "Checkout" in page and "Search" not in page and "Backoffice" not in page
    assert "SECRET" not in page and "x.example" not in page
    assert 'href="/response-times"' in client.get("/").get_data(as_text=True)


def test_no_chart_and_no_link_without_an_opted_in_component(client, make_component, make_check):
    component = make_component()
    _measure(make_check(component, url="https://x.example/"), utcnow())
    assert "No response times are shown" in client.get("/response-times").get_data(as_text=True)
    assert 'href="/response-times"' not in client.get("/").get_data(as_text=True)


def test_opting_in_is_a_public_change_and_check_runs_are_not(
    app, client, login_as, make_component, make_check, now
):
    component = make_component()
    check = make_check(component, url="https://x.example/")
    before = read_page_state(db.engine)
    record_result(check, ProbeResult(True, "HTTP 200.", 40.0), now=now)
    assert read_page_state(db.engine).public[0] == before.public[0]
    tree.update_component(
        db.session.get(Component, component.id),
        name=component.name,
        group=None,
        description=None,
        visibility=Visibility.PUBLIC,
        showcase=True,
        only_show_if_degraded=False,
        start_date=None,
        show_response_times=True,
        actor=ACTOR,
        now=now,
    )
    assert read_page_state(db.engine).public[0] > before.public[0]
    login_as(Role.EDITOR)
    form = client.get(f"/admin/components/{component.id}/edit").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="show_response_times"[^>]*>', form)
    assert box and "checked" in box.group(0), form[form.find("start_date") :][:3000]
