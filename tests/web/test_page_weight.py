"""The demo status page stays light: readers often open it on a bad connection, mid-outage."""

from __future__ import annotations

from statuspage.enums import Role
from tests.conftest import Client, DemoPage

#: HTML of `/` plus the stylesheet, uncompressed.
BUDGET_BYTES = 100_000
#: HTML of `/` alone: the bars are one small SVG per component, not an element per day.
HTML_BUDGET_BYTES = 60_000


def test_demo_page_html_and_css_stay_under_100_kb(client: Client, demo_page: DemoPage) -> None:
    """90-day bars for every component add up fast; this catches a template that bloats them."""
    response = client.get("/")
    assert response.status_code == 200
    assert "Past incidents" in response.text and 'class="bars"' in response.text  # a full page
    assert response.text.count('<svg class="bars"') >= 10
    with client.get("/static/css/statuspage.css") as stylesheet:
        assert stylesheet.status_code == 200
        css = len(stylesheet.data)
    html = len(response.data)
    print(f"/ {html} B + statuspage.css {css} B = {html + css} B of {BUDGET_BYTES}")
    assert html + css < BUDGET_BYTES
    assert html <= HTML_BUDGET_BYTES


def test_the_staff_styles_load_on_staff_pages_only(client: Client, login_as, demo_page) -> None:
    """The console's and the admin's rules are a stylesheet of their own, which the public
    page never asks for."""
    staff_sheet = 'href="/static/css/staff.css'
    assert staff_sheet not in client.get("/").text
    assert staff_sheet not in client.get(f"/incidents/{demo_page.open_incident_id}").text
    login_as(Role.EDITOR)
    for path in ("/internal", f"/internal/incidents/{demo_page.open_incident_id}", "/admin/"):
        assert staff_sheet in client.get(path).text, path
    with client.get("/static/css/staff.css") as sheet:
        assert sheet.status_code == 200 and b".sla-clocks" in sheet.data
