"""Admin forms: validation only, never persistence or database lookups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from statuspage.enums import (
    Cadence,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    Role,
    SubscriberState,
    TemplateKind,
    TokenScope,
    Urgency,
    Via,
)
from statuspage.forms import Form, PageField, SelectChoice
from statuspage.limits import (
    MAX_ALIAS,
    MAX_ALIASES,
    MAX_BODY,
    MAX_CONTACT_NOTES,
    MAX_CONTACTS,
    MAX_DESCRIPTION,
    MAX_EMAIL,
    MAX_FOOTER,
    MAX_NAME,
    MAX_PAGE_NAME,
    MAX_RULE,
    MAX_RUNBOOKS,
    MAX_TOKEN_NAME,
    MAX_URL,
)


def enum_choices(enum: Iterable[Any]) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum]


VISIBILITY_CHOICES = [
    SelectChoice("public", "Public: on the status page"),
    SelectChoice("internal", "Internal: staff only"),
]


#: Room for every line a textarea may hold at its limits (the services check each line).
_RUNBOOK_TEXT = MAX_RUNBOOKS * (MAX_URL + 2)
_CONTACT_TEXT = MAX_CONTACTS * (MAX_NAME + MAX_EMAIL + MAX_CONTACT_NOTES + 8)


class RunbookFields:
    """The "Response (staff only)" fieldset of the component and group forms."""

    owner_team = StringField(
        "Owner team", validators=[Optional(), Length(max=MAX_NAME)], description="Who fixes it."
    )
    runbook_urls = TextAreaField(
        "Runbook links",
        validators=[Optional(), Length(max=_RUNBOOK_TEXT)],
        description=f"One http:// or https:// link a line, at most {MAX_RUNBOOKS}.",
    )
    escalation_contacts = TextAreaField(
        "Escalation contacts",
        validators=[Optional(), Length(max=_CONTACT_TEXT)],
        description=(
            "One a line: Name <email@example.com> — phone or notes (the part after the dash "
            f"is optional), at most {MAX_CONTACTS}."
        ),
    )
    internal_notes = TextAreaField(
        "Notes for responders",
        validators=[Optional(), Length(max=MAX_BODY)],
        description="Markdown. Staff only, like everything in this section.",
    )


class ComponentForm(Form, RunbookFields):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME)])
    group = SelectField("Group", choices=[SelectChoice("", "No group (top level)")], default="")
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=MAX_DESCRIPTION)],
        description="Shown on demand next to the component.",
    )
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    showcase = BooleanField("Show 90-day uptime bars", default=True)
    only_show_if_degraded = BooleanField("Only show on the page when not operational")
    start_date = DateField(
        "In service since",
        validators=[Optional()],
        description="Uptime is counted from this day.",
    )
    show_response_times = BooleanField(
        "Show response times publicly",
        description="A chart of its built-in checks' mean response time on the public page.",
    )
    aliases = TextAreaField(
        "Monitoring aliases",
        validators=[Optional(), Length(max=MAX_ALIASES * (MAX_ALIAS + 1))],
        description=(
            "Other names alerts use for it, one a line (an integration's component label "
            "matches the id, the name or one of these, ignoring case). Staff only."
        ),
    )


class GroupForm(Form, RunbookFields):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=MAX_DESCRIPTION)])
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    showcase = BooleanField("Show 90-day uptime bars for the group", default=True)
    only_show_if_degraded = BooleanField("Only show on the page when not operational")
    start_date = DateField("In service since", validators=[Optional()])


class StatusForm(Form):
    status = SelectField("Status", choices=enum_choices(ComponentStatus))


class MoveForm(Form):
    offset = IntegerField("Move by", validators=[InputRequired(), NumberRange(-1000, 1000)])


class ConfirmForm(Form):
    """A form with nothing but its CSRF token: deletions, archive, restore."""


class ComponentStatusesMixin:
    """Adds an "affected" checkbox and a status select per component (built per request)."""

    component_ids: list[str]

    def affected_components(self) -> dict[str, ComponentStatus]:
        chosen = {}
        for component_id in self.component_ids:
            if getattr(self, f"affects_{component_id}").data:
                chosen[component_id] = ComponentStatus(getattr(self, f"status_{component_id}").data)
        return chosen

    def component_field_pairs(self) -> list[tuple[Field, Field]]:
        return [
            (getattr(self, f"affects_{cid}"), getattr(self, f"status_{cid}"))
            for cid in self.component_ids
        ]


def with_component_fields(
    form_class: type[Form],
    components: Iterable[Any],
    *,
    affected: Mapping[str, ComponentStatus],
    **form_kwargs: Any,
) -> Form:
    """An instance of *form_class* with one checkbox + status select per component, prefilled
    with the status the component has now (or the one its incident claims)."""
    components = list(components)

    # A base known only at run time: mypy takes neither a variable base nor its Any-ness.
    class Bound(form_class, ComponentStatusesMixin):  # type: ignore[misc, valid-type]
        pass

    Bound.__name__ = form_class.__name__
    for component in components:
        status = affected.get(component.id, component.internal_status)
        setattr(
            Bound,
            f"affects_{component.id}",
            BooleanField(component.full_name, default=component.id in affected),
        )
        setattr(
            Bound,
            f"status_{component.id}",
            SelectField(
                f"New status of {component.full_name}",
                choices=enum_choices(ComponentStatus),
                default=status.value,
            ),
        )
    form = Bound(**form_kwargs)
    form.component_ids = [c.id for c in components]
    return form


class IncidentForm(Form):
    name = StringField("Title", validators=[DataRequired(), Length(max=MAX_NAME)])
    status = SelectField(
        "Status",
        choices=enum_choices(s for s in IncidentStatus if s is not IncidentStatus.RESOLVED),
        default="investigating",
    )
    impact = SelectField("Impact", choices=enum_choices(Impact), default="minor")
    body = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=MAX_BODY)],
        description="Markdown: **bold**, _italic_, [links](https://example.com), lists.",
    )
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    deliver_notifications = BooleanField("Notify subscribers", default=True)
    urgency = SelectField(
        "Urgency",
        choices=enum_choices(Urgency),
        default="medium",
        description="With the impact, it sets the priority (staff only).",
    )
    #: Staff user ids, set by the view; "" for nobody yet.
    commander = SelectField("Incident commander", choices=[], default="")


class UpdateForm(Form):
    publish_at = DateTimeLocalField(
        "Publish at (optional)",
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
        description="Leave empty to publish now. Until then nobody outside sees it.",
    )
    status = SelectField("Status", choices=enum_choices(IncidentStatus))
    impact = SelectField(
        "Impact",
        choices=[SelectChoice("", "Unchanged"), *enum_choices(Impact)],
        default="",
    )
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=MAX_BODY)])
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    deliver_notifications = BooleanField("Notify subscribers", default=True)


class NoteForm(Form):
    body = TextAreaField(
        "Internal note",
        validators=[DataRequired(), Length(max=MAX_BODY)],
        description="Staff only: never published, never mailed.",
    )


class EditUpdateForm(Form):
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=MAX_BODY)])


class IncidentEditForm(Form):
    name = StringField("Title", validators=[DataRequired(), Length(max=MAX_NAME)])
    impact = SelectField("Impact", choices=enum_choices(Impact))
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES)


class ResolveForm(Form):
    body = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=MAX_BODY)],
        default="This incident has been resolved.",
    )
    deliver_notifications = BooleanField("Notify subscribers", default=True)


class ReopenForm(Form):
    status = SelectField(
        "Status",
        choices=enum_choices(s for s in IncidentStatus if s is not IncidentStatus.RESOLVED),
        default="investigating",
    )
    body = TextAreaField("Why is it reopened?", validators=[DataRequired(), Length(max=MAX_BODY)])
    deliver_notifications = BooleanField("Notify subscribers", default=True)


class IncidentFilterForm(Form):
    class Meta:
        csrf = False

    state = SelectField(
        "State",
        choices=[
            SelectChoice("", "All"),
            SelectChoice("open", "Open"),
            SelectChoice("resolved", "Resolved"),
        ],
        default="",
        validators=[Optional()],
    )
    impact = SelectField(
        "Impact",
        choices=[SelectChoice("", "Any"), *enum_choices(Impact)],
        default="",
        validators=[Optional()],
    )
    q = StringField("Search", validators=[Optional(), Length(max=200)])
    page = PageField("Page", validators=[Optional()], default=1)


class UserForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=MAX_EMAIL)])
    name = StringField("Name", validators=[Optional(), Length(max=MAX_NAME)])
    role = SelectField("Role", choices=enum_choices(Role), default="editor")
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=12, max=1024)],
        description="At least 12 characters, not a commonly used password.",
    )


class RoleForm(Form):
    role = SelectField("Role", choices=enum_choices(Role))


class ActiveForm(Form):
    active = HiddenField(validators=[DataRequired()])


class TokenForm(Form):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=MAX_TOKEN_NAME)],
        description="What will use it, e.g. “Alertmanager” or “Deploy pipeline”.",
    )
    scope = SelectField("Scope", choices=enum_choices(TokenScope), default="read")
    lifetime = SelectField(
        "Expires",
        choices=[
            SelectChoice("30", "In 30 days"),
            SelectChoice("90", "In 90 days"),
            SelectChoice("365", "In a year"),
            SelectChoice("date", "On the date below"),
        ],
        default="90",
    )
    expires_on = DateField(
        "Expiry date",
        validators=[Optional()],
        description="With “On the date below”: the token works until the end of this day.",
    )


REMIND_CHOICES = [
    SelectChoice("", "No reminder"),
    SelectChoice("15", "15 minutes before"),
    SelectChoice("30", "30 minutes before"),
    SelectChoice("60", "1 hour before"),
    SelectChoice("120", "2 hours before"),
    SelectChoice("1440", "1 day before"),
]


class WindowFields:
    """Start and end as typed, in the page's time zone (converted in the view)."""

    scheduled_for = DateTimeLocalField(
        "Starts", validators=[InputRequired()], format="%Y-%m-%dT%H:%M"
    )
    scheduled_until = DateTimeLocalField(
        "Ends", validators=[InputRequired()], format="%Y-%m-%dT%H:%M"
    )


class MaintenanceDetailsFields:
    name = StringField("Title", validators=[DataRequired(), Length(max=MAX_NAME)])
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, default="public")
    auto_start = BooleanField("Start automatically at the planned time", default=True)
    auto_complete = BooleanField("Complete automatically at the planned end", default=True)
    remind = SelectField("Remind subscribers", choices=REMIND_CHOICES, default="60")
    start_message = TextAreaField(
        "Message posted when it starts",
        validators=[Optional(), Length(max=MAX_DESCRIPTION)],
    )
    complete_message = TextAreaField(
        "Message posted when it completes",
        validators=[Optional(), Length(max=MAX_DESCRIPTION)],
    )


class MaintenanceForm(Form, WindowFields, MaintenanceDetailsFields):
    body = TextAreaField(
        "What will happen",
        validators=[DataRequired(), Length(max=MAX_BODY)],
        description="Markdown. Subscribers receive this when it is scheduled.",
    )
    deliver_notifications = BooleanField("Notify subscribers", default=True)


class MaintenanceEditForm(Form, MaintenanceDetailsFields):
    pass


class MaintenanceUpdateForm(Form):
    status = SelectField("Status", choices=enum_choices(MaintenanceStatus))
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=MAX_BODY)])
    deliver_notifications = BooleanField("Notify subscribers", default=True)
    publish_at = DateTimeLocalField(
        "Publish at (optional)",
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
        description="Leave empty to publish now. Until then nobody outside sees it.",
    )


class RescheduleForm(Form, WindowFields):
    body = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=MAX_BODY)],
        default="This maintenance has been rescheduled.",
    )
    deliver_notifications = BooleanField("Notify subscribers", default=True)


class CancelForm(Form):
    body = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=MAX_BODY)],
        default="This scheduled maintenance has been cancelled.",
    )


class ScheduledUpdateForm(Form):
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=MAX_BODY)])
    publish_at = DateTimeLocalField(
        "Publish at", validators=[InputRequired()], format="%Y-%m-%dT%H:%M"
    )


REPEAT_CHOICES = [
    SelectChoice("weekly", "Every week, on the first start's weekday"),
    SelectChoice("biweekly", "Every two weeks"),
    SelectChoice("monthly_day", "Every month, on the first start's day of the month"),
    SelectChoice("monthly_weekday", "Every month, on the same weekday (e.g. 2nd Tuesday)"),
    SelectChoice("custom", "Custom RRULE"),
]


class RecurrenceForm(Form, MaintenanceDetailsFields):
    body = TextAreaField("What will happen", validators=[DataRequired(), Length(max=MAX_BODY)])
    first_start = DateTimeLocalField(
        "First start",
        validators=[InputRequired()],
        format="%Y-%m-%dT%H:%M",
        description="In the page's time zone; later windows keep this wall-clock time across DST.",
    )
    duration_minutes = IntegerField(
        "Duration (minutes)", validators=[InputRequired(), NumberRange(1, 31 * 24 * 60)], default=60
    )
    repeat = SelectField("Repeats", choices=REPEAT_CHOICES, default="weekly")
    rrule = StringField(
        "RRULE (custom only)",
        validators=[Optional(), Length(max=MAX_RULE)],
        description="RFC 5545, e.g. FREQ=WEEKLY;BYDAY=SU or FREQ=MONTHLY;BYDAY=1TU.",
    )


class EndRecurrenceForm(Form):
    body = TextAreaField(
        "Message for the cancelled windows",
        validators=[DataRequired(), Length(max=MAX_BODY)],
        default="This recurring maintenance has been discontinued.",
    )


def timezone_choices() -> list[SelectChoice]:
    from zoneinfo import available_timezones

    return [
        SelectChoice(name, name)
        for name in sorted(available_timezones())
        if "/" in name or name == "UTC"
    ]


class SettingsForm(Form):
    page_name = StringField("Page name", validators=[DataRequired(), Length(max=MAX_PAGE_NAME)])
    base_url = StringField(
        "Public address",
        validators=[DataRequired(), Length(max=MAX_URL)],
        description="Where readers reach the page, e.g. https://status.example.com; used in links, "
        "feeds and mail.",
    )
    timezone = SelectField(
        "Time zone", choices=[], description="Every time on the page is shown in it."
    )
    brand_colour = StringField(
        "Brand colour",
        validators=[Optional(), Length(max=7)],
        description="For links and buttons, e.g. #0b57d0; it must reach 4.5:1 contrast with white.",
    )
    support_url = StringField(
        "Support link",
        validators=[Optional(), Length(max=MAX_URL)],
        description="Shown in the footer: https://… or mailto:…",
    )
    footer_text = TextAreaField("Footer text", validators=[Optional(), Length(max=MAX_FOOTER)])
    default_notify = BooleanField(
        "Tick “Notify subscribers” by default on new incidents and updates"
    )
    logo = FileField(
        "Logo",
        validators=[FileAllowed(["png", "jpg", "jpeg", "gif"], "Upload a PNG, JPEG or GIF.")],
        description="PNG, JPEG or GIF, at most 256 KB; shown beside the page name.",
    )
    remove_logo = BooleanField("Remove the current logo")


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    actor = StringField("Who", validators=[Optional(), Length(max=200)])
    via = SelectField(
        "Through",
        choices=[SelectChoice("", "Any"), *[SelectChoice(v.value, v.value.upper()) for v in Via]],
        validators=[Optional()],
    )
    object_type = SelectField("Object", choices=[], validators=[Optional()], validate_choice=False)
    action = SelectField("Action", choices=[], validators=[Optional()], validate_choice=False)
    object_id = StringField("Object id", validators=[Optional(), Length(max=64)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
    page = PageField("Page", validators=[Optional()], default=1)


class SubscriberFilterForm(Form):
    class Meta:
        csrf = False

    q = StringField("Email contains", validators=[Optional(), Length(max=MAX_EMAIL)])
    state = SelectField(
        "State",
        choices=[SelectChoice("", "Any"), *enum_choices(SubscriberState)],
        default="",
        validators=[Optional()],
    )
    cadence = SelectField(
        "Cadence",
        choices=[SelectChoice("", "Any"), *enum_choices(Cadence)],
        default="",
        validators=[Optional()],
    )
    page = PageField("Page", validators=[Optional()], default=1)


class PageForm(Form):
    """Only a page number, for paginated lists without filters."""

    class Meta:
        csrf = False

    page = PageField("Page", validators=[Optional()], default=1)


class ImportForm(Form):
    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file."),
            FileAllowed(["csv"], "Upload a .csv file."),
        ],
        description="UTF-8, first line naming the columns: email (required) and cadence "
        "(immediate, hourly, daily or weekly; immediate when empty). Other columns are ignored.",
    )


class MailTestForm(Form):
    email = EmailField(
        "Send a test email to", validators=[DataRequired(), Email(), Length(max=MAX_EMAIL)]
    )


class TemplateForm(Form):
    """A canned response as an admin writes it (the components come as `components` ids)."""

    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=MAX_NAME)],
        description="What editors pick, e.g. “Third-party provider outage”.",
    )
    status = SelectField("Status it posts", choices=enum_choices(IncidentStatus))
    impact = SelectField(
        "Impact",
        choices=[SelectChoice("", "Leave as chosen on the form"), *enum_choices(Impact)],
        default="",
    )
    title = StringField(
        "Incident title",
        validators=[Optional(), Length(max=MAX_NAME)],
        description="New-incident templates only; placeholders work here too.",
    )
    body = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=MAX_BODY)],
        description="Markdown with placeholders such as {{ components }} and {{ next_update }}.",
    )


class NewTemplateForm(TemplateForm):
    kind = SelectField(
        "Used for", choices=enum_choices(TemplateKind), default=TemplateKind.INCIDENT.value
    )


class TemplatePickerForm(Form):
    """The template an editor starts from: a GET form, so it needs no CSRF token."""

    class Meta:
        csrf = False

    template = SelectField("Start from a template", choices=[], validate_choice=False)
