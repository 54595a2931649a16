"""Customers' problem reports: taken from the public form, triaged by staff, alerted on spikes,
and answered once when the incident they were linked to is resolved.

Spikes are checked when a report is taken, in the same unit of work: the component's row is
locked first (`FOR UPDATE` on PostgreSQL; SQLite runs one writer at a time), so concurrent
reports for one component are counted one after another, and the alert is a `ReportSpike` row
unique per (component, window start) inserted with its Delivery rows: a second worker either
sees the first's row or fails on the constraint (its savepoint rolls back, the report stays).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from markupsafe import escape
from sqlalchemy.exc import IntegrityError

from statuspage.database import count_rows
from statuspage.enums import (
    Audience,
    DeliveryKind,
    DeliveryState,
    IncidentStatus,
    ReportState,
    Role,
)
from statuspage.extensions import db
from statuspage.limits import MAX_REPORT_TEXT
from statuspage.models import (
    Component,
    Delivery,
    Incident,
    NoticeComponent,
    ProblemReport,
    ReportSpike,
    Setting,
    User,
)
from statuspage.services.accounts.users import normalize_email
from statuspage.services.errors import InvalidInput, NotFound
from statuspage.services.inputs import clean_text
from statuspage.services.site.settings import get_site_settings
from statuspage.services.unit import SCHEDULER, Actor, unit_of_work
from statuspage.visibility import component_visible, notice_visible

logger = logging.getLogger(__name__)

#: Setting keys, and their defaults: more than THRESHOLD reports within MINUTES is a spike.
THRESHOLD_KEY = "report_spike_threshold"
MINUTES_KEY = "report_spike_minutes"
DEFAULT_THRESHOLD = 5
DEFAULT_MINUTES = 10
THRESHOLD_RANGE = range(1, 1001)
MINUTES_RANGE = range(1, 24 * 60 + 1)
#: The dashboard shows a spike's banner this long, while no open incident covers it.
BANNER_HOURS = 24


@dataclass(frozen=True)
class SpikePolicy:
    threshold: int = DEFAULT_THRESHOLD
    minutes: int = DEFAULT_MINUTES

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.minutes)


def get_spike_policy() -> SpikePolicy:
    """The spike rule in force: the defaults overlaid with what admins saved."""
    query = sa.select(Setting.key, Setting.value).where(
        Setting.key.in_([THRESHOLD_KEY, MINUTES_KEY])
    )
    rows = {key: value for key, value in db.session.execute(query)}
    threshold, minutes = rows.get(THRESHOLD_KEY), rows.get(MINUTES_KEY)
    return SpikePolicy(
        threshold=threshold if isinstance(threshold, int) else DEFAULT_THRESHOLD,
        minutes=minutes if isinstance(minutes, int) else DEFAULT_MINUTES,
    )


def _store(key: str, value: int, now: datetime) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value, updated_at=now))
    elif row.value != value:
        row.value = value  # type: ignore[assignment]
        row.updated_at = now


def configure_spike_policy(
    *, threshold: int | None, minutes: int | None, actor: Actor, now: datetime | None = None
) -> SpikePolicy:
    """Save when reports count as a spike: more than *threshold* within *minutes*."""
    with unit_of_work("configure_spike_policy", actor=actor, now=now) as now:
        if not isinstance(threshold, int) or threshold not in THRESHOLD_RANGE:
            raise InvalidInput("Give a number of reports from 1 to 1000.", field="threshold")
        if not isinstance(minutes, int) or minutes not in MINUTES_RANGE:
            raise InvalidInput("Give a number of minutes from 1 to 1440.", field="minutes")
        _store(THRESHOLD_KEY, threshold, now)
        _store(MINUTES_KEY, minutes, now)
    return get_spike_policy()


def submit_report(
    *,
    component_id: str | None,
    description: str | None,
    email: str | None,
    actor: Actor,
    now: datetime | None = None,
) -> ProblemReport:
    """Take a customer's report of a problem with a public component; alert on a spike."""
    with unit_of_work("submit_problem_report", actor=actor, now=now) as now:
        component = _lock_component(component_id)
        if component is None or not component_visible(component, Audience.PUBLIC):
            raise InvalidInput("Choose a component from the list.", field="component")
        text = clean_text(
            description, field="description", max_length=MAX_REPORT_TEXT, required=True,
            label="A description",
        )  # fmt: skip
        address = normalize_email(email) if email and email.strip() else None
        report = ProblemReport(
            component_id=component.id, description=text, email=address, state=ReportState.NEW
        )
        db.session.add(report)
        db.session.flush()
        _alert_on_spike(component, now=now)
    return report


def _lock_component(component_id: str | None) -> Component | None:
    """The component, its row locked for this transaction: spike checks queue up behind it."""
    if not component_id:
        return None
    return db.session.scalar(
        sa.select(Component).where(Component.id == component_id).with_for_update()
    )


def covering_incident(component_id: str) -> Incident | None:
    """An open incident (any visibility) affecting the component, if there is one."""
    return db.session.scalar(
        sa.select(Incident)
        .join(NoticeComponent, NoticeComponent.notice_id == Incident.id)
        .where(
            NoticeComponent.component_id == component_id,
            Incident.status_value != IncidentStatus.RESOLVED.value,
        )
        .limit(1)
    )


def _latest_incident(component_id: str) -> Incident | None:
    return db.session.scalar(
        sa.select(Incident)
        .join(NoticeComponent, NoticeComponent.notice_id == Incident.id)
        .where(NoticeComponent.component_id == component_id)
        .order_by(Incident.started_at.desc())
        .limit(1)
    )


def spike_recipients(component_id: str) -> list[str]:
    """Active editors and admins, and the comms lead of the component's latest incident."""
    staff = db.session.scalars(
        sa.select(User.email)
        .where(User.active.is_(True), User.role.in_([Role.EDITOR, Role.ADMIN]))
        .order_by(User.email)
    )
    addresses = list(staff)
    latest = _latest_incident(component_id)
    lead = latest.comms_lead if latest is not None else None
    if lead is not None and lead.active and lead.email not in addresses:
        addresses.append(lead.email)
    return addresses


def _alert_on_spike(component: Component, *, now: datetime) -> ReportSpike | None:
    policy = get_spike_policy()
    since = now - policy.window
    times = list(
        db.session.scalars(
            sa.select(ProblemReport.created_at)
            .where(ProblemReport.component_id == component.id, ProblemReport.created_at > since)
            .order_by(ProblemReport.created_at)
        )
    )
    if len(times) <= policy.threshold or covering_incident(component.id) is not None:
        return None
    alerted = db.session.scalar(
        sa.select(ReportSpike.id)
        .where(ReportSpike.component_id == component.id, ReportSpike.created_at > since)
        .limit(1)
    )
    if alerted is not None:
        return None  # this spike was alerted already
    return _queue_spike_alert(component, window_start=times[0], reports=len(times), now=now)


def _queue_spike_alert(
    component: Component, *, window_start: datetime, reports: int, now: datetime
) -> ReportSpike | None:
    """The spike's row and its mails, in a savepoint: losing the race costs only the alert."""
    recipients = spike_recipients(component.id)
    try:
        with db.session.begin_nested():
            spike = ReportSpike(
                component_id=component.id,
                window_start=window_start,
                reports=reports,
                created_at=now,
                recipients=recipients,
            )
            db.session.add(spike)
            db.session.flush()
            subject, text, html = _spike_message(component, reports, window_start)
            for index, address in enumerate(recipients):
                db.session.add(
                    _staff_delivery(
                        DeliveryKind.REPORT_SPIKE,
                        f"spike:{spike.id}-{index}",
                        address,
                        now,
                        subject,
                        text,
                        html,
                    )  # fmt: skip
                )
            db.session.flush()
    except IntegrityError:
        logger.info("report spike on %s alerted by another worker", component.id)
        return None
    return spike


def _staff_delivery(
    kind: DeliveryKind, key: str, to: str, now: datetime, subject: str, text: str, html: str
) -> Delivery:
    """A mail composed now, to an address that is no subscriber."""
    return Delivery(
        subscriber_id=None,
        kind=kind,
        key=key,
        to_address=to,
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        subject=subject[:300],
        text_body=text,
        html_body=html,
    )


def new_incident_url(component: Component) -> str:
    """The admin's new-incident form, prefilled with the component and a title."""
    settings = get_site_settings()
    return settings.url_for(
        "admin.new_incident", component=component.id, name=f"Problems with {component.name}"
    )


def _spike_message(component: Component, reports: int, since: datetime) -> tuple[str, str, str]:
    settings = get_site_settings()
    subject = f"[{settings.page_name}] {reports} problem reports for {component.name}"
    triage = settings.url_for("admin.triage", component=component.id)
    opening = new_incident_url(component)
    text = (
        f"{reports} customers reported a problem with {component.name} since "
        f"{since:%Y-%m-%d %H:%M} UTC, and no open incident covers it.\n\n"
        f"Reports: {triage}\nOpen an incident: {opening}\n"
    )
    html = (
        f"<p>{reports} customers reported a problem with {escape(component.name)} since "
        f"{since:%Y-%m-%d %H:%M} UTC, and no open incident covers it.</p>"
        f'<p><a href="{escape(triage)}">Reports</a> · '
        f'<a href="{escape(opening)}">Open an incident</a></p>'
    )
    return subject, text, html


@dataclass(frozen=True)
class SpikeBanner:
    spike: ReportSpike
    new_incident_url: str


def list_spike_banners(*, now: datetime) -> list[SpikeBanner]:
    """Spikes of the last BANNER_HOURS whose component still has no open incident."""
    spikes = db.session.scalars(
        sa.select(ReportSpike)
        .where(ReportSpike.created_at > now - timedelta(hours=BANNER_HOURS))
        .order_by(ReportSpike.created_at.desc())
    )
    shown: dict[str, SpikeBanner] = {}
    for spike in spikes:
        if spike.component_id in shown or covering_incident(spike.component_id) is not None:
            continue
        shown[spike.component_id] = SpikeBanner(spike, new_incident_url(spike.component))
    return list(shown.values())


def list_reports(
    state: ReportState | None = None, component_id: str | None = None, *, limit: int = 200
) -> list[ProblemReport]:
    """The triage queue, newest first."""
    query = sa.select(ProblemReport).order_by(ProblemReport.created_at.desc()).limit(limit)
    if state is not None:
        query = query.where(ProblemReport.state == state)
    if component_id is not None:
        query = query.where(ProblemReport.component_id == component_id)
    return list(db.session.scalars(query))


def triage_report(
    report: ProblemReport,
    *,
    state: ReportState | str | None,
    incident_id: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> ProblemReport:
    """Link a report to an incident, dismiss it, or put it back to new."""
    with unit_of_work("triage_problem_report", actor=actor, now=now) as now:
        try:
            new_state = ReportState(state or "")
        except ValueError as error:
            raise InvalidInput("Choose what to do with the report.", field="state") from error
        incident = None
        if new_state is ReportState.LINKED:
            incident = db.session.get(Incident, incident_id) if incident_id else None
            if not isinstance(incident, Incident):
                raise NotFound("Choose the incident it belongs to.", field="incident_id")
        report.state = new_state
        report.incident_id = incident.id if incident is not None else None
        report.triaged_at = now if new_state is not ReportState.NEW else None
        report.triaged_by_id = actor.user_id if new_state is not ReportState.NEW else None
    return report


def notify_resolved_reporters(*, now: datetime, actor: Actor = SCHEDULER) -> int:
    """Mail each reporter who left an address, once, when the incident their report was
    linked to is resolved: `notified_at` is claimed with a conditional UPDATE in the unit
    that queues the mail, so two schedulers never both queue it."""
    due = db.session.execute(
        sa.select(ProblemReport.id)
        .join(Incident, Incident.id == ProblemReport.incident_id)
        .where(
            ProblemReport.state == ReportState.LINKED,
            ProblemReport.email.is_not(None),
            ProblemReport.notified_at.is_(None),
            Incident.resolved_at.is_not(None),
        )
        .limit(500)
    ).scalars()
    queued = 0
    for report_id in list(due):
        with unit_of_work("notify_problem_reporter", actor=actor, now=now) as now:
            claimed = count_rows(
                db.session.execute(
                    sa.update(ProblemReport)
                    .where(ProblemReport.id == report_id, ProblemReport.notified_at.is_(None))
                    .values(notified_at=now)
                )
            )
            if claimed != 1:
                continue
            report = db.session.get(ProblemReport, report_id)
            if report is None or report.email is None or report.incident is None:
                continue
            subject, text, html = _resolved_message(report)
            db.session.add(
                _staff_delivery(
                    DeliveryKind.REPORT_RESOLVED,
                    f"resolved:{report.id}",
                    report.email,
                    now,
                    subject,
                    text,
                    html,
                )  # fmt: skip
            )
            queued += 1
    return queued


def _resolved_message(report: ProblemReport) -> tuple[str, str, str]:
    """Only what the public may read: the incident's name and page when it is public."""
    settings = get_site_settings()
    component = (
        report.component.name if component_visible(report.component, Audience.PUBLIC) else ""
    )
    about = f" with {component}" if component else ""
    subject = f"[{settings.page_name}] The problem you reported is resolved"
    incident = report.incident
    if incident is not None and notice_visible(incident, Audience.PUBLIC):
        link = settings.absolute_url(incident.public_path)
        detail = f"It was part of “{incident.name}”: {link}"
        detail_html = f'It was part of <a href="{escape(link)}">{escape(incident.name)}</a>.'
    else:
        detail, detail_html = "", ""
    text = (
        f"Thank you for reporting a problem{about}. It has been resolved.\n{detail}\n\n"
        f"{settings.base_url}/\n"
    )
    html = (
        f"<p>Thank you for reporting a problem{escape(about)}. It has been resolved. "
        f"{detail_html}</p>"
        f'<p><a href="{escape(settings.base_url)}/">{escape(settings.page_name)}</a></p>'
    )
    return subject, text, html
