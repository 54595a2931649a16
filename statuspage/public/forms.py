"""Public forms: subscribing and managing a subscription (validation only)."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from statuspage.enums import Cadence, SubscriberKind
from statuspage.forms import Form, SelectChoice
from statuspage.limits import MAX_EMAIL, MAX_URL

CADENCE_CHOICES = [SelectChoice(c.value, c.label) for c in Cadence]
VIA_CHOICES = [
    SelectChoice(SubscriberKind.EMAIL.value, "Email"),
    SelectChoice(
        SubscriberKind.WEBHOOK.value, "Webhook: Statuspage's JSON payloads POSTed to a URL"
    ),
]
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
    via = RadioField("Receive updates by", choices=VIA_CHOICES, default=SubscriberKind.EMAIL.value)
    email = EmailField("Email address", validators=[DataRequired(), Email(), Length(max=MAX_EMAIL)])
    endpoint = StringField(
        "Webhook URL",
        validators=[Optional(), Length(max=MAX_URL)],
        description="For a webhook: where each incident and component update is POSTed. The "
        "email address then receives the confirmation link and a notice if the URL keeps "
        "failing.",
    )
    #: Honeypot: hidden from people, filled in by bots.
    website = StringField("Leave this empty", validators=[Optional(), Length(max=200)])

    def validate_endpoint(self, field: StringField) -> None:
        """A webhook needs its URL (the service checks the address itself)."""
        if self.via.data == SubscriberKind.WEBHOOK.value and not (field.data or "").strip():
            raise ValidationError("Enter the URL to POST updates to.")


class ManageForm(Form, PreferencesFields):
    paused = BooleanField("Pause all mail for now")


class EmptyForm(Form):
    """Only a CSRF token: confirm and unsubscribe buttons."""
