"""Problem records (ITIL problem management): create, edit, link incidents, suggest candidates.

An incident belongs to at most one problem (`Notice.problem_id`); linking and unlinking change
only that column, so the audit log records each link as the incident's `problem_id` before and
after. Nothing here is public.

Candidate incidents (docs/problems-and-reports.md) are incidents not yet in any problem that
either affected one of the problem's components (or of its linked incidents) and started within
CANDIDATE_WINDOW of the problem's span (its linked incidents' starts, or its creation when it
has none), or whose title is similar to the problem's or to a linked incident's: a difflib
ratio of at least TITLE_RATIO, or at least SHARED_WORDS shared significant words.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.enums import ProblemStatus
from statuspage.extensions import db
from statuspage.limits import MAX_NAME, MAX_PROBLEM_TEXT
from statuspage.markdown import render_markdown
from statuspage.models import Component, Incident, NoticeComponent, Problem
from statuspage.services.errors import InvalidInput, NotFound, ServiceError
from statuspage.services.inputs import clean_text
from statuspage.services.unit import Actor, unit_of_work

#: How far either side of the problem's span a same-component incident is a candidate.
CANDIDATE_WINDOW = timedelta(days=30)
#: difflib.SequenceMatcher ratio of two casefolded titles that counts as similar.
TITLE_RATIO = 0.6
#: Shared significant words (4+ letters, not a stop word) that count as similar.
SHARED_WORDS = 2
#: At most this many recent unlinked incidents are compared by title.
TITLE_SCAN = 500
#: At most this many candidates are suggested.
MAX_CANDIDATES = 20

STOP_WORDS = frozenset(
    "about after again some with from into over under this that have been were issue issues "
    "problem problems error errors incident degraded outage partial major minor service "
    "services users some slow".split()
)


class IncidentInOtherProblem(ServiceError):
    """An incident belongs to at most one problem: unlink it there first."""


def significant_words(title: str) -> set[str]:
    """The words of a title that say what it is about (for the shared-words rule)."""
    words = re.findall(r"[^\W\d_]{4,}", title.casefold())
    return {w for w in words if w not in STOP_WORDS}


def titles_similar(a: str, b: str) -> bool:
    """The title rule: difflib ratio >= TITLE_RATIO or SHARED_WORDS shared significant words."""
    ratio = difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio()
    return ratio >= TITLE_RATIO or len(significant_words(a) & significant_words(b)) >= SHARED_WORDS


def _clean_fields(
    title: str | None, root_cause: str | None, workaround: str | None
) -> tuple[str, str, str]:
    return (
        clean_text(title, field="title", max_length=MAX_NAME, required=True, label="A title"),
        clean_text(
            root_cause, field="root_cause", max_length=MAX_PROBLEM_TEXT, required=False,
            label="The root cause",
        ),
        clean_text(
            workaround, field="workaround", max_length=MAX_PROBLEM_TEXT, required=False,
            label="The workaround",
        ),
    )  # fmt: skip


def _apply(
    problem: Problem,
    *,
    title: str | None,
    status: ProblemStatus,
    root_cause: str | None,
    workaround: str | None,
    components: Iterable[Component],
    now: datetime,
) -> None:
    problem.title, problem.root_cause, problem.workaround = _clean_fields(
        title, root_cause, workaround
    )
    problem.workaround_html = render_markdown(problem.workaround)
    try:
        new_status = ProblemStatus(status)
    except ValueError as error:
        raise InvalidInput("Choose a status.", field="status") from error
    if new_status is ProblemStatus.RESOLVED and problem.status is not ProblemStatus.RESOLVED:
        problem.resolved_at = now
    elif new_status is not ProblemStatus.RESOLVED:
        problem.resolved_at = None
    problem.status = new_status
    problem.components = list(dict.fromkeys(components))


def create_problem(
    *,
    title: str | None,
    status: ProblemStatus = ProblemStatus.INVESTIGATING,
    root_cause: str | None = "",
    workaround: str | None = "",
    components: Iterable[Component] = (),
    actor: Actor,
    now: datetime | None = None,
) -> Problem:
    """Record a problem (the cause behind incidents), staff only."""
    with unit_of_work("create_problem", actor=actor, now=now) as now:
        problem = Problem(created_by_id=actor.user_id, status=ProblemStatus.INVESTIGATING)
        _apply(
            problem, title=title, status=status, root_cause=root_cause, workaround=workaround,
            components=components, now=now,
        )  # fmt: skip
        db.session.add(problem)
        db.session.flush()
    return problem


def update_problem(
    problem: Problem,
    *,
    title: str | None,
    status: ProblemStatus,
    root_cause: str | None,
    workaround: str | None,
    components: Iterable[Component],
    actor: Actor,
    now: datetime | None = None,
) -> Problem:
    """Change what is known of a problem: its title, status, root cause, workaround, components."""
    with unit_of_work("update_problem", actor=actor, now=now) as now:
        _apply(
            problem, title=title, status=status, root_cause=root_cause, workaround=workaround,
            components=components, now=now,
        )  # fmt: skip
    return problem


def _incident(incident_id: str | None) -> Incident:
    incident = db.session.get(Incident, incident_id) if incident_id else None
    if not isinstance(incident, Incident):
        raise NotFound("No such incident.", field="incident_id")
    return incident


def link_incident(
    problem: Problem, incident_id: str | None, *, actor: Actor, now: datetime | None = None
) -> Incident:
    """Make an incident one of the problem's; refused when it is in another problem already."""
    with unit_of_work("link_problem_incident", actor=actor, now=now):
        incident = _incident(incident_id)
        if incident.problem_id == problem.id:
            raise InvalidInput("That incident is already linked.", field="incident_id")
        if incident.problem_id is not None:
            other = db.session.get(Problem, incident.problem_id)
            raise IncidentInOtherProblem(
                f"That incident belongs to the problem "
                f"“{other.title if other else incident.problem_id}”: unlink it there first.",
                field="incident_id",
            )
        incident.problem_id = problem.id
    db.session.expire(problem, ["incidents"])
    return incident


def unlink_incident(
    problem: Problem, incident_id: str | None, *, actor: Actor, now: datetime | None = None
) -> Incident:
    """Take an incident out of the problem."""
    with unit_of_work("unlink_problem_incident", actor=actor, now=now):
        incident = _incident(incident_id)
        if incident.problem_id != problem.id:
            raise InvalidInput("That incident is not linked to this problem.", field="incident_id")
        incident.problem_id = None
    db.session.expire(problem, ["incidents"])
    return incident


def list_problems(status: ProblemStatus | None = None) -> list[Problem]:
    """Problems, open ones first and newest first, optionally of one status."""
    query = sa.select(Problem).order_by(Problem.resolved_at.is_not(None), Problem.created_at.desc())
    if status is not None:
        query = query.where(Problem.status == status)
    return list(db.session.scalars(query))


def problem_of(incident: Incident) -> Problem | None:
    """The problem an incident is one of, if any (its siblings are `problem.incidents`)."""
    return db.session.get(Problem, incident.problem_id) if incident.problem_id else None


@dataclass
class Candidate:
    incident: Incident
    reasons: list[str] = field(default_factory=list)


def _span(problem: Problem) -> tuple[datetime, datetime]:
    starts = [i.started_at for i in problem.incidents] or [problem.created_at]
    return min(starts) - CANDIDATE_WINDOW, max(starts) + CANDIDATE_WINDOW


def suggest_candidates(problem: Problem) -> list[Candidate]:
    """Unlinked incidents likely to share this problem's cause (the rule in the module doc)."""
    found: dict[str, Candidate] = {}
    component_ids = {c.id for c in problem.components}
    component_ids |= {c.id for i in problem.incidents for c in i.components}
    if component_ids:
        since, until = _span(problem)
        query = (
            sa.select(Incident)
            .join(NoticeComponent, NoticeComponent.notice_id == Incident.id)
            .where(
                Incident.problem_id.is_(None),
                NoticeComponent.component_id.in_(component_ids),
                Incident.started_at >= since,
                Incident.started_at <= until,
            )
            .order_by(Incident.started_at.desc())
            .limit(MAX_CANDIDATES)
        )
        for incident in db.session.scalars(query).unique():
            found.setdefault(incident.id, Candidate(incident)).reasons.append(
                "same components within 30 days"
            )
    titles = [problem.title, *(i.name for i in problem.incidents)]
    recent = db.session.scalars(
        sa.select(Incident)
        .where(Incident.problem_id.is_(None))
        .order_by(Incident.started_at.desc())
        .limit(TITLE_SCAN)
    )
    for incident in recent:
        if any(titles_similar(incident.name, title) for title in titles):
            found.setdefault(incident.id, Candidate(incident)).reasons.append("similar title")
    ordered = sorted(found.values(), key=lambda c: c.incident.started_at, reverse=True)
    return ordered[:MAX_CANDIDATES]
