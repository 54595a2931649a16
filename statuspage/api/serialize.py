"""Statuspage v2 JSON shapes, field for field: strict consumers reject anything extra."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from statuspage.enums import Audience, ComponentStatus
from statuspage.models import Component, ComponentGroup, Integration, Notice, Subscriber, User
from statuspage.services.page.rollup import Overall
from statuspage.services.page.view_models import NoticeView, UpdateView
from statuspage.services.response.clocks import SlaClock
from statuspage.services.site.settings import SiteSettings
from statuspage.visibility import component_visible

Json = dict[str, Any]


def api_time(value: datetime | None, settings: SiteSettings) -> str | None:
    """ISO 8601 with milliseconds and the page's UTC offset ("Z" when it is zero)."""
    if value is None:
        return None
    text = value.astimezone(settings.tz).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def api_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def api_time_zone(settings: SiteSettings) -> str:
    """Statuspage names its UTC pages Etc/UTC."""
    return "Etc/UTC" if settings.timezone in ("UTC", "Etc/UTC", "Z") else settings.timezone


def page_json(settings: SiteSettings, updated_at: datetime) -> Json:
    return {
        "id": settings.page_id,
        "name": settings.page_name,
        "url": settings.base_url,
        "time_zone": api_time_zone(settings),
        "updated_at": api_time(updated_at, settings),
    }


def status_json(overall: Overall) -> Json:
    return {"indicator": overall.indicator.value, "description": overall.description}


def component_json(
    component: Component,
    settings: SiteSettings,
    *,
    audience: Audience = Audience.PUBLIC,
    position: int | None = None,
) -> Json:
    return {
        "id": component.id,
        "name": component.name,
        "status": component.status_for(audience).value,
        "created_at": api_time(component.created_at, settings),
        "updated_at": api_time(component.updated_at, settings),
        "position": component.position if position is None else position,
        "description": component.description,
        "showcase": component.showcase,
        "start_date": api_date(component.start_date),
        "group_id": component.group_id,
        "page_id": settings.page_id,
        "group": False,
        "only_show_if_degraded": component.only_show_if_degraded,
    }


def group_json(
    group: ComponentGroup,
    children: list[Component],
    settings: SiteSettings,
    *,
    audience: Audience = Audience.PUBLIC,
    position: int | None = None,
) -> Json:
    status = ComponentStatus.worst(c.status_for(audience) for c in children)
    updated = max([group.updated_at, *(c.updated_at for c in children)])
    return {
        "id": group.id,
        "name": group.name,
        "status": status.value,
        "created_at": api_time(group.created_at, settings),
        "updated_at": api_time(updated, settings),
        "position": group.position if position is None else position,
        "description": group.description,
        "showcase": group.showcase,
        "start_date": api_date(group.start_date),
        "group_id": None,
        "page_id": settings.page_id,
        "group": True,
        "only_show_if_degraded": group.only_show_if_degraded,
        "components": [c.id for c in children],
    }


def components_json(
    groups: list[ComponentGroup],
    components: list[Component],
    settings: SiteSettings,
    *,
    audience: Audience = Audience.PUBLIC,
) -> list[Json]:
    """Top-level items by position, each group followed by its children (Statuspage's order).

    `position` is each item's place among the siblings this reader sees, so the numbers never
    hint at items hidden from them."""
    children: dict[str, list[Component]] = {g.id: [] for g in groups}
    top: list[ComponentGroup | Component] = []
    for component in components:
        if component.group_id is None:
            top.append(component)
        else:
            children[component.group_id].append(component)
    top += [group for group in groups if children[group.id]]
    items: list[Json] = []
    for place, item in enumerate(sorted(top, key=lambda i: (i.position, i.name.lower())), 1):
        if isinstance(item, Component):
            items.append(component_json(item, settings, audience=audience, position=place))
            continue
        members = sorted(children[item.id], key=lambda c: (c.position, c.name.lower()))
        items.append(group_json(item, members, settings, audience=audience, position=place))
        items += [
            component_json(c, settings, audience=audience, position=n)
            for n, c in enumerate(members, 1)
        ]
    return items


def update_json(update_view: UpdateView, settings: SiteSettings) -> Json:
    """One entry of incident_updates, its affected components as the reader may see them."""
    update = update_view.update
    affected = [
        {
            "code": change.component_id,
            "name": change.component.full_name,
            "old_status": (change.old_status or change.new_status).value,
            "new_status": change.new_status.value,
        }
        for change in update_view.changes
    ]
    return {
        "id": update.id,
        "status": update.notice.api_status(update.status_value),
        "body": update.body,
        "incident_id": update.notice_id,
        "created_at": api_time(update.created_at, settings),
        "updated_at": api_time(update.updated_at, settings),
        "display_at": api_time(update.display_at, settings),
        "affected_components": affected or None,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_json(view: NoticeView, settings: SiteSettings) -> Json:
    notice = view.notice
    updates = [update_json(update_view, settings) for update_view in view.updates]
    data: Json = {
        "id": notice.id,
        "name": notice.name,
        "status": view.api_status,
        "created_at": api_time(notice.created_at, settings),
        "updated_at": api_time(notice.updated_at, settings),
        "monitoring_at": api_time(notice.monitoring_at, settings),
        "resolved_at": api_time(notice.resolved_at, settings),
        "impact": notice.api_impact,
        "shortlink": settings.absolute_url(notice.public_path),
        # Statuspage: an incident's start; a window's creation (its announcement), not its start.
        "started_at": api_time(notice.announced_at, settings),
        "page_id": settings.page_id,
        "incident_updates": updates,
        "components": [
            component_json(c, settings, audience=view.audience) for c in view.components
        ],
    }
    data.update({key: api_time(value, settings) for key, value in notice.api_kind_fields().items()})
    return data


# The management API: Statuspage's shapes where they exist, plus what staff need to manage them
# (visibility, a window's automation). Never used by the public v2 endpoints above.


def managed_notice_json(
    view: NoticeView, settings: SiteSettings, clocks: list[SlaClock] | None = None
) -> Json:
    """An incident or a window with what staff manage besides Statuspage's fields (a window
    adds its automation: `Notice.managed_fields`; an incident its response, *clocks* its SLA)."""
    notice = view.notice
    return {
        **incident_json(view, settings),
        "visibility": notice.visibility.value,
        **notice.managed_fields(),
        **response_json(notice, clocks or [], settings),
    }


def managed_update_json(update_view: UpdateView, settings: SiteSettings) -> Json:
    """An update just posted: `published_at` stays null until a scheduled one is published."""
    update = update_view.update
    return {
        **update_json(update_view, settings),
        "visibility": update.visibility.value,
        "published_at": api_time(update.published_at, settings),
    }


def runbook_json(item: Component | ComponentGroup) -> Json:
    """The response details only staff read: never in a public answer (/api/v2)."""
    return {
        "owner_team": item.owner_team,
        "runbook_urls": list(item.runbook_urls or []),
        "escalation_contacts": [
            {"name": c.get("name", ""), "email": c.get("email", ""), "notes": c.get("notes") or ""}
            for c in item.escalation_contacts or []
        ],
        "internal_notes": item.internal_notes,
    }


def managed_component_json(component: Component, settings: SiteSettings) -> Json:
    """As staff see it (`status` moved by internal notices too), with what the public sees."""
    return {
        **component_json(component, settings, audience=Audience.INTERNAL),
        "visibility": component.visibility.value,
        "public_status": component.status.value,
        **runbook_json(component),
    }


def managed_group_json(
    group: ComponentGroup, children: list[Component], settings: SiteSettings
) -> Json:
    """A group as staff see it (*children*: its live components, internal ones too), with its
    visibility and the status the public sees: the worst of its public children's."""
    public = [c.status for c in children if component_visible(c, Audience.PUBLIC)]
    return {
        **group_json(group, children, settings, audience=Audience.INTERNAL),
        "visibility": group.visibility.value,
        "public_status": ComponentStatus.worst(public).value,
        **runbook_json(group),
    }


def managed_components_json(
    groups: list[ComponentGroup], components: list[Component], settings: SiteSettings
) -> list[Json]:
    """components_json as staff see it, with each item's visibility and public status."""
    items: list[ComponentGroup | Component] = [*groups, *components]
    extra = {item.id: {"visibility": item.visibility.value, **runbook_json(item)} for item in items}
    for component in components:
        extra[component.id]["public_status"] = component.status.value
    for group in groups:
        children = [
            c.status
            for c in components
            if c.group_id == group.id and component_visible(c, Audience.PUBLIC)
        ]
        extra[group.id]["public_status"] = ComponentStatus.worst(children).value
    return [
        {**item, **extra[item["id"]]}
        for item in components_json(groups, components, settings, audience=Audience.INTERNAL)
    ]


def subscriber_json(subscriber: Subscriber, settings: SiteSettings) -> Json:
    return {
        "id": subscriber.id,
        "kind": subscriber.kind.value,
        "email": subscriber.email,
        "endpoint": subscriber.endpoint_url,
        "state": subscriber.state.value,
        "cadence": subscriber.cadence.value,
        "created_at": api_time(subscriber.created_at, settings),
        "confirmed_at": api_time(subscriber.confirmed_at, settings),
    }


# Incident response on the management API: priority, roles, acknowledgement, SLA clocks.


def staff_user_json(user: User | None) -> Json | None:
    """A staff user as the response fields name them (never on a public answer)."""
    if user is None:
        return None
    return {"id": user.id, "email": user.email, "name": user.name}


def response_json(notice: Notice, clocks: list[SlaClock], settings: SiteSettings) -> Json:
    """Urgency, priority, roles, acknowledgement and SLA clocks of a prioritised notice (an
    incident); nothing for a kind that is not run against SLA targets (a window)."""
    if not notice.is_prioritised:
        return {}
    holders = notice.response_roles()
    return {
        "urgency": notice.urgency.value if notice.urgency else None,
        "priority": notice.priority.value if notice.priority else None,
        "computed_priority": notice.computed_priority.value if notice.computed_priority else None,
        "priority_override_reason": notice.priority_override_reason,
        "roles": {
            "commander": staff_user_json(holders.commander),
            "comms_lead": staff_user_json(holders.comms_lead),
            "responders": [staff_user_json(u) for u in holders.responders],
        },
        "acknowledged_at": api_time(notice.acknowledged_at, settings),
        "acknowledged_by": staff_user_json(holders.acknowledged_by),
        "sla": {
            clock.target.value: {
                "due_at": api_time(clock.due_at, settings),
                "met_at": api_time(clock.met_at, settings),
                "breached": clock.breached,
                "state": clock.state.value,
                "minutes": clock.minutes,
            }
            for clock in clocks
        },
    }


def integration_json(integration: Integration) -> Json:
    """An integration for the management API: its settings, never its secret."""
    return {
        "id": integration.id,
        "name": integration.name,
        "kind": integration.kind.value,
        "endpoint": integration.kind.endpoint,
        "secret_prefix": integration.prefix,
        "component_label": integration.component_label,
        "severity_label": integration.severity_label,
        "severity_map": dict(integration.severity_map),
        "damping_minutes": integration.damping_minutes,
        "incident_policy": integration.incident_policy.value,
        "template_id": integration.template_id,
        "enabled": integration.enabled,
        "created_at": _utc(integration.created_at),
        "last_event_at": _utc(integration.last_event_at),
    }


def _utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
