"""Settings → Chat (admins): incoming webhooks that hear of incidents, components, maintenance."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import bp, call_service, flash_error, get_or_404
from statuspage.admin.chat_forms import (
    ChatChannelForm,
    NewChatChannelForm,
    WebhookSubscriberForm,
)
from statuspage.admin.forms import ConfirmForm
from statuspage.enums import Audience, ChatKind, Role
from statuspage.models import ChatChannel
from statuspage.security import current_actor, role_required
from statuspage.services.errors import ServiceError
from statuspage.services.hooks import chat as service
from statuspage.services.hooks import webhooks


def _list_page(form: NewChatChannelForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "admin/chat/list.html",
        channels=service.list_chat_channels(),
        form=form,
        action_form=ConfirmForm(formdata=None),
    )
    return page, status


@bp.get("/settings/chat")
@role_required(Role.ADMIN)
def chat_channels() -> tuple[str, int]:
    return _list_page(NewChatChannelForm(formdata=None))


@bp.post("/settings/chat")
@role_required(Role.ADMIN)
def new_chat_channel() -> Response | tuple[str, int]:
    form = NewChatChannelForm()
    if form.validate_on_submit() and call_service(
        form,
        service.create_chat_channel,
        name=form.name.data or "",
        kind=ChatKind(form.kind.data),
        audience=Audience(form.audience.data),
        webhook_url=form.webhook_url.data or "",
        success=f"Chat channel “{(form.name.data or '').strip()}” added.",
    ):
        return redirect(url_for("admin.chat_channels"))
    return _list_page(form, 422)


def _edit_kwargs(form: ChatChannelForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "audience": Audience(form.audience.data),
        "enabled": bool(form.enabled.data),
        "webhook_url": form.webhook_url.data or "",
    }


@bp.route("/settings/chat/<id:channel_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_chat_channel(channel_id: str) -> Response | tuple[str, int]:
    channel = get_or_404(ChatChannel, channel_id)
    form = ChatChannelForm(obj=channel)
    if not form.is_submitted():
        form.audience.data = channel.audience.value
        form.webhook_url.data = ""
    if form.validate_on_submit() and call_service(
        form,
        service.update_chat_channel,
        channel,
        **_edit_kwargs(form),
        success=f"Chat channel “{(form.name.data or '').strip()}” saved.",
    ):
        return redirect(url_for("admin.chat_channels"))
    page = render_template("admin/chat/form.html", form=form, channel=channel)
    return page, 422 if form.is_submitted() else 200


@bp.post("/settings/chat/<id:channel_id>/delete")
@role_required(Role.ADMIN)
def delete_chat_channel(channel_id: str) -> Response:
    channel = get_or_404(ChatChannel, channel_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.chat_channels"))
    try:
        service.delete_chat_channel(channel, actor=current_actor())
    except ServiceError as error:
        flash_error(error)
    else:
        flash(f"Chat channel “{channel.name}” deleted.", "success")
    return redirect(url_for("admin.chat_channels"))


@bp.post("/settings/chat/<id:channel_id>/test")
@role_required(Role.ADMIN)
def test_chat_channel(channel_id: str) -> Response:
    """Queue a test message: the scheduler's hooks job sends it within seconds."""
    channel = get_or_404(ChatChannel, channel_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.chat_channels"))
    service.queue_chat_test(channel, requested_by=current_user.email, actor=current_actor())
    flash(f"A test message to “{channel.name}” is queued; it goes out within seconds.", "success")
    return redirect(url_for("admin.chat_channels"))


@bp.route("/subscribers/webhooks/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_webhook_subscriber() -> Response | tuple[str, int]:
    """Add a webhook subscriber: pending until its notice address follows the link."""
    form = WebhookSubscriberForm()
    if form.validate_on_submit() and call_service(
        form,
        webhooks.subscribe_webhook,
        endpoint=form.endpoint.data or "",
        email=form.email.data or "",
        success="The webhook is added; it starts once its notice address confirms it.",
    ):
        return redirect(url_for("admin.subscribers"))
    page = render_template("admin/subscribers/new_webhook.html", form=form)
    return page, 422 if form.is_submitted() else 200
