"""Every model, imported here so Alembic and `flask shell` see them all."""

from statuspage.models.api_token import ApiToken
from statuspage.models.audit import AuditEntry
from statuspage.models.automation import Alert
from statuspage.models.chat import ChatChannel, ChatMessage
from statuspage.models.checks import Check, CheckLatencyHistogram, CheckResult
from statuspage.models.component import (
    Component,
    ComponentDay,
    ComponentGroup,
    ComponentStatusChange,
)
from statuspage.models.integrations import Integration, IntegrationEventCount, UnmatchedAlert
from statuspage.models.notice import (
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceRecurrence,
    Notice,
    NoticeComponent,
    UpdateComponentChange,
)
from statuspage.models.problem import Problem, ProblemReport, ReportSpike, problem_component
from statuspage.models.response import (
    IncidentResponder,
    ResponseEvent,
    ResponseTemplate,
    SlaEscalation,
)
from statuspage.models.review import ActionItem, Postmortem
from statuspage.models.site import LoginThrottle, PageState, SchedulerHeartbeat, Setting, SiteAsset
from statuspage.models.subscriber import Delivery, NotificationEvent, Subscriber
from statuspage.models.user import User, UserSession

__all__ = [
    "ActionItem",
    "Alert",
    "ApiToken",
    "AuditEntry",
    "Check",
    "CheckLatencyHistogram",
    "CheckResult",
    "ChatChannel",
    "ChatMessage",
    "Component",
    "ComponentDay",
    "ComponentGroup",
    "ComponentStatusChange",
    "Delivery",
    "Incident",
    "IncidentResponder",
    "IncidentUpdate",
    "Integration",
    "IntegrationEventCount",
    "LoginThrottle",
    "Maintenance",
    "MaintenanceRecurrence",
    "Notice",
    "NotificationEvent",
    "NoticeComponent",
    "PageState",
    "Postmortem",
    "Problem",
    "ProblemReport",
    "ReportSpike",
    "ResponseEvent",
    "ResponseTemplate",
    "SchedulerHeartbeat",
    "Setting",
    "SiteAsset",
    "SlaEscalation",
    "Subscriber",
    "UnmatchedAlert",
    "UpdateComponentChange",
    "User",
    "UserSession",
    "problem_component",
]
