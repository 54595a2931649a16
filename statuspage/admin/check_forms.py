"""The form of a built-in check: one form for every kind, the kind's fields read by the view."""

from __future__ import annotations

from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from statuspage.admin.forms import enum_choices
from statuspage.enums import CheckKind, DnsRecordType, HttpMethod
from statuspage.forms import Form, SelectChoice
from statuspage.limits import (
    CHECK_MAX_DAMPING,
    CHECK_MAX_INTERVAL,
    CHECK_MAX_THRESHOLD,
    CHECK_MAX_TIMEOUT,
    CHECK_MAX_TLS_WARN_DAYS,
    CHECK_MIN_INTERVAL,
    CHECK_MIN_TIMEOUT,
    MAX_CHECK_KEYWORD,
    MAX_HOSTNAME,
    MAX_NAME,
    MAX_URL,
)
from statuspage.services.automation.signals import SIGNAL_STATUSES

#: An expected-statuses field: "200, 204" (at most this long as typed).
MAX_STATUS_TEXT = 200


class CheckForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME)])
    kind = SelectField("Kind", choices=enum_choices(CheckKind), default=CheckKind.HTTP.value)
    url = StringField(
        "URL",
        validators=[Optional(), Length(max=MAX_URL)],
        description="HTTP(S) checks: an http:// or https:// address.",
    )
    method = SelectField("Method", choices=enum_choices(HttpMethod), default="GET")
    expected_statuses = StringField(
        "Expected status codes",
        validators=[Optional(), Length(max=MAX_STATUS_TEXT)],
        description="Comma-separated, e.g. 200, 204. Empty: any 2xx.",
    )
    keyword = StringField(
        "Keyword",
        validators=[Optional(), Length(max=MAX_CHECK_KEYWORD)],
        description="Optional: the body must contain it.",
    )
    tls_warn_days = IntegerField(
        "Warn when the TLS certificate expires within (days)",
        default=14,
        validators=[Optional(), NumberRange(0, CHECK_MAX_TLS_WARN_DAYS)],
        description="0: no warning.",
    )
    host = StringField(
        "Host", validators=[Optional(), Length(max=MAX_HOSTNAME)], description="TCP checks."
    )
    port = IntegerField("Port", validators=[Optional(), NumberRange(1, 65535)])
    hostname = StringField(
        "Name to resolve",
        validators=[Optional(), Length(max=MAX_HOSTNAME)],
        description="DNS checks: resolved through the scheduler's system resolver.",
    )
    record_type = SelectField("Record type", choices=enum_choices(DnsRecordType), default="A")
    timeout_seconds = FloatField(
        "Timeout (seconds)",
        default=10.0,
        validators=[InputRequired(), NumberRange(CHECK_MIN_TIMEOUT, CHECK_MAX_TIMEOUT)],
    )
    interval_seconds = IntegerField(
        "Interval (seconds)",
        default=60,
        validators=[InputRequired(), NumberRange(CHECK_MIN_INTERVAL, CHECK_MAX_INTERVAL)],
    )
    failure_threshold = IntegerField(
        "Failures in a row before the status changes",
        default=3,
        validators=[InputRequired(), NumberRange(1, CHECK_MAX_THRESHOLD)],
    )
    success_threshold = IntegerField(
        "Successes in a row before it is restored",
        default=2,
        validators=[InputRequired(), NumberRange(1, CHECK_MAX_THRESHOLD)],
    )
    failure_status = SelectField(
        "Status while failing",
        choices=[SelectChoice(s.value, s.label) for s in SIGNAL_STATUSES],
        default="major_outage",
    )
    damping_minutes = IntegerField(
        "Damping (minutes)",
        default=2,
        validators=[InputRequired(), NumberRange(0, CHECK_MAX_DAMPING)],
        description="A change must hold this long before the public page shows it.",
    )
    enabled = BooleanField("Enabled", default=True)
