"""Field limits come from statuspage/limits.py: the admin forms and the management API both take
a value of exactly the limit whole, and refuse one character more with a 4xx naming the limit."""

import pytest
import sqlalchemy as sa

from statuspage.enums import Role, TokenScope
from statuspage.extensions import db
from statuspage.limits import (
    MAX_BODY,
    MAX_DESCRIPTION,
    MAX_FOOTER,
    MAX_NAME,
    MAX_PAGE_NAME,
    MAX_TOKEN_NAME,
    MAX_URL,
)
from statuspage.models import ApiToken, Component, Incident
from statuspage.services.site.settings import get_site_settings
from tests.helpers import Api, fields_of
from tests.web.test_settings import BASE


def names(model):
    return list(db.session.scalars(sa.select(model.name)))


@pytest.fixture
def api(client, make_api_token):
    return Api(client, make_api_token(TokenScope.WRITE, name="Limits"))


@pytest.mark.parametrize(
    "field,limit,extra",
    [("name", MAX_NAME, {}), ("description", MAX_DESCRIPTION, {"name": "Database"})],
)
def test_the_component_form_takes_the_limit_and_refuses_one_more(
    client, login_as, field, limit, extra
):
    login_as(Role.EDITOR)
    data = {"visibility": "public", **extra}
    refused = client.form("/admin/components/new", {**data, field: "x" * (limit + 1)})
    assert refused.status_code == 422
    assert f"Field cannot be longer than {limit} characters." in refused.text
    assert names(Component) == []
    accepted = client.form("/admin/components/new", {**data, field: "x" * limit})
    assert accepted.status_code == 302
    stored = db.session.scalars(sa.select(Component)).one()
    assert getattr(stored, field) == "x" * limit  # kept whole, never cut


def test_the_incident_form_takes_a_title_of_the_limit(client, login_as):
    login_as(Role.EDITOR)
    data = {"status": "investigating", "impact": "minor", "visibility": "public", "body": "Down."}
    refused = client.form("/admin/incidents/new", {**data, "name": "t" * (MAX_NAME + 1)})
    assert refused.status_code == 422
    assert f"Field cannot be longer than {MAX_NAME} characters." in refused.text
    assert client.form("/admin/incidents/new", {**data, "name": "t" * MAX_NAME}).status_code == 302
    assert names(Incident) == ["t" * MAX_NAME]


def test_the_token_form_takes_a_name_of_the_limit(client, login_as):
    login_as(Role.ADMIN)
    data = {"scope": "write", "lifetime": "90"}
    refused = client.form("/admin/tokens/new", {**data, "name": "n" * (MAX_TOKEN_NAME + 1)})
    assert refused.status_code == 422
    assert f"Field cannot be longer than {MAX_TOKEN_NAME} characters." in refused.text
    accepted = client.form("/admin/tokens/new", {**data, "name": "n" * MAX_TOKEN_NAME})
    assert accepted.status_code == 200
    assert "n" * MAX_TOKEN_NAME in names(ApiToken)


def test_the_settings_form_refuses_a_link_over_the_limit(client, login_as):
    login_as(Role.ADMIN)
    base = {"page_name": "Example", "base_url": "https://status.example.com", "timezone": "UTC"}
    link = "https://example.com/" + "a" * (MAX_URL - len("https://example.com/"))
    refused = client.form("/admin/settings", {**base, "support_url": link + "a"})
    assert refused.status_code == 422
    assert f"Field cannot be longer than {MAX_URL} characters." in refused.text
    assert client.form("/admin/settings", {**base, "support_url": link}).status_code == 302
    assert f'href="{link}"' in client.get("/").text


@pytest.mark.parametrize(
    "path,body,field,limit",
    [
        ("/components", {}, "name", MAX_NAME),
        ("/components", {"name": "Database"}, "description", MAX_DESCRIPTION),
        ("/incidents", {"body": "Down."}, "name", MAX_NAME),
        ("/incidents", {"name": "Outage"}, "body", MAX_BODY),
    ],
)
def test_the_management_api_takes_the_limit_and_refuses_one_more(api, path, body, field, limit):
    refused = api.post(path, {**body, field: "x" * (limit + 1)})
    assert fields_of(refused) == {field: [f"At most {limit} characters."]}
    accepted = api.post(path, {**body, field: "x" * limit})
    assert accepted.status_code == 201, accepted.text
    data = accepted.get_json()["data"]
    if field == "body":
        data = data["incident_updates"][0]
    assert data[field] == "x" * limit


@pytest.mark.parametrize("field,limit", [("page_name", MAX_PAGE_NAME), ("footer_text", MAX_FOOTER)])
def test_the_settings_form_takes_the_limit_and_refuses_one_more(client, login_as, field, limit):
    login_as(Role.ADMIN)
    refused = client.form("/admin/settings", {**BASE, field: "s" * (limit + 1)})
    assert refused.status_code == 422
    assert f"Field cannot be longer than {limit} characters." in refused.text
    assert client.form("/admin/settings", {**BASE, field: "s" * limit}).status_code == 302
    assert getattr(get_site_settings(), field) == "s" * limit
