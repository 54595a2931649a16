"""The admin in a real browser: usable on a 320 px phone during an outage."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from statuspage.database import utcnow
from statuspage.enums import Impact, IncidentStatus, Role, TemplateKind
from statuspage.services.response import templates
from tests.conftest import ACTOR, PASSWORD

pytestmark = pytest.mark.browser(viewport={"width": 320, "height": 800})

PAGES = [
    "/admin/",
    "/admin/incidents",
    "/admin/components",
    "/admin/maintenance",
    "/admin/subscribers",
    "/admin/mail",
    "/admin/users",
    "/admin/settings",
    "/admin/settings/response",
    "/admin/audit",
    "/admin/incidents/new",
    "/admin/templates",
    "/admin/templates/new",
]


def test_admin_pages_fit_a_320px_screen(live_server, browser_page: Page, make_user, app):
    from statuspage import demo

    demo.seed_demo(now=utcnow())
    admin = make_user(Role.ADMIN)
    page = browser_page
    page.goto(live_server + "/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    wide = {}
    for path in PAGES:
        page.goto(live_server + path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > 320:
            wide[path] = width
    assert wide == {}


def sign_in(page: Page, live_server: str, user) -> None:
    page.goto(live_server + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.browser(viewport={"width": 1280, "height": 900})
def test_choosing_a_template_fills_the_new_incident_form(
    live_server, browser_page: Page, console_errors, make_user, make_component, default_templates
):
    api, web = make_component(name="API"), make_component(name="Web")
    templates.create_template(
        name="API outage",
        kind=TemplateKind.INCIDENT,
        status=IncidentStatus.IDENTIFIED,
        impact=Impact.MAJOR,
        title="Errors on {{ components }}",
        body="Requests to {{ components }} fail. Next update by {{ next_update }}.",
        components=[api],
        actor=ACTOR,
    )
    page = browser_page
    sign_in(page, live_server, make_user(Role.EDITOR))
    page.goto(live_server + "/admin/incidents/new")
    page.wait_for_load_state("networkidle")  # the favicon too: leaving early aborts its load
    page.select_option("#incident-form-template", label="API outage")
    form = page.locator("#incident-form")
    assert form.locator("input[name=name]").input_value() == "Errors on API"
    body = form.locator("textarea[name=body]").input_value()
    assert body.startswith("Requests to API fail. Next update by ")
    assert form.locator("select[name=status]").input_value() == "identified"
    assert form.locator("select[name=impact]").input_value() == "major"
    assert form.locator(f"input[name=affects_{api.id}]").is_checked()
    assert not form.locator(f"input[name=affects_{web.id}]").is_checked()
    assert form.locator(f"select[name=status_{api.id}]").input_value() == "partial_outage"
    assert "Filled in from “API outage”" in page.locator("[role=status]").first.inner_text()

    # Another one replaces the words; the defaults are there too.
    page.select_option("#incident-form-template", label="Degraded performance")
    assert form.locator("input[name=name]").input_value() == (
        "Degraded performance of some of our services"
    )
    page.select_option("#incident-form-template", label="API outage")
    form.locator("button.primary").click()
    page.wait_for_url(re.compile(r"/admin/incidents/[a-z0-9]{12}$"))
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Errors on API"
    assert "Requests to API fail." in page.content()
    assert console_errors == []


@pytest.mark.browser(viewport={"width": 1280, "height": 900}, bypass_csp=True)
def test_the_template_pages_and_pickers_pass_axe(
    live_server, browser_page: Page, make_user, make_incident, default_templates
):
    from tests.browser.test_public_pages_in_browser import run_axe

    incident = make_incident()
    page = browser_page
    sign_in(page, live_server, make_user(Role.ADMIN))
    found = {}
    for path in [
        "/admin/templates",
        "/admin/templates/new",
        f"/admin/templates/{default_templates[0].id}/edit",
        "/admin/incidents/new",
        f"/admin/incidents/{incident.id}",
    ]:
        page.goto(live_server + path)
        bad = [v["id"] for v in run_axe(page) if v["impact"] in {"serious", "critical"}]
        if bad:
            found[path] = bad
    assert found == {}


@pytest.mark.browser(viewport={"width": 320, "height": 800}, bypass_csp=True)
def test_runbook_pages_fit_a_phone_and_pass_axe(
    live_server, browser_page: Page, make_user, make_group, make_component, make_incident
):
    """The forms' response fieldset and the runbook panels (admin incident page, /internal):
    320 px without sideways scrolling, and no serious axe-core violation."""
    from statuspage.enums import ComponentStatus
    from statuspage.services.components.runbooks import RunbookInput
    from tests.browser.test_public_pages_in_browser import run_axe

    details = RunbookInput(
        owner_team="Payments site reliability engineering",
        runbook_urls=["https://wiki.example.com/" + "very-long-runbook-path/" * 4],
        escalation_contacts=[
            {"name": "Alice Ops", "email": "alice.operations@example.com", "notes": "+1 555 0100"}
        ],
        internal_notes="Restart **the worker**, then check `queue_depth_by_partition_total`.",
    )
    group = make_group(name="Core", runbook=details)
    api = make_component(name="API", group=group, runbook=details)
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE})
    page = browser_page
    sign_in(page, live_server, make_user(Role.EDITOR))
    wide, found = {}, {}
    for path in [
        f"/admin/components/{api.id}/edit",
        f"/admin/groups/{group.id}/edit",
        f"/admin/incidents/{incident.id}",
        "/internal",
        f"/internal/incidents/{incident.id}",
    ]:
        page.goto(live_server + path)
        assert "Runbook" in page.content(), path
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > 320:
            wide[path] = width
        bad = [v["id"] for v in run_axe(page) if v["impact"] in {"serious", "critical"}]
        if bad:
            found[path] = bad
    assert (wide, found) == ({}, {})
