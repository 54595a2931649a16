"""Components and groups: list, create, edit, archive, restore, delete, reorder."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp, flash_error, get_or_404
from statuspage.admin.forms import ComponentForm, ConfirmForm, GroupForm, MoveForm
from statuspage.enums import Role, Visibility
from statuspage.forms import SelectChoice
from statuspage.models import Component, ComponentGroup
from statuspage.security import current_actor, role_required
from statuspage.services.components import tree as service
from statuspage.services.components.runbooks import (
    RunbookInput,
    contact_lines,
    parse_contact_lines,
    parse_runbook_lines,
)
from statuspage.services.errors import ServiceError


@bp.get("/components")
def components() -> str:
    return render_template(
        "admin/components/list.html",
        items=service.top_level_items(),
        archived=service.list_archived(),
        move_form=MoveForm(),
        confirm_form=ConfirmForm(),
    )


def _group_choices(form: ComponentForm) -> None:
    form.group.choices = [SelectChoice("", "No group (top level)")] + [
        SelectChoice(g.id, g.name) for g in service.list_groups()
    ]


def _runbook(form: ComponentForm | GroupForm) -> RunbookInput:
    """The "Response (staff only)" fieldset as the services take it; a contact line of the
    wrong shape is an InvalidInput naming its line."""
    return RunbookInput(
        owner_team=form.owner_team.data,
        runbook_urls=parse_runbook_lines(form.runbook_urls.data),
        escalation_contacts=parse_contact_lines(form.escalation_contacts.data),
        internal_notes=form.internal_notes.data,
    )


def _show_runbook(form: ComponentForm | GroupForm, item: Component | ComponentGroup) -> None:
    """Fill the fieldset's textareas from *item* (one link, one contact a line), unless the
    form was sent: then it keeps what was typed."""
    if not form.is_submitted():
        form.runbook_urls.data = "\n".join(item.runbook_urls or [])
        form.escalation_contacts.data = contact_lines(item)


def _component_fields(form: ComponentForm) -> dict:
    group = get_or_404(ComponentGroup, form.group.data) if form.group.data else None
    return {
        "name": form.name.data,
        "group": group,
        "description": form.description.data,
        "visibility": Visibility(form.visibility.data),
        "showcase": form.showcase.data,
        "only_show_if_degraded": form.only_show_if_degraded.data,
        "start_date": form.start_date.data,
        "show_response_times": form.show_response_times.data,
        "runbook": _runbook(form),
        "aliases": (form.aliases.data or "").splitlines(),
    }


def _show_aliases(form: ComponentForm, component: Component) -> None:
    if not form.is_submitted():
        form.aliases.data = "\n".join(component.aliases or [])


@bp.route("/components/new", methods=["GET", "POST"])
def new_component() -> Response | str | tuple[str, int]:
    form = ComponentForm()
    _group_choices(form)
    if form.validate_on_submit():
        try:
            component = service.create_component(**_component_fields(form), actor=current_actor())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(f"Component {component.name} created.", "success")
            return redirect(url_for("admin.components"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/components/form.html", form=form, component=None), status


@bp.route("/components/<id:component_id>/edit", methods=["GET", "POST"])
def edit_component(component_id: str) -> Response | str | tuple[str, int]:
    component = get_or_404(Component, component_id)
    form = ComponentForm(obj=component, group=component.group_id or "")
    _group_choices(form)
    _show_runbook(form, component)
    _show_aliases(form, component)
    if form.validate_on_submit():
        try:
            service.update_component(component, **_component_fields(form), actor=current_actor())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(f"Component {component.name} saved.", "success")
            return redirect(url_for("admin.components"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/components/form.html", form=form, component=component, confirm_form=ConfirmForm()
    ), status


_DONE = {"archive": "archived", "restore": "restored", "delete": "deleted"}


def _confirmed_action(action: str, item: Component | ComponentGroup) -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.components"))
    try:
        getattr(service, action)(item, actor=current_actor())
    except ServiceError as error:
        flash_error(error)
    else:
        flash(f"{item.name} {_DONE[action.split('_')[0]]}.", "success")
    return redirect(url_for("admin.components"))


@bp.post("/components/<id:component_id>/archive")
def archive_component(component_id: str) -> Response:
    return _confirmed_action("archive_component", get_or_404(Component, component_id))


@bp.post("/components/<id:component_id>/restore")
def restore_component(component_id: str) -> Response:
    return _confirmed_action("restore_component", get_or_404(Component, component_id))


@bp.post("/components/<id:component_id>/delete")
@role_required(Role.ADMIN)
def delete_component(component_id: str) -> Response:
    return _confirmed_action("delete_component", get_or_404(Component, component_id))


@bp.post("/components/<id:component_id>/move")
def move_component(component_id: str) -> Response:
    return _move(get_or_404(Component, component_id))


def _move(item: Component | ComponentGroup) -> Response:
    form = MoveForm()
    if form.validate_on_submit():
        try:
            service.move_item(item, offset=form.offset.data or 0, actor=current_actor())
        except ServiceError as error:
            flash_error(error)
    else:
        flash("Could not move that item.", "error")
    return redirect(url_for("admin.components") + f"#item-{item.id}")


def _group_fields(form: GroupForm) -> dict:
    return {
        "name": form.name.data,
        "description": form.description.data,
        "visibility": Visibility(form.visibility.data),
        "showcase": form.showcase.data,
        "only_show_if_degraded": form.only_show_if_degraded.data,
        "start_date": form.start_date.data,
        "runbook": _runbook(form),
    }


@bp.route("/groups/new", methods=["GET", "POST"])
def new_group() -> Response | str | tuple[str, int]:
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = service.create_group(**_group_fields(form), actor=current_actor())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(f"Group {group.name} created.", "success")
            return redirect(url_for("admin.components"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/components/group_form.html", form=form, group=None), status


@bp.route("/groups/<id:group_id>/edit", methods=["GET", "POST"])
def edit_group(group_id: str) -> Response | str | tuple[str, int]:
    group = get_or_404(ComponentGroup, group_id)
    form = GroupForm(obj=group)
    _show_runbook(form, group)
    if form.validate_on_submit():
        try:
            service.update_group(group, **_group_fields(form), actor=current_actor())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(f"Group {group.name} saved.", "success")
            return redirect(url_for("admin.components"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/components/group_form.html", form=form, group=group, confirm_form=ConfirmForm()
    ), status


@bp.post("/groups/<id:group_id>/archive")
def archive_group(group_id: str) -> Response:
    return _confirmed_action("archive_group", get_or_404(ComponentGroup, group_id))


@bp.post("/groups/<id:group_id>/restore")
def restore_group(group_id: str) -> Response:
    return _confirmed_action("restore_group", get_or_404(ComponentGroup, group_id))


@bp.post("/groups/<id:group_id>/delete")
@role_required(Role.ADMIN)
def delete_group(group_id: str) -> Response:
    return _confirmed_action("delete_group", get_or_404(ComponentGroup, group_id))


@bp.post("/groups/<id:group_id>/move")
def move_group(group_id: str) -> Response:
    return _move(get_or_404(ComponentGroup, group_id))


# MISSING
