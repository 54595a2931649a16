"""Maintenance windows and recurring rules: schedule, reschedule, start, complete, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
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
    CancelForm,
    ConfirmForm,
    EndRecurrenceForm,
    MaintenanceEditForm,
    MaintenanceForm,
    MaintenanceUpdateForm,
    RecurrenceForm,
    RescheduleForm,
)
from statuspage.database import utcnow
from statuspage.enums import MaintenanceStatus, Visibility
from statuspage.forms import SelectChoice
from statuspage.markdown import render_markdown
from statuspage.models import Maintenance, MaintenanceRecurrence
from statuspage.params import parse_int
from statuspage.security import current_actor
from statuspage.services.components import tree as component_service
from statuspage.services.errors import InvalidInput, ServiceError
from statuspage.services.local_time import utc_to_local
from statuspage.services.notices import maintenance as service
from statuspage.services.notices import recurrence as recurrence_service
from statuspage.services.site.settings import get_site_settings

STATES = {"upcoming", "active", "past"}


def _component_choices(form: Any, selected: list[str]) -> list[Any]:
    components = component_service.list_components()
    form.component_choices = [(c, c.id in selected) for c in components]
    return components


def _chosen_components(components: list[Any]) -> list[Any]:
    ids = set(request.form.getlist("components"))
    return [c for c in components if c.id in ids]


def _remind(form: Any) -> int | None:
    return int(form.remind.data) if form.remind.data else None


def _details(form: Any) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "visibility": Visibility(form.visibility.data),
        "auto_start": form.auto_start.data,
        "auto_complete": form.auto_complete.data,
        "remind_minutes": _remind(form),
        "start_message": form.start_message.data,
        "complete_message": form.complete_message.data,
    }


@bp.get("/maintenance")
def maintenance_list() -> tuple[str, int]:
    state = request.args.get("state") or None
    page = parse_int(request.args.get("page") or "1", 1, 100_000)
    valid = (state is None or state in STATES) and page is not None
    pagination = service.list_maintenance(state=state if valid else None, page=page or 1)
    args = {"state": state} if state and valid else {}
    return render_template(
        "admin/maintenance/list.html",
        pagination=pagination,
        state=state,
        args=args,
        now=utcnow(),
        recurrences=recurrence_service.list_recurrences(),
    ), (200 if valid else 400)


def _new_maintenance_form() -> MaintenanceForm:
    """The scheduling form, its messages and notify box filled in on first view."""
    form = MaintenanceForm()
    if not form.is_submitted():
        form.start_message.data = service.DEFAULT_START_MESSAGE
        form.complete_message.data = service.DEFAULT_COMPLETE_MESSAGE
        form.deliver_notifications.data = get_site_settings().default_notify
    return form


@bp.route("/maintenance/new", methods=["GET", "POST"])
def new_maintenance() -> Response | tuple[str, int]:
    form = _new_maintenance_form()
    components = _component_choices(form, request.form.getlist("components"))
    preview = None
    if form.validate_on_submit():
        start, end = to_utc(form, "scheduled_for"), to_utc(form, "scheduled_until")
        if start and end and wants_preview():
            preview = render_markdown(form.body.data or "")
        elif start and end:
            try:
                maintenance = service.schedule_maintenance(
                    body=form.body.data or "",
                    scheduled_for=start,
                    scheduled_until=end,
                    components=_chosen_components(components),
                    deliver_notifications=form.deliver_notifications.data,
                    actor=current_actor(),
                    **_details(form),
                )
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                flash("Maintenance scheduled.", "success")
                return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))
    status = 422 if form.is_submitted() and preview is None else 200
    return render_template("admin/maintenance/new.html", form=form, preview=preview), status


def _update_form(maintenance: Maintenance) -> MaintenanceUpdateForm:
    form = MaintenanceUpdateForm()
    allowed = maintenance.next_statuses()
    form.status.choices = [
        SelectChoice(s.value, s.label) for s in MaintenanceStatus if s in allowed
    ]
    if not form.is_submitted():
        following = {
            MaintenanceStatus.SCHEDULED: MaintenanceStatus.SCHEDULED,
            MaintenanceStatus.IN_PROGRESS: MaintenanceStatus.VERIFYING,
            MaintenanceStatus.VERIFYING: MaintenanceStatus.COMPLETED,
        }
        form.status.data = following.get(maintenance.status, maintenance.status).value
    return form


def _detail(maintenance: Maintenance, status: int = 200, **forms: Any) -> tuple[str, int]:
    tz = get_site_settings().tz
    if not maintenance.is_closed:
        forms.setdefault("update_form", _update_form(maintenance))
        reschedule = RescheduleForm(formdata=None)
        reschedule.scheduled_for.data = utc_to_local(maintenance.scheduled_for, tz)
        reschedule.scheduled_until.data = utc_to_local(maintenance.scheduled_until, tz)
        forms.setdefault("reschedule_form", reschedule)
        forms.setdefault("cancel_form", CancelForm(formdata=None))
    return render_template(
        "admin/maintenance/detail.html",
        maintenance=maintenance,
        now=utcnow(),
        confirm_form=ConfirmForm(formdata=None),
        **forms,
    ), status


@bp.get("/maintenance/<id:maintenance_id>")
def maintenance_detail(maintenance_id: str) -> tuple[str, int]:
    return _detail(get_or_404(Maintenance, maintenance_id))


@bp.post("/maintenance/<id:maintenance_id>/updates")
def add_maintenance_update(maintenance_id: str) -> Response | tuple[str, int]:
    maintenance = get_or_404(Maintenance, maintenance_id)
    form = _update_form(maintenance)
    if maintenance.is_closed:
        return _detail(maintenance, 409, page_error="This maintenance is already over.")
    if not form.validate_on_submit():
        return _detail(maintenance, 422, update_form=form)
    publish_at = to_utc(form, "publish_at") if form.publish_at.data else None
    if form.publish_at.data and publish_at is None:
        return _detail(maintenance, 422, update_form=form)
    if wants_preview():
        return _detail(maintenance, update_form=form, preview=render_markdown(form.body.data or ""))
    try:
        service.post_maintenance_update(
            maintenance,
            status=MaintenanceStatus(form.status.data),
            body=form.body.data or "",
            deliver_notifications=form.deliver_notifications.data,
            publish_at=publish_at,
            actor=current_actor(),
        )
    except ServiceError as error:
        apply_service_error(form, error)
        return _detail(maintenance, error.status_code, update_form=form)
    flash(_posted_message(publish_at), "success")
    return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))


def _posted_message(publish_at: datetime | None) -> str:
    return "Update scheduled." if publish_at and publish_at > utcnow() else "Update posted."


def _confirmed(maintenance: Maintenance, action: str) -> Response | tuple[str, int]:
    if not ConfirmForm().validate_on_submit():
        return _detail(maintenance, 400, page_error="The form expired; try again.")
    try:
        getattr(service, f"{action}_maintenance")(maintenance, actor=current_actor())
    except ServiceError as error:
        return _detail(maintenance, error.status_code, page_error=error.message)
    flash("Maintenance started." if action == "start" else "Maintenance completed.", "success")
    return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))


@bp.post("/maintenance/<id:maintenance_id>/start")
def start_maintenance(maintenance_id: str) -> Response | tuple[str, int]:
    return _confirmed(get_or_404(Maintenance, maintenance_id), "start")


@bp.post("/maintenance/<id:maintenance_id>/complete")
def complete_maintenance(maintenance_id: str) -> Response | tuple[str, int]:
    return _confirmed(get_or_404(Maintenance, maintenance_id), "complete")


@bp.post("/maintenance/<id:maintenance_id>/cancel")
def cancel_maintenance(maintenance_id: str) -> Response | tuple[str, int]:
    maintenance = get_or_404(Maintenance, maintenance_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _detail(maintenance, 422, cancel_form=form)
    try:
        service.cancel_maintenance(maintenance, body=form.body.data or "", actor=current_actor())
    except ServiceError as error:
        return _detail(maintenance, error.status_code, page_error=error.message)
    flash("Maintenance cancelled.", "success")
    return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))


@bp.post("/maintenance/<id:maintenance_id>/reschedule")
def reschedule_maintenance(maintenance_id: str) -> Response | tuple[str, int]:
    maintenance = get_or_404(Maintenance, maintenance_id)
    form = RescheduleForm()
    if not form.validate_on_submit():
        return _detail(maintenance, 422, reschedule_form=form)
    start, end = to_utc(form, "scheduled_for"), to_utc(form, "scheduled_until")
    if start is None or end is None:
        return _detail(maintenance, 422, reschedule_form=form)
    try:
        service.reschedule_maintenance(
            maintenance,
            scheduled_for=start,
            scheduled_until=end,
            body=form.body.data or "",
            deliver_notifications=form.deliver_notifications.data,
            actor=current_actor(),
        )
    except ServiceError as error:
        apply_service_error(form, error)
        return _detail(maintenance, error.status_code, reschedule_form=form)
    flash("Maintenance rescheduled.", "success")
    return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))


@bp.route("/maintenance/<id:maintenance_id>/edit", methods=["GET", "POST"])
def edit_maintenance(maintenance_id: str) -> Response | tuple[str, int]:
    maintenance = get_or_404(Maintenance, maintenance_id)
    form = MaintenanceEditForm(obj=maintenance)
    if not form.is_submitted():
        form.remind.data = str(maintenance.remind_minutes or "")
        selected = [c.id for c in maintenance.components]
    else:
        selected = request.form.getlist("components")
    components = _component_choices(form, selected)
    if form.validate_on_submit():
        try:
            service.update_maintenance(
                maintenance,
                components=_chosen_components(components),
                actor=current_actor(),
                **_details(form),
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash("Maintenance saved.", "success")
            return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/maintenance/edit.html", form=form, maintenance=maintenance
    ), status


WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _preset_rule(repeat: str, start: datetime) -> str:
    """The RRULE a preset means, anchored on the first start's weekday or day of month."""
    nth = (start.day - 1) // 7 + 1
    return {
        "weekly": "FREQ=WEEKLY",
        "biweekly": "FREQ=WEEKLY;INTERVAL=2",
        "monthly_day": "FREQ=MONTHLY",
        "monthly_weekday": f"FREQ=MONTHLY;BYDAY={nth}{WEEKDAYS[start.weekday()]}",
    }[repeat]


def _recurrence_fields(form: RecurrenceForm, components: list[Any]) -> dict[str, Any]:
    if form.repeat.data == "custom":
        rule = form.rrule.data or ""
        if not rule:
            raise InvalidInput("Write the rule, or choose a preset.", field="rrule")
    else:
        assert form.first_start.data is not None  # InputRequired
        rule = _preset_rule(form.repeat.data, form.first_start.data)
    return {
        **_details(form),
        "body": form.body.data,
        "rule": rule,
        "first_start": form.first_start.data,
        "timezone": get_site_settings().timezone,
        "duration_minutes": form.duration_minutes.data,
        "components": _chosen_components(components),
    }


def _recurrence_page(
    form: RecurrenceForm, recurrence: MaintenanceRecurrence | None
) -> tuple[str, int]:
    """The rule's form; 422 after a refused save."""
    return render_template(
        "admin/maintenance/recurrence.html",
        form=form,
        recurrence=recurrence,
        end_form=EndRecurrenceForm(formdata=None),
    ), 422 if form.is_submitted() else 200


def _recurrence_saved(form: RecurrenceForm, components: list[Any], save: Any, *args: Any) -> bool:
    """Call one recurrence write; a bad rule or a ServiceError goes on the form (False)."""
    try:
        fields = _recurrence_fields(form, components)
    except ServiceError as error:
        apply_service_error(form, error)
        return False
    return call_service(
        form,
        save,
        *args,
        **fields,
        success="Recurring maintenance saved; its next windows are scheduled.",
    )


@bp.route("/maintenance/recurring/new", methods=["GET", "POST"])
def new_recurrence() -> Response | tuple[str, int]:
    """Define a recurring window; its next occurrences are scheduled at once."""
    form = RecurrenceForm()
    if not form.is_submitted():
        form.start_message.data = service.DEFAULT_START_MESSAGE
        form.complete_message.data = service.DEFAULT_COMPLETE_MESSAGE
    components = _component_choices(form, request.form.getlist("components"))
    if form.validate_on_submit() and _recurrence_saved(
        form, components, recurrence_service.create_recurrence
    ):
        return redirect(url_for("admin.maintenance_list", state="upcoming"))
    return _recurrence_page(form, None)


@bp.route("/maintenance/recurring/<id:recurrence_id>", methods=["GET", "POST"])
def edit_recurrence(recurrence_id: str) -> Response | tuple[str, int]:
    """Change a rule; only future occurrences nobody edited are rebuilt."""
    recurrence = get_or_404(MaintenanceRecurrence, recurrence_id)
    form = RecurrenceForm(obj=recurrence)
    if not form.is_submitted():
        form.remind.data = str(recurrence.remind_minutes or "")
        form.repeat.data = "custom"
        selected = recurrence.component_ids.split(",")
    else:
        selected = request.form.getlist("components")
    components = _component_choices(form, selected)
    if form.validate_on_submit() and _recurrence_saved(
        form, components, recurrence_service.update_recurrence, recurrence
    ):
        return redirect(url_for("admin.maintenance_list", state="upcoming"))
    return _recurrence_page(form, recurrence)


@bp.post("/maintenance/recurring/<id:recurrence_id>/end")
def end_recurrence(recurrence_id: str) -> Response | tuple[str, int]:
    recurrence = get_or_404(MaintenanceRecurrence, recurrence_id)
    form = EndRecurrenceForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/maintenance/recurrence.html",
            form=RecurrenceForm(obj=recurrence, formdata=None),
            recurrence=recurrence,
            end_form=form,
        ), 422
    cancelled = recurrence_service.end_recurrence(
        recurrence, body=form.body.data or "", actor=current_actor()
    )
    flash(f"Recurring maintenance ended; {cancelled} upcoming window(s) cancelled.", "success")
    return redirect(url_for("admin.maintenance_list"))
