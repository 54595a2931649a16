"""The runner: due checks, concurrency, thresholds firing and resolving signals through the
automation rules (damping, claims), results, histograms and the daily prune."""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from statuspage.enums import Audience, CheckKind, ComponentStatus
from statuspage.extensions import db
from statuspage.models import Alert, Check, CheckResult
from statuspage.scheduler import build_scheduler
from statuspage.services.automation.signals import apply_held_signals
from statuspage.services.checks import configure
from statuspage.services.checks.probes import ProbeResult
from statuspage.services.checks.results import (
    LATENCY_BUCKETS,
    latency_histograms,
    prune_check_results,
)
from statuspage.services.checks.runner import claim_check, record_result, run_due_checks
from statuspage.services.components import tree
from tests.conftest import ACTOR
from tests.helpers import public_statuses

S = ComponentStatus
MINUTE = timedelta(minutes=1)


def statuses(component):
    db.session.refresh(component)
    return component.internal_status, component.status


def test_n_failures_fire_and_m_successes_restore_with_damping(
    make_component, make_check, http_server, switch, now
):
    component = make_component()
    check = make_check(
        component,
        url=f"http://{http_server}/switch",
        failure_threshold=3,
        success_threshold=2,
        failure_status=S.PARTIAL_OUTAGE,
        damping_minutes=2,
    )
    switch(503)
    for minute in range(2):
        report = run_due_checks(now=now + minute * MINUTE)
        assert report.failed == [check.id] and report.fired == []
    assert statuses(component) == (S.OPERATIONAL, S.OPERATIONAL)
    fired_at = now + 2 * MINUTE
    assert run_due_checks(now=fired_at).fired == [check.id]
    # Staff see it at once; the public only once it has held for the damping minutes.
    assert statuses(component) == (S.PARTIAL_OUTAGE, S.OPERATIONAL)
    assert apply_held_signals(now=fired_at + MINUTE).total == 0
    assert statuses(component) == (S.PARTIAL_OUTAGE, S.OPERATIONAL)
    assert len(apply_held_signals(now=fired_at + 2 * MINUTE).shown) == 1
    assert statuses(component) == (S.PARTIAL_OUTAGE, S.PARTIAL_OUTAGE)
    # A fourth failure changes nothing more.
    assert run_due_checks(now=now + 3 * MINUTE).fired == []

    switch(200)
    assert run_due_checks(now=now + 4 * MINUTE).resolved == []
    assert statuses(component) == (S.PARTIAL_OUTAGE, S.PARTIAL_OUTAGE)
    restored_at = now + 5 * MINUTE
    assert run_due_checks(now=restored_at).resolved == [check.id]
    assert statuses(component) == (S.OPERATIONAL, S.PARTIAL_OUTAGE)
    assert len(apply_held_signals(now=restored_at + 2 * MINUTE).hidden) == 1
    assert statuses(component) == (S.OPERATIONAL, S.OPERATIONAL)
    assert public_statuses(component)[-2:] == [S.PARTIAL_OUTAGE, S.OPERATIONAL]
    alert = db.session.scalar(sa.select(Alert).where(Alert.source == f"check:{check.id}"))
    assert alert is not None and alert.source_label == check.name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckResult)) == 6


def test_a_persons_change_is_not_overwritten_by_the_restore(
    make_component, make_check, http_server, switch, now
):
    component = make_component()
    make_check(
        component,
        url=f"http://{http_server}/switch",
        failure_threshold=1,
        success_threshold=1,
        failure_status=S.DEGRADED_PERFORMANCE,
        damping_minutes=0,
    )
    switch(500)
    run_due_checks(now=now)
    assert statuses(component) == (S.DEGRADED_PERFORMANCE, S.DEGRADED_PERFORMANCE)
    tree.set_component_status(component, S.MAJOR_OUTAGE, actor=ACTOR, now=now + MINUTE)
    switch(200)
    assert run_due_checks(now=now + 2 * MINUTE).resolved
    assert statuses(component) == (S.MAJOR_OUTAGE, S.MAJOR_OUTAGE)
    assert public_statuses(component)[-1] is S.MAJOR_OUTAGE


def test_a_hanging_target_does_not_delay_the_others(
    make_component, make_check, http_server, silent_port, now
):
    component = make_component()
    slow = make_check(component, url=f"http://127.0.0.1:{silent_port}/", timeout_seconds=0.6)
    fast = [make_check(component, url=f"http://{http_server}/ok") for _ in range(3)]
    report = run_due_checks(now=now, workers=4)
    # The three quick answers are recorded as they come, before the hanging one times out.
    assert sorted(report.recorded[:3]) == sorted(c.id for c in fast)
    assert report.recorded[3] == slow.id and report.failed == [slow.id]
    first_ids = db.session.scalars(sa.select(CheckResult.check_id).order_by(CheckResult.id)).all()
    assert first_ids[-1] == slow.id


def test_only_due_enabled_checks_of_live_components_run(
    make_component, make_check, http_server, now
):
    component = make_component()
    archived = make_component()
    check = make_check(component, url=f"http://{http_server}/ok", interval_seconds=60)
    make_check(component, url=f"http://{http_server}/ok", enabled=False)
    make_check(archived, url=f"http://{http_server}/ok")
    tree.archive_component(archived, actor=ACTOR, now=now)
    assert run_due_checks(now=now).recorded == [check.id]
    assert run_due_checks(now=now + timedelta(seconds=59)).recorded == []
    assert run_due_checks(now=now + timedelta(seconds=59), everything=True).recorded == [check.id]
    # A forced run counts as a run: the next is one interval after it.
    assert run_due_checks(now=now + timedelta(seconds=118)).recorded == []
    assert run_due_checks(now=now + timedelta(seconds=119)).recorded == [check.id]


def test_a_check_claimed_by_another_scheduler_is_skipped(make_component, make_check, now):
    check = make_check(make_component(), url="http://127.0.0.1:9/")
    assert claim_check(check, now=now)
    assert check.next_run_at == now + timedelta(seconds=check.interval_seconds)
    # A second scheduler read the check before the first claimed it: its claim matches no row.
    set_committed_value(check, "next_run_at", None)
    assert not claim_check(check, now=now)
    assert check.next_run_at == now + timedelta(seconds=check.interval_seconds)


def test_deleting_a_failing_check_ends_its_signal(make_component, make_check, now):
    component = make_component()
    check = make_check(component, url="http://127.0.0.1:9/", failure_threshold=1, damping_minutes=0)
    record_result(check, ProbeResult(False, "down", 5.0), now=now)
    assert statuses(component) == (S.MAJOR_OUTAGE, S.MAJOR_OUTAGE)
    configure.delete_check(db.session.get(Check, check.id), actor=ACTOR, now=now + MINUTE)
    assert statuses(component) == (S.OPERATIONAL, S.OPERATIONAL)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckResult)) == 0
    assert component.status_since_for(Audience.PUBLIC) == now + MINUTE
    assert db.session.scalar(sa.select(Alert.state)).value == "resolved"


def test_the_histogram_counts_every_latency_and_survives_pruning(make_component, make_check, now):
    component = make_component(name="API")
    check = make_check(component, name="Ping", kind=CheckKind.TCP, host="127.0.0.1", port=9)
    old = now - timedelta(days=91)
    for at, latency in ((old, 3.0), (now - timedelta(days=89), 300.0), (now, 20_000.0)):
        record_result(check, ProbeResult(True, "ok", latency), now=at)
    record_result(check, ProbeResult(False, "never started"), now=now)  # no latency
    [histogram] = latency_histograms()
    assert (histogram.check_name, histogram.component_name) == ("Ping", "API")
    assert histogram.count == 3 and math.isclose(histogram.sum_seconds, 20.303)
    buckets = dict(histogram.buckets)
    assert buckets[0.005] == 1 and buckets[0.25] == 1 and buckets[0.5] == 2
    assert buckets[LATENCY_BUCKETS[-1]] == 2 and buckets[math.inf] == 3
    assert len(histogram.buckets) == len(LATENCY_BUCKETS) + 1

    assert prune_check_results(now=now) == 1
    left = db.session.scalars(sa.select(CheckResult.at).order_by(CheckResult.at)).all()
    assert left[0] == now - timedelta(days=89) and len(left) == 3
    assert latency_histograms()[0].count == 3


def test_flask_checks_run_once(runner, make_component, make_check, http_server, now):
    make_check(make_component(), url=f"http://{http_server}/down", at=now - timedelta(days=1))
    result = runner.invoke(args=["checks", "run-once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ran 1, failed 1, fired 0, resolved 0"
    assert runner.invoke(args=["checks", "run-once"]).output.strip().startswith("ran 0")
    assert runner.invoke(args=["checks", "run-once", "--all"]).output.strip().startswith("ran 1")


def test_the_scheduler_checks_job_probes_due_checks(app, make_component, make_check, http_server):
    check = make_check(make_component(), url=f"http://{http_server}/ok")
    jobs = {job.id: job for job in build_scheduler(app).get_jobs()}
    jobs["checks"].func()
    jobs["prune_checks"].func()
    db.session.expire_all()
    result = db.session.scalars(sa.select(CheckResult)).one()
    assert (result.check_id, result.ok) == (check.id, True)
