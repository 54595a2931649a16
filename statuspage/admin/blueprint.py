"""The admin blueprint and what every admin view shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from statuspage.enums import Role
from statuspage.extensions import db, login_manager
from statuspage.security import current_actor, is_safe_redirect_url
from statuspage.services.errors import InvalidInput, ServiceError
from statuspage.services.local_time import local_to_utc
from statuspage.services.site.settings import get_site_settings

bp = Blueprint("admin", __name__, url_prefix="/admin")


F = TypeVar("F", bound=Callable[..., Any])


def viewers_may_read(view: F) -> F:
    """Let viewers use this view too: only read-only views (the reports) declare it."""
    # A function attribute, read by require_editor, as the management API's needs_scope.
    view.viewers_may_read = True  # type: ignore[attr-defined]
    return view


@bp.before_request
def require_editor() -> Response | None:
    """Every admin URL needs at least the editor role (viewers, for the read-only views that
    declare `viewers_may_read`); admin-only views check again."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    view = current_app.view_functions.get(request.endpoint or "")
    needed = Role.VIEWER if getattr(view, "viewers_may_read", False) else Role.EDITOR
    if not current_user.has_role(needed):
        abort(403)
    return None


def get_or_404(model: type, ident: Any) -> Any:
    return db.get_or_404(model, ident)


def apply_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a domain error next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def call_service(
    form: FlaskForm, save: Callable[..., Any], *args: Any, success: str, **kwargs: Any
) -> bool:
    """Run one service write as the current user; flash *success*, or put the error on the
    form and answer False."""
    try:
        save(*args, **kwargs, actor=current_actor())
    except ServiceError as error:
        apply_service_error(form, error)
        return False
    flash(success, "success")
    return True


def back(default: str) -> Response:
    """Redirect after POST to where the form was (a local path only)."""
    target = request.form.get("back")
    return redirect(target if is_safe_redirect_url(target) else default)


def flash_error(error: ServiceError) -> None:
    flash(error.message, "error")


def to_utc(form: FlaskForm, name: str) -> datetime | None:
    """The form's local time as UTC, or None with a field error (a time the clocks skip)."""
    field = getattr(form, name)
    try:
        return local_to_utc(field.data, get_site_settings().tz, field=name)
    except InvalidInput as error:
        field.errors = [*field.errors, error.message]
        return None


def wants_preview() -> bool:
    return "preview" in request.form


__all__ = [
    "apply_service_error",
    "back",
    "bp",
    "call_service",
    "flash_error",
    "get_or_404",
    "url_for",
]
