"""The relative phrases come from static/js/local-time.js, never from the server: with the
script a reader sees "12 min ago", "in 2 h" and "12 min so far" beside the absolute times;
without it the absolute time (in the page's zone) stands alone and nothing is left blank."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, Impact
from statuspage.models import Incident, Maintenance
from statuspage.services.components import tree
from statuspage.services.notices import incidents, maintenance
from tests.browser.conftest import CHROMIUM
from tests.conftest import ACTOR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


def seed() -> tuple[Incident, Maintenance]:
    """An incident opened 12 minutes ago, a window starting in 2 hours (the wall clock, which
    the browser reads too; half a minute of slack either side of each phrase)."""
    now = utcnow()
    api = tree.create_component(name="API", actor=ACTOR, now=now - timedelta(days=30))
    incident = incidents.open_incident(
        components={api: ComponentStatus.MAJOR_OUTAGE},
        name="Checkout is failing",
        body="We are looking.",
        impact=Impact.MAJOR,
        actor=ACTOR,
        now=now - timedelta(minutes=12, seconds=20),
    )
    window = maintenance.schedule_maintenance(
        name="Database upgrade",
        body="Upgrading.",
        components=[api],
        scheduled_for=now + timedelta(hours=2, seconds=40),
        scheduled_until=now + timedelta(hours=3),
        actor=ACTOR,
        now=now,
    )
    return incident, window


def test_the_script_writes_the_relative_phrases(live_server: str, browser_page: Page) -> None:
    incident, window = seed()
    # The page's timers under the test's hand, starting at the wall clock: a minute passes at once.
    browser_page.clock.install(time=utcnow())
    browser_page.goto(live_server + "/")
    card = browser_page.locator(".open-incidents .card").first
    assert "Started" in card.inner_text() and ", 12 min ago" in card.inner_text()
    browser_page.goto(live_server + f"/incidents/{incident.id}")
    facts = browser_page.locator("dl.facts")
    started = facts.locator("div", has=browser_page.locator("dt", has_text="Started"))
    assert started.locator("time").is_visible() and "(12 min ago)" in started.inner_text()
    duration = facts.locator("div", has=browser_page.locator("dt", has_text="Duration"))
    assert duration.locator("dd").inner_text() == "12 min so far"
    browser_page.goto(live_server + f"/maintenance/{window.id}")
    starts = browser_page.locator("dl.facts div", has=browser_page.locator("dt", has_text="Starts"))
    assert "(in 2 h)" in starts.inner_text() and starts.locator("time").is_visible()
    # Refreshed each minute: a minute later by the page's own clock, the phrase follows.
    browser_page.evaluate(
        """() => {
            const node = document.querySelector('[data-relative]');
            node.setAttribute('data-relative', new Date(Date.now() - 3 * 3600000).toISOString());
        }"""
    )
    phrase = "() => document.querySelector('[data-relative]').textContent"
    assert browser_page.evaluate(phrase) == "(in 2 h)"  # not before the minute is over
    browser_page.clock.fast_forward(60_000)
    assert browser_page.evaluate(phrase) == "(3 h 1 min ago)"  # set 3 h back, then a minute on


@pytest.mark.browser(java_script_enabled=False)
def test_without_javascript_the_absolute_times_stand_alone(
    live_server: str, browser_page: Page
) -> None:
    incident, window = seed()
    served = browser_page.goto(live_server + f"/incidents/{incident.id}")
    assert served is not None and " ago" not in served.text()
    facts = browser_page.locator("dl.facts")
    started = facts.locator("div", has=browser_page.locator("dt", has_text="Started"))
    text = started.locator("dd").inner_text()
    assert text.endswith(" UTC") and "ago" not in text, text  # "12 Nov 2026, 11:48 UTC"
    assert started.locator(".relative").is_hidden()
    duration = facts.locator("div", has=browser_page.locator("dt", has_text="Duration"))
    assert duration.locator("dd").inner_text() == "ongoing"
    browser_page.goto(live_server + "/")
    card = browser_page.locator(".open-incidents .card").first
    assert card.locator(".card-meta time").is_visible()
    assert "ago" not in card.inner_text() and card.inner_text().count("Started") == 1
    browser_page.goto(live_server + f"/maintenance/{window.id}")
    starts = browser_page.locator("dl.facts div", has=browser_page.locator("dt", has_text="Starts"))
    assert starts.locator("time").is_visible() and "in 2 h" not in starts.inner_text()
