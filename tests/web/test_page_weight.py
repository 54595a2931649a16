"""The demo status page stays light: readers often open it on a bad connection, mid-outage."""

from __future__ import annotations

from tests.conftest import Client, DemoPage

#: HTML of `/` plus the stylesheet, uncompressed.
BUDGET_BYTES = 100_000


def test_demo_page_html_and_css_stay_under_100_kb(client: Client, demo_page: DemoPage) -> None:
    """90-day bars for every component add up fast; this catches a template that bloats them."""
    response = client.get("/")
    assert response.status_code == 200
    assert "Past incidents" in response.text and 'class="bars"' in response.text  # a full page
    with client.get("/static/css/statuspage.css") as stylesheet:
        assert stylesheet.status_code == 200
        css = len(stylesheet.data)
    html = len(response.data)
    print(f"/ {html} B + statuspage.css {css} B = {html + css} B of {BUDGET_BYTES}")
    assert html + css < BUDGET_BYTES
