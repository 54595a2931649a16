"""The response policy in force: the priority matrix, one SLA policy per priority, and the
escalation lead time; the defaults below, overlaid with what admins saved in Settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g

from statuspage.enums import Impact, Priority, SlaTarget, Urgency
from statuspage.extensions import db
from statuspage.models import Setting

#: The common ITIL matrix over Statuspage's impacts: rows impact, columns urgency.
DEFAULT_MATRIX: dict[Impact, dict[Urgency, Priority]] = {
    Impact.CRITICAL: {
        Urgency.HIGH: Priority.P1,
        Urgency.MEDIUM: Priority.P1,
        Urgency.LOW: Priority.P2,
    },
    Impact.MAJOR: {
        Urgency.HIGH: Priority.P1,
        Urgency.MEDIUM: Priority.P2,
        Urgency.LOW: Priority.P3,
    },
    Impact.MINOR: {
        Urgency.HIGH: Priority.P2,
        Urgency.MEDIUM: Priority.P3,
        Urgency.LOW: Priority.P4,
    },
    Impact.NONE: {Urgency.HIGH: Priority.P3, Urgency.MEDIUM: Priority.P4, Urgency.LOW: Priority.P4},
}

#: Minutes per target and priority (docs/incident-response.md has the table).
DEFAULT_SLA: dict[Priority, dict[SlaTarget, int]] = {
    Priority.P1: {
        SlaTarget.ACKNOWLEDGE: 5,
        SlaTarget.FIRST_UPDATE: 15,
        SlaTarget.UPDATE_CADENCE: 30,
        SlaTarget.RESOLVE: 4 * 60,
    },
    Priority.P2: {
        SlaTarget.ACKNOWLEDGE: 15,
        SlaTarget.FIRST_UPDATE: 30,
        SlaTarget.UPDATE_CADENCE: 60,
        SlaTarget.RESOLVE: 8 * 60,
    },
    Priority.P3: {
        SlaTarget.ACKNOWLEDGE: 60,
        SlaTarget.FIRST_UPDATE: 2 * 60,
        SlaTarget.UPDATE_CADENCE: 4 * 60,
        SlaTarget.RESOLVE: 24 * 60,
    },
    Priority.P4: {
        SlaTarget.ACKNOWLEDGE: 4 * 60,
        SlaTarget.FIRST_UPDATE: 8 * 60,
        SlaTarget.UPDATE_CADENCE: 24 * 60,
        SlaTarget.RESOLVE: 3 * 24 * 60,
    },
}

#: Warn this share of a target's length before it is due (20 %: a 30-minute target at 24).
DEFAULT_LEAD_PERCENT = 20

#: A new incident's urgency when nobody says.
DEFAULT_URGENCY = Urgency.MEDIUM

#: Setting keys (values are JSON objects; `Setting.value` is a JSON column).
MATRIX_KEY = "priority_matrix"
SLA_KEY = "sla_policies"
LEAD_KEY = "escalation_lead_percent"
KEYS = (MATRIX_KEY, SLA_KEY, LEAD_KEY)

PRIORITY_VALUES = frozenset(p.value for p in Priority)

#: A target may be at most this long (a week of minutes is a generous P4).
MAX_TARGET_MINUTES = 30 * 24 * 60


@dataclass(frozen=True)
class ResponsePolicy:
    matrix: dict[Impact, dict[Urgency, Priority]] = field(default_factory=lambda: DEFAULT_MATRIX)
    sla: dict[Priority, dict[SlaTarget, int]] = field(default_factory=lambda: DEFAULT_SLA)
    lead_percent: int = DEFAULT_LEAD_PERCENT

    def priority_for(self, impact: Impact, urgency: Urgency) -> Priority:
        return self.matrix[Impact(impact)][Urgency(urgency)]

    def minutes(self, priority: Priority, target: SlaTarget) -> int:
        return self.sla[priority][target]

    def matrix_json(self) -> dict[str, dict[str, str]]:
        return {
            i.value: {u.value: p.value for u, p in row.items()} for i, row in self.matrix.items()
        }

    def sla_json(self) -> dict[str, dict[str, int]]:
        return {p.value: {t.value: m for t, m in row.items()} for p, row in self.sla.items()}


def get_response_policy() -> ResponsePolicy:
    """The policy in force, read once per app context (a request, a scheduler tick)."""
    cached: ResponsePolicy | None = g.get("_response_policy")
    if cached is None:
        cached = load_response_policy()
        g._response_policy = cached
    return cached


def forget_response_policy() -> None:
    """After a change in this context, the next read sees it."""
    g.pop("_response_policy", None)


def load_response_policy() -> ResponsePolicy:
    rows = db.session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.in_(KEYS)))
    stored: dict[str, Any] = {key: value for key, value in rows}
    return ResponsePolicy(
        matrix=read_matrix(stored.get(MATRIX_KEY)),
        sla=read_sla(stored.get(SLA_KEY)),
        lead_percent=int(stored.get(LEAD_KEY) or DEFAULT_LEAD_PERCENT),
    )


def read_matrix(value: Any) -> dict[Impact, dict[Urgency, Priority]]:
    """A stored matrix over the defaults: a cell missing or unreadable keeps its default."""
    matrix = {impact: dict(row) for impact, row in DEFAULT_MATRIX.items()}
    if isinstance(value, dict):
        for impact in Impact:
            row = value.get(impact.value)
            if not isinstance(row, dict):
                continue
            for urgency in Urgency:
                cell = row.get(urgency.value)
                if isinstance(cell, str) and cell in PRIORITY_VALUES:
                    matrix[impact][urgency] = Priority(cell)
    return matrix


def read_sla(value: Any) -> dict[Priority, dict[SlaTarget, int]]:
    sla = {priority: dict(row) for priority, row in DEFAULT_SLA.items()}
    if isinstance(value, dict):
        for priority in Priority:
            row = value.get(priority.value)
            if not isinstance(row, dict):
                continue
            for target in SlaTarget:
                minutes = row.get(target.value)
                if isinstance(minutes, int) and 0 < minutes <= MAX_TARGET_MINUTES:
                    sla[priority][target] = minutes
    return sla


def stamp(value: datetime) -> str:
    """A time as the response events' detail keeps it."""
    return value.isoformat()
