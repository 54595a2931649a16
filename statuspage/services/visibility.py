"""Audience filtering: the one place that decides what a public or internal reader may see."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from statuspage.enums import Audience, UpdateKind, Visibility
from statuspage.models import Component, ComponentGroup, IncidentUpdate, Notice


def notice_visible(audience: Audience, notice: Any = Notice) -> sa.ColumnElement[bool]:
    """Notices the audience may see; *notice* may be an alias of Notice or of a subclass."""
    return notice.visibility.in_(audience.visibilities)


def update_visible(audience: Audience) -> sa.ColumnElement[bool]:
    """Published updates the audience may read; notes are for staff only."""
    clause = sa.and_(
        IncidentUpdate.published_at.is_not(None),
        IncidentUpdate.visibility.in_(audience.visibilities),
    )
    if audience is Audience.PUBLIC:
        clause = sa.and_(clause, IncidentUpdate.kind == UpdateKind.UPDATE)
    return clause


def component_visible(component: Component, audience: Audience) -> bool:
    """Visible itself and inside a visible group; archived components are never shown."""
    if component.is_archived or component.visibility not in audience.visibilities:
        return False
    group = component.group
    return group is None or group_visible(group, audience)


def group_visible(group: ComponentGroup, audience: Audience) -> bool:
    return not group.is_archived and group.visibility in audience.visibilities


def notice_is_visible(notice: Notice, audience: Audience) -> bool:
    return notice.visibility in audience.visibilities


def audiences_of(notice: Notice) -> tuple[Audience, ...]:
    """Who can see *notice*, hence whose component statuses its claims move."""
    return tuple(a for a in Audience if notice.visibility in a.visibilities)


def home_audience(notice: Notice) -> Audience:
    """The widest audience that sees *notice*: whose statuses its timeline records."""
    return Audience.PUBLIC if notice.visibility is Visibility.PUBLIC else Audience.INTERNAL


def update_is_visible(
    update: IncidentUpdate, audience: Audience, *, with_notes: bool = True
) -> bool:
    """Published and for this audience; notes only for staff, and only on their pages
    (*with_notes* is False for the internal feeds and JSON, which leave the building)."""
    if update.published_at is None or update.visibility not in audience.visibilities:
        return False
    if update.kind is UpdateKind.NOTE:
        return audience is Audience.INTERNAL and with_notes
    return True
