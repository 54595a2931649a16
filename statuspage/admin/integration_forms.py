"""The integration forms (Settings → Integrations): validation only; the service decides."""

from __future__ import annotations

from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from statuspage.admin.forms import enum_choices
from statuspage.enums import IncidentPolicy, IntegrationKind
from statuspage.forms import Form, SelectChoice
from statuspage.limits import MAX_DAMPING_MINUTES, MAX_LABEL_NAME, MAX_NAME, MAX_SEVERITIES


class IntegrationForm(Form):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=MAX_NAME)],
        description="What sends the alerts, e.g. “Production Alertmanager”.",
    )
    kind = SelectField(
        "Kind",
        choices=enum_choices(IntegrationKind),
        default=IntegrationKind.ALERTMANAGER.value,
        description="Fixed once made: each kind posts to its own endpoint.",
    )
    component_label = StringField(
        "Component label",
        validators=[DataRequired(), Length(max=MAX_LABEL_NAME)],
        default="component",
        description="The alert label naming the component: its id, its name or an alias.",
    )
    severity_label = StringField(
        "Severity label",
        validators=[DataRequired(), Length(max=MAX_LABEL_NAME)],
        default="severity",
    )
    severity_map = TextAreaField(
        "Severity → status",
        validators=[Length(max=MAX_SEVERITIES * 2 * (MAX_LABEL_NAME + 3))],
        default="critical = major_outage\nwarning = partial_outage\ninfo = degraded_performance",
        description=(
            "One “severity = status” a line; statuses: major_outage, partial_outage, "
            "degraded_performance. Any other severity sets partial_outage."
        ),
    )
    damping_minutes = IntegerField(
        "Flap damping (minutes)",
        validators=[InputRequired(), NumberRange(0, MAX_DAMPING_MINUTES)],
        default=2,
        description="A status must hold this long before the public sees it; staff see it at once.",
    )
    incident_policy = SelectField(
        "Incidents", choices=enum_choices(IncidentPolicy), default=IncidentPolicy.NONE.value
    )
    template_id = SelectField(
        "Incident template",
        choices=[SelectChoice("", "The first incident template")],
        default="",
    )
    enabled = BooleanField("Enabled: accept its alerts", default=True)


def parse_severity_lines(text: str | None) -> dict[str, str] | None:
    """“severity = status” lines as a mapping; None (with no line) for a malformed one."""
    mapping: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        severity, sep, status = line.partition("=")
        if not sep or not severity.strip() or not status.strip():
            return None
        mapping[severity.strip()] = status.strip()
    return mapping
