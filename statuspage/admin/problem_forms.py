"""Forms of problem records and of the customer-report triage queue."""

from __future__ import annotations

from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from statuspage.admin.forms import enum_choices
from statuspage.enums import ProblemStatus, ReportState
from statuspage.forms import Form, SelectChoice
from statuspage.limits import MAX_NAME, MAX_PROBLEM_TEXT
from statuspage.services.problems.reports import MINUTES_RANGE, THRESHOLD_RANGE


class ComponentBoxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProblemForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_NAME)])
    status = SelectField("Status", choices=enum_choices(ProblemStatus), default="investigating")
    root_cause = TextAreaField(
        "Root cause", validators=[Length(max=MAX_PROBLEM_TEXT)], render_kw={"rows": 4}
    )
    workaround = TextAreaField(
        "Workaround",
        validators=[Length(max=MAX_PROBLEM_TEXT)],
        description="Markdown. Staff only: never shown on the public page.",
        render_kw={"rows": 4},
    )
    components = ComponentBoxes("Affected components", choices=[], validate_choice=True)


class ProblemFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField(
        "Status", choices=[SelectChoice("", "All"), *enum_choices(ProblemStatus)], default=""
    )


class LinkIncidentForm(Form):
    incident_id = StringField(
        "Incident id", validators=[DataRequired(), Length(max=12)], description="Or pick below."
    )


class UnlinkIncidentForm(Form):
    incident_id = HiddenField(validators=[DataRequired(), Length(max=12)])


class ReportFilterForm(Form):
    class Meta:
        csrf = False

    state = SelectField(
        "State", choices=[SelectChoice("", "All"), *enum_choices(ReportState)], default=""
    )
    component = StringField("Component", validators=[Optional(), Length(max=12)])


class TriageForm(Form):
    state = SelectField("Mark as", choices=enum_choices(ReportState))
    incident_id = SelectField("Incident", choices=[], validate_choice=False)


class SpikePolicyForm(Form):
    threshold = IntegerField(
        "Alert when more than this many reports",
        validators=[InputRequired(), NumberRange(THRESHOLD_RANGE.start, THRESHOLD_RANGE.stop - 1)],
    )
    minutes = IntegerField(
        "arrive for one component within (minutes)",
        validators=[InputRequired(), NumberRange(MINUTES_RANGE.start, MINUTES_RANGE.stop - 1)],
    )
