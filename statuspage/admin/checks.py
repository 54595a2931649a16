"""Built-in checks of a component (admin only): list with results and the response-time
chart, create, edit, delete. The scheduler runs them; these pages only configure them."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp, flash_error, get_or_404
from statuspage.admin.check_forms import CheckForm
from statuspage.admin.forms import ConfirmForm
from statuspage.database import utcnow
from statuspage.enums import CheckKind, ComponentStatus, Role
from statuspage.models import Check, Component
from statuspage.security import current_actor, role_required
from statuspage.services.checks import configure as service
from statuspage.services.checks.results import build_check_chart, recent_results
from statuspage.services.errors import InvalidInput, ServiceError
from statuspage.services.reports.charts import response_time_chart
from statuspage.services.site.settings import get_site_settings


def _statuses(text: str | None) -> list[int]:
    """ "200, 204" as [200, 204]; anything but numbers is an InvalidInput on the field."""
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]
    if any(not (p.isascii() and p.isdigit()) or len(p) > 3 for p in parts):
        raise InvalidInput(
            "List status codes as numbers, e.g. 200, 204.", field="expected_statuses"
        )
    return [int(p) for p in parts]


def _input(form: CheckForm) -> service.CheckInput:
    return service.CheckInput(
        kind=CheckKind(form.kind.data),
        name=form.name.data or "",
        url=form.url.data,
        method=form.method.data or "GET",
        expected_statuses=_statuses(form.expected_statuses.data),
        keyword=form.keyword.data,
        tls_warn_days=form.tls_warn_days.data if form.tls_warn_days.data is not None else 14,
        host=form.host.data,
        port=form.port.data,
        hostname=form.hostname.data,
        record_type=form.record_type.data or "A",
        timeout_seconds=form.timeout_seconds.data or 0.0,
        interval_seconds=form.interval_seconds.data or 0,
        failure_threshold=form.failure_threshold.data or 0,
        success_threshold=form.success_threshold.data or 0,
        failure_status=ComponentStatus(form.failure_status.data),
        damping_minutes=form.damping_minutes.data or 0,
        enabled=bool(form.enabled.data),
    )


def _save(form: CheckForm, check: Check | None, component: Component) -> Check | None:
    """Create or update from the form; None with the error on its field."""
    try:
        data = _input(form)
        if check is None:
            return service.create_check(component, data, actor=current_actor())
        return service.update_check(check, data, actor=current_actor())
    except ServiceError as error:
        apply_service_error(form, error)
        return None


@bp.get("/components/<id:component_id>/checks")
@role_required(Role.ADMIN)
def component_checks(component_id: str) -> str:
    component = get_or_404(Component, component_id)
    checks = service.checks_of(component)
    chart = build_check_chart(checks, now=utcnow())
    return render_template(
        "admin/checks/list.html",
        component=component,
        checks=checks,
        results={c.id: recent_results(c, limit=10) for c in checks},
        chart=(
            response_time_chart(chart, chart_id="checks-chart", tz=get_site_settings().tz)
            if chart.has_data
            else None
        ),
        confirm_form=ConfirmForm(),
    )


@bp.route("/components/<id:component_id>/checks/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_check(component_id: str) -> Response | tuple[str, int]:
    component = get_or_404(Component, component_id)
    form = CheckForm()
    if form.validate_on_submit() and (check := _save(form, None, component)) is not None:
        flash(f"Check {check.name} created.", "success")
        return redirect(url_for("admin.component_checks", component_id=component.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/checks/form.html", form=form, component=component, check=None
    ), status


@bp.route("/checks/<id:check_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_check(check_id: str) -> Response | tuple[str, int]:
    check = get_or_404(Check, check_id)
    form = CheckForm(obj=check)
    if not form.is_submitted():
        form.expected_statuses.data = ", ".join(map(str, check.expected_statuses or []))
    if form.validate_on_submit() and _save(form, check, check.component) is not None:
        flash(f"Check {check.name} saved.", "success")
        return redirect(url_for("admin.component_checks", component_id=check.component_id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/checks/form.html", form=form, component=check.component, check=check
    ), status


@bp.post("/checks/<id:check_id>/delete")
@role_required(Role.ADMIN)
def delete_check(check_id: str) -> Response:
    check = get_or_404(Check, check_id)
    component_id, name = check.component_id, check.name
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
    else:
        try:
            service.delete_check(check, actor=current_actor())
        except ServiceError as error:
            flash_error(error)
        else:
            flash(f"Check {name} deleted.", "success")
    return redirect(url_for("admin.component_checks", component_id=component_id))
