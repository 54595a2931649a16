"""The scheduler process: the only place an APScheduler is built (`flask scheduler run`).

Jobs are driven by database state ("what is due now?"), so a restart loses nothing and a
second scheduler started by mistake finds nothing left to claim.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from statuspage.database import utcnow
from statuspage.extensions import db
from statuspage.mail import Mailer
from statuspage.services.notices import due_work
from statuspage.services.outbox import delivery, events
from statuspage.services.site import heartbeat as site
from statuspage.services.subscribers import digests
from statuspage.services.subscribers import signup as subscribers
from statuspage.services.unit import SCHEDULER

logger = logging.getLogger(__name__)
MAIL_JOB_SECONDS = 20


def in_app_context(app: Flask, job: Callable[..., Any], *args: Any) -> Callable[[], None]:
    """Run *job* inside an app context, logging (not raising) its failures."""

    def run() -> None:
        with app.app_context():
            try:
                job(*args)
            except Exception:
                db.session.rollback()
                logger.exception("scheduler job %s failed", getattr(job, "__name__", job))
            finally:
                db.session.remove()

    run.__name__ = getattr(job, "__name__", "job")
    return run


def build_scheduler(app: Flask, *, name: str = "scheduler") -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    tick = app.config["SCHEDULER_TICK_SECONDS"]
    scheduler.add_job(
        in_app_context(app, site.record_heartbeat, name),
        "interval",
        seconds=tick,
        id="heartbeat",
        name="heartbeat",
        next_run_time=_now(),
    )
    scheduler.add_job(
        in_app_context(app, run_tick),
        "interval",
        seconds=tick,
        id="tick",
        name="tick",
        next_run_time=_now(),
    )
    scheduler.add_job(
        in_app_context(app, run_mail, app.extensions["mailer"]),
        "interval",
        seconds=max(2, tick // 2),
        id="mail",
        name="mail",
        next_run_time=_now(),
    )
    return scheduler


def run_mail(mailer: Mailer) -> None:
    """Expand events, queue due digests, send what is due, forget unconfirmed addresses."""

    now = _now()
    made = events.fan_out_events(now=now)
    queued = digests.queue_due_digests(now=now)
    report = delivery.deliver_pending(mailer, now=now)
    deadline = time.monotonic() + MAIL_JOB_SECONDS
    # Keep draining while batches go out cleanly, but end in time for a prompt SIGTERM.
    while report.sent and not report.errors and time.monotonic() < deadline:
        more = delivery.deliver_pending(mailer, now=_now())
        report.sent, report.errors = report.sent + more.sent, more.errors
        report.retried, report.failed = report.retried + more.retried, report.failed + more.failed
        if not more.sent:
            break
    purged = subscribers.purge_unconfirmed(actor=SCHEDULER, now=now)
    if made or queued or report.sent or report.failed or report.retried or purged:
        logger.info(
            "mail: %s deliveries made, %s digests, sent %s, retried %s, failed %s, purged %s",
            made,
            queued,
            report.sent,
            report.retried,
            report.failed,
            purged,
        )


def run_tick() -> None:
    """Apply everything due now (each item in its own transaction, claimed first)."""
    report = due_work.run_due_work()
    if report.total or report.lost_races or report.reminders_skipped:
        logger.info("tick: %s", report)


def _now() -> datetime:

    return utcnow()


class StopBeforeStart(Exception):
    """A signal came before the scheduler was running: there is nothing to wait for."""


def run_scheduler(app: Flask, *, name: str = "scheduler") -> None:
    """Block until SIGTERM or SIGINT; the job that is running then finishes first.

    Stopping is idempotent: Ctrl-C under `make run` sends SIGINT and, milliseconds later, the
    Makefile's trap sends SIGTERM. A second signal while the first waits for the running job
    is logged and otherwise ignored; one after the scheduler stopped is ignored by the OS
    (Python restores the default action of its handled signals at exit, and a late SIGTERM
    would then kill the process with status -15).
    """
    scheduler = build_scheduler(app, name=name)
    stopping: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        if stopping:
            logger.info("signal %s: already stopping", signum)
            return
        stopping.append(signum)
        logger.info("signal %s: stopping after the current job", signum)
        if not scheduler.running:
            raise StopBeforeStart
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("scheduler %s started", name)
    try:
        scheduler.start()
    except StopBeforeStart:
        if scheduler.running:  # the signal came while start() was setting up
            scheduler.shutdown(wait=True)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logger.info("scheduler %s stopped", name)
