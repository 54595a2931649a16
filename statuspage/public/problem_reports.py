"""The public "Report a problem" form: no account, CSRF, a honeypot and a rate limit. What
customers write goes to the staff triage queue only; nothing of it is ever shown publicly."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from statuspage.enums import Audience
from statuspage.extensions import limiter
from statuspage.forms import Form, SelectChoice
from statuspage.limits import MAX_EMAIL, MAX_REPORT_TEXT
from statuspage.public.blueprint import bp
from statuspage.public.subscriptions import visitor
from statuspage.services.errors import InvalidInput
from statuspage.services.page.builders import visible_tree
from statuspage.services.problems import reports


class ReportForm(Form):
    component = SelectField(
        "Which part of the service?",
        choices=[],
        validators=[DataRequired(message="Choose a component.")],
        validate_choice=True,
    )
    description = TextAreaField(
        "What is wrong?",
        validators=[DataRequired(message="Describe the problem."), Length(max=MAX_REPORT_TEXT)],
        render_kw={"rows": 5},
    )
    email = EmailField(
        "Email address (optional)",
        validators=[Optional(), Email(), Length(max=MAX_EMAIL)],
        description="Only if you would like one message when it is resolved.",
    )
    #: Honeypot: hidden from people, filled in by bots.
    website = StringField("Leave this empty", validators=[Optional(), Length(max=200)])


def _report_form() -> ReportForm:
    form = ReportForm()
    _, components = visible_tree(Audience.PUBLIC)
    form.component.choices = [
        SelectChoice("", "Choose…"),
        *(SelectChoice(c.id, c.full_name) for c in components),
    ]
    wanted = request.args.get("component", "")
    if not form.is_submitted() and wanted in {c.id for c in components}:
        form.component.data = wanted
    return form


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["REPORT_RATE_LIMIT"],
    methods=["POST"],
    error_message="Too many reports from your network. Please try again in an hour.",
)
def report_problem() -> Response | tuple[str, int]:
    form = _report_form()
    if request.method == "GET":
        return render_template("public/report.html", form=form), 200
    if not form.validate_on_submit():
        return render_template("public/report.html", form=form), 422
    if form.website.data:  # a bot: the same answer, nothing stored
        return redirect(url_for("public.report_sent"))
    try:
        reports.submit_report(
            component_id=form.component.data,
            description=form.description.data,
            email=form.email.data,
            actor=visitor(),
        )
    except InvalidInput as error:
        getattr(form, error.field or "description").errors.append(error.message)
        return render_template("public/report.html", form=form), 422
    return redirect(url_for("public.report_sent"))


@bp.get("/report/sent")
def report_sent() -> str:
    return render_template(
        "public/message.html",
        title="Thank you",
        message="Your report has reached our team. If you left an address, we will write "
        "once when the problem is resolved.",
    )
