"""SLA escalation: when a target of an open incident is about to be missed (its clock reaches
its warning time, the policy's lead before it is due) and when it is breached, mail the people
running the incident through the outbox, once.

Once means once per incident, target (the clock's key, one per cadence gap) and level, across
restarts and schedulers: the `SlaEscalation` row is inserted with INSERT .. ON CONFLICT DO
NOTHING in the same transaction as the deliveries and the timeline entry, so the scheduler
that loses the race inserts nothing and queues nothing. A target first seen already breached
(the scheduler was down) escalates its breach only, never a stale warning.

Staff mail: it goes to the commander and the communications lead or, with neither assigned,
to every active editor and admin and the escalation contacts of the affected components and
their groups (`components.runbooks.escalation_addresses`). It never goes to a subscriber: its
deliveries have no subscriber and are composed when queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from statuspage.database import utcnow
from statuspage.enums import (
    ClockState,
    DeliveryKind,
    DeliveryState,
    EscalationLevel,
    ResponseEventKind,
    Role,
    SlaTarget,
)
from statuspage.extensions import db
from statuspage.models import (
    Component,
    Delivery,
    Incident,
    NoticeComponent,
    SlaEscalation,
    User,
)
from statuspage.services.components.runbooks import escalation_addresses
from statuspage.services.response.clocks import SlaClock, incident_clocks
from statuspage.services.response.events import record_response_event
from statuspage.services.response.policy import ResponsePolicy, get_response_policy, stamp
from statuspage.services.site.settings import get_site_settings
from statuspage.services.unit import SCHEDULER, Actor, unit_of_work
from statuspage.templating import format_datetime, format_duration, format_minutes

logger = logging.getLogger(__name__)

#: Open incidents looked at per tick, oldest first (a page has a handful at a time).
BATCH = 500

#: The clock state that raises each level; every other state (met, met late, missed, waiting,
#: not applicable, running) never escalates.
LEVEL_OF_STATE = {
    ClockState.DUE_SOON: EscalationLevel.WARNING,
    ClockState.BREACHED: EscalationLevel.BREACH,
}

EVENT_KIND = {
    EscalationLevel.WARNING: ResponseEventKind.SLA_WARNING,
    EscalationLevel.BREACH: ResponseEventKind.SLA_BREACH,
}


@dataclass
class Escalation:
    """One escalation planned from a snapshot of the incident: composed, not yet written."""

    incident_id: str
    clock: SlaClock
    level: EscalationLevel
    recipients: list[str]
    subject: str
    text_body: str
    html_body: str

    @property
    def key(self) -> str:
        """The outbox key of its mails: stable, so a retried tick can never queue it twice."""
        return f"escalation:{self.incident_id}:{self.clock.key}:{self.level.value}"


@dataclass
class Plan:
    incident_id: str
    escalations: list[Escalation] = field(default_factory=list)


class Recipients:
    """Who hears of an incident's escalations; the fallback staff are read once per tick."""

    def __init__(self) -> None:
        self._staff: list[User] | None = None
        self._inactive: set[str] | None = None

    def staff(self) -> list[User]:
        """Every active editor and admin (everyone who may run an incident)."""
        if self._staff is None:
            runners = [role for role in Role if role.rank >= Role.EDITOR.rank]
            self._staff = list(
                db.session.scalars(
                    sa.select(User)
                    .where(User.active.is_(True), User.role.in_(runners))
                    .order_by(User.id)
                )
            )
        return self._staff

    def inactive(self) -> set[str]:
        """The addresses of deactivated accounts: someone who left hears nothing."""
        if self._inactive is None:
            self._inactive = set(
                db.session.scalars(sa.select(User.email).where(User.active.is_(False)))
            )
        return self._inactive

    def of(self, incident: Incident) -> tuple[list[str], bool]:
        """The commander and comms lead, or with neither (active) the staff and contacts; and
        whether it is that fallback."""
        people = [u for u in (incident.commander, incident.comms_lead) if u is not None]
        chosen = [u.email.lower() for u in people if u.active]
        if chosen:
            return list(dict.fromkeys(chosen)), False
        chosen = [u.email.lower() for u in self.staff()]
        inactive = self.inactive()
        contacts = [address.lower() for address in escalation_addresses(incident)]
        chosen += [address for address in contacts if address not in inactive]
        return list(dict.fromkeys(chosen)), True


def load_open_incidents() -> list[Incident]:
    """Every open, prioritised incident with what its clocks and its mail read, in a fixed
    number of queries however many there are."""
    return list(
        db.session.scalars(
            sa.select(Incident)
            .where(
                Incident.resolved_at.is_(None),
                sa.or_(
                    Incident.computed_priority.is_not(None),
                    Incident.priority_override.is_not(None),
                ),
            )
            .options(
                selectinload(Incident.updates),
                joinedload(Incident.commander),
                joinedload(Incident.comms_lead),
                selectinload(Incident.affected)
                .joinedload(NoticeComponent.component)
                .joinedload(Component.group),
            )
            .order_by(Incident.started_at, Incident.id)
            .limit(BATCH)
        ).unique()
    )


def load_sent_escalations(incident_ids: list[str]) -> set[tuple[str, str, EscalationLevel]]:
    """(incident, clock key, level) of every escalation already sent, in one query."""
    if not incident_ids:
        return set()
    rows = db.session.execute(
        sa.select(SlaEscalation.notice_id, SlaEscalation.target, SlaEscalation.level).where(
            SlaEscalation.notice_id.in_(incident_ids)
        )
    )
    return {(notice_id, target, EscalationLevel(level)) for notice_id, target, level in rows}


def find_due_levels(
    incident: Incident,
    policy: ResponsePolicy,
    now: datetime,
    sent: set[tuple[str, str, EscalationLevel]],
) -> list[tuple[SlaClock, EscalationLevel]]:
    """The clocks of *incident* that escalate now, with their level: due soon warns, breached
    breaches; a warning after its breach (or instead of it) is never sent."""
    due = []
    for clock in incident_clocks(incident, policy, now):
        level = LEVEL_OF_STATE.get(clock.state)
        if level is None or clock.due_at is None:
            continue
        if (incident.id, clock.key, level) in sent:
            continue
        if (incident.id, clock.key, EscalationLevel.BREACH) in sent:
            continue  # breached already: a later warning (the target grew) would be noise
        due.append((clock, level))
    return due


def compose_escalation(
    incident: Incident,
    clock: SlaClock,
    level: EscalationLevel,
    now: datetime,
    *,
    fallback: bool = False,
) -> tuple[str, str, str]:
    """The subject, text and HTML of one escalation, as of *now* (composed once, when queued)."""
    settings = get_site_settings()
    assert clock.due_at is not None
    target = SlaTarget(clock.target)
    priority = incident.priority.value if incident.priority else ""
    breached = level is EscalationLevel.BREACH
    gap = format_duration(abs(now - clock.due_at))
    when = f"overdue by {gap}" if breached else f"due in {gap}"
    headline = f"{target.label} {'breached' if breached else 'due soon'}"
    subject = f"[{settings.page_name}] {priority} {headline}: {incident.name}"
    context = {
        "page_name": settings.page_name,
        "page_url": settings.base_url + "/",
        "subject": subject,
        "incident": incident,
        "priority": priority,
        "target_label": target.label,
        "target_length": format_minutes(clock.minutes),
        "level": level,
        "breached": breached,
        "fallback": fallback,
        "headline": headline,
        "due_time": format_datetime(clock.due_at),
        "when": when,
        "status_label": incident.status_label,
        "commander": _person(incident.commander),
        "comms_lead": _person(incident.comms_lead),
        "acknowledged": incident.acknowledged_at is not None,
        "admin_url": settings.url_for(f"admin.{incident.detail_endpoint}", **incident.url_values()),
        "internal_url": settings.url_for(
            f"public.internal_{incident.detail_endpoint}", **incident.url_values()
        ),
    }
    return (
        subject[:300],
        render_template("email/escalation.txt", **context),
        render_template("email/escalation.html", **context),
    )


def _person(user: User | None) -> str:
    if user is None:
        return "nobody"
    if user.name:
        return f"{user.name} <{user.email}>"
    return user.email


def plan_escalations(now: datetime) -> list[Plan]:
    """What escalates now, composed, from one snapshot of the open incidents."""
    policy = get_response_policy()
    incidents = load_open_incidents()
    sent = load_sent_escalations([incident.id for incident in incidents])
    recipients = Recipients()
    plans = []
    for incident in incidents:
        try:
            plan = plan_incident(incident, policy, now, sent, recipients)
        except Exception:  # one incident's trouble must not stop the others' escalations
            logger.exception("planning the escalation of incident %s failed", incident.id)
            continue
        if plan.escalations:
            plans.append(plan)
    return plans


def plan_incident(
    incident: Incident,
    policy: ResponsePolicy,
    now: datetime,
    sent: set[tuple[str, str, EscalationLevel]],
    recipients: Recipients,
) -> Plan:
    """One incident's escalations due now, each composed for its recipients."""
    plan = Plan(incident.id)
    due = find_due_levels(incident, policy, now, sent)
    if not due:
        return plan
    to, fallback = recipients.of(incident)
    for clock, level in due:
        subject, text, html = compose_escalation(incident, clock, level, now, fallback=fallback)
        plan.escalations.append(Escalation(incident.id, clock, level, to, subject, text, html))
    return plan


def _claim(escalation: Escalation, now: datetime) -> bool:
    """Insert the escalation's once-only row; False when it exists (another scheduler, or an
    earlier tick, sent it). Waits for a concurrent inserter to finish, then sees its row."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(SlaEscalation)
        .values(
            notice_id=escalation.incident_id,
            target=escalation.clock.key,
            level=escalation.level,
            due_at=escalation.clock.due_at,
            sent_at=now,
            recipients=escalation.recipients,
        )
        .on_conflict_do_nothing()
        .returning(SlaEscalation.id)
    )
    return db.session.execute(statement).scalar() is not None


def _queue(escalation: Escalation, now: datetime) -> None:
    """One outbox row per recipient, with no subscriber: staff mail, composed already."""
    for address in escalation.recipients:
        db.session.add(
            Delivery(
                subscriber_id=None,
                kind=DeliveryKind.ESCALATION,
                key=escalation.key,
                to_address=address,
                state=DeliveryState.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                subject=escalation.subject,
                text_body=escalation.text_body,
                html_body=escalation.html_body,
            )
        )


def escalate_incident(plan: Plan, *, now: datetime, actor: Actor = SCHEDULER) -> int:
    """Write one incident's planned escalations in one transaction; returns how many this
    scheduler sent (those another one sent first are skipped)."""
    sent = 0
    with unit_of_work("escalate_sla", actor=actor, now=now) as now:
        incident = db.session.get(Incident, plan.incident_id, populate_existing=True)
        if incident is None or incident.is_resolved:
            return 0  # resolved (or deleted) since the snapshot
        for escalation in plan.escalations:
            clock = escalation.clock
            if clock.target is SlaTarget.ACKNOWLEDGE and incident.is_acknowledged:
                continue  # acknowledged since the snapshot
            if not _claim(escalation, now):
                continue
            if not escalation.recipients:
                logger.warning("escalation %s has nobody to mail", escalation.key)
            _queue(escalation, now)
            level = escalation.level
            assert clock.due_at is not None
            record_response_event(
                incident,
                EVENT_KIND[level],
                _summary(escalation),
                at=now,
                actor=actor,
                target=clock.target.value,
                key=clock.key,
                level=level.value,
                due_at=stamp(clock.due_at),
                recipients=escalation.recipients,
            )
            sent += 1
    return sent


def _summary(escalation: Escalation) -> str:
    clock = escalation.clock
    assert clock.due_at is not None
    label = SlaTarget(clock.target).label
    what = "breached" if escalation.level is EscalationLevel.BREACH else "due soon"
    count = len(escalation.recipients)
    people = f"{count} {'person' if count == 1 else 'people'}"
    return f"{label} {what} (due {format_datetime(clock.due_at)}): escalated to {people}"


def escalate_due(now: datetime | None = None, *, actor: Actor = SCHEDULER) -> int:
    """One scheduler tick: escalate every SLA target due soon or breached that has not been
    escalated at that level; one transaction per incident, so one failure blocks no other.
    Returns the escalations sent."""
    now = now or utcnow()
    sent = 0
    for plan in plan_escalations(now):
        try:
            sent += escalate_incident(plan, now=now, actor=actor)
        except Exception:
            logger.exception("escalating incident %s failed", plan.incident_id)
    return sent
