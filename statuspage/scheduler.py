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
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from statuspage.database import utcnow
from statuspage.extensions import db
from statuspage.mail import Mailer
from statuspage.services.automation import incidents as automation_incidents
from statuspage.services.automation import signals
from statuspage.services.checks import results as check_results
from statuspage.services.checks import runner as checks
from statuspage.services.checks.probes import ProbeOptions
from statuspage.services.hooks import sender as hooks
from statuspage.services.notices import due_work
from statuspage.services.outbox import delivery, events
from statuspage.services.problems import reports as problem_reports
from statuspage.services.publish.watch import FolderPublisher, log_report
from statuspage.services.response import escalation
from statuspage.services.site import heartbeat as site
from statuspage.services.subscribers import digests
from statuspage.services.subscribers import signup as subscribers
from statuspage.services.unit import SCHEDULER

logger = logging.getLogger(__name__)
MAIL_JOB_SECONDS = 20
#: SLA targets are counted in minutes: a look each minute escalates on the warning's minute.
ESCALATION_SECONDS = 60
#: Damping is counted in minutes: a look every 15 s shows a held alert within its minute.
AUTOMATION_SECONDS = 15
#: Check results older than 90 days are pruned once a day.
PRUNE_CHECKS_SECONDS = 24 * 60 * 60


class SkippedLooks(logging.Filter):
    """The publish job looks twice a second; a publish that takes longer (the first, a full
    rebuild) skips looks, as it should: not a warning each half second."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = str(record.args[0]) if isinstance(record.args, tuple) and record.args else ""
        return not (
            "maximum number of running instances" in str(record.msg) and job.startswith("publish ")
        )


SKIPPED_LOOKS = SkippedLooks()


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
    #: Every job: its id, what it runs, and how many seconds apart.
    jobs: list[tuple[str, Callable[[], None], float]] = [
        ("heartbeat", in_app_context(app, site.record_heartbeat, name), tick),
        ("tick", in_app_context(app, run_tick), tick),
        ("escalation", in_app_context(app, run_escalation), min(tick, ESCALATION_SECONDS)),
        ("automation", in_app_context(app, run_automation), min(tick, AUTOMATION_SECONDS)),
        ("checks", in_app_context(app, run_checks, app), app.config["CHECKS_TICK_SECONDS"]),
        ("prune_checks", in_app_context(app, run_prune_checks), PRUNE_CHECKS_SECONDS),
        ("mail", in_app_context(app, run_mail, app.extensions["mailer"]), max(2, tick // 2)),
        ("hooks", in_app_context(app, run_hooks), max(2, tick // 2)),
    ]
    if app.config["PUBLISH_DIR"]:
        publisher = FolderPublisher(
            Path(app.config["PUBLISH_DIR"]),
            nightly_hour=app.config["PUBLISH_NIGHTLY_HOUR"],
            snapshots=bool(app.config["PUBLISH_SNAPSHOTS"]),
        )
        job = in_app_context(app, run_publish, app, publisher)
        jobs.append(("publish", job, app.config["PUBLISH_POLL_SECONDS"]))
        logging.getLogger("apscheduler.scheduler").addFilter(SKIPPED_LOOKS)
    for job_id, job, seconds in jobs:
        scheduler.add_job(
            job, "interval", seconds=seconds, id=job_id, name=job_id, next_run_time=_now()
        )
    return scheduler


def run_publish(app: Flask, publisher: FolderPublisher) -> None:
    """Publish what the writes since the last look changed into STATUSPAGE_PUBLISH_DIR (the
    first run, and the first after the nightly hour, everything)."""
    started = time.monotonic()
    log_report(publisher.step(app, _now()), time.monotonic() - started)


def run_hooks() -> None:
    """Expand events, then POST what is due to webhook subscribers and chat channels (a job of
    its own: a slow endpoint never holds up mail)."""
    now = _now()
    made = events.fan_out_events(now=now)
    report = hooks.deliver_hooks(now=now)
    if made or report.sent or report.failed or report.retried:
        logger.info(
            "hooks: %s deliveries made, sent %s, retried %s, failed %s, skipped %s",
            made,
            report.sent,
            report.retried,
            report.failed,
            report.skipped,
        )


def run_mail(mailer: Mailer) -> None:
    """Expand events, queue due digests, send what is due, forget unconfirmed addresses."""

    now = _now()
    made = events.fan_out_events(now=now)
    queued = digests.queue_due_digests(now=now)
    queued += problem_reports.notify_resolved_reporters(now=now)
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


def run_automation() -> None:
    """Show the public the alerts that have held for their damping minutes, and stop showing
    the resolved ones whose resolution has; then open and resolve the incidents integrations'
    policies call for (a published one waits for its alerts' damping)."""
    now = _now()
    report = signals.apply_held_signals(now=now)
    if report.total:
        logger.info("automation: %s shown, %s hidden", len(report.shown), len(report.hidden))
    automation_incidents.apply_incident_policies(now=now)


def run_checks(app: Flask) -> None:
    """Probe the checks that are due, concurrently; each result is recorded as it comes in."""
    report = checks.run_due_checks(
        options=ProbeOptions(ca_bundle=app.config["CHECKS_CA_BUNDLE"]),
        workers=app.config["CHECKS_WORKERS"],
    )
    if report.fired or report.resolved:
        logger.info(
            "checks: %s run, %s failed, %s fired, %s resolved",
            report.total,
            len(report.failed),
            len(report.fired),
            len(report.resolved),
        )


def run_prune_checks() -> None:
    """Delete check results older than 90 days (the latency histograms keep their counts)."""
    pruned = check_results.prune_check_results(now=_now())
    if pruned:
        logger.info("prune_checks: %s results deleted", pruned)


def run_escalation() -> None:
    """Mail the people running each open incident whose SLA target is due soon or breached."""
    sent = escalation.escalate_due(_now())
    if sent:
        logger.info("escalation: %s sent", sent)


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
