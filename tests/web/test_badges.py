"""Status badges: /badge.svg and /badge.json for the page, the same per public component; the
public status only, the plain 404 for anything the public page does not list, every style and
label checked, cached and validated, colours with AA contrast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from statuspage.badges import LABEL_COLOUR, STYLES, width_table
from statuspage.enums import ComponentStatus, Impact, Indicator, Visibility
from statuspage.services.components import tree
from statuspage.services.site.configure import MIN_CONTRAST, contrast_with_white
from tests.conftest import ACTOR

SVG = "{http://www.w3.org/2000/svg}"
CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "statuspage.css"


def parse_badge(response) -> etree._Element:
    assert response.status_code == 200, response.data[:300]
    assert response.content_type == "image/svg+xml; charset=utf-8"
    return etree.fromstring(response.data)


def words(svg: etree._Element) -> str:
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title").text
    assert svg.get("aria-label") == title
    return title


def part_rects(svg: etree._Element) -> list[etree._Element]:
    """The backgrounds of the badge's parts, left to right (not the clip, not the gloss)."""
    return [
        r
        for r in svg.iter(f"{SVG}rect")
        if r.get("fill", "").startswith("#") and r.getparent().tag != f"{SVG}clipPath"
    ]


def fills(svg: etree._Element) -> list[str]:
    return [r.get("fill") for r in part_rects(svg)]


def shown_texts(svg: etree._Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if t.get("aria-hidden") != "true"]


def test_the_page_badge_says_what_the_banner_says_in_its_colour(client, make_component, now):
    component = make_component(name="API")
    svg = parse_badge(client.get("/badge.svg"))
    assert words(svg) == "status: All Systems Operational"
    assert shown_texts(svg) == ["status", "All Systems Operational"]
    assert fills(svg) == [LABEL_COLOUR, ComponentStatus.OPERATIONAL.colour]
    tree.set_component_status(component, ComponentStatus.PARTIAL_OUTAGE, actor=ACTOR, now=now)
    svg = parse_badge(client.get("/badge.svg"))  # a write shows on the next request
    assert words(svg) == "status: Partial System Outage"
    assert fills(svg)[1] == Indicator.MAJOR.colour == ComponentStatus.PARTIAL_OUTAGE.colour
    assert client.get("/badge.json").get_json() == {
        "schemaVersion": 1,
        "label": "status",
        "message": "Partial System Outage",
        "color": "#b35900",
        "labelColor": "#555",
    }


def test_a_component_badge_follows_its_public_status(client, make_component, now):
    component = make_component(name="Billing & invoices <EU>")
    url = f"/components/{component.id}/badge"
    svg = parse_badge(client.get(url + ".svg"))
    assert words(svg) == "Billing & invoices <EU>: Operational"  # escaped, parsed back
    tree.set_component_status(component, ComponentStatus.MAJOR_OUTAGE, actor=ACTOR, now=now)
    svg = parse_badge(client.get(url + ".svg"))
    assert shown_texts(svg) == ["Billing & invoices <EU>", "Major outage"]
    assert fills(svg) == [LABEL_COLOUR, "#c9182b"]
    data = client.get(url + ".json").get_json()
    assert (data["label"], data["message"], data["color"]) == (
        "Billing & invoices <EU>",
        "Major outage",
        "#c9182b",
    )


def test_an_internal_incident_moves_no_badge(client, make_component, make_incident):
    component = make_component(name="API")
    make_incident(
        components={component: ComponentStatus.MAJOR_OUTAGE},
        visibility=Visibility.INTERNAL,
        impact=Impact.CRITICAL,
    )
    assert words(parse_badge(client.get("/badge.svg"))) == "status: All Systems Operational"
    badge = client.get(f"/components/{component.id}/badge.json").get_json()
    assert badge["message"] == "Operational"


def test_what_the_public_page_does_not_list_is_the_plain_404(
    client, make_component, make_group, now
):
    internal = make_component(name="Secret", visibility=Visibility.INTERNAL)
    hidden_group = make_group(name="Hidden", visibility=Visibility.INTERNAL)
    in_hidden_group = make_component(name="In hidden", group=hidden_group)
    archived = make_component(name="Gone")
    tree.archive_component(archived, actor=ACTOR, now=now)
    group = make_group(name="Public group")
    make_component(name="Member", group=group)
    unknown = client.get("/components/aaaaaaaaaaaa/badge.svg")
    unknown_json = client.get("/components/aaaaaaaaaaaa/badge.json")
    assert unknown.status_code == unknown_json.status_code == 404
    for hidden in (internal, in_hidden_group, archived, group):
        for fmt, expected in (("svg", unknown), ("json", unknown_json)):
            response = client.get(f"/components/{hidden.id}/badge.{fmt}")
            assert response.status_code == 404
            assert response.data == expected.data, hidden.name
            assert hidden.name.encode() not in response.data


@pytest.mark.parametrize("style", STYLES)
def test_each_style_draws_its_shape(client, make_component, style):
    make_component(name="API")
    svg = parse_badge(client.get(f"/badge.svg?style={style}"))
    height = 28 if style == "for-the-badge" else 20
    assert svg.get("height") == str(height)
    rounded = [r for r in svg.iter(f"{SVG}rect") if r.get("rx")]  # flat: the clip
    gradient = svg.find(f"{SVG}linearGradient")
    assert (bool(rounded), gradient is not None) == (
        (True, True) if style == "flat" else (False, False)
    )
    expected = ["status", "All Systems Operational"]
    if style == "for-the-badge":
        expected = [text.upper() for text in expected]
    assert shown_texts(svg) == expected
    parts = part_rects(svg)
    assert sum(int(r.get("width")) for r in parts) == int(svg.get("width"))
    for rect, text in zip(
        parts, (t for t in svg.iter(f"{SVG}text") if t.get("aria-hidden") != "true"), strict=True
    ):
        # every text fits its part, with room left on both sides
        assert int(text.get("textLength")) / 10 < int(rect.get("width")) - 8
        assert int(text.get("x")) == int(rect.get("x")) * 10 + int(rect.get("width")) * 5


def test_a_longer_text_makes_a_wider_badge(client, make_component):
    short = make_component(name="API")
    long = make_component(name="Object storage in Asia Pacific (Singapore)")
    narrow = parse_badge(client.get(f"/components/{short.id}/badge.svg"))
    wide = parse_badge(client.get(f"/components/{long.id}/badge.svg"))
    table = width_table()
    assert table.measure("WWW") > table.measure("iii") > 0  # a real table, not a mean width
    assert int(wide.get("width")) - int(narrow.get("width")) == pytest.approx(
        (table.measure(long.name) - table.measure(short.name)) / 10, abs=1
    )


def test_the_label_can_be_changed_or_left_out(client, make_component):
    component = make_component(name="API")
    svg = parse_badge(client.get(f"/components/{component.id}/badge.svg?label=Our%20API"))
    assert words(svg) == "Our API: Operational"
    svg = parse_badge(client.get("/badge.svg?label="))
    assert words(svg) == "All Systems Operational"
    assert fills(svg) == [ComponentStatus.OPERATIONAL.colour]  # the message alone
    data = client.get("/badge.json?label=uptime&style=for-the-badge").get_json()
    assert (data["label"], data["style"]) == ("uptime", "for-the-badge")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("style=plastic", "style must be one of flat, flat-square, for-the-badge."),
        ("label=" + "x" * 65, "label must be at most 64 characters (65 given)."),
        ("label=a%0Ab", "label must not contain control characters."),
    ],
)
def test_bad_arguments_are_a_clear_400(client, make_component, query, message):
    make_component(name="API")
    svg = client.get(f"/badge.svg?{query}")
    assert svg.status_code == 400
    assert message in svg.get_data(as_text=True)
    data = client.get(f"/badge.json?{query}")
    assert data.status_code == 400
    assert data.get_json() == {"error": {"status": 400, "message": message}}


def test_badges_are_cached_and_validated(client, make_component, count_queries, now):
    component = make_component(name="API")
    url = f"/components/{component.id}/badge.svg"
    first = client.get(url)
    etag = first.headers["ETag"]
    with count_queries() as statements:
        again = client.get(url)
    assert again.data == first.data
    assert len(statements) <= 1  # the page version, read once
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    summary = client.get("/api/v2/summary.json")
    assert first.headers["Cache-Control"] == summary.headers["Cache-Control"]  # as every read
    tree.set_component_status(component, ComponentStatus.DEGRADED_PERFORMANCE, actor=ACTOR, now=now)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert b"Degraded performance" in changed.data


def test_status_colours_are_the_stylesheets_and_pass_aa_with_white_text():
    declared = dict(
        re.findall(r"--(ok|degraded|partial|major|maint): (#[0-9a-f]{6});", CSS.read_text())
    )
    assert [s.colour for s in ComponentStatus] == [
        declared[name] for name in ("ok", "degraded", "partial", "major", "maint")
    ]
    assert LABEL_COLOUR == "#555"  # shields' grey, #555555
    for colour in ["#555555", *(s.colour for s in ComponentStatus), *(i.colour for i in Indicator)]:
        assert contrast_with_white(colour) >= MIN_CONTRAST, colour
