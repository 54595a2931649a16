"""Running the checks that are due: claimed, probed concurrently, recorded as they finish.

Each due check is claimed with a conditional UPDATE of its `next_run_at` (a second scheduler
finds it claimed and skips it), then probed in a thread pool: one slow or hanging target ties
up one worker for at most its timeout, and every other result is recorded as soon as it comes
in, each in its own transaction. The threads only probe; the database is written from the
calling thread.

A check's `failure_threshold`-th failure in a row fires its automation signal with the check's
status and damping minutes; its `success_threshold`-th success in a row after that resolves it.
What the component's status then becomes is `services/automation/signals.py`'s decision (the
claim rules: a person's change or an open incident or maintenance keeps its status).
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.database import count_rows, utcnow
from statuspage.extensions import db
from statuspage.models import Check, CheckResult, Component
from statuspage.services.automation.signals import Signal, fire_signal, resolve_signal
from statuspage.services.checks.configure import FINGERPRINT
from statuspage.services.checks.probes import ProbeOptions, ProbeResult, ProbeTarget, run_probe
from statuspage.services.checks.results import observe_latency
from statuspage.services.unit import SCHEDULER, unit_of_work

#: Probes that run at once, at most (each waits at most its check's timeout).
DEFAULT_WORKERS = 16


@dataclass
class RunReport:
    """What one pass did: check ids in the order their results were recorded, and the checks
    whose signal fired or resolved."""

    recorded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.recorded)


def due_checks(*, now: datetime, everything: bool = False) -> list[Check]:
    """Enabled checks of live components whose next run is due (all of them with
    *everything*), oldest due first."""
    query = (
        sa.select(Check)
        .join(Component, Component.id == Check.component_id)
        .where(Check.enabled.is_(True), Component.archived_at.is_(None))
        .order_by(Check.next_run_at.is_not(None), Check.next_run_at, Check.id)
    )
    if not everything:
        query = query.where(sa.or_(Check.next_run_at.is_(None), Check.next_run_at <= now))
    return list(db.session.scalars(query))


def claim_check(check: Check, *, now: datetime) -> bool:
    """Take *check* for this run: move its next run one interval on, unless another
    scheduler moved it first."""
    due = check.next_run_at
    with unit_of_work("claim_check", actor=SCHEDULER, now=now):
        condition = Check.next_run_at.is_(None) if due is None else Check.next_run_at == due
        claimed = count_rows(
            db.session.execute(
                sa.update(Check)
                .where(Check.id == check.id, condition)
                .values(next_run_at=now + timedelta(seconds=check.interval_seconds))
                .execution_options(synchronize_session=False)
            )
        )
    db.session.expire(check, ["next_run_at"])
    return claimed == 1


def run_due_checks(
    *,
    now: datetime | None = None,
    everything: bool = False,
    options: ProbeOptions | None = None,
    workers: int = DEFAULT_WORKERS,
) -> RunReport:
    """Probe every due check concurrently and record each result as it finishes."""
    now = now or utcnow()
    options = options or ProbeOptions()
    report = RunReport()
    checks = {
        c.id: c for c in due_checks(now=now, everything=everything) if claim_check(c, now=now)
    }
    if not checks:
        return report
    targets = [ProbeTarget.of(check) for check in checks.values()]
    with ThreadPoolExecutor(
        max_workers=max(1, min(workers, len(targets))), thread_name_prefix="check"
    ) as pool:
        pending: dict[Future[ProbeResult], str] = {
            pool.submit(run_probe, target, options): target.check_id for target in targets
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                check_id = pending.pop(future)
                record_result(checks[check_id], future.result(), now=now, report=report)
    return report


def record_result(
    check: Check, result: ProbeResult, *, now: datetime, report: RunReport | None = None
) -> CheckResult:
    """Store one result, count it, and fire or resolve the check's signal at its threshold."""
    report = report if report is not None else RunReport()
    with unit_of_work("record_check_result", actor=SCHEDULER, now=now) as now:
        row = CheckResult(
            check_id=check.id,
            at=now,
            ok=result.ok,
            latency_ms=result.latency_ms,
            detail=result.detail,
            cert_days=result.cert_days,
            warning=result.warning,
        )
        db.session.add(row)
        if result.latency_ms is not None:
            observe_latency(check.id, result.latency_ms / 1000)
        failures = 0 if result.ok else check.consecutive_failures + 1
        successes = check.consecutive_successes + 1 if result.ok else 0
        failing = check.failing
        if not result.ok and failures >= check.failure_threshold:
            fire_signal(_signal(check, result), now=now)
            if not failing:
                report.fired.append(check.id)
            failing = True
        elif result.ok and failing and successes >= check.success_threshold:
            resolve_signal(
                check.source, FINGERPRINT, check.component, source_label=check.name, now=now
            )
            report.resolved.append(check.id)
            failing = False
        # Run state, not configuration: a plain UPDATE, no audit entry for every probe.
        db.session.execute(
            sa.update(Check)
            .where(Check.id == check.id)
            .values(
                consecutive_failures=failures,
                consecutive_successes=successes,
                failing=failing,
                last_run_at=now,
                last_ok=result.ok,
                last_latency_ms=result.latency_ms,
                last_detail=result.detail,
                last_cert_days=result.cert_days,
                last_warning=result.warning,
            )
            .execution_options(synchronize_session=False)
        )
    db.session.expire(check)
    report.recorded.append(check.id)
    if not result.ok:
        report.failed.append(check.id)
    return row


def _signal(check: Check, result: ProbeResult) -> Signal:
    return Signal(
        source=check.source,
        source_label=check.name,
        fingerprint=FINGERPRINT,
        component=check.component,
        status=check.failure_status,
        summary=result.detail,
        labels={"check": check.id, "kind": check.kind.value},
        hold_minutes=check.damping_minutes,
    )
