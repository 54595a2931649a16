"""Forms of outbound hooks: Settings → Chat (a channel's name, service, audience and URL) and
a webhook subscriber added by an admin."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from statuspage.admin.forms import enum_choices
from statuspage.enums import ChatKind
from statuspage.forms import Form, SelectChoice
from statuspage.limits import MAX_EMAIL, MAX_NAME, MAX_URL

AUDIENCE_CHOICES = [
    SelectChoice("public", "Public: only what the status page shows"),
    SelectChoice("internal", "Internal: also internal incidents, updates, notes and components"),
]


class ChatChannelForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME)])
    audience = SelectField("Audience", choices=AUDIENCE_CHOICES)
    enabled = BooleanField("Enabled", default=True)
    webhook_url = StringField(
        "Replace the incoming webhook URL",
        validators=[Optional(), Length(max=MAX_URL)],
        description="Leave blank to keep the current one. The URL is a secret: it is never "
        "shown again once saved.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class NewChatChannelForm(ChatChannelForm):
    kind = SelectField("Service", choices=enum_choices(ChatKind))
    webhook_url = StringField(
        "Incoming webhook URL",
        validators=[DataRequired(), Length(max=MAX_URL)],
        description="From the channel's incoming-webhook settings (Slack, Microsoft Teams, "
        "Discord or Mattermost). It is a secret: it is never shown again once saved.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class WebhookSubscriberForm(Form):
    """A webhook subscriber as an admin adds it (it still confirms by mail)."""

    endpoint = StringField(
        "Webhook URL",
        validators=[DataRequired(), Length(max=MAX_URL)],
        description="Statuspage's webhook payloads are POSTed here, signed.",
    )
    email = EmailField(
        "Notice address",
        validators=[DataRequired(), Email(), Length(max=MAX_EMAIL)],
        description="Receives the confirmation link and a notice if the URL keeps failing.",
    )
