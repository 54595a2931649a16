"""Who runs an incident: a commander, a communications lead and responders, each a staff
user; assigning, handing over and unassigning are internal timeline entries. Acknowledging
records who took it on and when (the first one stops the acknowledgement clock)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from statuspage.enums import IncidentRole, ResponseEventKind
from statuspage.extensions import db
from statuspage.limits import MAX_ROW_ID
from statuspage.models import Incident, IncidentResponder, User
from statuspage.services.errors import IncidentClosed, InvalidInput
from statuspage.services.response.events import record_response_event
from statuspage.services.unit import Actor, unit_of_work


def _who(user: User | None) -> str:
    return user.display_name if user is not None else "nobody"


def _staff(user: User, role: IncidentRole) -> User:
    if not user.active:
        raise InvalidInput(f"{user.email} is deactivated.", field=role.value)
    return user


def holders(incident: Incident, role: IncidentRole) -> list[User]:
    """Who holds *role* on *incident* now."""
    if role is IncidentRole.COMMANDER:
        return [incident.commander] if incident.commander else []
    if role is IncidentRole.COMMS_LEAD:
        return [incident.comms_lead] if incident.comms_lead else []
    return [link.user for link in incident.responders]


def _place(incident: Incident, role: IncidentRole, user: User | None, *, at: datetime) -> None:
    if role is IncidentRole.COMMANDER:
        incident.commander = user
    elif role is IncidentRole.COMMS_LEAD:
        incident.comms_lead = user
    elif user is not None:
        incident.responders.append(IncidentResponder(user=user, assigned_at=at))


def _assign(
    incident: Incident, role: IncidentRole, user: User, *, at: datetime, actor: Actor
) -> None:
    current = holders(incident, role)
    if user.id in {holder.id for holder in current}:
        return
    _staff(user, role)
    _place(incident, role, user, at=at)
    if role.is_single and current:
        summary = f"{role.label}: handed over from {_who(current[0])} to {_who(user)}"
        action = "handover"
    else:
        summary = f"{role.label}: {_who(user)} assigned"
        action = "assigned"
    record_response_event(
        incident,
        ResponseEventKind.ROLE,
        summary,
        at=at,
        actor=actor,
        role=role.value,
        action=action,
        user_id=user.id,
        previous_user_id=current[0].id if role.is_single and current else None,
    )


def _unassign(
    incident: Incident, role: IncidentRole, user: User, *, at: datetime, actor: Actor
) -> None:
    if user.id not in {holder.id for holder in holders(incident, role)}:
        return
    if role is IncidentRole.COMMANDER:
        incident.commander = None
    elif role is IncidentRole.COMMS_LEAD:
        incident.comms_lead = None
    else:
        incident.responders = [r for r in incident.responders if r.user_id != user.id]
    record_response_event(
        incident,
        ResponseEventKind.ROLE,
        f"{role.label}: {_who(user)} unassigned",
        at=at,
        actor=actor,
        role=role.value,
        action="unassigned",
        user_id=user.id,
    )


def assign_role(
    incident: Incident,
    role: IncidentRole,
    user: User,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Give *user* the role; for the commander or comms lead this hands it over."""
    with unit_of_work("assign_incident_role", actor=actor, now=now) as now:
        _assign(incident, IncidentRole(role), user, at=now, actor=actor)
    return incident


def unassign_role(
    incident: Incident,
    role: IncidentRole,
    user: User,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    with unit_of_work("unassign_incident_role", actor=actor, now=now) as now:
        _unassign(incident, IncidentRole(role), user, at=now, actor=actor)
    return incident


def set_roles(
    incident: Incident,
    *,
    commander: User | None | bool = False,
    comms_lead: User | None | bool = False,
    responders: Iterable[User] | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Set several roles at once (the management API's PATCH): False leaves a role alone, None
    clears it; *responders* replaces the whole list when given."""
    with unit_of_work("set_incident_roles", actor=actor, now=now) as now:
        for role, wanted in (
            (IncidentRole.COMMANDER, commander),
            (IncidentRole.COMMS_LEAD, comms_lead),
        ):
            if wanted is False or wanted is True:
                continue
            if wanted is None:
                for user in holders(incident, role):
                    _unassign(incident, role, user, at=now, actor=actor)
            else:
                _assign(incident, role, wanted, at=now, actor=actor)
        if responders is not None:
            wanted_list = list({user.id: user for user in responders}.values())
            wanted_ids = {user.id for user in wanted_list}
            for user in holders(incident, IncidentRole.RESPONDER):
                if user.id not in wanted_ids:
                    _unassign(incident, IncidentRole.RESPONDER, user, at=now, actor=actor)
            for user in wanted_list:
                _assign(incident, IncidentRole.RESPONDER, user, at=now, actor=actor)
    return incident


def acknowledge_incident(
    incident: Incident, *, user: User, actor: Actor, now: datetime | None = None
) -> Incident:
    """Record that *user* has taken the incident on; only the first acknowledgement counts
    (a second one is a no-op, so a double click or a retried API call changes nothing)."""
    with unit_of_work("acknowledge_incident", actor=actor, now=now) as now:
        if incident.acknowledged_at is not None:
            return incident
        if incident.is_resolved:
            # Acknowledging is taking a live incident on; after the fact it would only turn
            # the clock's "missed" into a late "met".
            raise IncidentClosed(
                "This incident is resolved; an unacknowledged one stays unacknowledged.",
                field="acknowledged_at",
            )
        if now < incident.started_at:
            raise InvalidInput(
                "An incident cannot be acknowledged before it started.", field="acknowledged_at"
            )
        incident.acknowledged_at = now
        incident.acknowledged_by_id = user.id
        record_response_event(
            incident,
            ResponseEventKind.ACKNOWLEDGED,
            f"Acknowledged by {_who(user)}",
            at=now,
            actor=actor,
            user_id=user.id,
        )
    return incident


def find_staff_user(value: int | str, *, field: str) -> User:
    """A staff user by id or email (the management API takes either)."""
    if isinstance(value, int) and not isinstance(value, bool):
        user = db.session.get(User, value) if 0 < value <= MAX_ROW_ID else None
    elif isinstance(value, str) and value.strip():
        user = db.session.scalar(sa.select(User).where(User.email == value.strip().lower()))
    else:
        raise InvalidInput("Name a staff user by id or email.", field=field)
    if user is None:
        raise InvalidInput(f"No staff user {value!r}.", field=field)
    return user
