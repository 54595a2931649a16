"""Forms of the post-incident review pages: the postmortem editor, action items and their
filters. Validation only; the owner choices are filled per request from the active staff."""

from __future__ import annotations

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from statuspage.admin.forms import enum_choices
from statuspage.enums import ActionItemStatus
from statuspage.forms import Form, SelectChoice
from statuspage.limits import MAX_NAME, MAX_POSTMORTEM, MAX_URL


class PostmortemForm(Form):
    body = TextAreaField(
        "Postmortem",
        validators=[DataRequired(), Length(max=MAX_POSTMORTEM)],
        description="Markdown. Staff only until published; remove internal entries first.",
    )


class PublishPostmortemForm(Form):
    notify = BooleanField("Email the incident's subscribers", default=True)


class ActionItemForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_NAME)])
    owner_id = SelectField("Owner", choices=[], validators=[DataRequired()])
    due_on = DateField(
        "Due date", validators=[Optional()], description="A day in the page's time zone."
    )
    status = SelectField("Status", choices=enum_choices(ActionItemStatus))
    link = StringField(
        "Issue tracker link",
        validators=[Optional(), Length(max=MAX_URL)],
        description="An http or https address (optional).",
    )


class ActionItemFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any"), *enum_choices(ActionItemStatus)],
        default="",
        validators=[Optional()],
    )
    owner = SelectField("Owner", choices=[], default="", validators=[Optional()])
    overdue = BooleanField("Overdue only")
