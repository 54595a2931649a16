"""Continuous publishing: look at the public page version often (one indexed read), publish
what changed when it moves, rebuild everything when the publisher starts (a deploy may have
changed any page) and once a night. The scheduler's `publish` job and `flask publish watch`
both run `FolderPublisher.step`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask

from statuspage.extensions import db
from statuspage.services.publish.incremental import PassReport, publish_changes, publish_full
from statuspage.services.site.page_state import read_page_state

logger = logging.getLogger(__name__)


def last_nightly(now: datetime, hour: int) -> datetime:
    """The latest nightly rebuild time (*hour*:00 UTC) at or before *now*."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today <= now else today - timedelta(days=1)


@dataclass
class FolderPublisher:
    """Keeps one folder up to date; remembers the version it last published, so a look that
    finds the version unchanged reads nothing else. `started=True` (`watch --resume`) carries
    on from the folder's state instead of rebuilding everything first."""

    target: Path
    nightly_hour: int = 3
    snapshots: bool = False
    started: bool = False
    version: int | None = None
    full_at: datetime | None = None

    def step(self, app: Flask, now: datetime) -> PassReport | None:
        """One look (inside an app context): a publish if anything is due, else None."""
        nightly = last_nightly(now, self.nightly_hour)
        if not self.started:
            report = publish_full(app, self.target, now=now, reason="publisher started")
            self.started = True
        elif (
            self.version == read_page_state(db.engine).public[0]
            and self.full_at is not None
            and self.full_at >= nightly
        ):
            return None
        else:
            report = publish_changes(
                app, self.target, now=now, full_before=nightly, snapshot=self.snapshots
            )
        if report.kind != "busy":
            self.version, self.full_at = report.version, report.full_at
        return report


def log_report(report: PassReport | None, seconds: float) -> None:
    """One line for a publish that wrote a build."""
    if report is not None and report.kind in ("full", "incremental"):
        logger.info("publish: %s (%.2f s)", report.describe(), seconds)


def watch_folder(
    app: Flask,
    publisher: FolderPublisher,
    *,
    every: float,
    stop: threading.Event,
    clock: Callable[[], datetime],
) -> None:
    """Step every *every* seconds until *stop* is set (a step under way finishes first)."""
    while not stop.is_set():
        started = time.monotonic()
        with app.app_context():
            try:
                report = publisher.step(app, clock())
            except Exception:
                db.session.rollback()
                logger.exception("publish failed; the site in use is unchanged")
                report = None
            finally:
                db.session.remove()
        log_report(report, time.monotonic() - started)
        stop.wait(max(0.0, every - (time.monotonic() - started)))
