"""Who may see what: the one place that compares visibilities and audiences.

Every read path (pages, history, feeds, JSON, iCal, mails, digests, subscriber scopes) and
every model's `faces_public` asks here; `tests/test_visibility_rule.py` fails on a visibility
comparison anywhere else. It imports only enums and SQLAlchemy, so models can use it too: SQL
clauses take the model class (or an alias) as an argument, predicates take the object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from statuspage.enums import Audience, UpdateKind, Visibility

if TYPE_CHECKING:
    from statuspage.models import (
        Component,
        ComponentGroup,
        IncidentUpdate,
        MaintenanceRecurrence,
        Notice,
        NoticeComponent,
        Postmortem,
    )


def sees(audience: Audience, visibility: Visibility) -> bool:
    """The rule itself: staff see public and internal items, the public public ones. For rows
    that are not model objects (the large demo's replay); objects have their own helpers."""
    return Visibility(visibility) in audience.visibilities


def _sees_clause(audience: Audience, column: Any) -> sa.ColumnElement[bool]:
    """The rule as SQL, for a `visibility` column."""
    return column.in_(audience.visibilities)


# -- components and groups ----------------------------------------------------------------


def group_open_to(group: ComponentGroup, audience: Audience) -> bool:
    """Meant for *audience*, archived or not: whether a change to it can reach that reader."""
    return sees(audience, group.visibility)


def group_visible(group: ComponentGroup, audience: Audience) -> bool:
    """Live and meant for *audience*."""
    return not group.is_archived and group_open_to(group, audience)


def component_open_to(component: Component, audience: Audience) -> bool:
    """Meant for *audience* itself and through its group, archived or not."""
    group = component.group
    return sees(audience, component.visibility) and (
        group is None or group_open_to(group, audience)
    )


def component_visible(component: Component, audience: Audience) -> bool:
    """Visible itself and inside a visible group; archived components are never shown."""
    if component.is_archived or not sees(audience, component.visibility):
        return False
    group = component.group
    return group is None or group_visible(group, audience)


# -- notices --------------------------------------------------------------------------------


def notice_visible(notice: Notice | MaintenanceRecurrence, audience: Audience) -> bool:
    """Whether *audience* may see the notice (or the recurring window's occurrences)."""
    return sees(audience, notice.visibility)


def notice_visible_clause(audience: Audience, notice: Any) -> sa.ColumnElement[bool]:
    """Notices the audience may see; *notice* is Notice, a subclass, or an alias of one."""
    return _sees_clause(audience, notice.visibility)


def link_open_to(link: NoticeComponent, audience: Audience) -> bool:
    """A notice's claim on a component reaches *audience* when both do."""
    return notice_visible(link.notice, audience) and component_open_to(link.component, audience)


def audiences_of(notice: Notice) -> tuple[Audience, ...]:
    """Who can see *notice*, hence whose component statuses its claims move."""
    return tuple(a for a in Audience if sees(a, notice.visibility))


def home_audience(notice: Notice) -> Audience:
    """The widest audience that sees *notice*: whose statuses its timeline records."""
    return Audience.PUBLIC if sees(Audience.PUBLIC, notice.visibility) else Audience.INTERNAL


# -- updates and notes ----------------------------------------------------------------------


def update_fits_notice(notice: Notice, visibility: Visibility) -> bool:
    """An update is never wider than its notice: everyone who could read it sees the notice."""
    return all(sees(a, notice.visibility) for a in Audience if sees(a, visibility))


def words_for_staff(notice: Notice, visibility: Visibility) -> bool:
    """An update hidden from a public reader who sees its notice: it may not move the notice's
    public state (status, impact, claims)."""
    return sees(Audience.PUBLIC, notice.visibility) and not sees(Audience.PUBLIC, visibility)


def update_open_to(update: IncidentUpdate, audience: Audience, *, with_notes: bool = True) -> bool:
    """Meant for *audience*, published or not: its own visibility and its notice's; notes only
    for staff, and only where *with_notes* (staff pages, not feeds, JSON or mail)."""
    if not (sees(audience, update.visibility) and notice_visible(update.notice, audience)):
        return False
    if update.kind is UpdateKind.NOTE:
        return audience is Audience.INTERNAL and with_notes
    return True


def update_visible(update: IncidentUpdate, audience: Audience, *, with_notes: bool = True) -> bool:
    """Published and meant for *audience* (see `update_open_to`)."""
    return update.published_at is not None and update_open_to(
        update, audience, with_notes=with_notes
    )


def update_visible_clause(
    audience: Audience, update: Any, *, with_notes: bool = False
) -> sa.ColumnElement[bool]:
    """Published updates the audience may read, as SQL on IncidentUpdate (or an alias); notes
    only for staff with *with_notes*. The notice's own visibility is the caller's clause."""
    clause = sa.and_(update.published_at.is_not(None), _sees_clause(audience, update.visibility))
    if audience is Audience.PUBLIC or not with_notes:
        clause = sa.and_(clause, update.kind == UpdateKind.UPDATE)
    return clause


# -- post-incident review -------------------------------------------------------------------


def postmortem_visible(postmortem: Postmortem | None, audience: Audience) -> bool:
    """Published and its incident visible to *audience*: a draft is for its editors (the admin
    pages), and an internal incident's postmortem never reaches the public, published or not."""
    return (
        postmortem is not None
        and postmortem.published_at is not None
        and notice_visible(postmortem.notice, audience)
    )


# -- news (notification events) -------------------------------------------------------------


def news_reaches(news: Audience, audience: Audience) -> bool:
    """Whether news recorded for *news* (everyone, or staff only: `NotificationEvent.audience`)
    may reach a reader of *audience* (a chat channel's)."""
    return sees(audience, news.visibilities[-1])
