"""Forms of the incident response panel and of the response policy in Settings."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from statuspage.admin.forms import enum_choices
from statuspage.enums import Impact, IncidentRole, Priority, SlaTarget, Urgency
from statuspage.forms import Form, SelectChoice
from statuspage.limits import MAX_REASON
from statuspage.models import Incident, User
from statuspage.services.response.configure import LEAD_RANGE
from statuspage.services.response.policy import MAX_TARGET_MINUTES, ResponsePolicy


class UrgencyForm(Form):
    urgency = SelectField("Urgency", choices=enum_choices(Urgency))


class PriorityOverrideForm(Form):
    priority = SelectField(
        "Priority",
        choices=[SelectChoice("", "As the matrix says"), *enum_choices(Priority)],
        description="Override the matrix's priority; choose “As the matrix says” to go back.",
    )
    reason = TextAreaField(
        "Reason for the override",
        validators=[Length(max=MAX_REASON)],
        render_kw={"rows": 2},
    )


class AcknowledgeForm(Form):
    pass


class AssignRoleForm(Form):
    role = SelectField("Role", choices=enum_choices(IncidentRole))
    user = SelectField("Person", choices=[], validators=[DataRequired()])


class UnassignRoleForm(Form):
    role = HiddenField(validators=[DataRequired()])
    user = HiddenField(validators=[DataRequired()])


def staff_choices(users: list[User]) -> list[SelectChoice]:
    return [SelectChoice(str(u.id), f"{u.display_name} ({u.role.label.lower()})") for u in users]


def matrix_field(impact: Impact, urgency: Urgency) -> str:
    return f"matrix_{impact.value}_{urgency.value}"


def sla_field(priority: Priority, target: SlaTarget) -> str:
    return f"sla_{priority.value}_{target.value}"


class ResponsePolicyForm(Form):
    lead_percent = IntegerField(
        "Warn before a target is missed (% of the target)",
        validators=[InputRequired(), NumberRange(min=LEAD_RANGE.start, max=LEAD_RANGE.stop - 1)],
        description="20 % warns 6 minutes before a 30-minute target.",
    )


for _impact in Impact:
    for _urgency in Urgency:
        setattr(
            ResponsePolicyForm,
            matrix_field(_impact, _urgency),
            SelectField(
                f"Priority for {_impact.label.lower()} impact, {_urgency.label.lower()} urgency",
                choices=enum_choices(Priority),
            ),
        )
for _priority in Priority:
    for _target in SlaTarget:
        setattr(
            ResponsePolicyForm,
            sla_field(_priority, _target),
            IntegerField(
                f"{_priority} {_target.label} (minutes)",
                validators=[InputRequired(), NumberRange(min=1, max=MAX_TARGET_MINUTES)],
            ),
        )


def policy_form(policy: ResponsePolicy) -> ResponsePolicyForm:
    """The form, filled from the request or else with the policy in force."""
    data: dict[str, Any] = {"lead_percent": policy.lead_percent}
    for impact, row in policy.matrix.items():
        for urgency, priority in row.items():
            data[matrix_field(impact, urgency)] = priority.value
    for priority, targets in policy.sla.items():
        for target, minutes in targets.items():
            data[sla_field(priority, target)] = minutes
    return ResponsePolicyForm(data=data)


def policy_kwargs(form: ResponsePolicyForm) -> dict[str, Any]:
    """The form as configure_response_policy takes it."""
    return {
        "matrix": {
            i: {u: Priority(getattr(form, matrix_field(i, u)).data) for u in Urgency}
            for i in Impact
        },
        "sla": {p: {t: getattr(form, sla_field(p, t)).data for t in SlaTarget} for p in Priority},
        "lead_percent": form.lead_percent.data,
    }


def response_forms(incident: Incident, staff: list[User], **given: Any) -> dict[str, Any]:
    """The response panel's forms, blank but for what *given* brings back with its errors."""
    assign = AssignRoleForm(formdata=None)
    assign.user.choices = [SelectChoice("", "Choose a person"), *staff_choices(staff)]
    forms: dict[str, Any] = {
        "urgency_form": UrgencyForm(
            formdata=None, urgency=(incident.urgency or Urgency.MEDIUM).value
        ),
        "priority_form": PriorityOverrideForm(
            formdata=None,
            priority=incident.priority_override.value if incident.priority_override else "",
            reason=incident.priority_override_reason or "",
        ),
        "acknowledge_form": AcknowledgeForm(formdata=None),
        "assign_form": assign,
        "unassign_form": UnassignRoleForm(formdata=None),
    }
    forms.update(given)
    return forms
