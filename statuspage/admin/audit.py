"""The audit log (admins): who changed what, through which channel, from where; CSV export."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, render_template, request, stream_with_context
from werkzeug.datastructures import MultiDict

from statuspage.admin.blueprint import bp
from statuspage.admin.forms import AuditFilterForm
from statuspage.enums import Role, Via
from statuspage.forms import SelectChoice
from statuspage.security import role_required
from statuspage.services.errors import InvalidInput
from statuspage.services.local_time import local_to_utc
from statuspage.services.site import audit_log as service
from statuspage.services.site.settings import get_site_settings


def _filters(form: AuditFilterForm) -> dict[str, Any]:
    tz = get_site_settings().tz
    since = form.since.data
    until = form.until.data
    return {
        "actor": form.actor.data or None,
        "via": Via(form.via.data) if form.via.data else None,
        "object_type": form.object_type.data or None,
        "action": form.action.data or None,
        "object_id": form.object_id.data or None,
        "since": local_to_utc(datetime.combine(since, datetime.min.time()), tz, field="since")
        if since
        else None,
        "until": local_to_utc(datetime.combine(until, datetime.min.time()), tz, field="until")
        + timedelta(days=1)
        if until
        else None,
    }


def _form() -> AuditFilterForm:
    form = AuditFilterForm(MultiDict(request.args))
    choices = service.filter_choices()
    form.object_type.choices = [SelectChoice("", "Any")] + [
        SelectChoice(t, t) for t in choices["object_types"]
    ]
    form.action.choices = [SelectChoice("", "Any")] + [
        SelectChoice(a, a) for a in choices["actions"]
    ]
    return form


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> tuple[str, int]:
    form = _form()
    valid = form.validate()
    try:
        filters = _filters(form) if valid else {}
    except InvalidInput as error:  # a date whose midnight the clocks skip
        form.since.errors = [error.message]
        valid, filters = False, {}
    pagination = service.list_entries(page=(form.page.data or 1) if valid else 1, **filters)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit.html", form=form, pagination=pagination, args=args), (
        200 if valid else 400
    )


@bp.get("/audit.csv")
@role_required(Role.ADMIN)
def audit_csv() -> Response:
    form = _form()
    try:
        filters = _filters(form) if form.validate() else None
    except InvalidInput:
        filters = None
    if filters is None:
        return Response("Invalid filters.\n", status=400, content_type="text/plain; charset=utf-8")
    return Response(
        stream_with_context(service.stream_audit_csv(**filters)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=audit-log.csv"},
    )


# MISSING
