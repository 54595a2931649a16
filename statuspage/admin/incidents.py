"""Incidents: list, open, the timeline with its update form, edit, resolve, reopen, delete."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import (
    apply_service_error,
    bp,
    call_service,
    get_or_404,
    to_utc,
    wants_preview,
)
from statuspage.admin.forms import (
    ConfirmForm,
    EditUpdateForm,
    IncidentEditForm,
    IncidentFilterForm,
    IncidentForm,
    NoteForm,
    ReopenForm,
    ResolveForm,
    ScheduledUpdateForm,
    UpdateForm,
    with_component_fields,
)
from statuspage.admin.response_forms import response_forms, staff_choices
from statuspage.admin.templates import new_incident_picker, update_picker
from statuspage.database import utcnow
from statuspage.enums import Impact, IncidentStatus, Role, Urgency, Visibility
from statuspage.forms import SelectChoice
from statuspage.limits import MAX_NAME
from statuspage.markdown import render_markdown
from statuspage.models import Component, Incident, IncidentUpdate
from statuspage.security import current_actor, role_required
from statuspage.services.accounts.users import active_staff
from statuspage.services.components import tree as component_service
from statuspage.services.components.runbooks import runbooks_for
from statuspage.services.errors import ServiceError
from statuspage.services.local_time import utc_to_local
from statuspage.services.notices import incidents as service
from statuspage.services.notices import timeline
from statuspage.services.problems.records import problem_of
from statuspage.services.response.console import build_internal_timeline, build_response_view
from statuspage.services.response.roles import find_staff_user
from statuspage.services.site.settings import get_site_settings


@bp.get("/incidents")
def incidents() -> tuple[str, int]:
    form = IncidentFilterForm(request.args)
    valid = form.validate()
    pagination = service.list_incidents(
        state=form.state.data or None if valid else None,
        impact=Impact(form.impact.data) if valid and form.impact.data else None,
        search=form.q.data if valid else None,
        page=(form.page.data or 1) if valid else 1,
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/incidents/list.html", form=form, pagination=pagination, args=args, now=utcnow()
    ), (200 if valid else 400)


def _changes(form: Any, components: list[Component]) -> dict[Component, Any]:
    by_id = {c.id: c for c in components}
    return {by_id[cid]: status for cid, status in form.affected_components().items()}


def _incident_kwargs(form: Any, components: list[Component]) -> dict[str, Any]:
    """The new-incident form as open_incident takes it."""
    return {
        "name": form.name.data,
        "body": form.body.data,
        "status": IncidentStatus(form.status.data),
        "impact": Impact(form.impact.data),
        "components": _changes(form, components),
        "visibility": Visibility(form.visibility.data),
        "deliver_notifications": form.deliver_notifications.data,
        "urgency": Urgency(form.urgency.data),
        "commander": find_staff_user(int(form.commander.data), field="commander")
        if form.commander.data
        else None,
    }


def _new_incident_form(components: list[Component]) -> Any:
    """The form with every active staff user to command; whoever opens it, by default."""
    form = with_component_fields(IncidentForm, components, affected={})
    form.commander.choices = [SelectChoice("", "Nobody yet"), *staff_choices(active_staff())]
    if not form.is_submitted():
        form.deliver_notifications.data = get_site_settings().default_notify
        form.commander.data = str(current_user.id)
        prefill_new_incident(form)
    return form


def prefill_new_incident(form: Any) -> None:
    """?component=<id>&name=... (the dashboard's report-spike banner) tick and title the form."""
    ticked = getattr(form, f"affects_{request.args.get('component', '')}", None)
    if ticked is not None and request.args.get("component") in form.component_ids:
        ticked.data = True
    if request.args.get("name"):
        form.name.data = request.args["name"][:MAX_NAME]


@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident() -> Response | str | tuple[str, int]:
    components = component_service.list_components()
    form = _new_incident_form(components)
    picker, preview = new_incident_picker(form), None
    if form.validate_on_submit():
        if wants_preview():
            preview = render_markdown(form.body.data)
        else:
            try:
                incident = service.open_incident(
                    **_incident_kwargs(form, components), actor=current_actor()
                )
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                flash("Incident opened.", "success")
                return redirect(url_for("admin.incident_detail", incident_id=incident.id))
    status = 422 if form.is_submitted() and preview is None else 200
    return render_template(
        "admin/incidents/new.html", form=form, preview=preview, picker=picker
    ), status


def _update_form(incident: Incident, components: list[Component]) -> Any:
    claims = {link.component_id: link.status for link in incident.affected}
    form = with_component_fields(UpdateForm, components, affected=claims)
    if not form.is_submitted():
        form.status.data = incident.status.value
        form.visibility.data = incident.visibility.value
        form.deliver_notifications.data = get_site_settings().default_notify
    return form


def render_detail(incident: Incident, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The incident page; *forms* brings back a refused form with its errors."""
    components = component_service.list_components()
    forms.setdefault("update_form", _update_form(incident, components))
    forms.setdefault("note_form", NoteForm(formdata=None))
    forms.setdefault("resolve_form", ResolveForm(formdata=None))
    forms.setdefault("reopen_form", ReopenForm(formdata=None))
    forms.setdefault("picker", update_picker(incident, forms["update_form"]))
    now = utcnow()
    staff = active_staff()
    return render_template(
        "admin/incidents/detail.html",
        incident=incident,
        now=now,
        confirm_form=ConfirmForm(formdata=None),
        response=build_response_view(incident, now),
        timeline=build_internal_timeline(incident),
        runbook_views=runbooks_for(incident.components),
        problem=problem_of(incident),
        **response_forms(incident, staff, **forms),
    ), status


@bp.get("/incidents/<id:incident_id>")
def incident_detail(incident_id: str) -> tuple[str, int]:
    return render_detail(get_or_404(Incident, incident_id))


def _update_kwargs(form: Any, components: list[Component]) -> dict[str, Any]:
    """The update form as post_update takes it (the publish time apart: it may be refused)."""
    return {
        "status": IncidentStatus(form.status.data),
        "body": form.body.data,
        "components": _changes(form, components),
        "impact": Impact(form.impact.data) if form.impact.data else None,
        "visibility": Visibility(form.visibility.data),
        "deliver_notifications": form.deliver_notifications.data,
    }


@bp.post("/incidents/<id:incident_id>/updates")
def add_incident_update(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    components = component_service.list_components()
    form = _update_form(incident, components)
    if not form.validate_on_submit():
        return render_detail(incident, 422, update_form=form)
    publish_at = to_utc(form, "publish_at") if form.publish_at.data else None
    if form.publish_at.data and publish_at is None:
        return render_detail(incident, 422, update_form=form)
    if wants_preview():
        preview = render_markdown(form.body.data or "")
        return render_detail(incident, 200, update_form=form, preview=preview)
    try:
        update = service.post_update(
            incident,
            **_update_kwargs(form, components),
            publish_at=publish_at,
            actor=current_actor(),
        )
    except ServiceError as error:
        apply_service_error(form, error)
        return render_detail(
            incident, error.status_code, update_form=form, page_error=error.message
        )
    flash("Update scheduled." if not update.is_published else "Update posted.", "success")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


@bp.post("/incidents/<id:incident_id>/notes")
def add_incident_note(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_detail(incident, 422, note_form=form)
    timeline.add_note(incident, body=form.body.data or "", actor=current_actor())
    flash("Internal note added.", "success")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


@bp.post("/incidents/<id:incident_id>/resolve")
def resolve_incident(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        return render_detail(incident, 422, resolve_form=form)
    try:
        service.resolve_incident(
            incident,
            body=form.body.data or "",
            deliver_notifications=form.deliver_notifications.data,
            actor=current_actor(),
        )
    except ServiceError as error:
        apply_service_error(form, error)
        return render_detail(incident, error.status_code, resolve_form=form)
    flash("Incident resolved.", "success")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


@bp.post("/incidents/<id:incident_id>/reopen")
def reopen_incident(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        return render_detail(incident, 422, reopen_form=form)
    try:
        service.reopen_incident(
            incident,
            body=form.body.data or "",
            status=IncidentStatus(form.status.data),
            deliver_notifications=form.deliver_notifications.data,
            actor=current_actor(),
        )
    except ServiceError as error:
        apply_service_error(form, error)
        return render_detail(incident, error.status_code, reopen_form=form)
    flash("Incident reopened.", "success")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


@bp.route("/incidents/<id:incident_id>/edit", methods=["GET", "POST"])
def edit_incident(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = IncidentEditForm(obj=incident)
    if form.validate_on_submit():
        try:
            service.update_incident(
                incident,
                name=form.name.data or "",
                impact=Impact(form.impact.data),
                visibility=Visibility(form.visibility.data),
                actor=current_actor(),
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash("Incident saved.", "success")
            return redirect(url_for("admin.incident_detail", incident_id=incident.id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/incidents/edit.html", form=form, incident=incident), status


def _edit_update_page(
    update: IncidentUpdate, form: Any, preview: str | None = None
) -> tuple[str, int]:
    """The edit page of one update; 422 after a refused save, 200 otherwise."""
    status = 422 if form.is_submitted() and preview is None else 200
    return render_template(
        "admin/incidents/edit_update.html",
        form=form,
        update=update,
        preview=preview,
        back_url=_notice_url(update),
    ), status


@bp.route("/updates/<id:update_id>/edit", methods=["GET", "POST"])
def edit_update(update_id: str) -> Response | tuple[str, int]:
    """Correct a published update's text; its time and status changes stay."""
    update = get_or_404(IncidentUpdate, update_id)
    if not update.is_published:  # an older link: the scheduled update's own page (307 keeps POST)
        return redirect(url_for("admin.edit_scheduled_update", update_id=update.id), code=307)
    form = EditUpdateForm(obj=update)
    if not form.validate_on_submit():
        return _edit_update_page(update, form)
    if wants_preview():
        return _edit_update_page(update, form, render_markdown(form.body.data or ""))
    if call_service(
        form, timeline.edit_update, update, body=form.body.data, success="Update saved."
    ):
        return redirect(_notice_url(update))
    return _edit_update_page(update, form)


@bp.route("/updates/<id:update_id>/scheduled", methods=["GET", "POST"])
def edit_scheduled_update(update_id: str) -> Response | tuple[str, int]:
    """Change a scheduled update's text and publish time before anyone sees it."""
    update = get_or_404(IncidentUpdate, update_id)
    if update.is_published:  # published meanwhile: only its text can change now
        return redirect(url_for("admin.edit_update", update_id=update.id), code=307)
    form = ScheduledUpdateForm(obj=update)
    if not form.is_submitted():
        form.publish_at.data = utc_to_local(update.display_at, get_site_settings().tz)
    if not form.validate_on_submit():
        return _edit_update_page(update, form)
    if wants_preview():
        return _edit_update_page(update, form, render_markdown(form.body.data or ""))
    publish_at = to_utc(form, "publish_at")
    if publish_at is not None and call_service(
        form,
        timeline.edit_scheduled_update,
        update,
        body=form.body.data,
        publish_at=publish_at,
        success="Update saved.",
    ):
        return redirect(_notice_url(update))
    return _edit_update_page(update, form)


@bp.post("/updates/<id:update_id>/cancel")
def cancel_update(update_id: str) -> Response:
    """Withdraw a scheduled update before anyone sees it."""
    update = get_or_404(IncidentUpdate, update_id)
    back_to = _notice_url(update)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(back_to)
    try:
        timeline.cancel_scheduled_update(update, actor=current_actor())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash("Scheduled update withdrawn.", "success")
    return redirect(back_to)


def _notice_url(update: IncidentUpdate) -> str:
    notice = update.notice
    return url_for("admin." + notice.detail_endpoint, **notice.url_values())


@bp.route("/incidents/<id:incident_id>/delete", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def delete_incident(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.delete_incident(incident, actor=current_actor())
        flash(f"Incident “{incident.name}” deleted.", "success")
        return redirect(url_for("admin.incidents"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/incidents/delete.html", form=form, incident=incident), status
