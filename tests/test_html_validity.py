"""The public pages, the staff pages incidents are run from, and the stylesheet pass the Nu HTML Checker (vnu) with zero errors.

vnu refuses loopback URLs, so the pages are rendered through the test client and written to
files; every file is checked in one java call, since each call starts a JVM.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from statuspage.enums import Role
from statuspage.extensions import db
from statuspage.models import Component
from statuspage.services.automation import ingest, integrations
from tests.conftest import ACTOR, Client, DemoPage

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
STYLESHEETS = ROOT / "static" / "css"
CANARY = (
    '<!doctype html><html lang="en"><head><title>canary</title></head>'
    '<body><main><p id="a">one</p><p id="a">two</p></main></body></html>'
)


def run_vnu(files: list[Path]) -> list[dict[str, Any]]:
    """Check *files* in one JVM and return vnu's messages (HTML and CSS alike)."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is not installed: the Nu HTML Checker needs a Java runtime")
    if not VNU_JAR.exists():
        pytest.skip(f"{VNU_JAR.relative_to(ROOT)} is missing: run `make test` (npm ci) first")
    command = [java, "-jar", str(VNU_JAR), "--stdout", "--format", "json", "--also-check-css"]
    result = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=180, check=False
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"vnu printed no JSON (exit {result.returncode}): {result.stderr[-2000:]}")
    return report["messages"]


def describe(message: dict[str, Any]) -> str:
    """One line per message, with the file and line, as a reader would want it in a failure."""
    where = message.get("url", "").rsplit("/", 1)[-1]
    line = message.get("lastLine", "?")
    kind = message.get("subType") or message["type"]
    extract = (message.get("extract") or "").strip().replace("\n", " ")[:120]
    return f"{where}:{line}: {kind}: {message.get('message')}  [{extract}]"


def _check_pages(client: Client, tmp_path: Path) -> list[Path]:
    """A component with a checked day of response times: its admin page and the public chart."""
    from datetime import timedelta

    from statuspage.database import utcnow
    from statuspage.enums import CheckKind
    from statuspage.services.checks import configure
    from statuspage.services.checks.probes import ProbeResult
    from statuspage.services.checks.runner import record_result
    from statuspage.services.components import tree
    from tests.conftest import ACTOR

    now = utcnow()
    component = tree.create_component(name="Checked", show_response_times=True, actor=ACTOR)
    check = configure.create_check(
        component,
        configure.CheckInput(kind=CheckKind.HTTP, name="Home", url="https://example.com/"),
        actor=ACTOR,
    )
    for step in range(48):
        record_result(
            check,
            ProbeResult(True, "HTTP 200.", 30.0 + step),
            now=now - timedelta(minutes=30 * step),
        )
    files = []
    for name, url in {
        "response-times.html": "/response-times",
        "admin-checks.html": f"/admin/components/{component.id}/checks",
        "admin-check-form.html": f"/admin/checks/{check.id}/edit",
    }.items():
        response = client.get(url)
        assert response.status_code == 200, url
        path = tmp_path / name
        path.write_bytes(response.data)
        files.append(path)
    text = (tmp_path / "response-times.html").read_text()
    assert "<polyline" in text, text[text.find("<main") :][:1500]
    return files


@pytest.mark.slow
def test_public_pages_and_stylesheet_have_no_validation_errors(
    client: Client, demo_page: DemoPage, tmp_path: Path, login_as: Any
) -> None:
    """Invalid markup renders differently from browser to browser and confuses screen readers."""
    pages = {
        "index.html": "/",
        "incident-open.html": f"/incidents/{demo_page.open_incident_id}",
        "incident-resolved.html": f"/incidents/{demo_page.resolved_incident_id}",
        "history.html": "/history",
        "uptime.html": "/uptime",
        "history-month.html": f"/history?month={demo_page.past_month}",
    }
    files = []
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        path = tmp_path / name
        path.write_bytes(response.data)
        files.append(path)
    # The staff side an incident is run from: the console, the response panel, the policy.
    login_as(Role.ADMIN)
    integration = integrations.create_integration(
        name="Prod Alertmanager", kind="alertmanager", actor=ACTOR
    ).integration
    component_id = db.session.scalars(sa.select(Component.id).limit(1)).one()
    alerts = [
        {"status": "firing", "labels": {"component": value}, "annotations": {"summary": "5xx"}}
        for value in (component_id, "unknown-service", "")
    ]
    body = json.dumps({"version": "4", "alerts": alerts}).encode()
    assert ingest.receive_alerts(integration, body).unmatched == ["unknown-service", ""]
    staff_pages = {
        "admin-integrations.html": "/admin/settings/integrations",
        "admin-integration.html": f"/admin/settings/integrations/{integration.id}",
        "admin-new-integration.html": "/admin/settings/integrations/new",
        "internal.html": "/internal",
        "internal-incident.html": f"/internal/incidents/{demo_page.open_incident_id}",
        "admin-dashboard.html": "/admin/",
        "admin-response-policy.html": "/admin/settings/response",
        "admin-reports.html": "/admin/reports?by=month",
    }
    for name, url in staff_pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        path = tmp_path / name
        path.write_bytes(response.data)
        files.append(path)
    files += _check_pages(client, tmp_path)
    assert 'class="console"' in (tmp_path / "internal.html").read_text()
    month = (tmp_path / "history-month.html").read_text()
    assert 'class="history-item"' in month, "the month chosen should list incidents"
    for sheet in ("statuspage.css", "staff.css"):
        stylesheet = tmp_path / sheet
        with client.get(f"/static/css/{sheet}") as response:
            stylesheet.write_bytes(response.data)
        assert stylesheet.read_bytes() == (STYLESHEETS / sheet).read_bytes()
        files.append(stylesheet)
    # A page with known errors in the same call proves the checker really read the files.
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY)
    files.append(canary)

    messages = run_vnu(files)

    from_canary = [m for m in messages if m.get("url", "").endswith("/canary.html")]
    assert any("Duplicate ID" in m.get("message", "") for m in from_canary), from_canary
    messages = [m for m in messages if m not in from_canary]
    errors = [m for m in messages if m["type"] in {"error", "non-document-error"}]
    warnings = [m for m in messages if m not in errors]
    for message in warnings:
        print("vnu", describe(message))
    assert not errors, "\n".join(describe(m) for m in errors)
