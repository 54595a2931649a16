"""Every admin route x every role, discovered from the URL map so new routes are covered too."""

import pytest

from statuspage.enums import Role
from tests.conftest import make_app

ADMIN_ONLY = {
    "admin.audit_csv",
    "admin.audit_log",
    "admin.settings",
    "admin.users",
    "admin.new_user",
    "admin.change_user_role",
    "admin.set_user_active",
    "admin.delete_component",
    "admin.delete_group",
    "admin.delete_incident",
    "admin.resend_confirmation",
    "admin.remove_subscriber",
    "admin.export_subscribers",
    "admin.import_subscribers",
    "admin.send_test_mail",
    "admin.tokens",
    "admin.new_token",
    "admin.revoke_token",
}


def admin_routes():
    app = make_app()
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method))
    return sorted(set(routes))


ROUTES = admin_routes()


def url_for_route(app, endpoint, objects):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{arg: objects[arg] for arg in rule.arguments})


def test_the_matrix_covers_every_admin_route():
    endpoints = {endpoint for endpoint, _ in ROUTES}
    assert ADMIN_ONLY <= endpoints
    assert len(ROUTES) >= 30


@pytest.mark.parametrize("endpoint,method", ROUTES)
def test_anonymous_is_sent_to_login(app, client, route_objects, endpoint, method):
    url = url_for_route(app, endpoint, route_objects)
    response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("endpoint,method", ROUTES)
@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.ADMIN])
def test_roles(app, client, login_as, route_objects, endpoint, method, role):
    url = url_for_route(app, endpoint, route_objects)
    login_as(role)
    response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
    allowed = role is Role.ADMIN or (role is Role.EDITOR and endpoint not in ADMIN_ONLY)
    if allowed:
        assert response.status_code in (200, 302, 307, 400, 409, 422), response.status_code
    else:
        assert response.status_code == 403
