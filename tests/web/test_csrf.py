"""Every POST route refuses a request without a CSRF token, whoever sends it."""

import pytest

from statuspage.enums import Role
from tests.conftest import make_app
from tests.web.test_permissions import url_for_route

#: RFC 8058: mail clients unsubscribe with a bare POST, no cookie and no token.
EXEMPT = {"public.unsubscribe"}
#: The management API and the monitoring webhooks are authorised by a secret in a header (an API
#: token, an integration's secret or signature) and never by a cookie, so a cross-site form
#: cannot use them: they are exempt from CSRF on purpose (tested in tests/api/test_manage_api.py
#: and tests/integrations: a signed-in admin's cookie alone gets 401), and so left out here.
TOKEN_AUTHORISED = ("/api/manage/", "/api/integrations/")


def post_routes():
    app = make_app()
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and rule.endpoint not in EXEMPT
        and not rule.rule.startswith(TOKEN_AUTHORISED)
    )


@pytest.mark.parametrize("endpoint", post_routes())
def test_post_without_csrf_token_is_a_400(app, client, login_as, route_objects, endpoint):
    login_as(Role.ADMIN)
    url = url_for_route(app, endpoint, route_objects)
    response = client.post(url, data={"name": "x", "body": "y", "status": "operational"})
    assert response.status_code == 400
    assert "not sent from this site" in response.text


def test_one_click_unsubscribe_is_the_only_form_exemption(app, client, route_objects):
    response = client.post(
        f"/unsubscribe/{route_objects['token']}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
