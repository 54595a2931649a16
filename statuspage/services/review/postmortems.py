"""An incident's postmortem: the blameless template prefilled from its timeline, drafts saved
and edited, publishing (optionally telling the incident's subscribers through the outbox)."""

from __future__ import annotations

from datetime import datetime

import lxml.html

from statuspage.enums import IncidentStatus
from statuspage.extensions import db
from statuspage.limits import MAX_POSTMORTEM
from statuspage.markdown import render_markdown
from statuspage.models import Incident, Postmortem
from statuspage.services.errors import IncidentOpen, InvalidInput, InvalidTransition
from statuspage.services.inputs import clean_text
from statuspage.services.outbox.events import record_postmortem_event
from statuspage.services.response.console import TimelineEntry, build_internal_timeline
from statuspage.services.unit import Actor, unit_of_work
from statuspage.templating import format_datetime, format_duration, zone_label

#: The template's sections, in order (docs/post-incident-review.md explains each).
SECTIONS = (
    ("Summary", "What happened, in two or three sentences, for readers who read nothing else."),
    ("Customer impact", ""),
    ("Timeline", ""),
    ("Root cause", "The underlying cause: what in the system made this possible."),
    (
        "Contributing factors",
        "Conditions that made it more likely, larger or longer (load, a recent change, a "
        "missing alert, an unclear runbook).",
    ),
    ("What went well", "What helped us detect, respond and recover."),
    ("What went wrong", "Where the response was slowed or the impact made worse."),
    ("Action items", "What we will change, each with an owner and a due date (tracked below)."),
)
BLAMELESS_NOTE = (
    "*This review is blameless: it describes what the systems and the decisions made with the "
    "information at hand did, not who is at fault.*"
)


def _entry_text(entry: TimelineEntry) -> str:
    """One timeline line's words: an update's Markdown, or a staff entry's text."""
    if entry.update is not None:
        source = entry.update.body
    else:
        source = lxml.html.fromstring(entry.html).text_content() if entry.html.strip() else ""
    return " ".join(source.split())


def timeline_lines(incident: Incident) -> list[str]:
    """The incident's own timeline, oldest first, times in the page's zone; staff-side entries
    are marked so the editor can remove what should not be published."""
    lines = []
    for entry in reversed(build_internal_timeline(incident)):
        if entry.update is not None and not entry.update.is_published:
            continue  # a scheduled update has not happened
        marks = "".join(f" ({tag.lower()})" for tag in entry.tags)
        staff = "" if entry.kind == "update" and not entry.tags else " *(staff only)*"
        words = _entry_text(entry)
        actor = f" ({entry.actor})" if entry.actor and entry.kind != "update" else ""
        lines.append(
            f"- **{format_datetime(entry.at)}** {entry.title}{marks}{staff}{actor}"
            + (f": {words}" if words else "")
        )
    return lines


def default_postmortem_body(incident: Incident) -> str:
    """The blameless template for *incident*, its impact and timeline filled in."""
    ended = incident.resolved_at
    impact = (
        f"Started {format_datetime(incident.started_at)}"
        + (
            f", resolved {format_datetime(ended)} ({format_duration(ended - incident.started_at)})"
            if ended
            else ", not resolved yet"
        )
        + f". Impact: {incident.impact.value}."
    )
    affected = ", ".join(c.full_name for c in incident.components)
    if affected:
        impact += f" Affected: {affected}."
    parts = [BLAMELESS_NOTE]
    for title, hint in SECTIONS:
        parts.append(f"## {title}")
        if title == "Customer impact":
            parts.append(impact + "\n\n*Who was affected, and how.*")
        elif title == "Timeline":
            zone = zone_label(incident.started_at)
            lines = timeline_lines(incident) or ["- *No entries yet.*"]
            parts.append(
                f"All times {zone}. Entries marked *(staff only)* come from the internal "
                "timeline: remove what should not be published.\n\n" + "\n".join(lines)
            )
        else:
            parts.append(f"*{hint}*")
    return "\n\n".join(parts) + "\n"


def clean_postmortem_body(body: str | None) -> str:
    return clean_text(
        body, field="body", max_length=MAX_POSTMORTEM, required=True, label="The postmortem"
    )


def save_postmortem(
    incident: Incident, *, body: str, actor: Actor, now: datetime | None = None
) -> Postmortem:
    """Write the incident's postmortem (a draft the first time); an edit after publication is
    a public change, kept in the audit log, and moves the incident's `updated_at`."""
    with unit_of_work("save_postmortem", actor=actor, now=now) as now:
        text = clean_postmortem_body(body)
        postmortem = incident.postmortem
        if postmortem is None:
            postmortem = Postmortem(notice=incident, author_id=actor.user_id, created_at=now)
            db.session.add(postmortem)
        postmortem.body = text
        postmortem.body_html = render_markdown(text)
        postmortem.updated_at = now
        if postmortem.is_published:
            incident.updated_at = now
    return postmortem


def publish_postmortem(
    incident: Incident, *, notify: bool, actor: Actor, now: datetime | None = None
) -> Postmortem:
    """Show the postmortem on the public incident page, feeds and JSON (its status becomes
    `postmortem`); with *notify*, queue one mail to the incident's subscribers."""
    with unit_of_work("publish_postmortem", actor=actor, now=now) as now:
        postmortem = incident.postmortem
        if postmortem is None or not postmortem.body.strip():
            raise InvalidInput("Write the postmortem before publishing it.", field="body")
        if postmortem.is_published:
            raise InvalidTransition("This postmortem is already published.")
        if incident.status is not IncidentStatus.RESOLVED:
            raise IncidentOpen("Resolve the incident before publishing its postmortem.")
        postmortem.published_at = now
        postmortem.updated_at = now
        incident.updated_at = now
        if notify and record_postmortem_event(postmortem) is not None:
            postmortem.notified_at = now
    return postmortem
