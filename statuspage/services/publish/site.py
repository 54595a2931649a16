"""Which URLs make the published site, and their bytes as the app itself serves them.

Every page is rendered by a request through the app (anonymous, the public audience), so the
published copy cannot differ from what a reader of the live app gets, nor show what the
public may not see: the same views, the same visibility rule.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask import Flask

from statuspage.enums import Audience
from statuspage.extensions import db
from statuspage.models import Incident, Notice
from statuspage.services.errors import ServiceError
from statuspage.services.page.builders import visible_tree
from statuspage.services.page.history import Month, count_history
from statuspage.services.site.settings import get_site_settings
from statuspage.visibility import notice_visible_clause

#: The WSGI environ key of the publisher's requests (no HTTP header can set it): the pages that
#: differ in a published copy (the subscribe form, which must reach the live app) read it.
PUBLISHED_ENVIRON_KEY = "statuspage.published"

#: The Statuspage v2 endpoints (statuspage/api/v2.py), and the rest of the fixed pages.
API_PATHS = (
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
    "/api/v2/openapi.json",
)
FIXED_PATHS = (
    "/",
    "/history",
    "/history.atom",
    "/history.rss",
    "/history.json",
    "/maintenance.ics",
    "/uptime",
    "/uptime.json",
    "/api",
    "/subscribe",
    "/brand.css",
    "/badge.svg",
    "/badge.json",
    *API_PATHS,
)
#: What the site has for each public component besides its history months.
COMPONENT_FILES = ("history.atom", "history.rss", "history.json", "badge.svg", "badge.json")
#: A path no route answers: its answer is the site's 404 page.
MISSING_PATH = "/404"
NOT_FOUND_FILE = "404.html"


class PublishError(ServiceError):
    """The site could not be published (a page did not render, a target is not ours)."""


@dataclass(frozen=True)
class PublishedFile:
    """One file of the published site: the URL it answers, its bytes and their type."""

    url_path: str
    body: bytes
    content_type: str

    @property
    def file_name(self) -> str:
        """Where nginx's `try_files $uri $uri.html $uri/index.html` finds it."""
        if self.url_path == MISSING_PATH:
            return NOT_FOUND_FILE
        name = self.url_path.lstrip("/")
        if name == "" or name.endswith("/"):
            return name + "index.html"
        if "." in PurePosixPath(name).name:
            return name
        if self.content_type.startswith("text/html"):
            return name + ".html"
        return name + (mimetypes.guess_extension(self.content_type.split(";")[0]) or "")

    @property
    def object_key(self) -> str:
        """Its key in object storage, where a path is a key: `/incidents/<id>` as it is."""
        if self.file_name.endswith("index.html") or self.file_name == NOT_FOUND_FILE:
            return self.file_name
        return self.url_path.lstrip("/")


def _history_paths(per_page: int, current: Month) -> list[str]:
    """Every month of the history from the first entry to now, every page, in all and per
    component: each month's links lead to the next file."""
    counts = count_history(Audience.PUBLIC)
    first = min((month for month, _ in counts), default=current)
    _, components = visible_tree(Audience.PUBLIC)
    paths = [f"/components/{c.id}/history/" for c in components]
    month = first
    while month <= current:
        for component_id in (None, *(c.id for c in components)):
            base = f"/components/{component_id}" if component_id else ""
            pages = max(1, -(-counts.get((month, component_id), 0) // per_page))
            paths.append(f"{base}/history/{month}/")
            paths += [f"{base}/history/{month}/page/{n}/" for n in range(2, pages + 1)]
        month = month.shift(1)
    return paths


def site_paths(app: Flask, *, current: Month) -> list[str]:
    """Every URL of the public site, static files aside."""
    kinds = {m.polymorphic_identity: m.class_ for m in Notice.__mapper__.self_and_descendants}
    notices = [  # ids and kinds only: an incremental publish lists every path each time
        (kinds[kind], notice_id)
        for notice_id, kind in db.session.execute(
            sa.select(Notice.id, Notice.type).where(notice_visible_clause(Audience.PUBLIC, Notice))
        )
    ]
    _, components = visible_tree(Audience.PUBLIC)
    paths = [*FIXED_PATHS, MISSING_PATH]
    paths += sorted(f"/{kind.path_segment}/{notice_id}" for kind, notice_id in notices)
    paths += sorted(  # an incident's v2 JSON
        f"/{kind.path_segment}/{notice_id}.json"
        for kind, notice_id in notices
        if issubclass(kind, Incident)
    )
    paths += [f"/components/{c.id}/{name}" for c in components for name in COMPONENT_FILES]
    if get_site_settings().logo_stamp:
        paths.append("/logo")
    return paths + _history_paths(app.config["HISTORY_PAGE_SIZE"], current)


def render_pages(app: Flask, paths: list[str]) -> Iterator[PublishedFile]:
    """Each path as the app answers an anonymous reader; anything but a 200 (the 404 page's
    404) stops the publish, so a half-rendered site is never swapped in."""
    client = app.test_client()
    for path in paths:
        with app.app_context():  # its own session and `g`, as each request has in a worker
            response = client.get(path, environ_overrides={PUBLISHED_ENVIRON_KEY: True})
        expected = 404 if path == MISSING_PATH else 200
        if response.status_code != expected:
            raise PublishError(f"{path} answered {response.status_code}; nothing was published.")
        yield PublishedFile(path, response.get_data(), response.content_type)


def static_files(app: Flask) -> Iterator[PublishedFile]:
    """The static assets, byte for byte, under the URLs the pages link them by."""
    root = Path(app.static_folder or "")
    url_path = app.static_url_path or "/static"
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        yield PublishedFile(f"{url_path}/{relative}", path.read_bytes(), content_type)


def build_site(app: Flask, *, current: Month) -> Iterator[PublishedFile]:
    """The whole public site, pages then assets."""
    yield from render_pages(app, site_paths(app, current=current))
    yield from static_files(app)
