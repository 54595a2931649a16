"""The dashboard: overall status, open incidents, every component one click from a new status."""

from __future__ import annotations

from flask import flash, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import back, bp, flash_error, get_or_404
from statuspage.admin.forms import StatusForm
from statuspage.database import utcnow
from statuspage.enums import Audience, ComponentStatus
from statuspage.models import Component
from statuspage.security import current_actor
from statuspage.services.components import tree as component_service
from statuspage.services.errors import ServiceError
from statuspage.services.notices import timeline
from statuspage.services.outbox.dashboard import read_relay_trouble
from statuspage.services.page.builders import build_status_page
from statuspage.services.problems.reports import list_spike_banners
from statuspage.services.response.console import build_open_responses
from statuspage.services.site import heartbeat as site


@bp.get("/")
def dashboard() -> str:
    now = utcnow()
    page = build_status_page(Audience.INTERNAL, now=now, with_uptime=False, with_history=False)
    return render_template(
        "admin/dashboard.html",
        page=page,
        now=now,
        heartbeat=site.last_heartbeat(),
        scheduler_stale=site.scheduler_is_stale(now=now),
        status_form=StatusForm(),
        statuses=list(ComponentStatus),
        pending_updates=timeline.list_pending_updates(),
        relay_trouble=read_relay_trouble(now=now),
        responses=build_open_responses(now),
        report_spikes=list_spike_banners(now=now),
    )


@bp.post("/components/<id:component_id>/status")
def set_component_status(component_id: str) -> Response | tuple[str, int]:
    component = get_or_404(Component, component_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Choose one of the five statuses.", "error")
        return back(url_for("admin.dashboard"))
    try:
        component_service.set_component_status(
            component, ComponentStatus(form.status.data), actor=current_actor()
        )
    except ServiceError as error:
        flash_error(error)
    else:
        flash(f"{component.name} is now {component.internal_status.label.lower()}.", "success")
    return back(url_for("admin.dashboard"))
