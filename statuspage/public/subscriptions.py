"""Subscribing (double opt-in), managing a subscription and one-click unsubscribing."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.enums import Audience, Cadence, SubscriberKind, SubscriberState, Via
from statuspage.extensions import csrf, limiter
from statuspage.forms import SelectChoice
from statuspage.models import Subscriber
from statuspage.public.blueprint import bp
from statuspage.public.forms import EmptyForm, ManageForm, SubscribeForm
from statuspage.services.errors import InvalidInput
from statuspage.services.hooks import webhooks
from statuspage.services.page.builders import visible_tree
from statuspage.services.publish.site import PUBLISHED_ENVIRON_KEY
from statuspage.services.subscribers import signup as subscribers
from statuspage.services.subscribers.links import InvalidToken, make_token, read_token
from statuspage.services.unit import Actor


def visitor() -> Actor:
    """Subscribers have no account: the audit log records the form and the address."""
    return Actor(user_id=None, label="public form", via=Via.UI, ip=request.remote_addr)


def _choices(form: SubscribeForm | ManageForm) -> None:
    groups, components = visible_tree(Audience.PUBLIC)
    form.groups.choices = [SelectChoice(g.id, g.name) for g in groups]
    form.components.choices = [SelectChoice(c.id, c.full_name) for c in components]


def _address_key() -> str:
    """Rate-limit per address as well as per network (a list of addresses from one bot)."""
    return "subscribe:" + subscribers.clean_email_for_search(request.form.get("email", ""))


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SUBSCRIBE_RATE_LIMIT"],
    methods=["POST"],
    error_message="Too many subscription requests from your network. Please try again in an hour.",
)
@limiter.limit(
    lambda: current_app.config["SUBSCRIBE_ADDRESS_RATE_LIMIT"],
    methods=["POST"],
    key_func=_address_key,
    error_message="Too many subscription requests for this address. Please try again later.",
)
def subscribe() -> Response | tuple[str, int]:
    form = SubscribeForm()
    _choices(form)
    if request.method == "GET":
        form.email.data = request.args.get("email", "")[:254]
        published = bool(request.environ.get(PUBLISHED_ENVIRON_KEY))
        return render_template("public/subscribe.html", form=form, published=published), 200
    if not form.validate_on_submit():
        return render_template("public/subscribe.html", form=form), 422
    if form.website.data:  # a bot: same answer, nothing stored, nothing sent
        return redirect(url_for("public.subscribe_sent"))
    try:
        _save_subscription(form)
    except InvalidInput as error:
        getattr(form, error.field or "email").errors.append(error.message)
        return render_template("public/subscribe.html", form=form), 422
    return redirect(url_for("public.subscribe_sent"))


def _save_subscription(form: SubscribeForm) -> None:
    """By mail, or (Statuspage's webhook subscriptions) to a URL, confirmed by mail alike."""
    chosen = form.scope.data == "chosen"
    component_ids: list[str] = (form.components.data or []) if chosen else []
    group_ids: list[str] = (form.groups.data or []) if chosen else []
    if form.via.data == SubscriberKind.WEBHOOK.value:
        webhooks.subscribe_webhook(
            endpoint=form.endpoint.data or "",
            email=form.email.data or "",  # DataRequired
            component_ids=component_ids,
            group_ids=group_ids,
            actor=visitor(),
        )
        return
    subscribers.subscribe(
        email=form.email.data or "",  # DataRequired
        cadence=Cadence(form.cadence.data),
        component_ids=component_ids,
        group_ids=group_ids,
        actor=visitor(),
    )


@bp.get("/subscribe/sent")
def subscribe_sent() -> str:
    return render_template(
        "public/message.html",
        title="Check your inbox",
        message="If the address can receive mail, a message is on its way. Follow its link "
        "to confirm; nothing is sent until you do, and unconfirmed addresses are forgotten "
        "after 7 days.",
    )


def _subscriber(token: str, purpose: str) -> Any:
    try:
        return read_token(token, purpose)
    except InvalidToken as error:
        return error


def _invalid(error: InvalidToken) -> tuple[str, int]:
    return render_template(
        "public/message.html", title="Link not valid", message=error.message
    ), 400


@bp.route("/subscribe/confirm/<token>", methods=["GET", "POST"])
def confirm_subscription(token: str) -> Response | tuple[str, int]:
    """GET shows a button (mail scanners follow links); POST confirms."""
    subscriber = _subscriber(token, "confirm")
    if isinstance(subscriber, InvalidToken):
        return _invalid(subscriber)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("public/confirm.html", form=form, subscriber=subscriber), 400
        was_pending = subscriber.state is SubscriberState.PENDING
        subscribers.confirm_subscription(subscriber, actor=visitor())
        return _confirmed(subscriber, was_pending)
    if subscriber.state is not SubscriberState.PENDING:
        return redirect(url_for("public.manage_subscription", token=_manage_token(subscriber)))
    return render_template("public/confirm.html", form=form, subscriber=subscriber), 200


def _confirmed(subscriber: Subscriber, was_pending: bool) -> Response | tuple[str, int]:
    """A webhook subscriber sees its signing secret once, on the page that confirms it; a
    mailbox goes on to its preferences."""
    if was_pending and subscriber.kind is SubscriberKind.WEBHOOK:
        page = render_template(
            "public/webhook_confirmed.html",
            subscriber=subscriber,
            secret=webhooks.signing_secret(subscriber),
            manage_url=url_for("public.manage_subscription", token=_manage_token(subscriber)),
        )
        return page, 200
    flash("You are subscribed.", "success")
    return redirect(url_for("public.manage_subscription", token=_manage_token(subscriber)))


def _manage_token(subscriber: Any) -> str:

    return make_token(subscriber, "manage")


def _fill_manage_form(form: ManageForm, subscriber: Subscriber) -> None:
    """The subscriber's current preferences, for the first view of the page."""
    form.cadence.data = subscriber.cadence.value
    form.scope.data = "everything" if subscriber.everything else "chosen"
    form.components.data = [c.id for c in subscriber.components]
    form.groups.data = [g.id for g in subscriber.groups]
    form.paused.data = subscriber.state is SubscriberState.PAUSED


def _preferences(form: ManageForm) -> dict[str, Any]:
    """The form as update_subscription takes it: a chosen scope, or everything."""
    chosen = form.scope.data == "chosen"
    return {
        "cadence": Cadence(form.cadence.data),
        "component_ids": form.components.data if chosen else [],
        "group_ids": form.groups.data if chosen else [],
        "paused": form.paused.data,
    }


@bp.route("/subscribe/manage/<token>", methods=["GET", "POST"])
def manage_subscription(token: str) -> Response | tuple[str, int]:
    subscriber = _subscriber(token, "manage")
    if isinstance(subscriber, InvalidToken):
        return _invalid(subscriber)
    form = ManageForm()
    _choices(form)
    if request.method == "GET":
        _fill_manage_form(form, subscriber)
    elif form.validate_on_submit():
        try:
            subscribers.update_subscription(subscriber, **_preferences(form), actor=visitor())
        except InvalidInput as error:
            getattr(form, error.field or "cadence").errors.append(error.message)
        else:
            flash("Your preferences are saved.", "success")
            return redirect(url_for("public.manage_subscription", token=token))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "public/manage.html",
        form=form,
        subscriber=subscriber,
        token=token,
        unsubscribe_form=EmptyForm(formdata=None),
    ), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> tuple[str, int]:
    """RFC 8058 one-click: a POST with no login and no CSRF token unsubscribes; GET asks first."""
    subscriber = _subscriber(token, "unsubscribe")
    if isinstance(subscriber, InvalidToken):
        if request.method == "POST" and subscriber.unsubscribed:
            # A repeated one-click of a genuine link: its address already receives nothing.
            return render_template(
                "public/message.html",
                title="Unsubscribed",
                message="This address receives nothing from us.",
            ), 200
        # Forged, mangled or superseded: say so (RFC 8058 senders read the status code).
        return render_template("public/unsubscribe_invalid.html", message=subscriber.message), 400
    if request.method == "POST":
        subscribers.unsubscribe(subscriber, actor=visitor())
        return render_template(
            "public/message.html",
            title="Unsubscribed",
            message=f"{subscriber.email} will receive no more mail from us.",
        ), 200
    return render_template("public/unsubscribe.html", subscriber=subscriber, token=token), 200
