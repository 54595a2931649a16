"""SLA clocks: where each target of an open incident stands, computed from its timeline.

Every target but the cadence counts from the incident's start, with the targets of the
priority in force now (a priority change moves every due time, counted from the start). A
resolution stops every clock; time spent resolved before a reopen does not count towards
resolving, and after a reopen the next public update is due one cadence after the reopening
(or the last public update, whichever is later). Public-update targets apply only to incidents
the public can see. Pure arithmetic over the incident: nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from statuspage.enums import Audience, ClockState, IncidentStatus, SlaTarget, UpdateKind
from statuspage.models import IncidentUpdate, Notice
from statuspage.services.response.policy import ResponsePolicy
from statuspage.visibility import notice_visible, update_visible, words_for_staff


@dataclass(frozen=True)
class SlaClock:
    target: SlaTarget
    minutes: int
    state: ClockState
    due_at: datetime | None = None
    warn_at: datetime | None = None
    met_at: datetime | None = None
    #: The cadence's gap number (public updates so far): each gap escalates on its own.
    slot: int = 0

    @property
    def key(self) -> str:
        """What an escalation of this clock is recorded under (once per key and level)."""
        if self.target is SlaTarget.UPDATE_CADENCE:
            return f"{self.target.value}:{self.slot}"
        return self.target.value

    @property
    def breached(self) -> bool:
        return self.state.is_breached

    def left(self, now: datetime) -> timedelta | None:
        """Time until it is due (negative once overdue); None when it is not counting."""
        if self.due_at is None or not self.state.is_open:
            return None
        return self.due_at - now


@dataclass(frozen=True)
class Span:
    """One stretch during which the incident was open."""

    start: datetime
    end: datetime | None


def moves_state(update: IncidentUpdate) -> bool:
    """Updates that move the incident's status (not notes, nor internal words on a public
    incident), published."""
    return (
        update.published_at is not None
        and update.kind is not UpdateKind.NOTE
        and not words_for_staff(update.notice, update.visibility)
    )


def open_spans(notice: Notice) -> list[Span]:
    """The stretches the incident was open, from its status history (a reopen starts one)."""
    moves = sorted(
        (u for u in notice.updates if moves_state(u)),
        key=lambda u: (u.published_at or u.display_at, u.created_at),
    )
    spans: list[Span] = []
    start: datetime | None = notice.started_at
    for update in moves:
        at = max(update.published_at or update.display_at, notice.started_at)
        resolved = update.status_value == IncidentStatus.RESOLVED.value
        if resolved and start is not None:
            spans.append(Span(start, at))
            start = None
        elif not resolved and start is None:
            start = at
    if start is not None:
        spans.append(Span(start, None))
    if notice.is_resolved and spans and spans[-1].end is None:  # resolved without a move
        spans[-1] = Span(spans[-1].start, notice.resolved_at)
    return spans or [Span(notice.started_at, notice.resolved_at)]


def public_updates(notice: Notice) -> list[datetime]:
    """When each public update of the incident was published, oldest first."""
    return sorted(
        u.published_at
        for u in notice.updates
        if u.published_at is not None and update_visible(u, Audience.PUBLIC, with_notes=False)
    )


def _state(
    due: datetime, warn: datetime, met: datetime | None, stopped: datetime | None, now: datetime
) -> ClockState:
    if met is not None:
        return ClockState.MET if met <= due else ClockState.MET_LATE
    if stopped is not None:  # resolved without meeting it
        return ClockState.MISSED if stopped > due else ClockState.NOT_APPLICABLE
    if now >= due:
        return ClockState.BREACHED
    if now >= warn:
        return ClockState.DUE_SOON
    return ClockState.RUNNING


def incident_clocks(notice: Notice, policy: ResponsePolicy, now: datetime) -> list[SlaClock]:
    """One clock per target of the incident's priority; none for a notice without one."""
    priority = notice.priority
    if not notice.is_prioritised or priority is None:
        return []
    spans = open_spans(notice)
    stopped = notice.resolved_at if notice.is_resolved else None
    start = notice.started_at

    def clock(
        target: SlaTarget,
        since: datetime,
        met: datetime | None,
        *,
        extra: timedelta = timedelta(0),
        slot: int = 0,
    ) -> SlaClock:
        minutes = policy.minutes(priority, target)
        length = timedelta(minutes=minutes)
        due = since + length + extra
        warn = due - length * policy.lead_percent / 100
        return SlaClock(
            target=target,
            minutes=minutes,
            state=_state(due, warn, met, stopped, now),
            due_at=due,
            warn_at=warn,
            met_at=met,
            slot=slot,
        )

    clocks = [clock(SlaTarget.ACKNOWLEDGE, start, notice.acknowledged_at)]
    public = notice_visible(notice, Audience.PUBLIC)
    published = public_updates(notice)
    if not public:
        for target in (SlaTarget.FIRST_UPDATE, SlaTarget.UPDATE_CADENCE):
            clocks.append(
                SlaClock(target, policy.minutes(priority, target), ClockState.NOT_APPLICABLE)
            )
    else:
        clocks.append(clock(SlaTarget.FIRST_UPDATE, start, published[0] if published else None))
        clocks.append(
            _cadence(
                policy.minutes(priority, SlaTarget.UPDATE_CADENCE),
                policy,
                spans,
                published,
                stopped,
                now,
            )
        )
    paused = sum(
        (later.start - earlier.end for earlier, later in pairwise(spans) if earlier.end),
        timedelta(0),
    )
    clocks.append(clock(SlaTarget.RESOLVE, start, stopped, extra=paused))
    return clocks


def _cadence(
    minutes: int,
    policy: ResponsePolicy,
    spans: list[Span],
    published: list[datetime],
    stopped: datetime | None,
    now: datetime,
) -> SlaClock:
    """The next public update: due a cadence after the last one (or the reopening)."""
    if stopped is not None:  # the gap the resolution closed (the resolving update is no gap)
        published = [t for t in published if t < stopped] or published[:1]
    if not published:
        return SlaClock(SlaTarget.UPDATE_CADENCE, minutes, ClockState.WAITING)
    length = timedelta(minutes=minutes)
    due = max(published[-1], spans[-1].start) + length
    warn = due - length * policy.lead_percent / 100
    if stopped is not None:
        state = ClockState.MET if stopped <= due else ClockState.MET_LATE
    else:
        state = _state(due, warn, None, None, now)
    return SlaClock(
        SlaTarget.UPDATE_CADENCE,
        minutes,
        state,
        due_at=due,
        warn_at=warn,
        met_at=stopped,
        slot=len(published),
    )
