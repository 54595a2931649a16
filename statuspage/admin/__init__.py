"""The admin blueprint (/admin): every view module registers its routes on `bp`."""

from statuspage.admin import (
    audit,
    chat,
    checks,
    components,
    dashboard,
    incidents,
    integrations,
    maintenance,
    problems,
    reports,
    response,
    review,
    settings,
    subscribers,
    templates,
    tokens,
    users,
)
from statuspage.admin.blueprint import bp

__all__ = [
    "audit",
    "bp",
    "checks",
    "chat",
    "components",
    "dashboard",
    "incidents",
    "integrations",
    "maintenance",
    "problems",
    "reports",
    "response",
    "review",
    "settings",
    "subscribers",
    "templates",
    "tokens",
    "users",
]
