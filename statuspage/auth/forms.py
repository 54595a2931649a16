"""Sign-in forms: validation only."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from statuspage.forms import Form
from statuspage.limits import MAX_EMAIL


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=MAX_EMAIL)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class PasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=12, max=1024)],
        description="At least 12 characters, not a commonly used password.",
    )


class ConfirmForm(Form):
    """Only a CSRF token: the feed token buttons."""
