"""Every model, imported here so Alembic and `flask shell` see them all."""

from statuspage.models.api_token import ApiToken
from statuspage.models.audit import AuditEntry
from statuspage.models.component import (
    Component,
    ComponentDay,
    ComponentGroup,
    ComponentStatusChange,
)
from statuspage.models.notice import (
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceRecurrence,
    Notice,
    NoticeComponent,
    UpdateComponentChange,
)
from statuspage.models.site import LoginThrottle, PageState, SchedulerHeartbeat, Setting, SiteAsset
from statuspage.models.subscriber import Delivery, NotificationEvent, Subscriber
from statuspage.models.user import User, UserSession

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Component",
    "ComponentDay",
    "ComponentGroup",
    "ComponentStatusChange",
    "Delivery",
    "Incident",
    "IncidentUpdate",
    "LoginThrottle",
    "Maintenance",
    "MaintenanceRecurrence",
    "Notice",
    "NotificationEvent",
    "NoticeComponent",
    "PageState",
    "SchedulerHeartbeat",
    "Setting",
    "SiteAsset",
    "Subscriber",
    "UpdateComponentChange",
    "User",
    "UserSession",
]
