"""API tokens (admins only): list, make (the secret is shown once), revoke."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import flash, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp, flash_error, get_or_404
from statuspage.admin.forms import ConfirmForm, TokenForm
from statuspage.database import utcnow
from statuspage.enums import Role, TokenScope
from statuspage.models import ApiToken
from statuspage.security import current_actor, role_required
from statuspage.services.accounts import api_tokens as service
from statuspage.services.components.uptime import local_midnight
from statuspage.services.errors import ServiceError
from statuspage.services.site.settings import get_site_settings


@bp.get("/tokens")
@role_required(Role.ADMIN)
def tokens() -> str:
    return render_template(
        "admin/tokens/list.html",
        tokens=service.list_tokens(),
        now=utcnow(),
        revoke_form=ConfirmForm(formdata=None),
    )


def _expiry(form: TokenForm, now: datetime) -> datetime | None:
    """The form's expiry as UTC: N days from now, or the end of the chosen local day."""
    if form.lifetime.data != "date":
        return now + timedelta(days=int(form.lifetime.data))
    if form.expires_on.data is None:
        form.expires_on.errors = [*form.expires_on.errors, "Choose the day the token expires."]
        return None
    return local_midnight(form.expires_on.data + timedelta(days=1), get_site_settings().tz)


@bp.route("/tokens/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_token() -> Response | tuple[str, int]:
    """Make a token and show its secret on the answer page, the only time it is ever shown."""
    form = TokenForm()
    if form.validate_on_submit():
        expires_at = _expiry(form, utcnow())
        if expires_at is not None:
            try:
                made = service.create_token(
                    name=form.name.data or "",
                    scope=TokenScope(form.scope.data),
                    expires_at=expires_at,
                    actor=current_actor(),
                )
            except ServiceError as error:
                if error.field == "expires_at":
                    error.field = "expires_on"
                apply_service_error(form, error)
            else:
                page = render_template(
                    "admin/tokens/created.html", token=made.token, secret=made.secret
                )
                response = make_response(page)
                response.headers["Cache-Control"] = "no-store"
                return response
    status = 422 if form.is_submitted() else 200
    return render_template("admin/tokens/form.html", form=form), status


@bp.post("/tokens/<id:token_id>/revoke")
@role_required(Role.ADMIN)
def revoke_token(token_id: str) -> Response:
    token = get_or_404(ApiToken, token_id)
    if not ConfirmForm().validate_on_submit():
        flash("Invalid request.", "error")
        return redirect(url_for("admin.tokens"))
    try:
        service.revoke_token(token, actor=current_actor())
    except ServiceError as error:
        flash_error(error)
    else:
        flash(f"Token “{token.name}” revoked: it stops working now.", "success")
    return redirect(url_for("admin.tokens"))
