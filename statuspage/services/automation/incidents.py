"""An integration's incident policy: what its firing alerts open, beyond the statuses.

- none: statuses only.
- draft: an internal incident is opened from the integration's template as soon as an alert
  fires (staff see the internal status at once too), and every active editor and admin is
  mailed through the outbox to review and publish it. A person resolves it.
- publish: a public incident is opened once an alert is shown publicly (after its damping, so
  a flapping alert never posts one), and resolved once every alert linked to it has resolved
  and its resolution has held as long.

The incident claims each component at the status its alert asks for (already the status,
so the claim changes nothing) and so keeps it while the incident is open: the claim rules of
components/status.py decide, as for any incident. Each alert is linked to its incident
(`Alert.notice_id`), so a second alert of the same integration joins the open incident.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from html import escape

import sqlalchemy as sa

from statuspage.enums import (
    AlertState,
    Audience,
    ComponentStatus,
    DeliveryKind,
    DeliveryState,
    IncidentPolicy,
    IncidentStatus,
    Role,
    TemplateKind,
)
from statuspage.extensions import db
from statuspage.limits import MAX_NAME
from statuspage.models import Alert, Component, Delivery, Incident, Integration, User
from statuspage.services.automation.signals import source_actor
from statuspage.services.errors import ServiceError
from statuspage.services.notices.incidents import open_incident, post_update, resolve_incident
from statuspage.services.response.templates import (
    DEFAULT_TEMPLATES,
    build_template_context,
    list_templates,
    next_update_at,
    render_template_text,
)
from statuspage.services.site.settings import get_site_settings
from statuspage.services.unit import unit_of_work
from statuspage.visibility import notice_visible

logger = logging.getLogger(__name__)

#: The incident's words when no template renders for these components.
FALLBACK_TITLE = "Monitoring reports problems"
FALLBACK_BODY = "Monitoring reports problems with {components}; we are investigating."
#: What the update says when another alert of the integration joins the open incident.
ALSO_AFFECTED_BODY = "Monitoring also reports problems with {components}; we are investigating."
#: What the resolving update says when no resolved update template is left.
RESOLVED_BODY = (
    "The monitoring alerts behind this incident have resolved: {components} is operating "
    "normally again."
)


def open_incident_of(integration: Integration) -> Incident | None:
    """The open incident this integration's alerts are linked to, if any."""
    return db.session.scalar(
        sa.select(Incident)
        .join(Alert, Alert.notice_id == Incident.id)
        .where(Alert.source == integration.source, Incident.resolved_at.is_(None))
        .order_by(Incident.started_at, Incident.id)
        .limit(1)
    )


def apply_incident_policy(integration: Integration, *, now: datetime) -> Incident | None:
    """Open or join the incident its waiting alerts call for, and resolve one whose alerts
    are all over; inside the caller's unit of work. The incident opened or joined, if any."""
    policy = integration.incident_policy
    joined = None
    if policy.opens_incident:
        waiting = _waiting_alerts(integration)
        if waiting:
            joined = _open_or_join(integration, waiting, now=now)
    if policy.resolves_incident:
        _resolve_finished(integration, now=now)
    return joined


def apply_incident_policies(*, now: datetime) -> int:
    """The scheduler's pass: each integration with a policy, in its own transaction (publish
    waits for damping, so its incidents open and resolve here). How many were looked at."""
    integrations = db.session.scalars(
        sa.select(Integration)
        .where(Integration.incident_policy != IncidentPolicy.NONE)
        .order_by(Integration.id)
    ).all()
    for integration in integrations:
        with unit_of_work("apply_incident_policy", actor=source_actor(integration.name), now=now):
            apply_incident_policy(integration, now=now)
    return len(integrations)


def _waiting_alerts(integration: Integration) -> list[Alert]:
    """Its firing alerts with no open incident; for publish, only those the public sees."""
    query = (
        sa.select(Alert)
        .outerjoin(Incident, Incident.id == Alert.notice_id)
        .where(Alert.source == integration.source, Alert.state == AlertState.FIRING)
        .where(sa.or_(Alert.notice_id.is_(None), Incident.resolved_at.is_not(None)))
        .order_by(Alert.started_at, Alert.id)
    )
    if integration.incident_policy is IncidentPolicy.PUBLISH:
        query = query.where(Alert.public_since.is_not(None))
    return list(db.session.scalars(query))


def _claims(alerts: Sequence[Alert]) -> dict[Component, ComponentStatus]:
    claims: dict[Component, ComponentStatus] = {}
    for alert in alerts:
        if not alert.component.is_archived:
            claims.setdefault(alert.component, alert.status)
    return claims


def _open_or_join(integration: Integration, alerts: list[Alert], *, now: datetime) -> Incident:
    incident = open_incident_of(integration)
    if incident is None:
        incident = _open_from_template(integration, alerts, now=now)
    else:
        _add_components(integration, incident, alerts, now=now)
    for alert in alerts:
        alert.notice = incident
    return incident


def _add_components(
    integration: Integration, incident: Incident, alerts: list[Alert], *, now: datetime
) -> None:
    """An update naming the components the joining alerts add, claimed as theirs are."""
    affected = {link.component_id for link in incident.affected}
    added = {c: s for c, s in _claims(alerts).items() if c.id not in affected}
    if not added:
        return
    names = ", ".join(component.full_name for component in added)
    post_update(
        incident,
        status=incident.status,
        body=ALSO_AFFECTED_BODY.format(components=names),
        components=added,
        actor=source_actor(integration.name),
        now=now,
    )


def _incident_template(integration: Integration) -> tuple[str, str]:
    """The (title, body) template text: the integration's choice, else the first incident
    template, else the built-in "Investigating" one."""
    template = integration.template
    if template is None:
        templates = list_templates(TemplateKind.INCIDENT)
        template = templates[0] if templates else None
    if template is not None:
        return template.title, template.body
    return DEFAULT_TEMPLATES[0].title, DEFAULT_TEMPLATES[0].body


def _open_from_template(
    integration: Integration, alerts: list[Alert], *, now: datetime
) -> Incident:
    settings = get_site_settings()
    claims = _claims(alerts)
    context = build_template_context(
        None, claims, next_update=next_update_at(now), settings=settings, now=now
    )
    title, body = _render_safely(integration, context)
    policy = integration.incident_policy
    incident = open_incident(
        name=title,
        body=body,
        components=claims,
        visibility=policy.incident_visibility,
        actor=source_actor(integration.name),
        now=now,
    )
    if policy.asks_editors:
        _mail_editors(integration, incident, now=now)
    return incident


def _render_safely(integration: Integration, context: dict[str, str]) -> tuple[str, str]:
    """The template's words; else the default template's; else a plain title: a template that
    does not render (too long for these components) must never cost the statuses."""
    default = DEFAULT_TEMPLATES[0]
    for title_text, body_text in (_incident_template(integration), (default.title, default.body)):
        try:
            return _render(title_text, body_text, context)
        except ServiceError:
            logger.warning("integration %s: an incident template fails here", integration.id)
    return FALLBACK_TITLE, FALLBACK_BODY.format(components=context["components"])


def _render(title_text: str, body_text: str, context: dict[str, str]) -> tuple[str, str]:
    title = render_template_text(title_text, context, field="title", limit=MAX_NAME)
    return title, render_template_text(body_text, {**context, "incident_name": title})


def _resolve_finished(integration: Integration, *, now: datetime) -> None:
    """Resolve the open incident whose linked alerts have all resolved, publicly too."""
    incident = open_incident_of(integration)
    if incident is None or not notice_visible(incident, Audience.PUBLIC):
        return  # made internal by a person since: a person resolves it
    alerts = db.session.scalars(sa.select(Alert).where(Alert.notice_id == incident.id)).all()
    if any(a.is_firing or a.public_since is not None for a in alerts):
        return
    settings = get_site_settings()
    components = [a.component for a in alerts]
    context = build_template_context(
        incident, components, next_update=next_update_at(now), settings=settings, now=now
    )
    body = RESOLVED_BODY.format(components=context["components"])
    for template in list_templates(TemplateKind.UPDATE):
        if template.status == IncidentStatus.RESOLVED.value:
            body = render_template_text(template.body, context)
            break
    resolve_incident(incident, body=body, actor=source_actor(integration.name), now=now)


def editor_addresses() -> list[str]:
    """Every active editor and admin: who may publish a draft."""
    return list(
        db.session.scalars(
            sa.select(User.email)
            .where(User.active.is_(True), User.role.in_([Role.EDITOR, Role.ADMIN]))
            .order_by(User.email)
        )
    )


def _mail_editors(integration: Integration, incident: Incident, *, now: datetime) -> None:
    settings = get_site_settings()
    link = settings.url_for("admin.incident_detail", incident_id=incident.id)
    subject = f"[{settings.page_name}] Draft incident to review: {incident.name}"
    text = (
        f"The integration {integration.name} opened an internal incident from its alerts:\n\n"
        f"  {incident.name}\n\n"
        "It is visible to staff only. Review it, edit the words and publish it, or resolve "
        f"it if the public need not know:\n{link}\n"
    )
    html = (
        f"<p>The integration {escape(integration.name)} opened an internal incident from its "
        f"alerts:</p><p><strong>{escape(incident.name)}</strong></p>"
        "<p>It is visible to staff only. Review it, edit the words and publish it, or resolve "
        "it if the public need not know.</p>"
        f'<p><a href="{escape(link)}">Review the incident</a></p>'
    )
    db.session.flush()
    for index, address in enumerate(editor_addresses()):
        db.session.add(
            Delivery(
                subscriber_id=None,
                kind=DeliveryKind.INTEGRATION_DRAFT,
                key=f"alert-draft:{incident.id}-{index}",
                to_address=address,
                state=DeliveryState.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                subject=subject[:300],
                text_body=text,
                html_body=html,
            )
        )
