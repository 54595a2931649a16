"""Bad input gets a clear 4xx and loses nothing; nothing a user sends causes a 500."""

import pytest

from statuspage.enums import Role
from tests.conftest import make_app
from tests.web.test_permissions import url_for_route

JUNK = [
    {},
    {"name": "x" * 100_000, "body": "y" * 100_000, "email": "z" * 5000},
    {"name": "\x00\x01", "body": "\x00", "status": "\x00", "offset": "9" * 50, "role": "[]"},
    {"name": "🙂" * 300, "start_date": "0000-00-00", "impact": "none", "status": "resolved"},
    {"group": "../../etc/passwd", "page": "-1", "active": "maybe", "back": "javascript:alert(1)"},
]


def post_routes():
    app = make_app()
    return sorted(r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods)


@pytest.mark.parametrize("endpoint", post_routes())
def test_junk_never_causes_a_server_error(app, client, login_as, route_objects, endpoint):
    login_as(Role.ADMIN)
    url = url_for_route(app, endpoint, route_objects)
    for junk in JUNK:
        response = client.form(url, junk)
        assert response.status_code < 500, (junk, response.status_code)
    raw = f"csrf_token={client.csrf_token()}&name=%FF%FE%00&body=%C0%AF&email=%ED%A0%80".encode()
    response = client.post(url, data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500


@pytest.mark.config(MAX_CONTENT_LENGTH=64 * 1024, MAX_FORM_MEMORY_SIZE=64 * 1024)
def test_oversize_requests_are_refused(client, login_as):
    login_as(Role.EDITOR)
    response = client.form("/admin/incidents/new", {"name": "x", "body": "y" * 200_000})
    assert response.status_code == 413
    assert "Request too large" in response.text


@pytest.mark.parametrize(
    "url,status",
    [
        ("/nope", 404),
        ("/incidents/", 404),
        ("/incidents/%00", 404),
        ("/history?month=2026-13", 400),
        ("/history?month=abc", 400),
        ("/history?page=x", 400),
        ("/history?page=99999999999", 400),
        ("/history?component=unknown", 404),
    ],
)
def test_bad_urls_get_clear_answers(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert "<h1" in response.text


def test_wrong_method_is_a_405(client):
    assert client.get("/logout").status_code == 405


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_an_unexpected_failure_shows_the_500_page_in_the_page_style(app, client):
    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken-for-test", view_func=broken)
    response = client.get("/broken-for-test")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and 'class="site-header"' in response.text
    assert "a bug" not in response.text  # no internals leak
