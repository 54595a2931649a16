"""The admin in a real browser: usable on a 320 px phone during an outage."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from statuspage.database import utcnow
from statuspage.enums import Role
from tests.conftest import PASSWORD

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
    "/admin/audit",
    "/admin/incidents/new",
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
