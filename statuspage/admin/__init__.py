"""The admin blueprint (/admin): every view module registers its routes on `bp`."""

from statuspage.admin import (
    audit,
    components,
    dashboard,
    incidents,
    maintenance,
    settings,
    subscribers,
    tokens,
    users,
)
from statuspage.admin.blueprint import bp

__all__ = [
    "audit",
    "bp",
    "components",
    "dashboard",
    "incidents",
    "maintenance",
    "settings",
    "subscribers",
    "tokens",
    "users",
]
