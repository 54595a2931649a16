"""One publish into a folder: the whole site (on demand, nightly, when a publisher starts) or
only the pages the writes since the last publish touched.

An incremental publish renders the pages that show everything current (the home page, the
feeds, the v2 JSON, the calendar, uptime), the touched notices' pages, the history months
they are listed in (in all and per affected component) and those components' own pages and
feeds; a page the site no longer has (an incident made internal, or deleted) is left out of
the new build, so it is gone from the published site at the swap, and a page it did not
have before (a new incident, a new month) is rendered. Anything the audit log cannot map to
pages (a setting, a component renamed or added) rebuilds everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path

from flask import Flask

from statuspage.models import Incident, Maintenance
from statuspage.services.page.history import Month
from statuspage.services.publish import writer
from statuspage.services.publish.changes import Changes, find_changes, read_marks
from statuspage.services.publish.site import (
    COMPONENT_FILES,
    FIXED_PATHS,
    MISSING_PATH,
    PublishedFile,
    render_pages,
    site_paths,
    static_files,
)
from statuspage.services.publish.state import (
    PublishState,
    publish_lock,
    read_state,
    write_state,
)

#: Pages that show everything current: every publish that renders anything renders them.
CURRENT_PATHS = frozenset({*FIXED_PATHS, MISSING_PATH, "/logo"})
#: The uptime pages, the dearest to render (every component's months): rendered when a
#: component's status moved; the minutes an outage adds as time passes wait for the next
#: status change or the nightly rebuild.
UPTIME_PATHS = frozenset({"/uptime", "/uptime.json"})


@dataclass(frozen=True)
class PassReport:
    """What one publish did."""

    kind: str  # full | incremental | unchanged | busy
    version: int = 0
    full_at: datetime | None = None
    rendered: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    build: str = ""
    reason: str = ""

    def describe(self) -> str:
        if self.kind in ("unchanged", "busy"):
            return {"unchanged": "Nothing changed.", "busy": "Another publisher is at work."}[
                self.kind
            ]
        why = f" ({self.reason})" if self.reason else ""
        return (
            f"{self.kind.capitalize()} publish{why}: {len(self.rendered)} pages rendered, "
            f"{len(self.removed)} removed, build {self.build}."
        )


def select_paths(paths: list[str], changes: Changes, previous: dict[str, str]) -> list[str]:
    """Of the site's *paths*, those to render: the current pages, what *changes* touched,
    and any the previous build did not have."""
    wanted = set(CURRENT_PATHS if changes.statuses else CURRENT_PATHS - UPTIME_PATHS)
    for notice_id in changes.notices:
        for kind in (Incident, Maintenance):  # the id says nothing of its kind; either page
            wanted |= {
                f"/{kind.path_segment}/{notice_id}",
                f"/{kind.path_segment}/{notice_id}.json",
            }
    for component_id in changes.components:
        base = f"/components/{component_id}"
        wanted |= {f"{base}/history/", *(f"{base}/{name}" for name in COMPONENT_FILES)}
    prefixes = tuple(
        f"/history/{month}/" if component is None else f"/components/{component}/history/{month}/"
        for month, component in changes.months
    )
    return [
        path
        for path in paths
        if path in wanted or path not in previous or (prefixes and path.startswith(prefixes))
    ]


def _linking_last(path: str) -> int:
    """Write order: a notice's pages, then the history and component pages listing notices,
    then the current pages that list everything (a reader following a new link finds its
    page already there)."""
    if path in CURRENT_PATHS:
        return 2
    return 1 if "/history" in path else 0


def publish_full(app: Flask, target: Path, *, now: datetime, reason: str = "") -> PassReport:
    """Render and write every page (waiting for another publisher to finish first)."""
    with publish_lock(target, wait=True), app.app_context():  # its own `g`: fresh settings
        return _publish_full(app, target, now=now, reason=reason)


def _publish_full(app: Flask, target: Path, *, now: datetime, reason: str) -> PassReport:
    marks = read_marks()
    paths = site_paths(app, current=Month.of(now))
    files: dict[str, str] = {}

    def pages() -> Iterator[PublishedFile]:
        for page in render_pages(app, paths):
            files[page.url_path] = page.file_name
            yield page

    build, _ = writer.publish_to_folder(chain(pages(), static_files(app)), target, now=now)
    write_state(
        target,
        PublishState(
            build=build.name,
            version=marks.version,
            audit_id=marks.audit_id,
            full_at=now,
            files=files,
        ),
    )
    return PassReport(
        "full", marks.version, now, rendered=paths, build=build.name, reason=reason or "on demand"
    )


def publish_changes(
    app: Flask,
    target: Path,
    *,
    now: datetime,
    full_before: datetime | None = None,
    snapshot: bool = False,
) -> PassReport:
    """Publish what changed since the build in use; everything when there is no build to
    start from, when the last full rebuild is older than *full_before*, or when a change
    cannot be mapped to pages. Nothing at all when the public page version has not moved.
    Another publisher at work on the folder: nothing (it publishes what this one would).

    The pages are replaced in the build in use, one rename each, or with *snapshot* written
    into a new build of hard links swapped in at once (writer.py)."""
    with publish_lock(target, wait=False) as held, app.app_context():  # fresh settings
        if not held:
            return PassReport("busy")
        state = read_state(target)
        if state is None:
            return _publish_full(app, target, now=now, reason="no build to start from")
        if full_before is not None and state.full_at < full_before:
            return _publish_full(app, target, now=now, reason="nightly rebuild")
        marks = read_marks()  # the version first: a write committed after it is seen next time
        if marks.version == state.version:
            return PassReport("unchanged", state.version, state.full_at, build=state.build)
        changes = find_changes(state.audit_id, state.gaps, upto=marks.audit_id)
        if changes.full:
            return _publish_full(app, target, now=now, reason=changes.full)
        return _publish_incremental(
            app, target, state, changes, marks.version, now=now, snapshot=snapshot
        )


def _publish_incremental(
    app: Flask,
    target: Path,
    state: PublishState,
    changes: Changes,
    version: int,
    *,
    now: datetime,
    snapshot: bool,
) -> PassReport:
    paths = site_paths(app, current=Month.of(now))
    render = sorted(select_paths(paths, changes, state.files), key=_linking_last)
    removed = sorted(set(state.files) - set(paths))
    pages = list(render_pages(app, render))  # all rendered before anything is written
    removed_names = {state.files[p] for p in removed}
    if snapshot:
        replaced = {state.files[p] for p in render if p in state.files}
        replaced |= {page.file_name for page in pages}
        build, _ = writer.publish_changes_to_folder(
            pages, target, replaced=replaced, removed=removed_names, now=now
        )
    else:
        build = target.absolute().resolve()
        writer.replace_in_build(pages, build, removed=removed_names)
    files = {path: name for path, name in state.files.items() if path not in removed}
    files.update({page.url_path: page.file_name for page in pages})
    write_state(
        target,
        PublishState(
            build=build.name,
            version=version,
            audit_id=changes.audit_id,
            full_at=state.full_at,
            files=files,
            gaps=changes.gaps,
        ),
    )
    return PassReport(
        "incremental", version, state.full_at, rendered=render, removed=removed, build=build.name
    )
