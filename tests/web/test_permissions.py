"""Every admin route x every role, discovered from the URL map so new routes are covered too."""

import pytest

from statuspage.enums import Role
from tests.conftest import make_app

ADMIN_ONLY = {
    "admin.audit_csv",
    "admin.audit_log",
    "admin.settings",
    "admin.response_settings",
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
    "admin.requeue_failed_mail",
    "admin.tokens",
    "admin.new_token",
    "admin.revoke_token",
    "admin.response_templates",
    "admin.new_response_template",
    "admin.edit_response_template",
    "admin.delete_response_template",
    "admin.triage_settings",
    "admin.component_checks",
    "admin.new_check",
    "admin.edit_check",
    "admin.delete_check",
    "admin.integrations",
    "admin.new_integration",
    "admin.edit_integration",
    "admin.rotate_integration_secret",
    "admin.delete_integration",
    "admin.chat_channels",
    "admin.new_chat_channel",
    "admin.edit_chat_channel",
    "admin.delete_chat_channel",
    "admin.test_chat_channel",
    "admin.new_webhook_subscriber",
}

#: Read-only views viewers may use too (`viewers_may_read`).
VIEWER_READABLE = {"admin.reports", "admin.report_csv"}

#: What each admin route answers a role allowed to use it, for the empty form this test sends
#: (the same for editors and admins): a page (200), a redirect after the action (302), or the
#: form refused (400, 409, 422). A new route must be added here.
EXPECTED = {
    ("admin.action_items", "GET"): 200,
    ("admin.edit_action_item", "GET"): 200,
    ("admin.edit_action_item", "POST"): 302,
    ("admin.new_action_item", "GET"): 200,
    ("admin.new_action_item", "POST"): 422,
    ("admin.postmortem", "GET"): 200,
    ("admin.postmortem", "POST"): 302,
    ("admin.publish_incident_postmortem", "POST"): 422,
    ("admin.acknowledge_incident", "POST"): 302,
    ("admin.assign_incident_role", "POST"): 422,
    ("admin.unassign_incident_role", "POST"): 422,
    ("admin.set_incident_urgency", "POST"): 422,
    ("admin.override_incident_priority", "POST"): 422,
    ("admin.response_settings", "GET"): 200,
    ("admin.response_settings", "POST"): 422,
    ("admin.add_incident_note", "POST"): 422,
    ("admin.add_incident_update", "POST"): 422,
    ("admin.add_maintenance_update", "POST"): 422,
    ("admin.archive_component", "POST"): 302,
    ("admin.archive_group", "POST"): 302,
    ("admin.audit_csv", "GET"): 200,
    ("admin.audit_log", "GET"): 200,
    ("admin.cancel_maintenance", "POST"): 302,
    ("admin.cancel_update", "POST"): 302,
    ("admin.change_user_role", "POST"): 302,
    ("admin.complete_maintenance", "POST"): 409,
    ("admin.components", "GET"): 200,
    ("admin.dashboard", "GET"): 200,
    ("admin.delete_response_template", "POST"): 302,
    ("admin.edit_response_template", "GET"): 200,
    ("admin.edit_response_template", "POST"): 422,
    ("admin.delete_component", "POST"): 302,
    ("admin.delete_group", "POST"): 302,
    ("admin.delete_incident", "GET"): 200,
    ("admin.delete_incident", "POST"): 302,
    ("admin.edit_component", "GET"): 200,
    ("admin.edit_component", "POST"): 422,
    ("admin.edit_group", "GET"): 200,
    ("admin.edit_group", "POST"): 302,
    ("admin.edit_incident", "GET"): 200,
    ("admin.edit_incident", "POST"): 302,
    ("admin.edit_maintenance", "GET"): 200,
    ("admin.edit_maintenance", "POST"): 302,
    ("admin.edit_recurrence", "GET"): 200,
    ("admin.edit_recurrence", "POST"): 422,
    ("admin.edit_update", "GET"): 200,
    # the fixture's update is published: its scheduled-update page sends it on (307 keeps POST)
    ("admin.edit_scheduled_update", "GET"): 307,
    ("admin.edit_scheduled_update", "POST"): 307,
    ("admin.new_recurrence", "GET"): 200,
    ("admin.requeue_failed_mail", "POST"): 302,
    ("admin.new_recurrence", "POST"): 422,
    ("admin.edit_update", "POST"): 302,
    ("admin.end_recurrence", "POST"): 302,
    ("admin.export_subscribers", "GET"): 200,
    ("admin.import_subscribers", "GET"): 200,
    ("admin.import_subscribers", "POST"): 422,
    ("admin.incident_detail", "GET"): 200,
    ("admin.incidents", "GET"): 200,
    ("admin.mail_dashboard", "GET"): 200,
    ("admin.maintenance_detail", "GET"): 200,
    ("admin.maintenance_list", "GET"): 200,
    ("admin.move_component", "POST"): 302,
    ("admin.move_group", "POST"): 302,
    ("admin.new_component", "GET"): 200,
    ("admin.new_component", "POST"): 422,
    ("admin.new_group", "GET"): 200,
    ("admin.new_group", "POST"): 422,
    ("admin.new_incident", "GET"): 200,
    ("admin.new_incident", "POST"): 422,
    ("admin.new_maintenance", "GET"): 200,
    ("admin.new_maintenance", "POST"): 422,
    ("admin.new_token", "GET"): 200,
    ("admin.new_token", "POST"): 422,
    ("admin.new_response_template", "GET"): 200,
    ("admin.new_response_template", "POST"): 422,
    ("admin.new_user", "GET"): 200,
    ("admin.new_user", "POST"): 422,
    ("admin.remove_subscriber", "GET"): 200,
    ("admin.report_csv", "GET"): 200,
    ("admin.reports", "GET"): 200,
    ("admin.remove_subscriber", "POST"): 302,
    ("admin.reopen_incident", "POST"): 422,
    ("admin.reschedule_maintenance", "POST"): 422,
    ("admin.resend_confirmation", "POST"): 302,
    ("admin.response_templates", "GET"): 200,
    ("admin.resolve_incident", "POST"): 302,
    ("admin.restore_component", "POST"): 302,
    ("admin.restore_group", "POST"): 302,
    ("admin.revoke_token", "POST"): 302,
    ("admin.send_test_mail", "POST"): 422,
    ("admin.set_component_status", "POST"): 302,
    ("admin.set_user_active", "POST"): 302,
    ("admin.settings", "GET"): 200,
    ("admin.settings", "POST"): 302,
    ("admin.start_maintenance", "POST"): 302,
    ("admin.subscriber_detail", "GET"): 200,
    ("admin.subscribers", "GET"): 200,
    ("admin.tokens", "GET"): 200,
    ("admin.users", "GET"): 200,
    ("admin.problems", "GET"): 200,
    ("admin.new_problem", "GET"): 200,
    ("admin.new_problem", "POST"): 422,
    ("admin.edit_problem", "GET"): 200,
    ("admin.edit_problem", "POST"): 302,
    ("admin.link_problem_incident", "POST"): 422,
    ("admin.unlink_problem_incident", "POST"): 422,
    ("admin.triage", "GET"): 200,
    ("admin.triage_report", "POST"): 302,
    ("admin.triage_settings", "GET"): 200,
    ("admin.triage_settings", "POST"): 422,
    ("admin.component_checks", "GET"): 200,
    ("admin.new_check", "GET"): 200,
    ("admin.new_check", "POST"): 422,
    ("admin.edit_check", "GET"): 200,
    ("admin.edit_check", "POST"): 422,
    ("admin.delete_check", "POST"): 302,
    ("admin.integrations", "GET"): 200,
    ("admin.new_integration", "GET"): 200,
    ("admin.new_integration", "POST"): 422,
    ("admin.edit_integration", "GET"): 200,
    ("admin.edit_integration", "POST"): 422,
    ("admin.rotate_integration_secret", "POST"): 200,
    ("admin.delete_integration", "POST"): 302,
    ("admin.chat_channels", "GET"): 200,
    ("admin.new_chat_channel", "POST"): 422,
    ("admin.edit_chat_channel", "GET"): 200,
    ("admin.edit_chat_channel", "POST"): 302,
    ("admin.delete_chat_channel", "POST"): 302,
    ("admin.test_chat_channel", "POST"): 302,
    ("admin.new_webhook_subscriber", "GET"): 200,
    ("admin.new_webhook_subscriber", "POST"): 422,
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
    """The endpoint's URL with *objects* in its variables; a `<any(...)>` variable (a format:
    atom or rss, svg or json) takes its route's first choice."""
    from werkzeug.routing import AnyConverter

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for arg in rule.arguments:
        converter = rule._converters.get(arg)
        if isinstance(converter, AnyConverter):
            values[arg] = sorted(converter.items)[0]
        else:
            values[arg] = objects[arg]
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def test_the_matrix_covers_every_admin_route():
    assert set(EXPECTED) == set(ROUTES)
    endpoints = {endpoint for endpoint, _ in ROUTES}
    assert ADMIN_ONLY <= endpoints
    assert VIEWER_READABLE <= endpoints and not VIEWER_READABLE & ADMIN_ONLY
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
    allowed = (
        role is Role.ADMIN
        or (role is Role.EDITOR and endpoint not in ADMIN_ONLY)
        or endpoint in VIEWER_READABLE
    )
    if allowed:
        assert response.status_code == EXPECTED[(endpoint, method)], response.status_code
    else:
        assert response.status_code == 403
