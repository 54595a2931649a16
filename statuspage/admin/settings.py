"""Page settings (admins): name, address, time zone, logo, brand colour, support link, footer."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp
from statuspage.admin.forms import SettingsForm, timezone_choices
from statuspage.enums import Role
from statuspage.security import current_actor, role_required
from statuspage.services.errors import ServiceError
from statuspage.services.site import configure as service
from statuspage.services.site.settings import get_site_settings


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings() -> Response | tuple[str, int]:
    current = get_site_settings()
    form = SettingsForm(obj=current)
    form.timezone.choices = timezone_choices()
    if form.validate_on_submit():
        try:
            rebuilt = service.update_settings(
                page_name=form.page_name.data or "",
                base_url=form.base_url.data or "",
                timezone=form.timezone.data,
                brand_colour=form.brand_colour.data,
                support_url=form.support_url.data,
                footer_text=form.footer_text.data,
                default_notify=form.default_notify.data,
                actor=current_actor(),
            )
            upload = request.files.get("logo")
            if form.remove_logo.data:
                service.remove_logo(actor=current_actor())
            elif upload and upload.filename:
                service.set_logo(upload.read(), actor=current_actor())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            message = "Settings saved."
            if rebuilt:
                message += " The uptime days were recomputed for the new time zone."
            flash(message, "success")
            return redirect(url_for("admin.settings"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/settings.html", form=form, current=current), status
