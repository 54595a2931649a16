"""Components and groups: create, edit, archive, restore, delete, reorder, set status by hand."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

import sqlalchemy as sa

from statuspage.enums import ComponentStatus, StatusCause, Visibility
from statuspage.extensions import db
from statuspage.limits import MAX_ALIAS, MAX_ALIASES
from statuspage.models import Component, ComponentGroup, ComponentStatusChange, NoticeComponent
from statuspage.services.components.runbooks import RunbookInput, apply_runbook
from statuspage.services.components.status import set_status_everywhere
from statuspage.services.errors import InUse, InvalidInput, InvalidTransition
from statuspage.services.inputs import clean_description, clean_name, clean_text
from statuspage.services.unit import Actor, unit_of_work

TopLevelItem = ComponentGroup | Component


def top_level_items(*, include_archived: bool = False) -> list[TopLevelItem]:
    """Groups and ungrouped components in page order."""
    groups = sa.select(ComponentGroup)
    components = sa.select(Component).where(Component.group_id.is_(None))
    if not include_archived:
        groups = groups.where(ComponentGroup.archived_at.is_(None))
        components = components.where(Component.archived_at.is_(None))
    items: list[TopLevelItem] = [*db.session.scalars(groups), *db.session.scalars(components)]
    return sorted(items, key=lambda item: (item.position, item.name.lower()))


def list_groups() -> list[ComponentGroup]:
    """Live groups in page order."""
    return [item for item in top_level_items() if isinstance(item, ComponentGroup)]


def list_components() -> list[Component]:
    """Live components in page order (each group's children after it)."""
    ordered: list[Component] = []
    for item in top_level_items():
        if isinstance(item, ComponentGroup):
            ordered.extend(_group_members(item))
        else:
            ordered.append(item)
    return ordered


def find_components(ids: Collection[str]) -> dict[str, Component]:
    """The components with these ids (archived ones too: the writers refuse those by name)."""
    if not ids:
        return {}
    found = db.session.scalars(sa.select(Component).where(Component.id.in_(set(ids))))
    return {component.id: component for component in found}


def list_archived() -> tuple[list[ComponentGroup], list[Component]]:
    groups = db.session.scalars(
        sa.select(ComponentGroup)
        .where(ComponentGroup.archived_at.is_not(None))
        .order_by(ComponentGroup.name)
    ).all()
    components = db.session.scalars(
        sa.select(Component).where(Component.archived_at.is_not(None)).order_by(Component.name)
    ).all()
    return list(groups), list(components)


def _group_members(group: ComponentGroup | None) -> list[Component]:
    query = sa.select(Component).where(Component.archived_at.is_(None))
    if group is None:
        query = query.where(Component.group_id.is_(None))
    else:
        query = query.where(Component.group_id == group.id)
    return sorted(db.session.scalars(query), key=lambda c: (c.position, c.name.lower()))


def _renumber(items: Sequence[TopLevelItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def _members_of(group: ComponentGroup | None) -> list[TopLevelItem]:
    """The live items ordered together: a group's components, or (None) the top level, where
    groups and ungrouped components share one numbering."""
    return list(top_level_items()) if group is None else list(_group_members(group))


def _append_position(group: ComponentGroup | None) -> int:
    return max((item.position for item in _members_of(group)), default=0) + 1


def _siblings(item: TopLevelItem) -> list[TopLevelItem]:
    """The live items *item* is ordered among, itself included while it is live."""
    return _members_of(item.group if isinstance(item, Component) else None)


def _place(item: TopLevelItem, position: int) -> None:
    """Put *item* at the 1-based *position* among its siblings and renumber them all."""
    others = [sibling for sibling in _siblings(item) if sibling is not item]
    if not 1 <= position <= len(others) + 1:
        raise InvalidInput(f"Choose a position from 1 to {len(others) + 1}.", field="position")
    others.insert(position - 1, item)
    _renumber(others)


def create_group(
    *,
    name: str,
    description: str | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    start_date: date | None = None,
    position: int | None = None,
    runbook: RunbookInput | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> ComponentGroup:
    """Add a group at the end of the page, or at the 1-based *position* among the top level."""
    with unit_of_work("create_group", actor=actor, now=now) as now:
        group = ComponentGroup(
            name=clean_name(name),
            description=clean_description(description),
            visibility=Visibility(visibility),
            showcase=showcase,
            only_show_if_degraded=only_show_if_degraded,
            start_date=start_date,
            position=_append_position(None),
            created_at=now,
        )
        db.session.add(group)
        if runbook is not None:
            apply_runbook(group, runbook)
        if position is not None:
            db.session.flush()
            _place(group, position)
    return group


def update_group(
    group: ComponentGroup,
    *,
    name: str,
    description: str | None,
    visibility: Visibility,
    showcase: bool,
    only_show_if_degraded: bool,
    start_date: date | None,
    position: int | None = None,
    runbook: RunbookInput | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> ComponentGroup:
    """Edit a group; a *position* moves it to that place among the top-level items."""
    with unit_of_work("update_group", actor=actor, now=now) as now:
        group.name = clean_name(name)
        group.description = clean_description(description)
        group.visibility = Visibility(visibility)
        group.showcase = showcase
        group.only_show_if_degraded = only_show_if_degraded
        group.start_date = start_date
        if runbook is not None:
            apply_runbook(group, runbook)
        if position is not None:
            _place(group, position)
    return group


def archive_group(group: ComponentGroup, *, actor: Actor, now: datetime | None = None) -> None:
    """Hide a group and its components from every page; their history is kept."""
    with unit_of_work("archive_group", actor=actor, now=now) as now:
        if group.is_archived:  # again would re-stamp it: restore could not tell its components
            raise InvalidTransition("This group is already archived.")
        for component in _group_members(group):
            component.archived_at = now
        group.archived_at = now
        _renumber([item for item in top_level_items() if item is not group])


def restore_group(group: ComponentGroup, *, actor: Actor, now: datetime | None = None) -> None:
    """Bring back an archived group with the components archived alongside it."""
    with unit_of_work("restore_group", actor=actor, now=now) as now:
        archived_with_it = db.session.scalars(
            sa.select(Component).where(
                Component.group_id == group.id, Component.archived_at == group.archived_at
            )
        )
        for component in archived_with_it:
            component.archived_at = None
        group.position = _append_position(None)
        group.archived_at = None


def create_component(
    *,
    name: str,
    group: ComponentGroup | None = None,
    description: str | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    start_date: date | None = None,
    status: ComponentStatus = ComponentStatus.OPERATIONAL,
    position: int | None = None,
    runbook: RunbookInput | None = None,
    show_response_times: bool = False,
    aliases: Sequence[str] | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Component:
    """Add a component at the end of its group (or of the page), or at the 1-based
    *position* among its siblings."""
    with unit_of_work("create_component", actor=actor, now=now) as now:
        if group is not None and group.is_archived:
            raise InvalidInput("That group is archived.", field="group")
        component = Component(
            name=clean_name(name),
            group=group,
            description=clean_description(description),
            visibility=Visibility(visibility),
            showcase=showcase,
            only_show_if_degraded=only_show_if_degraded,
            start_date=start_date,
            show_response_times=bool(show_response_times),
            position=_append_position(group),
            status=ComponentStatus.OPERATIONAL,
            status_since=now,
            internal_status=ComponentStatus.OPERATIONAL,
            internal_status_since=now,
            created_at=now,
        )
        if runbook is not None:
            apply_runbook(component, runbook)
        component.aliases = clean_aliases(aliases or [])
        db.session.add(component)
        db.session.flush()
        if position is not None:
            _place(component, position)
        set_status_everywhere(
            component, ComponentStatus(status), at=now, cause=StatusCause.MANUAL, actor=actor
        )
    return component


def update_component(
    component: Component,
    *,
    name: str,
    group: ComponentGroup | None,
    description: str | None,
    visibility: Visibility,
    showcase: bool,
    only_show_if_degraded: bool,
    start_date: date | None,
    position: int | None = None,
    runbook: RunbookInput | None = None,
    show_response_times: bool | None = None,
    aliases: Sequence[str] | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Component:
    """Edit a component; moving it to another group puts it at the end of that group, and a
    *position* at that 1-based place among its (new) siblings (*show_response_times* None:
    unchanged)."""
    with unit_of_work("update_component", actor=actor, now=now) as now:
        if group is not None and group.is_archived:
            raise InvalidInput("That group is archived.", field="group")
        old_group = component.group
        if (old_group.id if old_group else None) != (group.id if group else None):
            component.position = _append_position(group)
            component.group = group
            _renumber([c for c in _members_of(old_group) if c is not component])
        component.name = clean_name(name)
        component.description = clean_description(description)
        component.visibility = Visibility(visibility)
        component.showcase = showcase
        component.only_show_if_degraded = only_show_if_degraded
        component.start_date = start_date
        if show_response_times is not None:
            component.show_response_times = bool(show_response_times)
        if runbook is not None:
            apply_runbook(component, runbook)
        if aliases is not None:
            component.aliases = clean_aliases(aliases)
        if position is not None:
            _place(component, position)
    return component


def clean_aliases(aliases: Sequence[str]) -> list[str]:
    """The names monitoring knows a component by: trimmed, distinct (case-insensitively),
    at most MAX_ALIASES of at most MAX_ALIAS characters; InvalidInput for "aliases"."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for alias in aliases:
        text = clean_text(
            alias if isinstance(alias, str) else None,
            field="aliases",
            max_length=MAX_ALIAS,
            required=False,
            label="An alias",
        )
        if text and text.lower() not in seen:
            seen.add(text.lower())
            cleaned.append(text)
    if len(cleaned) > MAX_ALIASES:
        raise InvalidInput(f"A component has at most {MAX_ALIASES} aliases.", field="aliases")
    return cleaned


def set_component_aliases(
    component: Component, aliases: Sequence[str], *, actor: Actor, now: datetime | None = None
) -> Component:
    """Replace the names an integration's component label may use for *component*."""
    with unit_of_work("set_component_aliases", actor=actor, now=now):
        component.aliases = clean_aliases(aliases)
    return component


def archive_component(component: Component, *, actor: Actor, now: datetime | None = None) -> None:
    """Hide a component from every page and form; its history and uptime are kept."""
    with unit_of_work("archive_component", actor=actor, now=now) as now:
        if component.is_archived:
            raise InvalidTransition("This component is already archived.")
        component.archived_at = now
        _renumber([c for c in _members_of(component.group) if c is not component])


def restore_component(component: Component, *, actor: Actor, now: datetime | None = None) -> None:
    with unit_of_work("restore_component", actor=actor, now=now) as now:
        if component.group is not None and component.group.is_archived:
            component.group = None
        component.position = _append_position(component.group)
        component.archived_at = None


def delete_component(component: Component, *, actor: Actor, now: datetime | None = None) -> None:
    """Delete a component that has no history; one with history must be archived."""
    with unit_of_work("delete_component", actor=actor, now=now):
        has_history = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ComponentStatusChange)
            .where(ComponentStatusChange.component_id == component.id)
        ) or db.session.scalar(
            sa.select(sa.func.count())
            .select_from(NoticeComponent)
            .where(NoticeComponent.component_id == component.id)
        )
        if has_history:
            raise InUse("This component has a status history; archive it instead.")
        group = component.group
        db.session.delete(component)
        db.session.flush()
        _renumber(_members_of(group))


def delete_group(group: ComponentGroup, *, actor: Actor, now: datetime | None = None) -> None:
    """Delete an empty group; one that still holds components must be archived."""
    with unit_of_work("delete_group", actor=actor, now=now):
        if group.components:
            raise InUse("This group still holds components; move or archive them first.")
        db.session.delete(group)
        db.session.flush()
        _renumber(top_level_items())


def move_item(
    item: TopLevelItem, *, offset: int, actor: Actor, now: datetime | None = None
) -> None:
    """Move a group or component *offset* places up (negative) or down among its siblings."""
    with unit_of_work("reorder_components", actor=actor, now=now):
        siblings = _siblings(item)
        index = siblings.index(item)
        target = max(0, min(len(siblings) - 1, index + offset))
        siblings.insert(target, siblings.pop(index))
        _renumber(siblings)


def reorder_items(
    items: Sequence[TopLevelItem], *, actor: Actor, now: datetime | None = None
) -> None:
    """Set the order of one set of siblings (top level, or one group's components) at once."""
    with unit_of_work("reorder_components", actor=actor, now=now):
        parents = {item.group_id if isinstance(item, Component) else None for item in items}
        if len(parents) > 1:
            raise InvalidInput("Only siblings can be ordered together.", field="order")
        _renumber(items)


def set_component_status(
    component: Component,
    status: ComponentStatus,
    *,
    cause: StatusCause = StatusCause.MANUAL,
    actor: Actor,
    now: datetime | None = None,
) -> Component:
    """Set a status by hand (or from automation). Open incidents' next updates may move it again."""
    with unit_of_work("set_component_status", actor=actor, now=now) as now:
        if component.is_archived:
            raise InvalidInput("Archived components have no live status.", field="status")
        set_status_everywhere(component, ComponentStatus(status), at=now, cause=cause, actor=actor)
    return component
