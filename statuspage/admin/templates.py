"""Response templates: admins keep them (list, new, edit, delete); editors start a new incident
or an update from one with the picker `offer_templates` puts beside those forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import bp, call_service, flash_error, get_or_404
from statuspage.admin.forms import ConfirmForm, NewTemplateForm, TemplateForm, TemplatePickerForm
from statuspage.database import utcnow
from statuspage.enums import Impact, IncidentStatus, Role, TemplateKind
from statuspage.forms import SelectChoice
from statuspage.models import Component, Incident, ResponseTemplate
from statuspage.params import id_arg
from statuspage.security import current_actor, role_required
from statuspage.services.components import tree as component_service
from statuspage.services.errors import InvalidInput, ServiceError
from statuspage.services.response import templates as service
from statuspage.services.site.settings import get_site_settings

# ---- the picker beside the incident forms ----------------------------------------------------


@dataclass
class TemplatePicker:
    """What templates/admin/incidents/_template_picker.html needs: the GET form choosing a
    template, each template filled in for this form (JSON for the script), and which one the
    form was prefilled from."""

    form: TemplatePickerForm
    #: id of the form the script fills
    target: str
    #: the page the GET form reloads with ?template=<id>
    action: str
    data: list[dict[str, Any]] = field(default_factory=list)
    applied: str | None = None
    error: str | None = None


def _filled(template: ResponseTemplate, incident: Incident | None) -> dict[str, Any]:
    """One template filled in for this incident (or a new one), as the script applies it."""
    now = utcnow()
    affected = [link.component for link in incident.affected] if incident else []
    chosen = template.components or affected
    context = service.build_template_context(
        incident,
        chosen,
        next_update=service.next_update_at(now),
        settings=get_site_settings(),
        now=now,
        template=template,
    )
    entry: dict[str, Any] = {
        "id": template.id,
        "name": template.name,
        "status": template.status,
        "impact": template.impact.value if template.impact else "",
        "components": [c.id for c in chosen],
        "component_status": template.component_status.value if template.component_status else "",
    }
    try:
        entry.update(service.render_template_fields(template, context))
    except InvalidInput as error:
        entry["error"] = f"“{template.name}” cannot be used: {error.message}"
    return entry


def _prefill(form: Any, entry: dict[str, Any]) -> None:
    """Put a filled-in template into *form*, as the script does in the browser."""
    if hasattr(form, "name") and entry["title"]:
        form.name.data = entry["title"]
    form.body.data = entry["body"]
    if entry["status"] in {choice[0] for choice in form.status.iter_choices()}:
        form.status.data = entry["status"]
    if entry["impact"]:
        form.impact.data = entry["impact"]
    for component_id in entry["components"]:
        if component_id in form.component_ids:
            getattr(form, f"affects_{component_id}").data = True
            if entry["component_status"]:
                getattr(form, f"status_{component_id}").data = entry["component_status"]


def offer_templates(
    kind: TemplateKind, form: Any, *, target: str, action: str, incident: Incident | None = None
) -> TemplatePicker:
    """The picker for *form*; on a GET with ?template=<id> (the no-JavaScript way) the form is
    prefilled from that template. Nothing is saved either way."""
    templates = service.list_templates(kind)
    picker = TemplatePicker(
        form=TemplatePickerForm(formdata=None),
        target=target,
        action=action,
        data=[_filled(template, incident) for template in templates],
    )
    picker.form.template.choices = [
        SelectChoice("", "Choose a template…"),
        *[SelectChoice(t.id, t.name) for t in templates],
    ]
    chosen = id_arg("template") if request.method == "GET" else None
    if chosen is not None:
        entry = next((e for e in picker.data if e["id"] == chosen), None)
        if entry is None:
            abort(404)
        picker.form.template.data = chosen
        if "error" in entry:
            picker.error = entry["error"]
        else:
            _prefill(form, entry)
            picker.applied = entry["name"]
    return picker


# ---- admins keep them ------------------------------------------------------------------------


@bp.get("/templates")
@role_required(Role.ADMIN)
def response_templates() -> str:
    return render_template(
        "admin/templates/list.html",
        templates=service.list_templates(),
        kinds=list(TemplateKind),
        placeholders=service.PLACEHOLDERS,
        delete_form=ConfirmForm(formdata=None),
    )


def _component_choices(form: Any, selected: list[str]) -> list[Component]:
    components = component_service.list_components()
    form.component_choices = [(c, c.id in selected) for c in components]
    return components


def _template_kwargs(form: Any, components: list[Component]) -> dict[str, Any]:
    """The form as create_template and update_template take it."""
    chosen = set(request.form.getlist("components"))
    return {
        "name": form.name.data or "",
        "status": IncidentStatus(form.status.data),
        "impact": Impact(form.impact.data) if form.impact.data else None,
        "title": form.title.data or "",
        "body": form.body.data or "",
        "components": [c for c in components if c.id in chosen],
    }


def _form_page(form: Any, template: ResponseTemplate | None = None) -> tuple[str, int]:
    """The template's form; 422 after a refused save (the typed values kept), 200 otherwise."""
    page = render_template(
        "admin/templates/form.html",
        form=form,
        template=template,
        placeholders=service.PLACEHOLDERS,
    )
    return page, 422 if form.is_submitted() else 200


@bp.route("/templates/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_response_template() -> Response | tuple[str, int]:
    form = NewTemplateForm()
    components = _component_choices(form, request.form.getlist("components"))
    if form.validate_on_submit() and call_service(
        form,
        service.create_template,
        kind=TemplateKind(form.kind.data),
        **_template_kwargs(form, components),
        success=f"Template “{(form.name.data or '').strip()}” saved.",
    ):
        return redirect(url_for("admin.response_templates"))
    return _form_page(form)


@bp.route("/templates/<id:template_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_response_template(template_id: str) -> Response | tuple[str, int]:
    template = get_or_404(ResponseTemplate, template_id)
    form = TemplateForm(obj=template)
    if not form.is_submitted():
        form.impact.data = template.impact.value if template.impact else ""
    if form.is_submitted():
        selected = request.form.getlist("components")
    else:
        selected = [c.id for c in template.components]
    components = _component_choices(form, selected)
    if form.validate_on_submit() and call_service(
        form,
        service.update_template,
        template,
        **_template_kwargs(form, components),
        success=f"Template “{(form.name.data or '').strip()}” saved.",
    ):
        return redirect(url_for("admin.response_templates"))
    return _form_page(form, template)


@bp.post("/templates/<id:template_id>/delete")
@role_required(Role.ADMIN)
def delete_response_template(template_id: str) -> Response:
    template = get_or_404(ResponseTemplate, template_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.response_templates"))
    try:
        service.delete_template(template, actor=current_actor())
    except ServiceError as error:
        flash_error(error)
    else:
        flash(f"Template “{template.name}” deleted.", "success")
    return redirect(url_for("admin.response_templates"))


def new_incident_picker(form: Any) -> TemplatePicker:
    """The new-incident form's picker (its form has id="incident-form")."""
    return offer_templates(
        TemplateKind.INCIDENT, form, target="incident-form", action=url_for("admin.new_incident")
    )


def update_picker(incident: Incident, form: Any) -> TemplatePicker:
    """The picker of an incident's update form (id="update-form")."""
    action = url_for("admin.incident_detail", incident_id=incident.id, _anchor="post-title")
    return offer_templates(
        TemplateKind.UPDATE, form, target="update-form", action=action, incident=incident
    )


__all__ = ["TemplatePicker", "new_incident_picker", "offer_templates", "update_picker"]
