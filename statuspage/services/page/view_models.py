"""What templates, feeds, the JSON API and mails are given: notices, updates, components and
groups already filtered for one audience, so none of them ever decides visibility."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from statuspage.enums import Audience, ComponentStatus
from statuspage.models import (
    Component,
    ComponentGroup,
    IncidentUpdate,
    Notice,
    Postmortem,
    UpdateComponentChange,
)
from statuspage.services.components import uptime as uptime_service
from statuspage.services.page.rollup import Overall
from statuspage.services.site.settings import SiteSettings
from statuspage.visibility import component_visible, postmortem_visible, update_visible


@dataclass
class UpdateView:
    update: IncidentUpdate
    changes: list[UpdateComponentChange]

    @property
    def status_label(self) -> str:
        return self.update.notice.status_label_of(self.update.status_value)


@dataclass
class NoticeView:
    notice: Notice
    updates: list[UpdateView]
    components: list[Component]
    audience: Audience = Audience.PUBLIC
    #: Its postmortem when this reader may see it (published, the incident visible).
    postmortem: Postmortem | None = None

    @property
    def api_status(self) -> str:
        """Its status in Statuspage's JSON: `postmortem` once a resolved incident's postmortem
        is published for this reader."""
        notice = self.notice
        if self.postmortem is not None and notice.is_resolved:
            return "postmortem"
        return notice.api_status(notice.status_value)

    def status_of(self, component: Component) -> ComponentStatus:
        """An affected component's status as this view's reader sees it."""
        return component.status_for(self.audience)

    @property
    def latest(self) -> UpdateView | None:
        return self.updates[0] if self.updates else None

    @property
    def kind(self) -> str:
        return self.notice.type

    @property
    def status_label(self) -> str:
        return self.notice.status_label

    @property
    def is_open(self) -> bool:
        return self.notice.resolved_at is None

    def duration(self, now: datetime) -> timedelta:
        end = self.notice.resolved_at or now
        return max(timedelta(0), end - self.notice.started_at)


def build_notice_view(
    notice: Notice,
    audience: Audience,
    visible_ids: set[str] | None = None,
    *,
    with_notes: bool = True,
) -> NoticeView:
    """A notice with the updates and components *audience* may see, newest update first;
    internal notes only when *with_notes* (staff pages, not feeds or JSON)."""

    def shown(component: Component) -> bool:
        if visible_ids is not None:
            return component.id in visible_ids
        return component_visible(component, audience)

    updates = [
        UpdateView(update=u, changes=[c for c in u.changes if shown(c.component)])
        for u in _visible_updates(notice, audience, with_notes)
    ]
    components = [link.component for link in notice.affected if shown(link.component)]
    postmortem = notice.postmortem if postmortem_visible(notice.postmortem, audience) else None
    return NoticeView(
        notice=notice,
        updates=updates,
        components=components,
        audience=audience,
        postmortem=postmortem,
    )


def build_brief_notice_view(
    notice: Notice, audience: Audience, *, with_notes: bool = True
) -> NoticeView:
    """A notice for a list that shows its name and its updates' texts only (the page's past
    days): no affected components, no component changes, so none of them are read."""
    updates = [
        UpdateView(update=u, changes=[]) for u in _visible_updates(notice, audience, with_notes)
    ]
    return NoticeView(notice=notice, updates=updates, components=[], audience=audience)


def _visible_updates(notice: Notice, audience: Audience, with_notes: bool) -> list[IncidentUpdate]:
    return [u for u in notice.updates if update_visible(u, audience, with_notes=with_notes)]


def build_update_view(update: IncidentUpdate, audience: Audience) -> UpdateView:
    """One update (published or not) with the component changes *audience* may see: what the
    management API answers after posting it."""
    changes = [c for c in update.changes if component_visible(c.component, audience)]
    return UpdateView(update=update, changes=changes)


@dataclass
class ComponentView:
    component: Component
    uptime: uptime_service.Uptime | None = None
    audience: Audience = Audience.PUBLIC

    @property
    def status(self) -> ComponentStatus:
        return self.component.status_for(self.audience)

    @property
    def hidden(self) -> bool:
        """only_show_if_degraded: left off the page while operational."""
        return self.component.only_show_if_degraded and self.status is ComponentStatus.OPERATIONAL


@dataclass
class GroupView:
    group: ComponentGroup
    components: list[ComponentView]
    uptime: uptime_service.Uptime | None = None

    @property
    def status(self) -> ComponentStatus:
        """The worst status among the children this audience can see."""
        return ComponentStatus.worst(c.status for c in self.components)

    @property
    def shown_components(self) -> list[ComponentView]:
        return [c for c in self.components if not c.hidden]

    @property
    def hidden(self) -> bool:
        if not self.shown_components:
            return True
        return self.group.only_show_if_degraded and self.status is ComponentStatus.OPERATIONAL


@dataclass
class DayOfIncidents:
    day: date
    notices: list[NoticeView]


@dataclass
class StatusPage:
    audience: Audience
    now: datetime
    settings: SiteSettings
    overall: Overall
    items: list[GroupView | ComponentView]
    groups: list[ComponentGroup]
    components: list[Component]
    open_incidents: list[NoticeView]
    active_maintenance: list[NoticeView] = field(default_factory=list)
    upcoming_maintenance: list[NoticeView] = field(default_factory=list)
    past_days: list[DayOfIncidents] = field(default_factory=list)
    #: When what this audience sees last changed (None before the first change).
    updated_at: datetime | None = None

    @property
    def components_in_page_order(self) -> list[Component]:
        """Every visible component as the page lists them: each group's children together."""
        ordered: list[Component] = []
        for item in self.items:
            if isinstance(item, GroupView):
                ordered.extend(view.component for view in item.components)
            else:
                ordered.append(item.component)
        return ordered

    @property
    def shown_items(self) -> list[GroupView | ComponentView]:
        return [item for item in self.items if not item.hidden]


def build_items(
    groups: Sequence[ComponentGroup],
    components: Sequence[Component],
    uptimes: dict[str, uptime_service.Uptime] | None = None,
    *,
    audience: Audience,
) -> list[GroupView | ComponentView]:
    """Groups (with their children) and ungrouped components, in page order."""
    uptimes = uptimes or {}
    children: dict[str, list[ComponentView]] = {g.id: [] for g in groups}
    top: list[GroupView | ComponentView] = []
    for component in components:
        uptime = uptimes.get(component.id) if component.showcase else None
        view = ComponentView(component, uptime, audience)
        if component.group_id is None:
            top.append(view)
        else:
            children[component.group_id].append(view)
    for group in groups:
        members = children[group.id]
        group_uptime = None
        if uptimes and group.showcase:
            group_uptime = uptime_service.mean_uptime(
                (uptimes[c.component.id] for c in members if c.component.id in uptimes),
                with_bars=False,
            )
        top.append(GroupView(group, members, group_uptime))

    def position(item: GroupView | ComponentView) -> tuple[int, str]:
        obj = item.group if isinstance(item, GroupView) else item.component
        return (obj.position, obj.name.lower())

    return sorted(top, key=position)
