"""The history feeds: Atom and RSS in Statuspage's shape (built with feedgen), and JSON Feed
1.1 (https://www.jsonfeed.org/version/1.1/) with the same items, ids and HTML.

The functions here take NoticeViews the read services already filtered for one audience and
never query: what a feed shows is decided in services/history.py, how it looks is decided here.
Every date comes from the data (never "now"), so two renders of one page version are identical.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

import lxml.html
from feedgen.feed import FeedEntry, FeedGenerator

from statuspage.enums import Audience
from statuspage.markdown import render_plain
from statuspage.models import Component, IncidentUpdate, Notice, Postmortem
from statuspage.services.page.view_models import NoticeView, UpdateView
from statuspage.services.site.settings import SiteSettings
from statuspage.templating import local, notice_url, zone_label

FeedFormat = Literal["atom", "rss", "json"]
CONTENT_TYPES: dict[str, str] = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: Statuspage labels an update that did not change the status this way.
REPEAT_LABEL = "Update"
NOTE_LABEL = "Internal note"
#: The label of a published postmortem, on top of the incident's entry (Statuspage's word).
POSTMORTEM_LABEL = "Postmortem"
GENERATOR = "Status page"
#: English month names whatever the server's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def tag_host(settings: SiteSettings) -> str:
    """The authority of our tag URIs (RFC 4151): the BASE_URL host, without port."""
    return urlsplit(settings.base_url).hostname or "localhost"


def feed_title(
    settings: SiteSettings, component: Component | None = None, audience: Audience = Audience.PUBLIC
) -> str:
    """Statuspage's feed titles, which readers show as the subscription name; the internal feed
    says so, so nobody mistakes it for the public one."""
    scope = "Internal " if audience is Audience.INTERNAL else ""
    if component is None:
        return f"{settings.status_title} - {scope}Incident History"
    return f"{settings.status_title} - {scope}{component.full_name} History"


def entry_id(notice: Notice, host: str) -> str:
    """A tag URI that never changes, so readers never show one incident twice."""
    return f"tag:{host},2005:{notice.tag_kind}/{notice.id}"


def label_updates(view: NoticeView) -> list[tuple[UpdateView, str]]:
    """Each update with its label, newest first: its status, or "Update" when it repeats the
    status of the update before it (Statuspage's wording)."""
    labelled: list[tuple[UpdateView, str]] = []
    previous: str | None = None
    for update_view in reversed(view.updates):
        update = update_view.update
        if update.is_note:
            labelled.append((update_view, NOTE_LABEL))
            continue
        same = update.status_value == previous
        labelled.append((update_view, REPEAT_LABEL if same else update_view.status_label))
        previous = update.status_value
    return labelled[::-1]


def _inner_html(element: lxml.html.HtmlElement) -> str:
    """A paragraph's content without its <p>, escaped as it was."""
    children = "".join(lxml.html.tostring(child, encoding="unicode") for child in element)
    return html.escape(element.text or "", quote=False) + children


def render_inline_body(update: IncidentUpdate | Postmortem) -> str:
    """The body as inline HTML so each update stays one <p> that consumers can split on:
    paragraphs become line breaks; richer bodies (lists, tables, code) fall back to text."""
    source = (update.body_html or "").strip()
    blocks = lxml.html.fragments_fromstring(source) if source else []
    if blocks and all(not isinstance(b, str) and b.tag == "p" for b in blocks):
        return "<br><br>".join(_inner_html(block) for block in blocks)
    return html.escape(render_plain(update.body), quote=False).replace("\n", "<br>")


def render_time_html(moment: datetime) -> str:
    """Statuspage's <small> time stamp, in the page's zone and naming it, as on the pages."""
    shown = local(moment)
    return (
        f"<small>{_MONTHS[shown.month - 1]} <var data-var='date'>{shown.day}</var>, "
        f"<var data-var='time'>{shown:%H:%M}</var> {zone_label(moment)}</small>"
    )


def render_window_html(start: datetime, end: datetime) -> str:
    """Statuspage's first line of a maintenance entry: when the window is, in the page zone."""
    first, last = local(start), local(end)
    span = f"<var data-var='time'>{last:%H:%M}</var>"
    if last.date() != first.date():
        span = f"{_MONTHS[last.month - 1]} <var data-var='date'>{last.day}</var>, {span}"
    return (
        f"<p><strong>THIS IS A SCHEDULED EVENT {_MONTHS[first.month - 1]} "
        f"<var data-var='date'>{first.day}</var>, <var data-var='time'>{first:%H:%M}</var> - "
        f"{span} {zone_label(end)}</strong></p>"
    )


def render_entry_html(view: NoticeView) -> str:
    """The window, if any, then every update newest first, one <p> each, in the markup feed
    consumers parse."""
    window = view.notice.window
    parts = [render_window_html(*window)] if window else []
    if view.postmortem is not None:  # the incident's entry carries it, newest on top
        postmortem = view.postmortem
        stamp = render_time_html(postmortem.published_at or postmortem.updated_at)
        body = render_inline_body(postmortem)
        parts.append(f"<p>{stamp}<br><strong>{POSTMORTEM_LABEL}</strong> - {body}</p>")
    for update_view, label in label_updates(view):
        update = update_view.update
        body = render_inline_body(update)
        text = f" - {body}" if body else ""
        stamp = render_time_html(update.display_at)
        parts.append(f"<p>{stamp}<br><strong>{html.escape(label)}</strong>{text}</p>")
    return "".join(parts)


def _whole_second(moment: datetime) -> datetime:
    """Feeds show seconds; dropping microseconds keeps Atom and RSS dates equal."""
    return moment.replace(microsecond=0)


def entry_updated(view: NoticeView) -> datetime:
    """When the entry last changed for its readers: its latest visible update, or its
    postmortem's publication or last edit."""
    latest = view.latest
    moment = latest.update.display_at if latest else view.notice.announced_at
    if view.postmortem is not None:  # published, or edited since
        moment = max(moment, view.postmortem.updated_at)
    return _whole_second(moment)


def _add_entry(
    fg: FeedGenerator,
    view: NoticeView,
    *,
    fmt: FeedFormat,
    audience: Audience,
    host: str,
) -> None:
    """One <entry>/<item> per notice, in the order given (feedgen prepends by default)."""
    notice = view.notice
    entry: FeedEntry = fg.add_entry(order="append")
    entry.guid(entry_id(notice, host), permalink=False)  # also the Atom <id>
    entry.title(notice.name)
    entry.link(href=notice_url(notice, audience, external=True), rel="alternate")
    entry.published(_whole_second(notice.announced_at))
    entry.updated(entry_updated(view))
    content = render_entry_html(view)
    # feedgen: description() would also overwrite the Atom content, so each format sets one.
    if fmt == "rss":
        entry.description(content)
    else:
        entry.content(content, type="html")


def build_feed(
    notices: Sequence[NoticeView],
    *,
    fmt: FeedFormat,
    audience: Audience,
    settings: SiteSettings,
    title: str,
    self_path: str,
    page_url: str,
    empty_updated: datetime,
) -> bytes:
    """The Atom or RSS document for *notices* (already filtered for *audience*, newest first).

    The feed id is the tag URI of *self_path* without its extension, so the Atom and RSS
    versions of one feed share it.
    """
    host = tag_host(settings)
    self_url = settings.absolute_url(self_path)
    if fmt == "json":
        return _json_feed(notices, audience, settings, title, self_url, page_url, host)
    fg = FeedGenerator()
    fg.id(f"tag:{host},2005:{self_path.rsplit('.', 1)[0]}")
    fg.title(title)
    fg.subtitle(_description(settings))
    fg.author({"name": settings.page_name, "uri": settings.absolute_url("/")})
    fg.generator(GENERATOR)
    fg.language("en")
    self_type = "application/atom+xml" if fmt == "atom" else "application/rss+xml"
    links = [
        {"href": page_url, "rel": "alternate", "type": "text/html"},
        {"href": self_url, "rel": "self", "type": self_type},
    ]  # Statuspage's order in Atom
    if fmt == "rss":
        links.reverse()  # feedgen: RSS's channel <link> is the last link added: the page
    for link in links:
        fg.link(**link)
    for view in notices:
        _add_entry(fg, view, fmt=fmt, audience=audience, host=host)
    dates = [entry_updated(view) for view in notices]
    fg.updated(max(dates) if dates else _whole_second(empty_updated))
    if fmt == "rss":
        return fg.rss_str(pretty=False)
    return fg.atom_str(pretty=False)


def _description(settings: SiteSettings) -> str:
    return f"Incidents and maintenance reported on the {settings.page_name} status page"


def _json_feed(
    notices: Sequence[NoticeView],
    audience: Audience,
    settings: SiteSettings,
    title: str,
    self_url: str,
    page_url: str,
    host: str,
) -> bytes:
    """The JSON Feed of *notices*: each item the Atom entry's id, link, title, dates and
    HTML (JSON Feed has no feed-level date: readers order by the items')."""
    items = [
        {
            "id": entry_id(view.notice, host),
            "url": notice_url(view.notice, audience, external=True),
            "title": view.notice.name,
            "content_html": render_entry_html(view),
            "date_published": _whole_second(view.notice.announced_at).isoformat(),
            "date_modified": entry_updated(view).isoformat(),
        }
        for view in notices
    ]
    feed = {
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": page_url,
        "feed_url": self_url,
        "description": _description(settings),
        "authors": [{"name": settings.page_name, "url": settings.absolute_url("/")}],
        "language": "en",
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False).encode()
