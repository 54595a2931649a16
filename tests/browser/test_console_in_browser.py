"""The staff console and the incident response panel in Chromium: at 320 px and 1280 px, no
sideways scrolling, axe-core clean, the clocks complete without JavaScript and kept current
with it, and an editor acknowledging and assigning with clicks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, Impact, IncidentRole, Role, Urgency
from statuspage.models import Incident
from statuspage.services.components import tree
from statuspage.services.notices import incidents
from statuspage.services.response import roles
from tests.browser.conftest import CHROMIUM
from tests.browser.test_public_pages_in_browser import assert_page_structure, run_axe
from tests.conftest import ACTOR, PASSWORD

pytestmark = [
    pytest.mark.browser(bypass_csp=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


def seed_incidents(make_user) -> tuple[Incident, object]:
    now = utcnow()
    api = tree.create_component(name="API", actor=ACTOR)
    commander = make_user(Role.EDITOR, name="Casey Commander")
    big = incidents.open_incident(
        name="Checkout is failing for most customers",
        body="Investigating.",
        impact=Impact.CRITICAL,
        urgency=Urgency.HIGH,
        components={api: ComponentStatus.MAJOR_OUTAGE},
        actor=ACTOR,
        now=now - timedelta(minutes=12),
    )
    roles.assign_role(big, IncidentRole.COMMANDER, commander, actor=ACTOR)
    incidents.open_incident(
        name="Slow search", body="Looking.", impact=Impact.MINOR, actor=ACTOR, now=now
    )
    return big, commander


def sign_in(page: Page, live_server: str, user) -> None:
    page.goto(live_server + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def serious(page: Page) -> list:
    found = [v for v in run_axe(page) if v["impact"] in {"serious", "critical"}]
    return [(v["id"], v["help"], len(v["nodes"])) for v in found]


@pytest.mark.parametrize("width", [320, 1280])
def test_the_console_fits_and_is_accessible(
    live_server, browser_page: Page, make_user, width, console_errors
):
    big, _ = seed_incidents(make_user)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, make_user(Role.EDITOR))
    for path in ("/internal", f"/internal/incidents/{big.id}", f"/admin/incidents/{big.id}"):
        page.goto(live_server + path)
        wide = page.evaluate(
            """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w)
                .map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)
                .slice(0, 5)""",
            width,
        )
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, (path, wide)
        if path != f"/admin/incidents/{big.id}":
            assert_page_structure(page)
        assert serious(page) == [], path
    console_errors.clear()  # loads cut short by the next navigation above are no errors
    page.goto(live_server + "/internal")
    page.wait_for_load_state("networkidle")
    console = page.locator("section.console")
    assert console.get_by_role("heading", name="Staff console").count() == 1
    first = console.locator(".console-incident").first
    assert "Checkout is failing" in first.inner_text()  # P1 first
    assert "Casey Commander" in first.inner_text()
    assert console_errors == []


@pytest.mark.browser(java_script_enabled=False)
def test_the_clocks_are_complete_without_javascript(live_server, browser_page: Page, make_user):
    big, _ = seed_incidents(make_user)
    sign_in(browser_page, live_server, make_user(Role.VIEWER))
    browser_page.goto(live_server + "/internal")
    row = browser_page.locator(f"#console-{big.id} tr.clock").first
    # Acknowledge within 5 minutes of a start 12 minutes ago: breached, and since when (the
    # HTML names the due time, never "7 min": the script says by how much).
    due = big.started_at + timedelta(minutes=5)
    assert "Acknowledge" in row.inner_text() and "Breached" in row.inner_text()
    assert f"overdue since {due:%H:%M} UTC" in row.inner_text()


def test_the_script_says_how_overdue_and_how_long_ago(live_server, browser_page: Page, make_user):
    big, _ = seed_incidents(make_user)
    sign_in(browser_page, live_server, make_user(Role.VIEWER))
    browser_page.goto(live_server + "/internal")
    item = browser_page.locator(f"#console-{big.id}")
    assert "overdue by 7 min" in item.locator("tr.clock").first.inner_text()
    assert re.search(r"Last public update: .*\(12 min ago\)", item.inner_text())


def test_the_script_keeps_the_clocks_current(live_server, browser_page: Page, make_user):
    big, _ = seed_incidents(make_user)
    sign_in(browser_page, live_server, make_user(Role.VIEWER))
    browser_page.clock.install(time=utcnow())  # the page's timers under the test's hand
    browser_page.goto(live_server + "/internal")
    resolve = browser_page.locator(f"#console-{big.id} tr.clock").last
    assert "Resolve" in resolve.inner_text()
    # Move the due time 30 seconds ahead in the page and let the script's next tick recompute it.
    due = resolve.get_attribute("data-due")
    assert due
    browser_page.evaluate(
        """([id]) => {
            const row = [...document.querySelectorAll('#console-' + id + ' tr[data-due]')].pop();
            const soon = new Date(Date.now() + 30000);
            row.setAttribute('data-due', soon.toISOString());
            row.setAttribute('data-warn', new Date(Date.now() - 1000).toISOString());
        }""",
        [big.id],
    )
    assert "Due soon" not in resolve.inner_text()  # not before the tick
    browser_page.clock.fast_forward(15_000)
    assert "Due soon" in resolve.inner_text() and "under 1 min left" in resolve.inner_text()


def test_an_editor_acknowledges_and_hands_over_with_clicks(
    live_server, browser_page: Page, make_user, app
):
    big, commander = seed_incidents(make_user)
    editor = make_user(Role.EDITOR, name="Robin Responder")
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 900})
    sign_in(page, live_server, editor)
    page.goto(live_server + f"/admin/incidents/{big.id}")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("load")
    assert "Acknowledged" in page.locator("#response").inner_text()
    page.select_option("#role", "commander")
    page.select_option("#user", str(editor.id))
    page.get_by_role("button", name="Assign", exact=True).click()
    page.wait_for_load_state("load")
    panel = page.locator("#response").inner_text()
    assert "Robin Responder" in panel
    timeline = page.locator(".internal-timeline").inner_text()
    assert "handed over from Casey Commander to Robin Responder" in timeline
    assert "Acknowledged by Robin Responder" in timeline
