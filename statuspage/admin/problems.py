"""Problem records (list, new, edit, link and unlink incidents) and the triage queue of
customers' problem reports, with the spike rule. Staff only."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp, call_service, get_or_404
from statuspage.admin.problem_forms import (
    LinkIncidentForm,
    ProblemFilterForm,
    ProblemForm,
    ReportFilterForm,
    SpikePolicyForm,
    TriageForm,
    UnlinkIncidentForm,
)
from statuspage.database import utcnow
from statuspage.enums import ProblemStatus, ReportState, Role
from statuspage.forms import SelectChoice
from statuspage.models import Component, Problem, ProblemReport
from statuspage.security import current_actor, role_required
from statuspage.services.components import tree as component_service
from statuspage.services.errors import ServiceError
from statuspage.services.notices import incidents as incident_service
from statuspage.services.problems import records, reports


def _problem_form(problem: Problem | None = None) -> tuple[ProblemForm, dict[str, Component]]:
    components = {c.id: c for c in component_service.list_components()}
    form = ProblemForm(obj=problem) if problem is not None else ProblemForm()
    form.components.choices = [SelectChoice(c.id, c.full_name) for c in components.values()]
    if problem is not None and not form.is_submitted():
        form.status.data = problem.status.value
        form.components.data = [c.id for c in problem.components]
    return form, components


def _problem_kwargs(form: ProblemForm, components: dict[str, Component]) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "status": ProblemStatus(form.status.data),
        "root_cause": form.root_cause.data,
        "workaround": form.workaround.data,
        "components": [components[cid] for cid in form.components.data or [] if cid in components],
    }


@bp.get("/problems")
def problems() -> tuple[str, int]:
    form = ProblemFilterForm(request.args)
    valid = form.validate()
    status = ProblemStatus(form.status.data) if valid and form.status.data else None
    return render_template(
        "admin/problems/list.html", form=form, problems=records.list_problems(status)
    ), (200 if valid else 400)


@bp.route("/problems/new", methods=["GET", "POST"])
def new_problem() -> Response | tuple[str, int]:
    form, components = _problem_form()
    if form.validate_on_submit():
        try:
            problem = records.create_problem(
                **_problem_kwargs(form, components), actor=current_actor()
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash("Problem recorded.", "success")
            return redirect(url_for("admin.edit_problem", problem_id=problem.id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/problems/new.html", form=form), status


def render_problem(problem: Problem, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The problem's page: its fields, its incidents and the candidates to link."""
    if "form" not in forms:
        forms["form"] = _problem_form(problem)[0]
    forms.setdefault("link_form", LinkIncidentForm(formdata=None))
    return render_template(
        "admin/problems/edit.html",
        problem=problem,
        candidates=records.suggest_candidates(problem),
        unlink_form=UnlinkIncidentForm(formdata=None),
        **forms,
    ), status


@bp.route("/problems/<id:problem_id>", methods=["GET", "POST"])
def edit_problem(problem_id: str) -> Response | tuple[str, int]:
    problem = get_or_404(Problem, problem_id)
    form, components = _problem_form(problem)
    if form.validate_on_submit() and call_service(
        form,
        records.update_problem,
        problem,
        **_problem_kwargs(form, components),
        success="Problem saved.",
    ):
        return redirect(url_for("admin.edit_problem", problem_id=problem.id))
    return render_problem(problem, 422 if form.is_submitted() else 200, form=form)


@bp.post("/problems/<id:problem_id>/link")
def link_problem_incident(problem_id: str) -> Response | tuple[str, int]:
    problem = get_or_404(Problem, problem_id)
    form = LinkIncidentForm()
    if not form.validate_on_submit():
        return render_problem(problem, 422, link_form=form)
    try:
        records.link_incident(problem, form.incident_id.data, actor=current_actor())
    except ServiceError as error:
        apply_service_error(form, error)
        return render_problem(problem, error.status_code, link_form=form)
    flash("Incident linked.", "success")
    return redirect(url_for("admin.edit_problem", problem_id=problem.id))


@bp.post("/problems/<id:problem_id>/unlink")
def unlink_problem_incident(problem_id: str) -> Response | tuple[str, int]:
    problem = get_or_404(Problem, problem_id)
    form = UnlinkIncidentForm()
    if form.validate_on_submit() and call_service(
        form, records.unlink_incident, problem, form.incident_id.data, success="Incident unlinked."
    ):
        return redirect(url_for("admin.edit_problem", problem_id=problem.id))
    for error in [*form.incident_id.errors, *form.form_errors] or ["Choose an incident."]:
        flash(str(error), "error")
    return render_problem(problem, 422)


def _triage_form(report: ProblemReport) -> TriageForm:
    form = TriageForm(prefix=f"r{report.id}", formdata=None)
    form.state.data = report.state.value
    form.incident_id.data = report.incident_id or ""
    return form


def _incident_choices() -> list[SelectChoice]:
    recent = incident_service.list_incidents(state=None, impact=None, search=None, page=1)
    return [SelectChoice("", "—"), *(SelectChoice(i.id, i.name) for i in recent.items)]


@bp.get("/triage")
def triage() -> tuple[str, int]:
    form = ReportFilterForm(request.args)
    valid = form.validate()
    state = ReportState(form.state.data) if valid and form.state.data else None
    queue = reports.list_reports(state, (form.component.data or None) if valid else None)
    return render_template(
        "admin/problems/triage.html",
        form=form,
        reports=queue,
        forms={r.id: _triage_form(r) for r in queue},
        incident_choices=_incident_choices(),
        policy=reports.get_spike_policy(),
    ), (200 if valid else 400)


@bp.post("/triage/<id:report_id>")
def triage_report(report_id: str) -> Response:
    report = get_or_404(ProblemReport, report_id)
    form = TriageForm(prefix=f"r{report.id}")
    if form.validate_on_submit():
        call_service(
            form,
            reports.triage_report,
            report,
            state=form.state.data,
            incident_id=form.incident_id.data or None,
            success="Report triaged.",
        )
    for error in [*form.state.errors, *form.incident_id.errors, *form.form_errors]:
        flash(str(error), "error")
    return redirect(url_for("admin.triage"))


@bp.route("/triage/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def triage_settings() -> Response | tuple[str, int]:
    form = SpikePolicyForm(obj=reports.get_spike_policy())
    if form.validate_on_submit() and call_service(
        form,
        reports.configure_spike_policy,
        threshold=form.threshold.data,
        minutes=form.minutes.data,
        success="Report alert rule saved.",
    ):
        return redirect(url_for("admin.triage_settings"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/problems/settings.html", form=form, now=utcnow()), status
