"""Response templates over HTTP: admins keep them, editors start incidents and updates from them
(without JavaScript too), bad text is refused by its field with the typed values kept."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from lxml import html

from statuspage.enums import ComponentStatus, Impact, IncidentStatus, Role, TemplateKind
from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, IncidentUpdate, ResponseTemplate
from statuspage.services.response import templates
from tests.conftest import ACTOR


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def form_values(page: str, form_id: str) -> dict[str, str | bool]:
    """The values a browser would submit from the form with this id (checkboxes: ticked)."""
    form = html.fromstring(page).get_element_by_id(form_id)
    values: dict[str, str | bool] = {}
    for element in form.iter("input", "textarea", "select"):
        name = element.get("name")
        if not name:
            continue
        if element.get("type") == "checkbox":
            values[name] = element.get("checked") is not None
        elif element.tag == "select":
            chosen = element.xpath("option[@selected]") or element.xpath("option")
            values[name] = chosen[0].get("value") if chosen else ""
        elif element.tag == "textarea":
            values[name] = element.text_content().lstrip("\n")
        else:
            values[name] = element.get("value") or ""
    return values


def field_errors(page: str, field_id: str) -> str:
    found = html.fromstring(page).xpath(f'//ul[@id="{field_id}-errors"]')
    return found[0].text_content() if found else ""


def make_template(**overrides) -> ResponseTemplate:
    overrides.setdefault("name", "Partial API outage")
    overrides.setdefault("kind", TemplateKind.INCIDENT)
    overrides.setdefault("status", IncidentStatus.IDENTIFIED)
    overrides.setdefault("impact", Impact.MAJOR)
    overrides.setdefault("title", "Errors on {{ components }}")
    overrides.setdefault("body", "{{ components }} fails; next update by {{ next_update }}.")
    overrides.setdefault("actor", ACTOR)
    return templates.create_template(**overrides)


def test_admins_create_edit_and_delete_templates(client, login_as, make_component):
    api, web = make_component(name="API"), make_component(name="Web")
    login_as(Role.ADMIN)
    assert client.get("/admin/templates/new").status_code == 200
    response = client.form(
        "/admin/templates/new",
        {
            "name": "API down",
            "kind": "incident",
            "status": "investigating",
            "impact": "critical",
            "title": "{{ components }} is down",
            "body": "We are looking into {{ components }}.",
            "components": [api.id],
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/templates"
    template = db.session.scalars(sa.select(ResponseTemplate)).one()
    assert (template.kind, template.impact, template.components) == (
        TemplateKind.INCIDENT,
        Impact.CRITICAL,
        [api],
    )
    listing = client.get("/admin/templates").text
    assert "API down" in listing and "{{ components }} is down" in listing

    edit_url = f"/admin/templates/{template.id}/edit"
    values = form_values(client.get(edit_url).text, "template-form")
    assert values["name"] == "API down" and values["impact"] == "critical"
    assert values["body"] == "We are looking into {{ components }}."
    response = client.form(
        edit_url,
        {
            "name": "API or web down",
            "status": "identified",
            "impact": "",
            "title": "Trouble",
            "body": "Found it.",
            "components": [api.id, web.id],
        },
    )
    assert response.status_code == 302
    db.session.refresh(template)
    assert (template.name, template.impact, template.components) == (
        "API or web down",
        None,
        [api, web],
    )

    response = client.form(f"/admin/templates/{template.id}/delete")
    assert response.status_code == 302 and count(ResponseTemplate) == 0
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"create_template", "update_template", "delete_template"} <= actions


@pytest.mark.parametrize(
    "body,message",
    [
        ("{{ ''.__class__ }}", "unsafe"),
        ("Hello {{ components ", "syntax error on line 1"),
        ("{{ nonsense }}", "Unknown placeholder"),
        ("{% for x in components %}{{ x }}{% endfor %}", "loop is not allowed"),
        ("", "This field is required."),
    ],
)
def test_bad_text_is_refused_by_its_field_and_the_typed_values_stay(
    client, login_as, body, message
):
    login_as(Role.ADMIN)
    response = client.form(
        "/admin/templates/new",
        {"name": "Kept name", "kind": "update", "status": "monitoring", "body": body},
    )
    assert response.status_code == 422
    assert message in field_errors(response.text, "body")
    values = form_values(response.text, "template-form")
    assert values["name"] == "Kept name" and values["kind"] == "update"
    assert values["status"] == "monitoring" and values["body"] == body
    assert count(ResponseTemplate) == 0


def test_a_bad_edit_keeps_the_template_and_the_typed_values(client, login_as):
    template = make_template()
    login_as(Role.ADMIN)
    response = client.form(
        f"/admin/templates/{template.id}/edit",
        {"name": "New name", "status": "resolved", "title": "T", "body": "Fine."},
    )
    assert response.status_code == 422
    assert "cannot post" in field_errors(response.text, "status")
    assert form_values(response.text, "template-form")["name"] == "New name"
    db.session.refresh(template)
    assert template.name == "Partial API outage"


def test_editors_use_templates_but_only_admins_keep_them(client, login_as):
    template = make_template()
    login_as(Role.EDITOR)
    for url in ["/admin/templates", "/admin/templates/new", f"/admin/templates/{template.id}/edit"]:
        assert client.get(url).status_code == 403, url
    assert client.form(f"/admin/templates/{template.id}/delete").status_code == 403
    assert count(ResponseTemplate) == 1
    page = client.get("/admin/incidents/new").text
    assert "Partial API outage" in page and "Templates</a>" not in page


def test_every_template_form_needs_its_csrf_token(client, login_as):
    template = make_template()
    login_as(Role.ADMIN)
    response = client.post(f"/admin/templates/{template.id}/delete")
    assert response.status_code == 400 and count(ResponseTemplate) == 1
    data = {"name": "x", "kind": "update", "status": "identified", "body": "x"}
    assert client.post("/admin/templates/new", data=data).status_code == 400
    assert count(ResponseTemplate) == 1


def test_use_template_without_javascript_prefills_the_new_incident_form(
    client, editor, make_component
):
    api, web = make_component(name="API"), make_component(name="Web")
    template = make_template(components=[api])
    page = client.get(f"/admin/incidents/new?template={template.id}")
    assert page.status_code == 200
    values = form_values(page.text, "incident-form")
    assert values["name"] == "Errors on API"
    assert values["body"].startswith("API fails; next update by ")
    assert (values["status"], values["impact"]) == ("identified", "major")
    assert values[f"affects_{api.id}"] is True and values[f"affects_{web.id}"] is False
    assert values[f"status_{api.id}"] == "partial_outage"  # what a major impact suggests
    assert "Filled in from “Partial API outage”" in page.text
    assert count(Incident) == 0  # nothing made

    # Posting the prefilled form opens the incident as filled in.
    data = {k: v for k, v in values.items() if v is not False}
    data = {k: ("y" if v is True else v) for k, v in data.items()}
    response = client.form("/admin/incidents/new", data)
    assert response.status_code == 302
    incident = db.session.scalars(sa.select(Incident)).one()
    assert incident.name == "Errors on API" and incident.components == [api]


def test_use_template_prefills_the_update_form_of_an_incident(
    client, editor, make_component, make_incident, default_templates
):
    api = make_component(name="API")
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="Checkout errors")
    resolved = next(t for t in default_templates if t.name == "Resolved")
    page = client.get(f"/admin/incidents/{incident.id}?template={resolved.id}")
    assert page.status_code == 200
    values = form_values(page.text, "update-form")
    assert values["status"] == "resolved"
    assert values["body"].startswith("This incident has been resolved: service to API is")
    assert values[f"status_{api.id}"] == "operational"
    assert count(IncidentUpdate) == 1  # only the incident's first one


def test_the_pickers_offer_only_their_kind_and_carry_their_data_as_json(
    client, editor, make_incident, default_templates
):
    incident = make_incident()
    new_page = html.fromstring(client.get("/admin/incidents/new").text)
    offered = new_page.xpath('//select[@name="template"]/option/text()')
    assert offered == [
        "Choose a template…",
        "Investigating",
        "Degraded performance",
        "Third-party provider outage",
    ]
    data = json.loads(new_page.get_element_by_id("incident-form-templates").text)
    assert {entry["name"] for entry in data} == set(offered[1:])
    assert all("{{" not in entry["body"] for entry in data)
    detail = html.fromstring(client.get(f"/admin/incidents/{incident.id}").text)
    assert detail.xpath('//select[@name="template"]/option/text()')[1:] == [
        "Identified",
        "Monitoring",
        "Resolved",
    ]
    # An update template on the new-incident form, or a malformed id, is not there.
    identified = next(t for t in default_templates if t.name == "Identified")
    assert client.get(f"/admin/incidents/new?template={identified.id}").status_code == 404
    assert client.get("/admin/incidents/new?template=../etc").status_code == 404


def test_a_template_that_fails_to_render_is_reported_not_a_500(client, editor):
    template = make_template(title="{{ components }}", body="{{ components }}")
    # A body written before a rule tightened (or by hand in the database).
    db.session.execute(
        sa.update(ResponseTemplate)
        .where(ResponseTemplate.id == template.id)
        .values(body="{{ ''.__class__ }}")
    )
    db.session.commit()
    page = client.get(f"/admin/incidents/new?template={template.id}")
    assert page.status_code == 200
    assert "cannot be used" in page.text
    assert form_values(page.text, "incident-form")["body"] == ""


def test_a_templates_words_cannot_break_out_of_the_json_block(client, editor):
    hostile = "</script><script>alert(1)</script>"
    make_template(name=hostile, title=f"{hostile} {{{{ components }}}}", body=hostile)
    page = client.get("/admin/incidents/new").text
    assert hostile not in page
    block = html.fromstring(page).get_element_by_id("incident-form-templates")
    assert block.get("type") == "application/json"
    assert json.loads(block.text)[0]["body"] == hostile
