"""Subscribers seen by staff: the list and its counts, the delivery log and dashboard, CSV in"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from statuspage.enums import Cadence, SubscriberKind, SubscriberState
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentGroup,
    Delivery,
    Subscriber,
)
from statuspage.models.subscriber import subscriber_component, subscriber_group
from statuspage.services.accounts.users import normalize_email
from statuspage.services.errors import DuplicateEmail, InvalidInput
from statuspage.services.subscribers.signup import start_subscription
from statuspage.services.unit import Actor, unit_of_work
from statuspage.spreadsheet import escape_formula, unescape_formula

EXPORT_COLUMNS = ["email", "state", "cadence", "scope", "created_at", "confirmed_at"]


#: Rows with a problem listed on the result page; the rest are only counted.
MAX_REPORTED_PROBLEMS = 200


@dataclass(frozen=True)
class SubscriberCounts:
    """The list's headline numbers, so the template never counts rows itself."""

    total: int
    by_state: dict[SubscriberState, int]
    by_cadence: dict[Cadence, int]


def count_subscribers() -> SubscriberCounts:
    """Totals per state and per cadence: one grouped query each, whatever the list size."""
    by_state = dict.fromkeys(SubscriberState, 0)
    for state, count in db.session.execute(
        sa.select(Subscriber.state, sa.func.count()).group_by(Subscriber.state)
    ):
        by_state[state] = count
    by_cadence = dict.fromkeys(Cadence, 0)
    for cadence, count in db.session.execute(
        sa.select(Subscriber.cadence, sa.func.count()).group_by(Subscriber.cadence)
    ):
        by_cadence[cadence] = count
    return SubscriberCounts(sum(by_state.values()), by_state, by_cadence)


def list_subscribers(
    *,
    search: str | None = None,
    state: SubscriberState | None = None,
    cadence: Cadence | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Any:
    """Subscribers newest first, filtered for the admin list; a Flask-SQLAlchemy Pagination."""
    query = sa.select(Subscriber).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
    needle = (search or "").strip().lower()
    if needle:
        query = query.where(sa.func.lower(Subscriber.email).contains(needle, autoescape=True))
    if state is not None:
        query = query.where(Subscriber.state == state)
    if cadence is not None:
        query = query.where(Subscriber.cadence == cadence)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def list_deliveries(subscriber: Subscriber, *, page: int = 1, per_page: int = 25) -> Any:
    """One subscriber's delivery log, newest first; a Flask-SQLAlchemy Pagination."""
    query = (
        sa.select(Delivery)
        .where(Delivery.subscriber_id == subscriber.id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def describe_scope(subscriber: Subscriber) -> list[str]:
    """What the subscriber follows, in words: groups then components, or "everything"."""
    if subscriber.everything:
        return ["Everything"]
    return sorted(f"{g.name} (group)" for g in subscriber.groups) + sorted(
        c.full_name for c in subscriber.components
    )


def _iso(value: datetime | None) -> str:
    """ISO 8601 in UTC, whatever the page's zone: spreadsheets and scripts read it alike."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def export_subscribers_csv() -> str:
    """Every subscriber as CSV text (formula-safe), in three queries whatever the count."""
    scopes: dict[int, list[str]] = defaultdict(list)
    # (An association table's columns are untyped, so each query says what its rows hold.)
    groups = cast(
        "sa.Result[tuple[int, str]]",
        db.session.execute(
            sa.select(subscriber_group.c.subscriber_id, ComponentGroup.name)
            .join(ComponentGroup, ComponentGroup.id == subscriber_group.c.group_id)
            .order_by(ComponentGroup.name)
        ),
    )
    for subscriber_id, name in groups:
        scopes[subscriber_id].append(f"{name} (group)")
    parent = aliased(ComponentGroup)
    components = cast(
        "sa.Result[tuple[int, str | None, str]]",
        db.session.execute(
            sa.select(subscriber_component.c.subscriber_id, parent.name, Component.name)
            .join(Component, Component.id == subscriber_component.c.component_id)
            .outerjoin(parent, parent.id == Component.group_id)
            .order_by(parent.name, Component.name)
        ),
    )
    for subscriber_id, group_name, name in components:
        scopes[subscriber_id].append(f"{group_name} - {name}" if group_name else name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    rows = db.session.execute(
        sa.select(
            Subscriber.id,
            Subscriber.email,
            Subscriber.state,
            Subscriber.cadence,
            Subscriber.everything,
            Subscriber.created_at,
            Subscriber.confirmed_at,
        )
        # The export is the mailing list (re-importable); webhooks are listed in the admin.
        .where(Subscriber.kind == SubscriberKind.EMAIL)
        .order_by(Subscriber.created_at, Subscriber.id)
    )
    for row in rows:
        scope = "everything" if row.everything else "; ".join(scopes.get(row.id, []))
        cells = [row.email, row.state.value, row.cadence.value, scope]
        cells += [_iso(row.created_at), _iso(row.confirmed_at)]
        writer.writerow([escape_formula(cell) for cell in cells])
    return out.getvalue()


@dataclass(frozen=True)
class ImportProblem:
    """One row not imported, with the line number a spreadsheet shows for it."""

    line: int
    reason: str
    text: str = ""


@dataclass
class ImportReport:
    """What an import did, for the result page."""

    created: int = 0
    already_subscribed: int = 0
    merged_duplicates: int = 0
    blank_lines: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    bad_rows: int = 0

    def add_problem(self, line: int, reason: str, cells: Sequence[str]) -> None:
        """Count a bad row, and keep its details while the list is short enough to read."""
        self.bad_rows += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(ImportProblem(line, reason, ",".join(cells)[:120]))


@dataclass(frozen=True)
class _Row:
    """A checked row: an address that can subscribe, at a known line."""

    line: int
    email: str
    cadence: Cadence


def _decode_text(content: bytes) -> str:
    """UTF-8 text (a byte-order mark is fine), or InvalidInput on the file field."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read). Save it as "
            "“CSV UTF-8” and upload it again.",
            field="file",
        ) from error
    if "\x00" in text:
        raise InvalidInput("The file is not a CSV text file.", field="file")
    return text


def _read_rows(text: str, report: ImportReport) -> list[_Row]:
    """Parse and check every row; a bad row is reported by line number and skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInput("The file is empty.", field="file")
        names = [name.strip().lower() for name in header]
        if "email" not in names:
            raise InvalidInput(
                "The first line must name the columns, with one called “email” "
                "(and optionally “cadence”).",
                field="file",
            )
        email_at = names.index("email")
        cadence_at = names.index("cadence") if "cadence" in names else None
        rows: list[_Row] = []
        last_line = reader.line_num
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not cells:
                report.blank_lines += 1
                continue
            rows.extend(_check_row(cells, line, email_at, cadence_at, report))
    except csv.Error as error:
        raise InvalidInput(
            f"The file is not valid CSV (line {reader.line_num}: {error}).", field="file"
        ) from error
    return rows


def _check_row(
    cells: list[str], line: int, email_at: int, cadence_at: int | None, report: ImportReport
) -> list[_Row]:
    """The row as an address and a cadence, or nothing and a problem in the report."""
    if not any(cell.strip() for cell in cells):
        report.add_problem(line, "Empty row: no email address.", cells)
        return []
    if len(cells) <= max(email_at, cadence_at or 0):
        report.add_problem(line, "Missing column: fewer cells than the header names.", cells)
        return []
    raw_email = unescape_formula(cells[email_at].strip())
    if not raw_email:
        report.add_problem(line, "No email address.", cells)
        return []
    try:
        email = normalize_email(raw_email)
    except InvalidInput as error:
        report.add_problem(line, f"Invalid email address: {error.message}", cells)
        return []
    raw_cadence = cells[cadence_at].strip().lower() if cadence_at is not None else ""
    try:
        cadence = Cadence(raw_cadence or Cadence.IMMEDIATE.value)
    except ValueError:
        allowed = ", ".join(c.value for c in Cadence)
        report.add_problem(line, f"Unknown cadence “{raw_cadence[:40]}” (use {allowed}).", cells)
        return []
    return [_Row(line, email, cadence)]


def _find_existing(emails: Sequence[str]) -> set[str]:
    """The addresses already on the list, in any state, in chunks the databases accept."""
    found: set[str] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        found.update(
            db.session.scalars(
                sa.select(Subscriber.email).where(
                    Subscriber.kind == SubscriberKind.EMAIL, Subscriber.email.in_(chunk)
                )
            )
        )
    return found


def import_subscribers(
    content: bytes, *, actor: Actor, now: datetime | None = None
) -> ImportReport:
    """Add a CSV file's new addresses as pending, each with a confirmation mail, in one go."""
    # Duplicates are merged, existing subscribers (in any state) are left as they are, and a
    # bad row is reported and skipped: one transaction, so a failure imports nothing.
    report = ImportReport()
    rows = _read_rows(_decode_text(content), report)
    first: dict[str, _Row] = {}
    for row in rows:
        if row.email in first:
            report.merged_duplicates += 1
        else:
            first[row.email] = row
    try:
        with unit_of_work("import_subscribers", actor=actor, now=now) as now:
            existing = _find_existing(list(first))
            report.already_subscribed = len(existing)
            for email, row in first.items():
                if email not in existing:
                    start_subscription(None, email=email, cadence=row.cadence, now=now)
                    report.created += 1
    except sa.exc.IntegrityError as error:
        raise DuplicateEmail(
            "One of these addresses subscribed while the file was being imported; nothing was "
            "imported. Import the file again.",
            field="file",
        ) from error
    return report
