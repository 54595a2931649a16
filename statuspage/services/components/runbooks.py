"""What responders need about a component or group, for staff only: the team that owns it, its
runbook links, whom to call, and notes in Markdown. Written with the item (tree.py's create and
update take a `RunbookInput`) or on its own (`set_runbook`); read for the staff pages
(`runbooks_for`) and for escalation mail (`escalation_addresses`).

These columns are in the models' `__internal_columns__`: changing only them moves the internal
page version and nothing a public reader can see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.enums import IncidentStatus
from statuspage.extensions import db
from statuspage.limits import (
    MAX_BODY,
    MAX_CONTACT_NOTES,
    MAX_CONTACTS,
    MAX_NAME,
    MAX_RUNBOOKS,
)
from statuspage.markdown import render_markdown
from statuspage.models import Component, ComponentGroup, Incident, NoticeComponent
from statuspage.services.errors import InvalidInput
from statuspage.services.inputs import clean_email, clean_text, clean_url, strip_controls
from statuspage.services.unit import Actor, unit_of_work

Item = Component | ComponentGroup

#: Characters that are not spaces or controls, the same in Python and in the OpenAPI description.
_NOT_SPACE = (
    r"[^\u0000-\u0020\u007f-\u009f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)
#: A runbook link: http(s), an ASCII host (punycode for others), then anything but spaces. The
#: OpenAPI description's pattern is this one (matched whole: `fullmatch`).
RUNBOOK_URL = (
    r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9.:@%_~!$&'()*+,;=-]+"
    rf"(?:[/?#]{_NOT_SPACE}*)?$"
)
RUNBOOK_URL_RE = re.compile(RUNBOOK_URL)
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9]{1,16}(?:-[A-Za-z0-9]{1,16}){0,2}"
#: The addresses the management API takes: the usual shape, short enough for every limit (the
#: services check each with email-validator, as the admin's form does).
CONTACT_EMAIL = (
    rf"^{_ATEXT}{{1,32}}(?:\.{_ATEXT}{{1,15}}){{0,2}}@(?:{_LABEL}\.){{1,3}}[A-Za-z]{{2,24}}$"
)
CONTACT_EMAIL_RE = re.compile(CONTACT_EMAIL)
#: "Name <email>" and optionally a dash (or a colon or a bar) and notes, one contact per line.
_CONTACT_LINE = re.compile(
    r"(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>\s*(?:[—–\-|:]\s*(?P<notes>.*))?"
)


@dataclass(frozen=True)
class Contact:
    """Someone to call: an email address always, a phone number or words in the notes."""

    name: str
    email: str
    notes: str = ""

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "notes": self.notes}

    def as_line(self) -> str:
        """The admin textarea's form of it, which `parse_contact_lines` reads back."""
        line = f"{self.name} <{self.email}>"
        return f"{line} — {self.notes}" if self.notes else line


@dataclass(frozen=True)
class RunbookInput:
    """The four fields as a caller gives them; the services clean and check them."""

    owner_team: str | None = None
    runbook_urls: Sequence[str] = ()
    escalation_contacts: Sequence[Mapping[str, str | None]] = ()
    internal_notes: str | None = None

    @classmethod
    def of(cls, item: Item) -> RunbookInput:
        """What *item* holds now (a partial change starts from it)."""
        return cls(
            owner_team=item.owner_team,
            runbook_urls=list(item.runbook_urls or []),
            escalation_contacts=list(item.escalation_contacts or []),
            internal_notes=item.internal_notes,
        )


@dataclass(frozen=True)
class RunbookView:
    """One component's or group's response details, ready for a template."""

    item: Item
    owner_team: str | None
    runbook_urls: list[str]
    contacts: list[Contact]
    notes_html: str
    #: The affected components a group is shown for (none for a component itself).
    children: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.owner_team or self.runbook_urls or self.contacts or self.notes_html)


def _clean_urls(urls: Sequence[str]) -> list[str]:
    if len(urls) > MAX_RUNBOOKS:
        raise InvalidInput(f"At most {MAX_RUNBOOKS} runbook links.", field="runbook_urls")
    cleaned: list[str] = []
    for number, raw in enumerate(urls, start=1):
        if not isinstance(raw, str):
            raise InvalidInput(f"Runbook link {number} is not text.", field="runbook_urls")
        shown = strip_controls(raw).strip()[:80]
        try:
            url = clean_url(raw, field="runbook_urls", schemes=("http", "https"), required=True)
        except InvalidInput as error:
            raise InvalidInput(
                f"Runbook link {number} ({shown}): {error.message}", field="runbook_urls"
            ) from error
        if not RUNBOOK_URL_RE.fullmatch(url):
            raise InvalidInput(
                f"Runbook link {number} ({shown}): use an http:// or https:// address with an "
                "ASCII host name (punycode for others) and no spaces.",
                field="runbook_urls",
            )
        if url not in cleaned:
            cleaned.append(url)
    return cleaned


def _clean_contacts(contacts: Sequence[Mapping[str, str | None]]) -> list[dict[str, str]]:
    if len(contacts) > MAX_CONTACTS:
        raise InvalidInput(
            f"At most {MAX_CONTACTS} escalation contacts.", field="escalation_contacts"
        )
    cleaned: list[dict[str, str]] = []
    for number, raw in enumerate(contacts, start=1):
        label = f"Contact {number}"
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"{label} is not a contact.", field="escalation_contacts")
        name = clean_text(
            raw.get("name"),
            field="escalation_contacts",
            max_length=MAX_NAME,
            required=True,
            label=f"{label}: a name",
        )
        email = clean_email(
            raw.get("email"), field="escalation_contacts", label=f"{label} ({name}): an email"
        )
        notes = clean_text(
            raw.get("notes"),
            field="escalation_contacts",
            max_length=MAX_CONTACT_NOTES,
            required=False,
            label=f"{label} ({name}): the notes",
        )
        cleaned.append(Contact(name=name, email=email, notes=notes).as_json())
    return cleaned


def clean_runbook(runbook: RunbookInput) -> dict[str, object]:
    """The column values for *runbook*, each field checked; InvalidInput names the field."""
    owner = clean_text(
        runbook.owner_team,
        field="owner_team",
        max_length=MAX_NAME,
        required=False,
        label="The owner team",
    )
    notes = clean_text(
        runbook.internal_notes,
        field="internal_notes",
        max_length=MAX_BODY,
        required=False,
        label="The notes",
    )
    return {
        "owner_team": owner or None,
        "runbook_urls": _clean_urls(list(runbook.runbook_urls)),
        "escalation_contacts": _clean_contacts(list(runbook.escalation_contacts)),
        "internal_notes": notes or None,
    }


def apply_runbook(item: Item, runbook: RunbookInput) -> None:
    """Write *runbook* on *item*, inside the caller's unit of work (create and update use it)."""
    for column, value in clean_runbook(runbook).items():
        if getattr(item, column) != value:  # an equal list left alone is no change at all
            setattr(item, column, value)


def set_runbook(
    item: Item, runbook: RunbookInput, *, actor: Actor, now: datetime | None = None
) -> Item:
    """Change only the response details of a component or group (an internal change)."""
    with unit_of_work("set_runbook", actor=actor, now=now):
        apply_runbook(item, runbook)
    return item


def parse_runbook_lines(text: str | None) -> list[str]:
    """The admin textarea of links: one a line, blank lines skipped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_contact_lines(text: str | None) -> list[dict[str, str]]:
    """The admin textarea of contacts, "Name <email> — notes" a line; InvalidInput names the
    first line that is not of that shape (blank lines are skipped, and counted)."""
    contacts: list[dict[str, str]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = strip_controls(raw).strip()
        if not line:
            continue
        match = _CONTACT_LINE.fullmatch(line)
        if match is None or not match["name"].strip():
            raise InvalidInput(
                f"Line {number} ({line[:80]}) is not of the form "
                "“Name <email@example.com> — phone or notes”.",
                field="escalation_contacts",
            )
        contacts.append(
            {
                "name": match["name"].strip(),
                "email": match["email"].strip(),
                "notes": (match["notes"] or "").strip(),
            }
        )
    return contacts


def contact_lines(item: Item | None) -> str:
    """*item*'s contacts as the admin textarea shows them."""
    contacts = _contacts_of(item) if item is not None else []
    return "\n".join(contact.as_line() for contact in contacts)


def _contacts_of(item: Item) -> list[Contact]:
    return [
        Contact(name=c.get("name", ""), email=c.get("email", ""), notes=c.get("notes") or "")
        for c in item.escalation_contacts or []
    ]


def _view(item: Item, children: list[str] | None = None) -> RunbookView:
    notes = item.internal_notes or ""
    return RunbookView(
        item=item,
        owner_team=item.owner_team,
        runbook_urls=list(item.runbook_urls or []),
        contacts=_contacts_of(item),
        notes_html=render_markdown(notes) if notes.strip() else "",
        children=children or [],
    )


def _unique(components: Iterable[Component]) -> list[Component]:
    return list(dict.fromkeys(components))


def _with_groups(components: Iterable[Component]) -> list[Item]:
    """Each component once, in order, its group before it (each group once)."""
    items: list[Item] = []
    for component in _unique(components):
        if component.group is not None and component.group not in items:
            items.append(component.group)
        items.append(component)
    return items


def runbooks_for(components: Iterable[Component]) -> list[RunbookView]:
    """The response details of *components* and of their groups, a group first: every
    component, and a group only when something is recorded on it."""
    components = _unique(components)
    views: list[RunbookView] = []
    groups_done: set[str] = set()
    for component in components:
        group = component.group
        if group is not None and group.id not in groups_done:
            groups_done.add(group.id)
            view = _view(group, [c.name for c in components if c.group_id == group.id])
            if not view.is_empty:
                views.append(view)
        views.append(_view(component))
    return views


def open_incident_components() -> list[Component]:
    """The live components open incidents (internal ones too) affect, in page order."""
    affected = (
        sa.select(NoticeComponent.component_id)
        .join(Incident, Incident.id == NoticeComponent.notice_id)
        .where(Incident.status_value != IncidentStatus.RESOLVED.value)
    )
    # IN, not DISTINCT: PostgreSQL has no equality for the json columns.
    query = (
        sa.select(Component)
        .where(Component.id.in_(affected), Component.archived_at.is_(None))
        .options(selectinload(Component.group))
    )
    found = db.session.scalars(query).all()

    def order(component: Component) -> tuple[int, int, str]:
        top = component.group.position if component.group else component.position
        inner = component.position if component.group else 0
        return (top, inner, component.name.lower())

    return sorted(found, key=order)


def runbooks_for_open_incidents() -> list[RunbookView]:
    """What /internal shows: the response details of everything an open incident affects."""
    return runbooks_for(open_incident_components())


def escalation_addresses(incident: Incident) -> list[str]:
    """The escalation contacts' addresses of the incident's affected components and of their
    groups, each once and lower-cased (mail to ALICE@ and alice@ is one mail)."""
    seen: set[str] = set()
    addresses: list[str] = []
    for item in _with_groups(incident.components):
        for contact in _contacts_of(item):
            key = contact.email.lower()
            if contact.email and key not in seen:
                seen.add(key)
                addresses.append(key)
    return sorted(addresses)
