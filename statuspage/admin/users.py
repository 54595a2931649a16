"""Users (admins only): create with a role, change role, deactivate and reactivate."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp, flash_error, get_or_404
from statuspage.admin.forms import ActiveForm, RoleForm, UserForm
from statuspage.enums import Role
from statuspage.models import User
from statuspage.security import current_actor, role_required
from statuspage.services.accounts import users as service
from statuspage.services.errors import ServiceError


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> str:
    return render_template(
        "admin/users/list.html",
        users=service.list_users(),
        role_form=RoleForm(formdata=None),
        active_form=ActiveForm(formdata=None),
        roles=list(Role),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_user() -> Response | tuple[str, int]:
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = service.create_user(
                email=form.email.data or "",
                name=form.name.data or "",
                role=Role(form.role.data),
                password=form.password.data or "",
                actor=current_actor(),
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(f"User {user.email} created as {user.role.label.lower()}.", "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/users/form.html", form=form), status


@bp.post("/users/<int(max=2147483647):user_id>/role")
@role_required(Role.ADMIN)
def change_user_role(user_id: int) -> Response:
    user = get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a valid role.", "error")
        return redirect(url_for("admin.users"))
    try:
        service.change_role(user, Role(form.role.data), actor=current_actor())
    except ServiceError as error:
        flash_error(error)
    else:
        flash(f"{user.email} is now {user.role.label.lower()}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int(max=2147483647):user_id>/active")
@role_required(Role.ADMIN)
def set_user_active(user_id: int) -> Response:
    user = get_or_404(User, user_id)
    form = ActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("yes", "no"):
        flash("Invalid request.", "error")
        return redirect(url_for("admin.users"))
    try:
        service.set_user_active(user, form.active.data == "yes", actor=current_actor())
    except ServiceError as error:
        flash_error(error)
    else:
        flash(f"{user.email} {'reactivated' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.users"))
