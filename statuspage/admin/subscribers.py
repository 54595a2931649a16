"""Subscribers: the list, one subscriber and its delivery log, CSV export and import, and the
delivery dashboard. Editors read; only admins change anything or see addresses in bulk."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from statuspage.admin.blueprint import apply_service_error, bp, get_or_404
from statuspage.admin.forms import (
    ConfirmForm,
    ImportForm,
    MailTestForm,
    PageForm,
    SubscriberFilterForm,
)
from statuspage.database import utcnow
from statuspage.enums import Cadence, DeliveryState, Role, SubscriberState
from statuspage.models import Subscriber
from statuspage.security import current_actor, role_required
from statuspage.services.errors import ServiceError
from statuspage.services.outbox import dashboard
from statuspage.services.outbox import delivery as notifications
from statuspage.services.site import heartbeat as site
from statuspage.services.subscribers import admin
from statuspage.services.subscribers import signup as subscriber_service

#: Subscriber ids are database integers: larger numbers are a 404 before any query.
SUBSCRIBER = "<int(max=2147483647):subscriber_id>"


@bp.get("/subscribers")
def subscribers() -> tuple[str, int]:
    """Find subscribers by address, state or cadence, with the totals at a glance."""
    form = SubscriberFilterForm(request.args)
    valid = form.validate()
    pagination = admin.list_subscribers(
        search=form.q.data if valid else None,
        state=SubscriberState(form.state.data) if valid and form.state.data else None,
        cadence=Cadence(form.cadence.data) if valid and form.cadence.data else None,
        page=(form.page.data or 1) if valid else 1,
    )
    args = {k: v for k, v in request.args.items() if k in ("q", "state", "cadence") and v}
    return render_template(
        "admin/subscribers/list.html",
        form=form,
        pagination=pagination,
        counts=admin.count_subscribers(),
        states=list(SubscriberState),
        cadences=list(Cadence),
        args=args,
        filtered=bool(args),
    ), (200 if valid else 400)


@bp.get(f"/subscribers/{SUBSCRIBER}")
def subscriber_detail(subscriber_id: int) -> tuple[str, int]:
    """One subscriber and every email queued for it, to answer "did I get it?"."""
    subscriber = get_or_404(Subscriber, subscriber_id)
    form = PageForm(request.args)
    valid = form.validate()
    deliveries = admin.list_deliveries(subscriber, page=(form.page.data or 1) if valid else 1)
    return render_template(
        "admin/subscribers/detail.html",
        subscriber=subscriber,
        scope=admin.describe_scope(subscriber),
        deliveries=deliveries,
        page_form=form,
        confirm_form=ConfirmForm(formdata=None),
        resend_minutes=int(subscriber_service.RESEND_AFTER.total_seconds() // 60),
    ), (200 if valid else 400)


@bp.post(f"/subscribers/{SUBSCRIBER}/resend")
@role_required(Role.ADMIN)
def resend_confirmation(subscriber_id: int) -> Response:
    """Send the confirmation again for someone who lost it (rate-limited by the service)."""
    subscriber = get_or_404(Subscriber, subscriber_id)
    detail = url_for("admin.subscriber_detail", subscriber_id=subscriber.id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(detail)
    if subscriber_service.resend_confirmation(subscriber, actor=current_actor()):
        flash(
            f"A new confirmation email to {subscriber.email} is queued; the scheduler sends it "
            "within seconds.",
            "success",
        )
    elif subscriber.state is not SubscriberState.PENDING:
        flash(
            f"{subscriber.email} is {subscriber.state.label.lower()}: only pending subscribers "
            "get a confirmation email. Nothing was queued.",
            "error",
        )
    else:
        minutes = int(subscriber_service.RESEND_AFTER.total_seconds() // 60)
        flash(
            f"Too soon: a confirmation email went to {subscriber.email} less than {minutes} "
            "minutes ago. Nothing was queued; try again later.",
            "error",
        )
    return redirect(detail)


@bp.route(f"/subscribers/{SUBSCRIBER}/remove", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def remove_subscriber(subscriber_id: int) -> Response | tuple[str, int]:
    """Erase a subscriber and its log, after a confirmation page."""
    subscriber = get_or_404(Subscriber, subscriber_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        email = subscriber.email
        subscriber_service.remove_subscriber(subscriber, actor=current_actor())
        flash(f"{email} removed, with its delivery log.", "success")
        return redirect(url_for("admin.subscribers"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/subscribers/remove.html", form=form, subscriber=subscriber
    ), status


@bp.get("/subscribers/export.csv")
@role_required(Role.ADMIN)
def export_subscribers() -> Response:
    """Every subscriber as a CSV attachment, safe to open in a spreadsheet."""
    filename = f"subscribers-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        admin.export_subscribers_csv(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/subscribers/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_subscribers() -> tuple[str, int]:
    """Add addresses in bulk from a CSV file; each still confirms by email."""
    form = ImportForm()
    if form.validate_on_submit():
        try:
            report = admin.import_subscribers(form.file.data.read(), actor=current_actor())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return render_template("admin/subscribers/import_result.html", report=report), 200
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/subscribers/import.html",
        form=form,
        max_kib=current_app.config["MAX_CONTENT_LENGTH"] // 1024,
    ), status


def _mail_page(form: MailTestForm, status: int = 200) -> tuple[str, int]:
    """The delivery dashboard, with the test-mail form as sent (errors) or empty."""
    now = utcnow()
    return render_template(
        "admin/subscribers/mail.html",
        dashboard=dashboard.build_mail_dashboard(now=now),
        now=now,
        heartbeat=site.last_heartbeat(),
        scheduler_stale=site.scheduler_is_stale(now=now),
        tick_seconds=current_app.config["SCHEDULER_TICK_SECONDS"],
        form=form,
        can_requeue=current_user.has_role(Role.ADMIN),
        failed_state=DeliveryState.FAILED,
    ), status


@bp.get("/mail")
def mail_dashboard() -> tuple[str, int]:
    """Whether mail goes out: the outbox, failures, events, settings and scheduler."""
    return _mail_page(MailTestForm(formdata=None))


@bp.post("/mail/test")
@role_required(Role.ADMIN)
def send_test_mail() -> Response | tuple[str, int]:
    """Check the mail settings end to end with a message through the outbox."""
    form = MailTestForm()
    if form.validate_on_submit():
        actor = current_actor()
        try:
            delivery = notifications.queue_test_mail(
                form.email.data or "", requested_by=actor.label, actor=actor
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(
                f"Test email to {delivery.to_address} queued. It goes through the outbox like "
                "every mail: the scheduler sends it within seconds; its state is below.",
                "success",
            )
            return redirect(url_for("admin.mail_dashboard") + "#test-mail")
    return _mail_page(form, 422)


@bp.post("/mail/requeue")
@role_required(Role.ADMIN)
def requeue_failed_mail() -> Response:
    """Once the relay works again, give every failed email another retry window."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The form expired; nothing was re-queued. Try again.", "error")
        return redirect(url_for("admin.mail_dashboard"))
    count = notifications.requeue_failed_deliveries(actor=current_actor())
    flash(
        f"{count} failed email{'' if count == 1 else 's'} re-queued; the scheduler sends "
        "them within seconds.",
        "success",
    )
    return redirect(url_for("admin.mail_dashboard"))
