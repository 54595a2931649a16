"""The post-incident review pages in Chromium at 320 and 1280 px: the postmortem editor, the
public incident page with its postmortem, the action items list and the console's overdue
section fit without sideways scrolling and are axe-core clean; an editor publishes by clicking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, Role
from statuspage.services.components import tree
from statuspage.services.notices import incidents
from statuspage.services.review import action_items, postmortems
from tests.browser.conftest import CHROMIUM
from tests.browser.test_console_in_browser import serious, sign_in
from tests.conftest import ACTOR

pytestmark = [
    pytest.mark.browser(bypass_csp=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


def seed(make_user):
    now = utcnow()
    api = tree.create_component(name="API", actor=ACTOR)
    owner = make_user(Role.EDITOR, name="Olive Owner")
    incident = incidents.open_incident(
        name="Checkout errors",
        body="Investigating.",
        components={api: ComponentStatus.MAJOR_OUTAGE},
        actor=ACTOR,
        now=now - timedelta(hours=2),
    )
    incidents.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=now - timedelta(hours=1))
    postmortems.save_postmortem(
        incident, body=postmortems.default_postmortem_body(incident), actor=ACTOR
    )
    action_items.create_action_item(
        incident,
        action_items.ActionItemInput(
            title="Alert on checkout error rate",
            owner_id=owner.id,
            due_on=(now - timedelta(days=2)).date(),
            link="https://tracker.example.com/OPS-1",
        ),
        actor=ACTOR,
    )
    return incident


@pytest.mark.parametrize("width", [320, 1280])
def test_the_review_pages_fit_and_are_accessible(live_server, browser_page: Page, make_user, width):
    incident = seed(make_user)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, make_user(Role.EDITOR))
    paths = (
        f"/admin/incidents/{incident.id}/postmortem",
        f"/admin/incidents/{incident.id}",
        "/admin/action-items",
        "/internal",
        f"/internal/incidents/{incident.id}",
    )
    for path in paths:
        page.goto(live_server + path)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, path
        assert serious(page) == [], path
    assert "Alert on checkout error rate" in page.locator("body").inner_text()


def test_an_editor_publishes_the_postmortem_by_clicking(live_server, browser_page: Page, make_user):
    incident = seed(make_user)
    page = browser_page
    sign_in(page, live_server, make_user(Role.EDITOR))
    page.goto(live_server + f"/admin/incidents/{incident.id}/postmortem")
    page.get_by_role("button", name="Publish the postmortem").click()
    page.wait_for_load_state("load")
    assert "Postmortem published." in page.locator("body").inner_text()
    page.goto(live_server + f"/incidents/{incident.id}")
    assert page.get_by_role("heading", name="Postmortem", exact=True).count() == 1
    page.goto(live_server + "/admin/action-items?overdue=y")
    assert "Overdue" in page.locator("table").inner_text()
    page.goto(live_server + f"/incidents/{incident.id}")
    assert "Alert on checkout error rate" not in page.locator("body").inner_text()
