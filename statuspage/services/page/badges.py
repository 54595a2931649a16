"""What a status badge says: the page's roll-up or one public component's status, as a label,
a message and a colour (statuspage/badges.py draws it as an SVG or as shields.io's JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from statuspage.enums import Audience
from statuspage.services.page.builders import build_status_page, visible_tree

#: The page badge's label unless the reader asks for another (`?label=`).
PAGE_LABEL = "status"


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    #: "#rrggbb", the status colour of the page's stylesheet.
    colour: str

    def relabelled(self, label: str | None) -> Badge:
        return self if label is None else Badge(label, self.message, self.colour)


def build_page_badge(*, now: datetime) -> Badge:
    """The banner's words and colour: the public roll-up, raised by open public incidents."""
    page = build_status_page(
        Audience.PUBLIC, now=now, with_uptime=False, with_history=False, with_notes=False
    )
    return Badge(PAGE_LABEL, page.overall.description, page.overall.indicator.colour)


def build_component_badge(component_id: str) -> Badge | None:
    """A public component's name and public status; None for any component the public page
    does not list (unknown, internal, in an internal group, archived) and for groups."""
    _, components = visible_tree(Audience.PUBLIC)
    component = next((c for c in components if c.id == component_id), None)
    if component is None:
        return None
    status = component.status_for(Audience.PUBLIC)
    return Badge(component.name, status.label, status.colour)
