"""Post-incident review: an incident's postmortem editor and publishing, its action items, and
the list of every action item with its filters (/admin/action-items)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import back, bp, call_service, get_or_404, wants_preview
from statuspage.admin.response_forms import staff_choices
from statuspage.admin.review_forms import (
    ActionItemFilterForm,
    ActionItemForm,
    PostmortemForm,
    PublishPostmortemForm,
)
from statuspage.database import utcnow
from statuspage.enums import ActionItemStatus
from statuspage.forms import SelectChoice
from statuspage.markdown import render_markdown
from statuspage.models import ActionItem, Incident
from statuspage.security import current_actor
from statuspage.services.accounts.users import active_staff
from statuspage.services.errors import ServiceError
from statuspage.services.review import action_items as items_service
from statuspage.services.review.action_items import ActionItemInput
from statuspage.services.review.postmortems import (
    default_postmortem_body,
    publish_postmortem,
    save_postmortem,
)


def _review_url(incident: Incident) -> str:
    return url_for("admin.incident_detail", incident_id=incident.id) + "#review"


def _postmortem_page(incident: Incident, form: PostmortemForm, status: int, **extra: Any) -> Any:
    return render_template(
        "admin/review/postmortem.html",
        incident=incident,
        form=form,
        publish_form=extra.pop("publish_form", None) or PublishPostmortemForm(),
        **extra,
    ), status


@bp.route("/incidents/<id:incident_id>/postmortem", methods=["GET", "POST"])
def postmortem(incident_id: str) -> Response | tuple[str, int]:
    """The editor: the saved text, or the blameless template prefilled from the timeline."""
    incident = get_or_404(Incident, incident_id)
    saved = incident.postmortem
    body = saved.body if saved is not None else default_postmortem_body(incident)
    form = PostmortemForm(data={"body": body})
    if not form.validate_on_submit():
        return _postmortem_page(incident, form, 422 if form.is_submitted() else 200)
    if wants_preview():
        preview = render_markdown(form.body.data or "")
        return _postmortem_page(incident, form, 200, preview=preview)
    if call_service(form, save_postmortem, incident, body=form.body.data, success="Saved."):
        return redirect(_review_url(incident))
    return _postmortem_page(incident, form, 422)


@bp.post("/incidents/<id:incident_id>/postmortem/publish")
def publish_incident_postmortem(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    saved = incident.postmortem
    editor = PostmortemForm(formdata=None, data={"body": saved.body if saved else ""})
    form = PublishPostmortemForm()
    if not form.validate_on_submit():
        return _postmortem_page(incident, editor, 422, publish_form=form)
    try:
        publish_postmortem(incident, notify=form.notify.data, actor=current_actor())
    except ServiceError as error:
        page_error = error.message
        return _postmortem_page(incident, editor, error.status_code, page_error=page_error)
    flash("Postmortem published.", "success")
    return redirect(_review_url(incident))


def _item_form(item: ActionItem | None = None) -> ActionItemForm:
    """The form with the active staff as owner choices (and the current owner, if gone)."""
    form = ActionItemForm(obj=item)
    choices = staff_choices(active_staff())
    if item is not None and item.owner is not None and not item.owner.active:
        choices.append(SelectChoice(str(item.owner.id), f"{item.owner.display_name} (inactive)"))
    form.owner_id.choices = [SelectChoice("", "Choose…"), *choices]
    if item is not None and not form.is_submitted():
        form.owner_id.data = str(item.owner_id or "")
        form.status.data = item.status.value
    return form


def _item_input(form: ActionItemForm) -> ActionItemInput:
    return ActionItemInput(
        title=form.title.data or "",
        owner_id=int(form.owner_id.data) if (form.owner_id.data or "").isdigit() else None,
        due_on=form.due_on.data,
        status=ActionItemStatus(form.status.data),
        link=form.link.data or None,
    )


@bp.route("/incidents/<id:incident_id>/action-items/new", methods=["GET", "POST"])
def new_action_item(incident_id: str) -> Response | tuple[str, int]:
    incident = get_or_404(Incident, incident_id)
    form = _item_form()
    if form.validate_on_submit() and call_service(
        form,
        items_service.create_action_item,
        incident,
        _item_input(form),
        success="Action item added.",
    ):
        return redirect(_review_url(incident))
    status = 422 if form.is_submitted() else 200
    page = render_template("admin/review/action_item.html", form=form, incident=incident)
    return page, status


@bp.route("/action-items/<id:action_item_id>", methods=["GET", "POST"])
def edit_action_item(action_item_id: str) -> Response | tuple[str, int]:
    item = get_or_404(ActionItem, action_item_id)
    form = _item_form(item)
    if form.validate_on_submit() and call_service(
        form,
        items_service.update_action_item,
        item,
        _item_input(form),
        success="Action item saved.",
    ):
        return back(_review_url(item.notice))
    status = 422 if form.is_submitted() else 200
    page = render_template(
        "admin/review/action_item.html", form=form, incident=item.notice, item=item
    )
    return page, status


@bp.get("/action-items")
def action_items() -> tuple[str, int]:
    form = ActionItemFilterForm(request.args)
    people = active_staff()
    form.owner.choices = [SelectChoice("", "Anyone"), *staff_choices(people)]
    valid = form.validate()
    owner = form.owner.data if valid and (form.owner.data or "").isdigit() else None
    found = items_service.list_action_items(
        status=ActionItemStatus(form.status.data) if valid and form.status.data else None,
        owner_id=int(owner) if owner else None,
        overdue=bool(valid and form.overdue.data),
    )
    today = items_service.local_today(utcnow())
    page = render_template("admin/review/list.html", form=form, items=found, today=today)
    return page, (200 if valid else 400)
