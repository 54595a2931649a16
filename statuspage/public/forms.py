"""Public forms: subscribing and managing a subscription (validation only)."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from statuspage.enums import Cadence
from statuspage.forms import Form, SelectChoice
from statuspage.limits import MAX_EMAIL

CADENCE_CHOICES = [SelectChoice(c.value, c.label) for c in Cadence]
SCOPE_CHOICES = [
    SelectChoice("everything", "Everything on this page"),
    SelectChoice("chosen", "Only the components I choose"),
]


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PreferencesFields:
    cadence = RadioField("How often", choices=CADENCE_CHOICES, default=Cadence.IMMEDIATE.value)
    scope = RadioField("About", choices=SCOPE_CHOICES, default="everything")
    components = MultiCheckbox("Components", choices=[], validate_choice=True)
    groups = MultiCheckbox("Groups", choices=[], validate_choice=True)

    def validate_components(self, field: MultiCheckbox) -> None:
        """ "Only the components I choose" with none chosen would quietly mean everything."""
        if self.scope.data == "chosen" and not (field.data or self.groups.data):
            raise ValidationError(
                'Tick at least one component or group, or choose "Everything on this page".'
            )


class SubscribeForm(Form, PreferencesFields):
    email = EmailField("Email address", validators=[DataRequired(), Email(), Length(max=MAX_EMAIL)])
    #: Honeypot: hidden from people, filled in by bots.
    website = StringField("Leave this empty", validators=[Optional(), Length(max=200)])


class ManageForm(Form, PreferencesFields):
    paused = BooleanField("Pause all mail for now")


class EmptyForm(Form):
    """Only a CSRF token: confirm and unsubscribe buttons."""
