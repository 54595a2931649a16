"""The reports page (with its recurring problems) and the public uptime history in Chromium:
at 320 px no sideways scrolling, and axe-core finds nothing serious or critical."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, Impact, Role, Urgency
from statuspage.services.components import tree
from statuspage.services.notices import incidents
from statuspage.services.problems import records as problems
from tests.browser.conftest import CHROMIUM
from tests.browser.test_console_in_browser import serious, sign_in
from tests.conftest import ACTOR

pytestmark = [
    pytest.mark.browser(bypass_csp=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


def seed_history() -> None:
    """Two resolved outages on one component, both behind a long-titled problem."""
    now = utcnow()
    api = tree.create_component(name="Payments API for the European region", actor=ACTOR)
    problem = problems.create_problem(
        title="Connection pool exhaustion on the primary database cluster", actor=ACTOR, now=now
    )
    for hours in (30, 6):
        incident = incidents.open_incident(
            name="Payments are failing",
            body="Investigating.",
            impact=Impact.CRITICAL,
            urgency=Urgency.HIGH,
            components={api: ComponentStatus.MAJOR_OUTAGE},
            actor=ACTOR,
            now=now - timedelta(hours=hours),
        )
        incidents.resolve_incident(
            incident, body="Fixed.", actor=ACTOR, now=now - timedelta(hours=hours - 1)
        )
        problems.link_incident(problem, incident.id, actor=ACTOR, now=now)


def test_reports_and_uptime_fit_320px_and_are_accessible(
    live_server, browser_page: Page, make_user
):
    seed_history()
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 900})
    sign_in(page, live_server, make_user(Role.VIEWER))
    for path in ("/admin/reports", "/uptime"):
        page.goto(live_server + path)
        if path == "/admin/reports":
            assert "Connection pool exhaustion" in page.locator("#table-problems").inner_text()
        wide = page.evaluate(
            """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w)
                .map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)
                .slice(0, 5)""",
            320,
        )
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 320, (path, wide)
        assert serious(page) == [], path
