"""Settings → Integrations (admins only): list, make (the secret is shown once), edit the
mapping, damping and policy, rotate the secret, delete; with each one's firing alerts and
the component labels it sent that matched nothing."""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp, flash_error, get_or_404
from statuspage.admin.forms import ConfirmForm
from statuspage.admin.integration_forms import IntegrationForm, parse_severity_lines
from statuspage.enums import Role, TemplateKind
from statuspage.forms import SelectChoice
from statuspage.models import Integration
from statuspage.security import current_actor, role_required
from statuspage.services.automation import integrations as service
from statuspage.services.automation.signals import firing_alerts
from statuspage.services.errors import ServiceError
from statuspage.services.response.templates import list_templates


def _prepare(form: IntegrationForm) -> None:
    form.template_id.choices = [
        SelectChoice("", "The first incident template"),
        *(SelectChoice(t.id, t.name) for t in list_templates(TemplateKind.INCIDENT)),
    ]


def _fields(form: IntegrationForm) -> dict[str, Any] | None:
    """The form as the service takes it; None (with the field's error) for a bad map."""
    mapping = parse_severity_lines(form.severity_map.data)
    if mapping is None:
        form.severity_map.errors = [
            *form.severity_map.errors,
            "Write one “severity = status” a line.",
        ]
        return None
    return {
        "name": form.name.data,
        "component_label": form.component_label.data,
        "severity_label": form.severity_label.data,
        "severity_map": mapping,
        "damping_minutes": form.damping_minutes.data,
        "incident_policy": form.incident_policy.data,
        "template_id": form.template_id.data or None,
    }


def _secret_page(made: service.NewIntegration, *, rotated: bool) -> Response:
    page = render_template(
        "admin/integrations/created.html",
        integration=made.integration,
        secret=made.secret,
        rotated=rotated,
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/settings/integrations")
@role_required(Role.ADMIN)
def integrations() -> str:
    return render_template("admin/integrations/list.html", integrations=service.list_integrations())


@bp.route("/settings/integrations/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_integration() -> Response | tuple[str, int]:
    """Make an integration and show its secret on the answer page, the only time it shows."""
    form = IntegrationForm()
    _prepare(form)
    if form.validate_on_submit() and (fields := _fields(form)) is not None:
        try:
            made = service.create_integration(kind=form.kind.data, **fields, actor=current_actor())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return _secret_page(made, rotated=False)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/integrations/form.html", form=form, integration=None), status


def _edit_form(integration: Integration) -> IntegrationForm:
    form = IntegrationForm(obj=integration)
    del form.kind  # fixed once made
    _prepare(form)
    if not form.is_submitted():
        form.template_id.data = integration.template_id or ""
        form.severity_map.data = "\n".join(
            f"{severity} = {status}" for severity, status in integration.severity_map.items()
        )
    return form


@bp.route("/settings/integrations/<id:integration_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_integration(integration_id: str) -> Response | tuple[str, int]:
    integration = get_or_404(Integration, integration_id)
    form = _edit_form(integration)
    if form.validate_on_submit() and (fields := _fields(form)) is not None:
        try:
            service.update_integration(
                integration, **fields, enabled=form.enabled.data, actor=current_actor()
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(f"Integration {integration.name} saved.", "success")
            return redirect(url_for("admin.edit_integration", integration_id=integration.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/integrations/form.html",
        form=form,
        integration=integration,
        unmatched=service.recent_unmatched(integration),
        firing=firing_alerts(integration.source),
        confirm_form=ConfirmForm(formdata=None),
    ), status


@bp.post("/settings/integrations/<id:integration_id>/rotate")
@role_required(Role.ADMIN)
def rotate_integration_secret(integration_id: str) -> Response:
    """A new secret, shown once; the old one stops working at once."""
    integration = get_or_404(Integration, integration_id)
    if not ConfirmForm().validate_on_submit():
        flash("Invalid request.", "error")
        return redirect(url_for("admin.edit_integration", integration_id=integration.id))
    return _secret_page(service.rotate_secret(integration, actor=current_actor()), rotated=True)


@bp.post("/settings/integrations/<id:integration_id>/delete")
@role_required(Role.ADMIN)
def delete_integration(integration_id: str) -> Response:
    integration = get_or_404(Integration, integration_id)
    if not ConfirmForm().validate_on_submit():
        flash("Invalid request.", "error")
        return redirect(url_for("admin.integrations"))
    try:
        service.delete_integration(integration, actor=current_actor())
    except ServiceError as error:
        flash_error(error)
    else:
        flash(f"Integration “{integration.name}” deleted: its secret stops working now.", "success")
    return redirect(url_for("admin.integrations"))
