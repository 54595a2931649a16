"""Page settings from the admin: stored in the database and in force on the very next request."""

import io
import struct
import zlib

import pytest

from statuspage.enums import ComponentStatus, Role
from statuspage.services.components import tree as components
from tests.conftest import ACTOR

BASE = {
    "page_name": "Example Cloud",
    "base_url": "https://status.example.com",
    "timezone": "UTC",
    "brand_colour": "",
    "support_url": "",
    "footer_text": "",
}


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def test_settings_apply_on_the_next_request_everywhere(client, admin):
    assert "Example Cloud" not in client.get("/").text
    response = client.form(
        "/admin/settings",
        {
            **BASE,
            "footer_text": "Line one\n<b>Line</b> two",
            "support_url": "mailto:help@example.com",
            "default_notify": "",
        },
    )
    assert response.status_code == 302
    page = client.get("/").text
    assert "Example Cloud" in page and "&lt;b&gt;Line&lt;/b&gt; two" in page
    assert 'href="mailto:help@example.com"' in page
    assert client.get("/api/v2/status.json").get_json()["page"]["name"] == "Example Cloud"
    assert (
        client.get("/api/v2/status.json").get_json()["page"]["url"] == "https://status.example.com"
    )
    assert (
        "<title>Example Cloud Status - Incident History</title>" in client.get("/history.atom").text
    )
    assert (
        'name="deliver_notifications" type="checkbox" value="y">'
        in client.get("/admin/incidents/new").text
    )


def test_time_zone_change_moves_times_and_rebuilds_the_day_rows(client, admin, make_component):
    api = make_component(name="API")
    components.set_component_status(api, ComponentStatus.MAJOR_OUTAGE, actor=ACTOR)
    assert "UTC</time>" in client.get("/").text
    assert client.form("/admin/settings", {**BASE, "timezone": "Asia/Tokyo"}).status_code == 302
    page = client.get("/").text
    assert "JST</time>" in page and "Times are shown in Asia/Tokyo" in page


@pytest.mark.parametrize(
    "data,message",
    [
        ({"brand_colour": "#ffff00"}, "WCAG AA needs 4.5:1"),
        ({"brand_colour": "red"}, "Use a colour like"),
        ({"base_url": "javascript:alert(1)"}, "Use a full address"),
        ({"support_url": "javascript:alert(1)"}, "Use a full address"),
        ({"timezone": "Mars/Olympus_Mons"}, "Not a valid choice."),
        ({"page_name": ""}, "This field is required."),
        ({"footer_text": "x" * 501}, "Field cannot be longer than 500 characters."),
    ],
)
def test_bad_settings_are_refused(client, admin, data, message):
    response = client.form("/admin/settings", {**BASE, **data})
    assert response.status_code == 422 and message in response.text
    assert "Example Cloud" not in client.get("/").text


def test_brand_colour_becomes_a_stylesheet(client, admin):
    assert client.form("/admin/settings", {**BASE, "brand_colour": "#7a1fa2"}).status_code == 302
    page = client.get("/").text
    assert '/brand.css?c=7a1fa2"' in page
    css = client.get("/brand.css?c=7a1fa2")
    assert css.headers["Content-Type"].startswith("text/css") and "--link: #7a1fa2" in css.text


def test_logo_upload_and_removal(client, admin):
    response = client.form(
        "/admin/settings",
        {**BASE, "logo": (__import__("io").BytesIO(png()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get("/").text
    assert '<img src="/logo?v=' in page
    logo = client.get("/logo")
    assert logo.headers["Content-Type"] == "image/png" and logo.data == png()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    bad = client.form(
        "/admin/settings",
        {**BASE, "logo": (__import__("io").BytesIO(svg), "logo.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "Upload a PNG, JPEG or GIF" in bad.text
    client.form("/admin/settings", {**BASE, "remove_logo": "y"})
    assert client.get("/logo").status_code == 404 and "/logo?v=" not in client.get("/").text


def test_a_bad_logo_leaves_every_other_setting_as_it_was(client, admin):
    """The fields and the logo are one transaction: a refused logo saves nothing."""
    assert client.form("/admin/settings", BASE).status_code == 302
    svg = io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    bad = client.form(
        "/admin/settings",
        {**BASE, "page_name": "Renamed Cloud", "footer_text": "New footer", "logo": (svg, "a.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "Upload a PNG, JPEG or GIF image." in bad.text
    page = client.get("/").text
    assert "Example Cloud" in page and "Renamed Cloud" not in page and "New footer" not in page
    assert client.get("/logo").status_code == 404


def test_fields_and_a_new_logo_are_saved_together(client, admin):
    """One save changes the name and the logo, with one audit entry for both."""
    response = client.form(
        "/admin/settings",
        {**BASE, "page_name": "Renamed Cloud", "logo": (io.BytesIO(png()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert "Renamed Cloud" in client.get("/").text and client.get("/logo").data == png()
    actions = client.get("/admin/audit.csv").text
    assert "update_settings" in actions and "set_logo" not in actions
