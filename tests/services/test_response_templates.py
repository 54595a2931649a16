"""Response templates: the sandbox refuses what is not a placeholder, the placeholders are filled
in the page's zone, and six defaults exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import ComponentStatus, Impact, IncidentStatus, TemplateKind
from statuspage.extensions import db
from statuspage.models import AuditEntry, ResponseTemplate
from statuspage.services.errors import InvalidInput, NotFound
from statuspage.services.response import templates
from statuspage.services.site.settings import SiteSettings
from tests.conftest import ACTOR

SETTINGS = SiteSettings(
    page_name="Acme", page_id="acme", base_url="https://status.example.com", timezone="Europe/Paris"
)


def context(**values: str) -> dict[str, str]:
    return {name: name for name in templates.PLACEHOLDERS} | values


def make(**overrides):
    overrides.setdefault("name", "Template")
    overrides.setdefault("kind", TemplateKind.UPDATE)
    overrides.setdefault("status", IncidentStatus.IDENTIFIED)
    overrides.setdefault("impact", None)
    overrides.setdefault("title", "")
    overrides.setdefault("body", "We found it: {{ components }}.")
    overrides.setdefault("actor", ACTOR)
    return templates.create_template(**overrides)


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ components.__class__ }}",
        "{{ components['__len__'] }}",
        "{{ components.upper() }}",
        "{{ lipsum(1000000) }}",
        "{{ 'x' * 1000000000 }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}",
        "{{ components|center(1000000000) }}",
        "{% set x = components %}{{ x }}",
        "{% include 'admin/layout.html' %}",
        "{{ config }}",
    ],
)
def test_the_sandbox_refuses_what_is_not_a_placeholder(app, text):
    with pytest.raises(InvalidInput) as refused:
        templates.check_template_text(text, field="body")
    assert refused.value.field == "body" and refused.value.message
    with pytest.raises(InvalidInput):  # and rendering one anyway is refused, never raised raw
        templates.render_template_text(text, context())


def test_unsafe_access_is_named_and_bad_syntax_gives_its_line(app):
    with pytest.raises(InvalidInput, match="__class__.*unsafe"):
        templates.check_template_text("{{ ''.__class__ }}", field="body")
    with pytest.raises(InvalidInput, match="syntax error on line 2") as refused:
        templates.check_template_text("Fine.\n{{ components ", field="title")
    assert refused.value.field == "title"
    with pytest.raises(InvalidInput, match=r"Unknown placeholder \{\{ compnents \}\}"):
        templates.check_template_text("{{ compnents }}", field="body")


def test_saving_a_template_refuses_bad_text_on_its_field(app):
    with pytest.raises(InvalidInput) as refused:
        make(body="{{ ''.__class__ }}")
    assert refused.value.field == "body" and refused.value.status_code == 422
    with pytest.raises(InvalidInput) as refused:
        make(body="{% if %}")
    assert refused.value.field == "body"
    with pytest.raises(InvalidInput) as refused:
        make(kind=TemplateKind.INCIDENT, status=IncidentStatus.INVESTIGATING, title="")
    assert refused.value.field == "title"
    with pytest.raises(InvalidInput) as refused:
        make(kind=TemplateKind.INCIDENT, status=IncidentStatus.RESOLVED, title="T")
    assert refused.value.field == "status"
    make(name="Once")
    with pytest.raises(InvalidInput) as refused:
        make(name=" once ")
    assert refused.value.field == "name"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponseTemplate)) == 1


def test_filters_and_ifs_work(app):
    text = "{% if impact == 'Major' %}Big{% else %}Small{% endif %}: {{ components|upper }}"
    assert templates.render_template_text(text, context(impact="Major", components="api")) == (
        "Big: API"
    )


def test_a_rendering_longer_than_the_limit_is_refused(app):
    with pytest.raises(InvalidInput, match="at most 10"):
        templates.render_template_text("{{ components }}", context(components="x" * 11), limit=10)


def test_the_placeholders_are_filled_in_the_pages_zone(app, make_component, make_incident, now):
    api, web = make_component(name="API"), make_component(name="Web app")
    incident = make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="Checkout errors")
    template = make(
        name="Full",
        impact=Impact.MAJOR,
        body=(
            "{{ incident_name }} on {{ page_name }}: {{ components }} ({{ status }}, {{ impact }})"
            " since {{ started_at }}; next update by {{ next_update }}, now {{ now }}."
        ),
    )
    later = now + timedelta(hours=1)  # 13:00 UTC is 14:00 in Paris
    values = templates.build_template_context(
        incident,
        [api, web],
        next_update=templates.next_update_at(later),
        settings=SETTINGS,
        now=later,
        template=template,
    )
    assert templates.render_template_fields(template, values)["body"] == (
        "Checkout errors on Acme: API, Web app (Identified, Major) since 13:00 CET; "
        "next update by 14:30 CET, now 14:00 CET."
    )


def test_next_update_is_rounded_up_and_other_days_carry_their_date(app):
    at = datetime(2026, 11, 12, 22, 47, 10, tzinfo=UTC)
    assert templates.next_update_at(at) == datetime(2026, 11, 12, 23, 20, tzinfo=UTC)
    due = templates.next_update_at(at)
    assert templates.human_time(due, now=at, tz=SETTINGS.tz) == "13 Nov 2026, 00:20 CET"


def test_a_new_incident_has_no_name_yet_so_its_body_uses_the_title(app):
    template = make(
        kind=TemplateKind.INCIDENT,
        status=IncidentStatus.INVESTIGATING,
        title="Trouble with {{ components }}",
        body="{{ incident_name }}: {{ status }}.",
    )
    now = datetime(2026, 11, 12, 12, tzinfo=UTC)
    values = templates.build_template_context(
        None, [], next_update=now, settings=SETTINGS, now=now, template=template
    )
    assert templates.render_template_fields(template, values) == {
        "title": "Trouble with some of our services",
        "body": "Trouble with some of our services: Investigating.",
    }


def test_update_and_delete_are_audited(app, make_component, now):
    api = make_component(name="API")
    template = make(now=now)
    templates.update_template(
        template,
        name="Renamed",
        status=IncidentStatus.MONITORING,
        impact=Impact.MINOR,
        title="",
        body="Watching {{ components }}.",
        components=[api],
        actor=ACTOR,
        now=now,
    )
    assert (template.name, template.incident_status, template.components) == (
        "Renamed",
        IncidentStatus.MONITORING,
        [api],
    )
    assert template.component_status is ComponentStatus.DEGRADED_PERFORMANCE
    templates.delete_template(template, actor=ACTOR, now=now)
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"create_template", "update_template", "delete_template"} <= actions
    with pytest.raises(NotFound):
        templates.get_template(template.id, TemplateKind.UPDATE)


def test_six_defaults_exist_and_render(default_templates, now):
    assert len(default_templates) == 6
    names = {t.name for t in default_templates}
    assert names == {
        "Investigating",
        "Identified",
        "Monitoring",
        "Resolved",
        "Degraded performance",
        "Third-party provider outage",
    }
    kinds = {t.name: t.kind for t in default_templates}
    assert kinds["Investigating"] is kinds["Degraded performance"] is TemplateKind.INCIDENT
    assert kinds["Resolved"] is TemplateKind.UPDATE
    values = templates.build_template_context(None, [], next_update=now, settings=SETTINGS, now=now)
    for template in default_templates:
        templates.check_template_text(template.body, field="body")
        rendered = templates.render_template_fields(template, values)
        assert "{{" not in rendered["body"] and rendered["body"]
        assert template.kind.needs_title is bool(rendered["title"])
    assert templates.ensure_default_templates(actor=ACTOR, now=now) == 0  # idempotent
