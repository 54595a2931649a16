"""Running an incident from its admin page (urgency, priority override, roles, acknowledge),
and the response policy in Settings (the matrix, SLA targets, warning lead time)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp, get_or_404
from statuspage.admin.incidents import render_detail
from statuspage.admin.response_forms import (
    AcknowledgeForm,
    AssignRoleForm,
    PriorityOverrideForm,
    UnassignRoleForm,
    UrgencyForm,
    policy_form,
    policy_kwargs,
    staff_choices,
)
from statuspage.enums import Impact, IncidentRole, Priority, Role, SlaTarget, Urgency
from statuspage.forms import SelectChoice
from statuspage.models import Incident, User
from statuspage.security import current_actor, role_required
from statuspage.services.accounts.users import active_staff
from statuspage.services.errors import InvalidInput, ServiceError
from statuspage.services.response import priority as priorities
from statuspage.services.response import roles
from statuspage.services.response.configure import configure_response_policy
from statuspage.services.response.policy import get_response_policy
from statuspage.services.response.priority import parse_priority


def _done(incident: Incident, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id) + "#response")


def _refused(
    incident: Incident, form: Any, name: str, error: ServiceError | None = None
) -> tuple[str, int]:
    if error is not None:
        apply_service_error(form, error)
    return render_detail(incident, error.status_code if error else 422, **{name: form})


ROLE_VALUES = frozenset(role.value for role in IncidentRole)


@bp.post("/incidents/<id:incident_id>/urgency")
def set_incident_urgency(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = UrgencyForm()
    if not form.validate_on_submit():
        return _refused(incident, form, "urgency_form")
    priorities.set_urgency(incident, Urgency(form.urgency.data), actor=current_actor())
    return _done(incident, f"Urgency set; priority is {incident.priority}.")


@bp.post("/incidents/<id:incident_id>/priority")
def override_incident_priority(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = PriorityOverrideForm()
    if not form.validate_on_submit():
        return _refused(incident, form, "priority_form")
    try:
        priorities.override_priority(
            incident,
            parse_priority(form.priority.data),
            reason=form.reason.data,
            actor=current_actor(),
        )
    except ServiceError as error:
        if error.field == "priority_override_reason":
            error.field = "reason"
        return _refused(incident, form, "priority_form", error)
    return _done(incident, f"Priority is {incident.priority}.")


@bp.post("/incidents/<id:incident_id>/acknowledge")
def acknowledge_incident(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _refused(incident, form, "acknowledge_form")
    try:
        roles.acknowledge_incident(incident, user=current_user, actor=current_actor())
    except ServiceError as error:
        return _refused(incident, form, "acknowledge_form", error)
    return _done(incident, "Acknowledged.")


def _chosen_user(form: Any) -> User:
    if not str(form.user.data).isdigit():
        raise InvalidInput("Choose a person.", field="user")
    return roles.find_staff_user(int(form.user.data), field="user")


@bp.post("/incidents/<id:incident_id>/roles")
def assign_incident_role(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = AssignRoleForm()
    form.user.choices = [SelectChoice("", "Choose a person"), *staff_choices(active_staff())]
    if not form.validate_on_submit():
        return _refused(incident, form, "assign_form")
    try:
        role = IncidentRole(form.role.data)
        roles.assign_role(incident, role, _chosen_user(form), actor=current_actor())
    except ServiceError as error:
        return _refused(incident, form, "assign_form", error)
    return _done(incident, f"{role.label} assigned.")


@bp.post("/incidents/<id:incident_id>/roles/unassign")
def unassign_incident_role(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = UnassignRoleForm()
    if not form.validate_on_submit() or form.role.data not in ROLE_VALUES:
        return _refused(incident, form, "unassign_form")
    try:
        role = IncidentRole(form.role.data)
        roles.unassign_role(incident, role, _chosen_user(form), actor=current_actor())
    except ServiceError as error:
        return _refused(incident, form, "unassign_form", error)
    return _done(incident, f"{role.label} unassigned.")


@bp.route("/settings/response", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def response_settings() -> Response | tuple[str, int]:
    form = policy_form(get_response_policy())
    if form.validate_on_submit():
        try:
            configure_response_policy(**policy_kwargs(form), actor=current_actor())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash("Response policy saved; open incidents follow the new matrix.", "success")
            return redirect(url_for("admin.response_settings"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/response_settings.html",
        form=form,
        impacts=list(Impact),
        urgencies=list(Urgency),
        priorities=list(Priority),
        targets=list(SlaTarget),
    ), status
