"""Built-in checks: what the scheduler probes for a component, and every result it got.

A `Check` is staff configuration (its name and target never reach a public reader). Its run
state (counters, last result, next run) is written by the runner with plain UPDATEs, so a
probe every 30 seconds leaves no audit entry; creating, editing and deleting one is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import CheckKind, ComponentStatus
from statuspage.extensions import Model
from statuspage.limits import MAX_CHECK_DETAIL, MAX_CHECK_KEYWORD, MAX_HOSTNAME, MAX_URL

if TYPE_CHECKING:
    from statuspage.models.component import Component

#: Columns the runner keeps up to date: never audited, never a page change.
RUN_STATE_COLUMNS = frozenset(
    {
        "consecutive_failures",
        "consecutive_successes",
        "failing",
        "next_run_at",
        "last_run_at",
        "last_ok",
        "last_latency_ms",
        "last_detail",
        "last_cert_days",
        "last_warning",
    }
)


class Check(Model):
    __tablename__ = "component_check"
    __audited__ = True
    kind_label: ClassVar[str] = "Check"
    __table_args__ = (sa.Index("ix_component_check_enabled_next_run_at", "enabled", "next_run_at"),)

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    component_id: Mapped[str] = mapped_column(
        sa.ForeignKey("component.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CheckKind] = mapped_column(StrEnumType(CheckKind, 16))
    name: Mapped[str]
    # HTTP(S)
    url: Mapped[str | None] = mapped_column(sa.String(MAX_URL))
    method: Mapped[str | None] = mapped_column(sa.String(8))
    #: Status codes that count as up; empty: any 2xx.
    expected_statuses: Mapped[list[int]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    keyword: Mapped[str | None] = mapped_column(sa.String(MAX_CHECK_KEYWORD))
    #: An HTTPS result warns when the certificate expires within this many days (0: never).
    tls_warn_days: Mapped[int] = mapped_column(default=14)
    # TCP
    host: Mapped[str | None] = mapped_column(sa.String(MAX_HOSTNAME))
    port: Mapped[int | None]
    # DNS
    hostname: Mapped[str | None] = mapped_column(sa.String(MAX_HOSTNAME))
    record_type: Mapped[str | None] = mapped_column(sa.String(8))

    timeout_seconds: Mapped[float] = mapped_column(sa.Float, default=10.0)
    interval_seconds: Mapped[int] = mapped_column(default=60)
    failure_threshold: Mapped[int] = mapped_column(default=3)
    success_threshold: Mapped[int] = mapped_column(default=2)
    #: The status the component takes after `failure_threshold` failures in a row.
    failure_status: Mapped[ComponentStatus] = mapped_column(
        StrEnumType(ComponentStatus), default=ComponentStatus.MAJOR_OUTAGE
    )
    #: Minutes a change must hold before the public sees it (the signal's hold).
    damping_minutes: Mapped[int] = mapped_column(default=2)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Run state (RUN_STATE_COLUMNS).
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    consecutive_successes: Mapped[int] = mapped_column(default=0)
    #: Whether its signal fires (it reached the failure threshold and has not recovered).
    failing: Mapped[bool] = mapped_column(default=False)
    next_run_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_ok: Mapped[bool | None]
    last_latency_ms: Mapped[float | None] = mapped_column(sa.Float)
    last_detail: Mapped[str | None] = mapped_column(sa.String(MAX_CHECK_DETAIL))
    last_cert_days: Mapped[int | None]
    last_warning: Mapped[str | None] = mapped_column(sa.String(MAX_CHECK_DETAIL))

    component: Mapped[Component] = relationship()

    __internal_columns__ = RUN_STATE_COLUMNS

    def faces_public(self) -> bool:
        """Checks are staff configuration: no change to one shows on a public page."""
        return False

    @property
    def source(self) -> str:
        """Its name as an automation source (`Alert.source`)."""
        return f"check:{self.id}"

    @property
    def target(self) -> str:
        """What it probes, in one line (staff pages only)."""
        return self.kind.describe({f: getattr(self, f) for f in self.kind.target_fields})

    def __repr__(self) -> str:
        return f"<Check {self.id} {self.kind} {self.name!r}>"


class CheckResult(Model):
    """One probe of one check: kept `CHECK_RESULT_DAYS` days for the charts and the admin."""

    __tablename__ = "check_result"
    __table_args__ = (sa.Index("ix_check_result_check_id_at", "check_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[str] = mapped_column(sa.ForeignKey("component_check.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(index=True)
    ok: Mapped[bool]
    #: How long the probe took, also when it failed (None when it never started).
    latency_ms: Mapped[float | None] = mapped_column(sa.Float)
    detail: Mapped[str] = mapped_column(sa.String(MAX_CHECK_DETAIL), default="")
    #: Days until the HTTPS certificate expires, when there was one.
    cert_days: Mapped[int | None]
    #: Set on an ok result that staff should still hear about (a certificate expiring soon).
    warning: Mapped[str | None] = mapped_column(sa.String(MAX_CHECK_DETAIL))


class CheckLatencyHistogram(Model):
    """Every latency a check ever measured, in cumulative buckets (never pruned): the
    Prometheus histogram `statuspage_check_latency_seconds` is read from here."""

    __tablename__ = "check_latency_histogram"

    check_id: Mapped[str] = mapped_column(
        sa.ForeignKey("component_check.id", ondelete="CASCADE"), primary_key=True
    )
    #: Counts per bucket of `services.checks.results.LATENCY_BUCKETS`, not cumulative; the
    #: last entry counts the latencies above the largest bound.
    bucket_counts: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    count: Mapped[int] = mapped_column(default=0)
    sum_seconds: Mapped[float] = mapped_column(sa.Float, default=0.0)
