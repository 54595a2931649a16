"""Canned responses: the templates editors open an incident or post an update from, kept by
admins, rendered in Jinja2's immutable sandbox so a template can fill in placeholders but never
reach Python objects, loop without end or build a huge string."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from sqlalchemy.orm import selectinload

from statuspage.enums import Impact, IncidentStatus, TemplateKind
from statuspage.extensions import db
from statuspage.limits import MAX_BODY, MAX_NAME
from statuspage.models import Component, Incident, ResponseTemplate
from statuspage.services.errors import InvalidInput, NotFound
from statuspage.services.site.settings import SiteSettings
from statuspage.services.unit import Actor, unit_of_work

#: The placeholders a template may use, with what each becomes (the admin form lists them).
PLACEHOLDERS: dict[str, str] = {
    "components": "the chosen components' names, comma-separated",
    "next_update": "when the next update is due, in the page's time zone",
    "page_name": "the status page's name",
    "incident_name": "the incident's title",
    "status": "the status the template posts (Investigating, Identified, ...)",
    "impact": "the incident's impact (Minor, Major, ...)",
    "started_at": "when the incident started, in the page's time zone",
    "now": "the time of posting, in the page's time zone",
}
#: What `{{ components }}` says when no component is chosen.
NO_COMPONENTS = "some of our services"
#: The next update is promised this long after posting (rounded up to five minutes).
NEXT_UPDATE_MINUTES = 30
#: The filters a template may use: none of them can grow a string much.
SAFE_FILTERS = ("capitalize", "default", "d", "length", "lower", "title", "trim", "upper")
#: The syntax a template may use: placeholders, filters, tests and {% if %} blocks.
ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Filter,
    nodes.Test,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Concat,
    nodes.Getitem,
)


#: How the refusal names the syntax it found.
NODE_WORDS = {
    "For": "a {% for %} loop",
    "Macro": "a macro",
    "CallBlock": "a {% call %} block",
    "Call": "calling a function",
    "Getattr": "reading an attribute",
    "Assign": "{% set %}",
    "AssignBlock": "{% set %}",
    "Include": "{% include %}",
    "Import": "{% import %}",
    "FromImport": "{% import %}",
    "Extends": "{% extends %}",
    "Mul": "multiplication",
    "Pow": "a power",
}


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with no globals, a handful of filters and StrictUndefined, so an
    unknown placeholder or an unsafe attribute fails loudly instead of rendering as nothing."""

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False)
        self.globals.clear()
        self.filters = {name: self.filters[name] for name in SAFE_FILTERS}


_SANDBOX = _Sandbox()


class TemplateFields(TypedDict):
    """A template's rendered title and body."""

    title: str
    body: str


@dataclass(frozen=True)
class DefaultTemplate:
    """One of the templates a fresh install starts with."""

    name: str
    kind: TemplateKind
    status: IncidentStatus
    impact: Impact | None
    title: str
    body: str


#: The six templates every page starts with. The migration 20261202_b7e4d2a91c35 writes the
#: same rows into an existing database; tests/test_migrations.py checks they agree.
DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        name="Investigating",
        kind=TemplateKind.INCIDENT,
        status=IncidentStatus.INVESTIGATING,
        impact=None,
        title="Investigating issues with {{ components }}",
        body=(
            "We are investigating reports of issues affecting {{ components }}. Some customers "
            "may see errors or slower responses than usual.\n\n"
            "Our engineers are working to identify the cause. We will post an update by "
            "{{ next_update }}, or sooner if we learn more."
        ),
    ),
    DefaultTemplate(
        name="Identified",
        kind=TemplateKind.UPDATE,
        status=IncidentStatus.IDENTIFIED,
        impact=None,
        title="",
        body=(
            "We have identified the cause of the issue affecting {{ components }} and are "
            "working on a fix.\n\n"
            "We will post another update by {{ next_update }}."
        ),
    ),
    DefaultTemplate(
        name="Monitoring",
        kind=TemplateKind.UPDATE,
        status=IncidentStatus.MONITORING,
        impact=None,
        title="",
        body=(
            "A fix has been put in place and service to {{ components }} is recovering. We are "
            "monitoring closely to confirm the issue is fully resolved.\n\n"
            "If you are still having problems, please contact our support team. We will post "
            "another update by {{ next_update }}."
        ),
    ),
    DefaultTemplate(
        name="Resolved",
        kind=TemplateKind.UPDATE,
        status=IncidentStatus.RESOLVED,
        impact=None,
        title="",
        body=(
            "This incident has been resolved: service to {{ components }} is operating normally "
            "again.\n\n"
            "The issue began at {{ started_at }}. We are reviewing what happened and what we "
            "will change to prevent it from happening again. We apologise for the disruption "
            "and thank you for your patience."
        ),
    ),
    DefaultTemplate(
        name="Degraded performance",
        kind=TemplateKind.INCIDENT,
        status=IncidentStatus.INVESTIGATING,
        impact=Impact.MINOR,
        title="Degraded performance of {{ components }}",
        body=(
            "We are investigating slower than normal response times for {{ components }}. "
            "Requests are still being processed, but some may take longer than usual or time "
            "out.\n\n"
            "We will post an update by {{ next_update }}."
        ),
    ),
    DefaultTemplate(
        name="Third-party provider outage",
        kind=TemplateKind.INCIDENT,
        status=IncidentStatus.IDENTIFIED,
        impact=Impact.MINOR,
        title="Issues with {{ components }} caused by a third-party provider",
        body=(
            "{{ components }} is affected by an outage at one of our third-party providers. "
            "We are in contact with the provider, following their progress, and working to "
            "reduce the impact on you in the meantime.\n\n"
            "We will post an update by {{ next_update }}, or as soon as the provider reports "
            "progress."
        ),
    ),
)


# ---- reading -------------------------------------------------------------------------------


def list_templates(kind: TemplateKind | None = None) -> list[ResponseTemplate]:
    """The templates of *kind* (every kind when None) in the order editors pick from."""
    query = (
        sa.select(ResponseTemplate)
        .options(selectinload(ResponseTemplate.components))
        .order_by(ResponseTemplate.kind, ResponseTemplate.position, ResponseTemplate.name)
    )
    if kind is not None:
        query = query.where(ResponseTemplate.kind == kind)
    return list(db.session.scalars(query))


def get_template(template_id: str, kind: TemplateKind) -> ResponseTemplate:
    """The template of *kind* with this id, or NotFound (a template of the other kind too)."""
    template = db.session.get(ResponseTemplate, template_id)
    if template is None or template.kind is not kind:
        raise NotFound("There is no such template.", field="template")
    return template


# ---- rendering -----------------------------------------------------------------------------


def _zone_label(moment: datetime) -> str:
    name = moment.tzname() or ""
    return name if name and name[0] not in "+-" else f"UTC{name}"


def human_time(moment: datetime, *, now: datetime, tz: ZoneInfo) -> str:
    """ "14:35 CET" today, "3 Nov 2026, 09:10 CET" another day: always with its zone."""
    local = moment.astimezone(tz)
    clock = f"{local:%H:%M} {_zone_label(local)}"
    if local.date() == now.astimezone(tz).date():
        return clock
    return f"{local.day} {local:%b %Y}, {clock}"


def next_update_at(now: datetime) -> datetime:
    """When the next update is promised: NEXT_UPDATE_MINUTES on, rounded up to 5 minutes."""
    due = now + timedelta(minutes=NEXT_UPDATE_MINUTES)
    spare = (due.minute % 5) * 60 + due.second + due.microsecond / 1_000_000
    return due if spare == 0 else due + timedelta(seconds=300 - spare)


def build_template_context(
    incident: Incident | None,
    components: Iterable[Component],
    *,
    next_update: datetime,
    settings: SiteSettings,
    now: datetime,
    template: ResponseTemplate | None = None,
) -> dict[str, str]:
    """The placeholders' values: for an incident's update, or (incident None) a new incident,
    whose title is the template's own (filled in by render_template_fields)."""
    tz = settings.tz
    names = [component.full_name for component in components]
    status = IncidentStatus(template.status) if template else None
    impact = (template.impact if template else None) or (incident.impact if incident else None)
    return {
        "components": ", ".join(names) or NO_COMPONENTS,
        "next_update": human_time(next_update, now=now, tz=tz),
        "page_name": settings.page_name,
        "incident_name": incident.name if incident else "",
        "status": (status or (incident.status if incident else IncidentStatus.INVESTIGATING)).label,
        "impact": impact.label if impact else "",
        "started_at": human_time(incident.started_at if incident else now, now=now, tz=tz),
        "now": human_time(now, now=now, tz=tz),
    }


def _check_node(node: nodes.Node, field: str) -> None:
    """Refuse names that start with _, and syntax beyond placeholders, filters and ifs."""
    for child in node.find_all(nodes.Node):
        arg = getattr(child, "arg", None)
        key = arg.value if isinstance(arg, nodes.Const) else getattr(child, "attr", None)
        if isinstance(key, str) and key.startswith("_"):
            raise InvalidInput(f"“{key}” is unsafe: templates cannot reach it.", field=field)
        if not isinstance(child, ALLOWED_NODES):
            what = NODE_WORDS.get(type(child).__name__, type(child).__name__.lower())
            raise InvalidInput(
                f"Templates may use placeholders, filters and {{% if %}} blocks only: {what} "
                "is not allowed.",
                field=field,
            )
        if isinstance(child, nodes.Filter) and child.name not in SAFE_FILTERS:
            raise InvalidInput(
                f"The filter “{child.name}” is not available; use {', '.join(SAFE_FILTERS)}.",
                field=field,
            )


def check_template_text(text: str, *, field: str) -> None:
    """Refuse text that is not valid template syntax, uses an unknown placeholder or more than
    the sandbox allows, or fails to render with sample values."""
    try:
        tree = _SANDBOX.parse(text)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        where = f" on line {line}" if line else ""
        raise InvalidInput(
            f"Template syntax error{where}: {error.message or error}", field=field
        ) from None
    _check_node(tree, field)
    unknown = sorted(meta.find_undeclared_variables(tree) - PLACEHOLDERS.keys())
    if unknown:
        known = ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
        raise InvalidInput(f"Unknown placeholder {{{{ {unknown[0]} }}}}: use {known}.", field=field)
    render_template_text(text, {name: name.replace("_", " ") for name in PLACEHOLDERS}, field=field)


def render_template_text(
    text: str, context: Mapping[str, str], *, field: str = "body", limit: int = MAX_BODY
) -> str:
    """*text* rendered in the sandbox; any failure (syntax, unsafe access, an unknown name, a
    result over *limit* characters) is an InvalidInput on *field*, never an exception escaping."""
    try:
        tree = _SANDBOX.parse(text)
        _check_node(tree, field)
        rendered = _SANDBOX.from_string(tree).render(dict(context))
    except SecurityError as error:
        raise InvalidInput(f"The template was refused: {error}", field=field) from None
    except TemplateError as error:
        raise InvalidInput(f"The template could not be rendered: {error}", field=field) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise InvalidInput(f"The template could not be rendered: {error}", field=field) from None
    if len(rendered) > limit:
        raise InvalidInput(
            f"The rendered text is {len(rendered)} characters long; at most {limit} fit.",
            field=field,
        )
    return rendered


def render_template_fields(
    template: ResponseTemplate, context: Mapping[str, str]
) -> TemplateFields:
    """The template's title and body filled in; a new incident's body names its new title."""
    title = render_template_text(template.title, context, field="title", limit=MAX_NAME)
    body_context = dict(context)
    if not body_context.get("incident_name"):
        body_context["incident_name"] = title
    return {"title": title, "body": render_template_text(template.body, body_context)}


# ---- writing -------------------------------------------------------------------------------


def _checked(
    *,
    name: str,
    kind: TemplateKind,
    status: IncidentStatus,
    title: str,
    body: str,
    same_name: Sequence[ResponseTemplate],
) -> tuple[str, str, str]:
    """The name, title and body trimmed and checked, or InvalidInput on the field at fault."""
    name, title, body = name.strip(), title.strip(), body.strip()
    if not name:
        raise InvalidInput("Give the template a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"At most {MAX_NAME} characters.", field="name")
    if same_name:
        raise InvalidInput(f"A template named “{name}” exists already.", field="name")
    if status not in kind.statuses:
        raise InvalidInput(f"{kind.label} templates cannot post “{status.label}”.", field="status")
    if kind.needs_title and not title:
        raise InvalidInput("A new incident needs a title.", field="title")
    if len(title) > MAX_NAME:
        raise InvalidInput(f"At most {MAX_NAME} characters.", field="title")
    if not body:
        raise InvalidInput("Write the message.", field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"At most {MAX_BODY} characters.", field="body")
    check_template_text(title, field="title")
    check_template_text(body, field="body")
    return name, title, body


def _same_name(
    name: str, kind: TemplateKind, but: ResponseTemplate | None
) -> list[ResponseTemplate]:
    query = sa.select(ResponseTemplate).where(
        ResponseTemplate.kind == kind, sa.func.lower(ResponseTemplate.name) == name.strip().lower()
    )
    return [t for t in db.session.scalars(query) if t is not but]


def create_template(
    *,
    name: str,
    kind: TemplateKind,
    status: IncidentStatus,
    impact: Impact | None,
    title: str,
    body: str,
    components: Sequence[Component] = (),
    actor: Actor,
    now: datetime | None = None,
) -> ResponseTemplate:
    """Save a new template, last in its kind's list."""
    with unit_of_work("create_template", actor=actor, now=now) as now:
        name, title, body = _checked(
            name=name,
            kind=kind,
            status=status,
            title=title,
            body=body,
            same_name=_same_name(name, kind, None),
        )
        last = db.session.scalar(
            sa.select(sa.func.max(ResponseTemplate.position)).where(ResponseTemplate.kind == kind)
        )
        template = ResponseTemplate(
            name=name,
            kind=kind,
            status=status.value,
            impact=impact,
            title=title,
            body=body,
            components=list(components),
            position=(last or 0) + 1,
            created_at=now,
            updated_at=now,
        )
        db.session.add(template)
    return template


def update_template(
    template: ResponseTemplate,
    *,
    name: str,
    status: IncidentStatus,
    impact: Impact | None,
    title: str,
    body: str,
    components: Sequence[Component] = (),
    actor: Actor,
    now: datetime | None = None,
) -> ResponseTemplate:
    """Change a template; its kind stays (an incident's template and an update's differ)."""
    with unit_of_work("update_template", actor=actor, now=now) as now:
        name, title, body = _checked(
            name=name,
            kind=template.kind,
            status=status,
            title=title,
            body=body,
            same_name=_same_name(name, template.kind, template),
        )
        template.name, template.title, template.body = name, title, body
        template.status, template.impact = status.value, impact
        if set(template.components) != set(components):
            template.components = list(components)
        template.updated_at = now
    return template


def delete_template(
    template: ResponseTemplate, *, actor: Actor, now: datetime | None = None
) -> None:
    """Remove a template: incidents opened from it keep their words."""
    with unit_of_work("delete_template", actor=actor, now=now):
        db.session.delete(template)


def ensure_default_templates(*, actor: Actor, now: datetime | None = None) -> int:
    """Add each of DEFAULT_TEMPLATES that has no namesake of its kind yet; how many were
    added. For databases the migrations did not fill: the demo, the tests' `create_all`."""
    with unit_of_work("ensure_default_templates", actor=actor, now=now) as now:
        existing = {(t.kind, t.name.lower()) for t in list_templates()}
        positions = {kind: _last_position(kind) for kind in TemplateKind}
        added = 0
        for default in DEFAULT_TEMPLATES:
            if (default.kind, default.name.lower()) in existing:
                continue
            positions[default.kind] += 1
            db.session.add(
                ResponseTemplate(
                    name=default.name,
                    kind=default.kind,
                    status=default.status.value,
                    impact=default.impact,
                    title=default.title,
                    body=default.body,
                    position=positions[default.kind],
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
    return added


def _last_position(kind: TemplateKind) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(ResponseTemplate.position)).where(ResponseTemplate.kind == kind)
    )
    return int(last or 0)


__all__ = [
    "DEFAULT_TEMPLATES",
    "PLACEHOLDERS",
    "build_template_context",
    "create_template",
    "delete_template",
    "ensure_default_templates",
    "get_template",
    "list_templates",
    "render_template_fields",
    "render_template_text",
    "update_template",
]
